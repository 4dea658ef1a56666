/**
 * Reads the protobuf bodies kubectl's typed commands send (`create namespace|configmap|secret|
 * job|role|...`) into the JSON object the same command would have sent as JSON, so the API
 * handles both alike. The field tables come from Kubernetes' generated.proto files
 * (./proto-schema.ts, generated); this module knows the wire format, the few messages with a JSON
 * form of their own (Quantity, IntOrString, Time, FieldsV1) and how Go's encoding/json writes a
 * decoded struct: fields a Go value type always has (`"resources": {}`, `"status": {}`), zero
 * values left out where the field says omitempty, absent pointers left out.
 */
import { BadRequestError, UnsupportedMediaTypeError } from '../api/errors.js';
import { PROTO_KINDS, PROTO_MESSAGES, type ProtoField } from './proto-schema.js';
import { unwrap } from './protobuf.js';

/** Deeper than any built-in kind nests: a body that goes further is not one of them. */
const MAX_DEPTH = 64;

/**
 * Objects one body may decode into. Absent value-type fields are filled in as Go does, so two
 * bytes of an empty list element can become an object of several fields: this bounds that.
 */
const MAX_OBJECTS = 100_000;

/** Objects left for the body being decoded (decoding is synchronous: one body at a time). */
let objectsLeft = 0;

const NUMERIC = new Set(['int32', 'int64', 'uint32', 'uint64', 'bool', 'double', 'float']);
const SCALAR = new Set([...NUMERIC, 'string', 'bytes']);

/** A malformed body: 400 naming the message and field being read. */
function malformed(where: string, what: string): BadRequestError {
  return new BadRequestError(`malformed protobuf body at ${where}: ${what}`);
}

/** A cursor over one message's bytes. */
class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly where: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.pos >= this.buf.length) throw malformed(this.where, 'a varint runs past the end');
      if (shift > 63n) throw malformed(this.where, 'a varint longer than 10 bytes');
      const b = this.buf[this.pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
  }

  take(n: number): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) throw malformed(this.where, `a field of ${n} bytes runs past the end`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  bytes(): Buffer {
    const len = this.varint();
    if (len > BigInt(this.buf.length)) throw malformed(this.where, `a field of ${len} bytes runs past the end`);
    return this.take(Number(len));
  }

  /** Steps over a field of a number this schema does not know (a newer client's field). */
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.take(8);
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.take(4);
    else throw malformed(this.where, `wire type ${wire} is not one Kubernetes uses`);
  }
}

/** One scalar of `type` read with wire type `wire`. */
function scalar(type: string, wire: number, r: Reader, field: string): unknown {
  const expect = type === 'double' ? 1 : type === 'float' ? 5 : NUMERIC.has(type) ? 0 : 2;
  if (wire !== expect) throw malformed(r.where, `field ${field} (${type}) has wire type ${wire}, expected ${expect}`);
  switch (type) {
    case 'string':
      return r.bytes().toString('utf8');
    case 'bytes':
      return r.bytes().toString('base64');
    case 'bool':
      return r.varint() !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, r.varint()));
    case 'int64':
      return Number(BigInt.asIntN(64, r.varint()));
    case 'uint32':
      return Number(BigInt.asUintN(32, r.varint()));
    case 'uint64':
      return Number(BigInt.asUintN(64, r.varint()));
    case 'double':
      return r.take(8).readDoubleLE(0);
    default:
      return r.take(4).readFloatLE(0);
  }
}

/** The JSON of a Go zero value of `type` (a value field absent from the wire). */
function zero(type: string, depth: number): unknown {
  switch (type) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return null;
    default:
      if (NUMERIC.has(type)) return 0;
      return PROTO_MESSAGES[type] ? message(type, Buffer.alloc(0), depth + 1) : special(type, Buffer.alloc(0), type);
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false || v === null;
}

