/**
 * One typed configuration object. Values come from flags, then environment variables, then
 * `$DROVER_HOME/config.yaml`, then defaults; nothing else reads `process.env`.
 *
 * config.yaml example:
 *   port: 7450
 *   node:
 *     name: workstation
 *     labels: { role: train-cpu }
 *     capacity: { cpu: "2", memory: 8Gi, nvidia.com/gpu: 0 }
 *   images:
 *     python:3.11-slim: { pathPrepend: [/opt/venvs/py311/bin] }
 *     argoproj/argosay: { entrypoint: [argosay], pathPrepend: [/opt/shims], workingDir: / }
 *   jobs: { backoffBaseSeconds: 10 }
 *   pods: { pidsLimit: 4096, tmpSize: 1Gi, logMaxSize: 10Mi, logMaxFiles: 5, parallelStarts: 2, startsPerSecond: 0 }
 *                                     # parallelStarts: container starts launching at once on this
 *                                     # machine (default 1 per CPU), so a flood of pods keeps it
 *                                     # responsive; startsPerSecond: a rate on top (a token bucket,
 *                                     # burst = one second's worth; default 0: none)
 *   diskPressure: { available: 64Mi, checkInterval: 10s }   # or available: "10%" as the kubelet
 *   terminatedPodGcThreshold: 12500   # finished pods kept (kube-controller-manager's default)
 *   eventTtl: 1h                      # kube-apiserver's --event-ttl
 *   changeLogMaxAge: 10m              # watches from older resourceVersions get 410 Gone
 *   changeLogMaxSize: 64Mi
 *   serverLog: { maxSize: 10Mi, maxFiles: 3 }   # drover up -d's server.log
 *   network:                          # pods' own network namespaces (ARCHITECTURE.md "Pod networking")
 *     mode: auto                      # auto | bridge | host (auto: bridge when the server has CAP_NET_ADMIN)
 *     bridge: drover0
 *     podCIDR: 10.88.0.0/16
 *     serviceCIDR: 10.96.0.0/16       # ClusterIPs
 *     clusterDomain: cluster.local
 *     egress: true                    # NAT to the outside when iptables is there
 *   podSecurity:
 *     runAsUser: 65534                # uid of containers that set no runAsUser (default 65534)
 *     runAsGroup: 65534
 *     privilegedNamespaces: [ops]     # may run as root, privileged, add capabilities ("*": all)
 *     allowedHostPaths: [/data/shared] # hostPath volumes may mount these (and below)
 *   notebooks:                        # Kubeflow Notebooks (ARCHITECTURE.md "Notebooks")
 *     cullIdleTime: 1440m             # stop a notebook idle this long (a bare number: minutes, as CULL_IDLE_TIME; 0: never)
 *     idlenessCheckPeriod: 1m         # how often each running notebook is asked (IDLENESS_CHECK_PERIOD)
 *     jupyterEnv: /var/cache/drover/jupyter-venv   # the venv scripts/jupyter-env.sh makes
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { LogLevel } from '../util/logger.js';
import { parseArtifactRepositoryConfig, type ArtifactRepositoryConfig } from '../artifacts/index.js';
import { BadRequestError } from '../api/errors.js';
import { parseQuantity } from '../api/quantity.js';
import { DEFAULT_POD_UID } from '../api/podsecurity.js';

export interface ImageEnvironment {
  env?: Record<string, string>;
  /** Directories put first on PATH, e.g. a virtualenv's bin. */
  pathPrepend?: string[];
  /** What runs when a container sets no `command` (the image's ENTRYPOINT); `args` follow it. */
  entrypoint?: string[];
  /** Where a container without `workingDir` starts (the image's WORKDIR), instead of the manifest's directory. */
  workingDir?: string;
}

