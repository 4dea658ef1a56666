import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Stored } from '../../api/types.js';
import { applyDefaults } from './admission.js';
import { replicaEnv, tfCluster } from './env.js';
import { planJob, setCondition, type Plan } from './plan.js';
import { type Framework, type TrainingJob, JAX, PADDLE, PYTORCH, TENSORFLOW, XGBOOST } from './types.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function job(fw: Framework, specs: Record<string, unknown>, extra: Record<string, unknown> = {}): TrainingJob {
  const j = {
    apiVersion: 'kubeflow.org/v1',
    kind: fw.kind,
    metadata: { name: 'j', namespace: 'ns', uid: 'u1' },
    spec: { [fw.specsField]: specs, ...extra },
  } as TrainingJob;
  applyDefaults(fw, j);
  return j;
}

const replica = (n?: number, restartPolicy?: string, container = 'pytorch') => ({
  ...(n !== undefined ? { replicas: n } : {}),
  ...(restartPolicy ? { restartPolicy } : {}),
  template: { spec: { containers: [{ name: container, image: 'x' }] } },
});

/** The pods a plan made, in a phase, as the runtime would report them. */
function withPhase(pods: Stored<Pod>[], phase: (name: string) => { phase: string; exitCode?: number; restarts?: number } | undefined): Stored<Pod>[] {
  return pods.map((p) => {
    const s = phase(p.metadata.name!);
    if (!s) return p;
    const state = s.exitCode !== undefined ? { terminated: { exitCode: s.exitCode } } : { running: {} };
    return { ...p, status: { phase: s.phase, containerStatuses: [{ name: 'pytorch', restartCount: s.restarts ?? 0, state }] } } as Stored<Pod>;
  });
}

function step(fw: Framework, j: TrainingJob, pods: Stored<Pod>[], now: number, services: string[] = []): { plan: Plan; job: TrainingJob } {
  const plan = planJob({ fw, job: j, pods, services, servicesServed: true, now });
  return { plan, job: plan.status ? { ...j, status: plan.status } : j };
}

test('the first reconcile makes every replica as upstream names it, with its Service, gang annotations and Created', () => {
  const j = job(PYTORCH, { Master: replica(1), Worker: replica(2) });
  const { plan, job: after } = step(PYTORCH, j, [], T0);
  assert.deepEqual(plan.create.map((p) => p.metadata.name), ['j-master-0', 'j-worker-0', 'j-worker-1']);
  assert.deepEqual(plan.services.map((s) => (s as { metadata: { name: string } }).metadata.name), ['j-master-0', 'j-worker-0', 'j-worker-1']);
  const svc = plan.services[1] as { spec: { clusterIP: string; selector: Record<string, string>; ports: { port: number }[] } };
  assert.equal(svc.spec.clusterIP, 'None');
  assert.equal(svc.spec.selector['training.kubeflow.org/replica-index'], '0');
  assert.equal(svc.spec.ports[0]!.port, 23456);
  const w1 = plan.create[2]!;
  assert.equal(w1.metadata.annotations?.['scheduling.k8s.io/group-name'], 'j');
  assert.equal(w1.metadata.annotations?.['drover.dev/pod-group-min-member'], '3');
  assert.equal(w1.spec?.restartPolicy, 'OnFailure');
  assert.equal(plan.create[0]!.metadata.labels?.['training.kubeflow.org/job-role'], 'master');
  assert.equal(after.status?.conditions?.[0]?.reason, 'PyTorchJobCreated');
  assert.equal(after.status?.conditions?.[0]?.message, 'PyTorchJob j is created.');
  assert.equal(after.status?.startTime, '2026-01-01T00:00:00Z');
});

test('PyTorch environment: master variables, WORLD_SIZE × nprocPerNode, RANK master 0 / worker i+1, PET_NNODES', () => {
  const j = job(PYTORCH, { Master: replica(1), Worker: replica(3) }, { nprocPerNode: '2' });
  const env = Object.fromEntries(replicaEnv(PYTORCH, j, 'Worker', 2).get('*')!.map((e) => [e.name, e.value]));
  assert.deepEqual(env, {
    PYTHONUNBUFFERED: '0', MASTER_PORT: '23456', MASTER_ADDR: 'j-master-0', PET_MASTER_PORT: '23456', PET_MASTER_ADDR: 'j-master-0',
    WORLD_SIZE: '8', RANK: '3', PET_NPROC_PER_NODE: '2', PET_NODE_RANK: '3', PET_NNODES: '4',
  });
});

