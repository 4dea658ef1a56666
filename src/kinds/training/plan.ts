/**
 * One reconcile of a training job as a pure function: from the job, its pods and the clock, what
 * pods and Services to create or delete, the new status, the events, and when to look again. The
 * controller (controller.ts) does the I/O around it.
 *
 * Semantics follow Kubeflow's training operator v1: replicas are pods `<job>-<type>-<i>`; a replica
 * whose restartPolicy is OnFailure/Always restarts in place (its restarts count against
 * runPolicy.backoffLimit); Never fails the job at the first failure; ExitCode re-creates a pod that
 * exited 128–255 (killed by a signal: retryable) and fails the job on 1–127. Success is the Master
 * (PyTorch) or Chief/Master (TF) succeeding, else all workers (PyTorch) or worker 0 (TF's default
 * successPolicy; all with `AllWorkers`). cleanPodPolicy says which pods go when the job ends.
 */
import { ANNOTATIONS, type EnvVar, type Pod, type Stored } from '../../api/types.js';
import { isPodTerminal } from '../../api/pods.js';
import { isoSeconds } from '../../util/clock.js';
import { replicaEnv, replicaName, replicaPort } from './env.js';
import {
  type Framework, type JobCondition, type ReplicaSpec, type ReplicaStatus, type TrainingJob, type TrainingJobStatus,
  TRAINING_API_VERSION, TRAINING_LABELS, defaultContainer, replicaSpecs,
} from './types.js';

export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface Plan {
  create: Stored<Pod>[];
  /** Services to create (only when the server serves the Service kind). */
  services: Record<string, unknown>[];
  /** Pods to delete, by name. */
  deletePods: string[];
  /** Services to delete, by name. */
  deleteServices: string[];
  /** The status to write; undefined when unchanged. */
  status?: TrainingJobStatus;
  events: PlanEvent[];
  /** The job's time is up (ttlSecondsAfterFinished): delete it. */
  deleteJob?: boolean;
  requeueAfterMs?: number;
}

export interface PlanInput {
  fw: Framework;
  job: TrainingJob;
  /** The job's pods (owned by it). */
  pods: Stored<Pod>[];
  /** Names of the job's Services that exist. */
  services: string[];
  /** Whether Services can be made at all (the kind is served). */
  servicesServed: boolean;
  /** The namespace in the DNS names pods resolve, where it is not the job's (the Kubernetes runtime's one namespace). */
  dnsNamespace?: string;
  now: number;
}