export interface DroverConfig {
  home: string;
  host: string;
  /**
   * Names clients may reach the server by besides loopback and this machine's name (a Service's
   * DNS name in a cluster): a request whose Host header is none of them is refused.
   */
  serverNames: string[];
  port: number;
  node: {
    name: string;
    labels: Record<string, string>;
    /** Overrides of detected capacity (cpu and memory as quantities). */
    capacity: { cpu?: string; memory?: string; gpus?: number };
  };
  images: Record<string, ImageEnvironment>;
  jobs: { backoffBaseMs: number; backoffMaxMs: number };
  /** Kubelet restart back-off for restartPolicy OnFailure/Always. */
  restartBackoffBaseMs: number;
  /** Bounds every pod gets on the local runtime (the kubelet's podPidsLimit, containerLogMaxSize/Files). */
  pods: PodBounds;
  storeSync: 'normal' | 'full';
  /**
   * `token`: every request but health checks carries a bearer token (drover up writes the
   * admin's into its kubeconfig). `none`: anyone who reaches the port may do anything (warned).
   */
  auth: 'token' | 'none';
  /**
   * Listen beyond loopback over plain HTTP. Refused by default: tokens would cross the network in
   * clear (in a cluster, behind its Service, the Deployment says so).
   */
  plainHttp: boolean;
  /**
   * Serve HTTPS: `on`, `off`, or `auto` (the default): on when listening beyond loopback. The
   * certificate is Drover's own, signed by a CA it makes in the home, unless `tlsCertFile` and
   * `tlsKeyFile` name the user's (and `tlsCaFile` the CA clients should trust for it).
   */
  tls: { mode: 'on' | 'off' | 'auto'; certFile?: string; keyFile?: string; caFile?: string };
  /**
   * The key that encrypts Secrets' data in the store (AES-256-GCM), kept apart from the database:
   * default `$DROVER_HOME/secrets.key` (made at the first start, 0600). A configured path must exist.
   */
  secretsKeyFile: { path: string; configured: boolean };
  /** The audit log: one JSON line per API request; `file: ''` turns it off. Rotated by size. */
  audit: { file: string; maxBytes: number; maxFiles: number };
  /** How many changes a watch can resume from; an older resourceVersion gets 410 Gone. */
  changeLogSize: number;
  /** What the control plane keeps, and for how long (see Retention). */
  retention: Retention;
  /** When the node is under disk pressure (kubelet's `nodefs.available` hard eviction signal), and how often it is checked. */
  diskPressure: { threshold: { percent: number } | { bytes: number }; checkIntervalMs: number };
  /**
   * The server's own log: `file` (set by `drover up -d`, DROVER_SERVER_LOG_FILE) rotated by size;
   * without it, JSON lines on stderr.
   */
  serverLog: { file?: string; maxBytes: number; maxFiles: number };
  logLevel: LogLevel;
  /** Where workflow steps' output artifacts are kept (Argo's `artifactRepository`). */
  artifactRepository: ArtifactRepositoryConfig;
  runtime: RuntimeConfig;
  /**
   * Where containers without workingDir start when their object came from a client other than
   * Drover's CLI (kubectl, the Python client, SDKs), which sends no manifest directory: a
   * Namespace's `drover.dev/source-dir` annotation, else this. Default: the directory
   * `drover up` was started in.
   */
  workdir: string;
  /** Who containers run as and what they may ask for (see src/api/podsecurity.ts). */
  podSecurity: PodSecurityConfig;
  /** Pods' networks on the local runtime: a namespace per pod on a bridge, or the host's. */
  network: NetworkSettings;
  /** Kubeflow Notebooks: idle culling and the JupyterLab environment jupyter images run from. */
  notebooks: NotebookSettings;
}

export interface NotebookSettings {
  /** A notebook idle longer than this (ms) is stopped; 0: never. Default 1440 minutes (Kubeflow's CULL_IDLE_TIME). */
  cullIdleMs: number;
  /** How often a running notebook's activity is read (ms). Default 1 minute (IDLENESS_CHECK_PERIOD). */
  checkPeriodMs: number;
  /** The virtual environment holding JupyterLab (scripts/jupyter-env.sh). */
  jupyterEnv: string;
}

/** Bounds on what the store keeps (kube-controller-manager's and kube-apiserver's equivalents named). */
export interface Retention {
  /** Changes older than this (ms) leave the change log (0: no age bound). Default 10 min. */
  changeLogMaxAgeMs: number;
  /** The change log's bodies together stay under this (bytes; 0: no bound). Default 64Mi. */
  changeLogMaxBytes: number;
  /** Finished pods kept before the oldest collectable ones are deleted (`terminated-pod-gc-threshold`; 0: off). Default 12500. */
  terminatedPodThreshold: number;
  /** Events are deleted this long after they last happened (`--event-ttl`). Default 1 h. */
  eventTtlMs: number;
  /** How often garbage collection and store upkeep run. Default 30 s. */
  intervalMs: number;
}

