/**
 * The local runtime's options, and what it hands each pod worker: the shared services (store
 * host, host facts, log tailer, spawner) and the callbacks into the dispatcher.
 */
import type { ContainerState } from 'kubernetes-types/core/v1.js';
import type { Container, PodSecurityPolicy } from '../../api/index.js';
import type { RuntimeHost } from '../types.js';
import type { AttemptProcess, AttemptRecord } from './executor.js';
import type { HostFacts } from './host.js';
import type { LogTailer } from './logs.js';
import type { NetworkConfig, PodNetworking } from './network/index.js';
import type { Spawner } from './spawner.js';
import type { ContainerProber } from './probes.js';

export interface ImageEnvironment {
  env?: Record<string, string>;
  /** Directories put in front of PATH (a venv's `bin`). */
  pathPrepend?: string[];
  /** The image's ENTRYPOINT: run when a container sets no `command`, with `args` after it. */
  entrypoint?: string[];
  /** The image's WORKDIR: where a container without `workingDir` starts (launch.ts workingDirOf). */
  workingDir?: string;
}

export interface LocalRuntimeOptions {
  /** $DROVER_HOME: pod state under `pods/<uid>/`, claims under `claims/<namespace>/<claim>/`. */
  home: string;
  /** Device indices handed out for `nvidia.com/gpu` (may be empty). */
  gpuIds: string[];
  /** Maps an image name to a local environment. Images are never pulled. */
  images?: Record<string, ImageEnvironment>;
  /**
   * Cgroup under the root of each hierarchy that holds this server's pods. The default is one
   * per home (`drover-<hash of home>`): at start the runtime kills pods under its parent that it
   * does not know, so two servers on one machine must not share it.
   */
  cgroupParent?: string;
  /** First restart back-off of a failed container (kubelet: 10 s, doubling, at most 300 s). */
  restartBackoffBaseMs?: number;
  restartBackoffMaxMs?: number;
  /**
   * The container's `/`: `overlay` (a private writable copy-on-write layer over the host's `/`,
   * needs root), `readonly` (the host's directories read-only; writable /tmp, volumes), or `auto`
   * (overlay when it can be mounted). Default `auto`.
   */
  rootfs?: 'auto' | 'overlay' | 'readonly';
  /** How often adopted processes and log growth are checked (default 250 ms). */
  pollIntervalMs?: number;
  /** How often pods with ephemeral-storage limits have their disk use measured (a `du`; default 2 s). */
  storageCheckIntervalMs?: number;
  /**
   * Most processes and threads a pod may have, all its containers together (the kubelet's
   * podPidsLimit): a fork beyond it fails with EAGAIN inside the pod, and the host's pid space is
   * left alone. 0 or less: no limit. Default 4096.
   */
  podPidsLimit?: number;
  /** /tmp's size in bytes for a container with neither a memory nor an ephemeral-storage limit (default 1 GiB). */
  containerTmpBytes?: number;
  /** A container's log is rotated when its current file exceeds this (kubelet's containerLogMaxSize, default 10 MiB). */
  containerLogMaxBytes?: number;
  /** How many files of a container's log are kept, the current one included (kubelet's containerLogMaxFiles, default 5). */
  containerLogMaxFiles?: number;
  /**
   * Container starts launching at once, restarts included (each holds its turn until its
   * processes are launched): a flood of pods starts as fast as the machine can set sandboxes up,
   * and no faster, so it stays responsive. Default DEFAULT_PARALLEL_STARTS_PER_CPU per CPU.
   */
  containerParallelStarts?: number;
  /**
   * Container starts a second on top of that (a token bucket whose burst is one second's worth).
   * 0 or less, the default: no rate.
   */
  containerStartsPerSecond?: number;
  /**
   * Who containers run as and what they may ask for; checked again before every start, so a pod
   * a controller made is held to it too. Default: uid/gid 65534, nothing privileged, no hostPath
   * but Drover's own per-namespace directories.
   */
  podSecurity?: Partial<PodSecurityPolicy>;
  /**
   * Says (in words) whether the disk holding the home is under pressure right now, undefined
   * when it is not: a container that failed then gets an event saying its disk was full.
   */
  diskPressure?: () => string | undefined;
  /** Pods' networks (network/index.ts); default: a namespace per pod on `drover0` (10.88.0.0/16) when the server may make one. */
  network?: Partial<NetworkConfig>;
}

export const DEFAULT_POD_PIDS_LIMIT = 4096;
export const DEFAULT_CONTAINER_TMP_BYTES = 2 ** 30;
export const DEFAULT_CONTAINER_LOG_MAX_BYTES = 10 * 2 ** 20;
export const DEFAULT_CONTAINER_LOG_MAX_FILES = 5;
/**
 * A container start (cgroups, a mount namespace, an overlay, bwrap) is mostly CPU in the kernel
 * and the process helper: about one launching per CPU keeps the machine busy without a queue of
 * half-made sandboxes competing with the server.
 */
export const DEFAULT_PARALLEL_STARTS_PER_CPU = 1;

/** The options with their defaults applied. */
export type ResolvedOptions = Required<Omit<LocalRuntimeOptions, 'images' | 'cgroupParent' | 'podSecurity' | 'diskPressure' | 'network'>> & { images: Record<string, ImageEnvironment>; podSecurity: PodSecurityPolicy; diskPressure?: () => string | undefined; network: NetworkConfig };

/** `.pod.json`: what of a pod must outlive a server restart (its GPU ids). */
export interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  gpuIds: string[];
}

/** Everything a pod worker needs from the runtime. */
export interface WorkerContext {
  host: RuntimeHost;
  facts: HostFacts;
  opts: ResolvedOptions;
  podsDir: string;
  tailer: LogTailer;
  spawner: Spawner;
  net: PodNetworking;
  /** Attempts whose end is found by polling: adopted after a restart, or their spawner died. */
  adopted: Set<AttemptProcess>;
  isStopped(): boolean;
  track<T>(p: Promise<T>): Promise<T>;
  allocGpus(uid: string, n: number, preferred?: string[]): string[] | undefined;
  releaseGpus(uid: string): void;
  /** Drops a worker; `finished`: its pod ended here (later events about it are stale). */
  forget(uid: string, finished: boolean): void;
  /** Waits for a container start's turn (containerParallelStarts, containerStartsPerSecond); false when `abandoned` said so first. */
  startTurn(abandoned: () => boolean): Promise<boolean>;
  /** A start that had its turn is launched (or failed): the next one may go. */
  startDone(): void;
}

/**
 * What a container is to its pod: `init` runs to its end before the next starts; `sidecar` (an
 * init container with restartPolicy Always) need only have started, runs beside the regular
 * containers, is always restarted, and is stopped once they have ended.
 */
export type ContainerRole = 'init' | 'sidecar' | 'regular';

/** One container of a pod worker: its current attempt and restart state. */
export interface ContainerRun {
  spec: Container;
  role: ContainerRole;
  restartCount: number;
  state: ContainerState;
  lastState?: ContainerState;
  containerID?: string;
  attempt?: AttemptProcess;
  record?: AttemptRecord;
  starting: boolean;
  backoffCancel?: () => void;
  /** Doubling exponent of the restart back-off. */
  backoffExp: number;
  /** No more attempts will be made. */
  finished: boolean;
  /** Last waiting message an event was recorded for (so a retry does not repeat it). */
  reported?: string;
  /** The running attempt's probes (probes.ts), when the container has any. */
  prober?: ContainerProber;
}
