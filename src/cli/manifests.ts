/**
 * Reading `-f` arguments: files, directories (`*.yaml|*.yml|*.json`, `-R` to recurse) and stdin,
 * as the documents the apply endpoint takes. The CLI does not validate them; the server does,
 * with file, line and column.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ApplyDocument } from './client.js';
import { CliError, type Ctx } from './context.js';

const MANIFEST = /\.(ya?ml|json)$/i;

async function readStdin(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

function listDir(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) out.push(...listDir(p, true));
    } else if (MANIFEST.test(e.name)) {
      out.push(p);
    }
  }
  return out;
}

/**
 * Expands `-f` values to the files they name, in the order kubectl visits them: each argument in
 * turn, a directory's entries in lexical order. `file` is the path as the user wrote it (for messages).
 */
export function expandFilenames(filenames: readonly string[], cwd: string, recursive: boolean): { file: string; path: string }[] {
  const out: { file: string; path: string }[] = [];
  for (const f of filenames) {
    if (f === '-') {
      out.push({ file: '<stdin>', path: '-' });
      continue;
    }
    if (/^https?:\/\//.test(f)) throw new CliError(`reading manifests from URLs is not supported: "${f}" (download it and pass the file)`);
    const abs = resolve(cwd, f);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new CliError(`the path "${f}" does not exist`);
    }
    if (st.isDirectory()) {
      for (const p of listDir(abs, recursive)) {
        const rel = p.slice(abs.length).replace(/^\/+/, '');
        out.push({ file: join(f, rel), path: p });
      }
    } else {
      out.push({ file: f, path: abs });
    }
  }
  return out;
}

/** The documents to send for `-f` arguments. */
export async function readManifests(ctx: Ctx, filenames: readonly string[], recursive: boolean): Promise<ApplyDocument[]> {
  const files = expandFilenames(filenames, ctx.cwd, recursive);
  if (files.filter((f) => f.path === '-').length > 1) throw new CliError('"-" (stdin) may be given to -f only once');
  const docs: ApplyDocument[] = [];
  for (const f of files) {
    if (f.path === '-') {
      docs.push({ file: '<stdin>', text: await readStdin(ctx.stdin), sourceDir: ctx.cwd });
    } else {
      let text: string;
      try {
        text = readFileSync(f.path, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read "${f.file}": ${(err as Error).message}`);
      }
      docs.push({ file: f.file, text, sourceDir: dirname(f.path) });
    }
  }
  return docs;
}

export interface ManifestRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  file: string;
}

/** Kind, name and namespace of each document (for `delete -f`), expanding `kind: List`. */
export async function manifestRefs(docs: readonly ApplyDocument[]): Promise<ManifestRef[]> {
  const { parseAllDocuments } = await import('yaml');
  const refs: ManifestRef[] = [];
  const visit = (v: unknown, file: string) => {
    if (!v || typeof v !== 'object') return;
    const o = v as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; items?: unknown };
    if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) {
      for (const item of o.items) visit(item, file);
      return;
    }
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
      throw new CliError(`${file}: every document needs apiVersion, kind and metadata.name`);
    }
    const ref: ManifestRef = { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, file };
    if (typeof o.metadata.namespace === 'string' && o.metadata.namespace) ref.namespace = o.metadata.namespace;
    refs.push(ref);
  };
  for (const d of docs) {
    for (const doc of parseAllDocuments(d.text)) {
      if (doc.errors.length) throw new CliError(`${d.file}: ${doc.errors[0]!.message.split('\n')[0]}`);
      visit(doc.toJS(), d.file);
    }
  }
  return refs;
}
