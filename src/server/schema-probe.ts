/**
 * The shape of a kind's schema, read back from the compiled validator Drover validates it with.
 *
 * kubernetes-models ships ajv's compiled validators and no schema text. A validator reads every
 * property its schema declares, lists the keys of maps, and reports the type it expected where a
 * value has the wrong one. So we feed it probes: `{}` at every field whose shape is not known yet,
 * breadth first. What it read there are the field's properties; a `type` error names a scalar's or
 * a list's type (a list is probed again with one `{}` item); a `oneOf` error is int-or-string or a
 * quantity; a field it neither read nor refused is free-form. Field names, types and required
 * fields come out exact for the schemas Drover enforces; descriptions, formats and enums do not.
 *
 * An object read by the same code as an object already met (the validator's source position of
 * its first property read) is the same schema and is not probed again: Argo's schema repeats a
 * container, volumes and whole templates in many places, and this keeps its probe to a fraction
 * of a second. The shapes of such objects are the same JavaScript object, so documents can share
 * one definition (and a recursive type is a cycle).
 */
import type { SchemaModel } from '../api/schema.js';

export type Shape =
  | { type: 'object'; properties: Record<string, Shape>; required: string[] }
  | { type: 'map'; values: Shape }
  | { type: 'array'; items: Shape }
  | { type: 'string' | 'integer' | 'number' | 'boolean' }
  | { type: 'int-or-string' | 'quantity' }
  /** Free-form (any value), or not probed further (too deep). */
  | { type: 'any' };

interface ProbeError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