export interface PodSecurityConfig {
  runAsUser: number;
  runAsGroup: number;
  privilegedNamespaces: string[];
  allowedHostPaths: string[];
}

export interface PodBounds {
  /** Processes and threads of a pod, all containers together; 0 or less: unlimited. Default 4096. */
  pidsLimit: number;
  /** /tmp's size (bytes) for a container with neither a memory nor an ephemeral-storage limit. Default 1Gi. */
  tmpBytes: number;
  /** A container's log is rotated past this many bytes. Default 10Mi. */
  logMaxBytes: number;
  /** Files of a container's log kept, the current one included. Default 5. */
  logMaxFiles: number;
  /** Container starts launching at once (at least 1). Default 1 per CPU of this machine. */
  parallelStarts: number;
  /** Container starts a second on top (a token bucket, burst one second's worth); 0 or less, the default: no rate. */
  startsPerSecond: number;
}

/** Where pods run: this machine (bubblewrap + cgroups) or one namespace of a Kubernetes cluster. */
export type RuntimeConfig =
  | { kind: 'local' }
  | {
      kind: 'kubernetes';
      /** Default: $KUBECONFIG, ~/.kube/config, or the pod's service account when in a cluster. */
      kubeconfig?: string;
      context?: string;
      /** Default: the context's namespace, else "default". */
      namespace?: string;
      /** Writes per second to the apiserver (default 50, burst twice that). */
      qps?: number;
    };

export const DEFAULT_PORT = 7450;

/** What `drover up` flags may set; each wins over environment and file. */
export interface ConfigFlags {
  home?: string;
  host?: string;
  port?: number;
  nodeName?: string;
  nodeLabels?: Record<string, string>;
  capacity?: { cpu?: string; memory?: string; gpus?: number };
  logLevel?: LogLevel;
  runtime?: RuntimeConfig;
  tls?: 'on' | 'off' | 'auto';
}

export function droverHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.DROVER_HOME || join(homedir(), '.drover'));
}

export interface NetworkSettings {
  mode: 'auto' | 'bridge' | 'host';
  bridge: string;
  podCIDR: string;
  serviceCIDR: string;
  clusterDomain: string;
  egress: boolean;
}

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

/** `images:` checked: each entry a map whose fields have the types they are used as. */
function imageEnvironments(images: unknown, file: string): Record<string, ImageEnvironment> {
  if (images === undefined || images === null) return {};
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (!isRecord(images)) throw new BadRequestError(`images in ${file} must be a map of image name to environment`);
  for (const [name, e] of Object.entries(images)) {
    const at = `images["${name}"] in ${file}`;
    if (!isRecord(e)) throw new BadRequestError(`${at} must be a map (env, pathPrepend, entrypoint, workingDir)`);
    if (e['pathPrepend'] !== undefined && !strings(e['pathPrepend'])) throw new BadRequestError(`${at}: pathPrepend must be a list of directories`);
    if (e['entrypoint'] !== undefined && (!strings(e['entrypoint']) || (e['entrypoint'] as string[]).length === 0)) throw new BadRequestError(`${at}: entrypoint must be a non-empty list of strings, e.g. [argosay]`);
    if (e['workingDir'] !== undefined && (typeof e['workingDir'] !== 'string' || !e['workingDir'].startsWith('/'))) throw new BadRequestError(`${at}: workingDir must be an absolute path, e.g. /`);
    if (e['env'] !== undefined && (!isRecord(e['env']) || !Object.values(e['env']).every((v) => typeof v === 'string'))) throw new BadRequestError(`${at}: env must be a map of names to strings`);
  }
  return images as Record<string, ImageEnvironment>;
}

