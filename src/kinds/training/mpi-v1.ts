/**
 * MPIJob as the Training Operator v1 serves it (`kubeflow.org/v1`), as pure functions.
 *
 * Storage: the MPI Operator v2's `kubeflow.org/v2beta1` and the training operator's `kubeflow.org/v1`
 * are two versions of one resource (`mpijobs.kubeflow.org`), as a CRD with two versions has one
 * storage version. A v1 manifest is defaulted as the v1 webhook does and converted at admission to
 * the stored v2beta1 shape (the two share slotsPerWorker, runPolicy and mpiReplicaSpecs); v1's own
 * fields (`cleanPodPolicy` at the top, `mainContainer`) ride in an annotation, and another says the
 * job was written as v1, which picks the v1 controller's behaviour. Reads at the v1 path convert
 * back (toV1), so `kubectl get mpijobs.v1.kubeflow.org -o yaml` shows what was applied.
 *
 * Behaviour, as the v1 controller (pkg/controller.v1/mpi): workers are pods `<job>-worker-<i>` that
 * `sleep 365d` unless their template has a command; the launcher is a Pod `<job>-launcher` whose
 * first container runs the user's command with `OMPI_MCA_plm_rsh_agent=/etc/mpi/kubexec.sh`: Open
 * MPI starts its daemons with `kubectl exec <worker> -- /bin/sh -c "…"`, so no sshd, keys or user
 * accounts are needed in the workers (locally only a kubectl on the machine's PATH); the launcher's ServiceAccount gets a Role allowing exactly
 * that. The hostfile names the worker pods (`<job>-worker-<i> slots=N`). Status follows the
 * launcher pod.
 */
import { ANNOTATIONS, type EnvVar, type KubeObject, type Pod, type Stored } from '../../api/types.js';
import { isoSeconds } from '../../util/clock.js';
import { setCondition } from './plan.js';
import type { JobCondition, ReplicaSpec, ReplicaStatus, TrainingJobStatus } from './types.js';
import { TRAINING_LABELS } from './types.js';
import { MPI_API_VERSION, MPI_CONFIG_MOUNT, type MPIJob, countWorkers, mpiNames } from './mpi.js';

export const MPI_V1_API_VERSION = 'kubeflow.org/v1';
export const MPI_V1_OPERATOR_NAME = 'mpijob-controller';
/** On a stored MPIJob: the version it was written in (v1 picks the v1 controller's behaviour). */
export const MPI_WRITTEN_AS = 'drover.dev/mpijob-api-version';
/** On a stored MPIJob: v1's fields that v2beta1 lacks, as JSON, restored on reads at v1. */
export const MPI_V1_FIELDS = 'drover.dev/mpijob-v1-fields';

const KUBECTL_DIR = '/opt/kube';
const KUBECTL_DELIVERY_IMAGE = 'mpioperator/kubectl-delivery:latest';

interface V1Fields {
  cleanPodPolicy?: string;
  mainContainer?: string;
}

/** Fields only v2beta1 has: a read at v1 leaves them out. */
const V2_ONLY = ['sshAuthMountPath', 'launcherCreationPolicy', 'mpiImplementation', 'runLauncherAsWorker'] as const;

export const isV1MPIJob = (job: KubeObject): boolean => job.metadata.annotations?.[MPI_WRITTEN_AS] === MPI_V1_API_VERSION;