/** The job's final condition, if it ended. */
export function finishedCondition(job: TrainingJob): JobCondition | undefined {
  return job.status?.conditions?.find((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True');
}

/** Whether the replica is the job's master (`training.kubeflow.org/job-role: master`). */
export function isMasterRole(fw: Framework, types: readonly string[], type: string, index: number): boolean {
  if (fw.kind === 'PyTorchJob' || fw.kind === 'XGBoostJob' || fw.kind === 'PaddleJob') return type === 'Master';
  if (fw.kind === 'JAXJob') return index === 0;
  if (types.includes('Chief') || types.includes('Master')) return type === 'Chief' || type === 'Master';
  return type === 'Worker' && index === 0;
}

/** The labels of one replica's pod and Service (also its Service's selector). */
export function replicaLabels(fw: Framework, job: string, type: string, index: number): Record<string, string> {
  return {
    [TRAINING_LABELS.operatorName]: fw.operatorName,
    [TRAINING_LABELS.jobName]: job,
    [TRAINING_LABELS.replicaType]: type.toLowerCase(),
    [TRAINING_LABELS.replicaIndex]: String(index),
  };
}

function ownerRef(fw: Framework, job: TrainingJob) {
  return { apiVersion: TRAINING_API_VERSION, kind: fw.kind, name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** How many of the job's pods the scheduler must place together: runPolicy.schedulingPolicy.minAvailable, else all. */
export function gangSize(fw: Framework, job: TrainingJob): number {
  const all = replicaSpecs(fw, job).reduce((n, [, s]) => n + (s.replicas ?? 1), 0);
  return job.spec.runPolicy?.schedulingPolicy?.minAvailable ?? all;
}

/** The pod of replica `type`/`index`, as the training operator makes it. */
export function replicaPod(fw: Framework, job: TrainingJob, type: string, spec: ReplicaSpec, index: number, sourceDir?: string, dnsNamespace?: string): Stored<Pod> {
  const name = job.metadata.name!;
  const podName = replicaName(name, type, index);
  const template = structuredClone(spec.template ?? {});
  const types = replicaSpecs(fw, job).map(([t]) => t);
  const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}), ...replicaLabels(fw, name, type, index) };
  if (isMasterRole(fw, types, type, index)) labels[TRAINING_LABELS.jobRole] = 'master';
  const annotations: Record<string, string> = {
    ...(template.metadata?.annotations ?? {}),
    [ANNOTATIONS.podGroup]: name,
    [ANNOTATIONS.podGroupMinMember]: String(gangSize(fw, job)),
    [ANNOTATIONS.peerHostnames]: peerNames(fw, job).join(','),
  };
  if (sourceDir) annotations[ANNOTATIONS.sourceDir] = sourceDir;
  const podSpec = template.spec ?? { containers: [] };
  // The kubelet restarts OnFailure/Always in place; ExitCode is decided here, so the pod never restarts itself.
  podSpec.restartPolicy = spec.restartPolicy === 'ExitCode' || spec.restartPolicy === undefined ? 'Never' : spec.restartPolicy;
  podSpec.hostname ??= podName;
  podSpec.subdomain ??= name;
  const env = replicaEnv(fw, job, type, index, dnsNamespace);
  for (const c of podSpec.containers) {
    const add: EnvVar[] = [...(env.get('*') ?? []), ...(env.get(c.name) ?? [])];
    if (add.length) c.env = [...(c.env ?? []), ...add];
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName, namespace: job.metadata.namespace!, labels, annotations, ownerReferences: [ownerRef(fw, job)] },
    spec: podSpec,
    status: { phase: 'Pending' },
  };
}

/** A headless Service per replica, named as its pod, as upstream makes them (the names MASTER_ADDR and TF_CONFIG use). */
export function replicaService(fw: Framework, job: TrainingJob, type: string, spec: ReplicaSpec, index: number): Record<string, unknown> {
  const name = job.metadata.name!;
  const labels = replicaLabels(fw, name, type, index);
  const port = replicaPort(fw, spec) ?? fw.port;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: replicaName(name, type, index), namespace: job.metadata.namespace!, labels, ownerReferences: [ownerRef(fw, job)] },
    spec: { clusterIP: 'None', selector: labels, ports: [{ name: fw.portName, port, targetPort: port, protocol: 'TCP' }] },
  };
}

/**
 * The names a replica uses to reach the others (pod names, `<pod>.<job>`, `<pod>.<ns>.svc`):
 * where pods share the host's network the local runtime maps them to loopback.
 */
export function peerNames(fw: Framework, job: TrainingJob): string[] {
  const name = job.metadata.name!;
  const ns = job.metadata.namespace ?? 'default';
  const out: string[] = [];
  for (const [type, spec] of replicaSpecs(fw, job)) {
    for (let i = 0; i < (spec.replicas ?? 1); i++) {
      const host = replicaName(name, type, i);
      out.push(host, `${host}.${name}`, `${host}.${name}.${ns}.svc`, `${host}.${ns}.svc`, `${host}.${ns}.svc.cluster.local`);
    }
  }
  return out;
}

function exitCodeOf(fw: Framework, pod: Pod): number | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  const main = statuses.find((s) => s.name === fw.container) ?? statuses[0];
  return main?.state?.terminated?.exitCode;
}

/** Upstream's rule for restartPolicy ExitCode: 128–255 (a signal) is retried, 1–127 is the program's own failure. */
export function retryableExitCode(code: number): boolean {
  return code >= 128;
}

