import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Stored } from '../../api/types.js';
import { type FieldIssue, ValidationError } from '../../api/errors.js';
import { manifestLoader } from '../../registry.js';
import { type TrainJob, type TrainingRuntime, planTrainJob } from './trainjob.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const runtime: TrainingRuntime = {
  apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'ClusterTrainingRuntime', metadata: { name: 'torch-distributed' },
  spec: {
    mlPolicy: { numNodes: 1, torch: { numProcPerNode: 'auto' } },
    template: { spec: { replicatedJobs: [{ name: 'node', template: { metadata: { labels: { 'trainer.kubeflow.org/trainjob-ancestor-step': 'trainer' } }, spec: { template: { spec: { containers: [{ name: 'node', image: 'rt', command: ['echo'], env: [{ name: 'A', value: 'runtime' }] }] } } } } }] } },
  },
};
const trainJob = (extra: Partial<TrainJob['spec']> = {}): TrainJob => ({
  apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name: 'tj', namespace: 'ns', uid: 'u' },
  spec: { runtimeRef: { name: 'torch-distributed' }, trainer: { numNodes: 2, image: 'mine', command: ['torchrun', 'train.py'], env: [{ name: 'A', value: 'job' }] }, ...extra },
});
const phase = (pods: Stored<Pod>[], p: (n: string) => string) => pods.map((x) => ({ ...x, status: { phase: p(x.metadata.name!) } }) as Stored<Pod>);

