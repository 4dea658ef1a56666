import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError, type ParsedArgs } from '../args.js';
import { Client } from '../client.js';
import type { Command } from '../command.js';
import { CliError, droverHome, readServerInfo, type Ctx } from '../context.js';
import type { RunServerOptions } from '../../server/index.js';
import { startProgress } from '../progress.js';
import { parseQuantity } from '../../api/quantity.js';
import { parseDuration } from '../../print/units.js';
import { kubeconfigCa, kubeconfigToken } from '../../identity/kubeconfig.js';

export const command: Command = {
  name: 'up',
  namespaced: false,
  usage: 'drover up [-d] [--port P] [--home DIR] [--node-label K=V ...] [--cpus N] [--memory Q] [--gpus N] [--runtime kubernetes [--kubeconfig F] [--context C] [--namespace NS]] [options]',
  summary: 'Start the Drover control plane on this machine',
  description: `Start the Drover control plane (API server, controllers, scheduler and the local pod runtime) on
this machine. In the foreground it runs until Ctrl-C; with -d it starts in the background, waits
until it answers, and prints where it listens and where it logs.

Nothing happens if a server already answers at the address. The machine's node gets the CPUs,
memory and GPUs of the host unless --cpus, --memory or --gpus say otherwise.

With --runtime kubernetes, pods run in one namespace of a Kubernetes cluster instead: Drover
creates ordinary Pods (and the ConfigMaps, Secrets and PersistentVolumeClaims they use) there,
and the cluster's scheduler places them. It needs only the namespaced permissions in
deploy/kubernetes/rbac.yaml; no CRDs or cluster-wide rights.`,
  examples: `
  drover up -d
  drover up --port 7460 --node-label role=train-cpu --cpus 4 --memory 8Gi
  drover up -d --runtime kubernetes --context prod --namespace ml-team
  DROVER_HOME=/tmp/drover drover up -d && drover down`,
  flags: [
    { name: 'detach', short: 'd', type: 'boolean', description: 'Run in the background; logs go to $DROVER_HOME/server.log.' },
    { name: 'port', short: 'p', type: 'string', value: 'PORT', description: 'Port to listen on; 0 picks a free one (default: the port of $DROVER_SERVER, else $DROVER_PORT or config.yaml, else 7450).' },
    { name: 'home', type: 'string', value: 'DIR', description: 'Where Drover keeps its state, logs and volumes (default: $DROVER_HOME, else ~/.drover).' },
    { name: 'node-label', type: 'strings', value: 'KEY=VALUE', description: "A label for this machine's node, for nodeSelector. May be repeated." },
    { name: 'cpus', type: 'string', value: 'N', description: 'CPUs the node offers to pods (e.g. 4 or 3500m).' },
    { name: 'memory', type: 'string', value: 'QUANTITY', description: 'Memory the node offers to pods (e.g. 8Gi).' },
    { name: 'gpus', type: 'string', value: 'N', description: 'GPUs (nvidia.com/gpu) the node offers to pods.' },
    { name: 'host', type: 'string', value: 'ADDRESS', description: 'Address to listen on (default: $DROVER_HOST or config.yaml, else 127.0.0.1). Beyond loopback the server serves HTTPS with its own CA and needs authentication.' },
    { name: 'tls', type: 'string', value: 'MODE', description: 'Serve HTTPS: on, off or auto (default: $DROVER_TLS or config.yaml, else auto: on beyond loopback). Clients trust the CA through the kubeconfig.' },
    { name: 'log-level', type: 'string', value: 'LEVEL', description: 'Server log level: debug, info, warn or error.' },
    { name: 'runtime', type: 'string', value: 'KIND', description: 'Where pods run: local (this machine, the default) or kubernetes (a cluster, see --kubeconfig).' },
    { name: 'kubeconfig', type: 'string', value: 'FILE', description: 'With --runtime kubernetes: the kubeconfig (default: $KUBECONFIG, ~/.kube/config, or the service account in a pod).' },
    { name: 'context', type: 'string', value: 'NAME', description: "With --runtime kubernetes: the kubeconfig context (default: its current context)." },
    { name: 'namespace', type: 'string', value: 'NS', description: "With --runtime kubernetes: the namespace Drover creates pods in (default: the context's namespace)." },
    { name: 'timeout', type: 'string', default: '30s', value: 'DURATION', description: 'With -d, how long to wait for the server to answer.' },
  ],
  run,
};

export type { RunServerOptions };

/**
 * The port `up` is asked for: --port, else the port of a loopback $DROVER_SERVER (so the server
 * listens where the CLI will look), else undefined and the server's configuration decides
 * (DROVER_PORT, $DROVER_HOME/config.yaml, 7450).
 */
