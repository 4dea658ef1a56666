import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type FieldIssue, ValidationError } from '../../api/errors.js';
import type { Stored } from '../../api/types.js';
import { manifestLoader } from '../../registry.js';
import type { TrainJob } from '../training/trainjob.js';
import { planOptimization, trialJob } from './plan.js';
import { placeholders, render } from './render.js';
import { OPTIMIZATION_ANNOTATIONS, type OptimizationJob } from './types.js';

const loader = await manifestLoader();

function issuesOf(text: string): FieldIssue[] {
  try {
    loader.load(text, 'tune.yaml');
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    return err.issues;
  }
  return [];
}

const GOOD = `apiVersion: trainer.kubeflow.org/v1alpha1
kind: OptimizationJob
metadata:
  name: tune
spec:
  objectives:
  - metric: loss
    direction: minimize
  algorithm:
    name: tpe
    provider: optuna
    settings:
    - {name: random_state, value: "3"}
  parameters:
  - name: lr
    searchSpace: {type: double, min: "0.001", max: "0.1", distribution: logUniform}
  - name: nodes
    searchSpace: {type: int, min: "1", max: "2"}
  - name: opt
    searchSpace: {type: categorical, list: [sgd, adam]}
  trialConfig: {numTrials: 4, parallelTrials: 2, maxFailedTrials: 1}
  trainJobTemplate:
    metadata:
      labels: {team: ml}
    spec:
      runtimeRef: {name: torch-distributed}
      trainer:
        numNodes: 1
        command: [python3, train.py, "--lr={{ .lr }}", "--optimizer={{.opt}}", "--nodes={{.nodes}}"]
`;

test('an OptimizationJob as KEP-2605 writes it is accepted', () => {
  assert.deepEqual(issuesOf(GOOD), []);
});

test('an OptimizationJob is refused field by field with its line: bad enums, CEL rules, placeholders both ways, the rendered TrainJob', () => {
  const bad = GOOD
    .replace('direction: minimize', 'direction: lowest')
    .replace('name: tpe', 'name: hyperband')
    .replace('{type: int, min: "1", max: "2"}', '{type: int, min: "3", max: "2"}')
    .replace('parallelTrials: 2', 'parallelTrials: 5')
    .replace('"--optimizer={{.opt}}"', '"--optimizer={{.optimiser}}"');
  const issues = issuesOf(bad);
  const at = (path: string) => issues.find((i) => i.path === path);
  assert.match(at('spec.objectives[0].direction')?.message ?? '', /expected maximize or minimize, got "lowest"/);
  assert.equal(at('spec.objectives[0].direction')?.line, 8);
  assert.match(at('spec.algorithm.name')?.message ?? '', /unknown algorithm "hyperband": expected one of random, grid/);
  assert.match(issues.map((i) => i.message).join('\n'), /min .*max|max .*min/i);
  assert.match(at('spec.trialConfig.parallelTrials')?.message ?? '', /parallelTrials \(5\) must not exceed numTrials \(4\)/);
  assert.match(at('spec.trainJobTemplate.spec.trainer.command[3]')?.message ?? '', /\{\{\.optimiser\}\} names no parameter/);
  assert.match(at('spec.parameters[2].name')?.message ?? '', /parameter opt is not used in spec\.trainJobTemplate\.spec/);

  const unknown = issuesOf(GOOD.replace('  trialConfig:', '  earlyStopping: {name: medianstop}\n  trialConfig:'));
  assert.match(unknown.map((i) => `${i.path}: ${i.message}`).join('\n'), /spec\.earlyStopping: .*early stopping of trials is not run/);

  // The template renders to a TrainJob checked as any other: an unsupported TrainJob field by name.
  const rendered = issuesOf(GOOD.replace('      runtimeRef: {name: torch-distributed}', '      runtimeRef: {name: torch-distributed}\n      initializer: {dataset: {storageUri: "hf//x"}}'));
  assert.match(rendered.map((i) => `${i.path}: ${i.message}`).join('\n'), /spec\.trainJobTemplate\.spec\.initializer\.dataset\.storageUri: storageUri may be empty, or it must be a valid URI/);
});

test('placeholders are replaced per string field, values stay strings, and a value is never substituted again', () => {
  const tmpl = { trainer: { numNodes: 2, args: ['--lr={{.lr}}', '{{ .opt }}', '{{.unknown}}'], env: [{ name: 'N', value: '{{.n}}x' }] } };
  assert.deepEqual(render(tmpl, { lr: '0.5', n: '2', opt: '{{.lr}}' }), {
    trainer: { numNodes: 2, args: ['--lr=0.5', '{{.lr}}', '{{.unknown}}'], env: [{ name: 'N', value: '2x' }] },
  });
  assert.deepEqual([...placeholders(tmpl).keys()], ['lr', 'opt', 'unknown', 'n']);
});

