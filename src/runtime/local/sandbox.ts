/**
 * The bubblewrap sandbox of one container attempt, as pure functions from a description to an
 * argv, so what a container sees is value-tested without running anything.
 *
 * Process chain (no process beyond these): the launcher `sh` writes its own pid into the
 * container's cgroups (so everything after, bwrap included, is accounted and limited), mounts the
 * private root overlay when there is one, and `exec`s bwrap. bwrap (the "monitor", still the pid
 * the server spawned) forks the sandbox's pid 1, which runs the command. In overlay mode the
 * launcher first `exec`s through `unshare -m`, so the overlay mount lives only in the container's
 * own mount namespace and disappears with it: nothing to unmount, even after a crash.
 *
 * Who the command runs as (`user`): with a root server bwrap sets the sandbox up as root and the
 * command starts through `setpriv`, which switches to the pod's uid, gid and groups and cuts the
 * capability bounding set (a real uid switch: files the container makes are the pod's, and host
 * files are checked against that uid). A server that is not root has no uid to give: bwrap maps the
 * server's own uid to the pod's inside a user namespace (`--unshare-user --uid`), and forbids
 * further user namespaces. Either way the seccomp filter (`seccompFd`, seccomp.ts) is loaded by
 * bwrap just before the command (or setpriv) starts, and bwrap sets no_new_privs.
 */
import { shQuote } from './fsutil.js';

/** One top-level entry of the host's `/`, for the read-only root. */
export interface RootEntry {
  name: string;
  type: 'dir' | 'symlink' | 'file';
  /** Symlink target. */
  target?: string;
}

export type RootSpec =
  /** Private writable copy-on-write root: `mount -t overlay -o lowerdir=/,upperdir=…` bound as `/`. */
  | { mode: 'overlay'; upper: string; work: string; merged: string }
  /** The host's top-level directories bound read-only on a tmpfs root (new top-level paths can be made). */
  | { mode: 'readonly'; entries: RootEntry[] };

export interface MountSpec {
  source: string;
  dest: string;
  readOnly: boolean;
}

/** How the command gets the pod's identity; absent: it runs as the server's user with bwrap's defaults. */
export type SandboxUser =
  | {
      mode: 'setpriv';
      setpriv: string;
      /**
       * env(1), through which setpriv starts the command: setpriv looks the command up on PATH while
       * it still holds its capabilities, and would find what the user cannot run.
       */
      env: string;
      uid: number;
      gid: number;
      groups: number[];
      /** Bounding set (names without CAP_), or `all` (privileged). */
      capabilities: readonly string[] | 'all';
    }
  | { mode: 'userns'; uid: number; gid: number };

export interface SandboxSpec {
  root: RootSpec;
  /** Host mounts below `/` that the root does not carry (another filesystem on /home, /run…), bound read-only. */
  hostMounts: string[];
  /** Host directories hidden behind an empty tmpfs (Drover's own state: other pods' secrets). */
  masks: string[];
  /** Generated /etc/hosts (the pod's hostname → its address). */
  hostsFile?: string;
  /** Generated /etc/resolv.conf (the server's resolver), when the pod has its own network. */
  resolvFile?: string;
  hostname: string;
  volumeMounts: MountSpec[];
  /** Devices bound in (`/dev/nvidia*` for GPU pods). */
  devices: string[];
  workingDir: string;
  /** Create workingDir if missing (the container runtime does, for `workingDir`). */
  createWorkingDir: boolean;
  /**
   * Host paths the container needs that the root does not show (they lie under the sandbox's
   * private /tmp: a source dir, an image's venv), bound read-only at the same path.
   */
  readOnlyPaths: string[];
  /** Absolute path of python3, made available as `python` (overlay: /usr/local/bin/python). */
  pythonLink?: string;
  statusFd: number;
  /** fd bwrap reads the seccomp program from (the launcher opens it). */
  seccompFd?: number;
  user?: SandboxUser;
  argv: string[];
  /** Size of the private /tmp tmpfs in bytes (bwrap's `--size`); unset: the kernel's default, half the host's RAM. */
  tmpSizeBytes?: number;
}