test('PyTorch elasticPolicy: the rendezvous at worker 0 and PET_NNODES as min:max (defaults from the workers)', () => {
  const j = job(PYTORCH, { Worker: replica(2) }, { elasticPolicy: { maxRestarts: 3, rdzvId: 'r' } });
  assert.deepEqual(j.spec.elasticPolicy, { maxRestarts: 3, rdzvId: 'r', minReplicas: 2, maxReplicas: 2 });
  const env = Object.fromEntries(replicaEnv(PYTORCH, j, 'Worker', 1).get('*')!.map((e) => [e.name, e.value]));
  assert.equal(env['PET_RDZV_ENDPOINT'], 'j-worker-0:23456');
  assert.equal(env['PET_RDZV_BACKEND'], 'c10d');
  assert.equal(env['PET_NNODES'], '2:2');
  assert.equal(env['PET_MAX_RESTARTS'], '3');
  assert.equal(env['MASTER_ADDR'], undefined, 'no master, no MASTER_ADDR');
});

test('TF_CONFIG: evaluators stay out of the cluster; types in key order; one replica alone gets none', () => {
  const j = job(TENSORFLOW, { Worker: replica(2, undefined, 'tensorflow'), Chief: replica(1, undefined, 'tensorflow'), Evaluator: replica(1, undefined, 'tensorflow') });
  assert.deepEqual(Object.keys(tfCluster(j)), ['chief', 'worker']);
  const config = JSON.parse(replicaEnv(TENSORFLOW, j, 'Chief', 0).get('tensorflow')![0]!.value!) as { task: unknown };
  assert.deepEqual(config.task, { type: 'chief', index: 0 });
  assert.equal(replicaEnv(TENSORFLOW, job(TENSORFLOW, { Worker: replica(1, undefined, 'tensorflow') }), 'Worker', 0).size, 0);
  // On a cluster every Drover namespace lives in one: the addresses name the namespace pods resolve in.
  assert.deepEqual(tfCluster(j, 'ml-team')['worker'], ['j-worker-0.ml-team.svc:2222', 'j-worker-1.ml-team.svc:2222']);
  assert.equal(j.spec[TENSORFLOW.specsField] && (j.spec.tfReplicaSpecs as Record<string, { restartPolicy: string }>)['Worker']!.restartPolicy, 'Never');
});

test('running, then the master succeeds: Succeeded with completionTime; Running turns False; cleanPodPolicy None keeps the workers', () => {
  let j = job(PYTORCH, { Master: replica(1), Worker: replica(2) });
  const first = step(PYTORCH, j, [], T0);
  j = first.job;
  const running = withPhase(first.plan.create, () => ({ phase: 'Running' }));
  const r = step(PYTORCH, j, running, T0 + 1000);
  assert.equal(r.job.status?.conditions?.find((c) => c.type === 'Running')?.reason, 'PyTorchJobRunning');
  assert.deepEqual(r.job.status?.replicaStatuses?.['Worker'], { active: 2, succeeded: 0, failed: 0, selector: 'training.kubeflow.org/job-name=j,training.kubeflow.org/operator-name=pytorchjob-controller,training.kubeflow.org/replica-type=worker' });
  const done = step(PYTORCH, r.job, withPhase(running, (n) => (n === 'j-master-0' ? { phase: 'Succeeded', exitCode: 0 } : undefined)), T0 + 5000);
  const cond = done.job.status!.conditions!;
  assert.equal(cond.find((c) => c.type === 'Succeeded')?.message, 'PyTorchJob ns/j successfully completed.');
  assert.equal(cond.find((c) => c.type === 'Running')?.status, 'False');
  assert.equal(done.job.status?.completionTime, '2026-01-01T00:00:05Z');
  assert.deepEqual(done.plan.deletePods, []);
  // As upstream, the workers still running at success count as succeeded.
  assert.deepEqual([done.job.status?.replicaStatuses?.['Worker']?.active, done.job.status?.replicaStatuses?.['Worker']?.succeeded], [0, 2]);
});