/** The v1 webhook's defaults (SetDefaults_MPIJob), then the conversion to the stored shape. */
export function admitV1MPIJob(obj: KubeObject): void {
  const spec = ((obj as { spec?: Record<string, unknown> }).spec ??= {}) as Record<string, unknown> & { runPolicy?: Record<string, unknown>; mpiReplicaSpecs?: Record<string, ReplicaSpec | undefined> };
  spec.runPolicy ??= {};
  if (spec['cleanPodPolicy'] === undefined && spec.runPolicy['cleanPodPolicy'] === undefined) {
    spec['cleanPodPolicy'] = 'None';
    spec.runPolicy['cleanPodPolicy'] = 'None';
  }
  const { Launcher: launcher, Worker: worker } = spec.mpiReplicaSpecs ?? {};
  if (launcher) {
    launcher.replicas ??= 1;
    launcher.restartPolicy ??= 'Never';
  }
  if (worker) {
    worker.replicas ??= 0;
    worker.restartPolicy ??= 'Never';
  }
  // The deprecated top-level cleanPodPolicy counts where runPolicy says nothing.
  spec.runPolicy['cleanPodPolicy'] ??= spec['cleanPodPolicy'];
  const fields: V1Fields = {};
  if (spec['cleanPodPolicy'] !== undefined) fields.cleanPodPolicy = spec['cleanPodPolicy'] as string;
  if (spec['mainContainer'] !== undefined) fields.mainContainer = spec['mainContainer'] as string;
  delete spec['cleanPodPolicy'];
  delete spec['mainContainer'];
  obj.apiVersion = MPI_API_VERSION;
  obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [MPI_WRITTEN_AS]: MPI_V1_API_VERSION, ...(Object.keys(fields).length ? { [MPI_V1_FIELDS]: JSON.stringify(fields) } : {}) };
}

/** A stored MPIJob as a read at `apiVersion` answers it (v1: v1's fields back, v2beta1's own left out). */
export function mpiJobAsVersion(obj: KubeObject, apiVersion: string): KubeObject {
  if (apiVersion !== MPI_V1_API_VERSION || obj.apiVersion === MPI_V1_API_VERSION) return obj;
  const out = structuredClone(obj) as KubeObject & { spec?: Record<string, unknown> };
  out.apiVersion = MPI_V1_API_VERSION;
  const annotations = { ...(out.metadata.annotations ?? {}) };
  let fields: V1Fields = {};
  try {
    fields = JSON.parse(annotations[MPI_V1_FIELDS] ?? '{}') as V1Fields;
  } catch {
    // not ours to fail on: the fields are left out
  }
  delete annotations[MPI_V1_FIELDS];
  delete annotations[MPI_WRITTEN_AS];
  if (Object.keys(annotations).length) out.metadata.annotations = annotations;
  else delete out.metadata.annotations;
  if (out.spec) {
    const spec: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(out.spec)) if (!(V2_ONLY as readonly string[]).includes(k)) spec[k] = v;
    if (fields.cleanPodPolicy !== undefined) spec['cleanPodPolicy'] = fields.cleanPodPolicy;
    if (fields.mainContainer !== undefined) spec['mainContainer'] = fields.mainContainer;
    out.spec = spec;
  }
  return out;
}

function v1Fields(job: MPIJob): V1Fields {
  try {
    return JSON.parse(job.metadata.annotations?.[MPI_V1_FIELDS] ?? '{}') as V1Fields;
  } catch {
    return {};
  }
}

// ---- the objects the v1 controller makes ---------------------------------------------------

const workerCount = (job: MPIJob): number => job.spec.mpiReplicaSpecs?.Worker?.replicas ?? 0;
const slots = (job: MPIJob): number => job.spec.slotsPerWorker ?? 1;

