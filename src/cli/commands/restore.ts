import { join } from 'node:path';
import { UsageError, type ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { CliError, droverHome, type Ctx } from '../context.js';

export const command: Command = {
  name: 'restore',
  namespaced: false,
  usage: 'drover restore FILE [--home DIR]',
  summary: 'Put a backup in place of the store (the server stopped)',
  description: `Replace the store of a home whose server is stopped with a backup made by "drover backup".
The backup is checked first (nothing changes if it is damaged); the current store is kept beside it
as state.db.before-restore-<time>. Start the server again with "drover up": everything running in
the backup is adopted or restarted as after any restart.`,
  examples: '  drover down && drover restore ~/drover-2026-12-01.db && drover up -d',
  flags: [{ name: 'home', type: 'string', value: 'DIR', description: "The server's home (default: $DROVER_HOME, else ~/.drover)." }],
  run,
};

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const [file, ...extra] = args.positionals;
  if (!file || extra.length) throw new UsageError('restore needs exactly one FILE', 'restore');
  const home = args.string('home') ?? droverHome(ctx.env);
  // The home's lock: held by a running server, so a store in use is never replaced.
  const { lockHome } = await import('../../server/home-lock.js');
  const lock = lockHome(home);
  if (!lock) throw new CliError(`a Drover server is using ${home}: stop it first ("drover down"), then restore`);
  try {
    const { restoreStore } = await import('../../store/integrity.js');
    const kept = restoreStore(file, join(home, 'state.db'));
    ctx.stdout.write(`restored ${file} into ${join(home, 'state.db')}${kept ? `; the previous store is kept as ${kept}` : ''}\n`);
    return 0;
  } catch (err) {
    throw new CliError((err as Error).message);
  } finally {
    lock.release();
  }
}
