/**
 * What Drover implements, field by field: the machinery of the support tables. Each kind's table
 * lives with its kind (src/kinds/<family>); a field becoming supported is an edit there.
 *
 * Each listed field is supported, ignored silently, ignored with a warning (only when ignoring it
 * cannot change how a workload ends), or rejected. Inside a struct given with `fields`, any field
 * not listed is rejected, so fields that new Kubernetes versions add are refused until someone
 * decides about them, rather than silently dropped. A supported field without `fields` is accepted
 * with everything under it (the schema still checks it).
 */
import { type FieldPath, type Finding, formatPath, isRecord } from './fieldpath.js';

export type Verdict =
  | { verdict: 'supported' }
  | { verdict: 'ignore' }
  | { verdict: 'warn'; reason: string }
  /** `value`: only this value is refused, not the field (`volumeMode: Block`). */
  | { verdict: 'reject'; reason?: string; value?: unknown };

export interface FieldPolicy {
  decide: (value: unknown) => Verdict;
  /** Sub-fields of the object, or of each element of an array. Unlisted sub-fields are rejected. */
  fields?: Shape;
}

export type Shape = Readonly<Record<string, FieldPolicy>>;

export const SUPPORTED: Verdict = { verdict: 'supported' };
export const ok: FieldPolicy = { decide: () => SUPPORTED };
export const struct = (fields: Shape): FieldPolicy => ({ decide: () => SUPPORTED, fields });
export const ignore: FieldPolicy = { decide: () => ({ verdict: 'ignore' }) };
export const warn = (reason: string): FieldPolicy => ({ decide: () => ({ verdict: 'warn', reason }) });
/** Warns unless the value is the Kubernetes default (which `kubectl get -o yaml` prints), where ignoring changes nothing. */
export const warnUnless = (defaultValue: unknown, reason: string): FieldPolicy => ({
  decide: (v) => (v === defaultValue ? SUPPORTED : { verdict: 'warn', reason }),
});
export const reject = (reason?: string): FieldPolicy => ({ decide: () => (reason ? { verdict: 'reject', reason } : { verdict: 'reject' }) });
/** Rejects only when the field is set to true (`stdin: false` is the default and harmless). */
export const rejectTrue = (reason?: string): FieldPolicy => ({
  decide: (v) => (v === true ? (reason ? { verdict: 'reject', reason } : { verdict: 'reject' }) : SUPPORTED),
});
/** Accepts the listed values and rejects any other. */
export const onlyValues = (allowed: readonly unknown[], reason?: string): FieldPolicy => ({
  decide: (v) => (allowed.includes(v) ? SUPPORTED : { verdict: 'reject', value: v, ...(reason ? { reason } : {}) }),
});

/** The root shape of an object whose `spec` follows `spec`; the top-level fields every object has are free. */
export function objectShape(spec: Shape): Shape {
  return { apiVersion: ok, kind: ok, metadata: ok, status: ok, spec: struct(spec) };
}

/**
 * Walks `obj` against the support table of its kind (`root`, from `objectShape`). `skip` holds paths already reported (unknown
 * fields), so a field is not reported twice. Warnings come once per table entry per object: five
 * containers with `imagePullPolicy` give one warning, at the first.
 */
export function checkSupport(obj: Record<string, unknown>, root: Shape, skip: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  const warned = new Set<FieldPolicy>();
  const walkShape = (value: unknown, shape: Shape, path: FieldPath): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walkShape(item, shape, [...path, i]));
      return;
    }
    if (!isRecord(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const childPath = [...path, key];
      // null means unset in Kubernetes; listed again in `skip` means already reported.
      if (child === null || skip.has(formatPath(childPath))) continue;
      const policy = shape[key];
      const verdict: Verdict = policy ? policy.decide(child) : { verdict: 'reject' };
      switch (verdict.verdict) {
        case 'supported':
          if (policy?.fields) walkShape(child, policy.fields, childPath);
          break;
        case 'ignore':
          break;
        case 'warn':
          // `tolerations: []` asks for nothing, so there is nothing to ignore.
          if (isEmpty(child)) break;
          if (policy && !warned.has(policy)) {
            warned.add(policy);
            findings.push({ severity: 'warning', path: childPath, message: `${formatPath(childPath)} is ignored (${verdict.reason})`, anchor: 'key' });
          }
          break;
        case 'reject': {
          if (isEmpty(child)) break;
          const field = formatPath(childPath);
          const what = 'value' in verdict ? `value ${JSON.stringify(verdict.value)} of field ${field}` : `field ${field}`;
          const why = verdict.reason ? ` (${verdict.reason})` : '';
          findings.push({ severity: 'error', path: childPath, message: `${what} is not supported by Drover yet${why}`, anchor: 'value' in verdict ? 'value' : 'key' });
          break;
        }
      }
    }
  };
  walkShape(obj, root, []);
  return findings;
}

function isEmpty(v: unknown): boolean {
  return (Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).length === 0);
}