/** Sets a condition as the training operator does: Running and Restarting replace each other; a final one turns Running False. */
export function setCondition(conditions: JobCondition[] | undefined, next: Omit<JobCondition, 'lastUpdateTime' | 'lastTransitionTime'>, now: number): JobCondition[] {
  const ts = isoSeconds(now);
  const list = conditions ?? [];
  const cur = list.find((c) => c.type === next.type);
  if (cur && cur.status === next.status && cur.reason === next.reason) return list;
  const out: JobCondition[] = [];
  for (const c of list) {
    if (c.type === next.type) continue;
    if ((next.type === 'Running' && c.type === 'Restarting') || (next.type === 'Restarting' && c.type === 'Running')) continue;
    if ((next.type === 'Succeeded' || next.type === 'Failed') && c.type === 'Running' && c.status === 'True') {
      out.push({ ...c, status: 'False', lastUpdateTime: ts, lastTransitionTime: ts });
      continue;
    }
    out.push(c);
  }
  const transition = cur && cur.status === next.status ? cur.lastTransitionTime : ts;
  out.push({ ...next, lastUpdateTime: ts, lastTransitionTime: transition ?? ts });
  return out;
}

interface Replica {
  type: string;
  index: number;
  spec: ReplicaSpec;
  pod?: Stored<Pod>;
}

function podKey(pod: Pod): string | undefined {
  const l = pod.metadata?.labels ?? {};
  const t = l[TRAINING_LABELS.replicaType];
  const i = l[TRAINING_LABELS.replicaIndex];
  return t === undefined || i === undefined ? undefined : `${t}/${i}`;
}

function restarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