test('a TrainJob on a torch runtime: nodes <job>-node-0-<i> with the trainer over the node container and the PET_ variables', () => {
  const plan = planTrainJob({ job: trainJob(), runtime, pods: [], services: [], servicesServed: true, now: T0 });
  assert.deepEqual(plan.create.map((p) => p.metadata.name), ['tj-node-0-0', 'tj-node-0-1']);
  const pod = plan.create[1]!;
  const c = pod.spec!.containers[0]!;
  assert.equal(c.image, 'mine');
  assert.deepEqual(c.command, ['torchrun', 'train.py']);
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
  assert.deepEqual(env, {
    A: 'job', PET_NNODES: '2', PET_NPROC_PER_NODE: '1', PET_NODE_RANK: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    PET_MASTER_ADDR: 'tj-node-0-0.tj', PET_MASTER_PORT: '29500',
  });
  assert.equal(pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index'], '1');
  assert.equal(pod.spec?.hostname, 'tj-node-0-1');
  assert.equal(pod.spec?.subdomain, 'tj');
  assert.equal(pod.spec?.restartPolicy, 'OnFailure');
  assert.equal(pod.metadata.labels?.['trainer.kubeflow.org/trainjob-ancestor-step'], 'trainer');
  assert.deepEqual((plan.services[0] as { metadata: { name: string }; spec: { clusterIP: string } }).spec.clusterIP, 'None');
  assert.equal(plan.status?.conditions?.[0]?.reason, 'JobsCreationSucceeded');
});

test('complete when every node succeeded, failed when one failed (its running peers stopped); suspend deletes the nodes', () => {
  const first = planTrainJob({ job: trainJob(), runtime, pods: [], services: [], servicesServed: false, now: T0 });
  const job = { ...trainJob(), status: first.status! };
  const done = planTrainJob({ job, runtime, pods: phase(first.create, () => 'Succeeded'), services: [], servicesServed: false, now: T0 + 1000 });
  assert.deepEqual(done.status?.conditions?.find((c) => c.type === 'Complete'), { type: 'Complete', status: 'True', reason: 'AllJobsCompleted', message: 'jobset completed successfully', lastTransitionTime: '2026-01-01T00:00:01Z' });
  const failed = planTrainJob({ job, runtime, pods: phase(first.create, (n) => (n.endsWith('-1') ? 'Failed' : 'Running')), services: [], servicesServed: false, now: T0 + 1000 });
  assert.equal(failed.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'FailedJobs');
  assert.deepEqual(failed.deletePods, ['tj-node-0-0']);
  const suspended = planTrainJob({ job: { ...job, spec: { ...job.spec, suspend: true } }, runtime, pods: phase(first.create, () => 'Running'), services: [], servicesServed: false, now: T0 });
  assert.deepEqual(suspended.deletePods, ['tj-node-0-0', 'tj-node-0-1']);
  assert.equal(suspended.status?.conditions?.find((c) => c.type === 'Suspended')?.status, 'True');
  assert.equal(planTrainJob({ job, runtime: undefined, pods: [], services: [], servicesServed: false, now: T0 }).events[0]?.reason, 'TrainingRuntimeNotFound');
});

const loader = await manifestLoader();
function issues(text: string): FieldIssue[] {
  try {
    loader.load(text, 'tj.yaml');
  } catch (err) {
    assert.ok(err instanceof ValidationError);
    return err.issues;
  }
  return [];
}

test('TrainJob and runtime validation: file:line for the runtime reference, initializer URIs, policies, replicated jobs', () => {
  const tj = issues(`apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: tj}
spec:
  runtimeRef: {name: torch-distributed, kind: Runtime}
  initializer: {dataset: {storageUri: hf//x}}
  trainer: {numNodes: 0}
`).map((i) => `${i.line}: ${i.message}`).join('\n');
  assert.match(tj, /5: expected one of "ClusterTrainingRuntime", "TrainingRuntime", got string "Runtime"/);
  assert.match(tj, /6: storageUri may be empty, or it must be a valid URI \(scheme:\/\/\.\.\.\), got "hf\/\/x"/);
  assert.match(tj, /7: must be at least 1, got 0/);
  const rt = issues(`apiVersion: trainer.kubeflow.org/v1alpha1
kind: ClusterTrainingRuntime
metadata: {name: mpi}
spec:
  mlPolicy: {mpi: {numProcPerNode: 2}, jax: {}, flux: {numProcPerNode: 1}}
  template:
    spec:
      replicatedJobs:
      - name: evaluator
        template: {spec: {template: {spec: {containers: [{name: l, image: x, stdin: true}]}}}}
`).map((i) => `${i.line}: ${i.message}`).join('\n');
  assert.match(rt, /5: field spec\.mlPolicy\.flux is not supported by Drover yet \(Flux runtimes/);
  assert.match(rt, /5: Only one of the policy can be configured, got mpi, jax, flux/);
  assert.match(rt, /a replicated job named "node" \(the trainer\) is required/);
  assert.match(rt, /an MPI runtime needs a replicated job named "launcher"/);
  assert.match(rt, /9: replicated job "evaluator" is not supported by Drover yet \(it runs "node", "dataset-initializer" and "model-initializer", and "launcher" under MPI\)/);
  assert.match(rt, /10: field spec\.template\.spec\.replicatedJobs\[0\]\.template\.spec\.template\.spec\.containers\[0\]\.stdin is not supported/);
});

test('activeDeadlineSeconds: counted from creation (or the last resume); the job is woken at the deadline, then Failed/DeadlineExceeded with its pods deleted', () => {
  const job = trainJob({ activeDeadlineSeconds: 10 });
  job.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
  const early = planTrainJob({ job, runtime, pods: [], services: [], servicesServed: false, now: T0 + 4000 });
  assert.equal(early.create.length, 2);
  assert.equal(early.requeueAfterMs, 6000);
  const late = planTrainJob({ job: { ...job, status: early.status! }, runtime, pods: phase(early.create, () => 'Running'), services: [], servicesServed: false, now: T0 + 10_000 });
  assert.deepEqual(late.status?.conditions?.find((c) => c.type === 'Failed'), { type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'TrainJob exceeded its active deadline', lastTransitionTime: '2026-01-01T00:00:10Z' });
  assert.deepEqual(late.deletePods, ['tj-node-0-0', 'tj-node-0-1']);
  // A resume restarts the clock.
  const resumed = { ...job, status: { conditions: [{ type: 'Suspended', status: 'False' as const, reason: 'Resumed', message: 'TrainJob is resumed', lastTransitionTime: '2026-01-01T00:00:08Z' }] } };
  assert.equal(planTrainJob({ job: resumed, runtime, pods: [], services: [], servicesServed: false, now: T0 + 10_000 }).requeueAfterMs, 8000);
});
