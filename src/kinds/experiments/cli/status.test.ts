import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../api/types.js';
import { judge, parseWaitFor, progressState } from '../../../cli/conditions.js';
import { experimentProgress, asExperiment, metricValue, observedObjective, strategyFor, trialCounts } from './status.js';
import { cond, failedExperiment, MAXIMIZE, metric, MINIMIZE, runningExperiment, succeededExperiment, trial } from './testing.js';

test('ranking values follow the metric strategy, and fall back to latest when unavailable', () => {
  assert.equal(strategyFor(MAXIMIZE, 'accuracy'), 'max');
  assert.equal(strategyFor(MINIMIZE, 'loss'), 'min');
  assert.equal(strategyFor(MINIMIZE, 'recall'), 'min', 'other metrics default to the direction too');
  assert.equal(strategyFor(MAXIMIZE, 'loss'), 'latest', 'as listed');
  assert.equal(strategyFor(undefined, 'loss'), 'latest');
  assert.equal(strategyFor({ ...MINIMIZE, metricStrategies: [{ name: 'loss', value: 'latest' }] }, 'loss'), 'latest');
  const m = metric('loss', '0.2', '0.9', '0.3');
  assert.equal(metricValue(m, 'min'), 0.2);
  assert.equal(metricValue(m, 'max'), 0.9);
  assert.equal(metricValue(m, 'latest'), 0.3);
  assert.equal(metricValue(metric('loss', 'unavailable', 'unavailable', '0.3'), 'min'), 0.3);
  assert.equal(metricValue(metric('loss', 'unavailable', 'unavailable', 'unavailable'), 'min'), undefined);
  assert.equal(metricValue(metric('loss', 'unavailable', 'unavailable', 'text'), 'max'), undefined);
  assert.equal(observedObjective({ metrics: [m] }, MINIMIZE), 0.2);
  assert.equal(observedObjective({ metrics: [metric('loss', 'unavailable', 'unavailable', '0.3')] }, MINIMIZE), 0.3);
  assert.equal(observedObjective({ metrics: [m] }, MAXIMIZE), undefined, 'another metric');
  assert.equal(observedObjective(undefined, MINIMIZE), undefined);
  assert.equal(observedObjective({ metrics: [m] }, undefined), undefined);
});

test('done counts every ended trial: succeeded, failed, killed, early stopped, without metrics', () => {
  const exp = asExperiment(runningExperiment());
  exp.status = { trialsSucceeded: 3, trialsFailed: 1, trialsKilled: 1, trialsEarlyStopped: 2, trialMetricsUnavailable: 1, trialsRunning: 2, trialsPending: 1 };
  assert.equal(trialCounts(exp).done, 8);
  assert.equal(trialCounts(exp).total, 11);
  assert.equal(experimentProgress(exp), '8/12 trials done (2 running, 1 pending), no best trial yet');
});

test('wait progress: trials done of the maximum, running, and the best so far', () => {
  assert.equal(progressState(runningExperiment()), '7/12 trials done (2 running, 1 pending), best accuracy=0.9312 (tune-ab12cd34)');
  const exp = runningExperiment();
  const status = exp['status'] as { trialsPending: number };
  status.trialsPending = 0;
  delete (exp['spec'] as { maxTrialCount?: number }).maxTrialCount;
  assert.equal(progressState(exp), '7 trials done (2 running), best accuracy=0.9312 (tune-ab12cd34)');
  assert.equal(progressState(succeededExperiment()), 'Succeeded, 12/12 trials done (0 running), best loss=0.2145 (sweep-9f8e7d6c)');
  const fresh = runningExperiment();
  delete fresh['status'];
  assert.equal(progressState(fresh), '0/12 trials done (0 running), no best trial yet');
  assert.equal(progressState(trial('t', 'lr=1', { phase: 'Running', metrics: [metric('accuracy', '0.5', '0.7', '0.6')] })), 'Running, accuracy=0.7');
  assert.equal(progressState(trial('t', 'lr=1', { phase: 'Pending' })), 'Pending');
});

test('wait --for=condition=Succeeded: met, still running, or failed at once with the reason', () => {
  const succeeded = parseWaitFor('condition=Succeeded');
  assert.deepEqual(judge(succeededExperiment(), succeeded), { state: 'met' });
  assert.deepEqual(judge(runningExperiment(), succeeded), { state: 'pending' });
  assert.deepEqual(judge(failedExperiment(), succeeded), {
    state: 'failed', message: 'failed: ExperimentFailed: Experiment has failed because max failed count has reached',
  });
  // Waiting for failure, or for Running, on a finished experiment ends too.
  assert.deepEqual(judge(succeededExperiment(), parseWaitFor('condition=Failed')), {
    state: 'failed', message: 'succeeded (ExperimentMaxTrialsReached: Experiment has succeeded because max trial count has reached), so it will never fail',
  });
  assert.equal(judge(failedExperiment(), parseWaitFor('condition=running')).state, 'failed');
  assert.deepEqual(judge(failedExperiment(), parseWaitFor('condition=Failed')), { state: 'met' });
  // Conditions still true, explicit =False waits and unknown types are only compared.
  assert.deepEqual(judge(succeededExperiment(), parseWaitFor('condition=Created')), { state: 'met' });
  assert.deepEqual(judge(succeededExperiment(), parseWaitFor('condition=Running=False')), { state: 'met' });
  assert.deepEqual(judge(failedExperiment(), parseWaitFor('condition=Ready')), { state: 'pending' });
});

test('a succeeded experiment that may restart is still waited on for Failed', () => {
  const exp = succeededExperiment();
  delete (exp['spec'] as { resumePolicy?: string }).resumePolicy;
  // Ended by maxTrialCount under LongRunning (the default): raising the count restarts it.
  assert.deepEqual(judge(exp, parseWaitFor('condition=Failed')), { state: 'pending' });
  // Reaching the goal ends it for good whatever the policy.
  const conds = (exp['status'] as { conditions: { type: string; reason: string }[] }).conditions;
  conds.find((c) => c.type === 'Succeeded')!.reason = 'ExperimentGoalReached';
  assert.equal(judge(exp, parseWaitFor('condition=Failed')).state, 'failed');
});

test('trials: an ended trial stops a wait for another end', () => {
  const failed = trial('tune-dddd', 'lr=0.09', { phase: 'Failed' });
  assert.deepEqual(judge(failed, parseWaitFor('condition=Succeeded')), { state: 'failed', message: 'failed: TrialFailed: Trial has failed. Job message: exit code 1' });
  assert.deepEqual(judge(trial('t', 'lr=1', { phase: 'Running' }), parseWaitFor('condition=Succeeded')), { state: 'pending' });
  const stopped: KubeObject = trial('t', 'lr=1', { phase: 'Running' });
  (stopped['status'] as { conditions: unknown[] }).conditions.push(cond('EarlyStopped', 'True', 'TrialEarlyStopped', 'Trial is early stopped'));
  assert.deepEqual(judge(stopped, parseWaitFor('condition=Succeeded')), {
    state: 'failed', message: 'ended EarlyStopped (TrialEarlyStopped: Trial is early stopped), so it will never be Succeeded',
  });
});