function ownerRef(job: MPIJob) {
  return { apiVersion: MPI_API_VERSION, kind: 'MPIJob', name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

function childMeta(job: MPIJob, name: string): KubeObject['metadata'] {
  return { name, namespace: job.metadata.namespace!, labels: { app: job.metadata.name! }, ownerReferences: [ownerRef(job)] };
}

/** The launcher asks for a GPU (a limit named `*.com/gpu` or containing `gpu`): it runs ranks too, first in the hostfile. */
export function gpuLauncher(job: MPIJob): boolean {
  const containers = job.spec.mpiReplicaSpecs.Launcher?.template?.spec?.containers ?? [];
  return containers.some((c) => Object.keys(c.resources?.limits ?? {}).some((k) => k.endsWith('.com/gpu') || k.includes('gpu')));
}

/** `kubexec.sh`: Open MPI's rsh agent, a `kubectl exec` into the named worker pod (locally the machine's kubectl). */
export function kubexecScript(job: MPIJob, local: boolean): string {
  const main = v1Fields(job).mainContainer;
  return `#!/bin/sh\nset -x\nPOD_NAME=$1\nshift\n${local ? 'kubectl' : `${KUBECTL_DIR}/kubectl`} exec \${POD_NAME}${main ? ` --container ${main}` : ''} -- /bin/sh -c "$*"`;
}

export function hostfileV1(job: MPIJob): string {
  const name = job.metadata.name!;
  const lines = gpuLauncher(job) ? [`${mpiNames.launcher(name)} slots=${slots(job)}\n`] : [];
  for (let i = 0; i < workerCount(job); i++) lines.push(`${mpiNames.worker(name, i)} slots=${slots(job)}\n`);
  return lines.join('');
}

/** `discover_hosts.sh` as v1 writes it: `name:slots` per running worker, sorted, no final newline. */
export function discoverHostsV1(job: MPIJob, runningWorkers: string[]): string {
  let out = '#!/bin/sh';
  if (gpuLauncher(job)) out += `\necho ${mpiNames.launcher(job.metadata.name!)}:${slots(job)}\n`;
  for (const p of [...runningWorkers].sort()) out += `\necho ${p}:${slots(job)}`;
  return out;
}

export function configDataV1(job: MPIJob, runningWorkers: string[], local: boolean): Record<string, string> {
  return { hostfile: hostfileV1(job), 'kubexec.sh': kubexecScript(job, local), 'discover_hosts.sh': discoverHostsV1(job, runningWorkers) };
}

export function configMapV1(job: MPIJob, runningWorkers: string[], local: boolean): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: childMeta(job, mpiNames.config(job.metadata.name!)), data: configDataV1(job, runningWorkers, local) } as KubeObject;
}

export function launcherServiceAccountName(job: MPIJob): string {
  return job.spec.mpiReplicaSpecs.Launcher?.template?.spec?.serviceAccountName || mpiNames.launcher(job.metadata.name!);
}

/** The launcher's ServiceAccount, and the Role and RoleBinding that let it exec into its workers only. */
export function launcherRBAC(job: MPIJob): { serviceAccount: KubeObject; role: KubeObject; roleBinding: KubeObject } {
  const name = job.metadata.name!;
  const launcher = mpiNames.launcher(name);
  const sa = launcherServiceAccountName(job);
  const workers = Array.from({ length: workerCount(job) }, (_, i) => mpiNames.worker(name, i));
  return {
    serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: childMeta(job, sa) } as KubeObject,
    role: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: childMeta(job, launcher),
      rules: [
        { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
        { verbs: ['create'], apiGroups: [''], resources: ['pods/exec'], resourceNames: workers },
      ],
    } as KubeObject,
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: childMeta(job, launcher),
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: job.metadata.namespace! }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: launcher },
    } as KubeObject,
  };
}

function labels(job: MPIJob, role: 'launcher' | 'worker', template: Record<string, string> | undefined): Record<string, string> {
  return { ...(template ?? {}), [TRAINING_LABELS.operatorName]: MPI_V1_OPERATOR_NAME, [TRAINING_LABELS.jobName]: job.metadata.name!, [TRAINING_LABELS.replicaType]: role };
}

/**
 * Drover's gang annotations: on a cluster the launcher is made with the workers and all are placed
 * together; locally it comes once the workers run, so the gang is the workers.
 */
function annotations(job: MPIJob, template: Record<string, string> | undefined, local: boolean): Record<string, string> {
  const name = job.metadata.name!;
  const pods = [mpiNames.launcher(name), ...Array.from({ length: workerCount(job) }, (_, i) => mpiNames.worker(name, i))];
  const out: Record<string, string> = {
    ...(template ?? {}),
    [ANNOTATIONS.podGroup]: name,
    [ANNOTATIONS.podGroupMinMember]: String(job.spec.runPolicy?.schedulingPolicy?.minAvailable ?? (local ? pods.length - 1 : pods.length)),
    [ANNOTATIONS.peerHostnames]: pods.join(','),
  };
  const dir = job.metadata.annotations?.[ANNOTATIONS.sourceDir];
  if (dir) out[ANNOTATIONS.sourceDir] = dir;
  return out;
}

