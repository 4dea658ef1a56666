/**
 * The three patch formats of the Kubernetes API, as pure functions over plain JSON:
 *   - JSON merge patch (RFC 7386, `application/merge-patch+json`): maps merge, `null` deletes,
 *     anything else replaces;
 *   - JSON patch (RFC 6902, `application/json-patch+json`): a list of operations on JSON
 *     pointers;
 *   - strategic merge patch (`application/strategic-merge-patch+json`, built-in kinds only):
 *     a merge patch in which lists of objects merge by their merge key (containers by `name`,
 *     volume mounts by `mountPath`…) and `$patch`, `$retainKeys`, `$setElementOrder/…` and
 *     `$deleteFromPrimitiveList/…` directives say what a plain merge cannot. This is what
 *     `kubectl apply`, `label`, `annotate` and `patch` send for Jobs and Pods.
 * Each throws PatchError for a patch that cannot apply (the API server answers 422 or 400).
 */
import { BadRequestError } from '../api/errors.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** A patch that is malformed or does not apply to the object. */
export class PatchError extends BadRequestError {
  constructor(message: string) {
    super(`the patch cannot be applied: ${message}`);
    this.name = 'PatchError';
  }
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Bounds what a hostile patch can make the server do (the API server limits its depth too). */
const MAX_DEPTH = 100;

// ---- JSON merge patch ------------------------------------------------------------------------

export function mergePatch(target: unknown, patch: unknown, depth = 0): Json {
  if (depth > MAX_DEPTH) throw new PatchError('it nests too deeply');
  if (!isObject(patch)) return patch as Json;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v, depth + 1);
  }
  return out;
}

// ---- JSON patch ------------------------------------------------------------------------------

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function pointer(path: unknown, what: string): string[] {
  if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) throw new PatchError(`${what} ${JSON.stringify(path)} is not a JSON pointer`);
  return path === '' ? [] : path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, segments: string[], path: string): { parent: JsonObject | Json[]; key: string } {
  let cur: Json = doc;
  for (const seg of segments.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(cur) ? cur[Number(seg)] : isObject(cur) ? cur[seg] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') throw new PatchError(`path ${JSON.stringify(path)} does not exist`);
    cur = next;
  }
  if (cur === null || typeof cur !== 'object') throw new PatchError(`path ${JSON.stringify(path)} does not exist`);
  return { parent: cur, key: segments[segments.length - 1]! };
}

function arrayIndex(arr: Json[], key: string, path: string, forAdd: boolean): number {
  if (forAdd && key === '-') return arr.length;
  const i = /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : NaN;
  if (!Number.isInteger(i) || i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`index ${JSON.stringify(key)} of ${JSON.stringify(path)} is out of range`);
  return i;
}

function get(doc: Json, path: string): Json {
  const segments = pointer(path, 'path');
  if (segments.length === 0) return doc;
  const { parent, key } = parentOf(doc, segments, path);
  const v = Array.isArray(parent) ? parent[arrayIndex(parent, key, path, false)] : parent[key];
  if (v === undefined) throw new PatchError(`path ${JSON.stringify(path)} does not exist`);
  return v;
}

function remove(doc: Json, path: string): Json {
  const segments = pointer(path, 'path');
  if (segments.length === 0) throw new PatchError('the whole object cannot be removed');
  const { parent, key } = parentOf(doc, segments, path);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, path, false), 1)[0]!;
  if (!(key in parent)) throw new PatchError(`path ${JSON.stringify(path)} does not exist`);
  const v = parent[key]!;
  delete parent[key];
  return v;
}

function add(doc: Json, path: string, value: Json, replace: boolean): Json {
  const segments = pointer(path, 'path');
  if (segments.length === 0) return value;
  const { parent, key } = parentOf(doc, segments, path);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, path, !replace);
    parent.splice(i, replace ? 1 : 0, value);
  } else {
    if (replace && !(key in parent)) throw new PatchError(`path ${JSON.stringify(path)} does not exist`);
    parent[key] = value;
  }
  return doc;
}

export function jsonPatch(target: unknown, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch is a list of operations');
  let doc = structuredClone(target) as Json;
  ops.forEach((raw, i) => {
    if (!isObject(raw)) throw new PatchError(`operation ${i} is not an object`);
    const op = raw as unknown as Operation;
    const needValue = () => {
      if (!('value' in raw)) throw new PatchError(`operation ${i} (${op.op}) has no value`);
      return structuredClone(raw['value']!);
    };
    switch (op.op) {
      case 'add':
        doc = add(doc, op.path, needValue(), false);
        break;
      case 'replace':
        doc = add(doc, op.path, needValue(), true);
        break;
      case 'remove':
        remove(doc, op.path);
        break;
      case 'move': {
        const v = remove(doc, String(op.from));
        doc = add(doc, op.path, v, false);
        break;
      }
      case 'copy':
        doc = add(doc, op.path, structuredClone(get(doc, String(op.from))), false);
        break;
      case 'test':
        if (JSON.stringify(get(doc, op.path)) !== JSON.stringify(needValue())) throw new PatchError(`test of ${JSON.stringify(op.path)} failed`);
        break;
      default:
        throw new PatchError(`operation ${i} has an unknown op ${JSON.stringify(op.op)}`);
    }
  });
  return doc;
}

