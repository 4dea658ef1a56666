/**
 * What a container attempt is started with (its environment, working directory, sandbox and
 * cgroups) and the start itself. The pod worker decides when; this module does the how.
 */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ANNOTATIONS, cpuMillis, parseQuantity, type ConfigMap, type Container, type Pod, type Secret } from '../../api/index.js';
import type { Store } from '../../store/index.js';
import type { ImageEnvironment } from './context.js';
import { AttemptProcess, attemptPaths, type AttemptPaths } from './executor.js';
import { which, type HostFacts } from './host.js';
import { NETNS_DIR } from './network/bridge.js';
import { bwrapArgs, launcher, type MountSpec, type RootSpec, type SandboxUser } from './sandbox.js';
import type { ContainerSecurity } from '../../api/index.js';
import type { Spawner } from './spawner.js';
import { stepTrace } from '../../util/steptrace.js';

/** The environment a PATH entry belongs to: a venv's root for its `bin`, else the entry itself. */
function envRoot(binDir: string): string {
  const root = dirname(binDir);
  return binDir.endsWith('/bin') && root !== '/tmp' && root !== '/' ? root : binDir;
}

/** Under /tmp, which the sandbox replaces with its own. */
function underTmp(p: string): boolean {
  return p === '/tmp' || p.startsWith('/tmp/');
}

/** The ConfigMaps and Secrets the container's env and envFrom name (undefined: missing). */
export async function envSources(store: Store, namespace: string, c: Container): Promise<{ cms: Map<string, ConfigMap | undefined>; secrets: Map<string, Secret | undefined> }> {
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
  const cms = new Map<string, ConfigMap | undefined>();
  const secrets = new Map<string, Secret | undefined>();
  await Promise.all([
    ...[...cmNames].map(async (n) => cms.set(n, (await store.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: n })) as ConfigMap | undefined)),
    ...[...secretNames].map(async (n) => secrets.set(n, (await store.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: n })) as Secret | undefined)),
  ]);
  return { cms, secrets };
}

/** The container's environment: host basics, the image's environment, the user's, then GPU visibility. */
/** What of the host's PATH a container's user can use, and the python3 to offer as `python` when there is no `python` on it. */
export interface PathView {
  path: string;
  pythonLink?: string;
}

/**
 * The host's PATH as the container's user sees it: under a root server, directories that user
 * cannot search are left out (a root server's PATH often starts in /root, e.g. pyenv's shims,
 * which an unprivileged container cannot enter), and `python` is offered as the first python3
 * left when no `python` is.
 */
export function pathView(facts: Pick<HostFacts, 'uid' | 'path' | 'pythonLink'>, sec: ContainerSecurity): PathView {
  if (facts.uid !== 0 || sec.uid === 0) return { path: facts.path, ...(facts.pythonLink ? { pythonLink: facts.pythonLink } : {}) };
  const gids = [sec.gid, ...sec.groups];
  // Found once per user and groups, as the host's facts are (a stat of every PATH directory and
  // two lookups cost ≈ 0.2 ms, on every container's start).
  let views = pathViews.get(facts);
  if (!views) pathViews.set(facts, (views = new Map()));
  const key = `${sec.uid}:${gids.join(',')}`;
  let view = views.get(key);
  if (!view) views.set(key, (view = userPathView(facts.path, sec.uid, gids)));
  return view;
}

const pathViews = new WeakMap<object, Map<string, PathView>>();

function userPathView(hostPath: string, uid: number, gids: readonly number[]): PathView {
  const dirs = hostPath.split(':').filter((d) => d && traversable(d, uid, gids));
  const path = dirs.join(':');
  if (which('python', path)) return { path };
  const python3 = which('python3', path);
  return { path, ...(python3 && !existsSync('/usr/local/bin/python') ? { pythonLink: python3 } : {}) };
}

/** The environment variable that carries an image's entrypoint into the container (see containerEnv). */
export const IMAGE_ENTRYPOINT_ENV = 'DROVER_IMAGE_ENTRYPOINT';

