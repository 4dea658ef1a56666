/**
 * What a kind's table looks like in `get`: its columns, row order and the detail view of one
 * object, as kubectl's printers (k8s.io/kubernetes/pkg/printers/internalversion) lay them out,
 * with the columns and formats every kind shares. Each kind declares its own printer in
 * src/kinds/<family>/cli; a kind without one prints NAME AGE.
 */
import type { KubeObject } from '../api/types.js';
import { age } from './units.js';

export interface Column {
  header: string;
  /** Only with `-o wide`. */
  wide?: boolean;
  cell(obj: KubeObject, now: number): string;
}

export interface DetailOptions {
  now: number;
  wide: boolean;
  /** ANSI colours are welcome (stdout is a terminal). */
  color: boolean;
}

export interface KindPrinter {
  columns: Column[];
  /** Row order; defaults to namespace then name. */
  compare?(a: KubeObject, b: KubeObject): number;
  /**
   * What `get KIND NAME` prints for a named object instead of a table row, for kinds whose own
   * CLI shows more (a Workflow's `argo get` tree). Lists still print rows.
   */
  detail?(obj: KubeObject, opts: DetailOptions): string;
}

export const nameColumn: Column = { header: 'NAME', cell: (o) => o.metadata.name ?? '' };
export const ageColumn: Column = { header: 'AGE', cell: (o, now) => age(o.metadata.creationTimestamp, now) };

export const DEFAULT_PRINTER: KindPrinter = { columns: [nameColumn, ageColumn] };

/** `value`, or `fallback` when it is empty (kubectl's `<none>` cells). */
export function orDefault(v: string | undefined | null, fallback: string): string {
  return v ? v : fallback;
}

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export function conditions(obj: { status?: unknown }): Condition[] {
  const s = obj.status as { conditions?: Condition[] } | undefined;
  return Array.isArray(s?.conditions) ? s.conditions : [];
}

export function hasCondition(obj: { status?: unknown }, type: string): boolean {
  return conditions(obj).some((c) => c.type === type && c.status === 'True');
}

/** `k=v,k2=v2` sorted by key, or `<none>`. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
}

/** A Job's `spec.selector` as kubectl writes a LabelSelector. */
export function formatLabelSelector(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): string {
  if (!sel) return '<none>';
  const parts: string[] = Object.entries(sel.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'exists') parts.push(e.key);
    else if (op === 'doesnotexist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op} (${[...(e.values ?? [])].sort().join(',')})`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

