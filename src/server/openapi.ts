/**
 * OpenAPI as the Kubernetes API server publishes it, for every kind of the kinds table:
 *   - `/openapi/v3`: the discovery document, one `serverRelativeURL` (with a content hash) per
 *     group version;
 *   - `/openapi/v3/api/v1`, `/openapi/v3/apis/{group}/{version}`: the paths the server answers
 *     for each resource and verb, with the `dryRun`, `fieldManager` and `fieldValidation`
 *     parameters on writes (kubectl reads them to leave validation to the server) and one
 *     schema per kind carrying `x-kubernetes-group-version-kind` (what `kubectl explain` reads);
 *   - `/openapi/v2`: the same as one Swagger 2.0 document.
 *
 * The schemas are read back from the validators Drover enforces (./schema-probe.ts): field names,
 * types and required fields, no descriptions. Kinds validated without an upstream schema
 * (Experiments, Profiles) get `spec`/`status` as free-form objects; the server checks them.
 *
 * PATCH bodies are published without `application/strategic-merge-patch+json` although the server
 * takes it for core and batch kinds: the schemas carry no merge keys, and a kubectl that found the
 * type here would build its patches from them (lists replaced whole); without it, kubectl uses its
 * built-in types' merge keys, as it did before any OpenAPI was served.
 */
import { createHash } from 'node:crypto';
import type { KindInfo, KindTable } from '../api/kinds.js';
import type { SchemaModel } from '../api/schema.js';
import type { Subresource } from '../kinds/types.js';
import { probeSchema, type ProbeMemo, type Shape } from './schema-probe.js';
import { verbsOf } from './discovery.js';

export interface OpenApiSource {
  kinds: KindTable;
  subresources(kind: string): ReadonlyMap<string, Subresource>;
  /** The compiled upstream schema a kind is validated with, if it has one. */
  schemaOf(info: KindInfo): SchemaModel | undefined;
  /** The Kubernetes version the server speaks (`v1.35.4`). */
  version: string;
}

type Json = Record<string, unknown>;

/** `io.k8s.api.batch.v1.Job`, `io.argoproj.v1alpha1.Workflow`: upstream's naming, group reversed for the others. */
export function definitionName(k: Pick<KindInfo, 'group' | 'version' | 'kind'>): string {
  if (k.group === '') return `io.k8s.api.core.${k.version}.${k.kind}`;
  if (k.group === 'batch') return `io.k8s.api.batch.${k.version}.${k.kind}`;
  if (k.group.endsWith('.k8s.io')) return `io.k8s.api.${k.group.slice(0, -'.k8s.io'.length).split('.')[0]}.${k.version}.${k.kind}`;
  return `${k.group.split('.').reverse().join('.')}.${k.version}.${k.kind}`;
}

/**
 * How shapes become schemas in one document: objects met more than once (a container, a volume,
 * a whole template) are defined once and referred to, as upstream's documents do.
 */
class Definitions {
  /** The shared objects' names. */
  readonly names = new Map<Shape, string>();
  /** The schemas defined so far, by name. */
  readonly schemas: Record<string, Json> = {};

  constructor(
    readonly v2: boolean,
    private readonly refBase: string,
  ) {}

  /** Names every object shape that `roots` reach more than once, after the first path that reaches it. */
  share(roots: { name: string; shape: Shape }[]): void {
    const seen = new Map<Shape, string>();
    const shared = new Set<Shape>();
    const walk = (s: Shape, path: string): void => {
      if (s.type === 'array') return walk(s.items, path);
      if (s.type === 'map') return walk(s.values, path);
      if (s.type !== 'object') return;
      if (seen.has(s)) {
        shared.add(s);
        return;
      }
      seen.set(s, path);
      for (const [k, p] of Object.entries(s.properties)) walk(p, `${path}.${k}`);
    };
    for (const r of roots) walk(r.shape, r.name);
    for (const r of roots) if (shared.has(r.shape)) this.names.set(r.shape, r.name);
    for (const s of shared) if (!this.names.has(s)) this.names.set(s, seen.get(s)!);
  }

  ref(name: string): Json {
    return { $ref: `${this.refBase}${name}` };
  }

