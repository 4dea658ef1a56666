import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { CliError, droverHome, type Ctx } from '../context.js';

export const command: Command = {
  name: 'kubeconfig',
  namespaced: false,
  usage: 'drover kubeconfig [--home DIR]',
  summary: 'Print the kubeconfig for kubectl and the Kubernetes client libraries',
  description: `Print the kubeconfig the running server wrote into its home ($DROVER_HOME/kubeconfig). Point kubectl
and the client libraries at it with: export KUBECONFIG=$DROVER_HOME/kubeconfig`,
  flags: [{ name: 'home', type: 'string', value: 'DIR', description: "The server's home (default: $DROVER_HOME, else ~/.drover)." }],
  run,
};

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const home = args.string('home') ?? droverHome(ctx.env);
  const path = join(home, 'kubeconfig');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new CliError(`no kubeconfig at ${path}: start Drover with "drover up" (it writes one)`);
  }
  ctx.stdout.write(text);
  return 0;
}
