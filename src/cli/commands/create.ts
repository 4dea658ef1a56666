import { readFileSync, statSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UsageError, type ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { CliError, type Ctx } from '../context.js';
import { applyFiles, FILE_FLAGS, sendDocuments } from './apply.js';

export const command: Command = {
  name: 'create',
  usage: 'drover create (-f FILENAME | namespace NAME | configmap NAME [--from-literal=K=V] [--from-file=[K=]PATH] | secret generic NAME [...]) [options]',
  summary: 'Create resources from files or stdin (fails if they exist)',
  description: `Create resources from files or stdin, as "kubectl create" does: unlike apply, it fails with
AlreadyExists when an object is already there. Also creates namespaces, config maps and generic
secrets from the command line.`,
  examples: `
  drover create -f examples/job.yaml
  drover create namespace ml
  drover create configmap train-hp --from-literal=lr=0.01 --from-file=config.json
  drover create secret generic creds --from-literal=token=abc`,
  flags: [
    ...FILE_FLAGS,
    { name: 'from-literal', type: 'strings', value: 'KEY=VALUE', description: 'A key and literal value for a config map or secret. May be repeated.' },
    { name: 'from-file', type: 'strings', value: '[KEY=]PATH', description: 'A file (key defaults to its name) or a directory (each regular file) for a config map or secret. May be repeated.' },
  ],
  run,
};

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const [what, ...rest] = args.positionals;
  if (what === undefined) return applyFiles(ctx, args, 'create');
  if (args.strings('filename').length) throw new UsageError('-f cannot be combined with a resource to create', 'create');
  const ns = args.string('namespace');
  let obj: Record<string, unknown>;
  switch (what.toLowerCase()) {
    case 'namespace':
    case 'ns': {
      const name = single(rest, 'namespace');
      obj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
      break;
    }
    case 'configmap':
    case 'cm': {
      const name = single(rest, 'configmap');
      const { text, binary } = collectData(ctx, args);
      obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name, ns), data: text };
      if (Object.keys(binary).length) {
        obj['binaryData'] = Object.fromEntries(Object.entries(binary).map(([k, v]) => [k, v.toString('base64')]));
      }
      break;
    }
    case 'secret': {
      if (rest[0] !== 'generic') throw new UsageError('only "create secret generic NAME" is supported', 'create');
      const name = single(rest.slice(1), 'secret generic');
      const { text, binary } = collectData(ctx, args);
      const data: Record<string, string> = {};
      for (const [k, v] of Object.entries(text)) data[k] = Buffer.from(v).toString('base64');
      for (const [k, v] of Object.entries(binary)) data[k] = v.toString('base64');
      obj = { apiVersion: 'v1', kind: 'Secret', metadata: meta(name, ns), type: 'Opaque', data };
      break;
    }
    default:
      throw new UsageError(`unknown resource to create: "${what}" (use -f FILE, namespace, configmap or secret generic)`, 'create');
  }
  return sendDocuments(ctx, args, [{ file: '<command line>', text: JSON.stringify(obj), sourceDir: ctx.cwd }], 'create');
}

function meta(name: string, ns: string | undefined): Record<string, string> {
  return ns ? { name, namespace: ns } : { name };
}

function single(rest: string[], what: string): string {
  if (rest.length !== 1) throw new UsageError(`exactly one NAME is required for "create ${what}", got ${rest.length}`, 'create');
  return rest[0]!;
}

/** Values from --from-literal and --from-file; files that are not UTF-8 text go to binary data. */
function collectData(ctx: Ctx, args: ParsedArgs): { text: Record<string, string>; binary: Record<string, Buffer> } {
  const text: Record<string, string> = {};
  const binary: Record<string, Buffer> = {};
  const put = (key: string, buf: Buffer, source: string) => {
    if (key in text || key in binary) throw new CliError(`cannot add key "${key}" from ${source}: another value has the same key`);
    const s = buf.toString('utf8');
    if (Buffer.from(s, 'utf8').equals(buf)) text[key] = s;
    else binary[key] = buf;
  };
  for (const lit of args.strings('from-literal')) {
    const eq = lit.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid literal source ${lit}, expected key=value`, 'create');
    put(lit.slice(0, eq), Buffer.from(lit.slice(eq + 1)), `--from-literal=${lit}`);
  }
  for (const spec of args.strings('from-file')) {
    const eq = spec.indexOf('=');
    const [key, path] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [undefined, spec];
    const abs = resolve(ctx.cwd, path);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new CliError(`error reading ${path}: no such file or directory`);
    }
    if (st.isDirectory()) {
      if (key) throw new CliError(`cannot give a key for a directory: ${spec}`);
      for (const e of readdirSync(abs, { withFileTypes: true })) {
        if (e.isFile()) put(e.name, readFileSync(join(abs, e.name)), join(path, e.name));
      }
    } else {
      put(key ?? basename(abs), readFileSync(abs), path);
    }
  }
  return { text, binary };
}
