/**
 * `synchronization` within a pass: taking a workflow's or a template's mutexes and semaphores from
 * the shared LockTable (sync.ts) and recording who holds what in `status.synchronization`, which
 * is how the table is rebuilt after a restart.
 */
import { lockRequests, type LockRequest } from './sync.js';
import { WorkflowError, type Operation } from './operation.js';
import type { NodeStatus, Template } from './types.js';

type SyncStatus = {
  mutex?: { holding?: { mutex: string; holder: string }[] };
  semaphore?: { holding?: { semaphore: string; holders: string[] }[] };
};

/**
 * Takes every lock a `synchronization` block names for `holder` (the workflow's name, or
 * `<workflow>/<node id>`), recording holds in status. False while any is held by others; the
 * controller brings this workflow back when one frees up.
 */
export function acquireLocks(op: Operation, sync: Template['synchronization'] | undefined, holder: string, node?: NodeStatus): boolean {
  const locks = op.input.locks;
  if (!sync || !locks) return true;
  const ns = op.wf.metadata.namespace ?? 'default';
  const reqs = lockRequests(sync, ns, (n, name) => op.input.configMap(n, name));
  if (typeof reqs === 'string') throw new WorkflowError(reqs);
  for (const req of reqs) {
    if (!locks.acquire(req, `${ns}/${holder}`)) {
      const message = `Waiting for ${req.display} lock. Lock status: 0/${req.limit}`;
      if (node) node.message = message;
      else op.status.message = message;
      return false;
    }
    recordHold(op, req, holder);
  }
  if (node?.message?.startsWith('Waiting for ')) delete node.message;
  return true;
}

function recordHold(op: Operation, req: LockRequest, holder: string): void {
  const sync = ((op.status as Record<string, unknown>)['synchronization'] ??= {}) as SyncStatus;
  if (req.kind === 'mutex') {
    const holding = ((sync.mutex ??= {}).holding ??= []);
    if (!holding.some((h) => h.mutex === req.key && h.holder === holder)) holding.push({ mutex: req.key, holder });
  } else {
    const holding = ((sync.semaphore ??= {}).holding ??= []);
    let entry = holding.find((h) => h.semaphore === req.key);
    if (!entry) holding.push((entry = { semaphore: req.key, holders: [] }));
    if (!entry.holders.includes(holder)) entry.holders.push(holder);
  }
}

/** Releases what `holder` holds (all holders when undefined) and drops it from status. */
export function releaseLocks(op: Operation, holder?: string): void {
  const sync = (op.status as Record<string, unknown>)['synchronization'] as SyncStatus | undefined;
  if (!sync) return;
  const ns = op.wf.metadata.namespace ?? 'default';
  const mine = (h: string) => holder === undefined || h === holder;
  for (const h of sync.mutex?.holding ?? []) if (mine(h.holder)) op.input.locks?.release(h.mutex, `${ns}/${h.holder}`);
  if (sync.mutex?.holding) sync.mutex.holding = sync.mutex.holding.filter((h) => !mine(h.holder));
  for (const e of sync.semaphore?.holding ?? []) {
    for (const h of e.holders) if (mine(h)) op.input.locks?.release(e.semaphore, `${ns}/${h}`);
    e.holders = e.holders.filter((h) => !mine(h));
  }
  if (sync.semaphore?.holding) sync.semaphore.holding = sync.semaphore.holding.filter((e) => e.holders.length > 0);
}
