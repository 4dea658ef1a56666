import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BadRequestError, UnsupportedMediaTypeError } from '../api/errors.js';
import { decodeObject } from './proto-decode.js';

// Bodies kubectl 1.35 sent for typed `create` commands, each beside the JSON the same command
// prints with `--dry-run=client -o json` (what it would have sent as JSON). The .pb files stay
// under src/: the build does not copy data files.
const FIXTURES = fileURLToPath(new URL('../../../src/server/testdata/kubectl-protobuf/', import.meta.url));

function fixture(name: string): Buffer {
  return readFileSync(`${FIXTURES}${name}.pb`);
}

function decoded<T>(body: Buffer): T {
  return decodeObject(body) as unknown as T;
}

/** A field of a hand-built message: numbers are varints, strings and buffers bytes, arrays messages. */
type Field = [number, number | bigint | boolean | string | Buffer | Field[]];

function varint(v: bigint): Buffer {
  const out: number[] = [];
  let n = BigInt.asUintN(64, v);
  do {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return Buffer.from(out);
}

function encode(fields: Field[]): Buffer {
  return Buffer.concat(
    fields.map(([number, v]) => {
      if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return Buffer.concat([varint(BigInt(number * 8)), varint(BigInt(v))]);
      const bytes = typeof v === 'string' ? Buffer.from(v) : Buffer.isBuffer(v) ? v : encode(v);
      return Buffer.concat([varint(BigInt(number * 8 + 2)), varint(BigInt(bytes.length)), bytes]);
    }),
  );
}

/** A `k8s\0` envelope around an object's message. */
function envelope(apiVersion: string, kind: string, raw: Buffer, more: Field[] = []): Buffer {
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), encode([[1, [[1, apiVersion], [2, kind]]], [2, raw], ...more])]);
}

test("every body kubectl sent as protobuf decodes to exactly the JSON it writes for the same command (Go's zero values and omitempty included)", () => {
  const names = readdirSync(FIXTURES).filter((f) => f.endsWith('.pb')).map((f) => f.slice(0, -3));
  assert.ok(names.length >= 15, `fixtures in ${FIXTURES}`);
  for (const name of names) {
    const want = JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as unknown;
    assert.deepEqual(decodeObject(fixture(name)), want, name);
  }
});

test('a Secret\'s data stays base64 as in JSON, binary bytes included; a ConfigMap\'s binaryData too', () => {
  const secret = decoded<{ data: Record<string, string> }>(fixture('secret'));
  assert.equal(Buffer.from(secret.data['password']!, 'base64').toString(), 's3cr3t!');
  const files = decoded<{ data: Record<string, string>; type: string }>(fixture('secret-files'));
  assert.deepEqual(Buffer.from(files.data['key.bin']!, 'base64'), Buffer.from([0, 1, 0xfe, 0xff, ...Buffer.from('binary')]));
  assert.equal(files.type, 'Opaque');
  const blobs = decoded<{ data: Record<string, string>; binaryData: Record<string, string> }>(fixture('configmap-binary'));
  assert.deepEqual(blobs.data, { 'note.txt': 'plain text' });
  assert.deepEqual(Buffer.from(blobs.binaryData['blob']!, 'base64'), Buffer.from([0, 1, 0xfe, 0xff, ...Buffer.from('binary')]));
});

test('a Pod built field by field: timestamps, quantities, inlined volume sources and probe handlers, pointers to zero, negative numbers, unknown fields skipped', () => {
  const pod = encode([
    [1, [[1, 'p'], [3, 'ns'], [8, [[1, 1700000000]]], [11, [[1, 'app'], [2, 'x']]], [9999, 'from a newer client']]],
    [
      2,
      [
        [1, [[1, 'scratch'], [2, [[2, []]]]]],
        [2, [[1, 'main'], [2, 'busybox'], [6, [[3, 8080]]], [8, [[1, [[1, 'cpu'], [2, [[1, '500m']]]]]]], [10, [[1, [[1, [[1, 'true']]]]], [2, 5]]]]],
        [4, 0],
        [25, -5],
      ],
    ],
  ]);
  const got = decoded<{ metadata: unknown; spec: Record<string, unknown>; status: unknown }>(envelope('v1', 'Pod', pod));
  assert.deepEqual(got.metadata, { name: 'p', namespace: 'ns', creationTimestamp: '2023-11-14T22:13:20Z', labels: { app: 'x' } });
  assert.deepEqual(got.spec['volumes'], [{ name: 'scratch', emptyDir: {} }]);
  assert.deepEqual(got.spec['containers'], [{ name: 'main', image: 'busybox', ports: [{ containerPort: 8080 }], resources: { limits: { cpu: '500m' } }, livenessProbe: { exec: { command: ['true'] }, initialDelaySeconds: 5 } }]);
  assert.equal(got.spec['terminationGracePeriodSeconds'], 0, 'a pointer to zero is kept');
  assert.equal(got.spec['priority'], -5);
  assert.deepEqual(got.status, {});
});