function timestamp(buf: Buffer, where: string, fraction: number): string | null {
  // An unset time is sent as an empty message (not as second 0, which is 1970).
  if (buf.length === 0) return null;
  let seconds = 0n;
  let nanos = 0n;
  const r = new Reader(buf, where);
  while (!r.done) {
    const key = Number(r.varint());
    if (key === 8) seconds = BigInt.asIntN(64, r.varint());
    else if (key === 16) nanos = BigInt.asIntN(32, r.varint());
    else r.skip(key & 7);
  }
  const ms = Number(seconds) * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw malformed(where, `time ${seconds}s is out of range`);
  const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');
  return fraction ? `${iso}.${String(nanos).padStart(9, '0').slice(0, fraction)}Z` : `${iso}Z`;
}

/** Messages whose JSON is not an object of their fields. */
function special(type: string, buf: Buffer, where: string): unknown {
  const fields = (): Map<number, { wire: number; value: bigint | Buffer }> => {
    const out = new Map<number, { wire: number; value: bigint | Buffer }>();
    const r = new Reader(buf, where);
    while (!r.done) {
      const key = Number(r.varint());
      const wire = key & 7;
      if (wire === 0) out.set(key >> 3, { wire, value: r.varint() });
      else if (wire === 2) out.set(key >> 3, { wire, value: r.bytes() });
      else r.skip(wire);
    }
    return out;
  };
  const text = (v: bigint | Buffer | undefined): string => (Buffer.isBuffer(v) ? v.toString('utf8') : '');
  switch (type) {
    case 'resource.Quantity':
      return text(fields().get(1)?.value) || '0';
    case 'intstr.IntOrString': {
      const f = fields();
      const kind = f.get(1)?.value;
      if (kind === 1n) return text(f.get(3)?.value);
      const v = f.get(2)?.value;
      return typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : 0;
    }
    case 'meta.v1.Time':
      return timestamp(buf, where, 0);
    case 'meta.v1.MicroTime':
      return timestamp(buf, where, 6);
    case 'meta.v1.FieldsV1':
    case 'runtime.RawExtension': {
      const raw = fields().get(1)?.value;
      if (!Buffer.isBuffer(raw) || raw.length === 0) return null;
      try {
        return JSON.parse(raw.toString('utf8')) as unknown;
      } catch {
        throw malformed(where, `${type} does not hold JSON`);
      }
    }
    default:
      throw new UnsupportedMediaTypeError(`a protobuf ${type} is not read here: send JSON`);
  }
}

/** A field's value read from the wire: a message, a special message or a scalar. */
function value(type: string, wire: number, r: Reader, field: string, depth: number): unknown {
  if (SCALAR.has(type)) return scalar(type, wire, r, field);
  if (wire !== 2) throw malformed(r.where, `field ${field} (${type}) has wire type ${wire}, expected 2`);
  const buf = r.bytes();
  return PROTO_MESSAGES[type] ? message(type, buf, depth + 1) : special(type, buf, `${r.where}.${field}`);
}

/** One map entry (key = 1, value = 2). */
function mapEntry(spec: ProtoField, buf: Buffer, where: string, depth: number): [string, unknown] {
  const [json, type, , keyType = 'string'] = spec;
  const r = new Reader(buf, `${where}.${json}`);
  let key: unknown = keyType === 'string' ? '' : 0;
  let val: unknown;
  while (!r.done) {
    const tag = Number(r.varint());
    if (tag >> 3 === 1) key = scalar(keyType, tag & 7, r, 'key');
    else if (tag >> 3 === 2) val = value(type, tag & 7, r, 'value', depth);
    else r.skip(tag & 7);
  }
  if (val === undefined) val = type === 'bytes' ? '' : zero(type, depth);
  return [String(key), val];
}

/**
 * A message as Go's encoding/json writes the struct it decodes into: `depth` counts the messages
 * around it, `type` is a key of PROTO_MESSAGES.
 */
