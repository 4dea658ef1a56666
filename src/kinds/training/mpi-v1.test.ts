import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Pod, Stored } from '../../api/types.js';
import type { MPIJob } from './mpi.js';
import { admitV1MPIJob, isV1MPIJob, launcherPodV1, mpiJobAsVersion, planMPIJobV1, type MPIV1PlanInput } from './mpi-v1.js';

function v1Job(spec: Record<string, unknown> = {}): MPIJob {
  const j = {
    apiVersion: 'kubeflow.org/v1',
    kind: 'MPIJob',
    metadata: { name: 'pi', namespace: 'ns', uid: 'u1' },
    spec: {
      slotsPerWorker: 2,
      mpiReplicaSpecs: {
        Launcher: { template: { spec: { containers: [{ name: 'mpi', image: 'x', command: ['mpirun'], args: ['-np', '4', 'hostname'] }] } } },
        Worker: { replicas: 2, template: { spec: { containers: [{ name: 'mpi', image: 'x' }] } } },
      },
      ...spec,
    },
  } as unknown as MPIJob;
  admitV1MPIJob(j);
  return j;
}

const input = (job: MPIJob, over: Partial<MPIV1PlanInput> = {}): MPIV1PlanInput => ({ job, workers: [], rbac: { serviceAccount: false, role: false, roleBinding: false }, local: true, now: Date.parse('2026-01-01T00:00:00Z'), ...over });
const phase = (p: Stored<Pod>, ph: string): Stored<Pod> => ({ ...p, status: { phase: ph } }) as Stored<Pod>;

test('v1 is defaulted as its webhook does, stored as v2beta1 with v1-only fields kept aside, and read back at v1 as written', () => {
  const j = v1Job({ cleanPodPolicy: 'Running', mainContainer: 'mpi' });
  assert.equal(j.apiVersion, 'kubeflow.org/v2beta1');
  assert.ok(isV1MPIJob(j));
  assert.deepEqual(j.spec.runPolicy, { cleanPodPolicy: 'Running' }, 'the deprecated top-level policy counts where runPolicy says nothing');
  assert.deepEqual([j.spec.mpiReplicaSpecs.Launcher?.replicas, j.spec.mpiReplicaSpecs.Launcher?.restartPolicy, j.spec.mpiReplicaSpecs.Worker?.restartPolicy], [1, 'Never', 'Never']);
  assert.equal((j.spec as unknown as Record<string, unknown>)['mainContainer'], undefined);
  const back = mpiJobAsVersion(j, 'kubeflow.org/v1') as KubeObject & { spec: Record<string, unknown> };
  assert.equal(back.apiVersion, 'kubeflow.org/v1');
  assert.equal(back.spec['cleanPodPolicy'], 'Running');
  assert.equal(back.spec['mainContainer'], 'mpi');
  assert.equal(back.metadata.annotations, undefined, "Drover's bookkeeping stays out of the v1 view");
  assert.equal(mpiJobAsVersion(j, 'kubeflow.org/v2beta1'), j, 'the stored version reads as stored');
  // Neither given: both say None, as v1's defaults write.
  const plain = mpiJobAsVersion(v1Job(), 'kubeflow.org/v1') as KubeObject & { spec: Record<string, unknown> };
  assert.deepEqual([plain.spec['cleanPodPolicy'], (plain.spec['runPolicy'] as Record<string, unknown>)['cleanPodPolicy']], ['None', 'None']);
  // A v2beta1 job read at v1 leaves v2beta1's own fields out.
  const v2 = { apiVersion: 'kubeflow.org/v2beta1', kind: 'MPIJob', metadata: { name: 'x' }, spec: { sshAuthMountPath: '/root/.ssh', mpiImplementation: 'OpenMPI', launcherCreationPolicy: 'AtStartup', slotsPerWorker: 1, mpiReplicaSpecs: {} } } as KubeObject;
  assert.deepEqual(Object.keys((mpiJobAsVersion(v2, 'kubeflow.org/v1') as KubeObject & { spec: object }).spec), ['slotsPerWorker', 'mpiReplicaSpecs']);
});

