/**
 * GPU ids for pods: a container with an `nvidia.com/gpu` limit gets that many of the configured
 * ids for itself; a pod holds the ids of all its containers until it ends.
 */
import { GPU_RESOURCE, isSidecar, parseQuantity, type Container, type Pod } from '../../api/index.js';

/** GPUs a container asks for (its limit, else its request). */
export function gpuCount(c: Container): number {
  const q = c.resources?.limits?.[GPU_RESOURCE] ?? c.resources?.requests?.[GPU_RESOURCE];
  return q === undefined ? 0 : Math.ceil(parseQuantity(q));
}

/**
 * GPUs the pod holds, as Kubernetes counts a pod's effective request: its sidecars and regular
 * containers run together; each other init container runs alone beside the sidecars before it.
 */
export function podGpuCount(pod: Pod): number {
  let sidecars = 0;
  let peak = 0;
  for (const c of pod.spec?.initContainers ?? []) {
    if (isSidecar(c)) sidecars += gpuCount(c);
    else peak = Math.max(peak, sidecars + gpuCount(c));
  }
  return Math.max(peak, (pod.spec?.containers ?? []).reduce((n, c) => n + gpuCount(c), sidecars));
}

/** The container's share of the pod's ids: sidecars, then regular containers, take them in order; an init container takes those after the sidecars before it. */
export function containerGpus(pod: Pod, podGpuIds: readonly string[], name: string): string[] {
  let offset = 0;
  for (const c of pod.spec?.initContainers ?? []) {
    const n = gpuCount(c);
    if (c.name === name) return podGpuIds.slice(offset, offset + n);
    if (isSidecar(c)) offset += n;
  }
  for (const c of pod.spec?.containers ?? []) {
    const n = gpuCount(c);
    if (c.name === name) return podGpuIds.slice(offset, offset + n);
    offset += n;
  }
  return [];
}

/** Which pod (uid) holds which of the configured ids. */
export class GpuAllocator {
  private readonly owner = new Map<string, string>();

  constructor(private readonly ids: readonly string[]) {}

  /**
   * `n` ids for the pod: those it holds already, else free ones, `preferred` first (the ids it had
   * before a restart). Undefined when not enough are free.
   */
  allocate(uid: string, n: number, preferred?: readonly string[]): string[] | undefined {
    if (n === 0) return [];
    const mine = this.ids.filter((id) => this.owner.get(id) === uid);
    if (mine.length >= n) return mine.slice(0, n);
    const order = [...(preferred ?? []), ...this.ids];
    const free = [...new Set(order)].filter((id) => this.ids.includes(id) && !this.owner.has(id));
    if (free.length < n) return undefined;
    const ids = free.slice(0, n);
    for (const id of ids) this.owner.set(id, uid);
    return ids;
  }

  /** Frees the pod's ids; true when it held any. */
  release(uid: string): boolean {
    let freed = false;
    for (const [id, owner] of this.owner) {
      if (owner === uid) {
        this.owner.delete(id);
        freed = true;
      }
    }
    return freed;
  }

  /** Ids in use, by pod uid. */
  allocations(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [id, uid] of this.owner) out.set(uid, [...(out.get(uid) ?? []), id]);
    return out;
  }

  clear(): void {
    this.owner.clear();
  }
}
