/**
 * `kubectl exec` on the local runtime: a command joins a running container's sandbox. The
 * sandbox's first process (bwrap's `child-pid`, its pid 1) names the namespaces: the command
 * enters its mount, pid, uts, ipc and network namespaces and its root and working directory with
 * `nsenter`, after a tiny `sh` has written its own pid into the container's cgroups (so it is
 * limited and accounted as the container, and killed with it), then becomes the container's
 * user with setpriv as the launcher does (sandbox.ts), with no_new_privs, and runs with the
 * environment the container started with (read from that first process). With a terminal, the
 * command runs under `script`, which gives it a pseudo-terminal.
 *
 * What the container's own process has and an exec'd one lacks: the seccomp filter (bwrap loads
 * it; nsenter cannot).
 */
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import type { ExecProcess } from '../types.js';
import { shQuote } from './fsutil.js';
import { which } from './host.js';
import { setprivArgs, type SandboxUser } from './sandbox.js';

/** A NUL-separated environment (`/proc/PID/environ`) as a map. */
export function parseEnviron(raw: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

export interface ExecSpec {
  sh: string;
  nsenter: string;
  /** The sandbox's first process. */
  pid: number;
  cgroupJoinFiles: string[];
  user: SandboxUser | undefined;
  command: string[];
  /** `script`, to run the command on a terminal. */
  script?: string;
}

/** The file and argv that run `command` inside the sandbox (pure). */
export function execArgv(s: ExecSpec): { file: string; args: string[] } {
  let command = s.command;
  if (s.script) command = [s.script, '-q', '-e', '-f', '-c', s.command.map(shQuote).join(' '), '/dev/null'];
  // -n: the pod's own network (or the host's, the same as the server's, when it has none).
  const ns = [s.nsenter, '-t', String(s.pid), '-m', '-u', '-i', '-n', '-p', '-r', '-w'];
  let as: string[] = [];
  if (s.user?.mode === 'setpriv') {
    const [setpriv, ...rest] = setprivArgs(s.user);
    as = [setpriv!, '--no-new-privs', ...rest];
  } else if (s.user?.mode === 'userns') ns.push('-U', '--preserve-credentials');
  const script = [...s.cgroupJoinFiles.map((f) => `echo 0 > ${shQuote(f)}`), 'exec "$@"'].join(' && ');
  return { file: s.sh, args: ['-c', script, 'drover-exec', ...ns, ...as, ...command] };
}

export interface ExecTarget {
  sh: string;
  pid: number;
  cgroupJoinFiles: string[];
  user: SandboxUser | undefined;
  command: string[];
  tty: boolean;
}

/** Starts the command in the sandbox. */
export async function startExec(t: ExecTarget): Promise<ExecProcess> {
  const nsenter = which('nsenter');
  if (!nsenter) throw new Error('nsenter is not installed (util-linux): kubectl exec needs it');
  const script = t.tty ? which('script') : undefined;
  if (t.tty && !script) throw new Error('script is not installed (util-linux): kubectl exec -t needs it');
  const env = parseEnviron(await fsp.readFile(`/proc/${t.pid}/environ`, 'utf8'));
  if (t.tty && !env['TERM']) env['TERM'] = 'xterm';
  const { file, args } = execArgv({ sh: t.sh, nsenter, pid: t.pid, cgroupJoinFiles: t.cgroupJoinFiles, user: t.user, command: t.command, ...(script ? { script } : {}) });
  const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number>((resolve) => {
    child.on('error', () => resolve(126));
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? (osSignals[signal] ?? 9) : 0)));
  });
  // A client that goes away mid-write must not crash the server.
  child.stdin.on('error', () => {});
  if (t.tty) child.stderr.resume();
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    ...(t.tty ? {} : { stderr: child.stderr }),
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

const osSignals: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGSEGV: 11, SIGABRT: 6, SIGPIPE: 13 };
