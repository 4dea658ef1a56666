/**
 * The shape of a CLI command and what commands share: global flags, the client, error reporting.
 */
import { formatFlags, UsageError, type FlagSpec, type ParsedArgs } from './args.js';
import { ApiError, Client } from './client.js';
import { CliError, serverCa, serverToken, serverUrl, type Ctx } from './context.js';
import { DEFAULT_NAMESPACE, type KubeObject } from '../api/types.js';
import type { KindInfo } from '../api/kinds.js';

export interface Command {
  name: string;
  /** `drover get KIND [NAME...] [options]` */
  usage: string;
  summary: string;
  /** Longer help shown above the examples. */
  description?: string;
  examples?: string;
  flags: FlagSpec[];
  /** Commands that take no namespace (`up`, `version`) hide `-n` from their help. */
  namespaced?: boolean;
  run(ctx: Ctx, args: ParsedArgs): Promise<number>;
}

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'namespace', short: 'n', type: 'string', value: 'NAME', description: 'If present, the namespace scope for this CLI request (default "default").' },
  { name: 'server', short: 's', type: 'string', value: 'URL', description: 'The address of the Drover server (default: $DROVER_SERVER, else the port in $DROVER_HOME/server.json, else http://127.0.0.1:7450).' },
  { name: 'help', short: 'h', type: 'boolean', description: 'Help for the command.' },
  { name: 'verbose', short: 'v', type: 'boolean', description: 'Print stack traces and more detail on errors.' },
];

export function namespaceOf(args: ParsedArgs): string {
  return args.string('namespace') || DEFAULT_NAMESPACE;
}

export function clientFor(ctx: Ctx, args: ParsedArgs): Client {
  return new Client(serverUrl(ctx.env, args.string('server')), serverToken(ctx.env), serverCa(ctx.env));
}

export function helpText(cmd: Command): string {
  const parts: string[] = [];
  parts.push(cmd.description ?? cmd.summary);
  if (cmd.examples) parts.push(`Examples:\n${cmd.examples.replace(/^\n+|\n+$/g, '')}`);
  if (cmd.flags.length) parts.push(`Options:\n${formatFlags(cmd.flags)}`);
  const globals = GLOBAL_FLAGS.filter((f) => cmd.namespaced !== false || f.name !== 'namespace');
  parts.push(`Global options:\n${formatFlags(globals)}`);
  parts.push(`Usage:\n  ${cmd.usage}`);
  return parts.join('\n\n') + '\n';
}

/** Prints an API error as kubectl does; an `Invalid` with causes prints one line per cause. */
/** Gets each named object, printing kubectl's error line for each one that fails (as kubectl goes on with the rest). */
export async function getNamed(ctx: Ctx, client: Client, kind: KindInfo, namespace: string, names: string[]): Promise<{ objects: KubeObject[]; failed: boolean }> {
  const objects: KubeObject[] = [];
  let failed = false;
  for (const name of names) {
    try {
      objects.push(await client.get(kind, namespace, name));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      printApiError(ctx, err);
      failed = true;
    }
  }
  return { objects, failed };
}

export function printApiError(ctx: Ctx, err: ApiError): void {
  const causes = err.status.details?.causes ?? [];
  if (err.status.reason === 'Invalid' && causes.length > 0) {
    for (const c of causes) ctx.stderr.write(`Error from server (Invalid): ${c.message}\n`);
    return;
  }
  ctx.stderr.write(`Error from server (${err.status.reason}): ${err.status.message}\n`);
}

/** Reports any failure on stderr and returns the exit code. */
export function reportError(ctx: Ctx, err: unknown, command: string | undefined, verbose: boolean): number {
  if (err instanceof UsageError) {
    const cmd = err.command ?? command;
    ctx.stderr.write(`error: ${err.message}\nSee 'drover ${cmd ? cmd + ' ' : ''}--help' for usage.\n`);
    return 1;
  }
  if (err instanceof ApiError) {
    printApiError(ctx, err);
    return 1;
  }
  if (err instanceof CliError) {
    ctx.stderr.write(`error: ${err.message}\n`);
    if (verbose && err.stack) ctx.stderr.write(err.stack + '\n');
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  ctx.stderr.write(`error: ${e.message}\n`);
  if (verbose && e.stack) ctx.stderr.write(e.stack + '\n');
  return 1;
}