/** Decides one reconcile of a training job. */
export function planJob(input: PlanInput): Plan {
  const { fw, job, pods, now } = input;
  const plan: Plan = { create: [], services: [], deletePods: [], deleteServices: [], events: [] };
  const name = job.metadata.name!;
  const ns = job.metadata.namespace ?? 'default';
  const kind = fw.kind;
  const runPolicy = job.spec.runPolicy ?? {};
  const prev = job.status ?? {};
  let status: TrainingJobStatus = structuredClone(prev);
  const cond = (type: JobCondition['type'], status_: 'True' | 'False', reason: string, message: string): void => {
    status.conditions = setCondition(status.conditions, { type, status: status_, reason: `${kind}${reason}`, message }, now);
  };
  const specs = replicaSpecs(fw, job);

  if (!status.conditions?.some((c) => c.type === 'Created')) {
    cond('Created', 'True', 'Created', `${kind} ${name} is created.`);
    plan.events.push({ type: 'Normal', reason: `${kind}Created`, message: `${kind} ${name} is created.` });
  }

  // Replica statuses from the pods, as upstream counts them (Pending counts nowhere).
  const byKey = new Map<string, Stored<Pod>>();
  for (const p of pods) {
    const k = podKey(p);
    if (k !== undefined) byKey.set(k, p);
  }
  const replicas: Replica[] = [];
  for (const [type, spec] of specs) {
    for (let i = 0; i < (spec.replicas ?? 1); i++) {
      const pod = byKey.get(`${type.toLowerCase()}/${i}`);
      replicas.push({ type, index: i, spec, ...(pod ? { pod } : {}) });
    }
  }

  const done = finishedCondition(job);
  if (done) return afterFinish(input, plan, status, done, prev);

  // Suspended: no pods, no services; resumed: say so.
  if (runPolicy.suspend) {
    for (const r of replicas) if (r.pod) plan.deletePods.push(r.pod.metadata.name!);
    plan.deleteServices.push(...input.services);
    if (status.conditions?.find((c) => c.type === 'Suspended')?.status !== 'True') {
      cond('Suspended', 'True', 'Suspended', `${kind} ${name} is suspended.`);
      const running = status.conditions?.find((c) => c.type === 'Running');
      if (running?.status === 'True') cond('Running', 'False', 'Suspended', `${kind} ${name} is suspended.`);
      plan.events.push({ type: 'Normal', reason: `${kind}Suspended`, message: `${kind} ${name} is suspended.` });
    }
    status.replicaStatuses = Object.fromEntries(specs.map(([t]) => [t, { active: 0, succeeded: 0, failed: 0 }]));
    return finishStatus(plan, prev, status);
  }
  if (status.conditions?.find((c) => c.type === 'Suspended')?.status === 'True') {
    cond('Suspended', 'False', 'Resumed', `${kind} ${name} is resumed.`);
    plan.events.push({ type: 'Normal', reason: `${kind}Resumed`, message: `${kind} ${name} is resumed.` });
    delete status.startTime;
  }
  status.startTime ??= isoSeconds(now);

  // ExitCode: a pod killed by a signal is re-created; one that failed on its own ends the job.
  let permanent: { type: string; code: number } | undefined;
  for (const r of replicas) {
    if (r.spec.restartPolicy !== 'ExitCode' || r.pod?.status?.phase !== 'Failed') continue;
    const code = exitCodeOf(fw, r.pod) ?? 1;
    if (retryableExitCode(code)) {
      plan.deletePods.push(r.pod.metadata.name!);
    } else permanent ??= { type: r.type, code };
  }

  const counts = new Map<string, Required<Omit<ReplicaStatus, 'selector'>>>();
  for (const r of replicas) {
    const c = counts.get(r.type) ?? { active: 0, succeeded: 0, failed: 0 };
    const phase = r.pod?.status?.phase;
    if (phase === 'Running') c.active++;
    else if (phase === 'Succeeded') c.succeeded++;
    else if (phase === 'Failed') c.failed++;
    counts.set(r.type, c);
  }
  status.replicaStatuses = Object.fromEntries(specs.map(([t]) => [t, { ...(counts.get(t) ?? { active: 0, succeeded: 0, failed: 0 }), selector: selectorOf(fw, name, t) }]));

  // Missing replicas (first start, or re-created after a retryable exit) and their Services.
  const existingServices = new Set(input.services);
  for (const r of replicas) {
    if (!r.pod || plan.deletePods.includes(r.pod.metadata.name!)) {
      if (!r.pod) plan.create.push(replicaPod(fw, job, r.type, r.spec, r.index, job.metadata.annotations?.[ANNOTATIONS.sourceDir], input.dnsNamespace));
    }
    if (input.servicesServed && !existingServices.has(replicaName(name, r.type, r.index))) plan.services.push(replicaService(fw, job, r.type, r.spec, r.index));
  }

  // backoffLimit counts in-place restarts of OnFailure/Always replicas; activeDeadlineSeconds runs from startTime.
  const restartsTotal = replicas.reduce((n, r) => n + (r.pod && (r.spec.restartPolicy === 'OnFailure' || r.spec.restartPolicy === 'Always') ? restarts(r.pod) : 0), 0);
  const started = Date.parse(status.startTime);
  let failure: string | undefined;
  if (runPolicy.backoffLimit !== undefined && restartsTotal > 0 && restartsTotal >= runPolicy.backoffLimit) {
    failure = `Job ${name} has failed because it has reached the specified backoff limit`;
  } else if (runPolicy.activeDeadlineSeconds !== undefined && now - started >= runPolicy.activeDeadlineSeconds * 1000) {
    failure = `Job ${name} has failed because it was active longer than specified deadline`;
  } else if (permanent) {
    failure = `${kind} ${ns}/${name} has failed because a ${permanent.type} replica exited with code ${permanent.code} (1–127: not retried under restartPolicy ExitCode).`;
  }
  if (failure) return fail(input, plan, status, prev, failure);

  // Success and running, per framework.
  const types = specs.map(([t]) => t);
  const chief = fw.kind === 'TFJob' ? types.find((t) => t === 'Chief' || t === 'Master') : types.includes('Master') ? 'Master' : undefined;
  const want = (t: string): number => specs.find(([x]) => x === t)?.[1].replicas ?? 1;
  const c = (t: string) => counts.get(t) ?? { active: 0, succeeded: 0, failed: 0 };
  let succeeded = false;
  let running = false;
  if (chief) {
    succeeded = c(chief).succeeded >= want(chief);
    running = c(chief).active > 0;
  } else if (types.includes('Worker')) {
    const w = c('Worker');
    const worker0 = replicas.find((r) => r.type === 'Worker' && r.index === 0)?.pod?.status?.phase === 'Succeeded';
    succeeded = w.succeeded >= want('Worker') || (fw.kind === 'TFJob' && job.spec.successPolicy !== 'AllWorkers' && worker0);
    running = w.active > 0;
  }
  if (succeeded) {
    const message = `${kind} ${ns}/${name} successfully completed.`;
    cond('Succeeded', 'True', 'Succeeded', message);
    status.completionTime ??= isoSeconds(now);
    plan.events.push({ type: 'Normal', reason: `${kind}Succeeded`, message });
    return afterFinish(input, plan, status, status.conditions!.find((x) => x.type === 'Succeeded')!, prev);
  }

  // Failed replicas: Never fails the job; the restart policies that re-create it say Restarting.
  // (as upstream, only while the type still lacks replicas: failed > 0 and fewer succeeded + running than asked).
  let restarting = false;
  for (const [type, spec] of specs) {
    const { failed, succeeded: ok, active } = c(type);
    if (failed === 0 || want(type) <= ok + active) continue;
    if (spec.restartPolicy === 'Never') return fail(input, plan, status, prev, `${kind} ${name} is failed because ${failed} ${type} replica(s) failed.`);
    const message = `${kind} ${name} is restarting because ${failed} ${type} replica(s) failed.`;
    cond('Restarting', 'True', 'Restarting', message);
    plan.events.push({ type: 'Warning', reason: `${kind}Restarting`, message });
    restarting = true;
  }
  if (running && !restarting) cond('Running', 'True', 'Running', `${kind} ${ns}/${name} is running.`);

  if (runPolicy.activeDeadlineSeconds !== undefined) plan.requeueAfterMs = Math.max(0, started + runPolicy.activeDeadlineSeconds * 1000 - now);
  return finishStatus(plan, prev, status);
}