function networkSettings(env: NodeJS.ProcessEnv, fc: FileConfig, file: string): NetworkSettings {
  const f = fc.network ?? {};
  const mode = env.DROVER_NETWORK ?? f.mode ?? 'auto';
  if (mode !== 'auto' && mode !== 'bridge' && mode !== 'host') throw new BadRequestError(`network mode "${mode}" (${env.DROVER_NETWORK ? 'DROVER_NETWORK' : `network.mode in ${file}`}) is not known: use auto, bridge or host`);
  const cidr = (v: string | undefined, where: string, dflt: string) => {
    const x = v ?? dflt;
    if (!CIDR.test(x)) throw new BadRequestError(`${where} "${x}" is not a CIDR range like ${dflt}`);
    return x;
  };
  const bridge = env.DROVER_BRIDGE ?? f.bridge ?? 'drover0';
  if (!/^[a-zA-Z0-9_-]{1,15}$/.test(bridge)) throw new BadRequestError(`network.bridge "${bridge}" (${file}) must be an interface name: at most 15 letters, digits, '-' or '_'`);
  return {
    mode,
    bridge,
    podCIDR: cidr(env.DROVER_POD_CIDR ?? f.podCIDR, env.DROVER_POD_CIDR ? 'DROVER_POD_CIDR' : `network.podCIDR in ${file}`, '10.88.0.0/16'),
    serviceCIDR: cidr(env.DROVER_SERVICE_CIDR ?? f.serviceCIDR, env.DROVER_SERVICE_CIDR ? 'DROVER_SERVICE_CIDR' : `network.serviceCIDR in ${file}`, '10.96.0.0/16'),
    clusterDomain: f.clusterDomain ?? 'cluster.local',
    egress: f.egress ?? true,
  };
}

interface FileConfig {
  network?: { mode?: string; bridge?: string; podCIDR?: string; serviceCIDR?: string; clusterDomain?: string; egress?: boolean };
  host?: string;
  serverNames?: string[];
  port?: number;
  node?: { name?: string; labels?: Record<string, string>; capacity?: { cpu?: string | number; memory?: string; 'nvidia.com/gpu'?: number; gpus?: number } };
  images?: Record<string, ImageEnvironment>;
  jobs?: { backoffBaseSeconds?: number; backoffMaxSeconds?: number };
  restartBackoffBaseSeconds?: number;
  pods?: { pidsLimit?: number; tmpSize?: string | number; logMaxSize?: string | number; logMaxFiles?: number; parallelStarts?: number; startsPerSecond?: number };
  storeSync?: 'normal' | 'full';
  auth?: 'token' | 'none';
  plainHttp?: boolean;
  tls?: string | boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsCaFile?: string;
  secretsKeyFile?: string;
  auditLog?: string;
  auditLogMaxSizeMiB?: number;
  auditLogMaxFiles?: number;
  changeLogSize?: number;
  changeLogMaxAge?: string | number;
  changeLogMaxSize?: string | number;
  terminatedPodGcThreshold?: number;
  eventTtl?: string | number;
  gcInterval?: string | number;
  diskPressure?: { available?: string | number; checkInterval?: string | number };
  serverLog?: { maxSize?: string | number; maxFiles?: number };
  logLevel?: LogLevel;
  artifactRepository?: unknown;
  runtime?: { kind?: string; kubeconfig?: string; context?: string; namespace?: string; qps?: number };
  workdir?: string;
  podSecurity?: { runAsUser?: number; runAsGroup?: number; privilegedNamespaces?: string[]; allowedHostPaths?: string[] };
  notebooks?: { cullIdleTime?: string | number; idlenessCheckPeriod?: string | number; jupyterEnv?: string };
}

/** Kubeflow's culling times are minutes when bare numbers; with a unit, any duration. */
function minutes(v: string | number | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'number' || /^\d+(\.\d+)?$/.test(v)) return parseConfigDuration(`${v}m`, name);
  return parseConfigDuration(v, name);
}

/** Where scripts/jupyter-env.sh puts the environment: DROVER_JUPYTER_VENV, /var/cache/drover when made there, else the user's cache. */
function defaultJupyterEnv(env: NodeJS.ProcessEnv): string {
  if (env.DROVER_JUPYTER_VENV) return resolve(env.DROVER_JUPYTER_VENV);
  if (existsSync('/var/cache/drover/jupyter-venv')) return '/var/cache/drover/jupyter-venv';
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'drover', 'jupyter-venv');
}

function notebookSettings(env: NodeJS.ProcessEnv, fc: FileConfig, file: string): NotebookSettings {
  const f = fc.notebooks ?? {};
  const period = minutes(env.DROVER_NOTEBOOK_IDLENESS_CHECK_PERIOD, 'DROVER_NOTEBOOK_IDLENESS_CHECK_PERIOD') ?? minutes(f.idlenessCheckPeriod, `notebooks.idlenessCheckPeriod in ${file}`) ?? 60_000;
  if (period <= 0) throw new BadRequestError(`notebooks.idlenessCheckPeriod (${file} or DROVER_NOTEBOOK_IDLENESS_CHECK_PERIOD) must be more than 0`);
  return {
    cullIdleMs: minutes(env.DROVER_NOTEBOOK_CULL_IDLE_TIME, 'DROVER_NOTEBOOK_CULL_IDLE_TIME') ?? minutes(f.cullIdleTime, `notebooks.cullIdleTime in ${file}`) ?? 1440 * 60_000,
    checkPeriodMs: period,
    jupyterEnv: f.jupyterEnv && !env.DROVER_JUPYTER_VENV ? resolve(f.jupyterEnv) : defaultJupyterEnv(env),
  };
}

function runtimeConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv, fc: FileConfig, file: string): RuntimeConfig {
  if (flags.runtime) return flags.runtime;
  const f = fc.runtime ?? {};
  const kind = env.DROVER_RUNTIME || f.kind || 'local';
  if (kind === 'local') return { kind };
  if (kind !== 'kubernetes') throw new BadRequestError(`runtime "${kind}" (${env.DROVER_RUNTIME ? 'DROVER_RUNTIME' : file}) is not known: use local or kubernetes`);
  const out: RuntimeConfig = { kind };
  const kubeconfig = env.DROVER_KUBECONFIG || f.kubeconfig;
  const context = env.DROVER_KUBE_CONTEXT || f.context;
  const namespace = env.DROVER_KUBE_NAMESPACE || f.namespace;
  const qps = num(env.DROVER_KUBE_QPS, 'DROVER_KUBE_QPS') ?? f.qps;
  if (kubeconfig) out.kubeconfig = kubeconfig;
  if (context) out.context = context;
  if (namespace) out.namespace = namespace;
  if (qps !== undefined) out.qps = qps;
  return out;
}

function list(v: string | undefined): string[] | undefined {
  return v === undefined || v === '' ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
}

function podSecurityConfig(env: NodeJS.ProcessEnv, fc: FileConfig, file: string, home: string): PodSecurityConfig {
  const f = fc.podSecurity ?? {};
  const id = (v: number | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || v < 0 || v > 0xfffffffe) throw new BadRequestError(`${name} must be a uid/gid (a whole number from 0), got ${v}`);
    return v;
  };
  const runAsUser = id(num(env.DROVER_POD_UID, 'DROVER_POD_UID') ?? f.runAsUser, `podSecurity.runAsUser (${file})`) ?? DEFAULT_POD_UID;
  const runAsGroup = id(num(env.DROVER_POD_GID, 'DROVER_POD_GID') ?? f.runAsGroup, `podSecurity.runAsGroup (${file})`) ?? DEFAULT_POD_UID;
  const allowedHostPaths = (list(env.DROVER_ALLOWED_HOST_PATHS) ?? f.allowedHostPaths ?? []).map((p) => {
    if (!p.startsWith('/')) throw new BadRequestError(`podSecurity.allowedHostPaths: "${p}" must be an absolute path`);
    const r = resolve(p);
    // Drover's home holds the store, credentials and every namespace's data.
    if (r === '/' || home === r || home.startsWith(r.endsWith('/') ? r : r + '/') || r.startsWith(home + '/')) {
      throw new BadRequestError(`podSecurity.allowedHostPaths: "${p}" would let pods reach Drover's home (${home})`);
    }
    return r;
  });
  return {
    runAsUser,
    runAsGroup,
    privilegedNamespaces: list(env.DROVER_PRIVILEGED_NAMESPACES) ?? f.privilegedNamespaces ?? [],
    allowedHostPaths,
  };
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new BadRequestError(`${name} must be a number, got "${v}"`);
  return n;
}

function quantity(v: string | number | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  try {
    return Math.ceil(parseQuantity(v));
  } catch {
    throw new BadRequestError(`${name} must be a quantity (10Mi, 1Gi, 500M), got "${v}"`);
  }
}

/** `90s`, `10m`, `1h`, `1h30m`, or a number of seconds. */
export function parseConfigDuration(v: string | number | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'number' || /^\d+(\.\d+)?$/.test(v)) {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new BadRequestError(`${name} must be a duration (30s, 10m, 1h), got "${v}"`);
    return n * 1000;
  }
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let i = 0;
  while (i < v.length) {
    re.lastIndex = i;
    const m = re.exec(v);
    if (!m) throw new BadRequestError(`${name} must be a duration (30s, 10m, 1h), got "${v}"`);
    total += Number(m[1]) * units[m[2]!]!;
    i = re.lastIndex;
  }
  return total;
}

