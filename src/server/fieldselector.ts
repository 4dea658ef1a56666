/** `fieldSelector` as Kubernetes accepts it: `a.b=x,c!=y` on dotted field paths. */
import type { KubeObject } from '../api/types.js';
import { BadRequestError } from '../api/errors.js';

export type FieldRequirement = { path: string[]; equals: boolean; value: string };

export function parseFieldSelector(text: string): FieldRequirement[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(p);
      if (!m) throw new BadRequestError(`invalid field selector "${p}"`);
      return { path: m[1]!.split('.'), equals: m[2] !== '!=', value: m[3]! };
    });
}

export function matchesFields(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => {
    let v: unknown = obj;
    for (const k of r.path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    const s = v === undefined || v === null ? '' : String(v);
    return (s === r.value) === r.equals;
  });
}
