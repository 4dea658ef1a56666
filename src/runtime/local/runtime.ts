/**
 * The local pod runtime: the kubelet of Drover's one node. It watches the store for Pods bound to
 * its node, runs each container in a bubblewrap sandbox inside its own cgroups, and writes the
 * pod's status back the way the kubelet does.
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
import { mkdirSync, promises as fsp, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { BadRequestError, NotFoundError, cpuMillis, parseQuantity, GPU_RESOURCE, ANNOTATIONS, type ConfigMap, type Container, type ContainerStatus, type KubeObject, type ObjectRef, type PersistentVolumeClaim, type Pod, type Secret } from '../../api/index.js';
import type { ContainerState, ContainerStateTerminated } from 'kubernetes-types/core/v1.js';
import type { WatchEvent } from '../../store/index.js';
import { isoSeconds } from '../../util/clock.js';
import type { LogOptions, PodRuntime, PodUsage, RuntimeHost } from '../types.js';
import { ContainerCannotRunError, ContainerConfigError, resolveArgv, resolveUserEnv } from './env.js';
import { AttemptProcess, attemptPaths, classifyExit, listAttempts, readBwrapStatus, readRecord, readTail, writeRecord, writeRecordSync, type AttemptRecord, type ExitObservation } from './executor.js';
import { readJson, writeAtomic, exists } from './fsutil.js';
import { isAlive } from './proc.js';
import { checkHostRequirements, probeHost, type HostFacts } from './host.js';
import { LogTailer, readLog } from './logs.js';
import { Spawner } from './spawner.js';
import { bwrapArgs, hostsFile, launcher, type RootSpec } from './sandbox.js';
import { buildPodStatus } from './status.js';
import { containerMounts, materialize, planVolumes, VolumeError, type PlannedVolume } from './volumes.js';

export interface ImageEnvironment {
  env?: Record<string, string>;
  /** Directories put in front of PATH (a venv's `bin`). */
  pathPrepend?: string[];
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
}

interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  gpuIds: string[];
}

const LOOPBACK = '127.0.0.1';
const SOURCE = 'kubelet';
const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

function podRef(pod: Pod): ObjectRef {
  return { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata?.namespace ?? 'default', name: pod.metadata?.name ?? '' };
}

function gpuCount(c: Container): number {
  const q = c.resources?.limits?.[GPU_RESOURCE] ?? c.resources?.requests?.[GPU_RESOURCE];
  return q === undefined ? 0 : Math.ceil(parseQuantity(q));
}

/** The environment a PATH entry belongs to: a venv's root for its `bin`, else the entry itself. */
function envRoot(binDir: string): string {
  const root = dirname(binDir);
  return binDir.endsWith('/bin') && root !== '/tmp' && root !== '/' ? root : binDir;
}

/** Under /tmp, which the sandbox replaces with its own. */
function underTmp(p: string): boolean {
  return p === '/tmp' || p.startsWith('/tmp/');
}