test('cleanPodPolicy Running deletes the still-running replicas and their Services at the end; All deletes every one', () => {
  for (const [policy, expected] of [['Running', ['j-worker-0']], ['All', ['j-master-0', 'j-worker-0']]] as const) {
    let j = job(PYTORCH, { Master: replica(1), Worker: replica(1) }, { runPolicy: { cleanPodPolicy: policy } });
    const first = step(PYTORCH, j, [], T0);
    j = first.job;
    const pods = withPhase(first.plan.create, (n) => (n === 'j-master-0' ? { phase: 'Succeeded', exitCode: 0 } : { phase: 'Running' }));
    const done = step(PYTORCH, j, pods, T0 + 1000, ['j-master-0', 'j-worker-0']);
    assert.deepEqual([...done.plan.deletePods].sort(), expected);
    assert.deepEqual([...done.plan.deleteServices].sort(), expected);
  }
});

test('restartPolicy ExitCode: 137 re-creates the replica and says Restarting; 1 fails the job', () => {
  let j = job(PYTORCH, { Master: replica(1, 'ExitCode'), Worker: replica(1, 'ExitCode') });
  const first = step(PYTORCH, j, [], T0);
  j = first.job;
  const killed = withPhase(first.plan.create, (n) => (n === 'j-worker-0' ? { phase: 'Failed', exitCode: 137 } : { phase: 'Running' }));
  const r = step(PYTORCH, j, killed, T0 + 1000);
  assert.deepEqual(r.plan.deletePods, ['j-worker-0']);
  assert.equal(r.job.status?.conditions?.find((c) => c.type === 'Restarting')?.reason, 'PyTorchJobRestarting');
  assert.equal(r.job.status?.conditions?.find((c) => c.type === 'Running'), undefined, 'Restarting replaces Running');
  assert.equal(first.plan.create[1]!.spec?.restartPolicy, 'Never', 'the controller, not the kubelet, decides ExitCode');
  const failed = step(PYTORCH, j, withPhase(first.plan.create, (n) => (n === 'j-worker-0' ? { phase: 'Failed', exitCode: 1 } : { phase: 'Running' })), T0 + 1000);
  assert.equal(failed.job.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'PyTorchJobFailed');
  assert.match(failed.job.status!.conditions!.find((c) => c.type === 'Failed')!.message!, /Worker replica exited with code 1/);
  assert.deepEqual(failed.plan.create, []);
});

test('backoffLimit counts in-place restarts of OnFailure replicas; activeDeadlineSeconds runs from startTime', () => {
  let j = job(PYTORCH, { Master: replica(1), Worker: replica(1) }, { runPolicy: { backoffLimit: 3, activeDeadlineSeconds: 60 } });
  const first = step(PYTORCH, j, [], T0);
  j = first.job;
  assert.equal(first.plan.requeueAfterMs, 60_000);
  const two = step(PYTORCH, j, withPhase(first.plan.create, () => ({ phase: 'Running', restarts: 1 })), T0 + 1000);
  assert.equal(two.job.status?.conditions?.some((c) => c.type === 'Failed'), false);
  const three = step(PYTORCH, j, withPhase(first.plan.create, (n) => ({ phase: 'Running', restarts: n === 'j-worker-0' ? 2 : 1 })), T0 + 1000);
  assert.equal(three.job.status?.conditions?.find((c) => c.type === 'Failed')?.message, 'Job j has failed because it has reached the specified backoff limit');
  const late = step(PYTORCH, j, withPhase(first.plan.create, () => ({ phase: 'Running' })), T0 + 60_000);
  assert.equal(late.job.status?.conditions?.find((c) => c.type === 'Failed')?.message, 'Job j has failed because it was active longer than specified deadline');
});

