/**
 * One pod's worker: starts its containers (after its GPUs, volumes and /etc/hosts are ready),
 * restarts them per restartPolicy with the kubelet's back-off, enforces activeDeadlineSeconds,
 * stops them when the pod is deleted, adopts them after a server restart, and writes the pod's
 * status. The dispatcher (runtime.ts) creates workers and hands them the pod's changes.
 *
 * Why one file of ~800 lines: a container's life (start, restart back-off, deadline, stop, adopt)
 * is one state machine over the worker's fields; the steps that need no state (launch, sandbox
 * arguments, cleanup, GPU ids, logs, usage) already live in their own modules.
 */
import { mkdirSync, promises as fsp, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadRequestError, NotFoundError, GPU_RESOURCE, isSidecar, ANNOTATIONS, containerSecurity, podSecurityIssues, type ConfigMap, type KubeObject, type ObjectRef, type PersistentVolumeClaim, type Pod, type Secret } from '../../api/index.js';
import type { Container, ContainerStateTerminated } from 'kubernetes-types/core/v1.js';
import { isoSeconds } from '../../util/clock.js';
import { cleanupSandbox } from './cleanup.js';
import type { ContainerRole, ContainerRun, PodRecord, WorkerContext } from './context.js';
import { ContainerCannotRunError, ContainerConfigError, resolveArgv, resolveUserEnv } from './env.js';
import { AttemptProcess, attemptPaths, classifyExit, listAttempts, readBwrapStatus, readRecord, readTail, writeRecord, writeRecordSync, type AttemptRecord, type ExitObservation } from './executor.js';
import { writeAtomic } from './fsutil.js';
import { containerGpus, podGpuCount } from './gpus.js';
import { containerEnv, envSources, imageEnvironment, launchAttempt, pathView, sandboxUser, unreadableWorkingDir } from './launch.js';
import { startExec } from './exec.js';
import { ContainerProber, probePlan, runProbeHandler, type ProbePlan } from './probes.js';
import type { ExecProcess } from '../types.js';
import { sharedNetworkAliases } from './sandbox.js';
import { mayChangeNetwork, podHostname } from './network/index.js';
import { buildPodStatus, containerStatuses, containersToStart, initContainerStatuses } from './status.js';
import { containerMounts, materialize, planVolumes, VolumeError, type PlannedVolume } from './volumes.js';
import { diskUsage, hasStorageLimits, storageEviction } from './eviction.js';
import { stepTrace } from '../../util/steptrace.js';

const LOOPBACK = '127.0.0.1';
/** The name pods reach this machine by. */
export const HOST_NAME = 'host.drover.internal';
const SOURCE = 'kubelet';
/** How soon a status write the store refused (a full disk) is tried again. */
const STATUS_RETRY_MS = 1000;
const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

function podRef(pod: Pod): ObjectRef {
  return { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata?.namespace ?? 'default', name: pod.metadata?.name ?? '' };
}

function formatDelay(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m0s`;
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms / 1000}s`;
}

/** The implicit volume holding a pod's ServiceAccount token (a name no user volume can have), and where containers see it. */
const SERVICE_ACCOUNT_VOLUME = '.kube-api-access';
export const SERVICE_ACCOUNT_PATH = serviceAccountPath();

/** /var/run/secrets/kubernetes.io/serviceaccount, through /run where /var/run links there (bwrap makes no parents through a link). */
function serviceAccountPath(): string {
  try {
    return join(realpathSync('/var/run'), 'secrets/kubernetes.io/serviceaccount');
  } catch {
    return '/var/run/secrets/kubernetes.io/serviceaccount';
  }
}

export class PodWorker {
  pod: Pod;
  readonly uid: string;
  readonly dir: string;
  readonly containers = new Map<string, ContainerRun>();
  private volumes?: Map<string, PlannedVolume>;
  /** The pod's address and network namespace, once its network is set up (127.0.0.1, none: the host's network). */
  private podIP?: string;
  private netns?: string;
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
  /** Cancels the timer that writes the status again after a failed write. */
  private statusRetry?: () => void;
  private prepareMessage?: string;
  /** The start time is set but not yet written (see sync). */
  private startTimePending = false;
  /** The regular containers have ended: the sidecars are being stopped, and are not restarted. */
  private stoppingSidecars = false;
  /** Sidecar attempts asked to stop (stopSidecars). */
  private readonly sidecarStops = new WeakSet<AttemptProcess>();
  /** Attempts being killed because the OOM killer took one of their processes (checkOom). */
  private readonly oomKilling = new WeakSet<AttemptProcess>();