function isTerminalPhase(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function formatDelay(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m0s`;
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms / 1000}s`;
}

/** Everything a pod worker needs from the runtime. */
interface Ctx {
  host: RuntimeHost;
  facts: HostFacts;
  opts: Required<Omit<LocalRuntimeOptions, 'images' | 'cgroupParent'>> & { images: Record<string, ImageEnvironment> };
  podsDir: string;
  tailer: LogTailer;
  spawner: Spawner;
  /** Attempts whose end is found by polling: adopted after a restart, or their spawner died. */
  adopted: Set<AttemptProcess>;
  isStopped(): boolean;
  track<T>(p: Promise<T>): Promise<T>;
  allocGpus(uid: string, n: number, preferred?: string[]): string[] | undefined;
  releaseGpus(uid: string): void;
  /** Drops a worker; `finished`: its pod ended here (later events about it are stale). */
  forget(uid: string, finished: boolean): void;
}

interface CRun {
  spec: Container;
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
}

class PodWorker {
  pod: Pod;
  readonly uid: string;
  readonly dir: string;
  readonly containers = new Map<string, CRun>();
  private volumes?: Map<string, PlannedVolume>;
  private gpuIds?: string[];
  private startTime?: string;
  private startTimeMs?: number;
  private failed?: { reason: string; message: string };
  private deadlineCancel?: () => void;
  private retryCancel?: () => void;
  terminal = false;
  deleted = false;
  private killing = false;
  private syncing?: Promise<void>;
  private resync = false;
  private dirty = false;
  private flushing?: Promise<void>;
  private prepareMessage?: string;

  constructor(private readonly ctx: Ctx, pod: Pod) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.dir = join(ctx.podsDir, this.uid);
    for (const c of pod.spec?.containers ?? []) {
      this.containers.set(c.name, { spec: c, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } }, starting: false, backoffExp: 0, finished: false });
    }
  }

  private get log() {
    return this.ctx.host.logger;
  }

  private get name(): string {
    return this.pod.metadata?.name ?? '';
  }

  private get ns(): string {
    return this.pod.metadata?.namespace ?? 'default';
  }

  private now(): number {
    return this.ctx.host.clock.now();
  }

  event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    const involved = this.pod as unknown as KubeObject;
    void this.ctx.track(this.ctx.host.store.recordEvent({ involved, type, reason, message, source: SOURCE }).catch(() => undefined));
  }

  // ---- sync ----------------------------------------------------------------------------

  requestSync(): void {
    if (this.ctx.isStopped() || this.deleted) return;
    if (this.syncing) {
      this.resync = true;
      return;
    }
    this.syncing = this.ctx.track(
      (async () => {
        do {
          this.resync = false;
          try {
            await this.sync();
          } catch (err) {
            this.log.error('pod sync failed', { pod: `${this.ns}/${this.name}`, error: (err as Error).message });
          }
        } while (this.resync && !this.ctx.isStopped() && !this.deleted);
      })().finally(() => {
        this.syncing = undefined;
      }),
    );
  }

  private async sync(): Promise<void> {
    if (this.deleted || this.terminal || this.ctx.isStopped()) return;
    if (!this.startTime) {
      this.startTimeMs = this.now();
      this.startTime = isoSeconds(this.startTimeMs);
      this.markDirty();
    }
    this.armDeadline();
    if (this.killing) return;
    const toStart = [...this.containers.values()].filter((c) => !c.finished && !c.attempt && !c.starting && !c.backoffCancel);
    if (toStart.length === 0) return;
    if (!this.volumes) {
      const problem = await this.prepare();
      if (problem) {
        for (const c of toStart) c.state = { waiting: { reason: 'ContainerCreating', message: problem.message } };
        if (this.prepareMessage !== problem.message) {
          this.prepareMessage = problem.message;
          this.event('Warning', problem.reason, problem.message);
        }
        this.markDirty();
        return;
      }
      this.prepareMessage = undefined;
    }
    if (this.deleted || this.ctx.isStopped()) return;
    await Promise.all(toStart.map((c) => this.startContainer(c)));
  }

  /** Sets up what all containers share: GPUs, volumes, /etc/hosts. Returns why it cannot, or nothing. */
  private async prepare(): Promise<{ reason: string; message: string } | undefined> {
    const need = (this.pod.spec?.containers ?? []).reduce((n, c) => n + gpuCount(c), 0);
    if (!this.gpuIds) {
      const ids = this.ctx.allocGpus(this.uid, need);
      if (!ids) {
        return { reason: 'FailedAllocation', message: `waiting for ${need} ${GPU_RESOURCE}: the configured GPU ids are all in use by other pods` };
      }
      this.gpuIds = ids;
    }
    const store = this.ctx.host.store;
    const ns = this.ns;
    const vols = this.pod.spec?.volumes ?? [];
    const get = <T,>(kind: string, name: string) => store.get<T & KubeObject>({ apiVersion: 'v1', kind, namespace: ns, name }) as Promise<T | undefined>;
    const claims = new Map<string, PersistentVolumeClaim | undefined>();
    const cms = new Map<string, ConfigMap | undefined>();
    const secrets = new Map<string, Secret | undefined>();
    await Promise.all(
      vols.map(async (v) => {
        if (v.persistentVolumeClaim) claims.set(v.persistentVolumeClaim.claimName, await get<PersistentVolumeClaim>('PersistentVolumeClaim', v.persistentVolumeClaim.claimName));
        if (v.configMap?.name) cms.set(v.configMap.name, await get<ConfigMap>('ConfigMap', v.configMap.name));
        if (v.secret?.secretName) secrets.set(v.secret.secretName, await get<Secret>('Secret', v.secret.secretName));
      }),
    );
    let plan: PlannedVolume[];
    try {
      plan = planVolumes(this.pod, { home: this.ctx.opts.home, podDir: this.dir, podUid: this.uid, ...(this.ctx.facts.shmDir ? { shmDir: this.ctx.facts.shmDir } : {}) }, {
        claim: (n) => claims.get(n),
        configMap: (n) => cms.get(n),
        secret: (n) => secrets.get(n),
      });
      const hostname = this.pod.spec?.hostname ?? this.name;
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(join(this.dir, '.hosts'), hostsFile(this.ctx.facts.hostsText, hostname, (this.pod.spec as { hostAliases?: { ip?: string; hostnames?: string[] }[] }).hostAliases));
      // Only GPU ids need to outlive a restart; everything else is found from the store and the files.
      const record: PodRecord = { uid: this.uid, namespace: ns, name: this.name, gpuIds: this.gpuIds };
      await Promise.all([plan.length ? materialize(plan) : undefined, this.gpuIds.length ? writeAtomic(join(this.dir, '.pod.json'), JSON.stringify(record)) : undefined]);
    } catch (err) {
      if (err instanceof VolumeError) {
        this.ctx.releaseGpus(this.uid);
        this.gpuIds = undefined;
        return { reason: 'FailedMount', message: err.message };
      }
      throw err;
    }
    this.volumes = new Map(plan.map((v) => [v.name, v]));
    return undefined;
  }

  private containerGpus(name: string): string[] {
    let offset = 0;
    for (const c of this.pod.spec?.containers ?? []) {
      const n = gpuCount(c);
      if (c.name === name) return (this.gpuIds ?? []).slice(offset, offset + n);
      offset += n;
    }
    return [];
  }

  private async envSources(c: Container): Promise<{ cms: Map<string, ConfigMap | undefined>; secrets: Map<string, Secret | undefined> }> {
    const cmNames = new Set<string>();
    const secretNames = new Set<string>();
    for (const f of c.envFrom ?? []) {
      if (f.configMapRef?.name) cmNames.add(f.configMapRef.name);
      if (f.secretRef?.name) secretNames.add(f.secretRef.name);
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name) cmNames.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef?.name) secretNames.add(e.valueFrom.secretKeyRef.name);
    }
    const store = this.ctx.host.store;
    const cms = new Map<string, ConfigMap | undefined>();
    const secrets = new Map<string, Secret | undefined>();
    await Promise.all([
      ...[...cmNames].map(async (n) => cms.set(n, (await store.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: this.ns, name: n })) as ConfigMap | undefined)),
      ...[...secretNames].map(async (n) => secrets.set(n, (await store.get({ apiVersion: 'v1', kind: 'Secret', namespace: this.ns, name: n })) as Secret | undefined)),
    ]);
    return { cms, secrets };
  }

  /** The container's environment: host basics, the image's environment, the user's, then GPU visibility. */
  private buildEnv(c: Container, user: Map<string, string>, gpus: string[]): Record<string, string> {
    const { facts, opts } = this.ctx;
    const image = c.image ? opts.images[c.image] : undefined;
    const pathParts = [...(image?.pathPrepend ?? []), facts.path];
    if (facts.pythonLink && facts.rootMode === 'overlay' && !facts.path.split(':').includes('/usr/local/bin')) pathParts.unshift('/usr/local/bin');
    const hostname = this.pod.spec?.hostname ?? this.name;
    const env: Record<string, string> = {
      PATH: pathParts.join(':'),
      HOME: process.getuid?.() === 0 ? '/root' : homedir(),
      HOSTNAME: hostname,
      ...(image?.env ?? {}),
    };
    for (const [k, v] of user) env[k] = v;
    // Every container says which GPUs it may use; none is `""` so a pod without a GPU limit never
    // grabs the host's GPUs (Kubernetes shows it no GPU device at all).
    env['CUDA_VISIBLE_DEVICES'] = gpus.join(',');
    if (gpus.length) env['NVIDIA_VISIBLE_DEVICES'] = gpus.join(',');
    return env;
  }

  private workingDir(c: Container): { dir: string; create: boolean; fromHost: boolean } {
    if (c.workingDir) return { dir: c.workingDir, create: true, fromHost: false };
    const src = this.pod.metadata?.annotations?.[ANNOTATIONS.sourceDir];
    if (src) {
      try {
        if (statSync(src).isDirectory()) return { dir: src, create: false, fromHost: true };
      } catch {
        // Gone: fall through.
      }
    }
    return { dir: '/', create: false, fromHost: false };
  }

  private async startContainer(c: CRun): Promise<void> {
    c.starting = true;
    const spec = c.spec;
    try {
      const { cms, secrets } = await this.envSources(spec);
      const { facts } = this.ctx;
      const user = resolveUserEnv({
        pod: this.pod,
        container: spec,
        nodeName: this.ctx.host.nodeName,
        hostIP: LOOPBACK,
        podIP: LOOPBACK,
        nodeAllocatable: { cpuMillis: facts.cpuMillis, memoryBytes: facts.memoryBytes },
        configMap: (n) => cms.get(n),
        secret: (n) => secrets.get(n),
      });
      const argv = resolveArgv(spec, user);
      const mounts = await containerMounts(spec, this.volumes ?? new Map());
      if (this.deleted || this.killing || this.ctx.isStopped()) return;
      const gpus = this.containerGpus(spec.name);
      const env = this.buildEnv(spec, user, gpus);
      const n = c.restartCount;
      const paths = attemptPaths(this.dir, spec.name, n);
      const limits = spec.resources?.limits ?? {};
      const root: RootSpec =
        facts.rootMode === 'overlay'
          ? { mode: 'overlay', upper: join(paths.rootfs, 'upper'), work: join(paths.rootfs, 'work'), merged: join(paths.rootfs, 'merged') }
          : { mode: 'readonly', entries: facts.rootEntries };
      // Synchronous on purpose: a handful of mkdirs and cgroupfs writes, each far cheaper than a
      // thread-pool round trip, and sequential by nature (measured: about 3x less start latency).
      if (root.mode === 'overlay') for (const d of [root.upper, root.work, root.merged]) mkdirSync(d, { recursive: true });
      else mkdirSync(paths.dir, { recursive: true });
      const cg = facts.cgroups.create(this.uid, spec.name, {
        ...(limits['memory'] !== undefined ? { memoryBytes: Math.ceil(parseQuantity(limits['memory'])) } : {}),
        ...(limits['cpu'] !== undefined ? { cpuMillis: cpuMillis(limits['cpu']) } : {}),
      });
      const oomBaseline = facts.cgroups.oomKills(cg);
      const wd = this.workingDir(spec);
      const image = spec.image ? this.ctx.opts.images[spec.image] : undefined;
      const args = bwrapArgs({
        root,
        hostMounts: facts.hostMounts,
        masks: [this.ctx.opts.home],
        hostsFile: join(this.dir, '.hosts'),
        hostname: this.pod.spec?.hostname ?? this.name,
        volumeMounts: mounts,
        devices: gpus.length ? facts.nvidiaDevices : [],
        workingDir: wd.dir,
        createWorkingDir: wd.create,
        readOnlyPaths: [...(wd.fromHost ? [wd.dir] : []), ...(image?.pathPrepend ?? []).map(envRoot)].filter(underTmp),
        ...(facts.pythonLink ? { pythonLink: facts.pythonLink } : {}),
        statusFd: 3,
        argv,
      });
      const l = launcher({
        sh: facts.sh,
        bwrap: facts.bwrap,
        ...(facts.unshare ? { unshare: facts.unshare } : {}),
        ...(facts.mount ? { mount: facts.mount } : {}),
        cgroupProcFiles: cg.procFiles,
        root,
        bwrapArgs: args,
      });
      const proc = await AttemptProcess.launch({ file: l.file, args: l.args, env, paths }, cg, facts.cgroups, this.ctx.spawner, (a) => this.ctx.adopted.add(a));
      const startedAtMs = this.now();
      const record: AttemptRecord = { container: spec.name, attempt: n, pid: proc.pid, pidStart: proc.pidStart, startedAt: isoSeconds(startedAtMs), startedAtMs, oomBaseline };
      c.record = record;
      c.attempt = proc;
      c.containerID = `drover://${proc.pid}`;
      c.state = { running: { startedAt: record.startedAt } };
      c.reported = undefined;
      this.ctx.tailer.track(paths.log);
      // At once, not on the thread pool: until the record exists, a restart cannot tell this
      // attempt ran, and a crash in that window must be as short as it can be.
      try {
        writeRecordSync(paths.record, record);
      } catch (err) {
        this.log.warn('could not write attempt record', { error: (err as Error).message });
      }
      this.watchExit(c, proc, record);
      this.event('Normal', 'Started', `Started container ${spec.name}`);
    } catch (err) {
      if (err instanceof ContainerConfigError) {
        c.state = { waiting: { reason: err.reason, message: err.message } };
        if (c.reported !== err.message) {
          c.reported = err.message;
          this.event('Warning', 'Failed', `Error: ${err.message}`);
        }
      } else if (err instanceof VolumeError) {
        c.state = { waiting: { reason: 'ContainerCreating', message: err.message } };
        if (c.reported !== err.message) {
          c.reported = err.message;
          this.event('Warning', 'FailedMount', err.message);
        }
      } else if (err instanceof ContainerCannotRunError) {
        const now = isoSeconds(this.now());
        this.event('Warning', 'Failed', `Error: ${err.message}`);
        await this.afterExit(c, { exitCode: 128, reason: err.reason, message: err.message, startedAt: now, finishedAt: now }, 0);
      } else {
        const message = (err as Error).message;
        this.log.error('container start failed', { pod: `${this.ns}/${this.name}`, container: spec.name, error: message });
        c.state = { waiting: { reason: 'CreateContainerError', message } };
        if (c.reported !== message) {
          c.reported = message;
          this.event('Warning', 'Failed', `Error: ${message}`);
        }
        this.retryLater();
      }
    } finally {
      c.starting = false;
      this.markDirty();
    }
  }

  private retryLater(): void {
    if (this.retryCancel) return;
    this.retryCancel = this.ctx.host.clock.setTimer(this.ctx.opts.restartBackoffBaseMs, () => {
      this.retryCancel = undefined;
      this.requestSync();
    });
  }

  /** Waits for the attempt's end (event for spawned, poll for adopted) and records it. */
  watchExit(c: CRun, proc: AttemptProcess, record: AttemptRecord): void {
    void proc.exited.then((obs) => {
      if (this.ctx.isStopped() || this.deleted) return;
      return this.ctx.track(this.onExit(c, proc, record, obs, false));
    });
  }

  async onExit(c: CRun, proc: AttemptProcess, record: AttemptRecord, obs: ExitObservation, whileDown: boolean): Promise<void> {
    const { cgroups } = this.ctx.facts;
    const paths = proc.paths;
    const oomNow = cgroups.oomKills(proc.cgroup);
    const tail = obs.status.exitCode === undefined || obs.status.exitCode === 1 || obs.status.childPid === undefined ? await readTail(paths.log, 1024) : '';
    const cls = classifyExit(obs, oomNow - record.oomBaseline, tail);
    let finishedAtMs = this.now();
    if (whileDown && obs.status.exitCode !== undefined) {
      // bwrap wrote the exit code as the command ended: the file's time is when it ended.
      try {
        finishedAtMs = (await fsp.stat(paths.status)).mtimeMs;
      } catch {
        // Keep now.
      }
    }
    const exit = { exitCode: cls.exitCode, reason: cls.reason, ...(cls.message ? { message: cls.message } : {}), finishedAt: isoSeconds(finishedAtMs) };
    record.exit = exit;
    this.ctx.adopted.delete(proc);
    // Not awaited before the status: a crash in between re-reads bwrap's status file and gets the same answer.
    void this.ctx.track(
      Promise.all([writeRecord(paths.record, record).catch(() => undefined), this.ctx.tailer.untrack(paths.log), fsp.rm(paths.rootfs, { recursive: true, force: true }).catch(() => undefined)]),
    );
    if (c.attempt === proc) c.attempt = undefined;
    if (cls.reason === 'OOMKilled') {
      const lim = c.spec.resources?.limits?.['memory'];
      this.event('Warning', 'OOMKilled', `Container ${c.spec.name} was killed by the kernel's OOM killer${lim ? ` (memory limit ${lim})` : ''}`);
    }
    const ranMs = finishedAtMs - record.startedAtMs;
    await this.afterExit(c, { exitCode: cls.exitCode, reason: cls.reason, ...(cls.message ? { message: cls.message } : {}), startedAt: record.startedAt, finishedAt: exit.finishedAt, containerID: `drover://${record.pid}` }, ranMs);
  }

  /** Restart or finish a container that ended, per the pod's restartPolicy. */
  private async afterExit(c: CRun, term: ContainerStateTerminated, ranMs: number): Promise<void> {
    if (this.deleted) return;
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    const restart = !this.killing && !this.terminal && (policy === 'Always' || (policy === 'OnFailure' && term.exitCode !== 0));
    if (restart) {
      // The kubelet forgets the back-off of a container that ran for a while (2x the maximum).
      if (ranMs >= 2 * this.ctx.opts.restartBackoffMaxMs) c.backoffExp = 0;
      const delay = Math.min(this.ctx.opts.restartBackoffBaseMs * 2 ** c.backoffExp, this.ctx.opts.restartBackoffMaxMs);
      c.backoffExp++;
      this.scheduleRestart(c, term, delay);
    } else {
      c.state = { terminated: term };
      c.finished = true;
    }
    this.markDirty();
    if ([...this.containers.values()].every((x) => x.finished)) await this.finish();
  }

  private scheduleRestart(c: CRun, term: ContainerStateTerminated, delay: number): void {
    const name = c.spec.name;
    c.lastState = { terminated: term };
    c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${formatDelay(delay)} restarting failed container=${name} pod=${this.name}_${this.ns}(${this.uid})` } };
    this.event('Warning', 'BackOff', `Back-off restarting failed container ${name} in pod ${this.name}_${this.ns}(${this.uid})`);
    c.backoffCancel?.();
    c.backoffCancel = this.ctx.host.clock.setTimer(delay, () => {
      c.backoffCancel = undefined;
      if (this.deleted || this.terminal || this.killing) return;
      c.restartCount++;
      this.requestSync();
    });
  }

  /** Every container is done: the pod is Succeeded or Failed. Frees what it held; keeps logs. */
  private async finish(): Promise<void> {
    if (this.terminal) return;
    this.terminal = true;
    this.deadlineCancel?.();
    this.retryCancel?.();
    this.ctx.releaseGpus(this.uid);
    this.markDirty();
    await this.flushing;
    this.ctx.forget(this.uid, true);
    void this.ctx.track(cleanupSandbox(this.ctx, this.uid, this.dir, false));
  }

  // ---- deadline, deletion ----------------------------------------------------------------

  private armDeadline(): void {
    const ads = this.pod.spec?.activeDeadlineSeconds;
    if (this.deadlineCancel || ads === undefined || this.startTimeMs === undefined || this.terminal) return;
    const remaining = this.startTimeMs + ads * 1000 - this.now();
    this.deadlineCancel = this.ctx.host.clock.setTimer(Math.max(0, remaining), () => {
      void this.ctx.track(this.deadlineExceeded());
    });
  }

  private async deadlineExceeded(): Promise<void> {
    if (this.terminal || this.deleted || this.killing || this.ctx.isStopped()) return;
    this.killing = true;
    this.failed = { reason: 'DeadlineExceeded', message: DEADLINE_MESSAGE };
    this.event('Warning', 'DeadlineExceeded', DEADLINE_MESSAGE);
    const grace = (this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    const kills: Promise<void>[] = [];
    for (const c of this.containers.values()) {
      c.backoffCancel?.();
      c.backoffCancel = undefined;
      if (c.attempt) {
        this.event('Normal', 'Killing', `Stopping container ${c.spec.name}`);
        kills.push(c.attempt.kill(grace));
      } else {
        c.finished = true;
      }
    }
    this.markDirty();
    await Promise.all(kills);
    // Each kill ends in onExit → afterExit (no restart while killing) → finish.
    if ([...this.containers.values()].every((x) => x.finished)) await this.finish();
  }

  /** The pod was deleted: stop every container (SIGTERM, SIGKILL after the grace period) and remove everything. */
  async teardown(graceMs: number): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    this.deadlineCancel?.();
    this.retryCancel?.();
    const kills: Promise<void>[] = [];
    for (const c of this.containers.values()) {
      c.backoffCancel?.();
      if (c.attempt && !c.attempt.done) {
        this.event('Normal', 'Killing', `Stopping container ${c.spec.name}`);
        kills.push(c.attempt.kill(graceMs));
      }
    }
    await Promise.all(kills);
    for (const c of this.containers.values()) if (c.attempt) this.ctx.adopted.delete(c.attempt);
    for (const c of this.containers.values()) if (c.attempt) await this.ctx.tailer.untrack(c.attempt.paths.log);
    this.ctx.releaseGpus(this.uid);
    await this.flushing?.catch(() => undefined);
    await cleanupSandbox(this.ctx, this.uid, this.dir, true);
    this.ctx.forget(this.uid, false);
  }

  /** Stops listening (runtime stop): timers cancelled, processes left running. */
  detach(): void {
    this.deadlineCancel?.();
    this.retryCancel?.();
    for (const c of this.containers.values()) {
      c.backoffCancel?.();
      c.attempt?.detach();
    }
  }

  // ---- status ----------------------------------------------------------------------------

  markDirty(): void {
    this.dirty = true;
    if (this.flushing || this.deleted || this.ctx.isStopped()) return;
    this.flushing = this.ctx.track(
      (async () => {
        while (this.dirty && !this.deleted && !this.ctx.isStopped()) {
          this.dirty = false;
          await this.writeStatus();
        }
      })().finally(() => {
        this.flushing = undefined;
      }),
    );
  }

  private containerStatuses(): ContainerStatus[] {
    return [...this.containers.values()]
      .map((c) => {
        const running = c.state.running !== undefined;
        const s: ContainerStatus = {
          name: c.spec.name,
          image: c.spec.image ?? '',
          imageID: '',
          ready: running,
          started: running,
          restartCount: c.restartCount,
          state: c.state,
          lastState: c.lastState ?? {},
        };
        const id = c.state.terminated?.containerID ?? (running ? c.containerID : undefined);
        if (id) s.containerID = id;
        return s;
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private async writeStatus(): Promise<void> {
    const statuses = this.containerStatuses();
    const gpuAnnotation = this.gpuIds?.length ? this.gpuIds.join(',') : undefined;
    try {
      const updated = await this.ctx.host.store.patch<Pod & KubeObject>(podRef(this.pod), (p) => {
        if (p.metadata.uid !== this.uid) return false;
        p.status = buildPodStatus(p.status, {
          pod: p,
          containerStatuses: statuses,
          ...(this.startTime ? { startTime: this.startTime } : {}),
          ...(this.failed ? { failed: this.failed } : {}),
          now: isoSeconds(this.now()),
        });
        if (gpuAnnotation && p.metadata.annotations?.[ANNOTATIONS.gpuIds] !== gpuAnnotation) {
          p.metadata.annotations = { ...(p.metadata.annotations ?? {}), [ANNOTATIONS.gpuIds]: gpuAnnotation };
        }
        return undefined;
      });
      if (updated.metadata.uid === this.uid) this.pod = updated;
    } catch (err) {
      if (err instanceof NotFoundError) return; // Deleted; the watch says so.
      this.log.error('pod status write failed', { pod: `${this.ns}/${this.name}`, error: (err as Error).message });
    }
  }

  // ---- adoption after a restart ----------------------------------------------------------

  /** Rebuilds this worker from disk and the stored status; adopts running attempts. */
  async adopt(record: PodRecord | undefined): Promise<void> {
    const { facts } = this.ctx;
    if (record?.gpuIds.length) {
      this.gpuIds = this.ctx.allocGpus(this.uid, record.gpuIds.length, record.gpuIds) ?? record.gpuIds;
    } else if (record) {
      this.gpuIds = [];
    }
    const st = this.pod.status;
    if (st?.startTime) {
      this.startTime = st.startTime;
      this.startTimeMs = Date.parse(st.startTime);
    }
    const exits: (() => Promise<void>)[] = [];
    for (const c of this.containers.values()) {
      const name = c.spec.name;
      const cs = st?.containerStatuses?.find((s) => s.name === name);
      c.restartCount = cs?.restartCount ?? 0;
      if (cs?.lastState?.terminated) c.lastState = cs.lastState;
      const attempts = await listAttempts(join(this.dir, name));
      const latest = attempts[attempts.length - 1];
      if (latest === undefined) {
        if (cs?.state?.terminated) {
          const term = cs.state.terminated;
          exits.push(() => this.afterExit(c, term, 0));
        } else if (cs?.state?.running) {
          const now = isoSeconds(this.now());
          const term: ContainerStateTerminated = { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the runtime restarted', startedAt: cs.state.running.startedAt ?? now, finishedAt: now };
          exits.push(() => this.afterExit(c, term, 0));
        }
        continue;
      }
      const paths = attemptPaths(this.dir, name, latest);
      const rec = await readRecord(paths.record);
      const cg = facts.cgroups.container(this.uid, name);
      if (!rec) {
        const status = await readBwrapStatus(paths.status);
        if (status.exitCode !== undefined) {
          // It ran to its end while the server was down, before its record was written: record
          // that end. Running it again would run finished work twice.
          const startedAtMs = (await fsp.stat(paths.log).catch(() => undefined))?.mtimeMs ?? this.now();
          const found: AttemptRecord = { container: name, attempt: latest, pid: status.childPid ?? 0, pidStart: '', startedAt: isoSeconds(startedAtMs), startedAtMs, oomBaseline: facts.cgroups.oomKills(cg) };
          c.restartCount = latest;
          c.record = found;
          const proc = AttemptProcess.adopt(found, paths, cg, facts.cgroups);
          exits.push(() => this.onExit(c, proc, found, { status }, true));
          continue;
        }
        // Spawned, but the server died before writing the record and it has not ended: kill it
        // and run the attempt again (the window is the few microseconds between spawn and record).
        await facts.cgroups.killAll(cg);
        c.restartCount = latest;
        continue;
      }
      c.restartCount = rec.attempt;
      c.record = rec;
      c.containerID = `drover://${rec.pid}`;
      if (rec.attempt > 0 && !c.lastState) {
        const prev = await readRecord(attemptPaths(this.dir, name, rec.attempt - 1).record);
        if (prev?.exit) c.lastState = { terminated: { ...prev.exit, startedAt: prev.startedAt, containerID: `drover://${prev.pid}` } };
      }
      if (rec.exit) {
        const term: ContainerStateTerminated = { ...rec.exit, startedAt: rec.startedAt, containerID: `drover://${rec.pid}` };
        exits.push(() => this.afterExit(c, term, Date.parse(rec.exit!.finishedAt) - rec.startedAtMs));
        continue;
      }
      const proc = AttemptProcess.adopt(rec, paths, cg, facts.cgroups);
      if (await proc.alive()) {
        c.attempt = proc;
        c.state = { running: { startedAt: rec.startedAt } };
        this.ctx.adopted.add(proc);
        await this.ctx.tailer.resume(paths.log);
        this.watchExit(c, proc, rec);
        this.log.info('adopted running container', { pod: `${this.ns}/${this.name}`, container: name, pid: rec.pid });
      } else {
        await this.ctx.tailer.resume(paths.log);
        const obs: ExitObservation = { status: await readBwrapStatus(paths.status) };
        exits.push(() => this.onExit(c, proc, rec, obs, true));
      }
    }
    for (const e of exits) await e();
    this.armDeadline();
    this.markDirty();
  }
}

