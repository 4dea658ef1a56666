/**
 * Disk pressure, as the kubelet reports it: the free space of the file system holding
 * DROVER_HOME (the store, pods' logs, writable layers, volumes) is sampled on the injected clock;
 * below the threshold (kubelet's hard eviction signal `nodefs.available`) the Node gets
 * `DiskPressure=True` and the `node.kubernetes.io/disk-pressure:NoSchedule` taint, so the
 * scheduler leaves new pods Pending and says why; when space returns both go, and the pods go
 * on. The same pass writes the store's size on the Node (an annotation `describe node` prints).
 *
 * A full disk may refuse the Node's own update: the monitor keeps its state in memory, says so
 * once in the log, and writes again at the next check.
 */
import { statfsSync } from 'node:fs';
import type { Node, Stored } from '../api/types.js';
import { ANNOTATIONS } from '../api/types.js';
import type { Store } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { isoSeconds } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

export const DISK_PRESSURE_TAINT = 'node.kubernetes.io/disk-pressure';
/** The Node annotation holding the store's size (JSON of `StoreSize`), written by the monitor. */
export const STORE_SIZE_ANNOTATION = ANNOTATIONS.storeSize;

/** Free space below which the node is under pressure: a share of the file system, or bytes. */
export type DiskThreshold = { percent: number } | { bytes: number };

export interface DiskSample {
  path: string;
  totalBytes: number;
  availableBytes: number;
}

/** What the annotation says of the store (bytes), and when it was measured. */
export interface StoreSize {
  path: string;
  fileBytes: number;
  walBytes: number;
  freeBytes: number;
  changeLogRows: number;
  changeLogBytes: number;
  measured: string;
}

/** Free space of the file system holding `path`, as an unprivileged process may use it (bavail). */
export function sampleDisk(path: string): DiskSample {
  const s = statfsSync(path);
  return { path, totalBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize };
}

export function underPressure(sample: DiskSample, threshold: DiskThreshold): boolean {
  if ('bytes' in threshold) return sample.availableBytes < threshold.bytes;
  return sample.totalBytes > 0 && (sample.availableBytes / sample.totalBytes) * 100 < threshold.percent;
}

/** `nodefs.available<10%`, `nodefs.available<64Mi`: the threshold as the kubelet writes it. */
export function describeThreshold(t: DiskThreshold): string {
  return `nodefs.available<${'bytes' in t ? binary(t.bytes) : `${t.percent}%`}`;
}

