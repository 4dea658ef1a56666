/**
 * Kubeflow Trainer v2 (`trainer.kubeflow.org/v1alpha1`): a TrainJob runs the `node` replicated job
 * of the TrainingRuntime/ClusterTrainingRuntime it names, with the torch policy's environment, as
 * the JobSet the trainer controller would make: pods `<job>-node-0-<i>` (hostname; subdomain the
 * job, behind a headless Service of its name), PET_NNODES, PET_NPROC_PER_NODE, PET_NODE_RANK (the
 * completion index), PET_MASTER_ADDR `<job>-node-0-0.<job>`, PET_MASTER_PORT 29400. One reconcile
 * is a pure function (planTrainJob); its I/O is in trainjob-controller.ts.
 */
import type { Container, EnvVar, KubeObject, Pod, Stored } from '../../api/types.js';
import { ANNOTATIONS, LABELS } from '../../api/types.js';
import { isoSeconds } from '../../util/clock.js';

export const TRAINER_API_VERSION = 'trainer.kubeflow.org/v1alpha1';
/** The port the trainer's torch plugin gives the node container and PET_MASTER_PORT. */
export const TRAINER_PORT = 29400;
/** The replicated job the trainer runs (`constants.Node`), and its container. */
export const NODE = 'node';

export const JOBSET_LABELS = {
  jobSetName: 'jobset.sigs.k8s.io/jobset-name',
  replicatedJobName: 'jobset.sigs.k8s.io/replicatedjob-name',
  jobIndex: 'jobset.sigs.k8s.io/job-index',
} as const;

export interface Trainer {
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  numNodes?: number;
  numProcPerNode?: number | string;
  resourcesPerNode?: Container['resources'];
}

export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** What the job's own pods report of their training (`status.trainerStatus`, ./progress.ts). */
export interface TrainerStatus {
  progressPercentage?: number;
  estimatedRemainingSeconds?: number;
  metrics?: { name: string; value: string }[];
  lastUpdatedTime: string;
}

export type TrainJob = KubeObject & {
  spec: { runtimeRef: { name: string; apiGroup?: string; kind?: string }; trainer?: Trainer; suspend?: boolean; managedBy?: string };
  status?: { conditions?: Condition[]; jobsStatus?: { name: string; ready: number; succeeded: number; failed: number; active: number; suspended: number }[]; trainerStatus?: TrainerStatus };
};

/**
 * Where a TrainJob's pods push their progress: the variables Kubeflow's SDK reads, and the Secret
 * holding a token good for that URL's path only, mounted where the trainer mounts its own.
 */
export interface StatusServer {
  url: string;
  secretName: string;
}
export const STATUS_TOKEN_DIR = '/var/run/secrets/kubeflow/trainer';

/** The path a TrainJob's pods push `trainerStatus` to. */
export function trainerStatusPath(namespace: string, name: string): string {
  return `/apis/${TRAINER_API_VERSION}/namespaces/${namespace}/trainjobs/${name}/trainerstatus`;
}

/** The Secret of a TrainJob's push token. */
export function statusTokenSecretName(job: string): string {
  return `${job}-trainer-status`;
}

interface ReplicatedJob {
  name: string;
  replicas?: number;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { backoffLimit?: number; template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Pod['spec'] } } };
}

export type TrainingRuntime = KubeObject & {
  spec: {
    mlPolicy?: { numNodes?: number; torch?: { numProcPerNode?: number | string } };
    template?: { metadata?: unknown; spec?: { replicatedJobs?: ReplicatedJob[] } };
  };
};

export interface TrainPlan {
  create: Stored<Pod>[];
  services: Record<string, unknown>[];
  deletePods: string[];
  status?: TrainJob['status'];
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  requeueAfterMs?: number;
}

