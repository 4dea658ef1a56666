/**
 * Field paths inside a resource, and the findings the validators attach to them. A path is kept as
 * segments (`['spec', 'containers', 0, 'image']`) so it can be looked up in the YAML source, and
 * printed the way kubectl prints it (`spec.containers[0].image`).
 */

export type PathSegment = string | number;
export type FieldPath = readonly PathSegment[];

/** Which node of the source a finding points at: the field's key, its value, or the object that should have held it. */
export type Anchor = 'key' | 'value' | 'parent';

/** One problem (or warning) a validator found in one object, before positions are known. */
export interface Finding {
  severity: 'error' | 'warning';
  path: FieldPath;
  message: string;
  anchor: Anchor;
  /** A field the kind's schema does not have (what the API's `fieldValidation=Warn|Ignore` drops). */
  unknownField?: true;
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** kubectl style: `spec.template.spec.containers[0].image`, `metadata.labels[app.kubernetes.io/name]`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${seg}]`;
  }
  return out;
}

/**
 * Turns a JSON pointer (`/spec/containers/0`, as ajv reports) into segments, using the data to tell
 * array indices from map keys that happen to be digits.
 */
export function pathFromPointer(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const out: PathSegment[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur) && /^\d+$/.test(key)) {
      const i = Number(key);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(key);
      cur = isRecord(cur) ? cur[key] : undefined;
    }
  }
  return out;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads the value at `path`, or undefined when any step is missing. */
export function valueAt(data: unknown, path: FieldPath): unknown {
  let cur = data;
  for (const seg of path) {
    if (typeof seg === 'number') cur = Array.isArray(cur) ? cur[seg] : undefined;
    else cur = isRecord(cur) ? cur[seg] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Names a value for messages: `string "2"`, `integer 3`, `object`. Long strings are cut. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)}`;
    case 'number':
      return Number.isInteger(v) ? `integer ${v}` : `number ${v}`;
    case 'boolean':
      return `boolean ${v}`;
    case 'object':
      return 'object';
    default:
      return typeof v;
  }
}

/** `spec.parameters[0].feasibleSpace.min` → ['spec', 'parameters', 0, 'feasibleSpace', 'min']; `labels[a.b/c]` keeps the key whole. */
export function parsePath(text: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /\[([^\]]*)\]|\.?([^.[\]]+)/g;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) out.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
    else if (m[2] !== undefined) out.push(m[2]);
  }
  return out;
}
