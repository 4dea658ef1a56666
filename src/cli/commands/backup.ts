import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { UsageError, type ParsedArgs } from '../args.js';
import { clientFor, type Command } from '../command.js';
import { CliError, droverHome, type Ctx } from '../context.js';
import { ApiError } from '../client.js';

export const command: Command = {
  name: 'backup',
  namespaced: false,
  usage: 'drover backup FILE',
  summary: 'Copy the running server\'s whole store into FILE (an admin\'s command)',
  description: `Write a consistent copy of the store (every object, the change log, trials' metrics) into FILE
while the server runs (SQLite's online backup). Secrets stay encrypted in it: keep
$DROVER_HOME/secrets.key with it, apart from it. Put it back with "drover restore FILE".`,
  examples: '  drover backup ~/drover-$(date +%F).db',
  flags: [],
  run,
};

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const [file, ...extra] = args.positionals;
  if (!file || extra.length) throw new UsageError('backup needs exactly one FILE', 'backup');
  const client = clientFor(ctx, args);
  const tmp = `${file}.partial`;
  try {
    const res = await client.open('GET', '/apis/drover.dev/v1/backup');
    if (res.statusCode !== 200) {
      let body = '';
      for await (const c of res) body += (c as Buffer).toString();
      let message = body;
      try {
        message = (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        // not a Status
      }
      throw new CliError(`backup failed: ${message}`);
    }
    await pipeline(res, createWriteStream(tmp, { mode: 0o600 }));
    renameSync(tmp, file);
    ctx.stdout.write(`backed up the store of ${client.baseUrl} to ${file}; keep ${join(droverHome(ctx.env), 'secrets.key')} apart from it: Secrets need it\n`);
    return 0;
  } catch (err) {
    if (err instanceof ApiError) throw new CliError(`backup failed: ${err.message}`);
    throw err;
  } finally {
    client.close();
    if (existsSync(tmp)) rmSync(tmp, { force: true });
  }
}
