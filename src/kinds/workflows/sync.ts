/**
 * `synchronization`: mutexes and semaphores shared by every workflow of a namespace, held by a
 * whole workflow (spec.synchronization) or by one node (a template's). Holders are recorded in
 * each workflow's `status.synchronization`, so after a restart the table is rebuilt from the
 * stored workflows; waiters are served first come, first served.
 */
import type { Template, Workflow } from './types.js';

export interface LockRequest {
  /** `ns/Mutex/name` or `ns/ConfigMap/name/key`. */
  key: string;
  kind: 'mutex' | 'semaphore';
  /** As recorded in status: the mutex's or semaphore's name (`ns/Mutex/x` → `ns/x`, Argo's shape). */
  display: string;
  limit: number;
}

export interface LockTable {
  /** Takes `key` for `holder` if there is room and no earlier waiter; otherwise queues `holder`. */
  acquire(req: LockRequest, holder: string): boolean;
  release(key: string, holder: string): void;
}

/** The locks a `synchronization` block asks for; the semaphore limit is read from its ConfigMap. */
export function lockRequests(
  sync: Template['synchronization'] | undefined,
  namespace: string,
  configMap: (ns: string, name: string) => { data?: Record<string, string> } | undefined,
): LockRequest[] | string {
  if (!sync) return [];
  const raw = sync as { mutexes?: { name?: string; namespace?: string }[]; semaphores?: { configMapKeyRef?: { name?: string; key?: string }; namespace?: string }[]; mutex?: { name?: string; namespace?: string }; semaphore?: { configMapKeyRef?: { name?: string; key?: string }; namespace?: string } };
  const out: LockRequest[] = [];
  for (const m of [...(raw.mutexes ?? []), ...(raw.mutex ? [raw.mutex] : [])]) {
    const ns = m.namespace ?? namespace;
    out.push({ key: `${ns}/Mutex/${m.name}`, kind: 'mutex', display: `${ns}/Mutex/${m.name}`, limit: 1 });
  }
  for (const s of [...(raw.semaphores ?? []), ...(raw.semaphore ? [raw.semaphore] : [])]) {
    const ref = s.configMapKeyRef;
    const ns = s.namespace ?? namespace;
    if (!ref?.name || !ref.key) return 'synchronization.semaphores[].configMapKeyRef needs name and key';
    const value = configMap(ns, ref.name)?.data?.[ref.key];
    if (value === undefined) return `semaphore ConfigMap "${ref.name}" has no key "${ref.key}"`;
    const limit = Number.parseInt(value, 10);
    if (!Number.isFinite(limit) || limit < 0) return `semaphore ${ref.name}/${ref.key}: ${JSON.stringify(value)} is not a number`;
    out.push({ key: `${ns}/ConfigMap/${ref.name}/${ref.key}`, kind: 'semaphore', display: `${ns}/ConfigMap/${ref.name}/${ref.key}`, limit });
  }
  return out;
}

interface Lock {
  holders: Set<string>;
  waiting: string[];
  limit: number;
}

export class InMemoryLockTable implements LockTable {
  private readonly locks = new Map<string, Lock>();

  constructor(private readonly onFree: (key: string, waiters: readonly string[]) => void) {}

  private lock(key: string, limit: number): Lock {
    let l = this.locks.get(key);
    if (!l) this.locks.set(key, (l = { holders: new Set(), waiting: [], limit }));
    l.limit = limit;
    return l;
  }

  /** Marks `holder` as holding `key` (rebuilding the table from stored statuses). */
  restore(key: string, holder: string, limit = 1): void {
    this.lock(key, limit).holders.add(holder);
  }

  acquire(req: LockRequest, holder: string): boolean {
    const l = this.lock(req.key, req.limit);
    if (l.holders.has(holder)) return true;
    if (!l.waiting.includes(holder)) l.waiting.push(holder);
    const room = l.limit - l.holders.size;
    if (room > 0 && l.waiting.indexOf(holder) < room) {
      l.waiting.splice(l.waiting.indexOf(holder), 1);
      l.holders.add(holder);
      return true;
    }
    return false;
  }

  release(key: string, holder: string): void {
    const l = this.locks.get(key);
    if (!l) return;
    const held = l.holders.delete(holder);
    const i = l.waiting.indexOf(holder);
    if (i >= 0) l.waiting.splice(i, 1);
    if (held && l.waiting.length) this.onFree(key, [...l.waiting]);
  }

  /** Everything `prefix` (a workflow, `ns/name`) holds or waits for goes (the workflow was deleted). */
  releaseAll(prefix: string): void {
    for (const [key, l] of this.locks) {
      for (const h of [...l.holders, ...l.waiting]) if (h === prefix || h.startsWith(`${prefix}/`)) this.release(key, h);
    }
  }
}

/** What a workflow's status says it holds, as `[lockKey, holder]` pairs (holders are `ns/wf[/nodeId]`). */
export function heldLocks(wf: Workflow): [string, string][] {
  const ns = wf.metadata.namespace ?? 'default';
  const sync = wf.status?.synchronization as
    | { mutex?: { holding?: { mutex?: string; holder?: string }[] }; semaphore?: { holding?: { semaphore?: string; holders?: string[] }[] } }
    | undefined;
  const out: [string, string][] = [];
  for (const h of sync?.mutex?.holding ?? []) if (h.mutex && h.holder) out.push([h.mutex, `${ns}/${h.holder}`]);
  for (const h of sync?.semaphore?.holding ?? []) for (const holder of h.holders ?? []) if (h.semaphore) out.push([h.semaphore, `${ns}/${holder}`]);
  return out;
}
