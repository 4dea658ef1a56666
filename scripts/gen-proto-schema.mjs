#!/usr/bin/env node
// Writes src/server/proto-schema.ts: the protobuf field tables of the built-in kinds kubectl sends
// as protobuf (its typed `create` commands), read by src/server/proto-decode.ts.
//
// Run by hand when Drover moves to a newer Kubernetes API (not part of the build):
//
//   node scripts/gen-proto-schema.mjs [GOMODCACHE]     # default: $GOMODCACHE or ~/go/pkg/mod
//
// It reads, from the Go module cache (fetch them with `go mod download k8s.io/api@vX
// k8s.io/apimachinery@vX`), the `generated.proto` files of k8s.io/api and k8s.io/apimachinery at
// VERSION below (field numbers and wire types) and the Go structs beside them (`types.go`: the
// JSON name, omitempty/omitzero, pointer or value, inlined embedded structs), because the JSON an
// API server would read back from a decoded object depends on all of those. Only the messages
// reachable from ROOTS are written.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = 'v0.35.4';
const modcache = process.argv[2] ?? process.env.GOMODCACHE ?? join(homedir(), 'go', 'pkg', 'mod');

/** Go packages read: proto package → directory in the module cache. */
const PACKAGES = {
  'k8s.io.api.core.v1': `k8s.io/api@${VERSION}/core/v1`,
  'k8s.io.api.batch.v1': `k8s.io/api@${VERSION}/batch/v1`,
  'k8s.io.api.rbac.v1': `k8s.io/api@${VERSION}/rbac/v1`,
  'k8s.io.apimachinery.pkg.apis.meta.v1': `k8s.io/apimachinery@${VERSION}/pkg/apis/meta/v1`,
  'k8s.io.apimachinery.pkg.api.resource': `k8s.io/apimachinery@${VERSION}/pkg/api/resource`,
  'k8s.io.apimachinery.pkg.util.intstr': `k8s.io/apimachinery@${VERSION}/pkg/util/intstr`,
  'k8s.io.apimachinery.pkg.runtime': `k8s.io/apimachinery@${VERSION}/pkg/runtime`,
  'k8s.io.apimachinery.pkg.runtime.schema': `k8s.io/apimachinery@${VERSION}/pkg/runtime/schema`,
};

/** The kinds Drover serves whose bodies kubectl may send as protobuf: apiVersion/kind → message. */
const ROOTS = {
  'v1/Namespace': 'core.v1.Namespace',
  'v1/ConfigMap': 'core.v1.ConfigMap',
  'v1/Secret': 'core.v1.Secret',
  'v1/Pod': 'core.v1.Pod',
  'v1/Service': 'core.v1.Service',
  'v1/ServiceAccount': 'core.v1.ServiceAccount',
  'v1/ResourceQuota': 'core.v1.ResourceQuota',
  'v1/PersistentVolumeClaim': 'core.v1.PersistentVolumeClaim',
  'batch/v1/Job': 'batch.v1.Job',
  'rbac.authorization.k8s.io/v1/Role': 'rbac.v1.Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'rbac.v1.ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'rbac.v1.RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'rbac.v1.ClusterRoleBinding',
};

/** Messages with a JSON form of their own (a string, a number or string, a timestamp): the decoder knows them, their fields are not listed. */
const SPECIAL = new Set(['meta.v1.Time', 'meta.v1.MicroTime', 'meta.v1.Duration', 'meta.v1.FieldsV1', 'resource.Quantity', 'intstr.IntOrString', 'runtime.RawExtension']);

/** `k8s.io.api.core.v1.Pod` → `core.v1.Pod`. */
function short(qualified) {
  return qualified.replace(/^\./, '').replace(/^k8s\.io\.api\./, '').replace(/^k8s\.io\.apimachinery\.pkg\.(apis|api|util)\./, '').replace(/^k8s\.io\.apimachinery\.pkg\./, '');
}

/** Messages of one generated.proto: name → [{ label, type, key?, name, number }]. */
function parseProto(pkg, text) {
  const messages = new Map();
  let current;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    let m;
    if ((m = /^message (\w+) \{$/.exec(line))) {
      current = [];
      messages.set(`${short(pkg)}.${m[1]}`, current);
    } else if (line === '}') {
      current = undefined;
    } else if (current && (m = /^(optional|repeated|required) (\S+) (\w+) = (\d+);$/.exec(line))) {
      current.push({ label: m[1], type: resolveType(pkg, m[2]), name: m[3], number: Number(m[4]) });
    } else if (current && (m = /^map<(\w+), (\S+)> (\w+) = (\d+);$/.exec(line))) {
      current.push({ label: 'map', key: m[1], type: resolveType(pkg, m[2]), name: m[3], number: Number(m[4]) });
    } else if (current) {
      throw new Error(`${pkg}: a line this script does not read: ${line}`);
    }
  }
  return messages;
}