/** Bytes in binary units, as quantities are written (`20Mi`, `1.5Gi`). */
export function binary(n: number): string {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : Number(v.toFixed(1))}${units[i]}`;
}

export interface DiskState {
  pressure: boolean;
  sample: DiskSample;
  threshold: DiskThreshold;
}

/** The condition's message: the kubelet's words, then the numbers behind them. */
function conditionMessage(s: DiskState): string {
  const pct = s.sample.totalBytes > 0 ? Math.floor((s.sample.availableBytes / s.sample.totalBytes) * 100) : 0;
  const numbers = `${binary(s.sample.availableBytes)} of ${binary(s.sample.totalBytes)} (${pct}%) available on the file system holding ${s.sample.path}, threshold ${describeThreshold(s.threshold)}`;
  return s.pressure ? `kubelet has disk pressure: ${numbers}; new pods are not started until space returns` : `kubelet has no disk pressure: ${numbers}`;
}

/**
 * Sets the Node's DiskPressure condition, taint, `ephemeral-storage` capacity and store-size
 * annotation from what was measured. Returns whether anything a reader would act on changed
 * (the condition's status, the taint, capacity, or the store's size by a tenth or 1 MiB), so an
 * idle node is not rewritten at every check.
 */
export function applyDiskState(node: Node, s: DiskState, store: StoreSize | undefined, now: number): boolean {
  const ts = isoSeconds(now);
  let changed = false;
  const status = (node.status ??= {});
  const conds = (status.conditions ??= []);
  const want = s.pressure ? 'True' : 'False';
  const i = conds.findIndex((c) => c.type === 'DiskPressure');
  const cur = i >= 0 ? conds[i] : undefined;
  if (cur?.status !== want) changed = true;
  const next = {
    type: 'DiskPressure',
    status: want,
    reason: s.pressure ? 'KubeletHasDiskPressure' : 'KubeletHasNoDiskPressure',
    message: conditionMessage(s),
    lastHeartbeatTime: ts,
    lastTransitionTime: cur?.status === want && cur.lastTransitionTime ? cur.lastTransitionTime : ts,
  };
  if (i >= 0) conds[i] = next;
  else conds.push(next);

  const spec = (node.spec ??= {});
  const taints = spec.taints ?? [];
  const has = taints.some((t) => t.key === DISK_PRESSURE_TAINT && t.effect === 'NoSchedule');
  if (s.pressure && !has) {
    spec.taints = [...taints, { key: DISK_PRESSURE_TAINT, effect: 'NoSchedule', timeAdded: ts }];
    changed = true;
  } else if (!s.pressure && has) {
    const rest = taints.filter((t) => t.key !== DISK_PRESSURE_TAINT);
    if (rest.length) spec.taints = rest;
    else delete spec.taints;
    changed = true;
  }

  // The kubelet reports the node file system's size as ephemeral-storage.
  const eph = String(s.sample.totalBytes);
  for (const res of [(status.capacity ??= {}), (status.allocatable ??= {})]) {
    if (res['ephemeral-storage'] !== eph) {
      res['ephemeral-storage'] = eph;
      changed = true;
    }
  }

  if (store) {
    const annotations = (node.metadata ??= {}).annotations ?? {};
    let before: StoreSize | undefined;
    try {
      before = annotations[STORE_SIZE_ANNOTATION] ? (JSON.parse(annotations[STORE_SIZE_ANNOTATION]) as StoreSize) : undefined;
    } catch {
      before = undefined;
    }
    const total = (x: StoreSize) => x.fileBytes + x.walBytes;
    const moved = !before || Math.abs(total(store) - total(before)) >= Math.max(2 ** 20, total(before) / 10) || Math.abs(store.freeBytes - before.freeBytes) >= Math.max(2 ** 20, before.freeBytes / 10);
    if (moved || changed) {
      node.metadata.annotations = { ...annotations, [STORE_SIZE_ANNOTATION]: JSON.stringify(store) };
      changed = true;
    }
  }
  return changed;
}

export interface NodeMonitorOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  nodeName: string;
  /** The directory whose file system is watched: DROVER_HOME. */
  path: string;
  threshold: DiskThreshold;
  intervalMs: number;
  /** The store's size now (the SQLite store's stats), written on the Node. */
  storeSize?: () => Omit<StoreSize, 'measured'>;
  /** Tests give a file system of their choosing. */
  sample?: (path: string) => DiskSample;
}

/** Samples the disk on the clock and keeps the Node's DiskPressure condition, taint and store size current. */
export class NodeMonitor {
  private cancel: (() => void) | undefined;
  private stopped = false;
  private last: DiskState | undefined;
  private failing = false;
  private checking: Promise<void> | undefined;

  constructor(private readonly o: NodeMonitorOptions) {}

  /** Checks once now (so pods are not started on a full disk at start-up), then every interval. */
  async start(): Promise<void> {
    await this.check();
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  /** What the last check found (undefined before the first). */
  state(): DiskState | undefined {
    return this.last;
  }

  /** Samples the disk now: a container that just failed may have filled it. */
  sampleNow(): DiskState | undefined {
    try {
      const sample = (this.o.sample ?? sampleDisk)(this.o.path);
      return { pressure: underPressure(sample, this.o.threshold), sample, threshold: this.o.threshold };
    } catch {
      return undefined;
    }
  }

  private arm(): void {
    if (this.stopped) return;
    this.cancel = this.o.clock.setTimer(this.o.intervalMs, () => {
      void this.check().finally(() => this.arm());
    });
  }

  /** One check: sample, and write the Node if something changed. Never throws. */
  check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const s = this.sampleNow();
    if (!s) return;
    const flipped = this.last !== undefined && this.last.pressure !== s.pressure;
    this.last = s;
    if (flipped || (s.pressure && !this.failing)) {
      this.o.logger[s.pressure ? 'warn' : 'info'](s.pressure ? 'disk pressure: new pods wait until space returns' : 'disk pressure is over', { path: s.sample.path, availableBytes: s.sample.availableBytes, totalBytes: s.sample.totalBytes, threshold: describeThreshold(s.threshold) });
    }
    let size: StoreSize | undefined;
    try {
      size = this.o.storeSize ? { ...this.o.storeSize(), measured: isoSeconds(this.o.clock.now()) } : undefined;
    } catch {
      size = undefined;
    }
    const ref = { apiVersion: 'v1', kind: 'Node', namespace: '', name: this.o.nodeName };
    let node: Stored<Node> | undefined;
    let transition: boolean | undefined;
    try {
      node = await this.o.store.patch<Stored<Node>>(ref, (n) => {
        const before = n.status?.conditions?.find((c) => c.type === 'DiskPressure')?.status;
        if (!applyDiskState(n, s, size, this.o.clock.now())) return false;
        transition = before !== (s.pressure ? 'True' : 'False');
      });
      if (this.failing) this.o.logger.info('the node status is written again');
      this.failing = false;
    } catch (err) {
      // A full disk refuses this write too: the state above still holds, and the next check writes it.
      if (!this.failing) this.o.logger.warn('could not write the node status; trying again at the next check', { error: (err as Error).message });
      this.failing = true;
      return;
    }
    if (transition && node) {
      // The kubelet's words, so repeats fold into one event with a count; the numbers are in the condition.
      const reason = s.pressure ? 'NodeHasDiskPressure' : 'NodeHasNoDiskPressure';
      await this.o.store
        .recordEvent({ involved: node, type: s.pressure ? 'Warning' : 'Normal', reason, message: `Node ${this.o.nodeName} status is now: ${reason}`, source: 'kubelet' })
        .catch(() => undefined);
    }
  }
}
