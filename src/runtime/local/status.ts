/**
 * Pod status as the kubelet computes it, as pure functions: phase from container states
 * (pkg/kubelet/kubelet_pods.go getPhase), conditions, QoS class.
 */
import type { ContainerStatus, Pod, PodCondition, PodStatus } from '../../api/index.js';
import type { ContainerRun } from './context.js';
import { isSidecar, qosClass } from '../../api/pods.js';

export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** The kubelet's getPhase for a pod without init containers. */
export function podPhase(restartPolicy: string | undefined, statuses: readonly ContainerStatus[]): Phase {
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      // A container waiting to restart has run before: it counts as stopped, not as never started.
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    const policy = restartPolicy ?? 'Always';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, now: string, prev: readonly PodCondition[], reason?: string, message?: string): PodCondition {
  const old = prev.find((c) => c.type === type);
  const status = ok ? 'True' : 'False';
  const c: PodCondition = { type, status, lastTransitionTime: old && old.status === status ? old.lastTransitionTime! : now };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** Whether a pod's init containers are done, and which are not. */
export interface InitState {
  progress: InitProgress;
  /** Init containers not yet done (a sidecar is done once it has started). */
  incomplete: string[];
}

/**
 * The init containers' part of the kubelet's getPhase: each must have ended with 0 (a sidecar,
 * restartPolicy Always, need only have started) before the regular containers run. One that
 * failed ends the pod only under restartPolicy Never; otherwise it is restarted.
 */
export type InitProgress = 'done' | 'pending' | 'failed';

export function initState(pod: Pod, statuses: readonly ContainerStatus[]): InitState {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const incomplete: string[] = [];
  let failed = false;
  for (const c of pod.spec?.initContainers ?? []) {
    const s = statuses.find((x) => x.name === c.name);
    if (isSidecar(c)) {
      if (!(s?.started || s?.state?.terminated || s?.lastState?.terminated)) incomplete.push(c.name);
      continue;
    }
    const t = s?.state?.terminated;
    if (t?.exitCode === 0) continue;
    incomplete.push(c.name);
    if (t && policy === 'Never') failed = true;
  }
  return { progress: failed ? 'failed' : incomplete.length ? 'pending' : 'done', incomplete };
}

/** Initialized, ContainersReady and Ready, keeping transition times that did not change and any other condition (PodScheduled). */
export function podConditions(phase: Phase, statuses: readonly ContainerStatus[], prev: readonly PodCondition[], now: string, init: InitState = { progress: 'done', incomplete: [] }): PodCondition[] {
  const mine = new Set(['Initialized', 'ContainersReady', 'Ready']);
  const others = prev.filter((c) => !mine.has(c.type));
  const done = phase === 'Succeeded' || phase === 'Failed';
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const ready = !done && init.progress === 'done' && unready.length === 0 && statuses.length > 0;
  const reason = done ? 'PodCompleted' : ready ? undefined : 'ContainersNotReady';
  const message = done || ready ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const initialized = init.progress === 'done' || (done && init.progress !== 'failed');
  return [
    ...others,
    initialized
      ? condition('Initialized', true, now, prev, done ? 'PodCompleted' : undefined)
      : condition('Initialized', false, now, prev, 'ContainersNotInitialized', `containers with incomplete status: [${init.incomplete.join(' ')}]`),
    condition('Ready', ready, now, prev, reason, message),
    condition('ContainersReady', ready, now, prev, reason, message),
  ];
}

export interface StatusInput {
  pod: Pod;
  containerStatuses: ContainerStatus[];
  /** In the spec's order; empty for a pod without init containers. */
  initContainerStatuses?: ContainerStatus[];
  startTime?: string;
  /** Pod-level outcome that overrides the computed phase (DeadlineExceeded). */
  failed?: { reason: string; message: string };
  now: string;
  /** The pod's own address once its sandbox has one (127.0.0.1 on the host's network), and the node's as pods see it. */
  podIP?: string;
  hostIP?: string;
}

/** The full status to write, on top of what the store holds (fields other writers set are kept). */
export function buildPodStatus(prev: PodStatus | undefined, i: StatusInput): PodStatus {
  const inits = i.initContainerStatuses ?? [];
  const init = initState(i.pod, inits);
  const phase: Phase = i.failed ? 'Failed' : phaseWithInit(i.pod, init.progress, inits, i.containerStatuses);
  const next: PodStatus = {
    ...(prev ?? {}),
    phase,
    conditions: podConditions(phase, [...inits.filter((s) => sidecarNames(i.pod).has(s.name)), ...i.containerStatuses], prev?.conditions ?? [], i.now, init),
    ...(i.podIP ? { hostIP: i.hostIP ?? '127.0.0.1', hostIPs: [{ ip: i.hostIP ?? '127.0.0.1' }], podIP: i.podIP, podIPs: [{ ip: i.podIP }] } : {}),
    containerStatuses: i.containerStatuses,
    ...(inits.length ? { initContainerStatuses: inits } : {}),
    qosClass: qosClass(i.pod),
  };
  if (i.startTime) next.startTime = i.startTime;
  if (i.failed) {
    next.reason = i.failed.reason;
    next.message = i.failed.message;
  }
  return next;
}

function sidecarNames(pod: Pod): Set<string> {
  return new Set((pod.spec?.initContainers ?? []).filter(isSidecar).map((c) => c.name));
}

/**
 * The pod's phase: Pending until its init containers are done, Failed when one failed for good;
 * then the regular containers' phase, except that a pod whose regular containers have ended
 * stays Running (Pending, if it never initialized) until its sidecars are stopped.
 */
function phaseWithInit(pod: Pod, progress: InitProgress, inits: readonly ContainerStatus[], regular: readonly ContainerStatus[]): Phase {
  const sidecars = sidecarNames(pod);
  const sidecarRunning = inits.some((s) => sidecars.has(s.name) && s.state?.running);
  if (progress === 'failed') return sidecarRunning ? 'Pending' : 'Failed';
  if (progress === 'pending') return 'Pending';
  const phase = podPhase(pod.spec?.restartPolicy, regular);
  return (phase === 'Succeeded' || phase === 'Failed') && sidecarRunning ? 'Running' : phase;
}

/** Running, and its startup probe (if any) has passed. */
function started(c: ContainerRun): boolean {
  return c.state.running !== undefined && (c.prober?.started ?? true);
}

function statusOf(c: ContainerRun): ContainerStatus {
  const running = c.state.running !== undefined;
  const s: ContainerStatus = {
    name: c.spec.name,
    image: c.spec.image ?? '',
    imageID: '',
    // Ready: its probes say so (or it has none); an init container that ended with 0 counts as
    // ready, as the kubelet says.
    ready: (running && (c.prober?.ready ?? true)) || (c.role === 'init' && c.state.terminated?.exitCode === 0),
    started: started(c),
    restartCount: c.restartCount,
    state: c.state,
    lastState: c.lastState ?? {},
  };
  const id = c.state.terminated?.containerID ?? (running ? c.containerID : undefined);
  if (id) s.containerID = id;
  return s;
}

/** The kubelet's statuses for a pod's regular containers, sorted by name. */
export function containerStatuses(runs: Iterable<ContainerRun>): ContainerStatus[] {
  return [...runs]
    .filter((c) => c.role === 'regular')
    .map(statusOf)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The statuses of a pod's init containers (sidecars included), in the spec's order. */
export function initContainerStatuses(runs: Iterable<ContainerRun>): ContainerStatus[] {
  return [...runs].filter((c) => c.role !== 'regular').map(statusOf);
}

/**
 * Which of a pod's containers to start now: init containers one at a time in the spec's order
 * (each must end with 0; a sidecar need only have started), then every regular container at once.
 * A sidecar that ended is started again with the rest. `idle`: not finished, not running, not
 * starting, not waiting out a back-off.
 */
export function containersToStart(runs: readonly ContainerRun[]): ContainerRun[] {
  const idle = (c: ContainerRun) => !c.finished && !c.attempt && !c.starting && !c.backoffCancel;
  const out: ContainerRun[] = [];
  for (const c of runs) {
    if (c.role === 'sidecar') {
      if (idle(c)) out.push(c);
      // Has it started yet (its startup probe passed)? The next init container waits for that, once.
      if (!started(c) && !c.state.terminated && !c.lastState?.terminated) return out;
      continue;
    }
    if (c.role === 'init') {
      if (c.state.terminated?.exitCode === 0 && c.finished) continue;
      if (idle(c)) out.push(c);
      return out;
    }
    if (idle(c)) out.push(c);
  }
  return out;
}
