/**
 * Starts container launchers from a small helper process instead of the server.
 *
 * Node starts a child by forking the whole parent, and forking copies the parent's page tables:
 * from a server holding thousands of objects that took ~5 ms of blocked event loop per
 * container, growing with the server's memory. The helper (spawner-process.ts) is a bare Node
 * process that forks in ~1 ms on its own thread of execution; the server sends it what to start
 * and hears back the pid and, later, the exit.
 *
 * The launchers are detached from the helper as they were from the server, so the helper's death
 * ends nothing: the attempts it watched are handed back (`onLost`) to be polled like attempts
 * adopted after a restart, and the next start makes a new helper.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';

export interface SpawnRequest {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Opened (truncated) for stdout and stderr. */
  log: string;
  /** Opened (truncated) as fd 3. */
  status: string;
}

/** A short command run to its end by the helper (`ip` for pods' networks), its output captured. */
export interface RunRequest {
  type: 'run';
  id: number;
  file: string;
  args: string[];
  /** Written to its stdin, which is then closed. */
  input?: string;
}

export interface RunResult {
  /** 0 on success; the exit code, or -1 when it could not start or was killed. */
  code: number;
  stdout: string;
  stderr: string;
  /** Why it failed, when it did. */
  message?: string;
}

export type SpawnerMessage =
  | ({ type: 'ran'; id: number } & RunResult)
  | { type: 'started'; id: number; pid: number; pidStart: string }
  | { type: 'failed'; id: number; message: string; code?: string }
  | { type: 'exited'; pid: number; code: number | null; signal: NodeJS.Signals | null; status?: string };

export interface Started {
  pid: number;
  /** The process's start time in clock ticks (from /proc), read by the helper right after the fork. */
  pidStart: string;
}

export interface ExitWatch {
  /** `status`: the status file as the helper read it at the exit (absent: it could not). */
  onExit(code: number | null, signal: NodeJS.Signals | null, status?: string): void;
  /** The helper died: this exit will not be reported. */
  onLost(): void;
}

export class SpawnError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'SpawnError';
  }
}

export class Spawner {
  private child: ChildProcess | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (s: Started) => void; reject: (e: Error) => void }>();
  private readonly watches = new Map<number, ExitWatch>();
  private readonly runs = new Map<number, (r: RunResult) => void>();
  private stopped = false;

  /**
   * Runs a short command to its end from the helper, not the server: forking the server costs
   * milliseconds of blocked event loop and CPU, growing with its memory (`ip` runs twice or more
   * for every pod with a network of its own). Once stopped, the server runs it itself.
   */
  run(file: string, args: string[], input?: string): Promise<RunResult> {
    if (this.stopped) return runHere(file, args, input);
    const child = this.helper();
    const id = this.nextId++;
    return new Promise<RunResult>((resolve) => {
      this.runs.set(id, resolve);
      this.refresh();
      child.send({ type: 'run', id, file, args, ...(input !== undefined ? { input } : {}) } satisfies RunRequest);
    });
  }

  /** Starts `req` detached; its exit is reported to `watch` unless unwatched first. */
  spawn(req: SpawnRequest, watch: ExitWatch): Promise<Started> {
    if (this.stopped) return Promise.reject(new SpawnError('the runtime is stopping'));
    const child = this.helper();
    const id = this.nextId++;
    return new Promise<Started>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (s) => {
          this.watches.set(s.pid, watch);
          resolve(s);
        },
        reject,
      });
      this.refresh();
      child.send({ id, ...req });
    });
  }

  /** Stops reporting `pid`'s exit (the runtime is stopping; a later one adopts the process). */
  unwatch(pid: number): void {
    this.watches.delete(pid);
    this.refresh();
  }

  /** Lets the helper go and waits for it to exit; what it started keeps running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watches.clear();
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
    // Requests the helper never answered would wait forever (`lost` ignores a helper already let go),
    // and with them the runtime's stop.
    for (const p of this.pending.values()) p.reject(new SpawnError('the runtime stopped before the process spawner answered'));
    this.pending.clear();
    for (const done of this.runs.values()) done({ code: -1, stdout: '', stderr: '', message: 'the runtime stopped before the process spawner answered' });
    this.runs.clear();
  }

  private helper(): ChildProcess {
    if (this.child) return this.child;
    // No execArgv: the server's own flags (--inspect, --cpu-prof) are not the helper's.
    const child = fork(new URL('./spawner-process.js', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json', execArgv: [] });
    this.child = child;
    child.on('message', (m: SpawnerMessage) => this.receive(m));
    child.once('exit', () => this.lost(child));
    child.once('error', () => this.lost(child));
    return child;
  }

  private receive(m: SpawnerMessage): void {
    if (m.type === 'ran') {
      const done = this.runs.get(m.id);
      this.runs.delete(m.id);
      this.refresh();
      done?.({ code: m.code, stdout: m.stdout, stderr: m.stderr, ...(m.message !== undefined ? { message: m.message } : {}) });
      return;
    }
    if (m.type === 'exited') {
      const w = this.watches.get(m.pid);
      this.watches.delete(m.pid);
      this.refresh();
      w?.onExit(m.code, m.signal, m.status);
      return;
    }
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    if (m.type === 'started') p?.resolve({ pid: m.pid, pidStart: m.pidStart });
    else p?.reject(new SpawnError(m.message, m.code));
    this.refresh();
  }

  private lost(child: ChildProcess): void {
    // A helper already stopped or replaced (its `error` can follow its `exit`) owns nothing now.
    if (this.child !== child) return;
    this.child = undefined;
    for (const p of this.pending.values()) p.reject(new SpawnError('the process spawner exited before answering'));
    this.pending.clear();
    // A command whose answer is lost may or may not have run: say it failed (callers of `ip` check and retry).
    for (const done of this.runs.values()) done({ code: -1, stdout: '', stderr: '', message: 'the process spawner exited before answering' });
    this.runs.clear();
    const watches = [...this.watches.values()];
    this.watches.clear();
    for (const w of watches) w.onLost();
  }

  /** The helper keeps the server alive only while something waits on it (as a child process would). */
  private refresh(): void {
    const child = this.child;
    if (!child) return;
    const busy = this.pending.size > 0 || this.watches.size > 0 || this.runs.size > 0;
    const channel = child.channel as { ref(): void; unref(): void } | undefined;
    if (busy) {
      child.ref();
      channel?.ref();
    } else {
      child.unref();
      channel?.unref();
    }
  }
}

/** `run` without the helper (it is stopped): the command's result, never a rejection. */
export function runHere(file: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise<RunResult>((resolve) => {
    const child = execFile(file, args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const code = typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? ((err as unknown as { code: number }).code) : -1;
      resolve({ code, stdout, stderr, message: err.message });
    });
    child.stdin?.on('error', () => undefined);
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}
