import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completionOf, historyOf, inCreationOrder, isRestartable, newTrial, summarize, trialsToAdd } from './experiment.js';
import type { Experiment, Trial, TrialConditionType } from './types.js';
import { suggestionChanged, suggestionFor } from './suggestion.js';

const NOW = '2026-01-01T00:00:00Z';

function experiment(spec: Partial<Experiment['spec']> = {}, conditions: Experiment['status'] = {}): Experiment {
  return {
    apiVersion: 'kubeflow.org/v1beta1',
    kind: 'Experiment',
    metadata: { name: 'exp', namespace: 'default', uid: 'uid-1' },
    spec: {
      parameters: [{ name: 'lr', parameterType: 'double', feasibleSpace: { min: '0', max: '1' } }],
      objective: { type: 'maximize', objectiveMetricName: 'acc', metricStrategies: [{ name: 'acc', value: 'max' }] },
      algorithm: { algorithmName: 'random' },
      trialTemplate: {
        trialParameters: [{ name: 'lr', reference: 'lr' }, { name: 'me', reference: '${trialSpec.Name}' }],
        trialSpec: { apiVersion: 'batch/v1', kind: 'Job', spec: { template: { spec: { containers: [{ name: 'c', command: ['echo', '${trialParameters.lr}', '${trialParameters.me}'] }] } } } },
      },
      parallelTrialCount: 3,
      maxTrialCount: 6,
      ...spec,
    },
    status: conditions,
  };
}

function trial(exp: Experiment, index: number, phase: TrialConditionType | 'Pending', acc?: number): Trial {
  const t = newTrial(exp, index, { lr: String(index / 10) }, exp.spec.trialTemplate.trialSpec!, NOW);
  if (phase !== 'Pending') t.status!.conditions!.push({ type: phase, status: 'True' });
  if (acc !== undefined) t.status!.observation = { metrics: [{ name: 'acc', min: String(acc / 2), max: String(acc), latest: String(acc) }] };
  return t;
}

test('newTrial renders the template with the assignment and the trial name, labels it and numbers it', () => {
  const exp = experiment();
  const t = trial(exp, 4, 'Pending');
  assert.match(t.metadata.name!, /^exp-[a-z0-9]{8}$/);
  assert.equal(t.metadata.labels?.['katib.kubeflow.org/experiment'], 'exp');
  assert.equal(t.metadata.annotations?.['drover.dev/trial-index'], '4');
  const c = ((t.spec.runSpec['spec'] as { template: { spec: { containers: { command: string[] }[] } } }).template.spec.containers[0]!);
  assert.deepEqual(c.command, ['echo', '0.4', t.metadata.name]);
  assert.equal(newTrial(exp, 4, { lr: '0.4' }, exp.spec.trialTemplate.trialSpec!, NOW).metadata.name, t.metadata.name, 'names are stable');
});

test('summarize: counts by phase, the optimal trial by the objective strategy, the goal', () => {
  const exp = experiment({ objective: { type: 'maximize', objectiveMetricName: 'acc', goal: 0.9, metricStrategies: [{ name: 'acc', value: 'max' }] } });
  const views = inCreationOrder([trial(exp, 2, 'Running'), trial(exp, 0, 'Succeeded', 0.7), trial(exp, 1, 'Succeeded', 0.8), trial(exp, 3, 'Failed'), trial(exp, 4, 'EarlyStopped', 0.5)]);
  assert.deepEqual(views.map((v) => v.index), [0, 1, 2, 3, 4]);
  const s = summarize(exp, views);
  assert.equal(s.status.trialsSucceeded, 2);
  assert.equal(s.status.trialsRunning, 1);
  assert.equal(s.status.trialsFailed, 1);
  assert.equal(s.status.trialsEarlyStopped, 1);
  assert.equal(s.completed, 4);
  assert.equal(s.active, 1);
  assert.equal(s.status.currentOptimalTrial?.bestTrialName, views[1]!.trial.metadata.name);
  assert.equal(s.goalReached, false);
  assert.equal(summarize(exp, [...views, ...inCreationOrder([trial(exp, 5, 'Succeeded', 0.95)])]).goalReached, true);
  // The history: finished trials with their values (none for failed ones), pending assignments.
  const h = historyOf(views);
  assert.deepEqual(h.completed.map((o) => o.value), [0.7, 0.8, undefined, 0.5]);
  assert.deepEqual(h.pending, [{ lr: '0.2' }]);
});

