/**
 * What a command runs with: its streams, environment and clock, so commands can be driven in tests
 * without touching the real process. Also where the server address and Drover's home come from.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { kubeconfigCa, kubeconfigToken } from '../identity/kubeconfig.js';

export interface Output {
  write(text: string | Uint8Array): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface Ctx {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadableStream;
  now(): number;
  /** Argv[0..1] to re-run this CLI (for `up -d`): `[node, bin/drover.js]`. */
  self: { execPath: string; script: string };
}

export function processCtx(): Ctx {
  // `drover logs ... | head`: a closed pipe ends the command quietly, as it does for kubectl.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    // Made only when a command reads it (apply -f -): opening stdin costs most commands ~5 ms.
    get stdin() {
      return process.stdin;
    },
    now: () => Date.now(),
    self: { execPath: process.execPath, script: process.argv[1] ?? '' },
  };
}

/** ANSI colours on stdout: only to a terminal, and not when NO_COLOR is set or TERM=dumb. */
export function colorEnabled(ctx: Pick<Ctx, 'stdout' | 'env'>): boolean {
  return !!ctx.stdout.isTTY && !ctx.env['NO_COLOR'] && ctx.env['TERM'] !== 'dumb';
}

/** A failure the CLI reports as `error: message` and exit code 1. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

export const DEFAULT_PORT = 7450;

/** `$DROVER_HOME`, else `~/.drover`. */
export function droverHome(env: Ctx['env']): string {
  const h = env['DROVER_HOME'];
  return h && h.trim() ? h : join(env['HOME'] || homedir(), '.drover');
}

export interface ServerInfo {
  port: number;
  pid?: number;
  /** Where the server says it listens (`http://127.0.0.1:7450`). */
  url?: string;
}

/** The `server.json` a running server writes into its home, or undefined when absent or unreadable. */
export function readServerInfo(home: string): ServerInfo | undefined {
  try {
    const v: unknown = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8'));
    if (v && typeof v === 'object' && 'port' in v && typeof v.port === 'number') {
      const info: ServerInfo = { port: v.port };
      if ('pid' in v && typeof v.pid === 'number') info.pid = v.pid;
      if ('url' in v && typeof v.url === 'string' && /^https?:\/\/[^/]+$/.test(v.url) && !/\/\/(0\.0\.0\.0|\[::\])[:/]/.test(v.url)) info.url = v.url;
      return info;
    }
  } catch {
    // absent or half-written: fall back to the default port
  }
  return undefined;
}

/**
 * The server's base URL: `--server`, then `$DROVER_SERVER`, then the address in
 * `$DROVER_HOME/server.json`, then `$DROVER_PORT`, then 7450 on this machine.
 */
export function serverUrl(env: Ctx['env'], flag?: string): string {
  const explicit = flag || env['DROVER_SERVER'];
  if (explicit) return explicit.replace(/\/+$/, '');
  const info = readServerInfo(droverHome(env));
  if (info) return info.url ?? `http://127.0.0.1:${info.port}`;
  const port = Number(env['DROVER_PORT']);
  return `http://127.0.0.1:${Number.isInteger(port) && port > 0 ? port : DEFAULT_PORT}`;
}

/**
 * The bearer token the CLI sends: `$DROVER_TOKEN`, else the one in the kubeconfig the server of
 * `$DROVER_HOME` wrote. Nothing to do for the user who started the server.
 */
export function serverToken(env: Ctx['env']): string | undefined {
  return env['DROVER_TOKEN'] || kubeconfigToken(droverHome(env));
}

/**
 * The CA an https:// server's certificate must chain to: the PEM file `$DROVER_CA_FILE`, else the
 * one in the kubeconfig the server of `$DROVER_HOME` wrote; undefined: the system's CAs.
 */
export function serverCa(env: Ctx['env']): string | undefined {
  const file = env['DROVER_CA_FILE'];
  if (file) {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read DROVER_CA_FILE ${file}: ${(err as Error).message}`);
    }
  }
  return kubeconfigCa(droverHome(env));
}
