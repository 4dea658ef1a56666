/**
 * The local pod runtime: the kubelet of Drover's one node. This dispatcher watches the store for
 * Pods bound to its node and hands each to a PodWorker (worker.ts), which runs its containers in
 * bubblewrap sandboxes inside their own cgroups and writes the pod's status back the way the
 * kubelet does. GPU ids (gpus.ts), the log API (pod-logs.ts) and usage (usage.ts) live beside it.
 *
 * State on disk (`${home}/pods/<uid>/`): `.pod.json` (the pod's GPU ids, when it has any),
 * `.volumes/<name>/` (ConfigMap/Secret files, emptyDirs), `.hosts`, and per container
 * `<name>/<attempt>.log`, `.log.ts` (timestamp index), `.status` (bwrap's exit status), `.json`
 * (pid, start time, and the exit once seen), and `.rootfs/` (the overlay's upper layer, removed
 * when the attempt ends). A finished pod keeps its logs and records until it is deleted. Claims
 * live in `${home}/claims/<namespace>/<claim>/` and outlive pods.
 *
 * GPUs: a container with an `nvidia.com/gpu` limit gets that many ids of `gpuIds` for itself
 * (`CUDA_VISIBLE_DEVICES`, `NVIDIA_VISIBLE_DEVICES`, the pod annotation `drover.dev/gpu-ids`);
 * every other container gets `CUDA_VISIBLE_DEVICES=""`, so it never sees the host's GPUs, as on
 * Kubernetes where such a container has no GPU device.
 *
 * Processes are detached and write to files, so the server can die at any moment: the next start
 * adopts what still runs, records what finished meanwhile from bwrap's status file, and kills
 * what belongs to pods that are gone.
 */
import { promises as fsp } from 'node:fs';
import type { Duplex } from 'node:stream';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { BadRequestError, defaultPodSecurityPolicy, droverHostPathRoots, type KubeObject, type Pod } from '../../api/index.js';
import type { WatchEvent } from '../../store/index.js';
import { systemClock } from '../../util/clock.js';
import { StartPacer, TokenBucket } from '../../util/ratelimit.js';
import type { ExecOptions, ExecProcess, LogOptions, PodRuntime, PodUsage, RuntimeHost } from '../types.js';
import { forgetParentHome, reclaimGoneHomes, recordParentHome } from './cgroups.js';
import { cleanupSandbox, removeFinishedPodFiles } from './cleanup.js';
import { DEFAULT_CONTAINER_LOG_MAX_BYTES, DEFAULT_CONTAINER_LOG_MAX_FILES, DEFAULT_CONTAINER_TMP_BYTES, DEFAULT_POD_PIDS_LIMIT, DEFAULT_PARALLEL_STARTS_PER_CPU, type LocalRuntimeOptions, type PodRecord, type ResolvedOptions, type WorkerContext } from './context.js';
import { readJson } from './fsutil.js';
import { GpuAllocator } from './gpus.js';
import { checkHostRequirements, probeHost } from './host.js';
import { LogTailer } from './logs.js';
import { readPodLogs } from './pod-logs.js';
import { Spawner } from './spawner.js';
import { PodUsageSampler } from './usage.js';
import { DEFAULT_NETWORK, dialInNamespace, dialTcp, PodNetworking } from './network/index.js';
import { PodWorker } from './worker.js';
import { stepTrace } from '../../util/steptrace.js';

