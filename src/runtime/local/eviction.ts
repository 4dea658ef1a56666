/**
 * Eviction over `ephemeral-storage` limits, as the kubelet's eviction manager does it for local
 * storage: a pod whose disk use passes its limits is killed at once and ends Failed with reason
 * `Evicted` and the kubelet's message. The decision is pure; measuring is a `du` of the pod's
 * directories.
 *
 * What counts (all on the disk holding $DROVER_HOME): each container's writable layer (the
 * overlay's upper directory of its current attempt) and its current log, and the pod's emptyDir
 * volumes not backed by memory. /tmp is a tmpfs sized to the smaller of the memory and
 * ephemeral-storage limits (a write past it fails with ENOSPC), charged to memory, so it is
 * not counted here.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { formatResource, parseQuantity, type Pod } from '../../api/index.js';

/** Bytes in use, by container name and by emptyDir volume name. */
export interface StorageUsage {
  containers: ReadonlyMap<string, number>;
  emptyDirs: ReadonlyMap<string, number>;
}

/** The pod asks to be held to a disk bound: an ephemeral-storage limit or an emptyDir sizeLimit. */
export function hasStorageLimits(pod: Pod): boolean {
  return (pod.spec?.containers ?? []).some((c) => c.resources?.limits?.['ephemeral-storage'] !== undefined) || (pod.spec?.volumes ?? []).some((v) => v.emptyDir?.sizeLimit !== undefined);
}

/**
 * The kubelet's verdict on one pod, in its order: an emptyDir past its sizeLimit, then the pod
 * past the sum of its containers' limits, then a container past its own. Undefined: within bounds.
 */
export function storageEviction(pod: Pod, usage: StorageUsage): string | undefined {
  for (const v of pod.spec?.volumes ?? []) {
    const limit = v.emptyDir?.sizeLimit;
    if (limit === undefined || v.emptyDir?.medium === 'Memory') continue;
    if ((usage.emptyDirs.get(v.name) ?? 0) > bytes(limit)) return `Usage of EmptyDir volume "${v.name}" exceeds the limit "${String(limit)}". `;
  }
  const limited = (pod.spec?.containers ?? []).flatMap((c) => {
    const limit = c.resources?.limits?.['ephemeral-storage'];
    return limit !== undefined && bytes(limit) > 0 ? [{ name: c.name, limit: String(limit), bytes: bytes(limit) }] : [];
  });
  if (limited.length === 0) return undefined;
  // The pod's bound is the sum of the limits its containers set (a container without one adds nothing).
  const podLimit = limited.reduce((n, c) => n + c.bytes, 0);
  const podUsage = [...usage.containers.values(), ...usage.emptyDirs.values()].reduce((n, b) => n + b, 0);
  if (podUsage > podLimit) {
    const shown = limited.length === 1 ? limited[0]!.limit : formatResource('ephemeral-storage', podLimit);
    return `Pod ephemeral local storage usage exceeds the total limit of containers ${shown}. `;
  }
  for (const c of limited) {
    if ((usage.containers.get(c.name) ?? 0) > c.bytes) return `Container ${c.name} exceeded its local ephemeral storage limit "${c.limit}". `;
  }
  return undefined;
}

function bytes(q: string | number): number {
  try {
    return parseQuantity(typeof q === 'number' ? q : String(q));
  } catch {
    return Infinity;
  }
}

/** Disk blocks in use under `path`, as `du` counts them (a sparse or hole-punched file counts what it holds). */
export async function diskUsage(path: string): Promise<number> {
  let st;
  try {
    st = await fsp.lstat(path);
  } catch {
    return 0;
  }
  let total = st.blocks * 512;
  if (!st.isDirectory()) return total;
  const entries = await fsp.readdir(path).catch(() => [] as string[]);
  for (const e of entries) total += await diskUsage(join(path, e));
  return total;
}