test('TFJob success: worker 0 by default, every worker with successPolicy AllWorkers', () => {
  for (const [policy, expectDone] of [[undefined, true], ['AllWorkers', false]] as const) {
    let j = job(TENSORFLOW, { Worker: replica(2, undefined, 'tensorflow') }, policy ? { successPolicy: policy } : {});
    const first = step(TENSORFLOW, j, [], T0);
    j = first.job;
    const pods = withPhase(first.plan.create, (n) => (n === 'tf-worker-0' || n === 'j-worker-0' ? { phase: 'Succeeded', exitCode: 0 } : { phase: 'Running' }));
    const r = step(TENSORFLOW, j, pods, T0 + 1000);
    assert.equal(r.job.status?.conditions?.some((c) => c.type === 'Succeeded' && c.status === 'True'), expectDone, `successPolicy ${policy}`);
  }
});

test('ttlSecondsAfterFinished: the job is deleted when its time is up, looked at again until then', () => {
  let j = job(PYTORCH, { Master: replica(1) }, { runPolicy: { ttlSecondsAfterFinished: 30 } });
  const first = step(PYTORCH, j, [], T0);
  j = first.job;
  const done = step(PYTORCH, j, withPhase(first.plan.create, () => ({ phase: 'Succeeded', exitCode: 0 })), T0 + 1000);
  assert.equal(done.plan.requeueAfterMs, 30_000);
  assert.equal(step(PYTORCH, done.job, [], T0 + 31_000).plan.deleteJob, true);
});

test('suspend deletes the replicas and says Suspended; resuming says Resumed and makes them again', () => {
  let j = job(PYTORCH, { Master: replica(1) });
  const first = step(PYTORCH, j, [], T0);
  j = first.job;
  const running = withPhase(first.plan.create, () => ({ phase: 'Running' }));
  const s = step(PYTORCH, { ...j, spec: { ...j.spec, runPolicy: { ...j.spec.runPolicy, suspend: true } } }, running, T0 + 1000, ['j-master-0']);
  assert.deepEqual(s.plan.deletePods, ['j-master-0']);
  assert.deepEqual(s.plan.deleteServices, ['j-master-0']);
  assert.equal(s.job.status?.conditions?.find((c) => c.type === 'Suspended')?.reason, 'PyTorchJobSuspended');
  const resumed = step(PYTORCH, { ...s.job, spec: j.spec }, [], T0 + 2000);
  assert.equal(resumed.job.status?.conditions?.find((c) => c.type === 'Suspended')?.status, 'False');
  assert.equal(resumed.job.status?.conditions?.find((c) => c.type === 'Suspended')?.reason, 'PyTorchJobResumed');
  assert.deepEqual(resumed.plan.create.map((p) => p.metadata.name), ['j-master-0']);
});

test('setCondition keeps the transition time while the status holds and turns Running False at the end', () => {
  const a = setCondition(undefined, { type: 'Running', status: 'True', reason: 'R', message: 'm' }, T0);
  assert.equal(setCondition(a, { type: 'Running', status: 'True', reason: 'R', message: 'm' }, T0 + 5000), a);
  const b = setCondition(a, { type: 'Succeeded', status: 'True', reason: 'S', message: 'done' }, T0 + 9000);
  assert.deepEqual(b.map((c) => [c.type, c.status]), [['Running', 'False'], ['Succeeded', 'True']]);
});

