/**
 * Cgroups for containers: memory and CPU limits, the pod's pids limit, OOM-kill counts, usage, and
 * killing a whole container. Works on cgroup v2 (unified, `memory.max`, `cpu.max`, `pids.max`,
 * `memory.events`) and on v1 (separate `memory`, `cpu`, `cpuacct`, `pids` hierarchies, possibly
 * co-mounted).
 *
 * Layout, under each hierarchy's root: `<parent>/pod<uid>/<container>`, like the kubelet's
 * `kubepods/pod<uid>/<container>`. Paths are derived from the pod uid and container name, so a
 * restarted server finds them again without any record.
 */
import { existsSync, mkdirSync, promises as fsp, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno, sleep } from './fsutil.js';
import { signal } from './proc.js';

export interface CgroupLayout {
  version: 1 | 2;
  /** v2: the unified root. v1: the memory hierarchy's root. */
  memoryRoot: string;
  /** v1 only (v2: same as memoryRoot). */
  cpuRoot: string;
  /** v1 only; undefined when cpuacct is co-mounted with cpu. */
  cpuacctRoot?: string;
  /**
   * Where the pids controller is: v2, the unified root when it offers `pids`; v1, the pids
   * hierarchy when it is mounted (and not co-mounted with one above). Undefined: no pids limit.
   */
  pidsRoot?: string;
}

export interface ContainerLimits {
  memoryBytes?: number;
  cpuMillis?: number;
}

/** Limits of the pod as a whole, set on its own cgroup (`<parent>/pod<uid>`) above its containers'. */
export interface PodLimits {
  /** `pids.max` of the pod: every process and thread of all its containers together (kubelet's podPidsLimit). */
  pidsMax?: number;
}

export interface ContainerCgroup {
  /** Every directory of this container (one per hierarchy). */
  dirs: string[];
  /**
   * The files a single-threaded joiner (the launcher's sh) writes `0` to, to move itself in:
   * v1's `tasks`, v2's `cgroup.procs`. On v1 a write of `0` to `tasks` moves the writing thread
   * alone and skips the kernel's global threadgroup lock, whose first taking after a quiet spell
   * waits out an RCU grace period (5–20 ms here) while holding cgroup_mutex, stalling every
   * other pod's cgroup mkdir and rmdir meanwhile. v2 has no such file for a domain cgroup.
   */
  joinFiles: string[];
  memory: string;
  cpu: string;
}

const CFS_PERIOD_US = 100_000;

interface MountEntry {
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    out.push({ mountPoint: unescapeMount(left[4] ?? ''), fsType: right[0] ?? '', superOptions: (right[2] ?? '').split(',') });
  }
  return out;
}

export function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Finds the hierarchies to use: cgroup v2 when its root offers the memory and cpu controllers,
 * else v1 when memory and cpu are mounted (a hybrid host has an empty v2 beside v1).
 */
export function detectCgroups(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): CgroupLayout | undefined {
  const mounts = parseMountinfo(mountinfo);
  for (const m of mounts) {
    if (m.fsType !== 'cgroup2') continue;
    try {
      const ctl = readFileSync(join(m.mountPoint, 'cgroup.controllers'), 'utf8').split(/\s+/);
      if (ctl.includes('memory') && ctl.includes('cpu')) return { version: 2, memoryRoot: m.mountPoint, cpuRoot: m.mountPoint, ...(ctl.includes('pids') ? { pidsRoot: m.mountPoint } : {}) };
    } catch {
      // Not readable: not usable.
    }
  }
  const v1 = (ctl: string) => mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(ctl))?.mountPoint;
  const memory = v1('memory');
  const cpu = v1('cpu');
  const cpuacct = v1('cpuacct');
  const pids = v1('pids');
  if (!memory || !cpu) return undefined;
  const same = (a: string, b: string) => {
    try {
      return realpathSync(a) === realpathSync(b);
    } catch {
      return a === b;
    }
  };
  const pidsApart = pids && ![memory, cpu, ...(cpuacct ? [cpuacct] : [])].some((r) => same(r, pids));
  return { version: 1, memoryRoot: memory, cpuRoot: cpu, ...(cpuacct && !same(cpuacct, cpu) ? { cpuacctRoot: cpuacct } : {}), ...(pidsApart ? { pidsRoot: pids } : {}) };
}

