/**
 * A work queue for level-triggered controllers: each key is reconciled by at most one worker
 * at a time, a key added while it is being worked on is worked on again afterwards, and a
 * reconcile may ask to be called again later (deadlines, back-off).
 */
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

export interface ReconcileResult {
  /** Reconcile this key again after this many milliseconds (unless something changes first). */
  requeueAfterMs?: number;
}

export type Reconciler = (key: string) => Promise<ReconcileResult | void>;

/** Reconciles run and the time they took, per queue name, since the process started (for /metrics). */
const STATS = new Map<string, { reconciles: number; failures: number; seconds: number }>();
export function queueStats(): ReadonlyMap<string, { reconciles: number; failures: number; seconds: number }> {
  return STATS;
}

export class WorkQueue {
  private readonly dirty = new Set<string>();
  private readonly active = new Set<string>();
  private readonly timers = new Map<string, { at: number; cancel: () => void }>();
  /** addSoon's timers: dropped when the key's next reconcile starts, whatever brought it. */
  private readonly soon = new Map<string, () => void>();
  private readonly idleWaiters: (() => void)[] = [];
  /** Consecutive failed reconciles per key: the retry waits longer after each (500 ms doubling, at most 30 s). */
  private readonly failures = new Map<string, number>();
  private stopped = false;
  private pumpQueued = false;

  constructor(
    private readonly name: string,
    private readonly reconcile: Reconciler,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly concurrency = 4,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    this.dirty.add(key);
    this.schedulePump();
  }

  /**
   * Pumps on the event loop's next turn, not at once: never from inside a store notification
   * (the store may still be delivering the rest of the same commit: a cascading delete tells of
   * the pods before their Job), and never as a microtask chained to the last reconcile. Store
   * calls are synchronous, so a chain of reconciles joined by microtasks would hold the loop
   * until every queue ran dry, and API requests and process exits would wait behind it.
   */
  private schedulePump(): void {
    if (this.pumpQueued || this.stopped) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const at = this.clock.now() + ms;
    const cur = this.timers.get(key);
    if (cur && cur.at <= at) return;
    cur?.cancel();
    const cancel = this.clock.setTimer(ms, () => {
      this.timers.delete(key);
      this.add(key);
    });
    this.timers.set(key, { at, cancel });
  }

  /**
   * Reconciles `key` within `ms`, or sooner if anything else brings it: for news that may wait
   * (a step that started running) and that the next reconcile takes in anyway.
   */
  addSoon(key: string, ms: number): void {
    if (this.stopped || this.soon.has(key) || this.dirty.has(key)) return;
    const cancel = this.clock.setTimer(ms, () => {
      this.soon.delete(key);
      this.add(key);
    });
    this.soon.set(key, cancel);
  }

  private pump(): void {
    for (const key of this.dirty) {
      if (this.active.size >= this.concurrency) return;
      if (this.active.has(key)) continue;
      this.dirty.delete(key);
      this.active.add(key);
      // This reconcile reads everything addSoon was waiting to tell it.
      this.soon.get(key)?.();
      this.soon.delete(key);
      void this.work(key);
    }
    if (this.dirty.size === 0 && this.active.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async work(key: string): Promise<void> {
    let stats = STATS.get(this.name);
    if (!stats) STATS.set(this.name, (stats = { reconciles: 0, failures: 0, seconds: 0 }));
    stats.reconciles++;
    const started = performance.now();
    try {
      const result = await this.reconcile(key);
      stats.seconds += (performance.now() - started) / 1000;
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      stats.seconds += (performance.now() - started) / 1000;
      stats.failures++;
      // Level-triggered: a failed reconcile is simply tried again, later each time it fails again.
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = Math.min(500 * 2 ** (n - 1), 30_000);
      this.logger.warn(`${this.name}: reconcile failed`, { key, attempt: n, retryInMs: delay, error: err instanceof Error ? err.message : String(err) });
      this.addAfter(key, delay);
    } finally {
      this.active.delete(key);
      if (this.dirty.size > 0) this.schedulePump();
      else if (this.active.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Resolves when nothing is queued or running (timers may still be pending). */
  idle(): Promise<void> {
    if (this.dirty.size === 0 && this.active.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const cancel of this.soon.values()) cancel();
    this.soon.clear();
    this.dirty.clear();
  }
}
