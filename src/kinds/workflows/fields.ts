/**
 * Template fields that Argo substitutes before it reads them (`timeout`, `parallelism`,
 * `retryStrategy.limit`, backoff durations, `activeDeadlineSeconds`): each is substituted in the
 * node's scope first, then parsed; a value that still does not parse is a fault of the workflow
 * itself, so it throws WorkflowError naming the field — the node (or the workflow) ends in Error
 * with that message, once, instead of the controller retrying a pass that can never succeed.
 */
import { substituteString, type Scope } from './scope.js';
import { parseDurationSeconds } from './steppod.js';
import { WorkflowError } from './operation.js';

function substituted(raw: string | number, scope: Scope): string {
  return typeof raw === 'number' ? String(raw) : substituteString(raw, scope).trim();
}

function owner(templateName: string | undefined): string {
  return templateName ? `template "${templateName}": ` : '';
}

/** A duration field (`timeout`, `backoff.duration`…) in seconds; undefined when unset. */
export function durationField(templateName: string | undefined, field: string, raw: string | number | undefined, scope: Scope): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const v = substituted(raw, scope);
  if (v.includes('{{')) throw new WorkflowError(`${owner(templateName)}${field}: "${v}" refers to a value that is not defined here`);
  try {
    return parseDurationSeconds(v);
  } catch {
    throw new WorkflowError(`${owner(templateName)}${field}: invalid value "${v}": expected seconds or a duration such as "30s", "5m", "1h30m"`);
  }
}

/** A whole-number field (`parallelism`, `retryStrategy.limit`, `activeDeadlineSeconds`); undefined when unset. */
export function integerField(templateName: string | undefined, field: string, raw: string | number | undefined, scope: Scope, min = 0): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const v = substituted(raw, scope);
  if (v.includes('{{')) throw new WorkflowError(`${owner(templateName)}${field}: "${v}" refers to a value that is not defined here`);
  const n = Number(v);
  if (!/^[+-]?\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new WorkflowError(`${owner(templateName)}${field}: invalid value "${v}": expected a whole number of at least ${min}`);
  return n;
}

/** A number field that may have a fraction (`backoff.factor`). */
export function numberField(templateName: string | undefined, field: string, raw: string | number | undefined, scope: Scope): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const v = substituted(raw, scope);
  const n = Number(v);
  if (v === '' || !Number.isFinite(n)) throw new WorkflowError(`${owner(templateName)}${field}: invalid value "${v}": expected a number`);
  return n;
}