/** `10%` (of the file system) or a quantity of bytes (`64Mi`, `1Gi`). */
export function parseDiskThreshold(v: string | number, name: string): { percent: number } | { bytes: number } {
  const t = String(v).trim();
  if (t.endsWith('%')) {
    const p = Number(t.slice(0, -1));
    if (!Number.isFinite(p) || p < 0 || p > 100) throw new BadRequestError(`${name} must be a percentage from 0% to 100% or a quantity (64Mi), got "${t}"`);
    return { percent: p };
  }
  const bytes = quantity(t, `${name} (a percentage like 10% or a quantity like 64Mi)`);
  if (bytes === undefined || bytes < 0) throw new BadRequestError(`${name} must be a percentage (10%) or a quantity (64Mi), got "${t}"`);
  return { bytes };
}

function retention(env: NodeJS.ProcessEnv, fc: FileConfig, file: string): Retention {
  const threshold = num(env.DROVER_TERMINATED_POD_GC_THRESHOLD, 'DROVER_TERMINATED_POD_GC_THRESHOLD') ?? fc.terminatedPodGcThreshold ?? 12_500;
  if (!Number.isInteger(threshold) || threshold < 0) throw new BadRequestError(`the terminated-pod GC threshold (DROVER_TERMINATED_POD_GC_THRESHOLD or terminatedPodGcThreshold in ${file}) must be a whole number from 0, got ${threshold}`);
  return {
    changeLogMaxAgeMs: parseConfigDuration(env.DROVER_CHANGE_LOG_MAX_AGE, 'DROVER_CHANGE_LOG_MAX_AGE') ?? parseConfigDuration(fc.changeLogMaxAge, `changeLogMaxAge in ${file}`) ?? 10 * 60_000,
    changeLogMaxBytes: quantity(env.DROVER_CHANGE_LOG_MAX_SIZE, 'DROVER_CHANGE_LOG_MAX_SIZE') ?? quantity(fc.changeLogMaxSize, `changeLogMaxSize in ${file}`) ?? 64 * 2 ** 20,
    terminatedPodThreshold: threshold,
    eventTtlMs: parseConfigDuration(env.DROVER_EVENT_TTL, 'DROVER_EVENT_TTL') ?? parseConfigDuration(fc.eventTtl, `eventTtl in ${file}`) ?? 3_600_000,
    intervalMs: parseConfigDuration(env.DROVER_GC_INTERVAL, 'DROVER_GC_INTERVAL') ?? parseConfigDuration(fc.gcInterval, `gcInterval in ${file}`) ?? 30_000,
  };
}

function podBounds(env: NodeJS.ProcessEnv, fc: FileConfig, file: string): PodBounds {
  const f = fc.pods ?? {};
  const logMaxFiles = num(env.DROVER_CONTAINER_LOG_MAX_FILES, 'DROVER_CONTAINER_LOG_MAX_FILES') ?? f.logMaxFiles ?? 5;
  if (logMaxFiles < 1) throw new BadRequestError(`the number of log files kept (DROVER_CONTAINER_LOG_MAX_FILES or pods.logMaxFiles in ${file}) must be at least 1, got ${logMaxFiles}`);
  const parallelStarts = num(env.DROVER_POD_PARALLEL_STARTS, 'DROVER_POD_PARALLEL_STARTS') ?? num(f.parallelStarts === undefined ? undefined : String(f.parallelStarts), `pods.parallelStarts in ${file}`) ?? availableParallelism();
  if (!Number.isInteger(parallelStarts) || parallelStarts < 1) throw new BadRequestError(`the container starts at once (DROVER_POD_PARALLEL_STARTS or pods.parallelStarts in ${file}) must be a whole number of at least 1, got ${parallelStarts}`);
  return {
    pidsLimit: num(env.DROVER_POD_PIDS_LIMIT, 'DROVER_POD_PIDS_LIMIT') ?? f.pidsLimit ?? 4096,
    tmpBytes: quantity(env.DROVER_CONTAINER_TMP_SIZE, 'DROVER_CONTAINER_TMP_SIZE') ?? quantity(f.tmpSize, `pods.tmpSize in ${file}`) ?? 2 ** 30,
    logMaxBytes: quantity(env.DROVER_CONTAINER_LOG_MAX_SIZE, 'DROVER_CONTAINER_LOG_MAX_SIZE') ?? quantity(f.logMaxSize, `pods.logMaxSize in ${file}`) ?? 10 * 2 ** 20,
    logMaxFiles,
    parallelStarts,
    startsPerSecond: num(env.DROVER_POD_STARTS_PER_SECOND, 'DROVER_POD_STARTS_PER_SECOND') ?? num(f.startsPerSecond === undefined ? undefined : String(f.startsPerSecond), `pods.startsPerSecond in ${file}`) ?? 0,
  };
}

