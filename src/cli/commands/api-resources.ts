import type { ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import type { Ctx } from '../context.js';
import { KINDS } from '../../registry.js';
import { formatTable } from '../../print/tabwriter.js';

export const command: Command = {
  name: 'api-resources',
  namespaced: false,
  usage: 'drover api-resources [options]',
  summary: 'List the resource kinds the server serves',
  description: 'List the resource kinds Drover serves, with the names and short names the CLI accepts.',
  flags: [{ name: 'no-headers', type: 'boolean', description: 'Do not print headers.' }],
  run,
};

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const rows = [...KINDS.all]
    .sort((a, b) => a.plural.localeCompare(b.plural))
    .map((k) => [k.plural, k.shortNames.join(','), k.apiVersion, String(k.namespaced), k.kind]);
  if (!args.bool('no-headers')) rows.unshift(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
  ctx.stdout.write(formatTable(rows));
  return 0;
}