  /** The schema of `s`: a reference when it is shared, except as its own definition. */
  schema(s: Shape, defining = false): Json {
    const name = this.names.get(s);
    if (name && !defining) {
      if (!this.schemas[name]) {
        this.schemas[name] = {};
        this.schemas[name] = this.schema(s, true);
      }
      return this.ref(name);
    }
    switch (s.type) {
      case 'object': {
        const out: Json = { type: 'object', properties: Object.fromEntries(Object.entries(s.properties).map(([k, p]) => [k, this.schema(p)])) };
        if (s.required.length) out['required'] = [...s.required];
        return out;
      }
      case 'map':
        return { type: 'object', additionalProperties: this.schema(s.values) };
      case 'array':
        return { type: 'array', items: this.schema(s.items) };
      case 'int-or-string':
        return this.v2 ? { type: 'string', format: 'int-or-string' } : { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
      case 'quantity':
        return this.v2
          ? { type: 'string', description: 'A quantity: 500m, 2Gi, 1.5.' }
          : { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'number' }, { type: 'string' }], description: 'A quantity: 500m, 2Gi, 1.5.' };
      case 'any':
        return { 'x-kubernetes-preserve-unknown-fields': true };
      default:
        return { type: s.type };
    }
  }
}

const TYPE_DOCS: Record<string, string> = {
  apiVersion: 'APIVersion defines the versioned schema of this representation of an object.',
  kind: 'Kind is a string value representing the REST resource this object represents.',
  metadata: "Standard object's metadata.",
  spec: 'The desired state, as written by its user.',
  status: 'The observed state, written by Drover.',
};

function kindDescription(k: KindInfo, probed: boolean): string {
  const how = probed
    ? 'Field names, types and required fields are read from the upstream schema Drover validates with; it carries no field descriptions.'
    : 'spec and status are free-form here; the server checks them (field by field) on every write.';
  return `${k.kind} (${k.apiVersion}), served by Drover. Drover validates every ${k.kind} on the server and refuses unknown and unsupported fields by name (drover apply adds file:line:column). ${how}`;
}

/** The shape of every kind, probed once per server. */
class Shapes {
  private readonly cache = new Map<string, Shape | undefined>();
  private meta: Shape | undefined;
  private readonly memo: ProbeMemo = new Map();
  constructor(private readonly source: OpenApiSource) {}

  of(k: KindInfo): Shape | undefined {
    const key = `${k.apiVersion}/${k.kind}`;
    if (!this.cache.has(key)) {
      const model = this.source.schemaOf(k);
      const shape = model ? probeSchema(model, this.memo) : undefined;
      this.cache.set(key, shape);
      if (shape?.type === 'object' && shape.properties['metadata']?.type === 'object') this.meta ??= shape.properties['metadata'];
    }
    return this.cache.get(key);
  }

  /** ObjectMeta, as any upstream kind's schema has it. */
  objectMeta(): Shape {
    if (!this.meta) for (const k of this.source.kinds.all) if (this.of(k) && this.meta) break;
    return this.meta ?? { type: 'any' };
  }
}

/** The kind's own shape: probed, or (no upstream schema) free-form spec and status under ObjectMeta. */
function kindShape(k: KindInfo, shapes: Shapes): Shape {
  const probed = shapes.of(k);
  if (probed?.type === 'object') return probed;
  const properties: Record<string, Shape> = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: shapes.objectMeta(), spec: { type: 'any' } };
  if (k.hasStatus) properties['status'] = { type: 'any' };
  return { type: 'object', properties, required: ['apiVersion', 'kind'] };
}

/** Defines each kind (and what they share) in `defs`. */
function defineKinds(kinds: KindInfo[], shapes: Shapes, defs: Definitions): void {
  const roots = kinds.map((k) => ({ k, name: definitionName(k), shape: kindShape(k, shapes) }));
  defs.share(roots);
  for (const { k, name, shape } of roots) {
    const schema = defs.schema(shape, true);
    const props = schema['properties'] as Record<string, Json>;
    for (const [field, doc] of Object.entries(TYPE_DOCS)) {
      const p = props[field];
      if (!p) continue;
      // A description beside a reference goes through allOf, as upstream writes it.
      props[field] = p['$ref'] ? { allOf: [p], description: doc } : field === 'spec' || field === 'status' ? { ...p, description: doc, ...(p['x-kubernetes-preserve-unknown-fields'] ? { type: 'object' } : {}) } : { ...p, description: doc };
    }
    defs.schemas[name] = { description: kindDescription(k, shapes.of(k) !== undefined), ...schema, 'x-kubernetes-group-version-kind': [gvk(k)] };
  }
}