/** Removes a pod's sandbox: cgroups, overlay layers, volume files; with `all`, logs too (the pod is gone). */
async function cleanupSandbox(ctx: Ctx, uid: string, dir: string, all: boolean): Promise<void> {
  const { cgroups, shmDir } = ctx.facts;
  try {
    // Anything left in the pod's cgroups (nothing, normally) is killed before they go.
    for (const name of await cgroupContainers(ctx, uid)) await cgroups.killAll(cgroups.container(uid, name));
    await cgroups.removePod(uid);
  } catch (err) {
    ctx.host.logger.warn('could not remove pod cgroups', { uid, error: (err as Error).message });
  }
  if (shmDir) {
    const prefix = `drover-${uid}-`;
    const names = await fsp.readdir(shmDir).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => n.startsWith(prefix)).map((n) => fsp.rm(join(shmDir, n), { recursive: true, force: true })));
  }
  if (all) {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    return;
  }
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
  await Promise.all(
    entries.map(async (e) => {
      if (e.name === '.volumes') return fsp.rm(join(dir, e.name), { recursive: true, force: true });
      if (!e.isDirectory() || e.name.startsWith('.')) return;
      const inner = await fsp.readdir(join(dir, e.name)).catch(() => [] as string[]);
      await Promise.all(inner.filter((n) => n.endsWith('.rootfs')).map((n) => fsp.rm(join(dir, e.name, n), { recursive: true, force: true })));
    }),
  );
}

