/**
 * Metrics collection for trials, as Katib's collectors do it but without a sidecar: the server
 * reads what the trial's primary container prints (StdOut) or writes to its metrics file (File)
 * while it runs, and appends each value to the trial's observation log in the store.
 *
 * Every source is read from its start each time the server starts; values carry their position
 * in the source, so the store keeps each once (no value lost or doubled across a crash).
 */
import { existsSync, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Pod } from '../../api/types.js';
import type { PodRuntime } from '../../runtime/index.js';
import type { ObservationLogEntry, Store } from '../../store/index.js';
import type { Logger } from '../../util/logger.js';
import { DEFAULT_METRICS_FILTER, LineBuffer, parseJsonLines, parseTextLines, type MetricPoint } from './metrics.js';
import { DEFAULT_METRICS_FILE, type MetricsCollectorSpec, type Trial } from './types.js';

export type CollectorKindName = 'StdOut' | 'File' | 'Push' | 'None';

export function collectorKind(trial: Pick<Trial, 'spec'>): CollectorKindName {
  return trial.spec.metricsCollector?.collector?.kind ?? 'StdOut';
}

export function metricNames(trial: Pick<Trial, 'spec'>): string[] {
  return [trial.spec.objective.objectiveMetricName, ...(trial.spec.objective.additionalMetricNames ?? [])];
}

/** The container whose output is the trial's: the named primary one, else the only one. */
export function primaryContainer(trial: Pick<Trial, 'spec'>, pod: Pod): string | undefined {
  return trial.spec.primaryContainerName ?? (pod.spec?.containers.length === 1 ? pod.spec.containers[0]!.name : undefined);
}

/** Where a File collector's metrics file is in the container. */
export function metricsFilePath(spec: MetricsCollectorSpec | undefined): string {
  return spec?.source?.fileSystemPath?.path ?? DEFAULT_METRICS_FILE;
}

export interface MetricsCollectorOptions {
  store: Store;
  runtime: Pick<PodRuntime, 'logs'>;
  logger: Logger;
  /** Host directory holding each trial's metrics-file directory (File collector). */
  filesDir: string;
  /** Told when a trial got new values or a source was read to its end. */
  onProgress(trialKey: string): void;
  flushMs?: number;
  pollMs?: number;
}

interface Source {
  done: boolean;
  abort: AbortController;
}

export class MetricsCollector {
  /** Per trial uid, per source name. */
  private readonly sources = new Map<string, Map<string, Source>>();
  private stopped = false;

  constructor(private readonly o: MetricsCollectorOptions) {}

  /** The host directory mounted at the metrics file's directory in a File-collected trial. */
  trialFilesDir(trial: Pick<Trial, 'metadata'>): string {
    return join(this.o.filesDir, trial.metadata.namespace!, trial.metadata.name!);
  }