function gvk(k: Pick<KindInfo, 'group' | 'version' | 'kind'>): Json {
  return { group: k.group, kind: k.kind, version: k.version };
}

// ---- paths -----------------------------------------------------------------------------------

type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** The verbs discovery lists for the kind: the paths below are the same. */
function verbsFor(k: KindInfo): Set<Verb> {
  return new Set(verbsOf(k) as Verb[]);
}

interface Param {
  name: string;
  in: 'query' | 'path';
  type: 'string' | 'boolean' | 'integer';
  description: string;
  required?: boolean;
}

const P = {
  name: { name: 'name', in: 'path', type: 'string', required: true, description: 'name of the object' },
  namespace: { name: 'namespace', in: 'path', type: 'string', required: true, description: 'object name and auth scope, such as for teams and projects' },
  pretty: { name: 'pretty', in: 'query', type: 'string', description: "If 'true', then the output is pretty printed." },
  dryRun: { name: 'dryRun', in: 'query', type: 'string', description: 'When present, indicates that modifications should not be persisted. The only valid value is All: every stage is run, nothing is stored.' },
  fieldManager: { name: 'fieldManager', in: 'query', type: 'string', description: 'The name of the actor making the change, recorded in metadata.managedFields. Required for apply patches.' },
  fieldValidation: {
    name: 'fieldValidation', in: 'query', type: 'string',
    description: 'What to do with unknown fields: Strict (refuse the request; also what Drover does when the parameter is absent), Warn (drop them and warn with a Warning header for each) or Ignore (drop them silently). Fields Drover knows but does not implement are refused whatever the value.',
  },
  force: { name: 'force', in: 'query', type: 'boolean', description: "Apply patches only: take the fields that other managers own instead of failing with a 409 Conflict listing them." },
  labelSelector: { name: 'labelSelector', in: 'query', type: 'string', description: 'A selector to restrict the list of returned objects by their labels.' },
  fieldSelector: { name: 'fieldSelector', in: 'query', type: 'string', description: 'A selector to restrict the list of returned objects by their fields.' },
  limit: { name: 'limit', in: 'query', type: 'integer', description: 'The most objects to return; the rest is reached with continue.' },
  continue: { name: 'continue', in: 'query', type: 'string', description: 'The continue token of the previous page.' },
  resourceVersion: { name: 'resourceVersion', in: 'query', type: 'string', description: 'For a watch: where it starts.' },
  watch: { name: 'watch', in: 'query', type: 'boolean', description: 'Watch for changes instead of listing.' },
  timeoutSeconds: { name: 'timeoutSeconds', in: 'query', type: 'integer', description: 'How long a watch stays open.' },
  sendInitialEvents: { name: 'sendInitialEvents', in: 'query', type: 'boolean', description: 'A watch starts with the current objects, then a bookmark.' },
  allowWatchBookmarks: { name: 'allowWatchBookmarks', in: 'query', type: 'boolean', description: 'Bookmark events may be sent.' },
  propagationPolicy: { name: 'propagationPolicy', in: 'query', type: 'string', description: 'Orphan, Background or Foreground.' },
} satisfies Record<string, Param>;

const WRITE = [P.dryRun, P.fieldManager, P.fieldValidation];
const LIST = [P.labelSelector, P.fieldSelector, P.limit, P.continue, P.resourceVersion, P.watch, P.timeoutSeconds, P.sendInitialEvents, P.allowWatchBookmarks];

const PATCH_BODIES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  action: string;
  id: string;
  params: Param[];
  /** The request body's content types (none: no body). */
  consumes?: string[];
  /** What a success returns: the kind, its list, or a Status. */
  returns: 'object' | 'list' | 'status';
  success: number;
}

