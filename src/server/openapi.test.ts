import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, loadServerParts, manifestLoader } from '../registry.js';
import { OpenApi, definitionName, openApiResponse } from './openapi.js';

const parts = await loadServerParts();
const loader = await manifestLoader(parts);
const api = new OpenApi({ kinds: KINDS, subresources: parts.subresources, schemaOf: (info) => loader.schemaOf(info), version: 'v1.35.4' });

type Doc = { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: { content: Record<string, unknown> }; 'x-kubernetes-group-version-kind'?: unknown }>>; components: { schemas: Record<string, Schema> } };
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema;
  required?: string[];
  description?: string;
  'x-kubernetes-group-version-kind'?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  $ref?: string;
  allOf?: Schema[];
}

/** Follows `$ref` and single `allOf` references, as kubectl explain does, through `path`. */
function at(doc: Doc, schema: Schema, ...path: string[]): Schema {
  const resolve = (s: Schema): Schema => (s.$ref ? resolve(doc.components.schemas[s.$ref.replace('#/components/schemas/', '')]!) : s.allOf?.length === 1 && !s.properties ? resolve(s.allOf[0]!) : s);
  let cur = resolve(schema);
  for (const p of path) cur = resolve(p === '[]' ? cur.items! : p === '{}' ? cur.additionalProperties! : cur.properties![p]!);
  return cur;
}

function v3(gv: string): Doc {
  return JSON.parse(api.groupVersion(gv)!.body) as Doc;
}

test('/openapi/v3 lists every group version of the kinds table, each at a URL with its document hash', () => {
  const paths = (api.discovery() as { paths: Record<string, { serverRelativeURL: string }> }).paths;
  const gvs = [...new Set(KINDS.all.map((k) => (k.group ? `apis/${k.group}/${k.version}` : `api/${k.version}`)))];
  assert.deepEqual(Object.keys(paths).sort(), gvs.sort());
  assert.equal(Object.keys(paths)[0], 'api/v1');
  assert.equal(paths['apis/batch/v1']!.serverRelativeURL, `/openapi/v3/apis/batch/v1?hash=${api.groupVersion('apis/batch/v1')!.hash}`);
  assert.match(api.groupVersion('apis/batch/v1')!.hash, /^[0-9A-F]{128}$/);
});