export function listenPort(flag: string | undefined, env: Ctx['env']): number | undefined {
  if (flag !== undefined) {
    const p = Number(flag);
    if (flag.trim() === '' || !Number.isInteger(p) || p < 0 || p > 65535) throw new UsageError(`invalid --port "${flag}": use a number from 0 to 65535`, 'up');
    return p;
  }
  const s = env['DROVER_SERVER'];
  if (s) {
    try {
      const u = new URL(s);
      if (['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && u.port) return Number(u.port);
    } catch {
      // not a URL: the client will say so
    }
  }
  return undefined;
}

export function buildOptions(args: ParsedArgs, env: Ctx['env'], cwd: string): RunServerOptions {
  const home = resolve(cwd, args.string('home') || droverHome(env));
  const opts: RunServerOptions = { home };
  const port = listenPort(args.string('port'), env);
  if (port !== undefined) opts.port = port;
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
  const runtime = args.string('runtime');
  const kubeFlags = (['kubeconfig', 'context', 'namespace'] as const).filter((f) => args.string(f) !== undefined);
  if (runtime === 'kubernetes') {
    const rc: NonNullable<RunServerOptions['runtime']> = { kind: 'kubernetes' };
    const kubeconfig = args.string('kubeconfig');
    if (kubeconfig !== undefined) rc.kubeconfig = resolve(cwd, kubeconfig);
    const context = args.string('context');
    if (context !== undefined) rc.context = context;
    const namespace = args.string('namespace');
    if (namespace !== undefined) rc.namespace = namespace;
    opts.runtime = rc;
  } else if (runtime !== undefined && runtime !== 'local') {
    throw new UsageError(`invalid --runtime "${runtime}": use local or kubernetes`, 'up');
  } else if (kubeFlags.length) {
    throw new UsageError(`--${kubeFlags[0]} needs --runtime kubernetes`, 'up');
  } else if (runtime === 'local') {
    opts.runtime = { kind: 'local' };
  }
  const host = args.string('host');
  if (host !== undefined) {
    if (!host.trim()) throw new UsageError('invalid --host "": use an address like 127.0.0.1 or 0.0.0.0', 'up');
    opts.host = host;
  }
  const tls = args.string('tls');
  if (tls !== undefined) {
    if (tls !== 'on' && tls !== 'off' && tls !== 'auto') throw new UsageError(`invalid --tls "${tls}": use on, off or auto`, 'up');
    opts.tls = tls;
  }
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
  const a = ['up', '--home', opts.home!];
  if (opts.port !== undefined) a.push('--port', String(opts.port));
  for (const [k, v] of Object.entries(opts.nodeLabels ?? {})) a.push('--node-label', `${k}=${v}`);
  if (opts.capacity?.cpu !== undefined) a.push('--cpus', opts.capacity.cpu);
  if (opts.capacity?.memory !== undefined) a.push('--memory', opts.capacity.memory);
  if (opts.capacity?.gpus !== undefined) a.push('--gpus', String(opts.capacity.gpus));
  if (opts.logLevel) a.push('--log-level', opts.logLevel);
  if (opts.host) a.push('--host', opts.host);
  if (opts.tls) a.push('--tls', opts.tls);
  if (opts.runtime) a.push('--runtime', opts.runtime.kind);
  if (opts.runtime?.kind === 'kubernetes') {
    if (opts.runtime.kubeconfig) a.push('--kubeconfig', opts.runtime.kubeconfig);
    if (opts.runtime.context) a.push('--context', opts.runtime.context);
    if (opts.runtime.namespace) a.push('--namespace', opts.runtime.namespace);
  }
  return a;
}

/** A URL the CLI can connect to for a listen address (a wildcard host means this machine). */
function connectUrl(scheme: string, host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${h}:${port}`;
}

/** Whether a server answers at `url`; an https:// one with the CA of the kubeconfig in `home`. */
async function answers(url: string, home: string): Promise<boolean> {
  const c = new Client(url, undefined, kubeconfigCa(home));
  try {
    return await c.healthy(1000);
  } finally {
    c.close();
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, but another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The address of the server that `pid` recorded in `home`'s server.json, once it has. */
function recordedBy(home: string, pid: number | undefined): string | undefined {
  const info = readServerInfo(home);
  if (!info || (pid !== undefined && info.pid !== pid)) return undefined;
  return info.url ?? `http://127.0.0.1:${info.port}`;
}

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError(`unexpected arguments: ${args.positionals.join(' ')}`, 'up');
  const opts = buildOptions(args, ctx.env, ctx.cwd);
  // The server's own configuration (flags > DROVER_* > config.yaml) says where it will listen.
  const { loadConfig, servesTls } = await import('../../config/index.js');
  const config = loadConfig({ home: opts.home, ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.host ? { host: opts.host } : {}), ...(opts.tls ? { tls: opts.tls } : {}) }, { ...ctx.env });
  const url = config.port === 0 ? undefined : connectUrl(servesTls(config) ? 'https' : 'http', config.host, config.port);

  // Idempotent: this home's server (alive, and answering where it recorded) is already "up".
  const info = readServerInfo(opts.home!);
  const recorded = recordedBy(opts.home!, undefined);
  if (recorded && info?.pid !== undefined && pidAlive(info.pid) && (await answers(recorded, opts.home!))) {
    ctx.stdout.write(`Drover is already running at ${recorded}\n`);
    return 0;
  }
  // Something else answers at the address: another home's server. Talking to it would be wrong.
  if (url && (await answers(url, opts.home!))) {
    throw new CliError(`another Drover server (not the one of ${opts.home}) is listening at ${url}: stop it (drover down with its DROVER_HOME), or start this one on another port (--port)`);
  }

  if (args.bool('detach')) {
    const timeoutMs = parseDuration(args.string('timeout') ?? '30s');
    if (timeoutMs === undefined) throw new UsageError('invalid --timeout: use a duration like 30s', 'up');
    return detach(ctx, opts, timeoutMs);
  }

  // Loaded only here: everything else in the CLI starts without the server's dependencies.
  const { runServer } = await import('../../server/index.js');
  let stopped = false;
  const running = runServer(opts).finally(() => {
    stopped = true;
  });
  void announce(ctx, opts.home!, () => stopped);
  await running;
  return 0;
}