interface PathItem {
  path: string;
  params: Param[];
  ops: Operation[];
}

function pathsOf(k: KindInfo, source: OpenApiSource): PathItem[] {
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  const scope = k.namespaced ? `${base}/namespaces/{namespace}/${k.plural}` : `${base}/${k.plural}`;
  const scopeParams = k.namespaced ? [P.namespace] : [];
  const verbs = verbsFor(k);
  const id = (action: string, suffix = '') => `${action}${k.namespaced ? 'Namespaced' : ''}${k.kind}${suffix}`;
  const out: PathItem[] = [];
  const collection: Operation[] = [];
  if (verbs.has('list')) collection.push({ method: 'get', action: 'list', id: id('list'), params: LIST, returns: 'list', success: 200 });
  if (verbs.has('create')) collection.push({ method: 'post', action: 'post', id: id('create'), params: WRITE, consumes: ['application/json', 'application/yaml'], returns: 'object', success: 201 });
  out.push({ path: scope, params: [...scopeParams, P.pretty], ops: collection });
  const item: Operation[] = [{ method: 'get', action: 'get', id: id('read'), params: [], returns: 'object', success: 200 }];
  if (verbs.has('update')) item.push({ method: 'put', action: 'put', id: id('replace'), params: WRITE, consumes: ['application/json', 'application/yaml'], returns: 'object', success: 200 });
  if (verbs.has('patch')) item.push({ method: 'patch', action: 'patch', id: id('patch'), params: [...WRITE, P.force], consumes: PATCH_BODIES, returns: 'object', success: 200 });
  if (verbs.has('delete')) item.push({ method: 'delete', action: 'delete', id: id('delete'), params: [P.dryRun, P.propagationPolicy], returns: 'status', success: 200 });
  out.push({ path: `${scope}/{name}`, params: [P.name, ...scopeParams, P.pretty], ops: item });
  if (k.hasStatus) {
    const status: Operation[] = [{ method: 'get', action: 'get', id: id('read', 'Status'), params: [], returns: 'object', success: 200 }];
    if (verbs.has('update')) {
      status.push({ method: 'put', action: 'put', id: id('replace', 'Status'), params: WRITE, consumes: ['application/json'], returns: 'object', success: 200 });
      status.push({ method: 'patch', action: 'patch', id: id('patch', 'Status'), params: [...WRITE, P.force], consumes: PATCH_BODIES.filter((t) => t !== 'application/apply-patch+yaml'), returns: 'object', success: 200 });
    }
    out.push({ path: `${scope}/{name}/status`, params: [P.name, ...scopeParams, P.pretty], ops: status });
  }
  if (k.group === '' && k.kind === 'Pod') {
    out.push({ path: `${scope}/{name}/log`, params: [P.name, ...scopeParams], ops: [{ method: 'get', action: 'get', id: id('read', 'Log'), params: [], returns: 'status', success: 200 }] });
  }
  for (const [name, s] of source.subresources(k.kind)) {
    const ops: Operation[] = [];
    if (s.verbs.includes('get')) ops.push({ method: 'get', action: 'get', id: id('read', upper(name)), params: [], returns: 'object', success: 200 });
    if (s.verbs.includes('update')) ops.push({ method: 'put', action: 'put', id: id('replace', upper(name)), params: [], consumes: ['application/json'], returns: 'object', success: 200 });
    if (s.verbs.includes('create')) ops.push({ method: 'post', action: 'post', id: id('create', upper(name)), params: [], consumes: ['application/json'], returns: 'object', success: 200 });
    if (ops.length) out.push({ path: `${scope}/{name}/${name}`, params: [P.name, ...scopeParams], ops });
  }
  if (k.namespaced && verbs.has('list')) {
    out.push({ path: `${base}/${k.plural}`, params: [P.pretty], ops: [{ method: 'get', action: 'list', id: `list${k.kind}ForAllNamespaces`, params: LIST, returns: 'list', success: 200 }] });
  }
  return out;
}

