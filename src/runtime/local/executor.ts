/**
 * One container attempt as a process that outlives the server.
 *
 * The launcher is spawned detached (its own session), by the spawner's helper process
 * (spawner.ts), with stdout and stderr opened straight on
 * the attempt's log file and fd 3 on a status file where bwrap writes `{"child-pid": N, ...}` when
 * the sandbox starts and `{"exit-code": N}` when its command ends (128+signal when killed by a
 * signal: 137 for SIGKILL and for the OOM killer). The server keeps nothing open to the process,
 * so a crash of the server leaves it running, and its exit code is recorded either way.
 *
 * A small record (`<attempt>.json`, written atomically) holds the monitor's pid and its start
 * time in clock ticks (so a reused pid is never mistaken for it) for a restarted server to adopt.
 */
import { promises as fsp, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cgroups, ContainerCgroup } from './cgroups.js';
import { readJson, writeAtomic } from './fsutil.js';
import { isAlive, signal } from './proc.js';
import type { Spawner } from './spawner.js';

export interface AttemptPaths {
  dir: string;
  log: string;
  status: string;
  record: string;
  rootfs: string;
}

export function attemptPaths(podDir: string, container: string, n: number): AttemptPaths {
  const dir = join(podDir, container);
  return { dir, log: join(dir, `${n}.log`), status: join(dir, `${n}.status`), record: join(dir, `${n}.json`), rootfs: join(dir, `${n}.rootfs`) };
}

export interface ExitRecord {
  exitCode: number;
  reason: string;
  message?: string;
  finishedAt: string;
}

/** What `<attempt>.json` holds. */
export interface AttemptRecord {
  container: string;
  attempt: number;
  pid: number;
  pidStart: string;
  startedAt: string;
  startedAtMs: number;
  /** The cgroup's oom_kill count when the attempt started (the counter is per cgroup, across attempts). */
  oomBaseline: number;
  exit?: ExitRecord;
}

export interface BwrapStatus {
  childPid?: number;
  exitCode?: number;
}

/** Parses bwrap's `--json-status-fd` output: one JSON object per line. */
export function parseBwrapStatus(text: string): BwrapStatus {
  const out: BwrapStatus = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (typeof o['child-pid'] === 'number') out.childPid = o['child-pid'];
      if (typeof o['exit-code'] === 'number') out.exitCode = o['exit-code'];
    } catch {
      // A torn last line (the monitor was killed mid-write) says nothing.
    }
  }
  return out;
}

export async function readBwrapStatus(path: string): Promise<BwrapStatus> {
  try {
    return parseBwrapStatus(await fsp.readFile(path, 'utf8'));
  } catch {
    return {};
  }
}

/** How an attempt's process ended, as observed. */
export interface ExitObservation {
  status: BwrapStatus;
  /** From the launcher's `exit` event, as the spawner reported it. */
  code?: number | null;
  signal?: NodeJS.Signals | null;
}

export interface LaunchInput {
  file: string;
  args: string[];
  env: Record<string, string>;
  paths: AttemptPaths;
}

/** A running (or finished) attempt that this server watches. */
export class AttemptProcess {
  readonly exited: Promise<ExitObservation>;
  private resolveExit!: (o: ExitObservation) => void;
  private settled = false;
  private detached = false;
  /** Its exit will be reported by the spawner that started it (else it is polled). */
  private watched = false;
  private spawner: Spawner | undefined;