function authMode(v: string | undefined, where: string): 'token' | 'none' {
  if (v === undefined || v === '' || v === 'token') return 'token';
  if (v === 'none') return 'none';
  throw new BadRequestError(`auth "${v}" (${where}) is not known: use token or none`);
}

function tlsMode(v: string | boolean | undefined, where: string): 'on' | 'off' | 'auto' {
  // YAML 1.1 readers turn on/off into booleans; accept both spellings.
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === true || v === 'on' || v === 'true' || v === '1') return 'on';
  if (v === false || v === 'off' || v === 'false' || v === '0') return 'off';
  throw new BadRequestError(`tls "${String(v)}" (${where}) is not known: use on, off or auto`);
}

/** Parses `role=train-cpu,zone=a` label lists. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new BadRequestError(`node label "${part}" must be KEY=VALUE`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/**
 * Whether the server serves HTTPS: `tls: on`, or `auto` when it listens beyond loopback, unless
 * plain HTTP was asked for there (behind a TLS proxy or a cluster's Service).
 */
export function servesTls(config: Pick<DroverConfig, 'tls' | 'host' | 'plainHttp'>): boolean {
  const h = config.host.toLowerCase();
  const loopback = h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
  return config.tls.mode === 'on' || (config.tls.mode === 'auto' && !loopback && !config.plainHttp);
}

function optionalPath<K extends string>(key: K, v: string | undefined, base: string): Partial<Record<K, string>> {
  return v ? ({ [key]: resolve(base, v) } as Record<K, string>) : {};
}

