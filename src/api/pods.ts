/** Pure facts about Pods that several contexts need: what a pod asks for, its QoS class, whether it is done. */
import type { Pod } from './types.js';
import { cpuMillis, parseQuantity, safeQuantity } from './quantity.js';
import { BadRequestError } from './errors.js';

export interface PodRequests {
  cpuMillis: number;
  memoryBytes: number;
  /** Extended resources such as `nvidia.com/gpu`, in whole units. */
  extended: Record<string, number>;
}

export interface PodResources {
  requests: Record<string, number>;
  limits: Record<string, number>;
}

/**
 * A pod's effective requests and limits per resource, as Kubernetes counts them: the containers'
 * amounts summed with the sidecars' (init containers with restartPolicy Always, which run beside
 * them), an init container's taken when it is larger (they run one at a time, before the others,
 * beside the sidecars started before them), the pod's overhead added; a resource with a limit but no request requests its limit.
 * `amount` turns one quantity into a number; by default cpu is in cores and a malformed quantity
 * counts as 0 (what `describe` and `top` show of any object).
 */
export function podResources(pod: Pod, amount: (resource: string, q: unknown) => number = (_r, q) => safeQuantity(q)): PodResources {
  const total = (which: 'requests' | 'limits'): Record<string, number> => {
    const out: Record<string, number> = {};
    const of = (c: { resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> } }) =>
      which === 'requests' ? { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) } : (c.resources?.limits ?? {});
    const sidecars: Record<string, number> = {};
    const peaks: Record<string, number> = {};
    for (const c of pod.spec?.initContainers ?? []) {
      const always = isSidecar(c);
      for (const [r, q] of Object.entries(of(c))) {
        if (always) sidecars[r] = (sidecars[r] ?? 0) + amount(r, q);
        else peaks[r] = Math.max(peaks[r] ?? 0, (sidecars[r] ?? 0) + amount(r, q));
      }
    }
    for (const c of pod.spec?.containers ?? []) for (const [r, q] of Object.entries(of(c))) out[r] = (out[r] ?? 0) + amount(r, q);
    for (const [r, v] of Object.entries(sidecars)) out[r] = (out[r] ?? 0) + v;
    for (const [r, v] of Object.entries(peaks)) out[r] = Math.max(out[r] ?? 0, v);
    for (const [r, q] of Object.entries(pod.spec?.overhead ?? {})) out[r] = (out[r] ?? 0) + amount(r, q);
    return out;
  };
  return { requests: total('requests'), limits: total('limits') };
}

/** What the scheduler fits: the pod's requests, cpu in whole millicores rounded up per container as Kubernetes does. */
export function podRequests(pod: Pod): PodRequests {
  const { requests } = podResources(pod, (r, q) => (r === 'cpu' ? cpuMillis(q as string | number) : parseQuantity(q as string | number)));
  const extended: Record<string, number> = {};
  for (const [r, v] of Object.entries(requests)) if (r !== 'cpu' && r !== 'memory' && r !== 'ephemeral-storage') extended[r] = v;
  return { cpuMillis: requests['cpu'] ?? 0, memoryBytes: requests['memory'] ?? 0, extended };
}

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/**
 * The pod's QoS class as Kubernetes derives it: only cpu and memory count; Guaranteed when every
 * container (init containers too) limits both and requests what it limits (a missing request is
 * its limit), BestEffort when none asks for either, else Burstable. Amounts compare by value
 * (`1` = `1000m`).
 */
export function qosClass(pod: Pod): QosClass {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const limits = c.resources?.limits ?? {};
    const requests = { ...limits, ...(c.resources?.requests ?? {}) };
    for (const r of ['cpu', 'memory']) {
      if (requests[r] !== undefined || limits[r] !== undefined) any = true;
      if (limits[r] === undefined || safeQuantity(requests[r]) !== safeQuantity(limits[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export const GPU_RESOURCE = 'nvidia.com/gpu';

/** An init container with restartPolicy Always: a sidecar, which runs beside the regular containers. */
export function isSidecar(c: { restartPolicy?: string }): boolean {
  return c.restartPolicy === 'Always';
}

/** Whether the pod has a container (init containers included) of that name. */
export function hasContainer(pod: Pod, name: string): boolean {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].some((c) => c.name === name);
}

/**
 * The container a log read or an exec means, as the API server picks it: the one named (an init
 * container too), else the pod's only container. Throws BadRequestError with the API server's words.
 */
export function podContainerName(pod: Pod, asked: string | null | undefined): string {
  const podName = pod.metadata?.name ?? '';
  if (asked) {
    if (!hasContainer(pod, asked)) throw new BadRequestError(`container ${asked} is not valid for pod ${podName}`);
    return asked;
  }
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  if (names.length === 1) return names[0]!;
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
  throw new BadRequestError(`a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]${inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''}`);
}
