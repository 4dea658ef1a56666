/**
 * Just enough of Kubernetes' protobuf encoding to read the review requests kubectl sends only as
 * protobuf (`auth can-i`, `auth whoami`): the `k8s\0` envelope (runtime.Unknown) and the string
 * fields of the reviews' specs. The objects of typed writes are read by ./proto-decode.ts.
 */
import { BadRequestError } from '../api/errors.js';

const MAGIC = Buffer.from('k8s\0', 'latin1');

/** The length-delimited fields of one message, by field number (varints and fixed-size fields skipped). */
export function messageFields(buf: Buffer): Map<number, Buffer[]> {
  const out = new Map<number, Buffer[]>();
  let i = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      if (i >= buf.length || shift > 49) throw new BadRequestError('malformed protobuf body');
      const b = buf[i++]!;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        varint();
        break;
      case 1:
        i += 8;
        break;
      case 2: {
        const len = varint();
        if (i + len > buf.length) throw new BadRequestError('malformed protobuf body');
        out.set(field, [...(out.get(field) ?? []), buf.subarray(i, i + len)]);
        i += len;
        break;
      }
      case 5:
        i += 4;
        break;
      default:
        throw new BadRequestError('malformed protobuf body');
    }
  }
  return out;
}

/** The object inside a `k8s\0` envelope (runtime.Unknown): its apiVersion, kind, encoded body and how that is encoded. */
export function unwrap(buf: Buffer): { apiVersion: string; kind: string; raw: Buffer; contentEncoding: string; contentType: string } {
  if (!buf.subarray(0, 4).equals(MAGIC)) throw new BadRequestError('a protobuf body must start with the k8s envelope');
  const unknown = messageFields(buf.subarray(4));
  const typeMeta = messageFields(unknown.get(1)?.[0] ?? Buffer.alloc(0));
  const text = (field: Buffer | undefined): string => field?.toString('utf8') ?? '';
  return { apiVersion: text(typeMeta.get(1)?.[0]), kind: text(typeMeta.get(2)?.[0]), raw: unknown.get(2)?.[0] ?? Buffer.alloc(0), contentEncoding: text(unknown.get(3)?.[0]), contentType: text(unknown.get(4)?.[0]) };
}

function strings(buf: Buffer | undefined, names: readonly string[]): Record<string, string> | undefined {
  if (!buf) return undefined;
  const f = messageFields(buf);
  const out: Record<string, string> = {};
  names.forEach((name, i) => {
    const v = f.get(i + 1)?.[0];
    if (v !== undefined) out[name] = v.toString('utf8');
  });
  return out;
}

/** A review request (access, rules or self) decoded into the JSON shape the API answers from. */
export function decodeReview(buf: Buffer): { kind: string; spec: Record<string, unknown> } {
  const { kind, raw } = unwrap(buf);
  const spec = messageFields(raw).get(2)?.[0];
  const fields = spec ? messageFields(spec) : new Map<number, Buffer[]>();
  switch (kind) {
    case 'SelfSubjectAccessReview': {
      const resourceAttributes = strings(fields.get(1)?.[0], ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name']);
      const nonResourceAttributes = strings(fields.get(2)?.[0], ['path', 'verb']);
      return { kind, spec: { ...(resourceAttributes ? { resourceAttributes } : {}), ...(nonResourceAttributes ? { nonResourceAttributes } : {}) } };
    }
    case 'SelfSubjectRulesReview':
      return { kind, spec: strings(spec, ['namespace']) ?? {} };
    case 'SelfSubjectReview':
      return { kind, spec: {} };
    default:
      throw new BadRequestError(`a protobuf body of kind ${kind || '(none)'} is not read here: send JSON`);
  }
}