// ---- strategic merge patch -------------------------------------------------------------------

/**
 * The merge keys of the lists in the core and batch kinds' schemas (`x-kubernetes-patch-merge-
 * key`): a list not named here is replaced whole, as upstream does for lists without one.
 */
export const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  readinessGates: 'conditionType',
  resourceClaims: 'name',
};

/** Lists of scalars that merge as sets rather than being replaced. */
export const MERGED_SCALAR_LISTS: ReadonlySet<string> = new Set(['finalizers']);

const DELETE = Symbol('delete');

function strip(item: JsonObject): JsonObject {
  const { $patch: _p, ...rest } = item;
  return rest;
}

function mergeList(original: Json | undefined, patch: Json[], field: string, depth: number): Json[] {
  const base = Array.isArray(original) ? original : [];
  const key = MERGE_KEYS[field];
  if (!key) {
    if (MERGED_SCALAR_LISTS.has(field)) return [...base, ...patch.filter((v) => !base.some((b) => JSON.stringify(b) === JSON.stringify(v)))];
    return patch.map((v) => (isObject(v) ? strip(v) : v));
  }
  if (patch.some((p) => isObject(p) && p['$patch'] === 'replace')) return patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace')).map((p) => (isObject(p) ? strip(p) : p));
  const out = [...base];
  for (const item of patch) {
    if (!isObject(item) || item[key] === undefined) throw new PatchError(`an item of ${field} has no ${key} to merge by`);
    const at = out.findIndex((o) => isObject(o) && JSON.stringify(o[key]) === JSON.stringify(item[key]));
    if (item['$patch'] === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = strategic(out[at], item, depth + 1) as Json;
    else out.push(strategic(undefined, item, depth + 1) as Json);
  }
  return out;
}

/** Orders `list` as `order` names its items (by merge key, or value for scalars); others keep their place after them. */
function reorder(list: Json[], order: Json[], field: string): Json[] {
  const key = MERGE_KEYS[field];
  const id = (v: Json) => JSON.stringify(key && isObject(v) ? v[key] : v);
  const rank = new Map(order.map((o, i) => [id(o), i]));
  return list
    .map((v, i) => ({ v, i, r: rank.get(id(v)) ?? order.length + i }))
    .sort((a, b) => a.r - b.r)
    .map((x) => x.v);
}

function strategic(original: Json | undefined, patch: Json, depth: number): Json | typeof DELETE {
  if (depth > MAX_DEPTH) throw new PatchError('it nests too deeply');
  if (!isObject(patch)) return patch;
  const directive = patch['$patch'];
  if (directive === 'delete') return DELETE;
  if (directive === 'replace') return strip(patch);
  if (directive !== undefined && directive !== 'merge') throw new PatchError(`unknown $patch directive ${JSON.stringify(directive)}`);
  const out: JsonObject = isObject(original) ? { ...original } : {};
  const orders: [string, Json[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      if (Array.isArray(v)) orders.push([k.slice('$setElementOrder/'.length), v]);
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const gone = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      if (Array.isArray(out[field])) out[field] = (out[field] as Json[]).filter((x) => !gone.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = mergeList(out[k], v, k, depth);
    else {
      const merged = strategic(out[k], v, depth + 1);
      if (merged === DELETE) delete out[k];
      else out[k] = merged;
    }
  }
  for (const [field, order] of orders) if (Array.isArray(out[field])) out[field] = reorder(out[field] as Json[], order, field);
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  return out;
}

export function strategicMergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) throw new PatchError('a strategic merge patch is a JSON object');
  const out = strategic(target as Json, patch, 0);
  if (out === DELETE) throw new PatchError('the whole object cannot be deleted by a patch');
  return out;
}

/** The patch formats by content type. */
export const PATCH_TYPES: Readonly<Record<string, (target: unknown, patch: unknown) => Json>> = {
  'application/merge-patch+json': (t, p) => mergePatch(t, p),
  'application/json-patch+json': jsonPatch,
  'application/strategic-merge-patch+json': strategicMergePatch,
};
