/**
 * The runtime's log API (`logs`, `logs -f`, `--previous`, `--tail`, `--timestamps`): which
 * attempt's file to read, the errors kubectl users know, and when a followed log has ended.
 * Reading and following one file is logs.ts's.
 */
import { join } from 'node:path';
import { BadRequestError, podContainerName, type Pod } from '../../api/index.js';
import type { LogOptions } from '../types.js';
import type { AttemptProcess, AttemptRecord } from './executor.js';
import { attemptPaths, listAttempts, readRecord } from './executor.js';
import { exists } from './fsutil.js';
import { readLog } from './logs.js';
import { isAlive } from './proc.js';

/** What the dispatcher knows of a container of a pod it runs. */
export interface LiveContainer {
  attempt?: AttemptProcess;
  record?: AttemptRecord;
}

export interface PodLogSource {
  podsDir: string;
  /** The worker running the pod in this server, if any. */
  worker(uid: string): { readonly containers: ReadonlyMap<string, LiveContainer> } | undefined;
  now(): number;
}

/** The chunks of one container's log; throws BadRequestError as the API server would. */
export async function* readPodLogs(src: PodLogSource, pod: Pod, opts: LogOptions): AsyncGenerator<string> {
  const uid = pod.metadata?.uid ?? '';
  const podName = pod.metadata?.name ?? '';
  const container = podContainerName(pod, opts.container);
  const dir = join(src.podsDir, uid);
  const attempts = await listAttempts(join(dir, container));
  const current = attempts[attempts.length - 1];
  if (current === undefined) {
    const reason = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((s) => s.name === container)?.state?.waiting?.reason ?? 'ContainerCreating';
    throw new BadRequestError(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
  }
  const n = opts.previous ? current - 1 : current;
  if (n < 0 || !attempts.includes(n)) throw new BadRequestError(`previous terminated container "${container}" in pod "${podName}" not found`);
  const paths = attemptPaths(dir, container, n);
  const live = src.worker(uid)?.containers.get(container);
  const ended = n === current && live?.attempt && live.record?.attempt === n ? live.attempt.exited : undefined;
  const name = container;
  const finished = async (): Promise<boolean> => {
    if (n !== current) return true;
    const w = src.worker(uid);
    const c = w?.containers.get(name);
    if (c?.attempt && c.record?.attempt === n) return c.attempt.done;
    const rec = await readRecord(paths.record);
    if (!rec) return !(await exists(paths.log)) || w === undefined;
    if (rec.exit) return true;
    // Not tracked by this server (stopped, or another instance): ask the process itself.
    return !isAlive(rec.pid, rec.pidStart);
  };
  const sinceMs = opts.sinceTime !== undefined ? Date.parse(opts.sinceTime) : opts.sinceSeconds !== undefined ? src.now() - opts.sinceSeconds * 1000 : undefined;
  yield* readLog({
    path: paths.log,
    ...(sinceMs !== undefined && Number.isFinite(sinceMs) ? { sinceMs } : {}),
    ...(opts.limitBytes !== undefined ? { limitBytes: opts.limitBytes } : {}),
    follow: opts.follow === true,
    timestamps: opts.timestamps === true,
    ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    finished,
    ...(ended ? { ended } : {}),
    now: src.now,
  });
}