  constructor(
    readonly pid: number,
    readonly pidStart: string,
    readonly paths: AttemptPaths,
    readonly cgroup: ContainerCgroup,
    private readonly cgroups: Cgroups,
  ) {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  get done(): boolean {
    return this.settled;
  }

  /**
   * Starts the launcher through `spawner`. The returned attempt resolves `exited` from the exit
   * the spawner reports; if the spawner dies first, `onLost` hands the attempt over to be polled.
   */
  static async launch(input: LaunchInput, cgroup: ContainerCgroup, cgroups: Cgroups, spawner: Spawner, onLost: (a: AttemptProcess) => void): Promise<AttemptProcess> {
    let attempt: AttemptProcess | undefined;
    // The exit, or the spawner's death, can come in the same read of its channel as the pid,
    // before `spawn`'s promise has handed the pid back: kept for the attempt made below.
    let early: ExitObservation | undefined;
    let lostEarly = false;
    const started = await spawner.spawn(
      { file: input.file, args: input.args, env: input.env, log: input.paths.log, status: input.paths.status },
      {
        onExit: (code, sig, text) => {
          const settle = (status: BwrapStatus) => {
            const o = { status, code, signal: sig };
            if (attempt) attempt.settle(o);
            else early = o;
          };
          if (text !== undefined) settle(parseBwrapStatus(text));
          else void readBwrapStatus(input.paths.status).then(settle);
        },
        onLost: () => {
          if (!attempt) lostEarly = true;
          else {
            attempt.watched = false;
            onLost(attempt);
          }
        },
      },
    );
    attempt = new AttemptProcess(started.pid, started.pidStart, input.paths, cgroup, cgroups);
    attempt.watched = !lostEarly;
    attempt.spawner = spawner;
    if (early) attempt.settle(early);
    else if (lostEarly) onLost(attempt);
    return attempt;
  }

  /** Watches a process this server did not spawn (a restart found it running). */
  static adopt(record: AttemptRecord, paths: AttemptPaths, cgroup: ContainerCgroup, cgroups: Cgroups): AttemptProcess {
    return new AttemptProcess(record.pid, record.pidStart, paths, cgroup, cgroups);
  }

  /** Stops listening for the exit (the runtime is stopping; a later one adopts the process). */
  detach(): void {
    if (this.watched) this.spawner?.unwatch(this.pid);
    this.watched = false;
    this.detached = true;
  }

  /** Whether the attempt still runs: the monitor lives, or (it was killed alone) sandbox processes remain. */
  async alive(): Promise<boolean> {
    if (this.settled) return false;
    if (isAlive(this.pid, this.pidStart)) return true;
    return (await this.cgroups.procs(this.cgroup)).length > 0;
  }

  /** For adopted attempts: called on the runtime's poll tick. */
  async poll(): Promise<void> {
    if (this.settled || this.watched || this.detached) return;
    if (await this.alive()) return;
    this.settle({ status: await readBwrapStatus(this.paths.status) });
  }

  private settle(o: ExitObservation): void {
    if (this.settled || this.detached) return;
    this.settled = true;
    this.watched = false;
    this.resolveExit(o);
  }

  /**
   * Stops the container as the kubelet does: SIGTERM to its processes, SIGKILL to all of them
   * after `graceMs`. The bwrap monitor is spared so it can still record the exit code.
   */
  async kill(graceMs: number): Promise<void> {
    if (this.settled) return;
    const spare = new Set([this.pid]);
    if (graceMs > 0) {
      const termed = new Set((await this.cgroups.procs(this.cgroup)).filter((p) => !spare.has(p)));
      for (const p of termed) signal(p, 'SIGTERM');
      if (await this.waitWorkloadGone(graceMs, termed)) return;
    }
    const st = await readBwrapStatus(this.paths.status);
    // Killing the sandbox's pid 1 makes the kernel kill everything in its pid namespace.
    if (st.childPid) signal(st.childPid, 'SIGKILL');
    else signal(this.pid, 'SIGKILL'); // Still the launcher: nothing else has started.
    await this.cgroups.signalAll(this.cgroup, 'SIGKILL', spare);
    if (await this.waitExit(2000)) return;
    signal(this.pid, 'SIGKILL');
    await this.cgroups.killAll(this.cgroup);
    await this.waitExit(2000);
  }

  /**
   * Waits up to `ms` for the container to exit after SIGTERM, or for its workload to be gone: once
   * nothing but the sandbox itself (the bwrap monitor and the namespace's init) is left, the grace
   * period has nothing more to wait for. Processes that appear meanwhile are sent SIGTERM too.
   * Returns true when the container exited.
   */
  private async waitWorkloadGone(ms: number, termed: Set<number>): Promise<boolean> {
    // Real time, as waitExit: a real process is waited on.
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await this.waitExit(Math.min(100, deadline - Date.now()))) return true;
      const init = (await readBwrapStatus(this.paths.status)).childPid;
      const left = (await this.cgroups.procs(this.cgroup)).filter((p) => p !== this.pid && p !== init);
      if (init !== undefined && left.length === 0) return false;
      // A process that started after the SIGTERM (the container's command, when the pod was
      // deleted while its sandbox was still starting) gets it too.
      for (const p of left) {
        if (termed.has(p)) continue;
        termed.add(p);
        signal(p, 'SIGTERM');
      }
    }
    return this.settled;
  }

  private async waitExit(ms: number): Promise<boolean> {
    if (this.settled) return true;
    // Real time, not the runtime's clock: this waits on a real process, which a test's manual
    // clock would never see exit in time.
    const deadline = Date.now() + ms;
    // Adopted attempts have no exit event: poll here too, faster than the runtime's tick.
    while (Date.now() < deadline) {
      const r = await Promise.race([this.exited.then(() => true), new Promise<false>((res) => setTimeout(() => res(false), 20))]);
      if (r) return true;
      if (!this.watched) await this.poll();
      if (this.settled) return true;
    }
    return this.settled;
  }
}

