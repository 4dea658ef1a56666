/**
 * A structural schema for custom resources whose CRD text Drover does not ship (the training
 * operators' kinds): each field's type, enum, bounds and whether it is required, and which upstream
 * fields Drover refuses by name or accepts with a warning. `walkStructure` checks a value against
 * it and reports findings with paths, so errors carry file:line like every other kind's.
 */
import { type FieldPath, type Finding, describeValue, formatPath, isRecord } from './fieldpath.js';

export type StructSpec =
  | { t: 'string' | 'integer' | 'boolean' | 'any' | 'intOrString' }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'object'; fields: Readonly<Record<string, StructField>> }
  | { t: 'array'; items: StructSpec }
  | { t: 'map'; values: StructSpec };

export interface StructField {
  spec: StructSpec;
  required?: boolean;
  /** Upstream has the field; Drover does not implement it: refused by name with this reason. */
  rejected?: string;
  /** Accepted and ignored with this warning (ignoring it cannot change how the job ends). */
  warn?: string;
  min?: number;
}

export const S_STRING: StructSpec = { t: 'string' };
export const S_INTEGER: StructSpec = { t: 'integer' };
export const S_BOOLEAN: StructSpec = { t: 'boolean' };
export const S_ANY: StructSpec = { t: 'any' };
export const field = (spec: StructSpec, extra: Omit<StructField, 'spec'> = {}): StructField => ({ spec, ...extra });
export const object = (fields: Record<string, StructField>): StructSpec => ({ t: 'object', fields });
export const oneOf = (values: readonly string[]): StructSpec => ({ t: 'enum', values });
export const rejectedField = (reason: string): StructField => ({ spec: S_ANY, rejected: reason });

function typeOk(v: unknown, spec: StructSpec): boolean {
  switch (spec.t) {
    case 'any':
      return true;
    case 'string':
    case 'enum':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 2 ** 31 - 1;
    case 'intOrString':
      return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
    case 'map':
      return isRecord(v);
  }
}

const EXPECTED: Record<StructSpec['t'], string> = { any: 'any', string: 'string', enum: 'string', integer: 'integer', intOrString: 'integer or string', boolean: 'boolean', array: 'array', object: 'object', map: 'object' };

/** Checks `value` at `path` against `spec`, appending to `findings`. null counts as unset, as in Kubernetes. */
export function walkStructure(findings: Finding[], value: unknown, spec: StructSpec, path: FieldPath, fieldInfo?: StructField): void {
  const report = (p: FieldPath, message: string, anchor: Finding['anchor'] = 'value', severity: Finding['severity'] = 'error'): void => {
    findings.push({ severity, path: p, message, anchor });
  };
  if (value === null) return;
  if (!typeOk(value, spec)) {
    report(path, `expected ${EXPECTED[spec.t]}, got ${describeValue(value)}`);
    return;
  }
  if (fieldInfo?.min !== undefined && typeof value === 'number' && value < fieldInfo.min) report(path, `must be ${fieldInfo.min === 0 ? 'zero or more' : `at least ${fieldInfo.min}`}, got ${value}`);
  switch (spec.t) {
    case 'enum':
      if (!spec.values.includes(value as string)) report(path, `expected one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(value)}`);
      return;
    case 'array':
      (value as unknown[]).forEach((item, i) => walkStructure(findings, item, spec.items, [...path, i]));
      return;
    case 'map':
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walkStructure(findings, v, spec.values, [...path, k]);
      return;
    case 'object': {
      const given = value as Record<string, unknown>;
      for (const [k, v] of Object.entries(given)) {
        const child = spec.fields[k];
        const p = [...path, k];
        if (!child) report(p, `unknown field ${JSON.stringify(k)}`, 'key');
        else if (child.rejected !== undefined) {
          if (v !== null && v !== false && !(isRecord(v) && Object.keys(v).length === 0)) report(p, `field ${formatPath(p)} is not supported by Drover yet (${child.rejected})`, 'key');
        } else {
          if (child.warn !== undefined && v !== null) report(p, `field ${formatPath(p)} is ignored: ${child.warn}`, 'key', 'warning');
          walkStructure(findings, v, child.spec, p, child);
        }
      }
      for (const [k, child] of Object.entries(spec.fields)) {
        if (child.required && given[k] === undefined) report([...path, k], `required field ${JSON.stringify(k)} is missing`, 'parent');
      }
      return;
    }
    default:
      return;
  }
}
