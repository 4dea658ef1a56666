/**
 * withItems / withParam / withSequence: one child per item, named `<step>(<index>:<label>)`, with
 * `{{item}}` (and `{{item.key}}` for maps) in its scope.
 */
import { substitute, substituteString, type Scope } from './scope.js';
import type { DAGTask, WorkflowStep } from './types.js';

export interface Expansion {
  name: string;
  displayName: string;
  scope: [string, string][];
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Label for a loop child's name: `(0:hello)`, maps as `key:value,…` with sorted keys. */
function itemLabel(item: unknown): string {
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    return Object.keys(item)
      .sort()
      .map((k) => `${k}:${str((item as Record<string, unknown>)[k])}`)
      .join(',');
  }
  return str(item);
}

function itemScope(item: unknown): [string, string][] {
  const out: [string, string][] = [['item', str(item)]];
  const walk = (prefix: string, v: unknown): void => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    for (const [k, child] of Object.entries(v)) {
      out.push([`${prefix}.${k}`, str(child)]);
      walk(`${prefix}.${k}`, child);
    }
  };
  walk('item', item);
  return out;
}

/** printf-style formats that withSequence uses: `%d`, `%02d`, `%x`, `%s`, with surrounding text. */
function formatSequence(format: string | undefined, n: number): string {
  if (!format) return String(n);
  return format.replace(/%(0?)(\d*)([dxXos])/g, (_m, zero: string, width: string, verb: string) => {
    let s = verb === 'x' ? n.toString(16) : verb === 'X' ? n.toString(16).toUpperCase() : verb === 'o' ? n.toString(8) : String(n);
    const w = Number(width || 0);
    if (s.length < w) s = (zero ? '0' : ' ').repeat(w - s.length) + s;
    return s;
  });
}

export function isLooped(step: WorkflowStep | DAGTask): boolean {
  return !!(step.withItems || step.withParam || step.withSequence);
}

/** Loop expansion: one entry per item, or the single step. */
export function expandItems(step: WorkflowStep | DAGTask, scope: Scope, base: string, displayBase: string): { items: Expansion[] } | { error: string } {
  let items: unknown[] | undefined;
  if (step.withItems) items = substitute(step.withItems as unknown[], scope);
  else if (step.withParam) {
    const raw = substituteString(step.withParam, scope);
    try {
      const parsed: unknown = JSON.parse(raw);
      if (!Array.isArray(parsed)) throw new Error('not a list');
      items = parsed;
    } catch {
      return { error: `withParam value could not be parsed as a JSON list: ${raw.length > 200 ? raw.slice(0, 200) + '…' : raw}` };
    }
  } else if (step.withSequence) {
    const seq = substitute(step.withSequence, scope);
    const start = seq.start !== undefined ? Number(seq.start) : 0;
    let end: number;
    if (seq.count !== undefined) end = start + Number(seq.count) - 1;
    else if (seq.end !== undefined) end = Number(seq.end);
    else return { error: 'withSequence needs count or end' };
    if (!Number.isInteger(start) || !Number.isInteger(end)) return { error: 'withSequence start, end and count must be integers' };
    items = [];
    if (seq.count !== undefined && Number(seq.count) === 0) items = [];
    else if (end >= start) for (let n = start; n <= end; n++) items.push(formatSequence(seq.format, n));
    else for (let n = start; n >= end; n--) items.push(formatSequence(seq.format, n));
  }
  if (!items) return { items: [{ name: base, displayName: displayBase, scope: [] }] };
  return {
    items: items.map((item, i) => ({ name: `${base}(${i}:${itemLabel(item)})`, displayName: `${displayBase}(${i}:${itemLabel(item)})`, scope: itemScope(item) })),
  };
}