const podRestartPolicy = (r: ReplicaSpec | undefined): 'Always' | 'OnFailure' | 'Never' => (r?.restartPolicy === 'ExitCode' || r?.restartPolicy === undefined ? 'Never' : r.restartPolicy);

function pod(job: MPIJob, name: string, podLabels: Record<string, string>, spec: NonNullable<Pod['spec']>, templateAnnotations: Record<string, string> | undefined, local: boolean): Stored<Pod> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: job.metadata.namespace!, labels: podLabels, annotations: annotations(job, templateAnnotations, local), ownerReferences: [ownerRef(job)] }, spec, status: { phase: 'Pending' } } as Stored<Pod>;
}

export function workerPodV1(job: MPIJob, index: number, local: boolean): Stored<Pod> {
  const name = job.metadata.name!;
  const template = structuredClone(job.spec.mpiReplicaSpecs.Worker?.template ?? {});
  const spec = (template.spec ?? { containers: [] }) as NonNullable<Pod['spec']>;
  spec.restartPolicy = podRestartPolicy(job.spec.mpiReplicaSpecs.Worker);
  const c = spec.containers[0];
  if (c) {
    // The worker only waits: the launcher's kubectl exec starts Open MPI's daemon in it.
    if (!c.command?.length) {
      c.command = ['sleep'];
      c.args = ['365d'];
    }
    // Open MPI looks for the rsh agent's path on every rank.
    c.volumeMounts = [...(c.volumeMounts ?? []), { name: 'mpi-job-config', mountPath: MPI_CONFIG_MOUNT }];
    spec.volumes = [...(spec.volumes ?? []), { name: 'mpi-job-config', configMap: { name: mpiNames.config(name), items: [{ key: 'kubexec.sh', path: 'kubexec.sh', mode: 0o555 }] } }];
  }
  return pod(job, mpiNames.worker(name, index), { ...labels(job, 'worker', template.metadata?.labels), [TRAINING_LABELS.replicaIndex]: String(index) }, spec, template.metadata?.annotations, local);
}

/**
 * The launcher pod. On a cluster, as upstream: a kubectl-delivery init container (its image copies
 * kubectl into /opt/kube and waits for the workers). Locally this machine is the image and init
 * containers are not run: kubexec.sh calls the machine's own kubectl, and the controller makes the
 * launcher once every worker runs, which is what the delivery container waited for.
 */