const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float']);

function resolveType(pkg, type) {
  if (SCALARS.has(type)) return type;
  return type.startsWith('.') ? short(type) : `${short(pkg)}.${type}`;
}

/** What the Go structs of one package say of each protobuf field: `Struct` → number → facts. */
function parseGo(dir) {
  const structs = new Map();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))) {
    let current;
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      let m;
      if ((m = /^type (\w+) struct \{/.exec(line))) {
        current = new Map();
        structs.set(m[1], current);
      } else if (/^\}/.test(line)) {
        current = undefined;
      } else if (current && (m = /^\s+(?:(\w+)\s+)?(\S+)\s+`([^`]*)`/.exec(line))) {
        const tags = m[3];
        const proto = /protobuf:"[a-z0-9]+,(\d+),/.exec(tags);
        if (!proto) continue;
        const json = /json:"([^"]*)"/.exec(tags)?.[1] ?? '';
        const [jsonName, ...opts] = json.split(',');
        current.set(Number(proto[1]), { json: jsonName, inline: jsonName === '', pointer: m[2].startsWith('*'), omitempty: opts.includes('omitempty'), omitzero: opts.includes('omitzero') });
      }
    }
  }
  return structs;
}

const messages = new Map();
const goFacts = new Map();
for (const [pkg, dir] of Object.entries(PACKAGES)) {
  const full = join(modcache, dir);
  for (const [name, fields] of parseProto(pkg, readFileSync(join(full, 'generated.proto'), 'utf8'))) messages.set(name, fields);
  for (const [name, facts] of parseGo(full)) goFacts.set(`${short(pkg)}.${name}`, facts);
}

// Every message reachable from the roots, stopping at the special ones.
const reachable = new Set();
const queue = Object.values(ROOTS);
while (queue.length) {
  const name = queue.pop();
  if (reachable.has(name)) continue;
  if (!messages.has(name)) throw new Error(`no message ${name} in the packages read`);
  reachable.add(name);
  if (SPECIAL.has(name)) continue;
  for (const f of messages.get(name)) if (!SCALARS.has(f.type)) queue.push(f.type);
}

// A field: [jsonName, type, flags, mapKeyType?]. Flags: r repeated, m map, p pointer in Go,
// o omitempty, z omitzero, i inlined (its fields are the parent's in JSON).
const table = {};
for (const name of [...reachable].sort()) {
  if (SPECIAL.has(name)) continue;
  const facts = goFacts.get(name);
  if (!facts) throw new Error(`no Go struct for ${name}`);
  const fields = {};
  for (const f of messages.get(name)) {
    const go = facts.get(f.number);
    if (!go) throw new Error(`${name}.${f.name} (${f.number}) has no Go field`);
    const flags = `${f.label === 'repeated' ? 'r' : ''}${f.label === 'map' ? 'm' : ''}${go.pointer ? 'p' : ''}${go.omitempty ? 'o' : ''}${go.omitzero ? 'z' : ''}${go.inline ? 'i' : ''}`;
    fields[f.number] = f.label === 'map' ? [go.json, f.type, flags, f.key] : [go.json, f.type, flags];
  }
  table[name] = fields;
}

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, '..', 'src', 'server', 'proto-schema.ts');
const body = Object.entries(table)
  .map(([name, fields]) => `  ${JSON.stringify(name)}: ${JSON.stringify(fields)},`)
  .join('\n');
writeFileSync(
  out,
  `/**
 * GENERATED by scripts/gen-proto-schema.mjs from the generated.proto files and Go structs of
 * k8s.io/api and k8s.io/apimachinery ${VERSION}: do not edit. To regenerate, run
 * \`node scripts/gen-proto-schema.mjs\` with those modules in the Go module cache.
 *
 * Long (one line per message) because it is a table, not code.
 */

/** [JSON name, type, flags, map key type]: flags r repeated, m map, p pointer, o omitempty, z omitzero, i inlined. */
export type ProtoField = readonly [string, string, string, string?];

/** The protobuf message of each kind kubectl may send as protobuf, by "apiVersion/kind". */
export const PROTO_KINDS: Readonly<Record<string, string>> = ${JSON.stringify(ROOTS, null, 2).replace(/"([^"]+)":/g, "'$1':").replace(/"/g, "'")};

/** Message → field number → field. */
export const PROTO_MESSAGES: Readonly<Record<string, Readonly<Record<number, ProtoField>>>> = {
${body}
};
`,
);
console.log(`wrote ${out}: ${Object.keys(table).length} messages`);