function message(type: string, buf: Buffer, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new BadRequestError(`protobuf body nested deeper than ${MAX_DEPTH} messages`);
  if (--objectsLeft < 0) throw new BadRequestError(`protobuf body holds more than ${MAX_OBJECTS} objects`);
  const schema = PROTO_MESSAGES[type];
  if (!schema) throw new UnsupportedMediaTypeError(`a protobuf ${type} is not read here: send JSON`);
  const r = new Reader(buf, type);
  const read = new Map<number, unknown>();
  while (!r.done) {
    const tag = r.varint();
    const number = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    const spec = schema[number];
    if (number === 0) throw malformed(type, 'field number 0');
    if (!spec) {
      r.skip(wire);
      continue;
    }
    const [json, fieldType, flags] = spec;
    if (flags.includes('m')) {
      if (wire !== 2) throw malformed(type, `map field ${json} has wire type ${wire}`);
      const map = (read.get(number) as Record<string, unknown> | undefined) ?? {};
      const [k, v] = mapEntry(spec, r.bytes(), type, depth);
      map[k] = v;
      read.set(number, map);
    } else if (flags.includes('r')) {
      const list = (read.get(number) as unknown[] | undefined) ?? [];
      if (wire === 2 && NUMERIC.has(fieldType)) {
        // Packed: the numbers one after another in one length-delimited field.
        const packed = new Reader(r.bytes(), `${type}.${json}`);
        const elementWire = fieldType === 'double' ? 1 : fieldType === 'float' ? 5 : 0;
        while (!packed.done) list.push(scalar(fieldType, elementWire, packed, json));
      } else {
        list.push(value(fieldType, wire, r, json, depth));
      }
      read.set(number, list);
    } else {
      read.set(number, value(fieldType, wire, r, json, depth));
    }
  }
  const out: Record<string, unknown> = {};
  for (const [numberText, [json, fieldType, flags]] of Object.entries(schema)) {
    const got = read.get(Number(numberText));
    // Slices, maps, []byte and pointers are nil when absent: left out (omitempty) or null.
    if (flags.includes('r') || flags.includes('m') || flags.includes('p') || fieldType === 'bytes') {
      if (got !== undefined) out[json] = got;
      else if (!flags.includes('o')) out[json] = null;
      continue;
    }
    const v = got !== undefined ? got : zero(fieldType, depth);
    if (SCALAR.has(fieldType) && flags.includes('o') && isZero(v)) continue;
    if (flags.includes('z') && (isZero(v) || JSON.stringify(v) === JSON.stringify(zero(fieldType, depth)))) continue;
    if (flags.includes('i')) Object.assign(out, v);
    else out[json] = v;
  }
  return out;
}

/** The kinds whose protobuf bodies this module reads, as "apiVersion/kind". */
export function protobufKinds(): string[] {
  return Object.keys(PROTO_KINDS);
}

/**
 * The object in a `k8s\0` protobuf body, as JSON. A kind without a table here is a 415 (the
 * client may send it as JSON); a body that is not well-formed protobuf is a 400.
 */
export function decodeObject(body: Buffer): Record<string, unknown> & { apiVersion: string; kind: string } {
  const { apiVersion, kind, raw, contentEncoding, contentType } = unwrap(body);
  if (contentEncoding) throw new UnsupportedMediaTypeError(`a protobuf body with content encoding "${contentEncoding}" is not read here: send it unencoded`);
  if (contentType && contentType !== 'application/vnd.kubernetes.protobuf') throw new UnsupportedMediaTypeError(`a protobuf envelope holding ${contentType} is not read here: send JSON`);
  const type = PROTO_KINDS[`${apiVersion}/${kind}`];
  if (!type) throw new UnsupportedMediaTypeError(`a protobuf body of kind ${kind || '(none)'} ${apiVersion} is not read here: send it as JSON (application/json)`);
  objectsLeft = MAX_OBJECTS;
  return { apiVersion, kind, ...message(type, raw, 0) };
}
