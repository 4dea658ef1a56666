import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError, type ParsedArgs } from '../args.js';
import { Client } from '../client.js';
import type { Command } from '../command.js';
import { CliError, DEFAULT_PORT, droverHome, readServerInfo, type Ctx } from '../context.js';
import { startProgress } from '../progress.js';
import { parseQuantity } from '../../api/quantity.js';
import { parseDuration } from '../units.js';

export const command: Command = {
  name: 'up',
  namespaced: false,
  usage: 'drover up [-d] [--port P] [--home DIR] [--node-label K=V ...] [--cpus N] [--memory Q] [--gpus N] [options]',
  summary: 'Start the Drover control plane on this machine',
  description: `Start the Drover control plane (API server, controllers, scheduler and the local pod runtime) on
this machine. In the foreground it runs until Ctrl-C; with -d it starts in the background, waits
until it answers, and prints where it listens and where it logs.

Nothing happens if a server already answers at the address. The machine's node gets the CPUs,
memory and GPUs of the host unless --cpus, --memory or --gpus say otherwise.`,
  examples: `
  drover up -d
  drover up --port 7460 --node-label role=train-cpu --cpus 4 --memory 8Gi
  DROVER_HOME=/tmp/drover drover up -d && drover down`,
  flags: [
    { name: 'detach', short: 'd', type: 'boolean', description: 'Run in the background; logs go to $DROVER_HOME/server.log.' },
    { name: 'port', short: 'p', type: 'string', value: 'PORT', description: 'Port to listen on (default: the port of $DROVER_SERVER, else 7450).' },
    { name: 'home', type: 'string', value: 'DIR', description: 'Where Drover keeps its state, logs and volumes (default: $DROVER_HOME, else ~/.drover).' },
    { name: 'node-label', type: 'strings', value: 'KEY=VALUE', description: "A label for this machine's node, for nodeSelector. May be repeated." },
    { name: 'cpus', type: 'string', value: 'N', description: 'CPUs the node offers to pods (e.g. 4 or 3500m).' },
    { name: 'memory', type: 'string', value: 'QUANTITY', description: 'Memory the node offers to pods (e.g. 8Gi).' },
    { name: 'gpus', type: 'string', value: 'N', description: 'GPUs (nvidia.com/gpu) the node offers to pods.' },
    { name: 'log-level', type: 'string', value: 'LEVEL', description: 'Server log level: debug, info, warn or error.' },
    { name: 'timeout', type: 'string', default: '30s', value: 'DURATION', description: 'With -d, how long to wait for the server to answer.' },
  ],
  run,
};

/** What `runServer` from src/server takes. */
export interface RunServerOptions {
  home: string;
  port: number;
  nodeLabels?: Record<string, string>;
  capacity?: { cpu?: string; memory?: string; gpus?: number };
  logLevel?: string;
}

interface ServerModule {
  runServer(opts: RunServerOptions): Promise<void>;
}

/** The port `up` listens on: --port, else the port of a loopback $DROVER_SERVER, else 7450. */
export function listenPort(flag: string | undefined, env: Ctx['env']): number {
  if (flag !== undefined) {
    const p = Number(flag);
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new UsageError(`invalid --port "${flag}": use a number from 0 to 65535`, 'up');
    return p;
  }
  const s = env['DROVER_SERVER'];
  if (s) {
    try {
      const u = new URL(s);
      if (['127.0.0.1', 'localhost', '[::1]', '0.0.0.0'].includes(u.hostname) && u.port) return Number(u.port);
    } catch {
      // not a URL: the client will say so
    }
  }
  return DEFAULT_PORT;
}