/** setpriv's arguments that switch to `u` and leave only its capabilities. */
export function setprivArgs(u: Extract<SandboxUser, { mode: 'setpriv' }>): string[] {
  const a = [u.setpriv, `--reuid=${u.uid}`, `--regid=${u.gid}`, u.groups.length ? `--groups=${u.groups.join(',')}` : '--clear-groups'];
  if (u.capabilities !== 'all') {
    const keep = u.capabilities.map((c) => `+${c.toLowerCase().replace(/^cap_/, '')}`);
    a.push('--inh-caps=-all', `--bounding-set=${['-all', ...keep].join(',')}`);
  }
  return [...a, '--', u.env, '--'];
}

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

const depth = (p: string) => p.split('/').filter(Boolean).length;

/** bwrap's arguments (without the bwrap binary itself). */
export function bwrapArgs(s: SandboxSpec): string[] {
  const a: string[] = [];
  if (s.root.mode === 'overlay') {
    a.push('--bind', s.root.merged, '/');
  } else {
    for (const e of s.root.entries) {
      if (['proc', 'sys', 'dev', 'tmp'].includes(e.name)) continue;
      const p = '/' + e.name;
      if (e.type === 'symlink') a.push('--symlink', e.target ?? '', p);
      else a.push('--ro-bind', p, p);
    }
  }
  // bwrap's /proc has /proc/sys, sysrq-trigger, irq and bus read-only; its /dev has only null,
  // zero, full, random, urandom, tty, ptmx, pts and shm. /tmp is everyone's, sticky, as on a host,
  // and as large as the container's limits allow.
  a.push('--proc', '/proc', '--dev', '/dev', '--ro-bind', '/sys', '/sys', '--perms', '1777');
  if (s.tmpSizeBytes !== undefined) a.push('--size', String(Math.max(4096, Math.floor(s.tmpSizeBytes))));
  a.push('--tmpfs', '/tmp');
  // The parents of what is bound in (a manifest directory under the private /tmp, a mount at
  // /var/run/secrets/…) are made traversable by the pod's user: bwrap would make them 0700, root's.
  // An existing directory is left as it is.
  const targets = [...s.readOnlyPaths, ...s.volumeMounts.map((m) => m.dest), ...(s.createWorkingDir ? [s.workingDir] : [])];
  const parents = new Set<string>();
  for (const p of targets) {
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const parent = '/' + parts.slice(0, i).join('/');
      if (!['/proc', '/sys', '/dev', '/tmp'].includes(parent) && !['/proc', '/sys', '/dev'].some((d) => under(parent, d))) parents.add(parent);
    }
  }
  for (const d of [...parents].sort((x, y) => depth(x) - depth(y))) a.push('--perms', '0755', '--dir', d);
  for (const m of s.hostMounts) {
    if (['/proc', '/sys', '/dev', '/tmp'].some((d) => under(m, d))) continue;
    a.push('--ro-bind', m, m);
  }
  for (const m of s.masks) {
    if (!under(m, '/tmp')) a.push('--tmpfs', m);
  }
  for (const d of s.devices) a.push('--dev-bind', d, d);
  if (s.hostsFile) a.push('--ro-bind', s.hostsFile, '/etc/hosts');
  if (s.resolvFile) a.push('--ro-bind', s.resolvFile, '/etc/resolv.conf');
  if (s.pythonLink && s.root.mode === 'overlay') a.push('--symlink', s.pythonLink, '/usr/local/bin/python');
  for (const p of s.readOnlyPaths) a.push('--ro-bind', p, p);
  if (s.createWorkingDir && s.workingDir !== '/' && !s.readOnlyPaths.includes(s.workingDir)) a.push('--dir', s.workingDir);
  // Parents before children, so `/data` does not hide a mount at `/data/sub`.
  const mounts = [...s.volumeMounts].sort((x, y) => depth(x.dest) - depth(y.dest));
  for (const m of mounts) a.push(m.readOnly ? '--ro-bind' : '--bind', m.source, m.dest);
  a.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--hostname', s.hostname);
  if (s.user?.mode === 'userns') a.push('--unshare-user', '--uid', String(s.user.uid), '--gid', String(s.user.gid), '--disable-userns');
  if (s.seccompFd !== undefined) a.push('--seccomp', String(s.seccompFd));
  a.push('--chdir', s.workingDir, '--json-status-fd', String(s.statusFd), '--');
  let argv = s.argv;
  // Without an overlay there is nowhere to put a `python` link: run python3 directly.
  if (s.pythonLink && s.root.mode === 'readonly' && argv[0] === 'python') argv = [s.pythonLink, ...argv.slice(1)];
  if (s.user?.mode === 'setpriv') {
    const a = setprivArgs(s.user);
    // env(1) is there for the PATH lookup (see SandboxUser); a command named by its absolute path
    // (a workflow step's `/bin/sh` wrapper) is looked up nowhere: one process less.
    argv = argv[0]?.startsWith('/') ? [...a.slice(0, -2), ...argv] : [...a, ...argv];
  }
  a.push(...argv);
  return a;
}