async function cgroupContainers(ctx: Ctx, uid: string): Promise<string[]> {
  const [podDir] = ctx.facts.cgroups.podDirs(uid);
  if (!podDir) return [];
  const entries = await fsp.readdir(podDir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
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
  private readonly opts: Ctx['opts'];
  private readonly cgroupParent: string;
  private ctx?: Ctx;
  private readonly workers = new Map<string, PodWorker>();
  /** Pods that ended under this runtime: status events still in flight about them are stale. */
  private readonly finished = new Set<string>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly gpuOwner = new Map<string, string>();
  private readonly cpuSamples = new Map<string, { cpuNanos: number; at: number }>();
  private unsubscribe: (() => void)[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private queue: WatchEvent[] = [];
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
    };
    this.cgroupParent = options.cgroupParent ?? `drover-${createHash('sha256').update(resolve(options.home)).digest('hex').slice(0, 12)}`;
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

  async checkHost(): Promise<void> {
    await checkHostRequirements(this.cgroupParent);
  }

  async start(host: RuntimeHost): Promise<void> {
    if (!this.stopped) throw new Error('runtime already started');
    await fsp.mkdir(this.podsDir, { recursive: true });
    const facts = await probeHost({ home: this.opts.home, cgroupParent: this.cgroupParent, rootfs: this.opts.rootfs });
    host.logger.info('local runtime started', { rootfs: facts.rootMode, cgroups: `v${facts.cgroups.layout.version}`, gpus: this.opts.gpuIds.length });
    this.stopped = false;
    this.ready = false;
    const ctx: Ctx = {
      host,
      facts,
      opts: this.opts,
      podsDir: this.podsDir,
      tailer: new LogTailer(() => host.clock.now()),
      spawner: new Spawner(),
      adopted: new Set(),
      isStopped: () => this.stopped,
      track: (p) => this.track(p),
      allocGpus: (uid, n, preferred) => this.allocGpus(uid, n, preferred),
      releaseGpus: (uid) => this.releaseGpus(uid),
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

    const mine = new Map<string, Pod>();
    for (const p of list.items) if (p.spec?.nodeName === host.nodeName && p.metadata.uid) mine.set(p.metadata.uid, p);
    const onDisk = await fsp.readdir(this.podsDir).catch(() => [] as string[]);
    const withCgroups = await facts.cgroups.listPods();
    // Pods whose processes or files outlived them (deleted while the server was down).
    for (const uid of new Set([...onDisk, ...withCgroups])) {
      const pod = mine.get(uid);
      if (pod && !isTerminalPhase(pod)) continue;
      await cleanupSandbox(ctx, uid, join(this.podsDir, uid), !pod);
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
    this.pollTimer = setInterval(() => void this.tick(), this.opts.pollIntervalMs);
    this.pollTimer.unref();
    this.ready = true;
    this.drain();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    for (const w of this.workers.values()) w.detach();
    await this.ctx?.spawner.stop();
    // Let in-flight writes finish so nothing touches the store after stop returns.
    while (this.background.size) await Promise.allSettled([...this.background]);
    await this.ctx?.tailer.close();
    this.workers.clear();
    this.finished.clear();
    this.gpuOwner.clear();
    this.queue = [];
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.background.add(p);
    const done = () => this.background.delete(p);
    p.then(done, done);
    return p;
  }

  private async tick(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || this.stopped) return;
    await Promise.all([ctx.tailer.poll(), ...[...ctx.adopted].map((a) => a.poll())]);
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
        void this.track(cleanupSandbox(ctx, uid, join(this.podsDir, uid), true));
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
    nw.requestSync();
  }

  private allocGpus(uid: string, n: number, preferred?: string[]): string[] | undefined {
    if (n === 0) return [];
    const mine = this.opts.gpuIds.filter((id) => this.gpuOwner.get(id) === uid);
    if (mine.length >= n) return mine.slice(0, n);
    const order = [...(preferred ?? []), ...this.opts.gpuIds];
    const free = [...new Set(order)].filter((id) => this.opts.gpuIds.includes(id) && !this.gpuOwner.has(id));
    if (free.length < n) return undefined;
    const ids = free.slice(0, n);
    for (const id of ids) this.gpuOwner.set(id, uid);
    return ids;
  }

  private releaseGpus(uid: string): void {
    let freed = false;
    for (const [id, owner] of this.gpuOwner) {
      if (owner === uid) {
        this.gpuOwner.delete(id);
        freed = true;
      }
    }
    // Pods waiting for a GPU may go on.
    if (freed) for (const w of this.workers.values()) if (w.uid !== uid) w.requestSync();
  }

  /** GPU ids in use, by pod uid (for `top node`). */
  gpuAllocations(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [id, uid] of this.gpuOwner) out.set(uid, [...(out.get(uid) ?? []), id]);
    return out;
  }

  logs(pod: Pod, opts: LogOptions): AsyncIterable<string> {
    return this.readLogs(pod, opts);
  }

  private async *readLogs(pod: Pod, opts: LogOptions): AsyncGenerator<string> {
    const uid = pod.metadata?.uid ?? '';
    const podName = pod.metadata?.name ?? '';
    const names = (pod.spec?.containers ?? []).map((c) => c.name);
    let container = opts.container;
    if (!container) {
      if (names.length !== 1) throw new BadRequestError(`a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`);
      container = names[0]!;
    } else if (!names.includes(container)) {
      throw new BadRequestError(`container ${container} is not valid for pod ${podName}`);
    }
    const dir = join(this.podsDir, uid);
    const attempts = await listAttempts(join(dir, container));
    const current = attempts[attempts.length - 1];
    if (current === undefined) {
      const reason = pod.status?.containerStatuses?.find((s) => s.name === container)?.state?.waiting?.reason ?? 'ContainerCreating';
      throw new BadRequestError(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
    }
    const n = opts.previous ? current - 1 : current;
    if (n < 0 || !attempts.includes(n)) throw new BadRequestError(`previous terminated container "${container}" in pod "${podName}" not found`);
    const paths = attemptPaths(dir, container, n);
    const live = this.workers.get(uid)?.containers.get(container);
    const ended = n === current && live?.attempt && live.record?.attempt === n ? live.attempt.exited : undefined;
    const finished = async (): Promise<boolean> => {
      if (n !== current) return true;
      const w = this.workers.get(uid);
      const c = w?.containers.get(container!);
      if (c?.attempt && c.record?.attempt === n) return c.attempt.done;
      const rec = await readRecord(paths.record);
      if (!rec) return !(await exists(paths.log)) || w === undefined;
      if (rec.exit) return true;
      // Not tracked by this server (stopped, or another instance): ask the process itself.
      return !isAlive(rec.pid, rec.pidStart);
    };
    yield* readLog({
      path: paths.log,
      follow: opts.follow === true,
      timestamps: opts.timestamps === true,
      ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      finished,
      ...(ended ? { ended } : {}),
    });
  }

  async usage(pod: Pod): Promise<PodUsage | undefined> {
    const ctx = this.ctx;
    const uid = pod.metadata?.uid;
    if (!ctx || !uid) return undefined;
    const u = await ctx.facts.cgroups.podUsage(uid);
    if (!u) return undefined;
    const now = Date.now();
    const prev = this.cpuSamples.get(uid);
    this.cpuSamples.set(uid, { cpuNanos: u.cpuNanos, at: now });
    let cpu: number;
    if (prev && now > prev.at) {
      cpu = (u.cpuNanos - prev.cpuNanos) / 1e6 / ((now - prev.at) / 1000);
    } else {
      // First sample: the average over the pod's life.
      const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : now - 1000;
      cpu = u.cpuNanos / 1e6 / (Math.max(1000, now - start) / 1000);
    }
    return { cpuMillicores: Math.max(0, Math.round(cpu)), memoryBytes: u.memoryBytes };
  }
}
