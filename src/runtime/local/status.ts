/**
 * Pod status as the kubelet computes it, as pure functions: phase from container states
 * (pkg/kubelet/kubelet_pods.go getPhase), conditions, QoS class.
 */
import type { ContainerStatus, Pod, PodCondition, PodStatus } from '../../api/index.js';
import type { ContainerRun } from './context.js';
import { qosClass } from '../../api/pods.js';

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

/** Initialized, ContainersReady and Ready, keeping transition times that did not change and any other condition (PodScheduled). */
export function podConditions(phase: Phase, statuses: readonly ContainerStatus[], prev: readonly PodCondition[], now: string): PodCondition[] {
  const mine = new Set(['Initialized', 'ContainersReady', 'Ready']);
  const others = prev.filter((c) => !mine.has(c.type));
  const done = phase === 'Succeeded' || phase === 'Failed';
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const ready = !done && unready.length === 0 && statuses.length > 0;
  const reason = done ? 'PodCompleted' : ready ? undefined : 'ContainersNotReady';
  const message = done || ready ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  return [
    ...others,
    condition('Initialized', true, now, prev, done ? 'PodCompleted' : undefined),
    condition('Ready', ready, now, prev, reason, message),
    condition('ContainersReady', ready, now, prev, reason, message),
  ];
}

export interface StatusInput {
  pod: Pod;
  containerStatuses: ContainerStatus[];
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
  const phase: Phase = i.failed ? 'Failed' : podPhase(i.pod.spec?.restartPolicy, i.containerStatuses);
  const next: PodStatus = {
    ...(prev ?? {}),
    phase,
    conditions: podConditions(phase, i.containerStatuses, prev?.conditions ?? [], i.now),
    ...(i.podIP ? { hostIP: i.hostIP ?? '127.0.0.1', hostIPs: [{ ip: i.hostIP ?? '127.0.0.1' }], podIP: i.podIP, podIPs: [{ ip: i.podIP }] } : {}),
    containerStatuses: i.containerStatuses,
    qosClass: qosClass(i.pod),
  };
  if (i.startTime) next.startTime = i.startTime;
  if (i.failed) {
    next.reason = i.failed.reason;
    next.message = i.failed.message;
  }
  return next;
}

/** The kubelet's container statuses for a pod's runs, sorted by name. */
export function containerStatuses(runs: Iterable<ContainerRun>): ContainerStatus[] {
  return [...runs]
    .map((c) => {
      const running = c.state.running !== undefined;
      const s: ContainerStatus = {
        name: c.spec.name,
        image: c.spec.image ?? '',
        imageID: '',
        ready: running,
        started: running,
        restartCount: c.restartCount,
        state: c.state,
        lastState: c.lastState ?? {},
      };
      const id = c.state.terminated?.containerID ?? (running ? c.containerID : undefined);
      if (id) s.containerID = id;
      return s;
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
