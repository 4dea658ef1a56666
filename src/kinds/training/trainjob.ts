/**
 * Kubeflow Trainer v2 (`trainer.kubeflow.org/v1alpha1`): a TrainJob runs the replicated jobs of the
 * TrainingRuntime/ClusterTrainingRuntime it names, as the JobSet the trainer controller would make:
 * pods `<job>-<replicatedJob>-0-<i>` (hostname; subdomain the job, behind a headless Service of its
 * name), with what ./trainjob-runtime.ts resolves (runtime patches, the ML policy's environment,
 * the trainer block). One reconcile is a pure function (planTrainJob); its I/O is in
 * trainjob-controller.ts.
 */
import type { KubeObject, Pod, Stored } from '../../api/types.js';
import { ANNOTATIONS, LABELS } from '../../api/types.js';
import { isoSeconds } from '../../util/clock.js';
import {
  type JobSetSpec, type MLPolicy, type PodSet, type PodTemplateOverride, type Resolved, type RuntimePatch, type Trainer, type Initializer,
  NODE, RuntimeMismatch, mergeEnv, mpiHostfileName, mpiSSHSecretName, overridesAsPatches, resolveRuntime,
} from './trainjob-runtime.js';

export const TRAINER_API_VERSION = 'trainer.kubeflow.org/v1alpha1';

export const JOBSET_LABELS = {
  jobSetName: 'jobset.sigs.k8s.io/jobset-name',
  replicatedJobName: 'jobset.sigs.k8s.io/replicatedjob-name',
  jobIndex: 'jobset.sigs.k8s.io/job-index',
} as const;

export type { Trainer } from './trainjob-runtime.js';

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

export interface JobStatus { name: string; ready: number; succeeded: number; failed: number; active: number; suspended: number }

