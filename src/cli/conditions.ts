/**
 * What `wait --for=...` means, as pure functions: parse the flag, and judge one object against it.
 * What a kind adds (its progress line, ends that rule a target out) comes from its family.
 */
import type { KubeObject } from '../api/types.js';
import type { WaitTarget } from '../kinds/types.js';
import { UsageError } from './args.js';
import { waitFor } from '../registry.js';

export type WaitFor =
  | { type: 'delete' }
  | { type: 'create' }
  | { type: 'condition'; condition: string; value: string }
  | { type: 'jsonpath'; path: (string | number)[]; expr: string; value?: string };

/** Parses `delete`, `create`, `condition=Complete[=True]`, `jsonpath={.status.phase}[=Running]`. */
export function parseWaitFor(text: string): WaitFor {
  const t = text.trim();
  if (t.toLowerCase() === 'delete') return { type: 'delete' };
  if (t.toLowerCase() === 'create') return { type: 'create' };
  if (t.toLowerCase().startsWith('condition=')) {
    const rest = t.slice('condition='.length);
    const eq = rest.indexOf('=');
    const condition = eq === -1 ? rest : rest.slice(0, eq);
    const value = eq === -1 ? 'True' : rest.slice(eq + 1);
    if (!condition) throw new UsageError(`invalid --for "${text}": the condition type is missing (e.g. condition=Complete)`, 'wait');
    return { type: 'condition', condition, value: value || 'True' };
  }
  if (t.toLowerCase().startsWith('jsonpath=')) {
    const rest = t.slice('jsonpath='.length);
    const m = /^'?(\{[^}]*\})'?(?:=(.*))?$/.exec(rest);
    if (!m) throw new UsageError(`invalid --for "${text}": expected jsonpath='{.status.phase}'=VALUE`, 'wait');
    const path = parseJsonPath(m[1]!);
    return m[2] !== undefined ? { type: 'jsonpath', path, expr: m[1]!, value: m[2] } : { type: 'jsonpath', path, expr: m[1]! };
  }
  throw new UsageError(`unrecognized condition: "${text}" (use delete, create, condition=TYPE[=VALUE] or jsonpath='{.path}'=VALUE)`, 'wait');
}

/** `{.status.conditions[0].type}` → ['status', 'conditions', 0, 'type']. Only plain field and index steps. */
export function parseJsonPath(expr: string): (string | number)[] {
  const inner = expr.replace(/^\{/, '').replace(/\}$/, '').trim();
  if (!inner.startsWith('.')) throw new UsageError(`unsupported jsonpath "${expr}": it must start with "{."`, 'wait');
  const out: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']+)'\]/g;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(inner))) {
    if (m.index !== pos) break;
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!));
    pos = re.lastIndex;
  }
  if (pos !== inner.length || out.length === 0) throw new UsageError(`unsupported jsonpath "${expr}": only .field, [N] and ['key'] steps are supported`, 'wait');
  return out;
}

export function getPath(obj: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const step of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[step];
  }
  return cur;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export function findCondition(obj: KubeObject, type: string): Condition | undefined {
  const conds = (obj['status'] as { conditions?: Condition[] } | undefined)?.conditions;
  return Array.isArray(conds) ? conds.find((c) => (c.type ?? '').toLowerCase() === type.toLowerCase()) : undefined;
}


export type Verdict = { state: 'met' } | { state: 'pending' } | { state: 'failed'; message: string };

/**
 * Judges an object (undefined: it does not exist) against `--for`. A Job that fails while the
 * caller waits for Complete is reported failed at once rather than waited on until the timeout
 * (kubectl keeps waiting); likewise a Job that completes while the caller waits for Failed.
 */
export function judge(obj: KubeObject | undefined, want: WaitFor): Verdict {
  if (want.type === 'delete') return obj ? { state: 'pending' } : { state: 'met' };
  if (!obj) return { state: 'pending' };
  if (want.type === 'create') return { state: 'met' };
  if (want.type === 'jsonpath') {
    const v = getPath(obj, want.path);
    if (want.value === undefined) return v !== undefined && v !== null ? { state: 'met' } : { state: 'pending' };
    const s = typeof v === 'object' && v !== null ? JSON.stringify(v) : v === undefined || v === null ? '' : String(v);
    if (s === want.value) return { state: 'met' };
    return unreachable(obj, { type: 'jsonpath', path: want.path, value: want.value });
  }
  const c = findCondition(obj, want.condition);
  if (c && (c.status ?? '').toLowerCase() === want.value.toLowerCase()) return { state: 'met' };
  return unreachable(obj, { type: 'condition', condition: want.condition, value: want.value });
}

/** A kind may know that what is waited for can no longer happen (a failed Job never completes): said at once. */
function unreachable(obj: KubeObject, target: WaitTarget): Verdict {
  const why = waitFor(obj.kind)?.unreachable?.(obj, target);
  return why === undefined ? { state: 'pending' } : { state: 'failed', message: why };
}

/** The state shown in the progress line while waiting (`1 active, 0 succeeded`). */
export function progressState(obj: KubeObject | undefined): string {
  if (!obj) return 'not found';
  const own = waitFor(obj.kind)?.progress;
  if (own) return own(obj);
  const status = (obj['status'] ?? {}) as Record<string, unknown>;
  const phase = status['phase'];
  if (typeof phase === 'string') return phase;
  const conds = (status['conditions'] as Condition[] | undefined) ?? [];
  const trueOnes = conds.filter((c) => c.status === 'True').map((c) => c.type);
  return trueOnes.length ? trueOnes.join(', ') : 'no conditions yet';
}