export function containerEnv(facts: HostFacts, image: ImageEnvironment | undefined, hostname: string, user: ReadonlyMap<string, string>, gpus: readonly string[], uid = facts.uid, view: PathView = facts): Record<string, string> {
  const pathParts = [...(image?.pathPrepend ?? []), view.path];
  if (view.pythonLink && facts.rootMode === 'overlay' && !view.path.split(':').includes('/usr/local/bin')) pathParts.unshift('/usr/local/bin');
  const env: Record<string, string> = {
    PATH: pathParts.join(':'),
    // A server that is not root runs containers as its own user (mapped): its home is theirs to read.
    // Under a root server root gets /root and anyone else the container's private, writable /tmp.
    HOME: facts.uid !== 0 ? homedir() : uid === 0 ? '/root' : '/tmp',
    HOSTNAME: hostname,
    ...(image?.env ?? {}),
    // For a wrapper that replaced the command (a workflow step's): the image's entrypoint, as
    // words quoted for `eval "set -- $DROVER_IMAGE_ENTRYPOINT"`.
    ...(image?.entrypoint?.length ? { [IMAGE_ENTRYPOINT_ENV]: image.entrypoint.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ') } : {}),
  };
  for (const [k, v] of user) env[k] = v;
  // Every container says which GPUs it may use; none is `""` so a pod without a GPU limit never
  // grabs the host's GPUs (Kubernetes shows it no GPU device at all).
  env['CUDA_VISIBLE_DEVICES'] = gpus.join(',');
  if (gpus.length) env['NVIDIA_VISIBLE_DEVICES'] = gpus.join(',');
  return env;
}

/**
 * How the command becomes the pod's user. A root server switches with setpriv (a privileged root
 * container is left as bwrap starts it: root with every capability); any other server can only
 * map its own uid to the pod's in a user namespace.
 */
export function sandboxUser(facts: Pick<HostFacts, 'uid' | 'setpriv' | 'env'>, sec: ContainerSecurity): SandboxUser | undefined {
  if (facts.uid !== 0) return { mode: 'userns', uid: sec.uid, gid: sec.gid };
  if (sec.privileged && sec.uid === 0) return undefined;
  return { mode: 'setpriv', setpriv: facts.setpriv ?? 'setpriv', env: facts.env ?? '/usr/bin/env', uid: sec.uid, gid: sec.gid, groups: sec.groups, capabilities: sec.privileged ? 'all' : sec.capabilities };
}

/** Whether `uid` (with `gids`) may search (and, for the last, list) every directory of `dir`, by mode bits. */
function traversable(dir: string, uid: number, gids: readonly number[]): boolean {
  if (uid === 0) return true;
  const parts = dir.split('/').filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const p = '/' + parts.slice(0, i).join('/');
    let st;
    try {
      st = statSync(p);
    } catch {
      return true; // Gone: bwrap says so.
    }
    const need = i === parts.length ? 0o5 : 0o1;
    const bits = st.uid === uid ? (st.mode >> 6) & 7 : gids.includes(st.gid) ? (st.mode >> 3) & 7 : st.mode & 7;
    if ((bits & need) !== need) return false;
  }
  return true;
}

/**
 * Why the container could not read the manifest's directory it starts in (under a root server the
 * container's uid is checked against the directory's modes), or undefined.
 */
export function unreadableWorkingDir(pod: Pod, c: Container, sec: ContainerSecurity, image?: ImageEnvironment): string | undefined {
  const wd = workingDirOf(pod, c, image);
  if (!wd.fromHost || traversable(wd.dir, sec.uid, [sec.gid, ...sec.groups])) return undefined;
  return `the container runs as uid ${sec.uid}, which cannot read its working directory ${wd.dir} (the manifest's directory): make it readable (chmod o+rx on it and its parents), set workingDir, or set securityContext.runAsUser to a uid that can read it`;
}

/**
 * Images whose programs are tools, not the user's code, and which start in `/` upstream: a
 * container of one without workingDir starts in `/`, as it would on a cluster, so an upstream
 * example that writes `hello.txt` and declares `/hello.txt` finds it. Matched by repository,
 * whatever the tag or registry (`docker.io/library/alpine:3.23` is `alpine`).
 */
export const ROOT_WORKDIR_IMAGES: readonly string[] = ['argoproj/argosay', 'docker/whalesay', 'alpine', 'busybox'];

/** `docker.io/library/alpine:3.23@sha256:…` → `alpine`; `quay.io/argoproj/argosay:v2` → `argoproj/argosay`. */
export function imageRepository(image: string): string {
  let name = image.split('@')[0]!;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  const parts = name.split('/');
  // A first part with a dot or a port (or `localhost`) is a registry.
  if (parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost')) parts.shift();
  if (parts[0] === 'library' && parts.length > 1) parts.shift();
  return parts.join('/');
}

/** The environment `images:` gives an image: its exact name first, else its repository (`python` for `python:3.12`). */
export function imageEnvironment(images: Readonly<Record<string, ImageEnvironment>>, image: string | undefined): ImageEnvironment | undefined {
  if (!image) return undefined;
  return images[image] ?? images[imageRepository(image)];
}

/**
 * Where a container starts, first that applies:
 * 1. its `workingDir`;
 * 2. the `workingDir` its image is given in `images:` (the image's WORKDIR);
 * 3. `/` for the upstream tool images that start there (ROOT_WORKDIR_IMAGES);
 * 4. the manifest's directory (the pod's source-dir annotation) while it exists — where the
 *    user's code is; Argo script templates carry their code in `source` and get no such annotation;
 * 5. `/`.
 */
export function workingDirOf(pod: Pod, c: Container, image?: ImageEnvironment): { dir: string; create: boolean; fromHost: boolean } {
  if (c.workingDir) return { dir: c.workingDir, create: true, fromHost: false };
  if (image?.workingDir) return { dir: image.workingDir, create: true, fromHost: false };
  if (c.image && ROOT_WORKDIR_IMAGES.includes(imageRepository(c.image))) return { dir: '/', create: false, fromHost: false };
  const src = pod.metadata?.annotations?.[ANNOTATIONS.sourceDir];
  if (src) {
    try {
      if (statSync(src).isDirectory()) return { dir: src, create: false, fromHost: true };
    } catch {
      // Gone: fall through.
    }
  }
  return { dir: '/', create: false, fromHost: false };
}

/**
 * The size of a container's private /tmp. It is a tmpfs, so what is written there is memory,
 * charged to the writer's memory cgroup: bounded by the container's memory limit, and by its
 * `ephemeral-storage` limit where that is smaller (on Kubernetes /tmp lies on the writable layer,
 * which that limit bounds). A container with neither gets `defaultBytes` (kernel default: half the
 * host's RAM, whatever the pod).
 */
export function tmpSizeBytes(c: Container, defaultBytes: number): number {
  const limits = c.resources?.limits ?? {};
  const bounds = ['memory', 'ephemeral-storage'].filter((k) => limits[k] !== undefined).map((k) => Math.ceil(parseQuantity(limits[k]!)));
  return bounds.length ? Math.min(...bounds) : defaultBytes;
}

export interface AttemptLaunch {
  facts: HostFacts;
  spawner: Spawner;
  /** `$DROVER_HOME`, hidden inside the sandbox. */
  home: string;
  pod: Pod;
  podUid: string;
  podDir: string;
  hostname: string;
  container: Container;
  image: ImageEnvironment | undefined;
  attempt: number;
  argv: string[];
  env: Record<string, string>;
  mounts: MountSpec[];
  gpus: readonly string[];
  /** The pod's pids limit (processes and threads of all its containers); 0 or less: none. */
  podPidsLimit: number;
  /** /tmp's size for a container without memory or ephemeral-storage limits. */
  defaultTmpBytes: number;
  /** Who the container runs as and with what (src/api/podsecurity.ts). */
  security: ContainerSecurity;
  /** PATH and `python` as the container's user sees them. */
  view: PathView;
  /** The pod's network namespace (absent: the host's network) and its resolv.conf. */
  netns?: string;
  resolvFile?: string;
  /** Called if the attempt's end must be found by polling (its spawner died). */
  onLost(a: AttemptProcess): void;
}

/** Starts one attempt in its sandbox and cgroups. */
export async function launchAttempt(o: AttemptLaunch): Promise<{ proc: AttemptProcess; paths: AttemptPaths; oomBaseline: number }> {
  const { facts, container: spec } = o;
  const paths = attemptPaths(o.podDir, spec.name, o.attempt);
  const limits = spec.resources?.limits ?? {};
  const root: RootSpec =
    facts.rootMode === 'overlay'
      ? { mode: 'overlay', upper: join(paths.rootfs, 'upper'), work: join(paths.rootfs, 'work'), merged: join(paths.rootfs, 'merged') }
      : { mode: 'readonly', entries: facts.rootEntries };
  // Synchronous on purpose: a handful of mkdirs and cgroupfs writes, each far cheaper than a
  // thread-pool round trip, and sequential by nature (measured: about 3x less start latency).
  if (root.mode === 'overlay') {
    for (const d of [root.upper, root.work, root.merged]) mkdirSync(d, { recursive: true });
    // The merged `/` takes the upper layer's mode: sticky and world-writable, as /tmp, so an
    // unprivileged container may create files in its own `/` (an image's root user can; upstream
    // examples write `hello.txt` there) but not remove or replace what the host put there.
    chmodSync(root.upper, 0o1777);
  }
  else mkdirSync(paths.dir, { recursive: true });
  const cg = facts.cgroups.create(o.podUid, spec.name, {
    ...(limits['memory'] !== undefined ? { memoryBytes: Math.ceil(parseQuantity(limits['memory'])) } : {}),
    ...(limits['cpu'] !== undefined ? { cpuMillis: cpuMillis(limits['cpu']) } : {}),
  }, o.podPidsLimit > 0 ? { pidsMax: o.podPidsLimit } : {});
  const oomBaseline = facts.cgroups.oomKills(cg);
  const wd = workingDirOf(o.pod, spec, o.image);
  const user = sandboxUser(facts, o.security);
  const seccomp = o.security.seccomp === 'RuntimeDefault' && facts.seccompFile ? { file: facts.seccompFile, fd: 4 } : undefined;
  const args = bwrapArgs({
    root,
    // Over the overlay root, /run/netns (other pods' namespaces, mounts that come and go) is not
    // bound at all: the container sees the root filesystem's empty directory there, as it did when
    // the launcher detached it, without starting `umount` for every container.
    hostMounts: root.mode === 'overlay' ? facts.hostMounts.filter((m) => m !== NETNS_DIR && !m.startsWith(`${NETNS_DIR}/`)) : facts.hostMounts,
    masks: [o.home],
    hostsFile: join(o.podDir, '.hosts'),
    ...(o.resolvFile ? { resolvFile: o.resolvFile } : {}),
    hostname: o.hostname,
    volumeMounts: o.mounts,
    devices: o.gpus.length ? facts.nvidiaDevices : [],
    workingDir: wd.dir,
    createWorkingDir: wd.create,
    readOnlyPaths: [...(wd.fromHost ? [wd.dir] : []), ...(o.image?.pathPrepend ?? []).map(envRoot)].filter(underTmp),
    ...(o.view.pythonLink ? { pythonLink: o.view.pythonLink } : {}),
    statusFd: 3,
    ...(seccomp ? { seccompFd: seccomp.fd } : {}),
    ...(user ? { user } : {}),
    argv: o.argv,
    ...(facts.tmpfsSize ? { tmpSizeBytes: tmpSizeBytes(spec, o.defaultTmpBytes) } : {}),
  });
  const l = launcher({
    sh: facts.sh,
    bwrap: facts.bwrap,
    ...(facts.unshare ? { unshare: facts.unshare } : {}),
    ...(facts.mount ? { mount: facts.mount } : {}),
    cgroupJoinFiles: cg.joinFiles,
    root,
    bwrapArgs: args,
    ...(seccomp ? { seccomp } : {}),
    ...(o.netns ? { netns: { nsenter: facts.nsenter ?? 'nsenter', path: o.netns } } : {}),
  });
  if (stepTrace.on) stepTrace.mark(`${o.pod.metadata?.namespace}/${o.pod.metadata?.name}`, 'rt.spawn');
  const proc = await AttemptProcess.launch({ file: l.file, args: l.args, env: o.env, paths }, cg, facts.cgroups, o.spawner, o.onLost);
  return { proc, paths, oomBaseline };
}