export type TrainJob = KubeObject & {
  spec: {
    runtimeRef: { name: string; apiGroup?: string; kind?: string };
    trainer?: Trainer;
    suspend?: boolean;
    managedBy?: string;
    runtimePatches?: RuntimePatch[];
    podTemplateOverrides?: PodTemplateOverride[];
    initializer?: Initializer;
    activeDeadlineSeconds?: number;
  };
  status?: { conditions?: Condition[]; jobsStatus?: JobStatus[]; trainerStatus?: TrainerStatus };
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

export type TrainingRuntime = KubeObject & {
  spec: { mlPolicy?: MLPolicy; template?: { metadata?: unknown; spec?: JobSetSpec } };
};

export interface TrainPlan {
  create: Stored<Pod>[];
  services: Record<string, unknown>[];
  /** ConfigMaps (the MPI hostfile) and claims (volumeClaimPolicies) to create when absent. */
  configMaps: KubeObject[];
  /** The name of an SSH key Secret to create when absent (the controller makes the key). */
  sshSecret?: string;
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
export function nodeName(job: string, i: number, replicatedJob = NODE): string {
  return `${job}-${replicatedJob}-0-${i}`;
}

/** The patches a TrainJob asks for: v2.1's podTemplateOverrides first, then v2.2+'s runtimePatches. */
export function trainJobPatches(job: TrainJob): RuntimePatch[] {
  return [...overridesAsPatches(job.spec.podTemplateOverrides), ...(job.spec.runtimePatches ?? []).map((p, i) => ({ ...p, origin: `spec.runtimePatches[${i}]` }))];
}

/** The runtime resolved for this job (throws RuntimeMismatch where the pair cannot run). */
export function resolveFor(job: TrainJob, runtime: TrainingRuntime): Resolved {
  return resolveRuntime({
    name: job.metadata.name!,
    ...(job.spec.trainer ? { trainer: job.spec.trainer } : {}),
    ...(job.spec.initializer ? { initializer: job.spec.initializer } : {}),
    patches: trainJobPatches(job),
  }, runtime.spec);
}

/** How many pods the scheduler places together: those of the jobs that wait for no other (a later one cannot be waited for). */
function gangSize(r: Resolved): number {
  return r.podSets.filter((p) => p.dependsOn.length === 0).reduce((n, p) => n + p.count, 0);
}

/** Pod `i` of a pod set: its template, JobSet's names and labels, and the status push variables. */
export function setPod(job: TrainJob, r: Resolved, ps: PodSet, i: number, statusServer?: StatusServer): Stored<Pod> {
  const name = job.metadata.name!;
  const ns = job.metadata.namespace!;
  const template = structuredClone(ps.template);
  const spec = template.spec;
  // JobSet's webhook defaults a replicated job's pods to OnFailure.
  spec.restartPolicy ??= 'OnFailure';
  spec.hostname = nodeName(name, i, ps.name);
  spec.subdomain = r.subdomain;
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
  for (const set of r.podSets) {
    for (let n = 0; n < set.count; n++) {
      const host = nodeName(name, n, set.name);
      peers.push(host, `${host}.${r.subdomain}`, `${host}.${r.subdomain}.${ns}.svc`);
    }
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: nodeName(name, i, ps.name),
      namespace: ns,
      labels: {
        ...(ps.jobMeta.labels ?? {}),
        ...(template.metadata?.labels ?? {}),
        [JOBSET_LABELS.jobSetName]: name,
        [JOBSET_LABELS.replicatedJobName]: ps.name,
        [JOBSET_LABELS.jobIndex]: '0',
        [LABELS.completionIndex]: String(i),
      },
      annotations: {
        ...(template.metadata?.annotations ?? {}),
        [LABELS.completionIndex]: String(i),
        [ANNOTATIONS.podGroup]: name,
        [ANNOTATIONS.podGroupMinMember]: String(gangSize(r)),
        [ANNOTATIONS.peerHostnames]: peers.join(','),
        ...(job.metadata.annotations?.[ANNOTATIONS.sourceDir] ? { [ANNOTATIONS.sourceDir]: job.metadata.annotations[ANNOTATIONS.sourceDir] } : {}),
      },
      ownerReferences: [ownerRef(job)],
    },
    spec,
    status: { phase: 'Pending' },
  };
}

function ownerRef(job: TrainJob) {
  return { apiVersion: TRAINER_API_VERSION, kind: 'TrainJob', name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** The headless Service JobSet makes for its pods' `<hostname>.<subdomain>` names. */
export function trainJobService(job: TrainJob, subdomain = job.metadata.name!, publishNotReadyAddresses = true): Record<string, unknown> {
  const name = job.metadata.name!;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: subdomain, namespace: job.metadata.namespace!, labels: { [JOBSET_LABELS.jobSetName]: name }, ownerReferences: [ownerRef(job)] },
    spec: { clusterIP: 'None', selector: { [JOBSET_LABELS.jobSetName]: name }, publishNotReadyAddresses },
  };
}

export interface TrainInput {
  job: TrainJob;
  runtime: TrainingRuntime | undefined;
  pods: Stored<Pod>[];
  services: string[];
  servicesServed: boolean;
  /** ConfigMaps and Secrets the job owns, by name (the MPI hostfile and keys). */
  owned?: string[];
  now: number;
  /** Where pods push their progress; absent: they are not told. */
  statusServer?: StatusServer;
}

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** One reconcile of a TrainJob. */
export function planTrainJob(input: TrainInput): TrainPlan {
  const { job, runtime, pods, now } = input;
  const plan: TrainPlan = { create: [], services: [], configMaps: [], deletePods: [], events: [] };
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
  let r: Resolved;
  try {
    r = resolveFor(job, runtime);
  } catch (err) {
    if (!(err instanceof RuntimeMismatch)) throw err;
    // Upstream's webhook refuses such a TrainJob; here it is stored already, so it fails, saying why.
    const message = `TrainJob does not fit ${job.spec.runtimeRef.kind ?? 'ClusterTrainingRuntime'} ${job.spec.runtimeRef.name}: ${err.message}`;
    status.conditions = setCond(status.conditions, { type: 'Failed', status: 'True', reason: 'InvalidRuntime', message }, now);
    plan.events.push({ type: 'Warning', reason: 'InvalidRuntime', message });
    plan.deletePods.push(...pods.filter((p) => !terminal(p)).map((p) => p.metadata.name!));
    return finish();
  }
  const name = job.metadata.name!;
  const byName = new Map(pods.map((p) => [p.metadata.name!, p]));
  const podsOf = (ps: PodSet) => Array.from({ length: ps.count }, (_, i) => byName.get(nodeName(name, i, ps.name)));
  if (job.spec.suspend) {
    plan.deletePods.push(...pods.map((p) => p.metadata.name!));
    status.conditions = setCond(status.conditions, { type: 'Suspended', status: 'True', reason: 'Suspended', message: 'TrainJob is suspended' }, now);
    status.jobsStatus = r.podSets.map((ps) => ({ name: ps.name, ready: 0, succeeded: 0, failed: 0, active: 0, suspended: 1 }));
    return finish();
  }
  if (status.conditions?.some((c) => c.type === 'Suspended' && c.status === 'True')) {
    status.conditions = setCond(status.conditions, { type: 'Suspended', status: 'False', reason: 'Resumed', message: 'TrainJob is resumed' }, now);
  }
  // activeDeadlineSeconds (v2.2+): from creation, or from the last resume; past it the job fails and its pods go.
  const ads = job.spec.activeDeadlineSeconds;
  if (ads) {
    const resumed = status.conditions?.find((c) => c.type === 'Suspended' && c.status === 'False');
    const start = Date.parse(resumed?.lastTransitionTime ?? job.metadata.creationTimestamp ?? '');
    if (Number.isFinite(start)) {
      const deadline = start + ads * 1000;
      if (now >= deadline) {
        status.conditions = setCond(status.conditions, { type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'TrainJob exceeded its active deadline' }, now);
        plan.events.push({ type: 'Warning', reason: 'DeadlineExceeded', message: 'TrainJob exceeded its active deadline' });
        plan.deletePods.push(...pods.map((p) => p.metadata.name!));
        return finish();
      }
      plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, deadline - now);
    }
  }
  const owned = new Set(input.owned ?? []);
  if (r.mpi) {
    if (!owned.has(mpiSSHSecretName(name))) plan.sshSecret = mpiSSHSecretName(name);
    if (!owned.has(mpiHostfileName(name))) {
      plan.configMaps.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: mpiHostfileName(name), namespace: job.metadata.namespace!, ownerReferences: [ownerRef(job)] }, data: { hostfile: r.mpi.hostfile } } as KubeObject);
    }
  }
  for (const c of r.claims) {
    if (owned.has(c.name)) continue;
    plan.configMaps.push({
      apiVersion: 'v1', kind: 'PersistentVolumeClaim',
      metadata: {
        name: c.name, namespace: job.metadata.namespace!,
        labels: { ...(c.template.metadata?.labels ?? {}), [JOBSET_LABELS.jobSetName]: name },
        ...(c.template.metadata?.annotations ? { annotations: c.template.metadata.annotations } : {}),
        // whenDeleted: Delete (the default) — the claim goes with the job.
        ...(c.owned ? { ownerReferences: [ownerRef(job)] } : {}),
      },
      spec: c.template.spec ?? {},
    } as KubeObject);
  }
  // A job waits for the jobs it depends on (JobSet's dependsOn): all their pods Ready, or all Succeeded.
  const reached = (dep: { name: string; status: 'Ready' | 'Complete' }) => {
    const ps = r.podSets.find((p) => p.name === dep.name);
    if (!ps) return true;
    return podsOf(ps).every((p) => p && (dep.status === 'Complete' ? p.status?.phase === 'Succeeded' : isReady(p) || p.status?.phase === 'Succeeded'));
  };
  for (const ps of r.podSets) {
    if (!ps.dependsOn.every(reached)) continue;
    for (let i = 0; i < ps.count; i++) if (!byName.has(nodeName(name, i, ps.name))) plan.create.push(setPod(job, r, ps, i, input.statusServer));
  }
  if (input.servicesServed && !input.services.includes(r.subdomain)) plan.services.push(trainJobService(job, r.subdomain, r.publishNotReadyAddresses));
  if (!status.conditions?.some((c) => c.type === 'Created')) {
    status.conditions = setCond(status.conditions, { type: 'Created', status: 'True', reason: 'JobsCreationSucceeded', message: 'Succeeded to create Jobs' }, now);
  }
  // Each replicated job is one Job here: counted as JobSet counts its Jobs.
  const jobsStatus: JobStatus[] = [];
  const done = new Set<string>();
  let failed = false;
  for (const ps of r.podSets) {
    const mine = podsOf(ps);
    const counts = { ready: 0, succeeded: 0, failed: 0, active: 0, suspended: 0 };
    let restarts = 0;
    for (const p of mine) {
      if (!p) continue;
      if (p.status?.phase === 'Succeeded') counts.succeeded++;
      else if (p.status?.phase === 'Failed') counts.failed++;
      else if (p.status?.phase === 'Running') counts.active++;
      if (isReady(p)) counts.ready++;
      restarts += (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
    }
    const succeeded = counts.succeeded === ps.count;
    const jobFailed = counts.failed > 0 || restarts > ps.backoffLimit;
    if (succeeded) done.add(ps.name);
    failed ||= jobFailed;
    jobsStatus.push({ name: ps.name, ...counts, succeeded: succeeded ? 1 : 0, failed: jobFailed ? 1 : 0, active: succeeded || jobFailed ? 0 : 1 });
  }
  status.jobsStatus = jobsStatus;
  const targets = r.success.targets;
  const complete = r.success.operator === 'Any' ? targets.some((t) => done.has(t)) : targets.every((t) => done.has(t));
  if (failed) {
    status.conditions = setCond(status.conditions, { type: 'Failed', status: 'True', reason: 'FailedJobs', message: 'jobset failed due to one or more job failures' }, now);
    plan.events.push({ type: 'Warning', reason: 'FailedJobs', message: 'jobset failed due to one or more job failures' });
    plan.create = [];
    // A failed Job's remaining pods are stopped, as the Job controller does.
    plan.deletePods.push(...pods.filter((p) => !terminal(p)).map((p) => p.metadata.name!));
  } else if (complete) {
    status.conditions = setCond(status.conditions, { type: 'Complete', status: 'True', reason: 'AllJobsCompleted', message: 'jobset completed successfully' }, now);
    plan.events.push({ type: 'Normal', reason: 'AllJobsCompleted', message: 'jobset completed successfully' });
    plan.create = [];
    // JobSet cleans up the jobs its success policy did not wait for (an MPI runtime's sshd nodes).
    plan.deletePods.push(...pods.filter((p) => !terminal(p)).map((p) => p.metadata.name!));
  }
  return finish();
}