test('completion follows Katib: goal, then failed trials, then max trials, then suggestions used up with none active', () => {
  const exp = experiment({ maxFailedTrialCount: 1, maxTrialCount: 4 });
  const s = (over: Partial<ReturnType<typeof summarize>>) => ({ ...summarize(exp, []), ...over });
  assert.equal(completionOf(exp, s({ goalReached: true, failed: 5 }), false)?.reason, 'ExperimentGoalReached');
  assert.equal(completionOf(exp, s({ failed: 2, completed: 4 }), false)?.type, 'Failed');
  assert.equal(completionOf(exp, s({ failed: 1, completed: 4 }), false)?.reason, 'ExperimentMaxTrialsReached');
  assert.equal(completionOf(exp, s({ completed: 2, active: 1 }), true), undefined);
  assert.equal(completionOf(exp, s({ completed: 2, active: 0 }), true)?.reason, 'ExperimentSuggestionEndReached');
  // Trials to add: up to parallelTrialCount active, never past maxTrialCount.
  assert.equal(trialsToAdd(exp, s({ completed: 0, active: 1 })), 2);
  assert.equal(trialsToAdd(exp, s({ completed: 3, active: 0 })), 1);
  assert.equal(trialsToAdd(experiment({ maxTrialCount: undefined }), s({ completed: 50, active: 3 })), 0);
});

test('a finished experiment restarts only for a higher maxTrialCount, after MaxTrialsReached, unless resumePolicy is Never', () => {
  const done = { conditions: [{ type: 'Succeeded' as const, status: 'True' as const, reason: 'ExperimentMaxTrialsReached' }] };
  const s = (completed: number) => ({ ...summarize(experiment(), []), completed });
  assert.equal(isRestartable(experiment({ maxTrialCount: 8 }, done), s(6)), true);
  assert.equal(isRestartable(experiment({ maxTrialCount: 6 }, done), s(6)), false);
  assert.equal(isRestartable(experiment({ maxTrialCount: 8, resumePolicy: 'Never' }, done), s(6)), false);
  const goal = { conditions: [{ type: 'Succeeded' as const, status: 'True' as const, reason: 'ExperimentGoalReached' }] };
  assert.equal(isRestartable(experiment({ maxTrialCount: 8 }, goal), s(6)), false);
});

test("the Suggestion lists one assignment per trial in creation order, is Running while the experiment runs and Succeeded after, keeping its first times", () => {
  const exp = experiment({}, { conditions: [{ type: 'Running', status: 'True' }] });
  const views = inCreationOrder([trial(exp, 1, 'Running'), trial(exp, 0, 'Succeeded', 0.5)]);
  const running = suggestionFor(exp, views, undefined, NOW);
  assert.deepEqual(running.status?.suggestions?.map((s) => s.parameterAssignments), [[{ name: 'lr', value: '0' }], [{ name: 'lr', value: '0.1' }]]);
  assert.deepEqual(running.status?.suggestions?.map((s) => s.name), views.map((v) => v.trial.metadata.name));
  assert.equal(running.spec.requests, 2);
  assert.equal(running.spec.resumePolicy, 'Never');
  assert.deepEqual(running.metadata.ownerReferences?.map((r) => [r.kind, r.uid]), [['Experiment', 'uid-1']]);
  assert.deepEqual(running.status?.conditions?.filter((c) => c.status === 'True').map((c) => c.type), ['Created', 'DeploymentReady', 'Running']);
  assert.equal(running.status?.completionTime, undefined);

  const later = '2026-01-01T00:05:00Z';
  const doneExp = experiment({}, { conditions: [{ type: 'Succeeded', status: 'True' }] });
  const done = suggestionFor(doneExp, views, running, later);
  assert.deepEqual(done.status?.conditions?.filter((c) => c.status === 'True').map((c) => c.type), ['Created', 'DeploymentReady', 'Succeeded']);
  assert.equal(done.status?.startTime, NOW);
  assert.equal(done.status?.completionTime, later);
  assert.equal(done.status?.conditions?.find((c) => c.type === 'Created')?.lastTransitionTime, NOW);
  assert.ok(suggestionChanged(running, done));
  assert.ok(!suggestionChanged(done, suggestionFor(doneExp, views, done, '2026-01-01T00:09:00Z')), 'only the reconcile time moved');
});