function upper(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---- documents -------------------------------------------------------------------------------

const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const STATUS_SCHEMA: Json = {
  description: 'Status is a return value for calls that do not return other objects, and the body of every error.',
  type: 'object',
  properties: {
    apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    status: { type: 'string' }, message: { type: 'string' }, reason: { type: 'string' }, code: { type: 'integer' },
    details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
  'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
};

function listSchema(k: KindInfo, ref: string): Json {
  return {
    description: `A list of ${k.kind} objects.`,
    type: 'object',
    required: ['items'],
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, items: { type: 'array', items: { $ref: ref } } },
    'x-kubernetes-group-version-kind': [gvk({ ...k, kind: `${k.kind}List` })],
  };
}

function groupVersionKey(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The v3 document of one group version, or undefined when no kind is served there. */
function buildV3(source: OpenApiSource, shapes: Shapes, group: string, version: string): Json | undefined {
  const kinds = source.kinds.all.filter((k) => k.group === group && k.version === version);
  if (kinds.length === 0) return undefined;
  const defs = new Definitions(false, '#/components/schemas/');
  defineKinds(kinds, shapes, defs);
  const schemas: Record<string, Json> = { [STATUS]: STATUS_SCHEMA, ...defs.schemas };
  const paths: Record<string, Json> = {};
  const param = (p: Param) => ({ name: p.name, in: p.in, description: p.description, ...(p.required ? { required: true } : {}), schema: { type: p.type, uniqueItems: true } });
  for (const k of kinds) {
    const name = definitionName(k);
    schemas[`${name}List`] = listSchema(k, `#/components/schemas/${name}`);
    const ref = (r: Operation['returns']) => `#/components/schemas/${r === 'object' ? name : r === 'list' ? `${name}List` : STATUS}`;
    for (const item of pathsOf(k, source)) {
      const entry: Json = { parameters: item.params.map(param) };
      for (const op of item.ops) {
        const returns = { 'application/json': { schema: { $ref: ref(op.returns) } }, 'application/yaml': { schema: { $ref: ref(op.returns) } } };
        entry[op.method] = {
          tags: [group ? `${group.split('.')[0]}_${version}` : `core_${version}`],
          description: `${op.action} ${k.kind}`,
          operationId: op.id,
          parameters: op.params.map(param),
          ...(op.consumes ? { requestBody: { required: true, content: Object.fromEntries(op.consumes.map((c) => [c, { schema: op.consumes === PATCH_BODIES || c.endsWith('patch+json') ? { type: 'object' } : { $ref: `#/components/schemas/${name}` } }])) } } : {}),
          responses: { [String(op.success)]: { description: 'OK', content: returns }, '401': { description: 'Unauthorized' } },
          'x-kubernetes-action': op.action,
          'x-kubernetes-group-version-kind': gvk(k),
        };
      }
      paths[item.path] = entry;
    }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: source.version }, paths, components: { schemas } };
}

function buildV2(source: OpenApiSource, shapes: Shapes): Json {
  const defs = new Definitions(true, '#/definitions/');
  defineKinds([...source.kinds.all], shapes, defs);
  const definitions: Record<string, Json> = { [STATUS]: STATUS_SCHEMA, ...defs.schemas };
  const paths: Record<string, Json> = {};
  const param = (p: Param) => ({ name: p.name, in: p.in, description: p.description, type: p.type, uniqueItems: true, ...(p.required ? { required: true } : {}) });
  for (const k of source.kinds.all) {
    const name = definitionName(k);
    definitions[`${name}List`] = listSchema(k, `#/definitions/${name}`);
    const ref = (r: Operation['returns']) => `#/definitions/${r === 'object' ? name : r === 'list' ? `${name}List` : STATUS}`;
    for (const item of pathsOf(k, source)) {
      const entry: Json = { parameters: item.params.map(param) };
      for (const op of item.ops) {
        const body = op.consumes ? [{ name: 'body', in: 'body', required: true, schema: op.method === 'patch' ? { type: 'object' } : { $ref: `#/definitions/${name}` } }] : [];
        entry[op.method] = {
          description: `${op.action} ${k.kind}`,
          operationId: op.id,
          ...(op.consumes ? { consumes: op.consumes } : {}),
          produces: ['application/json', 'application/yaml'],
          schemes: ['https'],
          parameters: [...body, ...op.params.map(param)],
          responses: { [String(op.success)]: { description: 'OK', schema: { $ref: ref(op.returns) } }, '401': { description: 'Unauthorized' } },
          'x-kubernetes-action': op.action,
          'x-kubernetes-group-version-kind': gvk(k),
        };
      }
      paths[item.path] = entry;
    }
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version: source.version }, paths, definitions };
}