interface Trace {
  read: Set<string>;
  enumerated: boolean;
  /** Where in the validator's code the first property was read: which schema reads this object. */
  site?: string;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The validator's source position that made the current property read. */
function callSite(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 3;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  // Error, this function, the proxy's trap, then the reader.
  return stack.split('\n')[3]?.trim() ?? '';
}

/** `value`, wrapped so that reads, key listings and the reading code are recorded per JSON pointer. */
function traced(value: unknown, pointer: string, traces: Map<string, Trace>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const trace: Trace = { read: new Set(), enumerated: false };
  traces.set(pointer, trace);
  const children = new Map<string, unknown>();
  return new Proxy(value, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return v;
      trace.site ??= callSite();
      trace.read.add(key);
      if (!Object.prototype.hasOwnProperty.call(target, key) || typeof v !== 'object' || v === null) return v;
      let child = children.get(key);
      if (child === undefined) children.set(key, (child = traced(v, `${pointer}/${escapePointer(key)}`, traces)));
      return child;
    },
    has(target, key) {
      if (typeof key === 'string') {
        trace.site ??= callSite();
        trace.read.add(key);
      }
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      trace.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

/** A node of the probe tree: how the probe value at its pointer is built. */
export interface Node {
  pointer: string;
  depth: number;
  shape?: Shape;
  /** Children by key ('0' for a list's item, 'key' for a map's value). */
  children: Map<string, Node>;
  /** An object of the same type met first: its shape is this one's. */
  same?: Node;
}

const MAX_DEPTH = 24;
const MAX_NODES = 50_000;

function build(node: Node): unknown {
  const s = node.shape;
  if (!s) return {};
  if (s.type === 'array') return [build(node.children.get('0')!)];
  if (s.type === 'object' || s.type === 'map') return Object.fromEntries([...node.children].map(([k, c]) => [k, build(c)]));
  // A known scalar: a value of its type keeps its parent's checks quiet.
  if (s.type === 'integer' || s.type === 'number' || s.type === 'int-or-string' || s.type === 'quantity') return 1;
  if (s.type === 'boolean') return true;
  if (s.type === 'string') return 'x';
  return {};
}

function run(model: SchemaModel, value: unknown): { traces: Map<string, Trace>; errors: Map<string, ProbeError[]> } {
  const traces = new Map<string, Trace>();
  const errors = new Map<string, ProbeError[]>();
  try {
    model.prototype.validate.call(traced(value, '', traces));
  } catch (err) {
    const list = (err as { errors?: unknown }).errors;
    if (!Array.isArray(list)) throw err;
    for (const e of list as ProbeError[]) {
      if (typeof e?.instancePath !== 'string') continue;
      errors.set(e.instancePath, [...(errors.get(e.instancePath) ?? []), e]);
    }
  }
  return { traces, errors };
}

/** Objects already met, by their properties; pass one to several probes to share their shapes. */
export type ProbeMemo = Map<string, Node>;

/** Reads the shape of `model`'s schema (a kind's whole object) by probing its validator. */
export function probeSchema(model: SchemaModel, memo: ProbeMemo = new Map()): Shape {
  const root: Node = { pointer: '', depth: 0, children: new Map() };
  let frontier = [root];
  let count = 1;
  while (frontier.length) {
    const { traces, errors } = run(model, build(root));
    const next: Node[] = [];
    for (const node of frontier) {
      const errs = errors.get(node.pointer) ?? [];
      const child = (key: string): Node => {
        const c: Node = { pointer: `${node.pointer}/${escapePointer(key)}`, depth: node.depth + 1, children: new Map() };
        node.children.set(key, c);
        count++;
        if (c.depth < MAX_DEPTH && count < MAX_NODES) next.push(c);
        else c.shape = { type: 'any' };
        return c;
      };
      if (errs.some((e) => e.keyword === 'oneOf')) {
        const quantity = errs.some((e) => (e.keyword === 'type' && e.params['type'] === 'number') || (e.keyword === 'format' && e.params['format'] === 'quantity'));
        node.shape = { type: quantity ? 'quantity' : 'int-or-string' };
        continue;
      }
      const typeError = errs.find((e) => e.keyword === 'type');
      if (typeError) {
        const t = String(Array.isArray(typeError.params['type']) ? (typeError.params['type'] as unknown[])[0] : typeError.params['type']);
        if (t === 'array') {
          node.shape = { type: 'array', items: { type: 'any' } };
          child('0');
        } else if (t === 'string' || t === 'integer' || t === 'number' || t === 'boolean') node.shape = { type: t };
        else node.shape = { type: 'any' };
        continue;
      }
      const trace = traces.get(node.pointer);
      if (trace?.enumerated) {
        node.shape = { type: 'map', values: { type: 'any' } };
        child('key');
      } else if (trace && trace.read.size > 0) {
        const required = errs.filter((e) => e.keyword === 'required').map((e) => String(e.params['missingProperty']));
        const keys = [...trace.read].sort();
        node.shape = { type: 'object', properties: {}, required };
        const signature = JSON.stringify([trace.site, keys]);
        const first = memo.get(signature);
        if (first && first !== node) node.same = first;
        else {
          memo.set(signature, node);
          for (const key of keys) child(key);
        }
      } else node.shape = { type: 'any' };
    }
    frontier = next;
  }
  return shapeOf(root, shapes);
}

/** Each node's finished shape; an object's is made before its properties, so cycles close. */
const shapes = new WeakMap<Node, Shape>();

function shapeOf(node: Node, done: WeakMap<Node, Shape>): Shape {
  if (node.same) return shapeOf(node.same, done);
  const known = done.get(node);
  if (known) return known;
  const s = node.shape ?? { type: 'any' };
  if (s.type === 'object') {
    const out: Shape = { type: 'object', properties: {}, required: s.required };
    done.set(node, out);
    for (const [k, c] of node.children) out.properties[k] = shapeOf(c, done);
    return out;
  }
  let out: Shape = s;
  if (s.type === 'array') out = { type: 'array', items: shapeOf(node.children.get('0')!, done) };
  if (s.type === 'map') out = { type: 'map', values: shapeOf(node.children.get('key')!, done) };
  done.set(node, out);
  return out;
}