function selectorOf(fw: Framework, job: string, type: string): string {
  return `${TRAINING_LABELS.jobName}=${job},${TRAINING_LABELS.operatorName}=${fw.operatorName},${TRAINING_LABELS.replicaType}=${type.toLowerCase()}`;
}

function fail(input: PlanInput, plan: Plan, status: TrainingJobStatus, prev: TrainingJobStatus, message: string): Plan {
  const { fw, now } = input;
  status.conditions = setCondition(status.conditions, { type: 'Failed', status: 'True', reason: `${fw.kind}Failed`, message }, now);
  status.completionTime ??= isoSeconds(now);
  plan.events.push({ type: 'Warning', reason: `${fw.kind}Failed`, message });
  return afterFinish(input, plan, status, status.conditions.find((c) => c.type === 'Failed')!, prev);
}

/** A finished job: cleanPodPolicy's pods go (Running: those still running; All: every one); then ttlSecondsAfterFinished. */
function afterFinish(input: PlanInput, plan: Plan, status: TrainingJobStatus, done: JobCondition, prev: TrainingJobStatus): Plan {
  const { job, pods, now, fw } = input;
  plan.create = [];
  plan.services = [];
  const policy = job.spec.runPolicy?.cleanPodPolicy ?? fw.cleanPodPolicy;
  const doomed = policy === 'All' ? pods : policy === 'Running' ? pods.filter((p) => !isPodTerminal(p)) : [];
  for (const p of doomed) if (!plan.deletePods.includes(p.metadata.name!)) plan.deletePods.push(p.metadata.name!);
  if (policy !== 'None') {
    const gone = new Set(doomed.map((p) => p.metadata.name!));
    plan.deleteServices.push(...input.services.filter((s) => gone.has(s) || policy === 'All'));
  }
  // As upstream: a succeeded job's replicas still active count as succeeded; deleted pods are not active.
  for (const r of Object.values(status.replicaStatuses ?? {})) {
    if (done.type === 'Succeeded') {
      r.succeeded = (r.succeeded ?? 0) + (r.active ?? 0);
      r.active = 0;
    } else if (policy !== 'None') r.active = 0;
  }
  const ttl = job.spec.runPolicy?.ttlSecondsAfterFinished;
  if (ttl !== undefined) {
    const at = Date.parse(status.completionTime ?? done.lastTransitionTime ?? isoSeconds(now)) + ttl * 1000;
    if (now >= at) plan.deleteJob = true;
    else plan.requeueAfterMs = at - now;
  }
  return finishStatus(plan, prev, status);
}

function finishStatus(plan: Plan, prev: TrainingJobStatus, status: TrainingJobStatus): Plan {
  if (JSON.stringify(prev) !== JSON.stringify(status)) plan.status = status;
  return plan;
}

/** The job-level state `get` shows: the last true condition's type, or Created. */
export function jobState(job: TrainingJob): string {
  const conds = job.status?.conditions ?? [];
  for (let i = conds.length - 1; i >= 0; i--) if (conds[i]!.status === 'True') return conds[i]!.type;
  return '';
}

export { defaultContainer };
