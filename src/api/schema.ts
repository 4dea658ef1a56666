/**
 * Schema validation with the upstream OpenAPI schemas, as compiled by `kubernetes-models`.
 *
 * Those compiled validators do not reject unknown properties, and the package ships no schema text
 * to read property lists from. But each validator reads every property its schema declares
 * (`data.parallelism`, even when absent) and enumerates the keys of maps (`labels`, `data`). So we
 * run the validator over a proxy that records what it reads: a key of an object the validator
 * inspected but never read is a field the schema does not have. This stays exact as the schemas
 * change with new Kubernetes versions, without copying any schema text.
 */
import { type FieldPath, type Finding, type PathSegment, describeValue, formatPath, isRecord, pathFromPointer, valueAt } from './fieldpath.js';

/** A class generated from an upstream schema whose `validate()` checks `this` (kubernetes-models). */
export interface SchemaModel {
  prototype: { validate(): void };
}

/**
 * A view of a manifest shaped as its published schema expects, for kinds whose schema is
 * stricter than the controller that reads them (Argo), and the way back from the view's paths.
 */
export interface SchemaView {
  view: Record<string, unknown>;
  /** A path in the view as the same place in the original manifest. */
  toOriginal(path: FieldPath): PathSegment[];
}

export interface SchemaOptions {
  /** Keep `data`/`stringData` values out of messages (Secrets). */
  hideValues?: boolean;
  view?: (obj: Record<string, unknown>) => SchemaView;
}

/** The parts of an ajv error object we use (ajv's compiled validators fill these, but no messages). */
interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

function isSchemaError(e: unknown): e is SchemaError {
  return isRecord(e) && typeof e['instancePath'] === 'string' && typeof e['keyword'] === 'string' && isRecord(e['params']);
}

interface NodeTrace {
  /** Properties the validator read (a schema's declared properties). */
  read: Set<string>;
  /** The validator listed the keys, as it does for maps (`additionalProperties`). */
  enumerated: boolean;
}

export interface SchemaCheck {
  /** Schema errors and unknown fields. */
  findings: Finding[];
  /** The unknown fields' paths, formatted, so later checks do not report them again. */
  unknownFields: Set<string>;
}

