/**
 * Template tags: `{{inputs.parameters.lr}}` is looked up in a scope of flat names, `{{=expr}}` is
 * evaluated as an expression over the same names. A tag whose name is not in scope is left as
 * written, as Argo does, so a later pass (the exit handler's `{{workflow.status}}`) can fill it.
 */
import { ExpressionError, evaluateExpression, expressionEnv, formatValue } from './expr/index.js';

/** Flat variable names (`steps.train.outputs.result`) to their string values. */
export type Scope = Map<string, string>;

const TAG = /\{\{(.*?)\}\}/gs;

/** Replaces the tags in one string. */
export function substituteString(s: string, scope: Scope): string {
  if (!s.includes('{{')) return s;
  let env: Record<string, unknown> | undefined;
  return s.replace(TAG, (whole, inner: string) => {
    const body = inner.trim();
    if (body.startsWith('=')) {
      env ??= expressionEnv(scope);
      try {
        return formatValue(evaluateExpression(body.slice(1), env));
      } catch (err) {
        // A name not in scope yet (`workflow.status` before the exit handler) leaves the tag for a later pass.
        if (err instanceof ExpressionError && err.unknownName !== undefined) return whole;
        throw err;
      }
    }
    const v = scope.get(body);
    return v === undefined ? whole : v;
  });
}

/** Replaces the tags in every string of a JSON-like value (keys included), returning a copy. */
export function substitute<T>(value: T, scope: Scope): T {
  if (typeof value === 'string') return substituteString(value, scope) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => substitute(v, scope)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[substituteString(k, scope)] = substitute(v, scope);
    return out as T;
  }
  return value;
}

/** The names of the tags in a string that are not expressions (for lint). */
export function tagNames(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(TAG)) {
    const body = m[1]!.trim();
    if (!body.startsWith('=')) out.push(body);
  }
  return out;
}

export function withEntries(scope: Scope, entries: Iterable<[string, string]>): Scope {
  const next = new Map(scope);
  for (const [k, v] of entries) next.set(k, v);
  return next;
}
