import { readFileSync } from 'node:fs';
import { UsageError, type ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { colorEnabled, CliError, type Ctx } from '../context.js';
import { expandFilenames } from '../manifests.js';
import { ansi } from '../../kinds/workflows/cli/tree.js';
import { manifestLoader } from '../../registry.js';

export const command: Command = {
  name: 'lint',
  usage: 'drover lint (FILE | DIR | -)... [-o pretty|simple] [options]',
  summary: 'Check Workflow and other manifests offline, with file:line:col errors',
  description: `Check manifests without a server, as "argo lint" does: every document is parsed and validated
as the server would validate it (upstream schemas, the fields Drover supports, Argo's rules such as
references to missing templates or undeclared parameters). Each problem is printed as
FILE:LINE:COL: message, and the command exits 1; with no problem it prints
"no linting errors found!". Directories are searched recursively for *.yaml, *.yml and *.json.`,
  examples: `
  drover lint examples/workflows/
  drover lint pipeline.yaml -o simple
  cat wf.yaml | drover lint -`,
  flags: [{ name: 'output', short: 'o', type: 'string', default: 'pretty', value: 'FORMAT', description: 'pretty (icons, a summary line) or simple (plain lines).' }],
  namespaced: false,
  run,
};

async function readStdin(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const format = args.string('output') ?? 'pretty';
  if (format !== 'pretty' && format !== 'simple') throw new UsageError(`unknown output format "${format}": use pretty or simple`, 'lint');
  if (args.positionals.length === 0) throw new UsageError('a file or directory to lint is required', 'lint');
  const pretty = format === 'pretty';
  const color = pretty && colorEnabled(ctx);
  const files = expandFilenames(args.positionals, ctx.cwd, true);
  // The validators are loaded only here: lint is the one command that validates on the client.
  const loader = await manifestLoader();
  const { ValidationError, formatIssue } = await import('../../api/errors.js');
  let errors = 0;
  let linted = 0;
  for (const f of files) {
    let text: string;
    try {
      text = f.path === '-' ? await readStdin(ctx.stdin) : readFileSync(f.path, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read "${f.file}": ${(err as Error).message}`);
    }
    if (!text.trim()) continue;
    linted++;
    try {
      const loaded = loader.load(text, f.file);
      for (const w of loaded.warnings) ctx.stdout.write(`${w}\n`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      for (const issue of err.issues) {
        errors++;
        // FILE:LINE:COL first on the line, in both formats, so editors and CI can jump to it.
        ctx.stdout.write(`${formatIssue({ ...issue, file: issue.file ?? f.file })}\n`);
      }
    }
  }
  if (linted === 0) {
    ctx.stdout.write(pretty ? `${ansi('✖ found nothing to lint in the specified paths, failing...', color ? 31 : undefined)}\n` : 'found nothing to lint in the specified paths, failing...\n');
    return 1;
  }
  if (errors === 0) {
    ctx.stdout.write(pretty ? `${ansi('✔', color ? 32 : undefined)} no linting errors found!\n` : 'no linting errors found!\n');
    return 0;
  }
  if (pretty) ctx.stdout.write(`${ansi(`✖ ${errors} linting error${errors === 1 ? '' : 's'} found!`, color ? 31 : undefined)}\n`);
  return 1;
}
