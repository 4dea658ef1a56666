import { readFileSync } from 'node:fs';
import { UsageError, type ParsedArgs } from '../args.js';
import { clientFor, type Command } from '../command.js';
import { CliError, type Ctx } from '../context.js';
import { toJson, toYaml } from '../printers.js';

export const command: Command = {
  name: 'version',
  namespaced: false,
  usage: 'drover version [--client] [-o json|yaml] [options]',
  summary: 'Print the client and server versions',
  flags: [
    { name: 'client', type: 'boolean', description: 'Print the client version only (no server needed).' },
    { name: 'output', short: 'o', type: 'string', value: 'FORMAT', description: 'json or yaml.' },
  ],
  run,
};

/** The version in Drover's package.json, found by walking up from this module. */
export function clientVersion(): string {
  let dir = new URL('.', import.meta.url);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'drover' && pkg.version) return `v${pkg.version}`;
    } catch {
      // keep walking up
    }
    dir = new URL('..', dir);
  }
  return 'unknown';
}

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const format = args.string('output');
  if (format !== undefined && format !== 'json' && format !== 'yaml') throw new UsageError(`--output must be json or yaml, not "${format}"`, 'version');
  const client = { gitVersion: clientVersion() };
  let server: Record<string, unknown> | undefined;
  let serverError: unknown;
  if (!args.bool('client')) {
    const c = clientFor(ctx, args);
    try {
      server = await c.version();
    } catch (err) {
      serverError = err;
    } finally {
      c.close();
    }
  }
  if (format) {
    const v = { clientVersion: client, ...(server ? { serverVersion: server } : {}) };
    ctx.stdout.write(format === 'json' ? toJson(v) : await toYaml(v));
  } else {
    ctx.stdout.write(`Client Version: ${client.gitVersion}\n`);
    if (server) {
      // Drover's own version; `gitVersion` is the Kubernetes release its API speaks.
      const drover = server['drover'] as { gitVersion?: string } | undefined;
      const sv = drover?.gitVersion ?? server['gitVersion'] ?? server['version'] ?? JSON.stringify(server);
      ctx.stdout.write(`Server Version: ${String(sv)}\n`);
    }
  }
  if (serverError) throw serverError instanceof Error ? serverError : new CliError(String(serverError));
  return 0;
}