export function trainJobFinished(job: TrainJob): Condition | undefined {
  return job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

function setCond(list: Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>, now: number): Condition[] {
  const cur = list?.find((c) => c.type === next.type);
  if (cur && cur.status === next.status && cur.reason === next.reason) return list!;
  const rest = (list ?? []).filter((c) => c.type !== next.type);
  return [...rest, { ...next, lastTransitionTime: cur && cur.status === next.status ? cur.lastTransitionTime : isoSeconds(now) }];
}

/** The name of node `i`'s pod and its hostname, as JobSet names them (`<jobset>-<replicatedJob>-<jobIndex>-<podIndex>`). */
export function nodeName(job: string, i: number): string {
  return `${job}-${NODE}-0-${i}`;
}

function mergeEnv(base: EnvVar[] | undefined, over: EnvVar[]): EnvVar[] {
  const out = [...(base ?? [])];
  for (const e of over) {
    const i = out.findIndex((x) => x.name === e.name);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/** Node `i`'s pod: the runtime's node template, the TrainJob's trainer over its `node` container, and the torch policy's variables. */
export function nodePod(job: TrainJob, runtime: TrainingRuntime, i: number, statusServer?: StatusServer): Stored<Pod> {
  const name = job.metadata.name!;
  const ns = job.metadata.namespace!;
  const rjob = runtime.spec.template?.spec?.replicatedJobs?.find((r) => r.name === NODE);
  const template = structuredClone(rjob?.template?.spec?.template ?? {});
  const spec = template.spec ?? { containers: [] };
  const trainer = job.spec.trainer ?? {};
  const numNodes = trainer.numNodes ?? runtime.spec.mlPolicy?.numNodes ?? 1;
  const nproc = String(trainer.numProcPerNode ?? runtime.spec.mlPolicy?.torch?.numProcPerNode ?? 'auto');
  // JobSet's webhook defaults a replicated job's pods to OnFailure.
  spec.restartPolicy ??= 'OnFailure';
  spec.hostname = nodeName(name, i);
  spec.subdomain = name;
  const c = spec.containers.find((x) => x.name === NODE) ?? spec.containers[0];
  const torch = runtime.spec.mlPolicy?.torch !== undefined;
  if (c) {
    if (trainer.image !== undefined) c.image = trainer.image;
    if (trainer.command !== undefined) c.command = trainer.command;
    if (trainer.args !== undefined) c.args = trainer.args;
    if (trainer.resourcesPerNode !== undefined) c.resources = trainer.resourcesPerNode;
    c.env = mergeEnv(c.env, trainer.env ?? []);
  }
  // The torch policy's variables (a plain runtime gets none).
  if (c && torch) {
    c.env = mergeEnv(c.env, [
      { name: 'PET_NNODES', value: String(numNodes) },
      { name: 'PET_NPROC_PER_NODE', value: nproc },
      { name: 'PET_NODE_RANK', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${LABELS.completionIndex}']` } } },
      { name: 'PET_MASTER_ADDR', value: `${nodeName(name, 0)}.${name}` },
      { name: 'PET_MASTER_PORT', value: String(TRAINER_PORT) },
    ]);
    if (!c.ports?.some((p) => p.containerPort === TRAINER_PORT)) c.ports = [...(c.ports ?? []), { containerPort: TRAINER_PORT }];
  }
  if (statusServer) {
    spec.volumes = [...(spec.volumes ?? []), { name: 'kubeflow-trainer-token', secret: { secretName: statusServer.secretName } }];
    for (const k of spec.containers) {
      k.env = mergeEnv(k.env, [
        { name: 'KUBEFLOW_TRAINER_SERVER_URL', value: statusServer.url },
        { name: 'KUBEFLOW_TRAINER_SERVER_TOKEN', value: `${STATUS_TOKEN_DIR}/token` },
      ]);
      k.volumeMounts = [...(k.volumeMounts ?? []), { name: 'kubeflow-trainer-token', mountPath: STATUS_TOKEN_DIR, readOnly: true }];
    }
  }
  const peers: string[] = [];
  for (let n = 0; n < numNodes; n++) peers.push(nodeName(name, n), `${nodeName(name, n)}.${name}`, `${nodeName(name, n)}.${name}.${ns}.svc`);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: nodeName(name, i),
      namespace: ns,
      labels: {
        ...(rjob?.template?.metadata?.labels ?? {}),
        ...(template.metadata?.labels ?? {}),
        [JOBSET_LABELS.jobSetName]: name,
        [JOBSET_LABELS.replicatedJobName]: NODE,
        [JOBSET_LABELS.jobIndex]: '0',
        [LABELS.completionIndex]: String(i),
      },
      annotations: {
        ...(template.metadata?.annotations ?? {}),
        [LABELS.completionIndex]: String(i),
        [ANNOTATIONS.podGroup]: name,
        [ANNOTATIONS.podGroupMinMember]: String(numNodes),
        [ANNOTATIONS.peerHostnames]: peers.join(','),
        ...(job.metadata.annotations?.[ANNOTATIONS.sourceDir] ? { [ANNOTATIONS.sourceDir]: job.metadata.annotations[ANNOTATIONS.sourceDir] } : {}),
      },
      ownerReferences: [{ apiVersion: TRAINER_API_VERSION, kind: 'TrainJob', name, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec,
    status: { phase: 'Pending' },
  };
}

/** The headless Service JobSet makes for its pods' `<hostname>.<subdomain>` names. */
export function trainJobService(job: TrainJob): Record<string, unknown> {
  const name = job.metadata.name!;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: job.metadata.namespace!, labels: { [JOBSET_LABELS.jobSetName]: name }, ownerReferences: [{ apiVersion: TRAINER_API_VERSION, kind: 'TrainJob', name, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }] },
    spec: { clusterIP: 'None', selector: { [JOBSET_LABELS.jobSetName]: name }, publishNotReadyAddresses: true },
  };
}

export interface TrainInput {
  job: TrainJob;
  runtime: TrainingRuntime | undefined;
  pods: Stored<Pod>[];
  services: string[];
  servicesServed: boolean;
  now: number;
  /** Where pods push their progress; absent: they are not told. */
  statusServer?: StatusServer;
}

/** One reconcile of a TrainJob. */
export function planTrainJob(input: TrainInput): TrainPlan {
  const { job, runtime, pods, now } = input;
  const plan: TrainPlan = { create: [], services: [], deletePods: [], events: [] };
  const prev = job.status ?? {};
  const status: NonNullable<TrainJob['status']> = structuredClone(prev);
  const finish = (): TrainPlan => {
    if (JSON.stringify(prev) !== JSON.stringify(status)) plan.status = status;
    return plan;
  };
  if (trainJobFinished(job)) return plan;
  if (!runtime) {
    const ref = job.spec.runtimeRef;
    plan.events.push({ type: 'Warning', reason: 'TrainingRuntimeNotFound', message: `${ref.kind ?? 'ClusterTrainingRuntime'} ${ref.name} not found` });
    plan.requeueAfterMs = 5000;
    return plan;
  }
  const numNodes = job.spec.trainer?.numNodes ?? runtime.spec.mlPolicy?.numNodes ?? 1;
  const counts = { ready: 0, succeeded: 0, failed: 0, active: 0, suspended: 0 };
  if (job.spec.suspend) {
    plan.deletePods.push(...pods.map((p) => p.metadata.name!));
    status.conditions = setCond(status.conditions, { type: 'Suspended', status: 'True', reason: 'Suspended', message: 'TrainJob is suspended' }, now);
    status.jobsStatus = [{ name: NODE, ...counts, suspended: 1 }];
    return finish();
  }
  if (status.conditions?.some((c) => c.type === 'Suspended' && c.status === 'True')) {
    status.conditions = setCond(status.conditions, { type: 'Suspended', status: 'False', reason: 'Resumed', message: 'TrainJob is resumed' }, now);
  }
  const byName = new Map(pods.map((p) => [p.metadata.name!, p]));
  for (let i = 0; i < numNodes; i++) if (!byName.has(nodeName(job.metadata.name!, i))) plan.create.push(nodePod(job, runtime, i, input.statusServer));
  if (input.servicesServed && !input.services.includes(job.metadata.name!)) plan.services.push(trainJobService(job));
  if (!status.conditions?.some((c) => c.type === 'Created')) {
    status.conditions = setCond(status.conditions, { type: 'Created', status: 'True', reason: 'JobsCreationSucceeded', message: 'Succeeded to create Jobs' }, now);
  }
  const backoffLimit = runtime.spec.template?.spec?.replicatedJobs?.find((r) => r.name === NODE)?.template?.spec?.backoffLimit ?? 6;
  let restarts = 0;
  for (const p of pods) {
    const phase = p.status?.phase;
    if (phase === 'Succeeded') counts.succeeded++;
    else if (phase === 'Failed') counts.failed++;
    else if (phase === 'Running') counts.active++;
    if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) counts.ready++;
    restarts += (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
  }
  // As a JobSet: complete when every node's Job is; failed when one fails (pod failure, or restarts past the Job's backoffLimit).
  const jobs = { ...counts, succeeded: counts.succeeded === numNodes ? 1 : 0, failed: counts.failed > 0 || restarts > backoffLimit ? 1 : 0, active: counts.succeeded === numNodes ? 0 : 1 };
  status.jobsStatus = [{ name: NODE, ...jobs }];
  if (jobs.failed) {
    status.conditions = setCond(status.conditions, { type: 'Failed', status: 'True', reason: 'FailedJobs', message: 'jobset failed due to one or more job failures' }, now);
    plan.events.push({ type: 'Warning', reason: 'FailedJobs', message: 'jobset failed due to one or more job failures' });
    plan.create = [];
    // A failed Job's remaining pods are stopped, as the Job controller does.
    plan.deletePods.push(...pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').map((p) => p.metadata.name!));
  } else if (jobs.succeeded) {
    status.conditions = setCond(status.conditions, { type: 'Complete', status: 'True', reason: 'AllJobsCompleted', message: 'jobset completed successfully' }, now);
    plan.events.push({ type: 'Normal', reason: 'AllJobsCompleted', message: 'jobset completed successfully' });
  }
  return finish();
}

