/**
 * Garbage collection and store upkeep, on the injected clock, off the request path:
 * - finished pods beyond `terminatedPodThreshold` (kube-controller-manager's
 *   terminated-pod-gc-threshold, 12500), oldest first, but only pods no live controller still
 *   needs: without an owner, whose owner is gone, or whose owners up the chain have finished;
 * - events that last happened more than `eventTtlMs` ago (kube-apiserver's --event-ttl, 1 h);
 * - the change log's age bound (the store prunes by count and size as it writes).
 * Deleting a pod deletes its logs and files with it (the runtime's cleanup), as on a cluster.
 */
import type { Event, KubeObject, Pod, Stored } from '../api/types.js';
import { isPodTerminal } from '../api/pods.js';
import type { Store } from '../store/index.js';
import type { Retention } from '../config/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

interface Condition {
  type?: string;
  status?: string;
}
type WithStatus = KubeObject & { status?: { phase?: string; conditions?: Condition[] } };

const hasTrue = (o: WithStatus, types: readonly string[]) => (o.status?.conditions ?? []).some((c) => c.status === 'True' && types.includes(c.type ?? ''));

/**
 * Owners whose end the collector can see, and what "ended" means for each. A pod whose owner is
 * of another kind is never collected while that owner lives: its controller may still read it.
 * Owners of other kinds above a finished one (a CronWorkflow above its Workflows, an Experiment
 * above its Trials) read no pods.
 */
const FINISHED: Record<string, (o: WithStatus) => boolean> = {
  'batch/Job': (o) => hasTrue(o, ['Complete', 'Failed']),
  'argoproj.io/Workflow': (o) => ['Succeeded', 'Failed', 'Error'].includes(o.status?.phase ?? ''),
  // A trial reads its Job's pods' logs until it has its outcome.
  'kubeflow.org/Trial': (o) => hasTrue(o, ['Succeeded', 'Failed', 'MetricsUnavailable', 'EarlyStopped', 'Killed']),
};

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

export interface GcResult {
  podsDeleted: number;
  eventsDeleted: number;
}

export interface GarbageCollectorOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  retention: Retention;
  /** Store upkeep run on the same beat (the SQLite store's `maintain`). */
  maintainStore?: () => void;
}

export class GarbageCollector {
  private cancel: (() => void) | undefined;
  private stopped = false;
  private running: Promise<GcResult> | undefined;

  constructor(private readonly o: GarbageCollectorOptions) {}

  start(): void {
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  private arm(): void {
    if (this.stopped || this.o.retention.intervalMs <= 0) return;
    this.cancel = this.o.clock.setTimer(this.o.retention.intervalMs, () => {
      void this.run().finally(() => this.arm());
    });
  }

  /** One round; never throws (a full disk refuses deletes too: the next round tries again). */
  run(): Promise<GcResult> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<GcResult> {
    const result: GcResult = { podsDeleted: 0, eventsDeleted: 0 };
    for (const [what, step] of [
      ['pods', async () => (result.podsDeleted = await this.collectPods())],
      ['events', async () => (result.eventsDeleted = await this.expireEvents())],
      ['change log', async () => this.o.maintainStore?.()],
    ] as const) {
      try {
        await step();
      } catch (err) {
        this.o.logger.warn(`garbage collection of ${what} failed; trying again at the next round`, { error: (err as Error).message });
      }
    }
    if (result.podsDeleted || result.eventsDeleted) this.o.logger.info('garbage collected', { ...result });
    return result;
  }

  /** Deletes the oldest collectable finished pods beyond the threshold; returns how many. */
  async collectPods(): Promise<number> {
    const threshold = this.o.retention.terminatedPodThreshold;
    if (threshold <= 0) return 0;
    const pods = (await this.o.store.list<Stored<Pod>>({ apiVersion: 'v1', kind: 'Pod' })).items;
    const terminated = pods.filter((p) => isPodTerminal(p));
    let excess = terminated.length - threshold;
    if (excess <= 0) return 0;
    terminated.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    const owners = new Map<string, WithStatus | null>();
    let deleted = 0;
    for (const pod of terminated) {
      if (excess <= 0 || this.stopped) break;
      if (!(await this.collectable(pod, owners))) continue;
      try {
        await this.o.store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name! });
        deleted++;
        excess--;
      } catch (err) {
        if ((err as { code?: string }).code !== 'NOT_FOUND') throw err;
      }
      if (deleted % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    return deleted;
  }

  /** Whether no live controller still needs `obj`: every owner up the chain it can judge is gone or finished. */
  private async collectable(obj: KubeObject, cache: Map<string, WithStatus | null>, depth = 0): Promise<boolean> {
    if (depth > 8) return false;
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const owner = await this.owner(ref, obj.metadata.namespace ?? '', cache);
      if (!owner) continue; // gone: an orphan is collected, as Kubernetes' PodGC does
      const finished = FINISHED[`${groupOf(owner.apiVersion)}/${owner.kind}`];
      if (!finished) {
        if (depth === 0) return false; // a controller the collector cannot judge: keep its pods
        continue; // above a finished owner, a kind that reads no pods (a CronWorkflow)
      }
      if (!finished(owner)) return false;
      if (!(await this.collectable(owner, cache, depth + 1))) return false;
    }
    return true;
  }

  private async owner(ref: NonNullable<KubeObject['metadata']['ownerReferences']>[number], namespace: string, cache: Map<string, WithStatus | null>): Promise<WithStatus | null> {
    if (cache.has(ref.uid)) return cache.get(ref.uid)!;
    let found: WithStatus | undefined;
    try {
      found = await this.o.store.get<WithStatus>({ apiVersion: ref.apiVersion, kind: ref.kind, namespace, name: ref.name });
    } catch {
      found = undefined; // a kind no longer served: nothing there to need the pod
    }
    const owner = found && found.metadata.uid === ref.uid ? found : null;
    cache.set(ref.uid, owner);
    return owner;
  }

  /** Deletes events whose last occurrence is older than the TTL; returns how many. */
  async expireEvents(): Promise<number> {
    const ttl = this.o.retention.eventTtlMs;
    if (ttl <= 0) return 0;
    const cutoff = this.o.clock.now() - ttl;
    const events = (await this.o.store.list<Event & KubeObject>({ apiVersion: 'v1', kind: 'Event' })).items;
    let deleted = 0;
    for (const e of events) {
      if (this.stopped) break;
      const last = Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? '');
      if (!Number.isFinite(last) || last >= cutoff) continue;
      try {
        await this.o.store.delete({ apiVersion: 'v1', kind: 'Event', namespace: e.metadata.namespace!, name: e.metadata.name! });
        deleted++;
      } catch (err) {
        if ((err as { code?: string }).code !== 'NOT_FOUND') throw err;
      }
      if (deleted % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    return deleted;
  }
}