/** Validates `obj` against the schema `model` was generated from. */
export function checkSchema(obj: Record<string, unknown>, model: SchemaModel, opts: SchemaOptions = {}): SchemaCheck {
  const adapted = opts.view?.(obj);
  const data = adapted?.view ?? obj;
  const back = (path: FieldPath): PathSegment[] => (adapted ? adapted.toOriginal(path) : [...path]);
  const traces = new Map<string, NodeTrace>();
  const proxy = traced(data, '', traces);
  let errors: SchemaError[] = [];
  try {
    // `validate` only reads `this`, so it can run over the tracing proxy instead of a model instance
    // (constructing one would copy, and so read, every key).
    model.prototype.validate.call(proxy);
  } catch (err) {
    const list: unknown = isRecord(err) ? err['errors'] : undefined;
    if (!Array.isArray(list)) throw err;
    errors = list.filter(isSchemaError);
  }
  const findings = schemaFindings(errors, data, opts.hideValues === true).map((f) => ({ ...f, path: back(f.path) }));
  const unknown = new Set<string>();
  for (const viewPath of unknownFields(data, '', [], traces)) {
    const path = back(viewPath);
    findings.push({ severity: 'error', path, message: `unknown field ${JSON.stringify(path[path.length - 1])}`, anchor: 'key', unknownField: true });
    unknown.add(formatPath(path));
  }
  return { findings, unknownFields: unknown };
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Wraps `value` so that reads and key listings are recorded per JSON pointer. */
function traced(value: unknown, pointer: string, traces: Map<string, NodeTrace>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const trace: NodeTrace = traces.get(pointer) ?? { read: new Set(), enumerated: false };
  traces.set(pointer, trace);
  const children = new Map<string, unknown>();
  return new Proxy(value, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return v;
      trace.read.add(key);
      if (!Object.prototype.hasOwnProperty.call(target, key) || typeof v !== 'object' || v === null) return v;
      let child = children.get(key);
      if (child === undefined) {
        child = traced(v, `${pointer}/${escapePointer(key)}`, traces);
        children.set(key, child);
      }
      return child;
    },
    has(target, key) {
      if (typeof key === 'string') trace.read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      trace.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

/** Keys of inspected objects that the validator never read: fields the schema does not declare. */
function unknownFields(value: unknown, pointer: string, path: PathSegment[], traces: Map<string, NodeTrace>): PathSegment[][] {
  const out: PathSegment[][] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => out.push(...unknownFields(item, `${pointer}/${i}`, [...path, i], traces)));
    return out;
  }
  if (!isRecord(value)) return out;
  const trace = traces.get(pointer);
  // Not inspected (a parent had the wrong type), or a free-form object (no declared properties).
  if (!trace || (trace.read.size === 0 && !trace.enumerated)) return out;
  for (const [key, child] of Object.entries(value)) {
    if (!trace.enumerated && !trace.read.has(key)) out.push([...path, key]);
    else out.push(...unknownFields(child, `${pointer}/${escapePointer(key)}`, [...path, key], traces));
  }
  return out;
}

const FORMAT_NAMES: Record<string, string> = {
  int32: 'a 32-bit integer',
  int64: 'a 64-bit integer',
  byte: 'base64-encoded data',
  double: 'a number',
  'date-time': 'an RFC 3339 date-time',
  quantity: 'a quantity such as "500m" or "2Gi"',
};

/** Turns ajv errors into findings whose messages say what was expected and what was found. */
function schemaFindings(errors: SchemaError[], data: unknown, hideValues: boolean): Finding[] {
  const byPointer = new Map<string, SchemaError[]>();
  for (const e of errors) {
    const list = byPointer.get(e.instancePath) ?? [];
    list.push(e);
    byPointer.set(e.instancePath, list);
  }
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const add = (path: FieldPath, message: string, anchor: Finding['anchor']): void => {
    const key = `${path.join('\u0000')}\u0001${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push({ severity: 'error', path, message, anchor });
  };
  for (const [pointer, errs] of byPointer) {
    const path = pathFromPointer(pointer, data);
    const value = valueAt(data, path);
    const got = hideValues && isSecretValuePath(path) ? `got ${typeof value}` : `got ${describeValue(value)}`;
    // int-or-string and quantity are `oneOf`; its branches' errors only make sense together.
    if (errs.some((e) => e.keyword === 'oneOf')) {
      const types = [...new Set(errs.filter((e) => e.keyword === 'type').map((e) => String(e.params['type'])))];
      // A quantity is a number or a string like "2Gi"; int-or-string is an integer or a string.
      const quantity = types.includes('number') || errs.some((e) => e.keyword === 'format' && e.params['format'] === 'quantity');
      add(path, quantity ? `expected ${FORMAT_NAMES['quantity']}, ${got}` : `expected ${types.join(' or ')}, ${got}`, 'value');
      continue;
    }
    for (const e of errs) {
      switch (e.keyword) {
        case 'required': {
          const name = String(e.params['missingProperty']);
          add([...path, name], `required field ${JSON.stringify(name)} is missing`, 'parent');
          break;
        }
        case 'type':
          add(path, `expected ${String(e.params['type'])}, ${got}`, 'value');
          break;
        case 'enum': {
          const allowed = Array.isArray(e.params['allowedValues']) ? e.params['allowedValues'] : [];
          add(path, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, ${got}`, 'value');
          break;
        }
        case 'format': {
          const format = String(e.params['format']);
          add(path, `expected ${FORMAT_NAMES[format] ?? `format "${format}"`}, ${got}`, 'value');
          break;
        }
        default:
          add(path, `does not satisfy the schema (${e.keyword} ${JSON.stringify(e.params)})`, 'value');
      }
    }
  }
  return findings;
}

/** Secret values are never echoed back in messages. */
function isSecretValuePath(path: FieldPath): boolean {
  return path.length === 2 && (path[0] === 'data' || path[0] === 'stringData');
}
