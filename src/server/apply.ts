/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`, `kubectl apply --server-side`),
 * as pure functions over plain JSON, after Kubernetes' structured-merge-diff:
 *   - a manager's applied configuration is a set of fields (leaves; an item of a keyed list is a
 *     member of the set too), recorded in `metadata.managedFields` as `fieldsV1`
 *     (`{"f:spec":{"f:backoffLimit":{}}}`) with `operation: Apply`;
 *   - the configuration is merged into the live object: maps merge, lists with a merge key (core
 *     and batch kinds: containers by name, env by name…) merge by it, other lists are replaced
 *     whole (atomic), as lists of custom kinds without list-type markers are upstream;
 *   - a field another manager owns whose value the apply would change is a conflict: 409 with
 *     the API server's message, unless `force`, which takes the field from that manager;
 *   - a field the manager applied before and no longer applies is removed from the object, unless
 *     another manager owns it too.
 * Not done (see ARCHITECTURE.md, Known limits): writes other than apply (create, update, patch)
 * record no `Update` entries, so an apply only conflicts with other appliers.
 */
import { parse } from 'yaml';
import { BadRequestError, ConflictError, ValidationError } from '../api/errors.js';
import { MERGE_KEYS, MERGED_SCALAR_LISTS } from './patch.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One element of a field path, as fieldsV1 writes it: `f:name`, `k:{"name":"main"}`, `v:"x"`. */
type Element = string;
/** A field path, its elements joined by NUL (a set of them is a field set). */
type Path = string;
const SEP = '\u0000';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: JsonObject;
  subresource?: string;
}

/** What merges lists: the merge key of a list by its field name, or undefined (atomic). */
export type ListKeys = (field: string) => string | undefined;

/** Core and batch kinds merge lists by their Kubernetes merge keys; other kinds' lists are atomic. */
export function listKeysFor(group: string): { key: ListKeys; set: (field: string) => boolean } {
  const builtin = group === '' || group === 'batch';
  return { key: (f) => (builtin ? MERGE_KEYS[f] : undefined), set: (f) => builtin && MERGED_SCALAR_LISTS.has(f) };
}

/** Fields no manager owns: identity and what the server sets. */
const UNMANAGED_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'managedFields']);

function keyElement(item: JsonObject, key: string): Element {
  return `k:${JSON.stringify({ [key]: item[key] ?? null })}`;
}

/** The field set of an applied configuration. */
export function fieldSet(obj: JsonObject, lists: ReturnType<typeof listKeysFor>, hasStatus: boolean): Set<Path> {
  const out = new Set<Path>();
  const walk = (v: Json, path: Element[], field: string): void => {
    if (isObject(v)) {
      const keys = Object.keys(v);
      if (keys.length === 0 && path.length) out.add(path.join(SEP));
      for (const k of keys) walk(v[k]!, [...path, `f:${k}`], k);
      return;
    }
    if (Array.isArray(v)) {
      const key = lists.key(field);
      if (key && v.every((i) => isObject(i) && i[key] !== undefined)) {
        for (const item of v as JsonObject[]) {
          const at = [...path, keyElement(item, key)];
          out.add(at.join(SEP));
          for (const [k, c] of Object.entries(item)) walk(c, [...at, `f:${k}`], k);
        }
        return;
      }
      if (lists.set(field) && v.every((i) => !isObject(i) && !Array.isArray(i))) {
        for (const x of v) out.add([...path, `v:${JSON.stringify(x)}`].join(SEP));
        return;
      }
    }
    out.add(path.join(SEP));
  };
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || (k === 'status' && hasStatus)) continue;
    if (k === 'metadata' && isObject(v)) {
      for (const [m, mv] of Object.entries(v)) if (!UNMANAGED_METADATA.has(m)) walk(mv, ['f:metadata', `f:${m}`], m);
      continue;
    }
    walk(v, [`f:${k}`], k);
  }
  return out;
}

/** A field set as `fieldsV1`. */
export function toFieldsV1(set: Set<Path>): JsonObject {
  const root: JsonObject = {};
  for (const p of [...set].sort()) {
    let cur = root;
    const elements = p.split(SEP);
    for (const e of elements) cur = (cur[e] ??= {}) as JsonObject;
    // A member that also has children is marked with ".", as upstream writes an item of a keyed list.
    if (elements.length && [...set].some((q) => q.startsWith(p + SEP))) cur['.'] = {};
  }
  return root;
}

/** `fieldsV1` as a field set. */
export function fromFieldsV1(fields: unknown): Set<Path> {
  const out = new Set<Path>();
  const walk = (node: unknown, path: Element[]): void => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length) out.add(path.join(SEP));
    for (const k of keys) {
      if (k === '.') out.add(path.join(SEP));
      else walk(node[k], [...path, k]);
    }
  };
  walk(fields, []);
  return out;
}

/** `.spec.template.spec.containers[name="main"].image`, as the API server prints a field path. */
export function formatFieldPath(p: Path): string {
  return p
    .split(SEP)
    .map((e) => {
      if (e.startsWith('f:')) return `.${e.slice(2)}`;
      if (e.startsWith('k:')) {
        const key = JSON.parse(e.slice(2)) as JsonObject;
        return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
      }
      if (e.startsWith('v:')) return `[=${e.slice(2)}]`;
      return `[${e.slice(2)}]`;
    })
    .join('');
}

const MISSING = Symbol('missing');

/** The value at a field path, or MISSING. */
function valueAt(obj: Json, p: Path): Json | typeof MISSING {
  let cur: Json | typeof MISSING = obj;
  for (const e of p.split(SEP)) {
    if (cur === MISSING) return MISSING;
    if (e.startsWith('f:')) cur = isObject(cur) && e.slice(2) in cur ? cur[e.slice(2)]! : MISSING;
    else if (e.startsWith('k:') && Array.isArray(cur)) {
      const [[k, v]] = Object.entries(JSON.parse(e.slice(2)) as JsonObject) as [[string, Json]];
      cur = cur.find((i) => isObject(i) && JSON.stringify(i[k] ?? null) === JSON.stringify(v)) ?? MISSING;
    } else if (e.startsWith('v:') && Array.isArray(cur)) {
      const v = e.slice(2);
      cur = cur.some((i) => JSON.stringify(i) === v) ? (JSON.parse(v) as Json) : MISSING;
    } else return MISSING;
  }
  return cur;
}

/** Removes the field at `p` (an item of a keyed or set list, or a map's key). */
function removeAt(obj: Json, p: Path): void {
  const elements = p.split(SEP);
  const last = elements.pop()!;
  const parent = elements.length ? valueAt(obj, elements.join(SEP)) : obj;
  if (parent === MISSING) return;
  if (last.startsWith('f:') && isObject(parent)) delete parent[last.slice(2)];
  else if (Array.isArray(parent)) {
    const i = last.startsWith('k:') ? parent.findIndex((item) => valueAt([item], last) !== MISSING) : parent.findIndex((item) => JSON.stringify(item) === last.slice(2));
    if (i >= 0) parent.splice(i, 1);
  }
}

/** The configuration merged into the live object: maps merge, keyed lists merge by key, other values replace. */
function merge(live: Json | undefined, applied: Json, field: string, lists: ReturnType<typeof listKeysFor>): Json {
  if (isObject(applied)) {
    const out: JsonObject = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) out[k] = merge(out[k], v, k, lists);
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const key = lists.key(field);
    if (key && applied.every((i) => isObject(i) && i[key] !== undefined)) {
      const out = [...live];
      for (const item of applied as JsonObject[]) {
        const at = out.findIndex((o) => isObject(o) && JSON.stringify(o[key]) === JSON.stringify(item[key]));
        if (at >= 0) out[at] = merge(out[at], item, field, lists);
        else out.push(item);
      }
      return out;
    }
    if (lists.set(field)) return [...live, ...applied.filter((v) => !live.some((l) => JSON.stringify(l) === JSON.stringify(v)))];
  }
  return structuredClone(applied);
}

/** A 409 Conflict listing the fields other managers own, in the API server's words. */
export class ApplyConflictError extends ConflictError {
  constructor(
    message: string,
    readonly conflicts: { manager: string; field: string }[],
  ) {
    super(message);
    this.name = 'ApplyConflictError';
  }
}

function printManager(e: ManagedFieldsEntry): string {
  const name = JSON.stringify(e.manager) + (e.subresource ? ` with subresource ${JSON.stringify(e.subresource)}` : '');
  return e.operation === 'Update' ? `${name} using ${e.apiVersion}` : name;
}

function conflictMessage(conflicts: { entry: ManagedFieldsEntry; path: Path }[]): string {
  if (conflicts.length === 1) return `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.entry)}: ${formatFieldPath(conflicts[0]!.path)}`;
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const m = printManager(c.entry);
    byManager.set(m, [...(byManager.get(m) ?? []), `- ${formatFieldPath(c.path)}`]);
  }
  const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!]);
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

export interface ApplyInput {
  /** The stored object, or undefined (the apply creates it). */
  live: JsonObject | undefined;
  /** The applied configuration (the request body). */
  applied: JsonObject;
  manager: string;
  force: boolean;
  /** RFC 3339, for the entry's `time`. */
  now: string;
  group: string;
  hasStatus: boolean;
}

/** The object after the apply, with its managedFields; throws ApplyConflictError on a conflict unless forced. */
export function serverSideApply(input: ApplyInput): JsonObject {
  const { live, applied, manager } = input;
  const lists = listKeysFor(input.group);
  const mine = fieldSet(applied, lists, input.hasStatus);
  const meta = (live?.['metadata'] ?? {}) as JsonObject;
  const entries = (Array.isArray(meta['managedFields']) ? meta['managedFields'] : []) as unknown as ManagedFieldsEntry[];
  const isMine = (e: ManagedFieldsEntry) => e.manager === manager && e.operation === 'Apply' && !e.subresource;
  const previous = entries.find(isMine);
  const others = entries.filter((e) => !isMine(e)).map((e) => ({ entry: e, set: fromFieldsV1(e.fieldsV1) }));

  const { metadata: appliedMeta, ...appliedRest } = applied;
  const base: JsonObject = live ? structuredClone(live) : {};
  let merged = merge(base, appliedRest as JsonObject, '', lists) as JsonObject;
  const liveMeta = isObject(base['metadata']) ? base['metadata'] : {};
  const nextMeta: JsonObject = { ...liveMeta };
  if (isObject(appliedMeta)) for (const [k, v] of Object.entries(appliedMeta)) if (!UNMANAGED_METADATA.has(k) || !live) nextMeta[k] = merge(liveMeta[k], v, k, lists);
  merged = { ...merged, metadata: nextMeta };

  // Another manager's field whose value the apply changes.
  const conflicts: { entry: ManagedFieldsEntry; path: Path }[] = [];
  if (live) {
    for (const o of others) {
      for (const p of mine) {
        if (!o.set.has(p)) continue;
        const before = valueAt(live, p);
        const after = valueAt(merged, p);
        if (before !== MISSING && JSON.stringify(before) !== JSON.stringify(after) && !isObject(after)) conflicts.push({ entry: o.entry, path: p });
      }
    }
  }
  if (conflicts.length && !input.force) {
    throw new ApplyConflictError(conflictMessage(conflicts), conflicts.map((c) => ({ manager: printManager(c.entry), field: formatFieldPath(c.path) })));
  }
  for (const c of conflicts) others.find((o) => o.entry === c.entry)!.set.delete(c.path);

  // Fields this manager set before and no longer sets go, unless someone else owns them.
  const ownedByOthers = (p: Path) => others.some((o) => o.set.has(p) || [...o.set].some((q) => q.startsWith(p + SEP)));
  const dropped = [...(previous ? fromFieldsV1(previous.fieldsV1) : new Set<Path>())].filter((p) => !mine.has(p) && !ownedByOthers(p));
  // An item of a keyed list goes whole (its fields with it: without its key it could not be found).
  const gone: Path[] = [];
  for (const p of dropped.sort((a, b) => a.split(SEP).length - b.split(SEP).length)) {
    if (gone.some((g) => p.startsWith(g + SEP))) continue;
    removeAt(merged, p);
    gone.push(p);
  }

  const managedFields: ManagedFieldsEntry[] = [];
  for (const e of entries) {
    if (isMine(e)) continue;
    const o = others.find((x) => x.entry === e)!;
    if (o.set.size) managedFields.push({ ...e, fieldsV1: toFieldsV1(o.set) });
  }
  const entry: ManagedFieldsEntry = { manager, operation: 'Apply', apiVersion: String(applied['apiVersion'] ?? ''), time: input.now, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(mine) };
  // Upstream keeps the entries' order and puts a new manager last.
  const at = entries.findIndex(isMine);
  if (at >= 0) managedFields.splice(Math.min(at, managedFields.length), 0, entry);
  else managedFields.push(entry);
  (merged['metadata'] as JsonObject)['managedFields'] = managedFields as unknown as Json;
  return merged;
}

/**
 * The applied configuration of a request: one YAML or JSON object whose apiVersion and kind are the
 * path's and whose name (when it has one) is the path's. `fieldManager` is required.
 */
export function readApplyRequest(body: string, q: URLSearchParams, path: { apiVersion: string; kind: string; name: string }): { applied: JsonObject; manager: string; force: boolean } {
  const manager = q.get('fieldManager') ?? '';
  if (!manager) throw new ValidationError([{ path: 'fieldManager', message: 'Required value: is required for apply patch' }]);
  let applied: unknown;
  try {
    applied = parse(body);
  } catch (err) {
    throw new BadRequestError(`error decoding YAML: ${(err as Error).message}`);
  }
  if (!isObject(applied)) throw new BadRequestError('the apply patch must be one object (apiVersion, kind, metadata…)');
  if (applied['apiVersion'] !== path.apiVersion || applied['kind'] !== path.kind) {
    throw new BadRequestError(`the apply patch is a ${String(applied['kind'])} of ${String(applied['apiVersion'])}, but the path is for ${path.kind} of ${path.apiVersion}`);
  }
  const meta = isObject(applied['metadata']) ? applied['metadata'] : undefined;
  const name = meta?.['name'];
  if (name !== undefined && name !== path.name) throw new BadRequestError(`the name of the object (${String(name)}) does not match the name on the URL (${path.name})`);
  if (meta?.['managedFields'] !== undefined) throw new BadRequestError('metadata.managedFields must be nil in an apply patch');
  const force = ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(q.get('force') ?? '');
  return { applied: { ...applied, metadata: { ...(meta ?? {}), name: path.name } }, manager, force };
}