test('every kind has its paths with the kind on each operation and the field-validation parameters on writes, so kubectl leaves validation to the server', () => {
  for (const k of KINDS.all) {
    const doc = v3(k.group ? `apis/${k.group}/${k.version}` : `api/${k.version}`);
    const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
    const item = doc.paths[`${base}${k.namespaced ? '/namespaces/{namespace}' : ''}/${k.plural}/{name}`];
    assert.ok(item, `${k.kind}: no path for one object`);
    assert.deepEqual(item['get']!['x-kubernetes-group-version-kind'], { group: k.group, kind: k.kind, version: k.version });
    const schema = doc.components.schemas[definitionName(k)];
    assert.deepEqual(schema?.['x-kubernetes-group-version-kind'], [{ group: k.group, kind: k.kind, version: k.version }], k.kind);
    if (!k.userCreatable) {
      assert.equal(item['patch'], undefined, `${k.kind} is not written by users`);
      continue;
    }
    const patch = item['patch']!;
    const query = (patch.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    for (const name of ['dryRun', 'fieldManager', 'fieldValidation', 'force']) assert.ok(query.includes(name), `${k.kind} PATCH lacks ${name}`);
    assert.deepEqual(Object.keys(patch.requestBody!.content).sort(), ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json']);
    const post = doc.paths[`${base}${k.namespaced ? '/namespaces/{namespace}' : ''}/${k.plural}`]!['post']!;
    assert.ok(post.parameters!.some((p) => p.name === 'fieldValidation'));
  }
});

test("a Job's schema is read from the validator Drover enforces: nested fields, their types and required fields", () => {
  const doc = v3('apis/batch/v1');
  const job = doc.components.schemas['io.k8s.api.batch.v1.Job']!;
  assert.match(job.description!, /Drover validates every Job on the server/);
  const pod = at(doc, job, 'spec', 'template', 'spec');
  assert.deepEqual(pod.required, ['containers']);
  const container = at(doc, pod, 'containers', '[]');
  assert.equal(container.properties!['image']!.type, 'string');
  assert.deepEqual(container.required, ['name']);
  assert.equal(at(doc, container, 'command', '[]').type, 'string');
  assert.equal(at(doc, container, 'resources', 'limits', '{}')['x-kubernetes-int-or-string'], true);
  assert.equal(at(doc, job, 'spec', 'backoffLimit').type, 'integer');
  assert.equal(at(doc, job, 'metadata', 'labels', '{}').type, 'string');
  // Shared types are defined once: the pod template's metadata is the Job's ObjectMeta.
  assert.equal(at(doc, job, 'metadata'), at(doc, job, 'spec', 'template', 'metadata'));
});

test('a ConfigMap has data and no spec; a kind without an upstream schema (Experiment) has a free-form spec and says the server checks it', () => {
  const core = v3('api/v1');
  const cm = core.components.schemas['io.k8s.api.core.v1.ConfigMap']!;
  assert.equal(cm.properties!['spec'], undefined);
  assert.equal(at(core, cm, 'data', '{}').type, 'string');
  const katib = v3('apis/kubeflow.org/v1beta1');
  const exp = katib.components.schemas['org.kubeflow.v1beta1.Experiment']!;
  assert.equal(exp.properties!['spec']!['x-kubernetes-preserve-unknown-fields'], true);
  assert.equal(at(katib, exp, 'metadata', 'name').type, 'string');
  assert.match(exp.description!, /the server checks them/);
});

test("Argo's kinds, whose schema repeats containers and templates everywhere, come out as shared definitions of a reasonable size", () => {
  const doc = api.groupVersion('apis/argoproj.io/v1alpha1')!;
  assert.ok(doc.body.length < 2_000_000, `${doc.body.length} bytes`);
  const argo = JSON.parse(doc.body) as Doc;
  const wf = argo.components.schemas['io.argoproj.v1alpha1.Workflow']!;
  assert.equal(at(argo, wf, 'spec', 'templates', '[]', 'container', 'image').type, 'string');
  assert.equal(at(argo, wf, 'spec', 'entrypoint').type, 'string');
});

test('/openapi/v2 is one Swagger 2.0 document; asked for protobuf only (as kubectl asks), the answer is 406 so the client does without', () => {
  const q = new URLSearchParams();
  const v2 = openApiResponse(api, '/openapi/v2', q, 'application/json')!;
  assert.equal(v2.code, 200);
  const doc = JSON.parse(v2.body) as { swagger: string; definitions: Record<string, unknown>; paths: Record<string, unknown> };
  assert.equal(doc.swagger, '2.0');
  assert.ok(doc.definitions['io.k8s.api.batch.v1.Job']);
  assert.ok(doc.paths['/apis/batch/v1/namespaces/{namespace}/jobs/{name}']);
  const pb = openApiResponse(api, '/openapi/v2', q, 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf')!;
  assert.equal(pb.code, 406);
  assert.equal(JSON.parse(pb.body).reason, 'NotAcceptable');
});

test('a v3 document asked for by its hash is immutable; an unknown group version is 404; other paths are not OpenAPI', () => {
  const hash = api.groupVersion('apis/batch/v1')!.hash;
  const r = openApiResponse(api, '/openapi/v3/apis/batch/v1', new URLSearchParams({ hash }), undefined)!;
  assert.equal(r.headers['cache-control'], 'public, immutable');
  assert.equal(openApiResponse(api, '/openapi/v3/apis/batch/v1', new URLSearchParams(), 'application/json')!.headers['cache-control'], 'no-cache, private');
  assert.equal(openApiResponse(api, '/openapi/v3/apis/nope/v1', new URLSearchParams(), undefined)!.code, 404);
  assert.equal(openApiResponse(api, '/openapiv3', new URLSearchParams(), undefined), undefined);
});