export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): DroverConfig {
  const home = resolve(flags.home ?? droverHome(env));
  const file = join(home, 'config.yaml');
  const fc: FileConfig = existsSync(file) ? ((parse(readFileSync(file, 'utf8')) as FileConfig | null) ?? {}) : {};
  const fcap = fc.node?.capacity ?? {};
  const secs = (s: number | undefined) => (s === undefined ? undefined : s * 1000);
  return {
    home,
    host: flags.host ?? env.DROVER_HOST ?? fc.host ?? '127.0.0.1',
    serverNames: env.DROVER_SERVER_NAMES ? env.DROVER_SERVER_NAMES.split(',').map((s) => s.trim()).filter(Boolean) : (fc.serverNames ?? []),
    port: flags.port ?? num(env.DROVER_PORT, 'DROVER_PORT') ?? fc.port ?? DEFAULT_PORT,
    node: {
      name: flags.nodeName ?? env.DROVER_NODE_NAME ?? fc.node?.name ?? hostname(),
      labels: { ...(fc.node?.labels ?? {}), ...parseLabels(env.DROVER_NODE_LABELS), ...(flags.nodeLabels ?? {}) },
      capacity: {
        cpu: flags.capacity?.cpu ?? env.DROVER_NODE_CPU ?? (fcap.cpu !== undefined ? String(fcap.cpu) : undefined),
        memory: flags.capacity?.memory ?? env.DROVER_NODE_MEMORY ?? fcap.memory,
        gpus: flags.capacity?.gpus ?? num(env.DROVER_NODE_GPUS, 'DROVER_NODE_GPUS') ?? fcap['nvidia.com/gpu'] ?? fcap.gpus,
      },
    },
    images: imageEnvironments(fc.images, file),
    jobs: {
      backoffBaseMs: secs(num(env.DROVER_JOB_BACKOFF_SECONDS, 'DROVER_JOB_BACKOFF_SECONDS')) ?? secs(fc.jobs?.backoffBaseSeconds) ?? 10_000,
      backoffMaxMs: secs(fc.jobs?.backoffMaxSeconds) ?? 360_000,
    },
    restartBackoffBaseMs: secs(num(env.DROVER_RESTART_BACKOFF_SECONDS, 'DROVER_RESTART_BACKOFF_SECONDS')) ?? secs(fc.restartBackoffBaseSeconds) ?? 10_000,
    pods: podBounds(env, fc, file),
    storeSync: (env.DROVER_STORE_SYNC as 'normal' | 'full' | undefined) ?? fc.storeSync ?? 'normal',
    auth: authMode(env.DROVER_AUTH ?? fc.auth, env.DROVER_AUTH ? 'DROVER_AUTH' : file),
    plainHttp: env.DROVER_PLAIN_HTTP ? env.DROVER_PLAIN_HTTP === '1' || env.DROVER_PLAIN_HTTP === 'true' : fc.plainHttp === true,
    tls: {
      mode: tlsMode(flags.tls ?? env.DROVER_TLS ?? fc.tls, flags.tls ? '--tls' : env.DROVER_TLS ? 'DROVER_TLS' : file),
      ...optionalPath('certFile', env.DROVER_TLS_CERT_FILE || fc.tlsCertFile, home),
      ...optionalPath('keyFile', env.DROVER_TLS_KEY_FILE || fc.tlsKeyFile, home),
      ...optionalPath('caFile', env.DROVER_TLS_CA_FILE || fc.tlsCaFile, home),
    },
    secretsKeyFile: env.DROVER_SECRETS_KEY_FILE || fc.secretsKeyFile ? { path: resolve(home, (env.DROVER_SECRETS_KEY_FILE || fc.secretsKeyFile)!), configured: true } : { path: join(home, 'secrets.key'), configured: false },
    audit: {
      file: (() => {
        const f = env.DROVER_AUDIT_LOG ?? fc.auditLog;
        if (f === undefined) return join(home, 'audit.log');
        return f === '' || f === 'off' ? '' : resolve(home, f);
      })(),
      maxBytes: Math.round((num(env.DROVER_AUDIT_LOG_MAX_SIZE_MIB, 'DROVER_AUDIT_LOG_MAX_SIZE_MIB') ?? fc.auditLogMaxSizeMiB ?? 10) * 1024 * 1024),
      maxFiles: num(env.DROVER_AUDIT_LOG_MAX_FILES, 'DROVER_AUDIT_LOG_MAX_FILES') ?? fc.auditLogMaxFiles ?? 5,
    },
    changeLogSize: num(env.DROVER_CHANGE_LOG_SIZE, 'DROVER_CHANGE_LOG_SIZE') ?? fc.changeLogSize ?? 20_000,
    retention: retention(env, fc, file),
    diskPressure: {
      // kubelet's default is 10%, gigabytes on a large disk that Drover does not need: an
      // absolute floor under which the store, logs and pods' files soon cannot be written.
      threshold: parseDiskThreshold(env.DROVER_DISK_PRESSURE_AVAILABLE || (fc.diskPressure?.available ?? '64Mi'), env.DROVER_DISK_PRESSURE_AVAILABLE ? 'DROVER_DISK_PRESSURE_AVAILABLE' : `diskPressure.available in ${file}`),
      checkIntervalMs: parseConfigDuration(env.DROVER_DISK_CHECK_INTERVAL, 'DROVER_DISK_CHECK_INTERVAL') ?? parseConfigDuration(fc.diskPressure?.checkInterval, `diskPressure.checkInterval in ${file}`) ?? 10_000,
    },
    serverLog: {
      ...(env.DROVER_SERVER_LOG_FILE ? { file: resolve(home, env.DROVER_SERVER_LOG_FILE) } : {}),
      maxBytes: quantity(env.DROVER_SERVER_LOG_MAX_SIZE, 'DROVER_SERVER_LOG_MAX_SIZE') ?? quantity(fc.serverLog?.maxSize, `serverLog.maxSize in ${file}`) ?? 10 * 2 ** 20,
      maxFiles: num(env.DROVER_SERVER_LOG_MAX_FILES, 'DROVER_SERVER_LOG_MAX_FILES') ?? fc.serverLog?.maxFiles ?? 3,
    },
    logLevel: flags.logLevel ?? (env.DROVER_LOG_LEVEL as LogLevel | undefined) ?? fc.logLevel ?? 'info',
    artifactRepository: parseArtifactRepositoryConfig(fc.artifactRepository, file),
    runtime: runtimeConfig(flags, env, fc, file),
    workdir: resolve(env.DROVER_WORKDIR || fc.workdir || process.cwd()),
    podSecurity: podSecurityConfig(env, fc, file, home),
    network: networkSettings(env, fc, file),
    notebooks: notebookSettings(env, fc, file),
  };
}