export function launcherPodV1(job: MPIJob, local: boolean): Stored<Pod> {
  const name = job.metadata.name!;
  const template = structuredClone(job.spec.mpiReplicaSpecs.Launcher?.template ?? {});
  const spec = (template.spec ?? { containers: [] }) as NonNullable<Pod['spec']>;
  spec.serviceAccountName ||= mpiNames.launcher(name);
  const resources = { cpu: '100m', memory: '512Mi', 'ephemeral-storage': '5Gi' };
  if (!local) {
    spec.initContainers = [
      ...(spec.initContainers ?? []),
      {
        name: 'kubectl-delivery',
        image: KUBECTL_DELIVERY_IMAGE,
        imagePullPolicy: 'IfNotPresent',
        env: [
          { name: 'TARGET_DIR', value: KUBECTL_DIR },
          { name: 'NAMESPACE', value: job.metadata.namespace! },
        ],
        volumeMounts: [
          { name: 'mpi-job-kubectl', mountPath: KUBECTL_DIR },
          { name: 'mpi-job-config', mountPath: MPI_CONFIG_MOUNT },
        ],
        resources: { limits: resources, requests: resources },
      },
    ];
  }
  const c = spec.containers[0];
  if (c) {
    const env: EnvVar[] = [...(c.env ?? []), { name: 'OMPI_MCA_plm_rsh_agent', value: `${MPI_CONFIG_MOUNT}/kubexec.sh` }, { name: 'OMPI_MCA_orte_default_hostfile', value: `${MPI_CONFIG_MOUNT}/hostfile` }];
    if (!gpuLauncher(job)) env.push({ name: 'NVIDIA_VISIBLE_DEVICES', value: '' }, { name: 'NVIDIA_DRIVER_CAPABILITIES', value: '' });
    // Intel MPI's bootstrap through the same agent, unless the template says otherwise.
    if (!env.some((e) => e.name === 'I_MPI_HYDRA_BOOTSTRAP')) env.push({ name: 'I_MPI_HYDRA_BOOTSTRAP', value: 'rsh' });
    if (!env.some((e) => e.name === 'I_MPI_HYDRA_BOOTSTRAP_EXEC')) env.push({ name: 'I_MPI_HYDRA_BOOTSTRAP_EXEC', value: `${MPI_CONFIG_MOUNT}/kubexec.sh` });
    c.env = env;
    c.volumeMounts = [...(c.volumeMounts ?? []), ...(local ? [] : [{ name: 'mpi-job-kubectl', mountPath: KUBECTL_DIR }]), { name: 'mpi-job-config', mountPath: MPI_CONFIG_MOUNT }];
  }
  spec.restartPolicy = podRestartPolicy(job.spec.mpiReplicaSpecs.Launcher);
  spec.volumes = [
    ...(spec.volumes ?? []),
    ...(local ? [] : [{ name: 'mpi-job-kubectl', emptyDir: {} }]),
    {
      name: 'mpi-job-config',
      configMap: {
        name: mpiNames.config(name),
        items: [
          { key: 'kubexec.sh', path: 'kubexec.sh', mode: 0o555 },
          { key: 'hostfile', path: 'hostfile', mode: 0o444 },
          { key: 'discover_hosts.sh', path: 'discover_hosts.sh', mode: 0o555 },
        ],
      },
    },
  ];
  return pod(job, mpiNames.launcher(name), { ...labels(job, 'launcher', template.metadata?.labels), [TRAINING_LABELS.jobRole]: 'master' }, spec, template.metadata?.annotations, local);
}

// ---- one reconcile ---------------------------------------------------------------------------

export interface MPIV1PlanInput {
  job: MPIJob;
  /** Pods owned by the job with the worker role. */
  workers: Stored<Pod>[];
  launcher?: Stored<Pod>;
  configData?: Record<string, string>;
  /** Which of the launcher's ServiceAccount, Role and RoleBinding exist. */
  rbac: { serviceAccount: boolean; role: boolean; roleBinding: boolean };
  /** Pods run on this machine (the launcher links the machine's kubectl). */
  local: boolean;
  now: number;
}

export interface MPIV1Plan {
  config?: { create: boolean; object: KubeObject };
  rbac: KubeObject[];
  createWorkers: Stored<Pod>[];
  /** Pods (workers or the launcher) to delete. */
  deletePods: string[];
  launcher?: Stored<Pod>;
  status?: TrainingJobStatus;
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  deleteJob?: boolean;
  requeueAfterMs?: number;
}

const isTrue = (conds: { type: string; status: string }[] | undefined, type: string): boolean => !!conds?.some((c) => c.type === type && c.status === 'True');
const finished = (s: TrainingJobStatus | undefined): boolean => isTrue(s?.conditions, 'Succeeded') || isTrue(s?.conditions, 'Failed');
const active = (p: Pod): boolean => p.status?.phase === 'Running' || p.status?.phase === 'Pending' || p.status?.phase === undefined;

function nonZero(s: ReplicaStatus): ReplicaStatus {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== 0)) as ReplicaStatus;
}