/** Reads a `key value` line (`oom_kill 3`) from a flat-keyed cgroup file. */
function keyed(text: string, key: string): number | undefined {
  for (const line of text.split('\n')) {
    const [k, v] = line.split(' ');
    if (k === key && v !== undefined) return Number(v);
  }
  return undefined;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function writeIfExistsSync(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}

async function writeIfExists(path: string, value: string): Promise<void> {
  try {
    await fsp.writeFile(path, value);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}

export class Cgroups {
  private readonly enabledV2 = new Set<string>();
  /** Pods whose cgroups could not be removed yet (a process slow to die under load); retried by `retryUnremoved`. */
  private readonly unremoved = new Set<string>();

  /** `parent` is relative to each hierarchy's root (`drover`, `drover-test-123`). */
  constructor(readonly layout: CgroupLayout, readonly parent: string) {}

  private roots(): string[] {
    return cgroupRoots(this.layout);
  }

  podDirs(podUid: string): string[] {
    return this.roots().map((r) => join(r, this.parent, `pod${podUid}`));
  }

  container(podUid: string, name: string): ContainerCgroup {
    const dirs = this.podDirs(podUid).map((d) => join(d, name));
    return { dirs, joinFiles: dirs.map((d) => join(d, this.layout.version === 2 ? 'cgroup.procs' : 'tasks')), memory: dirs[0]!, cpu: dirs[this.layout.version === 2 ? 0 : 1]! };
  }

  /** The pod's own directory in the pids hierarchy (its `pids.max` bounds all its containers), if there is one. */
  podPidsDir(podUid: string): string | undefined {
    const root = this.layout.pidsRoot;
    return root === undefined ? undefined : join(root, this.parent, `pod${podUid}`);
  }

  /**
   * Creates (or reuses) the container's cgroup and sets its limits. Synchronous on purpose: cgroupfs
   * calls are tens of microseconds, far less than a thread-pool round trip each, and this is on
   * the path of every container start. Limits are only written when set (a new cgroup has none;
   * a reused one belongs to the same container spec). The pod's limits are written on every call:
   * the same value each time, and the first container of a pod is not always the same one.
   */
  create(podUid: string, name: string, limits: ContainerLimits, pod: PodLimits = {}): ContainerCgroup {
    const cg = this.container(podUid, name);
    if (this.layout.version === 2) this.enableControllers(podUid);
    for (const d of cg.dirs) mkdirSync(d, { recursive: true });
    const pidsDir = this.podPidsDir(podUid);
    // Threads count too (the kernel counts tasks); a fork or clone beyond it fails with EAGAIN.
    if (pidsDir && pod.pidsMax !== undefined && pod.pidsMax > 0) writeFileSync(join(pidsDir, 'pids.max'), String(Math.floor(pod.pidsMax)));
    const mem = limits.memoryBytes !== undefined ? String(Math.max(limits.memoryBytes, 4096)) : undefined;
    const quota = limits.cpuMillis !== undefined ? Math.max(1000, Math.ceil((limits.cpuMillis * CFS_PERIOD_US) / 1000)) : undefined;
    if (this.layout.version === 2) {
      if (mem) {
        writeFileSync(join(cg.memory, 'memory.max'), mem);
        writeIfExistsSync(join(cg.memory, 'memory.swap.max'), '0');
      }
      // The kubelet (cgroup v2) kills the whole container when one of its processes is OOM-killed.
      writeIfExistsSync(join(cg.memory, 'memory.oom.group'), '1');
      if (quota) writeFileSync(join(cg.cpu, 'cpu.max'), `${quota} ${CFS_PERIOD_US}`);
    } else {
      if (mem) {
        // memsw (memory+swap) may not go below the memory limit: set the memory limit first.
        writeFileSync(join(cg.memory, 'memory.limit_in_bytes'), mem);
        writeIfExistsSync(join(cg.memory, 'memory.memsw.limit_in_bytes'), mem);
      }
      if (quota) {
        writeFileSync(join(cg.cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
        writeFileSync(join(cg.cpu, 'cpu.cfs_quota_us'), String(quota));
      }
    }
    return cg;
  }

  private enableControllers(podUid: string): void {
    const root = this.layout.memoryRoot;
    const chain = [root, join(root, this.parent), join(root, this.parent, `pod${podUid}`)];
    for (let i = 0; i < chain.length; i++) {
      const dir = chain[i]!;
      if (this.enabledV2.has(dir)) continue;
      if (i > 0) mkdirSync(dir, { recursive: true });
      let ctl = '';
      try {
        ctl = readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8');
      } catch {
        // Unreadable: try to enable anyway.
      }
      // pids only where this level offers it (enabling a controller the parent does not pass down fails).
      const optional = this.layout.pidsRoot !== undefined && offers(dir, 'pids') ? ['pids'] : [];
      const want = ['memory', 'cpu', ...optional].filter((c) => !ctl.split(/\s+/).includes(c));
      if (want.length) writeFileSync(join(dir, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
      if (i < 2) this.enabledV2.add(dir);
    }
  }

  /** How many times the kernel's OOM killer has killed a process in this cgroup (sync: one cgroupfs read). */
  oomKills(cg: ContainerCgroup): number {
    const file = this.layout.version === 2 ? 'memory.events' : 'memory.oom_control';
    try {
      return keyed(readFileSync(join(cg.memory, file), 'utf8'), 'oom_kill') ?? 0;
    } catch {
      return 0;
    }
  }

  async procs(cg: ContainerCgroup): Promise<number[]> {
    const text = await readText(join(cg.memory, 'cgroup.procs'));
    return text === undefined ? [] : text.split('\n').filter(Boolean).map(Number);
  }

  async signalAll(cg: ContainerCgroup, sig: NodeJS.Signals, except: ReadonlySet<number> = new Set()): Promise<number> {
    const pids = (await this.procs(cg)).filter((p) => !except.has(p));
    for (const p of pids) signal(p, sig);
    return pids.length;
  }

  /** Kills every process of the container and waits (up to `timeoutMs`) until the cgroup is empty. */
  async killAll(cg: ContainerCgroup, timeoutMs = 5000): Promise<boolean> {
    // Real time: this waits on the kernel emptying the cgroup, not on anything a clock steers.
    const deadline = Date.now() + timeoutMs;
    if (this.layout.version === 2) await writeIfExists(join(cg.memory, 'cgroup.kill'), '1').catch(() => undefined);
    for (;;) {
      const n = await this.signalAll(cg, 'SIGKILL');
      if (n === 0) return true;
      if (Date.now() > deadline) return false;
      await sleep(10);
    }
  }

  /**
   * Removes the pod's cgroups (containers first). Kills what is left, so nothing escapes accounting.
   * On failure the pod is remembered and `retryUnremoved` tries again: a cgroup is never given up on.
   */
  async removePod(podUid: string): Promise<void> {
    this.unremoved.add(podUid);
    await this.removePodDirs(podUid);
    this.unremoved.delete(podUid);
  }

  /** Tries again to remove the cgroups of pods whose removal failed; returns how many are still left. */
  async retryUnremoved(): Promise<number> {
    for (const uid of [...this.unremoved]) {
      await this.removePodDirs(uid).then(
        () => this.unremoved.delete(uid),
        () => undefined,
      );
    }
    return this.unremoved.size;
  }

  private async removePodDirs(podUid: string): Promise<void> {
    for (const podDir of this.podDirs(podUid)) {
      let names: string[] = [];
      try {
        names = (await fsp.readdir(podDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue;
        throw err;
      }
      await Promise.all(names.map((n) => this.removeDir(join(podDir, n))));
      await this.removeDir(podDir);
    }
  }

  /** Removes one container's cgroups. */
  async removeContainer(podUid: string, name: string): Promise<void> {
    await Promise.all(this.container(podUid, name).dirs.map((d) => this.removeDir(d)));
  }

  private async removeDir(dir: string): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await fsp.rmdir(dir);
        return;
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return;
        if (!isErrno(err, 'EBUSY') || i >= 100) throw err;
        // Processes still in it (or exiting): kill them and try again.
        const text = await readText(join(dir, 'cgroup.procs'));
        for (const p of (text ?? '').split('\n').filter(Boolean)) signal(Number(p), 'SIGKILL');
        await sleep(10);
      }
    }
  }

  /** Pod uids that have cgroups under the parent (to find leftovers after a crash). */
  async listPods(): Promise<string[]> {
    try {
      const entries = await fsp.readdir(join(this.layout.memoryRoot, this.parent), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && e.name.startsWith('pod')).map((e) => e.name.slice(3));
    } catch {
      return [];
    }
  }

  /** Total CPU time in nanoseconds and memory working set (usage minus inactive file cache) of a pod. */
  async podUsage(podUid: string): Promise<{ cpuNanos: number; memoryBytes: number } | undefined> {
    const dirs = this.podDirs(podUid);
    if (this.layout.version === 2) {
      const d = dirs[0]!;
      const [cpu, cur, stat] = await Promise.all([readText(join(d, 'cpu.stat')), readText(join(d, 'memory.current')), readText(join(d, 'memory.stat'))]);
      if (cpu === undefined || cur === undefined) return undefined;
      const inactive = keyed(stat ?? '', 'inactive_file') ?? 0;
      return { cpuNanos: (keyed(cpu, 'usage_usec') ?? 0) * 1000, memoryBytes: Math.max(0, Number(cur) - inactive) };
    }
    const mem = dirs[0]!;
    const acct = this.layout.cpuacctRoot ? dirs[2]! : dirs[1]!;
    const [cpu, usage, stat] = await Promise.all([readText(join(acct, 'cpuacct.usage')), readText(join(mem, 'memory.usage_in_bytes')), readText(join(mem, 'memory.stat'))]);
    if (cpu === undefined || usage === undefined) return undefined;
    const inactive = keyed(stat ?? '', 'total_inactive_file') ?? 0;
    return { cpuNanos: Number(cpu), memoryBytes: Math.max(0, Number(usage) - inactive) };
  }

  /**
   * CPU time in nanoseconds used under the parent cgroup: every pod's processes from their
   * launcher's join on, ended pods' included (the kernel charges each ancestor as it goes).
   */
  parentCpuNanos(): number {
    const v2 = this.layout.version === 2;
    const dir = join(v2 ? this.layout.memoryRoot : (this.layout.cpuacctRoot ?? this.layout.cpuRoot), this.parent);
    try {
      const text = readFileSync(join(dir, v2 ? 'cpu.stat' : 'cpuacct.usage'), 'utf8');
      return v2 ? (keyed(text, 'usage_usec') ?? 0) * 1000 : Number(text);
    } catch {
      return 0;
    }
  }

  /** Removes the parent cgroup if it is empty (tests use a parent per file). */
  async removeParent(): Promise<void> {
    await Promise.all(
      this.roots().map(async (r) => {
        try {
          await fsp.rmdir(join(r, this.parent));
        } catch (err) {
          if (!isErrno(err, 'ENOENT')) throw err;
        }
      }),
    );
  }
}

/**
 * Where each server records which home its parent cgroup serves: a link named after the parent
 * (`recordName`), to the home. The parent's own name is a hash of the home, so without this a
 * parent left by a server that was killed and whose home was then deleted (nobody is left to
 * start it again and clean up) could never be told from a live one.
 */
export const CGROUP_HOMES_DIR = '/run/drover/cgroups';

/** A record's file name: the parent URI-encoded, dots too (no name may be `.` or `..`). */
const recordName = (parent: string) => encodeURIComponent(parent).replace(/\./g, '%2E');

/** Records that `parent` serves `home` (replacing an older record). */
export async function recordParentHome(parent: string, home: string, dir = CGROUP_HOMES_DIR): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  const link = join(dir, recordName(parent));
  await fsp.rm(link, { force: true });
  await fsp.symlink(home, link);
}

/** Drops the record of `parent` (its server removed it). */
export async function forgetParentHome(parent: string, dir = CGROUP_HOMES_DIR): Promise<void> {
  await fsp.rm(join(dir, recordName(parent)), { force: true });
}

/**
 * Removes what is left under the parents of homes that are gone: the pods' cgroups (`pod<uid>`,
 * the runtime's own) that the kernel lets go (none with a process left), deepest first, then the
 * parent if nothing else is in it (a configured parent may hold others'), and its record. A parent
 * with anything left keeps its record, for the next start to try again. Returns the parents removed.
 */
export async function reclaimGoneHomes(layout: CgroupLayout, dir = CGROUP_HOMES_DIR): Promise<string[]> {
  const reclaimed: string[] = [];
  for (const entry of await fsp.readdir(dir).catch(() => [] as string[])) {
    const home = await fsp.readlink(join(dir, entry)).catch(() => undefined);
    if (home === undefined || existsSync(home)) continue;
    const parent = decodeURIComponent(entry);
    // A parent is a relative path under each root; a name that would leave the roots is no record of ours.
    if (parent.startsWith('/') || parent.split('/').some((p) => p === '..' || p === '.' || p === '')) continue;
    let left = false;
    for (const root of cgroupRoots(layout)) {
      const parentDir = join(root, parent);
      const pods = await fsp.readdir(parentDir, { withFileTypes: true }).catch(() => []);
      for (const e of pods) if (e.isDirectory() && e.name.startsWith('pod') && !(await removeTree(join(parentDir, e.name)))) left = true;
      try {
        await fsp.rmdir(parentDir);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) left = true;
      }
    }
    if (left) continue;
    await fsp.rm(join(dir, entry), { force: true });
    reclaimed.push(parent);
  }
  return reclaimed;
}

/** Removes a cgroup and those under it, deepest first; true when none is left. */
async function removeTree(dir: string): Promise<boolean> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    return isErrno(err, 'ENOENT');
  }
  let removed = true;
  for (const e of entries) if (e.isDirectory() && !(await removeTree(join(dir, e.name)))) removed = false;
  try {
    await fsp.rmdir(dir);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) removed = false;
  }
  return removed;
}

/** Every hierarchy root a container has a directory in (v2: the one unified root). */
export function cgroupRoots(l: CgroupLayout): string[] {
  if (l.version === 2) return [l.memoryRoot];
  return [l.memoryRoot, l.cpuRoot, ...(l.cpuacctRoot ? [l.cpuacctRoot] : []), ...(l.pidsRoot ? [l.pidsRoot] : [])];
}

/** Whether a v2 cgroup's `cgroup.controllers` lists `controller`. */
function offers(dir: string, controller: string): boolean {
  try {
    return readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).includes(controller);
  } catch {
    return false;
  }
}

/** Whether this process can create cgroups under `parent` in every hierarchy it needs. */
export async function probeWritable(layout: CgroupLayout, parent: string): Promise<string | undefined> {
  const roots = cgroupRoots(layout);
  for (const r of roots) {
    const dir = join(r, parent);
    try {
      await fsp.mkdir(dir, { recursive: true });
      await fsp.access(join(dir, 'cgroup.procs'), 2 /* W_OK */);
    } catch (err) {
      return `${dir}: ${(err as Error).message}`;
    }
  }
  return undefined;
}