test('a Service port\'s targetPort is a number or a name (IntOrString), and 0 when left out, as Go writes it', () => {
  const svc = encode([[2, [[1, [[3, 80], [4, [[1, 1], [3, 'http']]]]], [1, [[3, 81], [4, [[1, 0], [2, 8081]]]]], [1, [[3, 82]]]]]]);
  const got = decoded<{ spec: { ports: unknown } }>(envelope('v1', 'Service', svc));
  assert.deepEqual(got.spec.ports, [
    { port: 80, targetPort: 'http' },
    { port: 81, targetPort: 8081 },
    { port: 82, targetPort: 0 },
  ]);
});

test('a kind without a table here is 415 (the client may send JSON); a compressed or foreign envelope is 415 too', () => {
  assert.throws(() => decodeObject(envelope('apps/v1', 'Deployment', Buffer.alloc(0))), (e: unknown) => e instanceof UnsupportedMediaTypeError && /Deployment apps\/v1/.test(e.message));
  assert.throws(() => decodeObject(envelope('v1', 'ConfigMap', Buffer.alloc(0), [[3, 'gzip']])), UnsupportedMediaTypeError);
  assert.throws(() => decodeObject(envelope('v1', 'ConfigMap', Buffer.alloc(0), [[4, 'application/json']])), UnsupportedMediaTypeError);
});

test('a body of many empty list elements (each filled in with Go\'s zero fields) is refused past 100,000 objects, not decoded into gigabytes', () => {
  const container = encode([[2, []]]);
  const spec = Buffer.concat(Array.from({ length: 200_000 }, () => container));
  const pod = encode([[2, spec]]);
  assert.throws(() => decodeObject(envelope('v1', 'Pod', pod)), (e: unknown) => e instanceof BadRequestError && /more than 100000 objects/.test(e.message));
  const few = encode([[2, Buffer.concat(Array.from({ length: 100 }, () => container))]]);
  assert.equal(decoded<{ spec: { containers: unknown[] } }>(envelope('v1', 'Pod', few)).spec.containers.length, 100);
});

test('malformed bodies are 400 naming where they broke, never a crash: every truncation and byte flip of a real body', () => {
  assert.throws(() => decodeObject(Buffer.from('{"kind":"ConfigMap"}')), (e: unknown) => e instanceof BadRequestError && /k8s envelope/.test(e.message));
  assert.throws(() => decodeObject(envelope('v1', 'ConfigMap', encode([[1, [[1, 7]]]]))), (e: unknown) => e instanceof BadRequestError && /meta\.v1\.ObjectMeta.*field name \(string\) has wire type 0/.test(e.message));
  for (const name of ['job', 'rolebinding', 'secret-files', 'service']) {
    const body = fixture(name);
    for (let n = 4; n < body.length; n++) {
      try {
        decodeObject(body.subarray(0, n));
      } catch (e) {
        assert.ok(e instanceof BadRequestError || e instanceof UnsupportedMediaTypeError, `${name} cut at ${n}: ${String(e)}`);
      }
    }
    // A fixed walk of flips (no randomness: the same bytes every run).
    for (let i = 4; i < body.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bad = Buffer.from(body);
        bad[i] = bad[i]! ^ mask;
        try {
          decodeObject(bad);
        } catch (e) {
          assert.ok(e instanceof BadRequestError || e instanceof UnsupportedMediaTypeError, `${name} byte ${i} ^ ${mask}: ${String(e)}`);
        }
      }
    }
  }
});
