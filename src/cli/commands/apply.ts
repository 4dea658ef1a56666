import { UsageError, type FlagSpec, type ParsedArgs } from '../args.js';
import type { ApplyDocument } from '../client.js';
import { clientFor, namespaceOf, type Command } from '../command.js';
import { CliError, type Ctx } from '../context.js';
import { readManifests } from '../manifests.js';
import { qualifiedNameOf } from '../resources.js';

export const FILE_FLAGS: FlagSpec[] = [
  { name: 'filename', short: 'f', type: 'strings', value: 'FILE', description: 'A file, a directory of *.yaml|*.yml|*.json files, or "-" for stdin. May be repeated.' },
  { name: 'recursive', short: 'R', type: 'boolean', description: 'Process the directories given to -f recursively.' },
];

export const command: Command = {
  name: 'apply',
  usage: 'drover apply -f (FILENAME | DIRECTORY | -) [options]',
  summary: 'Create or update resources from files or stdin',
  description: `Create or update resources from files or stdin, as "kubectl apply" does.

All documents of one "apply" are validated together and stored in one transaction: if any is
invalid, nothing changes, and each problem is printed with its file, line and column.
Containers start in the directory of the manifest they came from unless they set workingDir.`,
  examples: `
  drover apply -f examples/job.yaml
  drover apply -f manifests/ -R
  cat job.yaml | drover apply -f -`,
  flags: FILE_FLAGS,
  run: (ctx, args) => applyFiles(ctx, args, 'apply'),
};

/** Shared by `apply` and `create -f`: reads the files, sends them in one request, prints kubectl's lines. */
export async function applyFiles(ctx: Ctx, args: ParsedArgs, mode: 'apply' | 'create'): Promise<number> {
  const files = args.strings('filename');
  if (files.length === 0) throw new UsageError('must specify -f FILE (a file, a directory, or - for stdin)', mode);
  if (args.positionals.length) throw new UsageError(`unexpected arguments: ${args.positionals.join(' ')}`, mode);
  const docs = await readManifests(ctx, files, args.bool('recursive'));
  if (docs.length === 0 || docs.every((d) => !d.text.trim())) throw new CliError(`no objects passed to ${mode}`);
  return sendDocuments(ctx, args, docs, mode);
}

export async function sendDocuments(ctx: Ctx, args: ParsedArgs, docs: ApplyDocument[], mode: 'apply' | 'create'): Promise<number> {
  const client = clientFor(ctx, args);
  try {
    const result = await client.apply(namespaceOf(args), docs, mode);
    for (const w of result.warnings ?? []) ctx.stderr.write(`Warning: ${w}\n`);
    for (const r of result.results ?? []) ctx.stdout.write(`${qualifiedNameOf(r.apiVersion, r.kind)}/${r.name} ${r.action}\n`);
    return 0;
  } finally {
    client.close();
  }
}
