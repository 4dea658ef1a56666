/** Pure facts about Pods that several contexts need: what a pod asks for, whether it is done. */
import type { Pod } from './types.js';
import { cpuMillis, parseQuantity } from './quantity.js';

export interface PodRequests {
  cpuMillis: number;
  memoryBytes: number;
  /** Extended resources such as `nvidia.com/gpu`, in whole units. */
  extended: Record<string, number>;
}

/** Sum of the containers' requests; a resource with a limit but no request requests its limit, as in Kubernetes. */
export function podRequests(pod: Pod): PodRequests {
  const total: PodRequests = { cpuMillis: 0, memoryBytes: 0, extended: {} };
  for (const c of pod.spec?.containers ?? []) {
    const limits = c.resources?.limits ?? {};
    const requests = { ...limits, ...(c.resources?.requests ?? {}) };
    for (const [name, q] of Object.entries(requests)) {
      if (name === 'cpu') total.cpuMillis += cpuMillis(q);
      else if (name === 'memory') total.memoryBytes += parseQuantity(q);
      else if (name !== 'ephemeral-storage') total.extended[name] = (total.extended[name] ?? 0) + parseQuantity(q);
    }
  }
  return total;
}

export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export const GPU_RESOURCE = 'nvidia.com/gpu';