export async function writeRecord(path: string, record: AttemptRecord): Promise<void> {
  await writeAtomic(path, JSON.stringify(record));
}

/** The same, synchronously: used right after a spawn, where a thread-pool hop would widen the crash window. */
export function writeRecordSync(path: string, record: AttemptRecord): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(record));
  renameSync(tmp, path);
}

export async function readRecord(path: string): Promise<AttemptRecord | undefined> {
  return readJson<AttemptRecord>(path);
}

/** The attempt numbers found in a container's directory (from its logs), ascending. */
export async function listAttempts(containerDir: string): Promise<number[]> {
  try {
    return (await fsp.readdir(containerDir))
      .map((n) => /^(\d+)\.log$/.exec(n)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** The last `bytes` of a file as text (for an error message from a log). */
export async function readTail(path: string, bytes = 2048): Promise<string> {
  try {
    const fh = await fsp.open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      const len = Math.min(bytes, size);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      return buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/**
 * The container's terminated state from what was observed, the kubelet way: any OOM kill in the
 * container's cgroup during the attempt is `OOMKilled`, 137, whatever the exit code (on cgroup v2
 * the kernel kills the whole container then, memory.oom.group; on v1 the runtime does, see
 * PodWorker.checkOom, but a shell whose child was the victim can exit 0 first); exit code 0 is
 * `Completed`; a sandbox that never
 * ran its command (bwrap failed to set up or to exec) is `ContainerCannotRun`; no exit code at all
 * (the monitor vanished without writing one) is `ContainerStatusUnknown`, 137.
 */
export function classifyExit(o: ExitObservation, oomDelta: number, logTail: string): { exitCode: number; reason: string; message?: string } {
  const lastLine = logTail.trimEnd().split('\n').pop() ?? '';
  if (oomDelta > 0) return { exitCode: 137, reason: 'OOMKilled' };
  const code = o.status.exitCode ?? (typeof o.code === 'number' ? o.code : o.signal ? 128 + signalNumber(o.signal) : undefined);
  if (o.status.childPid === undefined) {
    if (o.status.exitCode === undefined && o.code === undefined && !o.signal) {
      return { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the runtime restarted: its exit status was not recorded' };
    }
    return { exitCode: 128, reason: 'ContainerCannotRun', message: lastLine || `the sandbox failed to start (exit code ${code ?? 'unknown'})` };
  }
  if (code === undefined) {
    return { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the runtime restarted: its exit status was not recorded' };
  }
  if (code === 1 && lastLine.startsWith('bwrap: ')) {
    const m = /^bwrap: execvp (.*): No such file or directory$/.exec(lastLine);
    return { exitCode: 128, reason: 'ContainerCannotRun', message: m ? `exec: "${m[1]}": executable file not found in $PATH` : lastLine };
  }
  // Under a root server the command starts through setpriv and env(1) (as the pod's uid); env says why it could not exec.
  const envFailed = /^(?:\/usr)?\/bin\/env: ['‘](.*)['’]: (No such file or directory|Permission denied)$/.exec(lastLine);
  if ((code === 126 || code === 127) && envFailed) {
    return { exitCode: 128, reason: 'ContainerCannotRun', message: envFailed[2] === 'No such file or directory' ? `exec: "${envFailed[1]}": executable file not found in $PATH` : `exec: "${envFailed[1]}": permission denied` };
  }
  if (code === 0) return { exitCode: 0, reason: 'Completed' };
  return { exitCode: code, reason: 'Error' };
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };
function signalNumber(s: NodeJS.Signals): number {
  return SIGNALS[s] ?? 9;
}