export function buildOptions(args: ParsedArgs, env: Ctx['env'], cwd: string): RunServerOptions {
  const home = resolve(cwd, args.string('home') || droverHome(env));
  const opts: RunServerOptions = { home, port: listenPort(args.string('port'), env) };
  const labels: Record<string, string> = {};
  for (const l of args.strings('node-label')) {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid --node-label "${l}": expected KEY=VALUE`, 'up');
    labels[l.slice(0, eq)] = l.slice(eq + 1);
  }
  if (Object.keys(labels).length) opts.nodeLabels = labels;
  const capacity: NonNullable<RunServerOptions['capacity']> = {};
  const cpus = args.string('cpus');
  if (cpus !== undefined) {
    if (!validQuantity(cpus) || parseQuantity(cpus) <= 0) throw new UsageError(`invalid --cpus "${cpus}": use a number of CPUs like 4 or 3500m`, 'up');
    capacity.cpu = cpus;
  }
  const memory = args.string('memory');
  if (memory !== undefined) {
    if (!validQuantity(memory) || parseQuantity(memory) <= 0) throw new UsageError(`invalid --memory "${memory}": use a quantity like 8Gi`, 'up');
    capacity.memory = memory;
  }
  const gpus = args.string('gpus');
  if (gpus !== undefined) {
    const n = Number(gpus);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`invalid --gpus "${gpus}": use a whole number`, 'up');
    capacity.gpus = n;
  }
  if (Object.keys(capacity).length) opts.capacity = capacity;
  const level = args.string('log-level');
  if (level !== undefined) {
    if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(`invalid --log-level "${level}": use debug, info, warn or error`, 'up');
    opts.logLevel = level;
  }
  return opts;
}

function validQuantity(q: string): boolean {
  try {
    parseQuantity(q);
    return true;
  } catch {
    return false;
  }
}

/** The argv that starts the same server in the foreground (for -d). */
export function foregroundArgs(opts: RunServerOptions): string[] {
  const a = ['up', '--port', String(opts.port), '--home', opts.home];
  for (const [k, v] of Object.entries(opts.nodeLabels ?? {})) a.push('--node-label', `${k}=${v}`);
  if (opts.capacity?.cpu !== undefined) a.push('--cpus', opts.capacity.cpu);
  if (opts.capacity?.memory !== undefined) a.push('--memory', opts.capacity.memory);
  if (opts.capacity?.gpus !== undefined) a.push('--gpus', String(opts.capacity.gpus));
  if (opts.logLevel) a.push('--log-level', opts.logLevel);
  return a;
}

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError(`unexpected arguments: ${args.positionals.join(' ')}`, 'up');
  const opts = buildOptions(args, ctx.env, ctx.cwd);
  const url = `http://127.0.0.1:${opts.port}`;

  // Idempotent: a server of this home, or any server at the address, is already "up".
  const recorded = readServerInfo(opts.home);
  const candidates = [...new Set([...(recorded ? [`http://127.0.0.1:${recorded.port}`] : []), ...(opts.port ? [url] : [])])];
  for (const u of candidates) {
    const c = new Client(u);
    const up = await c.healthy(1000);
    c.close();
    if (up) {
      ctx.stdout.write(`Drover is already running at ${u}\n`);
      return 0;
    }
  }

  if (args.bool('detach')) {
    const timeoutMs = parseDuration(args.string('timeout') ?? '30s');
    if (timeoutMs === undefined) throw new UsageError('invalid --timeout: use a duration like 30s', 'up');
    return detach(ctx, opts, timeoutMs);
  }

  // Loaded only here: everything else in the CLI starts without the server's dependencies.
  const serverPath = '../../server/index.js';
  const server = (await import(serverPath)) as ServerModule;
  let stopped = false;
  const running = server.runServer(opts).finally(() => {
    stopped = true;
  });
  if (opts.port !== 0) void announce(ctx, url, () => stopped);
  await running;
  return 0;
}

/** Prints one line once the foreground server answers. */
async function announce(ctx: Ctx, url: string, stopped: () => boolean): Promise<void> {
  const c = new Client(url);
  try {
    for (let i = 0; i < 600 && !stopped(); i++) {
      if (await c.healthy(500)) {
        ctx.stdout.write(`Drover is running at ${url} (press Ctrl-C to stop)\n`);
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    c.close();
  }
}

async function detach(ctx: Ctx, opts: RunServerOptions, timeoutMs: number): Promise<number> {
  if (opts.port === 0) throw new UsageError('--port 0 cannot be used with -d: the address would not be known', 'up');
  mkdirSync(opts.home, { recursive: true });
  const logPath = join(opts.home, 'server.log');
  const fd = openSync(logPath, 'a');
  const child = spawn(ctx.self.execPath, [...process.execArgv, ctx.self.script, ...foregroundArgs(opts)], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...ctx.env, DROVER_HOME: opts.home },
    cwd: ctx.cwd,
  });
  closeSync(fd);
  let exited: number | string | undefined;
  child.on('exit', (code, signal) => {
    exited = code ?? signal ?? 'unknown';
  });
  child.on('error', (err) => {
    exited = err.message;
  });
  const url = `http://127.0.0.1:${opts.port}`;
  const client = new Client(url);
  const progress = startProgress(ctx, `starting Drover at ${url}`);
  const started = ctx.now();
  try {
    for (;;) {
      if (exited !== undefined) {
        progress.stop();
        throw new CliError(`the Drover server exited (${exited}) before it was ready; the end of ${logPath}:\n${tail(logPath, 20)}`);
      }
      if (await client.healthy(500)) break;
      if (ctx.now() - started > timeoutMs) {
        progress.stop();
        throw new CliError(`the Drover server did not answer at ${url} within ${Math.round(timeoutMs / 1000)}s (pid ${child.pid}); see ${logPath}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    progress.stop();
    client.close();
  }
  child.unref();
  child.removeAllListeners();
  ctx.stdout.write(`Drover is running at ${url} (logs: ${logPath})\n`);
  return 0;
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `  ${l}`).join('\n');
  } catch {
    return '  (no log)';
  }
}