test('the first reconcile: ConfigMap with hostfile and kubexec.sh, ServiceAccount, Role, RoleBinding, sleeping workers; locally the launcher waits for them', () => {
  const j = v1Job({ mainContainer: 'mpi' });
  const plan = planMPIJobV1(input(j));
  assert.deepEqual(plan.status?.conditions?.map((c) => [c.type, c.reason, c.message]), [['Created', 'MPIJobCreated', 'MPIJob pi is created.']]);
  const data = (plan.config!.object as unknown as { data: Record<string, string> }).data;
  assert.equal(data['hostfile'], 'pi-worker-0 slots=2\npi-worker-1 slots=2\n');
  assert.equal(data['kubexec.sh'], '#!/bin/sh\nset -x\nPOD_NAME=$1\nshift\nkubectl exec ${POD_NAME} --container mpi -- /bin/sh -c "$*"');
  assert.equal(data['discover_hosts.sh'], '#!/bin/sh');
  assert.deepEqual(plan.rbac.map((o) => `${o.kind}/${o.metadata.name}`), ['ServiceAccount/pi-launcher', 'Role/pi-launcher', 'RoleBinding/pi-launcher']);
  const role = plan.rbac[1] as unknown as { rules: { resources: string[]; verbs: string[]; resourceNames?: string[] }[] };
  assert.deepEqual(role.rules, [
    { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
    { verbs: ['create'], apiGroups: [''], resources: ['pods/exec'], resourceNames: ['pi-worker-0', 'pi-worker-1'] },
  ]);
  const w = plan.createWorkers[0]!;
  assert.deepEqual([w.spec?.containers[0]?.command, w.spec?.containers[0]?.args], [['sleep'], ['365d']]);
  assert.deepEqual(w.metadata.labels, { 'training.kubeflow.org/operator-name': 'mpijob-controller', 'training.kubeflow.org/job-name': 'pi', 'training.kubeflow.org/replica-type': 'worker', 'training.kubeflow.org/replica-index': '0' });
  assert.equal(w.metadata.annotations?.['drover.dev/pod-group-min-member'], '2', 'locally the gang is the workers');
  assert.equal(plan.launcher, undefined, 'no launcher before the workers run');

  const running = plan.createWorkers.map((p) => phase(p, 'Running'));
  const next = planMPIJobV1(input({ ...j, status: plan.status! }, { workers: running, configData: data, rbac: { serviceAccount: true, role: true, roleBinding: true } }));
  assert.equal(next.launcher?.metadata.name, 'pi-launcher');
  assert.equal(next.config?.create, false, 'discover_hosts.sh now lists the running workers');
  assert.equal((next.config!.object as unknown as { data: Record<string, string> }).data['discover_hosts.sh'], '#!/bin/sh\necho pi-worker-0:2\necho pi-worker-1:2');
});

test('the launcher pod: its ServiceAccount, the rsh agent and hostfile, GPUs hidden; on a cluster the kubectl-delivery init container', () => {
  const j = v1Job();
  const local = launcherPodV1(j, true);
  assert.equal(local.spec?.serviceAccountName, 'pi-launcher');
  assert.equal(local.spec?.initContainers, undefined);
  assert.equal(local.metadata.labels?.['training.kubeflow.org/job-role'], 'master');
  const env = Object.fromEntries((local.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
  assert.deepEqual(env, {
    OMPI_MCA_plm_rsh_agent: '/etc/mpi/kubexec.sh',
    OMPI_MCA_orte_default_hostfile: '/etc/mpi/hostfile',
    NVIDIA_VISIBLE_DEVICES: '',
    NVIDIA_DRIVER_CAPABILITIES: '',
    I_MPI_HYDRA_BOOTSTRAP: 'rsh',
    I_MPI_HYDRA_BOOTSTRAP_EXEC: '/etc/mpi/kubexec.sh',
  });
  assert.deepEqual(local.spec?.containers[0]?.command, ['mpirun'], "the user's command is unchanged");
  const cluster = launcherPodV1(j, false);
  assert.deepEqual(cluster.spec?.initContainers?.map((c) => [c.name, c.image, c.volumeMounts?.map((m) => m.mountPath)]), [['kubectl-delivery', 'mpioperator/kubectl-delivery:latest', ['/opt/kube', '/etc/mpi']]]);
  assert.deepEqual(cluster.spec?.volumes?.map((v) => v.name), ['mpi-job-kubectl', 'mpi-job-config']);
});

test('status follows the launcher pod: Running with every worker, Succeeded or Failed (the pod\'s reason), then cleanPodPolicy and the TTL', () => {
  const j = v1Job({ runPolicy: { cleanPodPolicy: 'Running', ttlSecondsAfterFinished: 60 } });
  const first = planMPIJobV1(input(j));
  const workers = first.createWorkers.map((p) => phase(p, 'Running'));
  const launcher = phase(launcherPodV1(j, true), 'Running');
  const rbac = { serviceAccount: true, role: true, roleBinding: true };
  const run = planMPIJobV1(input({ ...j, status: first.status! }, { workers, launcher, rbac }));
  assert.equal(run.status?.conditions?.find((c) => c.type === 'Running')?.reason, 'MPIJobRunning');
  assert.deepEqual(run.status?.replicaStatuses, { Launcher: { active: 1 }, Worker: { active: 2 } });

  const ok = planMPIJobV1(input({ ...j, status: run.status! }, { workers, launcher: phase(launcher, 'Succeeded'), rbac }));
  assert.deepEqual(ok.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [['Created', 'True', 'MPIJobCreated'], ['Running', 'False', 'MPIJobRunning'], ['Succeeded', 'True', 'MPIJobSucceeded']]);
  assert.deepEqual(ok.status?.replicaStatuses?.['Launcher'], { succeeded: 1 });
  const clean = planMPIJobV1(input({ ...j, status: ok.status! }, { workers, launcher: phase(launcher, 'Succeeded'), rbac }));
  assert.deepEqual(clean.deletePods, ['pi-worker-0', 'pi-worker-1'], 'Running: the sleeping workers go, the finished launcher stays');
  assert.equal(clean.requeueAfterMs, 60_000);
  assert.ok(planMPIJobV1(input({ ...j, status: ok.status! }, { now: Date.parse('2026-01-01T00:01:00Z'), rbac })).deleteJob);

  const failedPod = { ...launcher, status: { phase: 'Failed', reason: 'DeadlineExceeded' } } as Stored<Pod>;
  const bad = planMPIJobV1(input({ ...j, status: run.status! }, { workers, launcher: failedPod, rbac }));
  assert.deepEqual(bad.status?.conditions?.find((c) => c.type === 'Failed'), { type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'MPIJob ns/pi has failed', lastUpdateTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' });
  assert.deepEqual(bad.status?.replicaStatuses?.['Launcher'], { failed: 1 });
});

test('run policy limits as the v1 common controller: restarts in place past backoffLimit, or active past activeDeadlineSeconds, fail the job', () => {
  const rbac = { serviceAccount: true, role: true, roleBinding: true };
  const j = v1Job({ runPolicy: { backoffLimit: 2, activeDeadlineSeconds: 30 } });
  j.spec.mpiReplicaSpecs.Worker!.restartPolicy = 'OnFailure';
  const first = planMPIJobV1(input(j));
  assert.equal(first.requeueAfterMs, 30_000, 'woken at the deadline');
  const restarted = first.createWorkers.map((p, i) => ({ ...p, status: { phase: 'Running', containerStatuses: [{ name: 'mpi', restartCount: i + 1 }] } }) as unknown as Stored<Pod>);
  const backoff = planMPIJobV1(input({ ...j, status: first.status! }, { workers: restarted, rbac }));
  assert.deepEqual(backoff.status?.conditions?.find((c) => c.type === 'Failed')?.message, 'Job pi has failed because it has reached the specified backoff limit');
  assert.equal(backoff.launcher, undefined);
  const running = first.createWorkers.map((p) => phase(p, 'Running'));
  const late = planMPIJobV1(input({ ...j, status: first.status! }, { workers: running, rbac, now: Date.parse('2026-01-01T00:00:30Z') }));
  const failed = late.status?.conditions?.find((c) => c.type === 'Failed');
  assert.deepEqual([failed?.reason, failed?.message], ['MPIJobFailed', 'Job pi has failed because it was active longer than specified deadline']);
  assert.equal(late.status?.completionTime, '2026-01-01T00:00:30Z');
});
