/**
 * The `fieldValidation` query parameter of writes (create, update, patch, apply), as the API
 * server reads it:
 *   - Strict: a field the kind's schema does not have fails the request (Drover's checks, 422 with
 *     the field's path); also what Drover does when the parameter is absent, where the API server
 *     would warn;
 *   - Warn: unknown fields are dropped and each is named in a `Warning` header
 *     (`299 - "unknown field \"spec.foo\""`), which kubectl prints as `Warning: unknown field …`;
 *   - Ignore: unknown fields are dropped silently.
 * Fields Drover knows but does not implement stay refused by name whatever the directive: ignoring
 * them could change what runs.
 */
import { BadRequestError } from '../api/errors.js';
import { type FieldPath, formatPath, isRecord } from '../api/fieldpath.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** The request's directive; Strict when absent. */
export function fieldValidation(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Strict';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw new BadRequestError(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got ${JSON.stringify(v)}`);
}

function remove(obj: unknown, path: FieldPath): void {
  let cur: unknown = obj;
  for (const seg of path.slice(0, -1)) {
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isRecord(cur)) cur = cur[String(seg)];
    else return;
  }
  const last = path[path.length - 1];
  if (isRecord(cur) && last !== undefined) delete cur[String(last)];
}

/**
 * `obj` as the directive has it validated: unchanged for Strict (the validation that follows
 * refuses it), otherwise without its unknown fields, with the warnings to send (Warn only).
 */
export function dropUnknownFields<T>(obj: T, directive: FieldValidation, unknownFields: (o: unknown) => FieldPath[]): { object: T; warnings: string[] } {
  if (directive === 'Strict') return { object: obj, warnings: [] };
  const paths = unknownFields(obj);
  if (paths.length === 0) return { object: obj, warnings: [] };
  const object = structuredClone(obj);
  for (const p of paths) remove(object, p);
  return { object, warnings: directive === 'Warn' ? paths.map((p) => `unknown field ${JSON.stringify(formatPath(p))}`) : [] };
}

/** A `Warning` header's value for one message (RFC 7234 warn-code 299, as the API server sends). */
export function warningHeader(message: string): string {
  return `299 - ${JSON.stringify(message)}`;
}
