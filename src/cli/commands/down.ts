import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError, type ParsedArgs } from '../args.js';
import { Client } from '../client.js';
import { kubeconfigCa } from '../../identity/kubeconfig.js';
import type { Command } from '../command.js';
import { CliError, droverHome, readServerInfo, type Ctx } from '../context.js';
import { startProgress } from '../progress.js';
import { parseDuration } from '../../print/units.js';

export const command: Command = {
  name: 'down',
  namespaced: false,
  usage: 'drover down [--home DIR] [--timeout 30s] [options]',
  summary: 'Stop the Drover control plane started with "drover up -d"',
  description: `Stop the Drover server whose pid is recorded in $DROVER_HOME/server.json: send it SIGTERM (it stops
its pods and saves its state) and wait until it has exited.`,
  flags: [
    { name: 'home', type: 'string', value: 'DIR', description: 'The home of the server to stop (default: $DROVER_HOME, else ~/.drover).' },
    { name: 'timeout', type: 'string', default: '30s', value: 'DURATION', description: 'How long to wait for the server to exit.' },
  ],
  run,
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Guards against a recycled pid: on Linux, the process must look like a node/drover process. */
function looksLikeDrover(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return /node|drover/.test(cmd);
  } catch {
    return true; // no /proc: trust server.json
  }
}

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError(`unexpected arguments: ${args.positionals.join(' ')}`, 'down');
  const timeoutMs = parseDuration(args.string('timeout') ?? '30s');
  if (timeoutMs === undefined) throw new UsageError('invalid --timeout: use a duration like 30s', 'down');
  const home = resolve(ctx.cwd, args.string('home') || droverHome(ctx.env));
  const info = readServerInfo(home);
  const file = join(home, 'server.json');
  if (!info || info.pid === undefined) {
    ctx.stdout.write(`Drover is not running (no server recorded in ${file})\n`);
    return 0;
  }
  const pid = info.pid;
  const url = info.url ?? `http://127.0.0.1:${info.port}`;
  const client = new Client(url, undefined, kubeconfigCa(home));
  const answering = await client.healthy(1000);
  client.close();
  if (!alive(pid) || (!answering && !looksLikeDrover(pid))) {
    rmSync(file, { force: true });
    ctx.stdout.write(`Drover is not running (removed the stale ${file})\n`);
    return 0;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    throw new CliError(`cannot stop the Drover server (pid ${pid}): ${(err as Error).message}`);
  }
  const progress = startProgress(ctx, `stopping Drover (pid ${pid})`);
  const started = ctx.now();
  try {
    while (alive(pid)) {
      if (ctx.now() - started > timeoutMs) {
        throw new CliError(`the Drover server (pid ${pid}) did not exit within ${Math.round(timeoutMs / 1000)}s; stop it with "kill -9 ${pid}"`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    progress.stop();
  }
  ctx.stdout.write(`Drover stopped (was running at ${url})\n`);
  return 0;
}