/** Prints one line once the foreground server has recorded its address and answers there. */
async function announce(ctx: Ctx, home: string, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    const u = recordedBy(home, process.pid);
    if (u && (await answers(u, home))) {
      ctx.stdout.write(`Drover is running at ${u} (press Ctrl-C to stop)\n${kubectlHint(home)}${dashboardHint(u)}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function detach(ctx: Ctx, opts: RunServerOptions, timeoutMs: number): Promise<number> {
  const home = opts.home!;
  mkdirSync(home, { recursive: true });
  const logPath = join(home, 'server.log');
  // The server writes its own log (rotated by size, a failed write never fatal). Its stderr comes
  // here until it is ready, so a start that fails says why even when the disk is too full for
  // the log; after that nobody reads it.
  const child = spawn(ctx.self.execPath, [...process.execArgv, ctx.self.script, ...foregroundArgs(opts)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...ctx.env, DROVER_HOME: home, DROVER_SERVER_LOG_FILE: logPath },
    cwd: ctx.cwd,
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  let exited: number | string | undefined;
  child.on('exit', (code, signal) => {
    exited = code ?? signal ?? 'unknown';
  });
  child.on('error', (err) => {
    exited = err.message;
  });
  const progress = startProgress(ctx, 'starting Drover');
  const started = ctx.now();
  let url: string | undefined;
  try {
    for (;;) {
      if (exited !== undefined) {
        // Let the last of its stderr arrive.
        await new Promise((r) => setTimeout(r, 50));
        const said = stderr.trimEnd().split('\n').slice(-20).map((l) => `  ${l}`).join('\n');
        throw new CliError(`the Drover server exited (${exited}) before it was ready${said ? `:\n${said}` : `; the end of ${logPath}:\n${tail(logPath, 20)}`}`);
      }
      url = recordedBy(home, child.pid);
      if (url) {
        progress.update(`starting Drover at ${url}`);
        if (await answers(url, home)) break;
      }
      if (ctx.now() - started > timeoutMs) {
        throw new CliError(`the Drover server did not answer within ${Math.round(timeoutMs / 1000)}s (pid ${child.pid}); see ${logPath}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    progress.stop();
  }
  child.stderr?.destroy();
  child.unref();
  child.removeAllListeners();
  ctx.stdout.write(`Drover is running at ${url} (logs: ${logPath})\n${kubectlHint(home)}${dashboardHint(url)}`);
  return 0;
}

/**
 * kubectl and the client libraries find the server through the kubeconfig it wrote. kubectl
 * sends a bearer token over TLS only: with a token but no CA in the kubeconfig (authentication
 * on, plain HTTP), only the libraries can use it.
 */
/** Where the dashboard is, and the token it asks for. */
function dashboardHint(url: string): string {
  return `The dashboard: ${url.replace(/\/+$/, '')}/ (sign in with the token of the kubeconfig, or one from drover token create)\n`;
}

function kubectlHint(home: string): string {
  const path = join(home, 'kubeconfig');
  if (!kubeconfigToken(home) || kubeconfigCa(home)) return `For kubectl and the Kubernetes client libraries: export KUBECONFIG=${path}\n`;
  return `For the Kubernetes client libraries: export KUBECONFIG=${path} (kubectl sends its token over TLS only: start Drover with --tls on, or DROVER_TLS=on, to use kubectl)\n`;
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `  ${l}`).join('\n');
  } catch {
    return '  (no log)';
  }
}