test('XGBoost: master address and port, RANK after the master, WORKER_ADDRS; JAX: worker 0 coordinates, PROCESS_ID', () => {
  const x = job(XGBOOST, { Master: replica(1, undefined, 'xgboost'), Worker: replica(2, undefined, 'xgboost') });
  const xenv = Object.fromEntries(replicaEnv(XGBOOST, x, 'Worker', 1).get('*')!.map((e) => [e.name, e.value]));
  assert.deepEqual(xenv, { MASTER_PORT: '9999', MASTER_ADDR: 'j-master-0', WORLD_SIZE: '3', RANK: '2', PYTHONUNBUFFERED: '0', WORKER_PORT: '9999', WORKER_ADDRS: 'j-worker-0,j-worker-1' });
  const jx = job(JAX, { worker: replica(2, undefined, 'jax') });
  const jenv = Object.fromEntries(replicaEnv(JAX, jx, 'Worker', 1).get('*')!.map((e) => [e.name, e.value]));
  assert.deepEqual(jenv, { PYTHONUNBUFFERED: '1', COORDINATOR_PORT: '6666', COORDINATOR_ADDRESS: 'j-worker-0', NUM_PROCESSES: '2', PROCESS_ID: '1' });
  // JAX's master role is index 0; success is every worker.
  const first = step(JAX, jx, [], T0);
  assert.equal(first.plan.create[0]!.metadata.labels?.['training.kubeflow.org/job-role'], 'master');
  const half = step(JAX, first.job, withPhase(first.plan.create, (n) => (n === 'j-worker-0' ? { phase: 'Succeeded', exitCode: 0 } : { phase: 'Running' })), T0 + 1000);
  assert.equal(half.job.status?.conditions?.some((c) => c.type === 'Succeeded'), false);
});

test('PaddleJob: collective mode rendezvous at worker 0 (its own pod IP there), parameter-server mode at master 0 with server/trainer counts', () => {
  const names = (env: { name: string; value?: string; valueFrom?: unknown }[] | undefined) => (env ?? []).map((e) => (e.valueFrom ? `${e.name}<-${JSON.stringify(e.valueFrom)}` : `${e.name}=${e.value}`));
  const collective = job(PADDLE, { Worker: replica(3, undefined, 'paddle') });
  assert.equal(collective.spec.paddleReplicaSpecs && (collective.spec.paddleReplicaSpecs as Record<string, { restartPolicy: string }>)['Worker']!.restartPolicy, 'OnFailure');
  assert.deepEqual(names(replicaEnv(PADDLE, collective, 'Worker', 0).get('*')), [
    'PYTHONUNBUFFERED=1', 'PADDLE_JOB_ID=j', 'PADDLE_NNODES=3',
    'POD_IP_DUMMY<-{"fieldRef":{"fieldPath":"status.podIP"}}', 'PADDLE_MASTER=$(POD_IP_DUMMY):36543',
  ]);
  assert.deepEqual(names(replicaEnv(PADDLE, collective, 'Worker', 2).get('*')), ['PYTHONUNBUFFERED=1', 'PADDLE_JOB_ID=j', 'PADDLE_NNODES=3', 'PADDLE_MASTER=j-worker-0:36543']);
  const ps = job(PADDLE, { Master: replica(2, undefined, 'paddle'), Worker: replica(2, undefined, 'paddle') });
  assert.deepEqual(names(replicaEnv(PADDLE, ps, 'Master', 1).get('*')), ['PYTHONUNBUFFERED=1', 'PADDLE_JOB_ID=j', 'PADDLE_NNODES=4', 'PADDLE_MASTER=j-master-0:36543', 'PADDLE_SERVER_NUM=1']);
  assert.deepEqual(names(replicaEnv(PADDLE, ps, 'Worker', 0).get('*')), ['PYTHONUNBUFFERED=1', 'PADDLE_JOB_ID=j', 'PADDLE_NNODES=4', 'PADDLE_MASTER=j-master-0:36543', 'PADDLE_TRAINER_NUM=1']);
  assert.match(names(replicaEnv(PADDLE, ps, 'Master', 0).get('*')).join(' '), /PADDLE_MASTER=\$\(POD_IP_DUMMY\):36543 PADDLE_SERVER_NUM=1/);
  // The named port `master` is the default container's, and the masters are the job's master role.
  const plan = planJob({ fw: PADDLE, job: ps, pods: [], services: [], servicesServed: true, now: T0 });
  const m0 = plan.create.find((p) => p.metadata.name === 'j-master-0')!;
  assert.deepEqual(m0.spec?.containers[0]?.ports, [{ name: 'master', containerPort: 36543 }]);
  assert.equal(m0.metadata.labels?.['training.kubeflow.org/job-role'], 'master');
  assert.equal(m0.metadata.labels?.['training.kubeflow.org/operator-name'], 'paddlejob-controller');
});