/** A document and the hash clients cache it by. */
export interface Published {
  body: string;
  hash: string;
}

function publish(doc: Json): Published {
  const body = JSON.stringify(doc);
  return { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
}

/** The OpenAPI documents of one server, each built (and its schemas probed) on first request. */
export class OpenApi {
  private readonly shapes: Shapes;
  private readonly v3 = new Map<string, Published | undefined>();
  private v2doc: Published | undefined;

  constructor(private readonly source: OpenApiSource) {
    this.shapes = new Shapes(source);
  }

  /** The group versions served, `api/v1` first, then in the kinds table's order. */
  groupVersions(): string[] {
    const keys = [...new Set(this.source.kinds.all.map((k) => groupVersionKey(k.group, k.version)))];
    return [...keys.filter((k) => k.startsWith('api/')), ...keys.filter((k) => !k.startsWith('api/'))];
  }

  /** `/openapi/v3`. */
  discovery(): Json {
    const paths: Record<string, Json> = {};
    for (const gv of this.groupVersions()) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${this.groupVersion(gv)!.hash}` };
    return { paths };
  }

  /** `/openapi/v3/{api/v1 | apis/group/version}`, or undefined for a group version not served. */
  groupVersion(key: string): Published | undefined {
    if (!this.v3.has(key)) {
      const m = /^(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(key);
      const doc = m ? (m[1] ? buildV3(this.source, this.shapes, '', m[1]) : buildV3(this.source, this.shapes, m[2]!, m[3]!)) : undefined;
      this.v3.set(key, doc ? publish(doc) : undefined);
    }
    return this.v3.get(key);
  }

  /** `/openapi/v2`. */
  v2(): Published {
    return (this.v2doc ??= publish(buildV2(this.source, this.shapes)));
  }
}

export interface OpenApiResponse {
  code: number;
  headers: Record<string, string>;
  body: string;
}

/** Whether an Accept header takes JSON (no header takes anything). */
function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((part) => ['application/json', '*/*', 'application/*'].includes(part.split(';')[0]!.trim().toLowerCase()));
}

function status(code: number, reason: string, message: string): OpenApiResponse {
  return { code, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }) };
}

/**
 * The answer to a request under `/openapi`, or undefined for other paths. Only JSON is served:
 * kubectl asks for `/openapi/v2` as protobuf only and gets 406, after which it does without
 * (it reads v3, as JSON, for everything it needs).
 */
export function openApiResponse(api: OpenApi, path: string, query: URLSearchParams, accept: string | undefined): OpenApiResponse | undefined {
  if (path !== '/openapi/v2' && path !== '/openapi/v3' && !path.startsWith('/openapi/v3/')) return undefined;
  if (!acceptsJson(accept)) return status(406, 'NotAcceptable', `only the following media types are accepted: application/json (asked for ${accept})`);
  const json = (body: string, hash?: string): OpenApiResponse => ({
    code: 200,
    headers: {
      'content-type': 'application/json',
      ...(hash ? { etag: `"${hash}"` } : {}),
      // A URL with the document's hash never changes; kubectl caches it on disk.
      'cache-control': hash && query.get('hash') === hash ? 'public, immutable' : 'no-cache, private',
    },
    body,
  });
  if (path === '/openapi/v2') {
    const doc = api.v2();
    return json(doc.body, doc.hash);
  }
  if (path === '/openapi/v3') return json(JSON.stringify(api.discovery()));
  const doc = api.groupVersion(path.slice('/openapi/v3/'.length));
  if (!doc) return status(404, 'NotFound', `the server could not find the requested resource: no OpenAPI document for ${path.slice('/openapi/v3/'.length)}`);
  return json(doc.body, doc.hash);
}