  /**
   * Starts reading whatever of the trial's pods has output now. Returns true once every pod
   * that ran has been read to its end (so the observation is final when the run is done).
   */
  sync(trial: Trial, pods: readonly Pod[]): boolean {
    const kind = collectorKind(trial);
    if (kind === 'Push' || kind === 'None') return true;
    const uid = trial.metadata.uid!;
    let byName = this.sources.get(uid);
    if (!byName) this.sources.set(uid, (byName = new Map()));
    if (kind === 'File') {
      const running = pods.some((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
      let src = byName.get('file');
      if (!src) {
        src = { done: false, abort: new AbortController() };
        byName.set('file', src);
        void this.followFile(trial, src);
      }
      // The file is final once no pod of the trial can write to it any more.
      if (!running) src.abort.abort();
      return src.done;
    }
    let drained = true;
    for (const pod of pods) {
      const container = primaryContainer(trial, pod);
      if (!container) continue;
      const state = pod.status?.containerStatuses?.find((s) => s.name === container)?.state;
      const started = state?.running !== undefined || state?.terminated !== undefined;
      const name = `pod/${pod.metadata?.name}/${pod.metadata?.uid}`;
      let src = byName.get(name);
      if (!src && started) {
        src = { done: false, abort: new AbortController() };
        byName.set(name, src);
        void this.followLog(trial, pod, container, name, src);
      }
      if (src && !src.done) drained = false;
      // A pod that ended without ever starting its container has nothing to read.
    }
    return drained;
  }

  /** Stops reading a trial's sources (it is finished or gone). */
  forget(trialUid: string): void {
    for (const s of this.sources.get(trialUid)?.values() ?? []) s.abort.abort();
    this.sources.delete(trialUid);
  }

  stop(): void {
    this.stopped = true;
    for (const uid of [...this.sources.keys()]) this.forget(uid);
  }

  private key(trial: Trial): string {
    return `${trial.metadata.namespace}/${trial.metadata.name}`;
  }

  private async followLog(trial: Trial, pod: Pod, container: string, source: string, src: Source): Promise<void> {
    const names = metricNames(trial);
    const filters = filtersOf(trial.spec.metricsCollector);
    const parse = (lines: string[]) => parseTextLines(lines, names, filters);
    await this.pump(trial, source, src, async (emit) => {
      const lines = new LineBuffer();
      for await (const chunk of this.o.runtime.logs(pod, { container, follow: true, timestamps: true, signal: src.abort.signal })) {
        emit(parse(lines.push(chunk)));
      }
      emit(parse(lines.flush()));
    });
  }

  private async followFile(trial: Trial, src: Source): Promise<void> {
    const names = metricNames(trial);
    const spec = trial.spec.metricsCollector;
    const json = spec?.source?.fileSystemPath?.format === 'JSON';
    const filters = filtersOf(spec);
    const path = join(this.trialFilesDir(trial), basename(metricsFilePath(spec)));
    const pollMs = this.o.pollMs ?? 500;
    await this.pump(trial, 'file', src, async (emit) => {
      const lines = new LineBuffer();
      let offset = 0;
      const readMore = async (): Promise<void> => {
        if (!existsSync(path)) return;
        const fh = await fsp.open(path, 'r');
        try {
          const buf = Buffer.alloc(256 * 1024);
          for (;;) {
            const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
            if (bytesRead === 0) break;
            offset += bytesRead;
            const got = lines.push(Buffer.from(buf.subarray(0, bytesRead)));
            emit(json ? parseJsonLines(got, names) : parseTextLines(got, names, filters));
          }
        } finally {
          await fh.close();
        }
      };
      while (!src.abort.signal.aborted) {
        await readMore();
        await new Promise<void>((r) => {
          const t = setTimeout(r, pollMs);
          src.abort.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
        });
      }
      await readMore();
      const rest = lines.flush();
      emit(json ? parseJsonLines(rest, names) : parseTextLines(rest, names, filters));
    });
  }

  /**
   * Runs a reader, numbering the values it emits and appending them to the store in batches;
   * marks the source done when the reader ends.
   */
  private async pump(trial: Trial, source: string, src: Source, read: (emit: (points: MetricPoint[]) => void) => Promise<void>): Promise<void> {
    const uid = trial.metadata.uid!;
    let seq = 0;
    let batch: ObservationLogEntry[] = [];
    let timer: NodeJS.Timeout | undefined;
    let writing: Promise<void> = Promise.resolve();
    const flush = (): Promise<void> => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const entries = batch;
      batch = [];
      if (entries.length === 0) return writing;
      writing = writing.then(async () => {
        if (this.stopped) return;
        const added = await this.o.store.appendObservationLog(uid, entries);
        if (added > 0) this.o.onProgress(this.key(trial));
      });
      return writing;
    };
    const emit = (points: MetricPoint[]) => {
      for (const p of points) batch.push({ source, seq: seq++, name: p.name, value: p.value, time: p.time });
      if (batch.length > 0 && !timer) timer = setTimeout(() => void flush(), this.o.flushMs ?? 200);
    };
    try {
      await read(emit);
    } catch (err) {
      if (!src.abort.signal.aborted && !this.stopped) this.o.logger.warn('reading trial metrics failed', { trial: this.key(trial), source, error: String(err) });
    }
    try {
      await flush();
    } catch (err) {
      if (!this.stopped) this.o.logger.warn('storing trial metrics failed', { trial: this.key(trial), source, error: String(err) });
    }
    src.done = true;
    if (!this.stopped) this.o.onProgress(this.key(trial));
  }
}

/** The collector's filters, or Katib's default `name=value` one. */
function filtersOf(spec: MetricsCollectorSpec | undefined): string[] {
  const given = spec?.source?.filter?.metricsFormat;
  return given && given.length > 0 ? given : [DEFAULT_METRICS_FILTER];
}

/** The directory a File collector's metrics file lives in, inside the container. */
export function metricsFileDir(spec: MetricsCollectorSpec | undefined): string {
  return dirname(metricsFilePath(spec));
}
