/**
 * A trial's TrainJob spec: the template with each `{{.name}}` (spaces allowed inside the braces,
 * as Go's text/template takes them) replaced by the trial's value. Substitution is per string
 * field, never over the whole document, so a value cannot inject structure. Values stay strings,
 * as in the KEP, whose template is a typed TrainJob spec: placeholders sit in string fields only.
 */
import { isRecord } from '../../api/fieldpath.js';

const PLACEHOLDER = /\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The placeholders of a template, by name, each with the first path it is found at. */
export function placeholders(value: unknown, path: (string | number)[] = []): Map<string, (string | number)[]> {
  const found = new Map<string, (string | number)[]>();
  const walk = (v: unknown, p: (string | number)[]): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(PLACEHOLDER)) if (!found.has(m[1]!)) found.set(m[1]!, p);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (isRecord(v)) for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(value, path);
  return found;
}

export function render<T>(template: T, values: Readonly<Record<string, string>>): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(PLACEHOLDER, (all, name: string) => values[name] ?? all);
    if (Array.isArray(v)) return v.map(walk);
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(template) as T;
}
