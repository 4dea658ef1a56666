/**
 * Workflow parameters given on the command line (`-p NAME=VALUE`, `--parameter-file`), shared by
 * `submit`, `retry` and `resubmit`. Kept apart from the YAML editing so that `retry` does not load
 * the YAML parser.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError, type FlagSpec, type ParsedArgs } from '../args.js';
import { CliError, type Ctx } from '../context.js';

export const PARAMETER_FLAGS: FlagSpec[] = [
  { name: 'parameter', short: 'p', type: 'strings', value: 'NAME=VALUE', description: 'Set a workflow parameter (spec.arguments.parameters). May be repeated.' },
];

/** `NAME=VALUE` → [name, value], as Argo splits it (at the first `=`). */
export function parseParameter(text: string, command = 'submit'): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`expected parameter of the form: NAME=VALUE. Received: ${text}`, command);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** A `--parameter-file`: a YAML or JSON map of names to values; non-string values become JSON. */
export async function parseParameterFile(text: string, file: string): Promise<[string, string][]> {
  const { parse } = await import('yaml');
  let v: unknown;
  try {
    v = parse(text);
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (v === null || v === undefined) return [];
  if (typeof v !== 'object' || Array.isArray(v)) throw new CliError(`${file}: a parameter file must be a map of NAME: VALUE`);
  return Object.entries(v as Record<string, unknown>).map(([k, val]) => [k, typeof val === 'string' ? val : typeof val === 'object' && val !== null ? JSON.stringify(val) : String(val)]);
}

/** The last value given for each name, in first-mention order. */
export function mergeParameters(...lists: [string, string][][]): [string, string][] {
  const m = new Map<string, string>();
  for (const list of lists) for (const [k, v] of list) m.set(k, v);
  return [...m];
}

/** `--parameter-file` (when `withFile`) then `-p`, the later winning, as Argo merges them. */
export async function collectParameters(ctx: Ctx, args: ParsedArgs, command: string, withFile = true): Promise<[string, string][]> {
  let fromFile: [string, string][] = [];
  const file = withFile ? args.string('parameter-file') : undefined;
  if (file) {
    let text: string;
    try {
      text = readFileSync(resolve(ctx.cwd, file), 'utf8');
    } catch (err) {
      throw new CliError(`cannot read parameter file "${file}": ${(err as Error).message}`);
    }
    fromFile = await parseParameterFile(text, file);
  }
  return mergeParameters(fromFile, args.strings('parameter').map((p) => parseParameter(p, command)));
}
