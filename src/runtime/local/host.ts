/**
 * What the local runtime needs from the host, found once at start: bubblewrap, cgroups, whether a
 * private overlay root can be mounted, the host's other mounts, python, GPUs.
 */
import { accessSync, constants, promises as fsp, readFileSync, readdirSync, lstatSync, readlinkSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { delimiter, join } from 'node:path';
import { HostRequirementError } from '../../api/index.js';
import { Cgroups, detectCgroups, probeWritable, unescapeMount, type CgroupLayout } from './cgroups.js';
import type { RootEntry } from './sandbox.js';
import { seccompProgram } from './seccomp.js';

export const BWRAP_MISSING =
  'bubblewrap (bwrap) is not installed: install it with `apt-get install bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap`';

/** The first executable called `name` on `path`. */
export function which(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      if (lstatSync(p).isDirectory()) continue;
      return p;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

export interface HostFacts {
  bwrap: string;
  sh: string;
  unshare?: string;
  mount?: string;
  cgroups: Cgroups;
  rootMode: 'overlay' | 'readonly';
  rootEntries: RootEntry[];
  /** Mount points of other filesystems directly under `/` (the overlay of `/` does not carry them). */
  hostMounts: string[];
  hostsText: string;
  /** The host's PATH, given to containers. */
  path: string;
  /** python3's path when `python` is not on PATH. */
  pythonLink?: string;
  nvidiaDevices: string[];
  cpuMillis: number;
  memoryBytes: number;
  shmDir?: string;
  /** bwrap takes `--size` for a tmpfs (0.7.0 and later): the container's /tmp can be bounded. */
  tmpfsSize: boolean;
  /** util-linux `fallocate`, which frees a rotated log's old bytes (`--punch-hole`). */
  fallocate?: string;
  /** The server's effective uid: root switches containers to the pod's uid with setpriv, anyone else maps it in a user namespace. */
  uid: number;
  setpriv?: string;
  env?: string;
  /** util-linux `nsenter`: a container's launcher enters its pod's network namespace with it. */
  nsenter?: string;
  /** Drover's seccomp program (seccomp.ts), written into the home; absent on an architecture without a table. */
  seccompFile?: string;
}

export interface ProbeOptions {
  home: string;
  cgroupParent: string;
  rootfs: 'auto' | 'overlay' | 'readonly';
}

/** Throws HostRequirementError naming what to install or do. */
export async function checkHostRequirements(cgroupParent: string): Promise<{ bwrap: string; layout: CgroupLayout }> {
  const bwrap = which('bwrap');
  if (!bwrap) throw new HostRequirementError(BWRAP_MISSING);
  const layout = detectCgroups();
  if (!layout) {
    throw new HostRequirementError(
      'no usable cgroups: mount cgroup v2 at /sys/fs/cgroup with the memory and cpu controllers (or cgroup v1 memory and cpu hierarchies); Drover needs them to enforce memory and CPU limits',
    );
  }
  const problem = await probeWritable(layout, cgroupParent);
  if (problem) {
    throw new HostRequirementError(
      `cgroups are not writable (${problem}): run the Drover server as root, or give it a delegated cgroup v2 subtree (for example \`systemd-run --user -p Delegate=yes --scope drover up\`) and set the runtime's cgroupParent to it`,
    );
  }
  return { bwrap, layout };
}

export async function probeHost(o: ProbeOptions): Promise<HostFacts> {
  const { bwrap, layout } = await checkHostRequirements(o.cgroupParent);
  const path = process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin';
  const sh = which('sh', path) ?? '/bin/sh';
  const unshare = which('unshare', path);
  const mount = which('mount', path);
  const uid = process.geteuid?.() ?? 0;
  const setpriv = which('setpriv', path);
  if (uid === 0 && !setpriv) {
    throw new HostRequirementError('setpriv (util-linux) is not installed: a root server needs it to run containers as unprivileged users; install util-linux');
  }
  const program = seccompProgram();
  let seccompFile: string | undefined;
  if (program) {
    seccompFile = join(o.home, 'seccomp.bpf');
    await fsp.mkdir(o.home, { recursive: true });
    await fsp.writeFile(seccompFile, program, { mode: 0o600 });
  }
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  let rootMode: 'overlay' | 'readonly' = 'readonly';
  if (o.rootfs !== 'readonly' && unshare && mount && !/[,:\s]/.test(o.home)) {
    if (await overlayWorks(o.home, unshare, mount)) rootMode = 'overlay';
  }
  if (o.rootfs === 'overlay' && rootMode !== 'overlay') {
    throw new HostRequirementError('an overlay root was asked for but cannot be mounted here: it needs root, `unshare` and `mount` (util-linux), and overlayfs');
  }
  let hostsText = '';
  try {
    hostsText = readFileSync('/etc/hosts', 'utf8');
  } catch {
    hostsText = '127.0.0.1\tlocalhost\n';
  }
  const tmpfsSize = await bwrapHasSize(bwrap);
  const fallocate = which('fallocate', path);
  const python3 = which('python3', path);
  const pythonLink = !which('python', path) && python3 && !exists('/usr/local/bin/python') ? python3 : undefined;
  let nvidiaDevices: string[] = [];
  try {
    nvidiaDevices = readdirSync('/dev')
      .filter((n) => n.startsWith('nvidia'))
      .map((n) => `/dev/${n}`)
      .filter((p) => !lstatSync(p).isDirectory());
  } catch {
    nvidiaDevices = [];
  }
  return {
    bwrap,
    sh,
    ...(unshare ? { unshare } : {}),
    ...(mount ? { mount } : {}),
    cgroups: new Cgroups(layout, o.cgroupParent),
    rootMode,
    rootEntries: rootEntries(),
    hostMounts: topLevelMounts(mountinfo),
    hostsText,
    path,
    ...(pythonLink ? { pythonLink } : {}),
    nvidiaDevices,
    cpuMillis: cpus().length * 1000,
    memoryBytes: totalmem(),
    ...(exists('/dev/shm') ? { shmDir: '/dev/shm' } : {}),
    tmpfsSize,
    ...(fallocate ? { fallocate } : {}),
    uid,
    ...(setpriv ? { setpriv } : {}),
    ...(which('env', path) ? { env: which('env', path)! } : {}),
    ...(which('nsenter', path) ? { nsenter: which('nsenter', path)! } : {}),
    ...(seccompFile ? { seccompFile } : {}),
  };
}

/** Whether this bwrap knows `--size` (its help lists it; older ones would refuse the argv). */
async function bwrapHasSize(bwrap: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let out = '';
    const c = spawn(bwrap, ['--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', () => resolve(false));
    c.on('close', () => resolve(/^\s*--size\b/m.test(out)));
  });
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function rootEntries(): RootEntry[] {
  const out: RootEntry[] = [];
  for (const name of readdirSync('/')) {
    const p = '/' + name;
    try {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.push({ name, type: 'symlink', target: readlinkSync(p) });
      else if (st.isDirectory()) out.push({ name, type: 'dir' });
      else if (st.isFile()) out.push({ name, type: 'file' });
    } catch {
      // Vanished.
    }
  }
  return out;
}

/** Mount points whose parent mount is the root filesystem, except the ones the sandbox makes itself. */
export function topLevelMounts(mountinfo: string): string[] {
  const rows = mountinfo
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(' ');
      return { id: f[0] ?? '', parent: f[1] ?? '', point: unescapeMount(f[4] ?? '') };
    });
  // The last mount on `/` is the visible root.
  const root = [...rows].reverse().find((r) => r.point === '/');
  if (!root) return [];
  const skip = ['/proc', '/sys', '/dev', '/tmp'];
  const points = new Set<string>();
  for (const r of rows) {
    if (r.parent !== root.id || r.point === '/') continue;
    if (skip.some((s) => r.point === s || r.point.startsWith(s + '/'))) continue;
    points.add(r.point);
  }
  return [...points].sort();
}

/** Tries the overlay mount the launcher will use, in a throwaway mount namespace. */
async function overlayWorks(home: string, unshare: string, mount: string): Promise<boolean> {
  const dir = join(home, '.probe', String(process.pid));
  try {
    await Promise.all(['u', 'w', 'm'].map((d) => fsp.mkdir(join(dir, d), { recursive: true })));
    const code = await new Promise<number | null>((resolve) => {
      const c = spawn(unshare, ['--mount', '--propagation', 'private', mount, '-t', 'overlay', 'overlay', '-o', `lowerdir=/,upperdir=${dir}/u,workdir=${dir}/w`, `${dir}/m`], { stdio: 'ignore' });
      c.on('error', () => resolve(null));
      c.on('exit', (code) => resolve(code));
    });
    return code === 0;
  } catch {
    return false;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