/** Decides one reconcile of a v1 MPIJob, as the v1 controller's ReconcilePods and updateMPIJobStatus do. */
export function planMPIJobV1(input: MPIV1PlanInput): MPIV1Plan {
  const { job, now } = input;
  const plan: MPIV1Plan = { rbac: [], createWorkers: [], deletePods: [], events: [] };
  const name = job.metadata.name!;
  const ns = job.metadata.namespace ?? 'default';
  const prev = job.status ?? {};
  const status: TrainingJobStatus = structuredClone(prev);
  const cond = (type: JobCondition['type'], st: 'True' | 'False', reason: string, message: string): void => {
    status.conditions = setCondition(status.conditions, { type, status: st, reason, message }, now);
  };
  const rp = job.spec.runPolicy ?? {};
  if (!status.conditions?.length) cond('Created', 'True', 'MPIJobCreated', `MPIJob ${name} is created.`);

  if (finished(status) && status.completionTime) {
    // Only the run policy's work is left: cleanPodPolicy, then the TTL.
    const policy = rp.cleanPodPolicy ?? 'None';
    if (policy !== 'None') {
      for (const p of [...input.workers, ...(input.launcher ? [input.launcher] : [])]) if (policy === 'All' || active(p)) plan.deletePods.push(p.metadata.name!);
    }
    if (rp.ttlSecondsAfterFinished !== undefined) {
      const at = Date.parse(status.completionTime) + rp.ttlSecondsAfterFinished * 1000;
      if (now >= at) plan.deleteJob = true;
      else plan.requeueAfterMs = at - now;
    }
    return done(plan, prev, status);
  }
  status.startTime ??= isoSeconds(now);

  const launcher = input.launcher;
  const launcherDone = launcher?.status?.phase === 'Succeeded' || launcher?.status?.phase === 'Failed';
  let workers = input.workers;
  if (!launcherDone) {
    const rbac = launcherRBAC(job);
    if (!input.rbac.serviceAccount) plan.rbac.push(rbac.serviceAccount);
    const running = input.workers.filter((p) => p.status?.phase === 'Running').map((p) => p.metadata.name!);
    const data = configDataV1(job, running, input.local);
    if (!input.configData) plan.config = { create: true, object: configMapV1(job, running, input.local) };
    else if (JSON.stringify(Object.entries(input.configData).sort()) !== JSON.stringify(Object.entries(data).sort())) plan.config = { create: false, object: configMapV1(job, running, input.local) };
    if (!input.rbac.role) plan.rbac.push(rbac.role);
    if (!input.rbac.roleBinding) plan.rbac.push(rbac.roleBinding);
    const want = workerCount(job);
    const byName = new Map(input.workers.map((p) => [p.metadata.name!, p]));
    for (const p of input.workers) if (Number(p.metadata.labels?.[TRAINING_LABELS.replicaIndex] ?? -1) >= want) plan.deletePods.push(p.metadata.name!);
    workers = [];
    for (let i = 0; i < want; i++) {
      const existing = byName.get(mpiNames.worker(name, i));
      if (existing) workers.push(existing);
      else {
        const w = workerPodV1(job, i, input.local);
        plan.createWorkers.push(w);
        workers.push(w);
      }
    }
    // Locally the launcher waits here for the workers, as the delivery container waits on a cluster.
    if (!launcher && (!input.local || workers.every((w) => w.status?.phase === 'Running'))) {
      plan.launcher = launcherPodV1(job, input.local);
      plan.events.push({ type: 'Normal', reason: 'MPIJobRunning', message: `launcher pod created success: ${mpiNames.launcher(name)}` });
    }
  }

  // The run policy's limits, as the v1 common controller checks them: restarts in place past
  // backoffLimit, or active past activeDeadlineSeconds, fail the job (cleanPodPolicy then acts).
  const limit = pastLimits(job, [...workers, ...(launcher ? [launcher] : [])], status.startTime, now);
  if (limit && !launcherDone) {
    status.completionTime ??= isoSeconds(now);
    plan.events.push({ type: 'Normal', reason: 'MPIJobFailed', message: limit });
    cond('Failed', 'True', 'MPIJobFailed', limit);
    plan.launcher = undefined;
    plan.createWorkers = [];
  } else if (rp.activeDeadlineSeconds !== undefined && !launcherDone) {
    plan.requeueAfterMs = Math.max(0, Date.parse(status.startTime) + rp.activeDeadlineSeconds * 1000 - now);
  }

  // Status, as updateMPIJobStatus writes it.
  const replicaStatuses: Record<string, ReplicaStatus> = { ...(status.replicaStatuses ?? {}) };
  if (launcher) {
    const ls: ReplicaStatus = {};
    if (launcher.status?.phase === 'Succeeded') {
      ls.succeeded = 1;
      const msg = `MPIJob ${ns}/${name} successfully completed.`;
      if (!isTrue(status.conditions, 'Succeeded')) plan.events.push({ type: 'Normal', reason: 'MPIJobSucceeded', message: msg });
      status.completionTime ??= isoSeconds(now);
      cond('Succeeded', 'True', 'MPIJobSucceeded', msg);
    } else if (launcher.status?.phase === 'Failed') {
      ls.failed = 1;
      const msg = `MPIJob ${ns}/${name} has failed`;
      let reason = launcher.status.reason || 'MPIJobFailed';
      if (!isTrue(status.conditions, 'Failed')) plan.events.push({ type: 'Warning', reason, message: msg });
      if (reason === 'Evicted') reason = 'MPIJobEvicted';
      else status.completionTime ??= isoSeconds(now);
      cond('Failed', 'True', reason, msg);
    } else if (launcher.status?.phase === 'Running') ls.active = 1;
    replicaStatuses['Launcher'] = nonZero(ls);
  }
  const { ws, evicted } = countWorkers(workers);
  replicaStatuses['Worker'] = nonZero(ws);
  status.replicaStatuses = replicaStatuses;
  if (evicted > 0) {
    const msg = `${evicted}/${workers.length} workers are evicted`;
    if (!isTrue(status.conditions, 'Failed')) plan.events.push({ type: 'Warning', reason: 'MPIJobEvicted', message: msg });
    cond('Failed', 'True', 'MPIJobEvicted', msg);
  }
  if (!finished(status) && launcher?.status?.phase === 'Running' && ws.active === workers.length) {
    if (!isTrue(status.conditions, 'Running')) plan.events.push({ type: 'Normal', reason: 'MPIJobRunning', message: `MPIJob ${ns}/${name} is running` });
    cond('Running', 'True', 'MPIJobRunning', `MPIJob ${ns}/${name} is running.`);
  }
  return done(plan, prev, status);
}