function isTerminalPhase(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** How many deleted pods' files are removed at once. */
const REMOVALS_AT_ONCE = 4;

/** The cgroup every pod of the server at `home` runs under, unless configured: one per home. */
export function defaultCgroupParent(home: string): string {
  return `drover-${createHash('sha256').update(resolve(home)).digest('hex').slice(0, 12)}`;
}

/**
 * Runs Pods bound to this node as sandboxed local processes.
 *
 *   const rt = new LocalPodRuntime({ home, gpuIds: ['0', '1'] });
 *   await rt.checkHost();
 *   await rt.start({ store, nodeName: 'local', clock: systemClock, logger });
 */
export class LocalPodRuntime implements PodRuntime {
  readonly name = 'local';
  readonly placement = 'node' as const;
  private readonly opts: ResolvedOptions;
  private readonly cgroupParent: string;
  private ctx?: WorkerContext;
  private readonly workers = new Map<string, PodWorker>();
  /** Pods that ended under this runtime: status events still in flight about them are stale. */
  private readonly finished = new Set<string>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly gpus: GpuAllocator;
  private readonly usageSampler = new PodUsageSampler();
  private unsubscribe: (() => void)[] = [];
  private cancelPoll: (() => void) | undefined;
  private cancelStorageCheck: (() => void) | undefined;
  private stopped = true;
  /** The parent cgroup's home recorded (by checkHost, or else by start): once per server is enough. */
  private parentRecorded: Promise<void> | undefined;
  private queue: WatchEvent[] = [];
  /** Finished pods deleted, whose files wait to go a few at a time (a workflow's 10,000 at once flooded the event loop). */
  private removals: string[] = [];
  private removing = 0;
  private draining = false;
  private ready = false;

  constructor(options: LocalRuntimeOptions) {
    this.opts = {
      home: resolve(options.home),
      gpuIds: [...options.gpuIds],
      images: options.images ?? {},
      restartBackoffBaseMs: options.restartBackoffBaseMs ?? 10_000,
      restartBackoffMaxMs: options.restartBackoffMaxMs ?? 300_000,
      rootfs: options.rootfs ?? 'auto',
      pollIntervalMs: options.pollIntervalMs ?? 250,
      storageCheckIntervalMs: options.storageCheckIntervalMs ?? 2000,
      podPidsLimit: options.podPidsLimit ?? DEFAULT_POD_PIDS_LIMIT,
      containerTmpBytes: options.containerTmpBytes ?? DEFAULT_CONTAINER_TMP_BYTES,
      containerLogMaxBytes: options.containerLogMaxBytes ?? DEFAULT_CONTAINER_LOG_MAX_BYTES,
      containerLogMaxFiles: Math.max(1, options.containerLogMaxFiles ?? DEFAULT_CONTAINER_LOG_MAX_FILES),
      containerParallelStarts: Math.max(1, options.containerParallelStarts ?? DEFAULT_PARALLEL_STARTS_PER_CPU * availableParallelism()),
      containerStartsPerSecond: options.containerStartsPerSecond ?? 0,
      podSecurity: { ...defaultPodSecurityPolicy(), systemHostPathRoots: droverHostPathRoots(resolve(options.home)), ...(options.podSecurity ?? {}) },
      ...(options.diskPressure ? { diskPressure: options.diskPressure } : {}),
      network: { ...DEFAULT_NETWORK, ...(options.network ?? {}) },
    };
    this.gpus = new GpuAllocator(this.opts.gpuIds);
    this.cgroupParent = options.cgroupParent ?? defaultCgroupParent(options.home);
  }

  private get podsDir(): string {
    return join(this.opts.home, 'pods');
  }

  /** Between start() and stop(). */
  get started(): boolean {
    return !this.stopped;
  }

  /** The root mode in use (`overlay` or `readonly`), once started. */
  get rootMode(): 'overlay' | 'readonly' | undefined {
    return this.ctx?.facts.rootMode;
  }

  private recordParent(): Promise<void> {
    this.parentRecorded ??= recordParentHome(this.cgroupParent, resolve(this.opts.home)).catch(() => undefined);
    return this.parentRecorded;
  }

  async checkHost(): Promise<void> {
    // The check makes the parent cgroup: recorded first, so that a server that gets no further
    // (its start failed later) does not leave it for good once its home is gone.
    await this.recordParent();
    await checkHostRequirements(this.cgroupParent);
  }

  async start(host: RuntimeHost): Promise<void> {
    if (!this.stopped) throw new Error('runtime already started');
    await fsp.mkdir(this.podsDir, { recursive: true });
    const facts = await probeHost({ home: this.opts.home, cgroupParent: this.cgroupParent, rootfs: this.opts.rootfs });
    // Which home this parent serves, so that a later start of any server can remove it once the
    // home is gone; and the parents of homes that went so. Neither is needed to run pods: a server
    // that may not write /run (one in a delegated subtree) goes on without.
    await this.recordParent();
    const reclaimed = await reclaimGoneHomes(facts.cgroups.layout).catch(() => [] as string[]);
    if (reclaimed.length) host.logger.info('removed the cgroups left by servers whose home is gone', { parents: reclaimed });
    const spawner = new Spawner();
    const net = await PodNetworking.open(this.opts.network, { home: this.opts.home, logger: host.logger.child({ component: 'network' }), run: (file, args, input) => spawner.run(file, args, input) });
    host.logger.info('local runtime started', { rootfs: facts.rootMode, cgroups: `v${facts.cgroups.layout.version}`, gpus: this.opts.gpuIds.length, network: net.mode });
    this.stopped = false;
    this.ready = false;
    const rate = this.opts.containerStartsPerSecond;
    const pacer = new StartPacer(rate > 0 ? new TokenBucket(rate, Math.max(1, rate), host.clock) : undefined, this.opts.containerParallelStarts);
    const ctx: WorkerContext = {
      host,
      facts,
      opts: this.opts,
      podsDir: this.podsDir,
      tailer: new LogTailer(() => host.clock.now(), {
        maxBytes: this.opts.containerLogMaxBytes,
        maxFiles: this.opts.containerLogMaxFiles,
        ...(facts.fallocate ? { fallocate: facts.fallocate } : {}),
        warn: (message, fields) => host.logger.warn(message, fields),
      }),
      spawner,
      net,
      adopted: new Set(),
      isStopped: () => this.stopped,
      track: (p) => this.track(p),
      allocGpus: (uid, n, preferred) => this.gpus.allocate(uid, n, preferred),
      releaseGpus: (uid) => this.releaseGpus(uid),
      startTurn: (abandoned) => pacer.turn(abandoned),
      startDone: () => pacer.done(),
      forget: (uid, finished) => {
        this.workers.delete(uid);
        if (finished) this.finished.add(uid);
        else this.finished.delete(uid);
      },
    };
    this.ctx = ctx;

    const list = await host.store.list<Pod & KubeObject>({ apiVersion: 'v1', kind: 'Pod' });
    // Events during adoption wait in the queue until it is done.
    this.unsubscribe.push(host.store.watch({ apiVersion: 'v1', kind: 'Pod' }, { fromResourceVersion: list.resourceVersion }, (e) => this.enqueue(e)));
    for (const kind of ['ConfigMap', 'Secret', 'PersistentVolumeClaim']) {
      this.unsubscribe.push(host.store.watch({ apiVersion: 'v1', kind }, {}, (e) => this.enqueue(e)));
    }
    if (net.mode === 'bridge') {
      // A store without the Service kind (a runtime test's) has pods' own names only.
      try {
        const services = await host.store.list<KubeObject>({ apiVersion: 'v1', kind: 'Service' });
        for (const s of services.items) net.serviceChanged(s, false);
        this.unsubscribe.push(host.store.watch({ apiVersion: 'v1', kind: 'Service' }, { fromResourceVersion: services.resourceVersion }, (e) => this.enqueue(e)));
      } catch (err) {
        host.logger.warn('Services are not watched', { error: (err as Error).message });
      }
      for (const p of list.items) net.podChanged(p, false);
    }

    const mine = new Map<string, Pod>();
    for (const p of list.items) if (p.spec?.nodeName === host.nodeName && p.metadata.uid) mine.set(p.metadata.uid, p);
    const onDisk = await fsp.readdir(this.podsDir).catch(() => [] as string[]);
    const withCgroups = await facts.cgroups.listPods();
    // Pods whose processes or files outlived them (deleted while the server was down).
    for (const uid of new Set([...onDisk, ...withCgroups])) {
      const pod = mine.get(uid);
      if (pod && !isTerminalPhase(pod)) continue;
      await cleanupSandbox(facts, host.logger, uid, join(this.podsDir, uid), !pod);
    }
    // Addresses and namespaces of pods that ended or went while the server was down.
    for (const uid of net.podsWithAddress()) {
      const pod = mine.get(uid);
      if (!pod || isTerminalPhase(pod)) await net.releasePod(uid);
    }
    for (const pod of mine.values()) {
      if (isTerminalPhase(pod)) continue;
      const uid = pod.metadata!.uid!;
      const w = new PodWorker(ctx, pod);
      this.workers.set(uid, w);
      const record = await readJson<PodRecord>(join(this.podsDir, uid, '.pod.json'));
      await w.adopt(record);
    }
    for (const w of this.workers.values()) w.requestSync();
    this.schedulePoll();
    this.scheduleStorageCheck();
    this.ready = true;
    this.drain();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.cancelPoll?.();
    this.cancelPoll = undefined;
    this.cancelStorageCheck?.();
    this.cancelStorageCheck = undefined;
    for (const w of this.workers.values()) w.detach();
    await this.ctx?.spawner.stop();
    // Let in-flight writes finish so nothing touches the store after stop returns.
    while (this.background.size) await Promise.allSettled([...this.background]);
    // Pods still running keep their addresses (and the server's, their resolver) for the next start.
    await this.ctx?.net.stop([...this.workers.values()].some((w) => !w.deleted && !w.terminal));
    // The home's parent cgroup goes when no pod's cgroup is left under it (the kernel refuses to
    // remove one that has any); the next start makes it again. Else every home ever served leaves
    // one behind, in each hierarchy.
    await this.ctx?.facts.cgroups
      .removeParent()
      .then(() => {
        // A later start of this runtime records it again.
        this.parentRecorded = undefined;
        return forgetParentHome(this.cgroupParent);
      })
      .catch(() => undefined);
    await this.ctx?.tailer.close();
    this.workers.clear();
    this.finished.clear();
    this.removals = [];
    this.gpus.clear();
    this.queue = [];
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.background.add(p);
    const done = () => this.background.delete(p);
    p.then(done, done);
    return p;
  }

  /** Looks at log growth and adopted processes every pollIntervalMs, one look at a time. */
  private schedulePoll(): void {
    const ctx = this.ctx;
    if (!ctx || this.stopped) return;
    this.cancelPoll = ctx.host.clock.setTimer(this.opts.pollIntervalMs, () => {
      if (ctx.facts.cgroups.layout.version === 1) for (const w of this.workers.values()) w.checkOom();
      void Promise.all([ctx.tailer.poll(), ctx.facts.cgroups.retryUnremoved(), ...[...ctx.adopted].map((a) => a.poll())])
        .catch((err: unknown) => ctx.host.logger.warn('runtime poll failed', { error: (err as Error).message }))
        // A stop (and a new start) during the look ends this chain of looks.
        .finally(() => this.ctx === ctx && this.schedulePoll());
    });
  }

  /** Measures pods with ephemeral-storage limits one after another, every storageCheckIntervalMs. */
  private scheduleStorageCheck(): void {
    const ctx = this.ctx;
    if (!ctx || this.stopped) return;
    this.cancelStorageCheck = ctx.host.clock.setTimer(this.opts.storageCheckIntervalMs, () => {
      void (async () => {
        for (const w of [...this.workers.values()]) await w.checkStorage();
      })()
        .catch((err: unknown) => ctx.host.logger.warn('measuring pods\' disk use failed', { error: (err as Error).message }))
        .finally(() => this.ctx === ctx && this.scheduleStorageCheck());
    });
  }

  private enqueue(e: WatchEvent): void {
    this.queue.push(e);
    if (this.ready) setImmediate(() => this.drain());
  }

  private drain(): void {
    if (this.draining || this.stopped || !this.ready) return;
    this.draining = true;
    try {
      while (this.queue.length) this.handle(this.queue.shift()!);
    } finally {
      this.draining = false;
    }
  }

  private handle(e: WatchEvent): void {
    const ctx = this.ctx!;
    const obj = e.object;
    if (obj.kind === 'Service') {
      ctx.net.serviceChanged(obj, e.type === 'DELETED');
      return;
    }
    if (obj.kind === 'Pod') ctx.net.podChanged(obj as unknown as Pod, e.type === 'DELETED');
    if (obj.kind !== 'Pod') {
      // A ConfigMap, Secret or claim appeared or changed: pods waiting for one may go on.
      for (const w of this.workers.values()) if (w.pod.metadata?.namespace === obj.metadata.namespace) w.requestSync();
      return;
    }
    const pod = obj as unknown as Pod;
    const uid = pod.metadata?.uid ?? '';
    const w = this.workers.get(uid);
    if (e.type === 'DELETED') {
      if (w) {
        void this.track(w.teardown((pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000));
      } else if (this.finished.delete(uid) || pod.spec?.nodeName === ctx.host.nodeName) {
        // A finished pod: only its logs and records are left.
        this.removals.push(uid);
        this.removeFinished();
      }
      return;
    }
    if (pod.spec?.nodeName !== ctx.host.nodeName || this.finished.has(uid)) return;
    if (w) {
      w.pod = pod;
      w.requestSync();
      return;
    }
    if (isTerminalPhase(pod)) return;
    const nw = new PodWorker(ctx, pod);
    this.workers.set(uid, nw);
    stepTrace.mark(`${pod.metadata?.namespace}/${pod.metadata?.name}`, 'rt.seen');
    nw.requestSync();
  }

  /** Removes deleted finished pods' files, REMOVALS_AT_ONCE at a time; what a stop leaves, the next start removes. */
  private removeFinished(): void {
    const ctx = this.ctx;
    while (ctx && !this.stopped && this.removing < REMOVALS_AT_ONCE && this.removals.length) {
      const uid = this.removals.shift()!;
      this.removing++;
      void this.track(removeFinishedPodFiles(join(this.podsDir, uid))).finally(() => {
        this.removing--;
        this.removeFinished();
      });
    }
  }

  /**
   * port-forward's connection: the pod's address first; a refusal there is tried again from
   * inside its network, at its loopback (where the kubelet connects).
   */
  async dialPod(pod: Pod, port: number): Promise<Duplex> {
    const ip = pod.status?.podIP || '127.0.0.1';
    try {
      return await dialTcp(ip, port);
    } catch (err) {
      const netns = this.ctx?.net.netnsOf(pod.metadata?.uid ?? '');
      if (!netns || (err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw err;
      return dialInNamespace(this.ctx!.facts.nsenter ?? 'nsenter', netns, port);
    }
  }

  podAddress(): string | undefined {
    return this.ctx?.net.serverAddress;
  }

  /** Before the runtime starts there is no bridge to share yet: the store's choice stands. */
  async claimClusterIP(ip: string, serviceUid: string): Promise<boolean> {
    return this.ctx ? this.ctx.net.claimClusterIP(ip, serviceUid) : true;
  }

  /** GPU ids in use, by pod uid (for `top node`). */
  gpuAllocations(): Map<string, string[]> {
    return this.gpus.allocations();
  }

  logs(pod: Pod, opts: LogOptions): AsyncIterable<string> {
    const clock = this.ctx?.host.clock ?? systemClock;
    return readPodLogs({ podsDir: this.podsDir, worker: (uid) => this.workers.get(uid), now: () => clock.now() }, pod, opts);
  }

  async usage(pod: Pod): Promise<PodUsage | undefined> {
    const ctx = this.ctx;
    if (!ctx) return undefined;
    return this.usageSampler.sample(pod, ctx.facts.cgroups, ctx.host.clock.now());
  }

  /** Runs a command in a running container's sandbox (exec.ts). */
  async exec(pod: Pod, opts: ExecOptions): Promise<ExecProcess> {
    const ctx = this.ctx;
    const name = pod.metadata?.name ?? '';
    const w = this.workers.get(pod.metadata?.uid ?? '');
    const c = w?.containers.get(opts.container);
    if (!ctx || !w || !c) throw new BadRequestError(`unable to upgrade connection: container not found ("${opts.container}")`);
    return w.execIn(c, opts.command, opts.tty, name);
  }

  /** Frees the pod's GPUs; pods waiting for one may go on. */
  private releaseGpus(uid: string): void {
    if (this.gpus.release(uid)) for (const w of this.workers.values()) if (w.uid !== uid) w.requestSync();
  }
}