  constructor(private readonly ctx: WorkerContext, pod: Pod) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.dir = join(ctx.podsDir, this.uid);
    // Init containers first, in the spec's order (containersToStart walks them so).
    const inits = pod.spec?.initContainers ?? [];
    for (const c of inits) this.containers.set(c.name, this.run(c, isSidecar(c) ? 'sidecar' : 'init', 'PodInitializing'));
    for (const c of pod.spec?.containers ?? []) this.containers.set(c.name, this.run(c, 'regular', inits.length ? 'PodInitializing' : 'ContainerCreating'));
  }

  private run(spec: Container, role: ContainerRole, waiting: string): ContainerRun {
    return { spec, role, restartCount: 0, state: { waiting: { reason: waiting } }, starting: false, backoffExp: 0, finished: false };
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

  /** For stepTrace's marks. */
  private get traceKey(): string {
    return stepTrace.on ? `${this.ns}/${this.name}` : '';
  }

  private now(): number {
    return this.ctx.host.clock.now();
  }

  event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    const involved = this.pod as unknown as KubeObject;
    void this.ctx.track(this.ctx.host.store.recordEvent({ involved, type, reason, message, source: SOURCE }).catch(() => undefined));
  }

  /** An event about a full disk may itself meet the full disk: tried again each second, ten times. */
  private eventDespiteFullDisk(type: 'Normal' | 'Warning', reason: string, message: string, tries = 10): void {
    const involved = this.pod as unknown as KubeObject;
    void this.ctx.track(
      this.ctx.host.store.recordEvent({ involved, type, reason, message, source: SOURCE }).catch(() => {
        if (tries > 1 && !this.deleted && !this.ctx.isStopped()) this.ctx.host.clock.setTimer(STATUS_RETRY_MS, () => this.eventDespiteFullDisk(type, reason, message, tries - 1));
      }),
    );
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
            this.syncFailed((err as Error).message);
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
      // Written with the first container's start (its `finally` writes the status), not on its
      // own: Pending → Running in two writes instead of three, one watch event less for every
      // controller. Any way out of this sync before a start writes it below.
      this.startTimePending = true;
    }
    try {
      this.armDeadline();
      if (this.killing) return;
      const toStart = containersToStart([...this.containers.values()]);
      if (toStart.length === 0) return;
      await this.startAll(toStart);
    } finally {
      if (this.startTimePending) {
        this.startTimePending = false;
        this.markDirty();
      }
    }
  }

  private async startAll(toStart: ContainerRun[]): Promise<void> {
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
      stepTrace.mark(this.traceKey, 'rt.prepared');
    }
    if (this.deleted || this.ctx.isStopped()) return;
    await Promise.all(toStart.map((c) => this.startContainer(c)));
  }

  /** Sets up what all containers share: GPUs, volumes, /etc/hosts. Returns why it cannot, or nothing. */
  private async prepare(): Promise<{ reason: string; message: string } | undefined> {
    const need = podGpuCount(this.pod);
    if (!this.gpuIds) {
      const ids = this.ctx.allocGpus(this.uid, need);
      if (!ids) {
        return { reason: 'FailedAllocation', message: `waiting for ${need} ${GPU_RESOURCE}: the configured GPU ids are all in use by other pods` };
      }
      this.gpuIds = ids;
    }
    const store = this.ctx.host.store;
    const ns = this.ns;
    const policy = this.ctx.opts.podSecurity;
    // Admission checked the object this pod came from; a pod made before the policy changed, or by
    // a controller from a template, is checked here again: the kubelet's last word.
    const refused = podSecurityIssues(this.pod.spec, ns, policy, 'spec');
    if (refused.length) {
      this.ctx.releaseGpus(this.uid);
      this.gpuIds = undefined;
      return { reason: 'FailedCreatePodSandBox', message: `pod security: ${refused.map((i) => `${i.path}: ${i.message}`).join('; ')}` };
    }
    // The namespace (two `ip` processes, ~20 ms) is made while the volumes are read and written.
    // hostNetwork (privileged namespaces only: podSecurityIssues above) keeps the host's network.
    const net = this.ctx.net;
    const hostNetwork = (this.pod.spec as { hostNetwork?: boolean } | undefined)?.hostNetwork === true;
    const addrP: Promise<{ ip: string; netns?: string } | { error: string }> = hostNetwork ? Promise.resolve({ ip: LOOPBACK }) : net.setupPod(this.uid).catch((err: unknown) => ({ error: (err as Error).message }));
    const podUser = containerSecurity(this.pod.spec, {}, policy);
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
      const apiAccess = await this.serviceAccountVolume();
      if (apiAccess) plan.push(apiAccess);
      mkdirSync(this.dir, { recursive: true });
      stepTrace.mark(this.traceKey, 'rt.planned');
      const addr = await addrP;
      if ('error' in addr) {
        this.ctx.releaseGpus(this.uid);
        this.gpuIds = undefined;
        return { reason: 'FailedCreatePodSandBox', message: `could not set up the pod's network: ${addr.error}` };
      }
      if (!this.podIP && net.mode === 'host' && (this.pod.spec?.containers ?? []).some((c) => c.ports?.length)) {
        this.event('Warning', 'HostNetwork', `pods share the host's network here (${net.why}): another pod listening on the same port will clash with this one`);
      }
      this.podIP = addr.ip;
      this.netns = addr.netns;
      const hostAliases = (this.pod.spec as { hostAliases?: { ip?: string; hostnames?: string[] }[] }).hostAliases ?? [];
      // Without a network namespace there is no cluster DNS for the pod: its peers (a training
      // job's replicas, named in an annotation by their controller) are on loopback like itself.
      const peers = this.netns ? [] : sharedNetworkAliases(podHostname(this.pod), this.pod.spec?.subdomain, this.pod.metadata?.annotations?.[ANNOTATIONS.peerHostnames]);
      // This machine under one name, as Docker's host.docker.internal: a service of the host is
      // reached at its bridge address (one listening on 127.0.0.1 only stays out of pods' reach).
      const host = [{ ip: this.hostIP(), hostnames: [HOST_NAME] }];
      writeFileSync(join(this.dir, '.hosts'), net.hostsFile(this.ctx.facts.hostsText, this.pod, addr.ip, [...hostAliases, ...peers, ...host]));
      const resolv = this.netns ? net.resolvConf(ns, this.pod.spec?.dnsConfig) : undefined;
      if (resolv) writeFileSync(join(this.dir, '.resolv.conf'), resolv);
      // Only GPU ids need to outlive a restart; everything else is found from the store and the files.
      const record: PodRecord = { uid: this.uid, namespace: ns, name: this.name, gpuIds: this.gpuIds };
      const owner = this.ctx.facts.uid === 0 ? { uid: podUser.uid, gid: podUser.gid, ...(podUser.fsGroup !== undefined ? { fsGroup: podUser.fsGroup } : {}) } : undefined;
      stepTrace.mark(this.traceKey, 'rt.files');
      await Promise.all([plan.length ? materialize(plan, owner) : undefined, this.gpuIds.length ? writeAtomic(join(this.dir, '.pod.json'), JSON.stringify(record)) : undefined]);
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

  /**
   * The API access a cluster's kubelet gives every pod whose ServiceAccount token is automounted:
   * the token (bound to this pod), the CA and the namespace, at the standard path. Undefined when
   * the server has no authentication, or the pod or its ServiceAccount opts out.
   */
  private async serviceAccountVolume(): Promise<PlannedVolume | undefined> {
    const access = this.ctx.host.apiAccess;
    const endpoint = access?.endpoint();
    if (!access || !endpoint) return undefined;
    const spec = this.pod.spec;
    const name = spec?.serviceAccountName || spec?.serviceAccount || 'default';
    const sa = await this.ctx.host.store.get<KubeObject & { automountServiceAccountToken?: boolean }>({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: this.ns, name });
    if ((spec?.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true) === false) return undefined;
    const token = access.token({ namespace: this.ns, name: this.name, uid: this.uid, serviceAccount: name });
    return {
      name: SERVICE_ACCOUNT_VOLUME,
      kind: 'secret',
      hostPath: join(this.dir, '.volumes', SERVICE_ACCOUNT_VOLUME),
      readOnly: true,
      create: 'dir',
      files: [
        { path: 'token', data: Buffer.from(token), mode: 0o400 },
        { path: 'ca.crt', data: Buffer.from(endpoint.caPem), mode: 0o444 },
        { path: 'namespace', data: Buffer.from(this.ns), mode: 0o444 },
      ],
    };
  }

  private async startContainer(c: ContainerRun): Promise<void> {
    c.starting = true;
    // This start's own status write (its `finally`) carries the start time.
    this.startTimePending = false;
    let turned = false;
    const spec = c.spec;
    try {
      // Its turn among all starts on this machine (containerParallelStarts); a pod deleted or
      // stopped meanwhile gives its turn up.
      if (!(await this.ctx.startTurn(() => this.abandoned(c)))) return;
      turned = true;
      const { cms, secrets } = await envSources(this.ctx.host.store, this.ns, spec);
      const { facts } = this.ctx;
      const user = resolveUserEnv({
        pod: this.pod,
        container: spec,
        nodeName: this.ctx.host.nodeName,
        hostIP: this.hostIP(),
        podIP: this.podIP ?? LOOPBACK,
        nodeAllocatable: { cpuMillis: facts.cpuMillis, memoryBytes: facts.memoryBytes },
        configMap: (n) => cms.get(n),
        secret: (n) => secrets.get(n),
      });
      const image = imageEnvironment(this.ctx.opts.images, spec.image);
      const argv = resolveArgv(spec, user, image?.entrypoint);
      const security = containerSecurity(this.pod.spec, spec, this.ctx.opts.podSecurity);
      const unreadable = facts.uid === 0 ? unreadableWorkingDir(this.pod, spec, security, image) : undefined;
      if (unreadable) throw new ContainerConfigError(unreadable);
      const view = pathView(facts, security);
      const mounts = await containerMounts(spec, this.volumes ?? new Map());
      const apiAccess = this.volumes?.get(SERVICE_ACCOUNT_VOLUME);
      const endpoint = apiAccess ? this.ctx.host.apiAccess?.endpoint() : undefined;
      // Only over a writable root can the mount point be made (a read-only root has no /run/secrets).
      if (apiAccess && facts.rootMode === 'overlay' && !mounts.some((m) => m.dest === SERVICE_ACCOUNT_PATH || m.dest === '/var/run/secrets/kubernetes.io/serviceaccount')) mounts.push({ source: apiAccess.hostPath, dest: SERVICE_ACCOUNT_PATH, readOnly: true });
      // As a cluster's kubelet: where the API is, for in-cluster clients (load_incluster_config).
      if (endpoint) {
        for (const [k, v] of Object.entries({ KUBERNETES_SERVICE_HOST: endpoint.host, KUBERNETES_SERVICE_PORT: String(endpoint.port), KUBERNETES_SERVICE_PORT_HTTPS: String(endpoint.port) })) if (!user.has(k)) user.set(k, v);
      }
      if (this.abandoned(c)) return;
      const gpus = containerGpus(this.pod, this.gpuIds ?? [], spec.name);
      const hostname = podHostname(this.pod);
      const n = c.restartCount;
      stepTrace.mark(this.traceKey, 'rt.launch');
      const { proc, paths, oomBaseline } = await launchAttempt({
        facts,
        spawner: this.ctx.spawner,
        home: this.ctx.opts.home,
        pod: this.pod,
        podUid: this.uid,
        podDir: this.dir,
        hostname,
        container: spec,
        image,
        attempt: n,
        argv,
        env: containerEnv(facts, image, hostname, user, gpus, security.uid, view),
        mounts,
        gpus,
        podPidsLimit: this.ctx.opts.podPidsLimit,
        defaultTmpBytes: this.ctx.opts.containerTmpBytes,
        security,
        view,
        ...(this.netns ? { netns: this.netns } : {}),
        ...(this.netns && this.ctx.net.resolvConf(this.ns) ? { resolvFile: join(this.dir, '.resolv.conf') } : {}),
        onLost: (a) => this.ctx.adopted.add(a),
      });
      if (this.deleted) {
        // Deleted while this container was starting: teardown could not see it, so it goes here.
        await proc.kill(0);
        await facts.cgroups.removePod(this.uid).catch((err: unknown) => this.log.warn('could not remove pod cgroups', { uid: this.uid, error: (err as Error).message }));
        return;
      }
      stepTrace.mark(this.traceKey, 'rt.spawned');
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
      this.startProbes(c);
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
      if (turned) this.ctx.startDone();
      c.starting = false;
      this.markDirty();
      // A sidecar's start lets the next init container go; one that started while the sidecars
      // were being stopped is stopped too.
      if (c.role === 'sidecar') {
        if (this.stoppingSidecars) void this.ctx.track(this.settle());
        else this.requestSync();
      }
    }
  }

  /** Runs the container's probes (probes.ts) for its running attempt, if it has any. */
  private startProbes(c: ContainerRun): void {
    const plans = (['startup', 'readiness', 'liveness'] as const).map((k) => probePlan(c.spec, k)).filter((p): p is ProbePlan => p !== undefined);
    if (plans.length === 0) return;
    const attempt = c.attempt;
    const name = c.spec.name;
    const target = { podIP: this.podIP ?? LOOPBACK, exec: (command: string[]) => this.execIn(c, command, false, this.name) };
    c.prober = new ContainerProber(plans, (h, timeoutMs) => runProbeHandler(target, h, timeoutMs), this.ctx.host.clock, {
      changed: () => {
        this.markDirty();
        // A sidecar's start lets the next init container go.
        if (c.role === 'sidecar') this.requestSync();
      },
      unhealthy: (_kind, message) => this.event('Warning', 'Unhealthy', message),
      failed: (kind, message) => {
        if (!attempt || attempt.done || c.attempt !== attempt || this.deleted || this.killing) return;
        this.event('Normal', 'Killing', `Container ${name} failed ${kind} probe, will be restarted`);
        this.log.info('container failed its probe', { pod: `${this.ns}/${this.name}`, container: name, probe: kind, message });
        const grace = (c.spec[kind === 'liveness' ? 'livenessProbe' : 'startupProbe']?.terminationGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
        void this.ctx.track(attempt.kill(grace).catch((err: unknown) => this.log.warn('could not kill a container that failed its probe', { container: name, error: (err as Error).message })));
      },
    });
    c.prober.start();
  }

  private stopProbes(c: ContainerRun): void {
    c.prober?.stop();
    c.prober = undefined;
  }

  /** Starts a command inside the container's running sandbox (exec.ts): `kubectl exec`, and exec probes. */
  async execIn(c: ContainerRun, command: string[], tty: boolean, podName: string): Promise<ExecProcess> {
    const attempt = c.attempt;
    const name = c.spec.name;
    if (!attempt || attempt.done || !c.state.running) throw new BadRequestError(`unable to upgrade connection: container ${name} in pod ${podName} is not running`);
    const { childPid } = await readBwrapStatus(attempt.paths.status);
    if (!childPid) throw new BadRequestError(`unable to upgrade connection: container ${name} in pod ${podName} is still starting`);
    const security = containerSecurity(this.pod.spec, c.spec, this.ctx.opts.podSecurity);
    return startExec({ sh: this.ctx.facts.sh, pid: childPid, cgroupJoinFiles: attempt.cgroup.joinFiles, user: sandboxUser(this.ctx.facts, security), command, tty });
  }

  /** The container's start is no longer wanted: the pod is going, or its sidecars are being stopped. */
  private abandoned(c: ContainerRun): boolean {
    return this.deleted || this.killing || this.ctx.isStopped() || (c.role === 'sidecar' && this.stoppingSidecars);
  }

  /**
   * A sync that failed unexpectedly (preparing the pod's files on a full disk) says so on the
   * pod and is tried again after the back-off: space may return, and the pod must go on then
   * without a restart of the server.
   */
  private syncFailed(message: string): void {
    if (this.deleted || this.terminal) return;
    for (const c of this.containers.values()) {
      if (!c.finished && !c.attempt && !c.backoffCancel && 'waiting' in c.state) c.state = { waiting: { reason: 'ContainerCreating', message } };
    }
    if (this.prepareMessage !== message) {
      this.prepareMessage = message;
      this.event('Warning', 'FailedCreatePodSandBox', message);
    }
    this.markDirty();
    this.retryLater();
  }

  private retryLater(): void {
    if (this.retryCancel) return;
    this.retryCancel = this.ctx.host.clock.setTimer(this.ctx.opts.restartBackoffBaseMs, () => {
      this.retryCancel = undefined;
      this.requestSync();
    });
  }

  /** Waits for the attempt's end (event for spawned, poll for adopted) and records it. */
  watchExit(c: ContainerRun, proc: AttemptProcess, record: AttemptRecord): void {
    void proc.exited.then((obs) => {
      if (stepTrace.on) {
        const key = this.traceKey;
        stepTrace.mark(key, 'rt.exit');
        // bwrap writes the exit code as the command ends: the file's time is that end (wall clock).
        void fsp.stat(proc.paths.status).then((st) => stepTrace.mark(key, 'proc.end', st.mtimeMs - (Date.now() - performance.now())), () => undefined);
      }
      if (this.ctx.isStopped() || this.deleted) return;
      return this.ctx.track(this.onExit(c, proc, record, obs, false));
    });
  }

  async onExit(c: ContainerRun, proc: AttemptProcess, record: AttemptRecord, obs: ExitObservation, whileDown: boolean): Promise<void> {
    const { cgroups } = this.ctx.facts;
    const paths = proc.paths;
    if (c.attempt === proc) this.stopProbes(c);
    const oomNow = cgroups.oomKills(proc.cgroup);
    const tail = obs.status.exitCode === undefined || obs.status.exitCode === 1 || obs.status.exitCode === 126 || obs.status.exitCode === 127 || obs.status.childPid === undefined ? await readTail(paths.log, 1024) : '';
    const cls = classifyExit(obs, oomNow - record.oomBaseline, tail);
    // Asked before the container's writable layer is removed (below), which may free the space it filled.
    const diskFull = cls.exitCode !== 0 && cls.reason !== 'OOMKilled' ? this.ctx.opts.diskPressure?.() : undefined;
    let finishedAtMs = this.now();
    if (whileDown && obs.status.exitCode !== undefined) {
      // bwrap wrote the exit code as the command ended: the file's time is when it ended (a real
      // wall-clock time, as is everything the kernel stamps).
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
    const cleanup = Promise.all([writeRecord(paths.record, record).catch(() => undefined), this.ctx.tailer.untrack(paths.log), fsp.rm(paths.rootfs, { recursive: true, force: true }).catch(() => undefined)]);
    void this.ctx.track(cleanup);
    if (c.attempt === proc) c.attempt = undefined;
    if (cls.reason === 'OOMKilled') {
      const lim = c.spec.resources?.limits?.['memory'];
      this.event('Warning', 'OOMKilled', `Container ${c.spec.name} was killed by the kernel's OOM killer${lim ? ` (memory limit ${lim})` : ''}`);
    }
    // After the writable layer is gone: on a disk the container filled, the event could not be stored before.
    if (diskFull) void cleanup.then(() => this.eventDespiteFullDisk('Warning', 'DiskPressure', `Container ${c.spec.name} ended with exit code ${cls.exitCode} while the node's disk was full (${diskFull}): a write may have failed for lack of space`));
    // On a full disk the status write below would fail too: free the writable layer first.
    if (diskFull) await cleanup;
    const ranMs = finishedAtMs - record.startedAtMs;
    await this.afterExit(c, { exitCode: cls.exitCode, reason: cls.reason, ...(cls.message ? { message: cls.message } : {}), startedAt: record.startedAt, finishedAt: exit.finishedAt, containerID: `drover://${record.pid}` }, ranMs);
  }

  /**
   * Restart or finish a container that ended. A regular container follows the pod's restartPolicy;
   * an init container is run again after a failure unless the policy is Never; a sidecar is always
   * run again, until the pod stops it.
   */
  private async afterExit(c: ContainerRun, term: ContainerStateTerminated, ranMs: number): Promise<void> {
    if (this.deleted) return;
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    const going = this.killing || this.terminal;
    const failed = term.exitCode !== 0;
    const restart =
      c.role === 'sidecar' ? !going && !this.stoppingSidecars
      : c.role === 'init' ? !going && failed && policy !== 'Never'
      : !going && (policy === 'Always' || (policy === 'OnFailure' && failed));
    if (restart) {
      // The kubelet forgets the back-off of a container that ran for a while (2x the maximum).
      if (ranMs >= 2 * this.ctx.opts.restartBackoffMaxMs) c.backoffExp = 0;
      const delay = Math.min(this.ctx.opts.restartBackoffBaseMs * 2 ** c.backoffExp, this.ctx.opts.restartBackoffMaxMs);
      c.backoffExp++;
      this.scheduleRestart(c, term, delay);
    } else {
      c.state = { terminated: term };
      c.finished = true;
      // The next init container, or the regular containers, may start.
      if (c.role === 'init' && !failed) this.requestSync();
    }
    this.markDirty();
    await this.settle();
  }

  /**
   * Ends the pod once nothing is left to run. When the regular containers have all ended, or an
   * init container failed for good (those not started will not be), the sidecars are stopped;
   * when every container has ended, the pod is finished.
   */
  private async settle(): Promise<void> {
    const runs = [...this.containers.values()];
    const initFailed = runs.some((c) => c.role === 'init' && c.finished && c.state.terminated?.exitCode !== 0);
    if (initFailed) for (const c of runs) if (c.role !== 'sidecar' && !c.finished && !c.attempt && !c.starting) c.finished = true;
    if (runs.every((c) => c.role === 'sidecar' || c.finished)) await this.stopSidecars();
    if (runs.every((c) => c.finished)) await this.finish();
  }

  /** Stops the sidecars, last first, as the kubelet does once a pod's regular containers have ended. */
  private async stopSidecars(): Promise<void> {
    const sidecars = [...this.containers.values()].filter((c) => c.role === 'sidecar' && !c.finished);
    if (sidecars.length === 0) return;
    this.stoppingSidecars = true;
    const graceMs = (this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    for (const c of sidecars.reverse()) {
      c.backoffCancel?.();
      c.backoffCancel = undefined;
      const a = c.attempt;
      if (a && !a.done) {
        if (this.sidecarStops.has(a)) continue;
        this.sidecarStops.add(a);
        this.event('Normal', 'Killing', `Stopping container ${c.spec.name}`);
        await a.kill(graceMs);
      } else if (!c.starting) {
        c.finished = true;
      }
    }
    this.markDirty();
  }

  private scheduleRestart(c: ContainerRun, term: ContainerStateTerminated, delay: number): void {
    const name = c.spec.name;
    c.lastState = { terminated: term };
    c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${formatDelay(delay)} restarting failed container=${name} pod=${this.name}_${this.ns}(${this.uid})` } };
    this.event('Warning', 'BackOff', `Back-off restarting failed container ${name} in pod ${this.name}_${this.ns}(${this.uid})`);
    c.backoffCancel?.();
    c.backoffCancel = this.ctx.host.clock.setTimer(delay, () => {
      c.backoffCancel = undefined;
      if (this.deleted || this.terminal || this.killing || (c.role === 'sidecar' && this.stoppingSidecars)) return;
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
    this.statusRetry?.();
    this.ctx.releaseGpus(this.uid);
    this.markDirty();
    await this.flushing;
    this.ctx.forget(this.uid, true);
    this.networkEnding();
    void this.ctx.track(cleanupSandbox(this.ctx.facts, this.log, this.uid, this.dir, false, (emptied) => this.releaseNetwork(emptied)));
  }

  /**
   * cgroup v1 has no memory.oom.group: the OOM killer takes one process (the biggest) and the rest
   * go on, a shell often exiting 0 after its child was killed. The kubelet on v2 kills the whole
   * container, so here, on the runtime's poll, a container whose cgroup counted an OOM kill during
   * this attempt is killed whole; it then ends OOMKilled (classifyExit).
   */
  checkOom(): void {
    const { cgroups } = this.ctx.facts;
    for (const c of this.containers.values()) {
      const a = c.attempt;
      if (!a || a.done || !c.record || this.oomKilling.has(a)) continue;
      if (cgroups.oomKills(a.cgroup) <= c.record.oomBaseline) continue;
      this.oomKilling.add(a);
      void this.ctx.track(a.kill(0).catch((err: unknown) => this.log.warn('could not kill an OOM-killed container', { pod: `${this.ns}/${this.name}`, container: c.spec.name, error: (err as Error).message })));
    }
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
    await this.failPod('DeadlineExceeded', DEADLINE_MESSAGE, (this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
  }

  /**
   * The pod's disk use against its ephemeral-storage limits and emptyDir sizeLimits (eviction.ts),
   * on the runtime's storage beat: past them, it is evicted as the kubelet evicts, at once.
   */
  async checkStorage(): Promise<void> {
    if (this.terminal || this.deleted || this.killing || !hasStorageLimits(this.pod)) return;
    const containers = new Map<string, number>();
    for (const c of this.containers.values()) {
      const a = c.attempt;
      if (!a || a.done) continue;
      containers.set(c.spec.name, (await diskUsage(join(a.paths.rootfs, 'upper'))) + (await diskUsage(a.paths.log)));
    }
    const emptyDirs = new Map<string, number>();
    for (const v of this.volumes?.values() ?? []) if (v.kind === 'emptyDir' && !v.ephemeralOutside) emptyDirs.set(v.name, await diskUsage(v.hostPath));
    const message = storageEviction(this.pod, { containers, emptyDirs });
    if (message) await this.failPod('Evicted', message, 0);
  }

  /** Stops every container (no restart) and ends the pod Failed with `reason`, an event saying why. */
  private async failPod(reason: string, message: string, graceMs: number): Promise<void> {
    if (this.terminal || this.deleted || this.killing || this.ctx.isStopped()) return;
    this.killing = true;
    this.failed = { reason, message };
    this.event('Warning', reason, message);
    this.networkEnding();
    const kills: Promise<void>[] = [];
    for (const c of this.containers.values()) {
      c.backoffCancel?.();
      c.backoffCancel = undefined;
      this.stopProbes(c);
      if (c.attempt) {
        this.event('Normal', 'Killing', `Stopping container ${c.spec.name}`);
        kills.push(c.attempt.kill(graceMs));
      } else {
        c.finished = true;
      }
    }
    this.markDirty();
    await Promise.all(kills);
    // Each kill ends in onExit → afterExit (no restart while killing) → finish.
    await this.settle();
  }

  /** The pod was deleted: stop every container (SIGTERM, SIGKILL after the grace period) and remove everything. */
  async teardown(graceMs: number): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    this.deadlineCancel?.();
    this.retryCancel?.();
    this.statusRetry?.();
    this.networkEnding();
    const kills: Promise<void>[] = [];
    for (const c of this.containers.values()) {
      c.backoffCancel?.();
      this.stopProbes(c);
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
    await cleanupSandbox(this.ctx.facts, this.log, this.uid, this.dir, true, (emptied) => this.releaseNetwork(emptied));
    this.ctx.forget(this.uid, false);
  }

  /** Whether the pod's namespace may serve another pod once its processes are gone: it could not have changed it. */
  private networkReusable(): boolean {
    return !mayChangeNetwork(this.pod);
  }

  /** The pod is ending: a namespace that may be reused is announced, so a starting pod waits for it. */
  private networkEnding(): void {
    if (this.networkReusable()) this.ctx.net.podEnding(this.uid);
  }

  /**
   * Frees the pod's address, namespace and veth pair. `emptied`: its cgroups went, so none of its
   * processes is left, and its namespace may serve another pod unless it could have changed it.
   */
  private async releaseNetwork(emptied: boolean): Promise<void> {
    await this.ctx.net.releasePod(this.uid, emptied && this.networkReusable()).catch((err: unknown) => this.log.warn('could not remove the pod\'s network', { uid: this.uid, error: (err as Error).message }));
  }

  /** The node's address as the pod sees it: the bridge's gateway, or loopback on the host's network. */
  private hostIP(): string {
    return this.ctx.net.mode === 'bridge' ? this.ctx.net.serverAddress : LOOPBACK;
  }

  /** Stops listening (runtime stop): timers cancelled, processes left running. */
  detach(): void {
    this.deadlineCancel?.();
    this.retryCancel?.();
    this.statusRetry?.();
    for (const c of this.containers.values()) {
      c.backoffCancel?.();
      this.stopProbes(c);
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

  private async writeStatus(): Promise<void> {
    const statuses = containerStatuses(this.containers.values());
    const initStatuses = initContainerStatuses(this.containers.values());
    const gpuAnnotation = this.gpuIds?.length ? this.gpuIds.join(',') : undefined;
    try {
      const updated = await this.ctx.host.store.patch<Pod & KubeObject>(podRef(this.pod), (p) => {
        if (p.metadata.uid !== this.uid) return false;
        p.status = buildPodStatus(p.status, {
          pod: p,
          containerStatuses: statuses,
          initContainerStatuses: initStatuses,
          ...(this.startTime ? { startTime: this.startTime } : {}),
          ...(this.failed ? { failed: this.failed } : {}),
          now: isoSeconds(this.now()),
          ...(this.podIP ? { podIP: this.podIP, hostIP: this.hostIP() } : {}),
        });
        if (gpuAnnotation && p.metadata.annotations?.[ANNOTATIONS.gpuIds] !== gpuAnnotation) {
          p.metadata.annotations = { ...(p.metadata.annotations ?? {}), [ANNOTATIONS.gpuIds]: gpuAnnotation };
        }
        return undefined;
      });
      if (updated.metadata.uid === this.uid) this.pod = updated;
      if (stepTrace.on) {
        stepTrace.count(this.traceKey, 'rt.writes');
        const phase = updated.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') stepTrace.mark(this.traceKey, 'rt.final');
      }
    } catch (err) {
      if (err instanceof NotFoundError) return; // Deleted; the watch says so.
      this.log.error('pod status write failed', { pod: `${this.ns}/${this.name}`, error: (err as Error).message });
      // A full disk refuses the write: the status (a container's end) is written again in a
      // second, not lost until the next change that may never come.
      this.statusRetry ??= this.ctx.host.clock.setTimer(STATUS_RETRY_MS, () => {
        this.statusRetry = undefined;
        this.markDirty();
      });
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
    const ip = this.ctx.net.addressOf(this.uid);
    if (ip) this.podIP = ip;
    const st = this.pod.status;
    if (st?.startTime) {
      this.startTime = st.startTime;
      this.startTimeMs = Date.parse(st.startTime);
    }
    const exits: (() => Promise<void>)[] = [];
    for (const c of this.containers.values()) {
      const name = c.spec.name;
      const cs = (c.role === 'regular' ? st?.containerStatuses : st?.initContainerStatuses)?.find((s) => s.name === name);
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
          // The log's mtime (wall clock, set by the kernel) is the best start time left.
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
        this.startProbes(c);
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