/** Why the run policy fails the job now, if it does (the training operator's words). */
function pastLimits(job: MPIJob, pods: readonly Pod[], startTime: string, now: number): string | undefined {
  const rp = job.spec.runPolicy ?? {};
  const name = job.metadata.name!;
  if (rp.backoffLimit !== undefined) {
    // Restarts in place count, of running or pending pods whose replica restarts them (OnFailure, Always).
    const specs = job.spec.mpiReplicaSpecs;
    let restarts = 0;
    for (const p of pods) {
      const type = p.metadata?.labels?.[TRAINING_LABELS.replicaType] === 'launcher' ? specs.Launcher : specs.Worker;
      if (type?.restartPolicy !== 'OnFailure' && type?.restartPolicy !== 'Always') continue;
      if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
      for (const c of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += c.restartCount ?? 0;
    }
    if (rp.backoffLimit === 0 ? restarts > 0 : restarts >= rp.backoffLimit) return `Job ${name} has failed because it has reached the specified backoff limit`;
  }
  if (rp.activeDeadlineSeconds !== undefined && now - Date.parse(startTime) >= rp.activeDeadlineSeconds * 1000) return `Job ${name} has failed because it was active longer than specified deadline`;
  return undefined;
}

function done(plan: MPIV1Plan, prev: TrainingJobStatus, status: TrainingJobStatus): MPIV1Plan {
  if (JSON.stringify(prev) !== JSON.stringify(status)) plan.status = status;
  return plan;
}