export interface LauncherSpec {
  sh: string;
  bwrap: string;
  /** `unshare` and `mount`, needed in overlay mode. */
  unshare?: string;
  mount?: string;
  /** ContainerCgroup.joinFiles: the launcher writes `0` (itself) to each. */
  cgroupJoinFiles: string[];
  root: RootSpec;
  bwrapArgs: string[];
  /** The seccomp program, opened on `seccompFd` for bwrap. */
  seccomp?: { file: string; fd: number };
  /** The pod's network namespace (`/run/netns/…`), entered first with nsenter; absent: the host's network. */
  netns?: { nsenter: string; path: string };
  /**
   * Mounts detached from the container's mount namespace before bwrap copies the host's mounts
   * (overlay mode, where the launcher has a namespace of its own). Other pods' network namespaces
   * under /run/netns come and go: one removed while bwrap re-mounts /run's submounts read-only
   * failed the start ("Can't bind mount /oldroot/run/netns…: No such file or directory").
   */
  detachMounts?: string[];
}

/** The file and argv to spawn: a tiny sh script that joins the cgroups, mounts the overlay, and execs bwrap. */
export function launcher(l: LauncherSpec): { file: string; args: string[] } {
  const steps = l.cgroupJoinFiles.map((f) => `echo 0 > ${shQuote(f)}`);
  if (l.root.mode === 'overlay') {
    for (const m of l.detachMounts ?? []) steps.push(`{ umount -R -l ${shQuote(m)} 2>/dev/null || :; }`);
    const opts = `lowerdir=/,upperdir=${l.root.upper},workdir=${l.root.work}`;
    steps.push(`${shQuote(l.mount ?? 'mount')} -t overlay overlay -o ${shQuote(opts)} ${shQuote(l.root.merged)}`);
  }
  steps.push(l.seccomp ? `exec "$@" ${l.seccomp.fd}< ${shQuote(l.seccomp.file)}` : 'exec "$@"');
  const script = steps.join(' && ');
  const shArgs = ['-c', script, 'drover-launch', l.bwrap, ...l.bwrapArgs];
  const inner = l.root.mode === 'overlay' ? { file: l.unshare ?? 'unshare', args: ['--mount', '--propagation', 'private', l.sh, ...shArgs] } : { file: l.sh, args: shArgs };
  // The pod's network namespace is entered before anything else: everything after inherits it.
  if (l.netns) return { file: l.netns.nsenter, args: [`--net=${l.netns.path}`, '--', inner.file, ...inner.args] };
  return inner;
}

/**
 * The pod's own `<hostname>.<subdomain>` and the peer names it was given (ANNOTATIONS.peerHostnames),
 * all on loopback: for pods that share the host's network (no CAP_NET_ADMIN, `network.mode: host`),
 * where every pod is this machine and there is no cluster DNS. Pods with a network of their own
 * resolve their peers through the server's resolver instead (network/resolver.ts).
 */
export function sharedNetworkAliases(hostname: string, subdomain: string | undefined, peers: string | undefined): { ip: string; hostnames: string[] }[] {
  const names = [...(subdomain ? [`${hostname}.${subdomain}`] : []), ...(peers ?? '').split(',').map((n) => n.trim()).filter((n) => n && n !== hostname)];
  return names.length ? [{ ip: '127.0.0.1', hostnames: [...new Set(names)] }] : [];
}