function optJob(over: Partial<OptimizationJob['spec']> = {}): Stored<OptimizationJob> {
  return {
    apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'OptimizationJob',
    metadata: { name: 'tune', namespace: 'default', uid: 'u-1', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      objectives: [{ metric: 'loss', direction: 'minimize' }],
      algorithm: { name: 'random' },
      parameters: [{ name: 'x', searchSpace: { type: 'double', min: '0', max: '1' } }],
      trialConfig: { numTrials: 3, parallelTrials: 2, maxFailedTrials: 0 },
      trainJobTemplate: { spec: { runtimeRef: { name: 'rt' }, trainer: { args: ['{{.x}}'] } } },
      ...over,
    },
  } as Stored<OptimizationJob>;
}

function finished(t: TrainJob, type: 'Complete' | 'Failed', loss?: string): TrainJob {
  return {
    ...t,
    status: {
      conditions: [{ type, status: 'True', reason: type, message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      ...(loss ? { trainerStatus: { metrics: [{ name: 'loss', value: loss }], lastUpdatedTime: '2026-01-01T00:00:00Z' } } : {}),
    },
  };
}

test('a reconcile creates trials up to parallelTrials, reads each trial\'s pushed metric, keeps the best and ends after numTrials', () => {
  const job = optJob();
  const first = planOptimization(job, [], 0);
  assert.deepEqual(first.create.map((t) => t.metadata.name), ['tune-0', 'tune-1']);
  assert.equal(first.status?.phase, 'Running');
  const [t0, t1] = first.create as [TrainJob, TrainJob];
  assert.match(String(t0.spec.trainer?.args?.[0]), /^0\.\d+$/, 'the value is in the rendered args');
  assert.equal(t0.metadata.annotations?.[OPTIMIZATION_ANNOTATIONS.parameters], JSON.stringify({ x: t0.spec.trainer?.args?.[0] }));
  assert.equal(t0.metadata.ownerReferences?.[0]?.uid, 'u-1');
  // The same inputs give the same suggestion: a restart between deciding and creating is harmless.
  assert.deepEqual(planOptimization(job, [], 0).create, first.create);

  const second = planOptimization(job, [finished(t0, 'Complete', '0.3'), t1], 1000);
  assert.deepEqual(second.create.map((t) => t.metadata.name), ['tune-2'], 'one slot free, and numTrials leaves one more');
  assert.deepEqual(second.status?.bestTrial, { name: 'tune-0', value: '0.3', parameters: [{ name: 'x', value: String(t0.spec.trainer?.args?.[0]) }] });

  const t2 = second.create[0]!;
  const last = planOptimization(job, [finished(t0, 'Complete', '0.3'), finished(t1, 'Complete', '0.1'), finished(t2, 'Complete')], 2000);
  assert.equal(last.create.length, 0);
  assert.equal(last.status?.phase, 'Succeeded');
  assert.equal(last.status?.bestTrial?.name, 'tune-1', 'minimize: the lower loss');
  assert.equal(last.status?.succeeded, 3);
  assert.match(last.status?.conditions?.find((c) => c.type === 'Succeeded')?.message ?? '', /all 3 trials finished; the best, tune-1, reached loss=0\.1/);
});

test('more failed trials than maxFailedTrials fail the job and stop the trials still running', () => {
  const job = optJob();
  const [t0, t1] = planOptimization(job, [], 0).create as [TrainJob, TrainJob];
  const plan = planOptimization(job, [finished(t0, 'Failed'), t1], 1000);
  assert.equal(plan.status?.phase, 'Failed');
  assert.equal(plan.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'MaxFailedTrialsReached');
  assert.deepEqual(plan.stop, ['tune-1']);
  assert.equal(plan.create.length, 0);
});

test('grid search ends when its points are used up, before numTrials', () => {
  const job = optJob({ algorithm: { name: 'grid' }, parameters: [{ name: 'x', searchSpace: { type: 'categorical', list: ['a', 'b'] } }], trialConfig: { numTrials: 5, parallelTrials: 5 } });
  const first = planOptimization(job, [], 0);
  assert.deepEqual(first.create.map((t) => t.spec.trainer?.args?.[0]).sort(), ['a', 'b']);
  const done = planOptimization(job, first.create.map((t) => finished(t, 'Complete', '1')), 1000);
  assert.equal(done.status?.phase, 'Succeeded');
  assert.equal(done.status?.conditions?.find((c) => c.type === 'Succeeded')?.reason, 'SearchSpaceExhausted');
});

test('a trial carries the job\'s manifest directory, so `python train.py` finds its file', () => {
  const job = optJob();
  job.metadata.annotations = { 'drover.dev/source-dir': '/work/tune' };
  assert.equal(trialJob(job, 0, { x: '0.5' }).metadata.annotations?.['drover.dev/source-dir'], '/work/tune');
});
