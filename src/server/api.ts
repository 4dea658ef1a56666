/**
 * The HTTP API: Kubernetes-shaped REST over the store, list + watch streaming (newline-
 * delimited JSON, as the Kubernetes API streams watches), pod logs, apply, health and metrics.
 * Errors answer as Kubernetes `Status` objects.
 *
 * Why one file of ~800 lines: the handlers are one closure over the request's dependencies and the
 * caller's identity; what stands alone (request attributes, apply, OpenAPI, field validation,
 * exec/port-forward streams, tokens, garbage collection, the dashboard's files) lives in its own
 * module beside it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { UnsupportedMediaTypeError, RequestTooLargeError, BadRequestError, ConflictError, DroverError, ForbiddenError, UnauthorizedError, NotFoundError, UnsupportedError, ValidationError, AlreadyExistsError, toStatus, type FieldIssue } from '../api/errors.js';
import { type KindInfo, type KindTable, kindKey } from '../api/kinds.js';
import { parseSelector } from '../api/selectors.js';
import type { KubeObject, Pod, Stored } from '../api/types.js';
import { ANNOTATIONS, DEFAULT_NAMESPACE } from '../api/types.js';
import type { ManifestLoader } from '../api/manifests.js';
import { hasContainer, podContainerName } from '../api/pods.js';
import { ExpiredError, type Store, type WriteOp } from '../store/index.js';
import type { PodRuntime, PodUsage } from '../runtime/index.js';
import type { Logger } from '../util/logger.js';
import { parseResourcePath, type ResourcePath } from './routes.js';
import { parseFieldSelector, matchesFields } from './fieldselector.js';
import type { Admission } from './admission.js';
import { renderMetrics, type ServerMetrics } from './metrics.js';
import type { Subresource } from '../kinds/types.js';
import type { Clock } from '../util/clock.js';
import { formatBytes, formatMillis } from '../api/quantity.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.js';
import { parseIncludeObject, toTable, wantsTable } from './tables.js';
import { PATCH_TYPES } from './patch.js';
import { page } from './paging.js';
import { argoServer, type ArgoServerDeps } from './argo-server.js';
import { ARTIFACT_PATH, ARTIFACT_TICKET_PATH, ArtifactTickets, TICKET_PARAM, artifactPath, artifactTicket, serveArtifact } from './artifact-download.js';
import type { ArtifactRepository } from '../artifacts/index.js';
import { argoStream } from './argo-streams.js';
import { tokenApi } from './tokens.js';
import { refusal, type HostPolicy } from './origin.js';
import { ANONYMOUS_ADMIN, POD_SCOPED, forbiddenMessage, isResourceRequest, type AuditLog, type Authorizer, type Credentials, type Identity, type RequestAttributes } from '../identity/index.js';
import { requestAttributes } from './attributes.js';
import { isWebSocketRequest, serveExec, servePortForward } from './streams.js';
import { decodeReview } from './protobuf.js';
import { decodeObject } from './proto-decode.js';
import { auditEntry } from './audit.js';
import { OpenApi, openApiResponse } from './openapi.js';
import { dropUnknownFields, fieldValidation, warningHeader } from './fieldvalidation.js';
import { ApplyConflictError, readApplyRequest, serverSideApply } from './apply.js';
import { VISIBLE_NAMESPACES_PATH, isDashboardPath, serveDashboard, visibleNamespaces } from './dashboard.js';
import { NotebookProxy, TICKET_PATH } from './notebook-proxy.js';

export interface ApiDeps {
  store: Store;
  /** The kinds served (src/registry.ts). */
  kinds: KindTable;
  /** Validation with every family's checks. */
  loader: ManifestLoader;
  admission: Admission;
  /** A kind's own subresources (a Workflow's `retry`), from its family. */
  subresource(kind: string, name: string): Subresource | undefined;
  subresources(kind: string): ReadonlyMap<string, Subresource>;
  logContainer(pod: Pod, container: string): string | undefined;
  clock: Clock;
  /** Who may call; undefined when the server was configured without authentication. */
  credentials: Credentials | undefined;
  /** What each caller may do (RBAC). */
  authorizer: Authorizer;
  /** The names the server answers to (Host header) and so the requests a browser may not make. */
  hostPolicy: HostPolicy;
  /** Where objects from clients that send no manifest directory start their containers (config `workdir`). */
  workdir: string;
  runtime: PodRuntime;
  logger: Logger;
  metrics: ServerMetrics;
  version: string;
  /** Where each request is recorded; undefined: not audited. */
  audit?: AuditLog;
  /** The notebooks' proxy at /notebook/ (./notebook-proxy.ts): `secure` when the server speaks HTTPS. */
  notebooks?: { secure: boolean };
  /** Where workflows' artifacts are kept, for their download (./artifact-download.ts). */
  artifacts?: ArtifactRepository;
}

const MAX_BODY = 32 * 1024 * 1024;

/** Namespaces nobody deletes (Kubernetes keeps default, kube-system and kube-public). */
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/**
 * The request's body, at most MAX_BODY bytes. Past that it is refused, and what the client still
 * sends is read and dropped (up to MAX_BODY more, for at most 10 s) while the 413 goes out: closing
 * a socket with unread input resets the connection, and the reset can discard the answer before
 * the client reads it. A client that keeps sending after that is cut off.
 */
function readBytes(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    let timer: NodeJS.Timeout | undefined;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (refused) {
        if (size > 2 * MAX_BODY) req.socket.destroy();
        return;
      }
      if (size <= MAX_BODY) return void chunks.push(c);
      refused = true;
      chunks.length = 0;
      timer = setTimeout(() => req.socket.destroy(), 10_000);
      timer.unref();
      reject(new RequestTooLargeError(MAX_BODY));
    });
    req.on('end', () => {
      if (timer) clearTimeout(timer);
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (timer) clearTimeout(timer);
      if (!refused) reject(err);
    });
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBytes(req)).toString('utf8');
}

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

function isProtobuf(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim() === PROTOBUF;
}

/** A review request's body, JSON or (as kubectl sends them) protobuf. */
async function readReview(req: IncomingMessage): Promise<unknown> {
  if (isProtobuf(req)) return decodeReview(await readBytes(req));
  return readJson(req);
}

async function readJson<T>(req: IncomingMessage): Promise<T> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  // Objects and reviews are read from protobuf by readObject and readReview; nothing else is.
  if (type === PROTOBUF) throw new UnsupportedMediaTypeError(`the body is ${type}: this server reads JSON (application/json) here`);
  const text = await readBody(req);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new BadRequestError(`request body is not valid JSON: ${(err as Error).message}`);
  }
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' });
  res.end(text);
}

/** A boolean query parameter as the API server reads it (Go's ParseBool: `true`, `True`, `1`, `t`…). */
function queryBool(q: URLSearchParams, name: string): boolean {
  return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(q.get(name) ?? '');
}

function listKind(kind: KindInfo): string {
  return `${kind.kind}List`;
}

export interface ApplyDocument {
  file?: string;
  text: string;
  sourceDir?: string;
}

export interface ApplyResultItem {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  action: 'created' | 'configured' | 'unchanged';
}

/** Compares what apply may change: everything but status and server-set metadata. */
function sameDesired(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { status: _s, metadata, ...rest } = o;
    return JSON.stringify({ ...rest, labels: metadata.labels ?? {}, annotations: metadata.annotations ?? {}, owners: metadata.ownerReferences ?? [] });
  };
  return strip(a) === strip(b);
}

/** The Kubernetes release whose API Drover speaks (its schemas and the test cluster's version). */
export const KUBERNETES_VERSION = { major: '1', minor: '35', gitVersion: 'v1.35.4' };

/**
 * `/version` as the API server answers it, so kubectl sees no version skew, with Drover's own
 * version and runtime beside it (what `drover version` prints).
 */
function serverVersion(drover: string, runtime: string): Record<string, unknown> {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '',
    goVersion: '',
    compiler: 'drover',
    platform: `${process.platform}/${process.arch}`,
    drover: { gitVersion: `v${drover}`, runtime },
  };
}

/** The API's request handler, and its handler of upgrades (kubectl exec and port-forward: ./streams.ts). */
export type ApiHandler = ((req: IncomingMessage, res: ServerResponse) => void) & { upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void };

export function createApiHandler(deps: ApiDeps): ApiHandler {
  const { store, runtime, logger, metrics, kinds, loader, admission, clock } = deps;

  async function apply(namespace: string, body: { documents?: ApplyDocument[]; mode?: 'apply' | 'create' }): Promise<{ kind: 'ApplyResult'; results: ApplyResultItem[]; warnings: string[] }> {
    if (!Array.isArray(body.documents) || body.documents.length === 0) throw new BadRequestError('apply needs "documents": [{file, text, sourceDir}]');
    const issues: FieldIssue[] = [];
    const warnings: string[] = [];
    const objects: { obj: KubeObject; sourceDir?: string }[] = [];
    for (const doc of body.documents) {
      try {
        const loaded = loader.load(doc.text, doc.file);
        warnings.push(...loaded.warnings);
        for (const m of loaded.manifests) objects.push({ obj: m.object, sourceDir: doc.sourceDir });
      } catch (err) {
        if (err instanceof ValidationError) issues.push(...err.issues);
        else throw err;
      }
    }
    // Every document is checked before anything is stored: a bad file stores nothing.
    if (issues.length) throw new ValidationError(issues);
    if (objects.length === 0) throw new BadRequestError('no objects passed to apply');
    const ops: WriteOp[] = [];
    const results: ApplyResultItem[] = [];
    for (const { obj, sourceDir } of objects) {
      const admitted = admission.admit(obj, { namespace, sourceDir });
      const info = kinds.of(admitted.apiVersion, admitted.kind)!;
      const ref = { apiVersion: admitted.apiVersion, kind: admitted.kind, namespace: admitted.metadata.namespace ?? '', name: admitted.metadata.name ?? '' };
      const existing = admitted.metadata.name ? await store.get(ref) : undefined;
      mayWrite(existing ? 'update' : 'create', info, admitted);
      const item = { apiVersion: admitted.apiVersion, kind: admitted.kind, namespace: info.namespaced ? admitted.metadata.namespace : undefined, name: admitted.metadata.name ?? '' };
      if (!existing) {
        ops.push({ op: 'create', object: admission.prepareCreate(admitted) });
        results.push({ ...item, action: 'created' });
        continue;
      }
      if (body.mode === 'create') throw new AlreadyExistsError(`${info.plural}${info.group ? '.' + info.group : ''}`, ref.name, info.namespaced ? ref.namespace : undefined);
      const desired = admission.inheritDerived(existing, admitted);
      if (existing.metadata.managedFields?.length) desired.metadata.managedFields = existing.metadata.managedFields;
      if (sameDesired(existing, desired)) {
        results.push({ ...item, action: 'unchanged' });
        continue;
      }
      const immutable = admission.immutableChange(existing, desired);
      if (immutable) throw new ValidationError([{ path: immutable, message: `field is immutable: delete ${info.singular} "${ref.name}" and apply again to change it` }]);
      ops.push({ op: 'replace', object: { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata.resourceVersion } } });
      results.push({ ...item, action: 'configured' });
    }
    const written = await store.writeAll(ops);
    // generateName only becomes a name once stored.
    let w = 0;
    for (const [i, r] of results.entries()) if (r.action !== 'unchanged') r.name = written[w++]?.metadata.name ?? results[i]!.name;
    return { kind: 'ApplyResult', results, warnings };
  }

  async function handleLogs(res: ServerResponse, path: ResourcePath, q: URLSearchParams, req: IncomingMessage): Promise<void> {
    const pod = await store.get<Stored<Pod>>({ apiVersion: 'v1', kind: 'Pod', namespace: path.namespace!, name: path.name! });
    if (!pod) throw new NotFoundError('pods', path.name!, path.namespace);
    let container = q.get('container') || undefined;
    // A name the pod lacks may be one a kind's tools use for its own (Argo's `main`, Katib's collector).
    if (container && !hasContainer(pod, container)) container = deps.logContainer(pod, container) ?? container;
    container = podContainerName(pod, container);
    const abort = new AbortController();
    req.on('close', () => abort.abort());
    const iter = runtime.logs(pod, {
      container,
      follow: queryBool(q, 'follow'),
      previous: queryBool(q, 'previous'),
      timestamps: queryBool(q, 'timestamps'),
      tailLines: q.has('tailLines') ? Number(q.get('tailLines')) : undefined,
      sinceSeconds: q.has('sinceSeconds') ? Number(q.get('sinceSeconds')) : undefined,
      sinceTime: q.get('sinceTime') ?? undefined,
      limitBytes: q.has('limitBytes') ? Number(q.get('limitBytes')) : undefined,
      signal: abort.signal,
    })[Symbol.asyncIterator]();
    // Errors before the first chunk become a Status; after it the stream just ends.
    const first = await iter.next();
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'transfer-encoding': 'chunked' });
    if (!first.done) res.write(first.value);
    try {
      for (let r = await iter.next(); !r.done; r = await iter.next()) {
        if (!res.write(r.value)) await new Promise((ok) => res.once('drain', ok));
      }
    } catch (err) {
      logger.warn('log stream ended with an error', { pod: path.name, error: String(err) });
    }
    res.end();
  }

  async function handleList(res: ServerResponse, path: ResourcePath, q: URLSearchParams, req: IncomingMessage): Promise<void> {
    const labelSelector = q.get('labelSelector') ? parseSelector(q.get('labelSelector')!) : undefined;
    const fields = q.get('fieldSelector') ? parseFieldSelector(q.get('fieldSelector')!) : [];
    const sel = { apiVersion: path.kind.apiVersion, kind: path.kind.kind };
    const opts = { namespace: path.kind.namespaced ? path.namespace : undefined, labelSelector };
    if (queryBool(q, 'watch')) {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      // A watch of an empty collection has nothing to send yet; the client should still see it open.
      res.flushHeaders();
      const table = wantsTable(req.headers.accept);
      const include = parseIncludeObject(q.get('includeObject'));
      const write = (type: string, stored: KubeObject) => {
        const object = admission.asVersion(stored, path.kind.apiVersion);
        if (fields.length && !matchesFields(fields, object)) return;
        // Asked for tables, each event carries a one-row Table (kubectl get -w).
        const sent = table ? toTable(path.kind.kind, [object], { now: clock.now(), include, ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}) }) : object;
        res.write(JSON.stringify({ type, object: sent }) + '\n');
      };
      let from = q.get('resourceVersion') ?? undefined;
      // A watch-list (sendInitialEvents, what kubectl wait and client-go's reflectors ask for) gets
      // the current objects, then a bookmark saying they are all there.
      const initialEvents = queryBool(q, 'sendInitialEvents');
      if (initialEvents || !from || from === '0') {
        const list = await store.list(sel, opts);
        for (const o of list.items) write('ADDED', o);
        from = list.resourceVersion;
        if (initialEvents) {
          const end = { apiVersion: path.kind.apiVersion, kind: path.kind.kind, metadata: { resourceVersion: from, annotations: { 'k8s.io/initial-events-end': 'true' } } };
          res.write(JSON.stringify({ type: 'BOOKMARK', object: end }) + '\n');
        }
      }
      let stop: () => void;
      try {
        stop = store.watch(sel, { ...opts, fromResourceVersion: from }, (e) => write(e.type, e.object));
      } catch (err) {
        if (!(err instanceof ExpiredError)) throw err;
        // As the API server: the stream says 410 Gone, and the client lists again.
        res.end(JSON.stringify({ type: 'ERROR', object: toStatus(err) }) + '\n');
        return;
      }
      const timeout = Number(q.get('timeoutSeconds') ?? 0);
      const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
      req.on('close', () => {
        stop();
        if (timer) clearTimeout(timer);
      });
      return;
    }
    const list = await store.list(sel, opts);
    const asked = list.items.map((o) => admission.asVersion(o, path.kind.apiVersion));
    const matching = fields.length ? asked.filter((o) => matchesFields(fields, o)) : asked;
    const { items, ...more } = page(matching, q.get('limit'), q.get('continue'));
    const metadata = { resourceVersion: list.resourceVersion, ...more };
    if (wantsTable(req.headers.accept)) return send(res, 200, { ...toTable(path.kind.kind, items, { now: clock.now(), include: parseIncludeObject(q.get('includeObject')) }), metadata });
    send(res, 200, { apiVersion: path.kind.apiVersion, kind: listKind(path.kind), metadata, items });
  }

  /**
   * A written object as the API server reads it: `apiVersion` and `kind` default to the path's
   * (the Python client leaves them out of a body it builds), and may not contradict it.
   */
  async function readObject(req: IncomingMessage, kind: KindInfo): Promise<KubeObject> {
    // kubectl's typed commands (`create configmap`, `create job`, ...) send protobuf.
    const body = isProtobuf(req) ? decodeObject(await readBytes(req)) : await readJson<unknown>(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('the request body must be a JSON object');
    const obj = body as KubeObject;
    if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = kind.apiVersion;
    if (obj.kind === undefined || obj.kind === '') obj.kind = kind.kind;
    if (obj.apiVersion !== kind.apiVersion) throw new BadRequestError(`the body's apiVersion "${obj.apiVersion}" does not match the path's "${kind.apiVersion}"`);
    if (obj.kind !== kind.kind) throw new BadRequestError(`the body's kind "${obj.kind}" does not match the path's "${kind.kind}"`);
    return obj;
  }

  /**
   * Replaces `existing` with `next` as a PUT or a patch does: the name may not change, `next` is
   * validated and admitted like a new object, what the server derived is kept, fields that are
   * immutable may not change, and `resourceVersion` (when given) must still be current.
   */
  async function replaceWith(existing: KubeObject, next: KubeObject, resourceVersion: string | undefined, dry: boolean, managedFields = existing.metadata.managedFields): Promise<KubeObject> {
    const name = existing.metadata.name;
    if (next.metadata?.name !== name) throw new BadRequestError(`the name may not change (from "${name}" to "${next.metadata?.name}")`);
    const kindKeyOf = (apiVersion: string, kind: string): string => kindKey({ kind, group: apiVersion.includes('/') ? apiVersion.split('/')[0]! : '' });
    // Another served version of the same kind is the same object (admission converts it).
    if (kindKeyOf(next.apiVersion, next.kind) !== kindKeyOf(existing.apiVersion, existing.kind)) throw new BadRequestError(`apiVersion and kind may not change (${existing.apiVersion} ${existing.kind})`);
    const issues = loader.validate(next);
    if (issues.length) throw new ValidationError(issues);
    // A client that sends the object back without Drover's annotations keeps where its code is.
    const sourceDir = existing.metadata.annotations?.[ANNOTATIONS.sourceDir];
    const admitted = admission.inheritDerived(existing, admission.admit(next, { namespace: existing.metadata.namespace ?? '', ...(sourceDir ? { sourceDir } : {}) }));
    const immutable = admission.immutableChange(existing, admitted);
    if (immutable) throw new ValidationError([{ path: immutable, message: `field is immutable: delete ${existing.kind.toLowerCase()} "${name}" and create it again to change it` }]);
    deps.authorizer.checkEscalation(caller(), admitted);
    // The server's record of who applied what (./apply.ts); writes other than apply keep it.
    if (managedFields?.length) admitted.metadata.managedFields = managedFields;
    if (resourceVersion) admitted.metadata.resourceVersion = resourceVersion;
    if (dry) {
      if (resourceVersion && resourceVersion !== existing.metadata.resourceVersion) throw new ConflictError(`Operation cannot be fulfilled on ${existing.kind} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
      return { ...admitted, metadata: { ...admitted.metadata, uid: existing.metadata.uid, creationTimestamp: existing.metadata.creationTimestamp, resourceVersion: existing.metadata.resourceVersion }, ...(existing.status !== undefined ? { status: existing.status } : {}) };
    }
    return store.replace(admitted);
  }

  /**
   * Where a new object from a client that sends no manifest directory finds its code: the
   * namespace's `drover.dev/source-dir` annotation, else the server's workdir.
   */
  async function sourceDirFor(namespace: string): Promise<string> {
    const ns = namespace ? await store.get({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: namespace }) : undefined;
    return ns?.metadata.annotations?.[ANNOTATIONS.sourceDir] || deps.workdir;
  }

  /** Validates, admits and stores a new object (dry: checks everything, stores nothing). */
  async function createObject(kind: KindInfo, namespace: string, obj: KubeObject, dry: boolean, managedFields?: KubeObject['metadata']['managedFields']): Promise<KubeObject> {
    const plural = `${kind.plural}${kind.group ? '.' + kind.group : ''}`;
    if (!kind.userCreatable) throw new BadRequestError(`${plural} are managed by Drover and cannot be created`);
    const issues = loader.validate(obj);
    if (issues.length) throw new ValidationError(issues);
    const admitted = admission.prepareCreate(admission.admit(obj, { namespace, sourceDir: await sourceDirFor(obj.metadata?.namespace || namespace) }));
    mayWrite('create', kind, admitted);
    if (managedFields?.length) admitted.metadata.managedFields = managedFields;
    if (!dry) return store.create(admitted);
    const name = admitted.metadata.name;
    const ns = admitted.metadata.namespace ?? '';
    if (name && (await store.get({ apiVersion: kind.apiVersion, kind: kind.kind, namespace: ns, name }))) throw new AlreadyExistsError(plural, name, kind.namespaced ? ns : undefined);
    return admitted;
  }

  /** `dryRun=All`: validate and admit, store nothing. The API server takes no other value. */
  function dryRun(q: URLSearchParams): boolean {
    const v = q.getAll('dryRun');
    if (v.some((x) => x !== 'All')) throw new BadRequestError(`unsupported dryRun value ${JSON.stringify(v.find((x) => x !== 'All'))}: only "All" is`);
    return v.length > 0;
  }

  /** `obj` without the unknown fields `fieldValidation` lets through, its warnings sent as headers. */
  function checkedFields<T>(obj: T, q: URLSearchParams, res: ServerResponse): T {
    const { object, warnings } = dropUnknownFields(obj, fieldValidation(q), (o) => loader.unknownFields(o));
    if (warnings.length) res.setHeader('Warning', warnings.map(warningHeader));
    return object;
  }

  /** Server-side apply (./apply.ts): creates the object, or merges the configuration into it. */
  async function applyPatch(req: IncomingMessage, res: ServerResponse, path: ResourcePath, q: URLSearchParams, ref: { apiVersion: string; kind: string; namespace: string; name: string }): Promise<void> {
    if (path.subresource) throw new UnsupportedError(`server-side apply of the ${path.subresource} subresource is not supported: apply the object itself`);
    const request = readApplyRequest(await readBody(req), q, { apiVersion: path.kind.apiVersion, kind: path.kind.kind, name: ref.name });
    const applied = checkedFields(request.applied, q, res);
    const dry = dryRun(q);
    for (let attempt = 1; ; attempt++) {
      const stored = await store.get(ref);
      const live = stored ? admission.asVersion(stored, path.kind.apiVersion) : undefined;
      const next = serverSideApply({ live: live as never, applied: applied as never, manager: request.manager, force: request.force, now: new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z'), group: path.kind.group, hasStatus: path.kind.hasStatus }) as unknown as KubeObject;
      try {
        const managed = next.metadata.managedFields;
        if (!live) return send(res, 201, admission.asVersion(await createObject(path.kind, ref.namespace, { ...next, metadata: { ...next.metadata, ...(path.kind.namespaced ? { namespace: ref.namespace } : {}) } }, dry, managed), path.kind.apiVersion));
        return send(res, 200, admission.asVersion(await replaceWith(live, next, live.metadata.resourceVersion, dry, managed), path.kind.apiVersion));
      } catch (err) {
        if (!(err instanceof ConflictError) || err instanceof ApplyConflictError || attempt >= 5) throw err;
      }
    }
  }

  async function handleResource(req: IncomingMessage, res: ServerResponse, path: ResourcePath, q: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const ns = path.kind.namespaced ? path.namespace ?? DEFAULT_NAMESPACE : '';
    const ref = { apiVersion: path.kind.apiVersion, kind: path.kind.kind, namespace: ns, name: path.name ?? '' };
    const plural = `${path.kind.plural}${path.kind.group ? '.' + path.kind.group : ''}`;
    if (path.subresource === 'log' && path.kind.kind === 'Pod' && method === 'GET') return handleLogs(res, { ...path, namespace: ns }, q, req);
    const subresource = path.subresource && path.name ? deps.subresource(path.kind.kind, path.subresource) : undefined;
    if (subresource) {
      return send(res, 200, await subresource.handle({ method, namespace: ns, name: ref.name, store, body: () => readJson(req), now: () => clock.now() }));
    }
    if (path.subresource && path.subresource !== 'status') throw new NotFoundError('subresource', path.subresource);
    if (!path.name) {
      if (method === 'GET') return handleList(res, path, q, req);
      if (method === 'POST') {
        return send(res, 201, admission.asVersion(await createObject(path.kind, ns, checkedFields(await readObject(req, path.kind), q, res), dryRun(q)), path.kind.apiVersion));
      }
      throw new BadRequestError(`method ${method} is not allowed on a collection`);
    }
    switch (method) {
      case 'GET': {
        const stored = await store.get(ref);
        if (!stored) throw new NotFoundError(plural, ref.name, path.kind.namespaced ? ns : undefined);
        const obj = admission.asVersion(stored, path.kind.apiVersion);
        if (wantsTable(req.headers.accept)) return send(res, 200, toTable(path.kind.kind, [obj], { now: clock.now(), include: parseIncludeObject(q.get('includeObject')) }));
        return send(res, 200, obj);
      }
      case 'PUT': {
        const obj = checkedFields(await readObject(req, path.kind), q, res);
        if (obj.metadata?.name !== ref.name) throw new BadRequestError(`the body's name "${obj.metadata?.name}" does not match the path's "${ref.name}"`);
        if (path.subresource === 'status') return send(res, 200, await store.replaceStatus({ ...obj, metadata: { ...obj.metadata, namespace: ns || undefined } }));
        const existing = await store.get(ref);
        if (!existing) throw new NotFoundError(plural, ref.name, path.kind.namespaced ? ns : undefined);
        // The body's resourceVersion is a precondition: a stale one is a 409, as on a cluster.
        return send(res, 200, admission.asVersion(await replaceWith(existing, obj, obj.metadata?.resourceVersion, dryRun(q)), path.kind.apiVersion));
      }
      case 'PATCH': {
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        if (type === 'application/apply-patch+yaml') return applyPatch(req, res, path, q, ref);
        const patchWith = PATCH_TYPES[type];
        if (!patchWith) throw new BadRequestError(`unsupported patch type "${type}": use application/merge-patch+json, application/json-patch+json or application/strategic-merge-patch+json`);
        // As the API server: strategic merge knows the schemas of the built-in kinds only.
        if (type === 'application/strategic-merge-patch+json' && path.kind.group !== '' && path.kind.group !== 'batch') {
          throw new UnsupportedError(`strategic merge patch is not supported for ${plural}: use a merge patch (kubectl patch --type=merge) or a JSON patch`);
        }
        const patch = await readJson<unknown>(req);
        const dry = dryRun(q);
        // Read, patch, write at the version read; a write in between means patching again.
        for (let attempt = 1; ; attempt++) {
          const existing = await store.get(ref);
          if (!existing) throw new NotFoundError(plural, ref.name, path.kind.namespaced ? ns : undefined);
          const patched = checkedFields(patchWith(structuredClone(admission.asVersion(existing, path.kind.apiVersion)), patch) as KubeObject, q, res);
          try {
            if (path.subresource === 'status') {
              const status = { ...existing, status: patched.status, metadata: { ...existing.metadata } };
              return send(res, 200, dry ? status : await store.replaceStatus(status));
            }
            return send(res, 200, admission.asVersion(await replaceWith(existing, patched, existing.metadata.resourceVersion, dry), path.kind.apiVersion));
          } catch (err) {
            if (!(err instanceof ConflictError) || attempt >= 5) throw err;
          }
        }
      }
      case 'DELETE': {
        // As the API server's NamespaceLifecycle admission: the system's namespaces stay.
        if (path.kind.kind === 'Namespace' && PROTECTED_NAMESPACES.has(ref.name)) throw new ForbiddenError(`namespaces "${ref.name}" is forbidden: this namespace may not be deleted`);
        if (dryRun(q)) {
          const existing = await store.get(ref);
          if (!existing) throw new NotFoundError(plural, ref.name, path.kind.namespaced ? ns : undefined);
          return send(res, 200, existing);
        }
        // DeleteOptions come as query parameters or (kubectl, client-go) a body.
        const options = req.headers['content-length'] && req.headers['content-length'] !== '0' ? await readJson<{ propagationPolicy?: string }>(req).catch(() => ({})) : {};
        const policy = q.get('propagationPolicy') ?? (options as { propagationPolicy?: string }).propagationPolicy ?? 'Background';
        if (!['Background', 'Foreground', 'Orphan'].includes(policy)) throw new BadRequestError(`unsupported propagationPolicy "${policy}": use Background, Foreground or Orphan`);
        if (policy === 'Orphan') await orphanDependents(ref);
        const deleted = await store.delete(ref);
        return send(res, 200, deleted[deleted.length - 1] ?? { apiVersion: 'v1', kind: 'Status', status: 'Success' });
      }
      default:
        throw new BadRequestError(`method ${method} is not allowed`);
    }
  }

  /**
   * `propagationPolicy: Orphan`: the object's dependents lose their owner reference to it and
   * stay when it goes (Background and Foreground both delete them, at once here).
   */
  async function orphanDependents(ref: { apiVersion: string; kind: string; namespace: string; name: string }): Promise<void> {
    const owner = await store.get(ref);
    const uid = owner?.metadata.uid;
    if (!uid) return;
    for (const k of kinds.all) {
      const children = (await store.list({ apiVersion: k.apiVersion, kind: k.kind }, { ...(k.namespaced && ref.namespace ? { namespace: ref.namespace } : {}), ownerUid: uid })).items;
      for (const c of children) {
        await store.patch({ apiVersion: c.apiVersion, kind: c.kind, namespace: c.metadata.namespace ?? '', name: c.metadata.name ?? '' }, (o) => {
          o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
          if (o.metadata.ownerReferences.length === 0) delete o.metadata.ownerReferences;
        });
      }
    }
  }

  /** Live usage of the running pods, as the runtime measures it. */
  async function podUsages(namespace: string | undefined): Promise<{ pod: Stored<Pod>; usage: PodUsage }[]> {
    const pods = (await store.list<Stored<Pod>>({ apiVersion: 'v1', kind: 'Pod' }, { namespace })).items.filter((p) => p.status?.phase === 'Running');
    const out = [];
    for (const pod of pods) {
      const usage = await runtime.usage(pod);
      if (usage) out.push({ pod, usage });
    }
    return out;
  }

  /** The caller of the request being served (set by the handler for the request's whole course). */
  const callers = new AsyncLocalStorage<Identity>();
  const caller = (): Identity => callers.getStore() ?? ANONYMOUS_ADMIN;

  /**
   * Whether the caller may create or update `obj`: RBAC for the object's own namespace (a
   * multi-document apply names several), no role or binding granting more than the caller holds,
   * and a Profile owned by the caller itself (Kubeflow's self-registration) for anyone signed in.
   */
  function mayWrite(verb: 'create' | 'update', kind: KindInfo, obj: KubeObject): void {
    const who = caller();
    const a: RequestAttributes = { verb, apiGroup: kind.group, resource: kind.plural, ...(kind.namespaced ? { namespace: obj.metadata.namespace ?? '' } : {}), ...(obj.metadata.name ? { name: obj.metadata.name } : {}) };
    if (!deps.authorizer.decide(who, a).allowed) {
      const owner = (obj['spec'] as { owner?: { kind?: string; name?: string } } | undefined)?.owner;
      const selfProfile = kind.kind === 'Profile' && verb === 'create' && owner?.name === who.name && who !== POD_SCOPED;
      if (!selfProfile) throw new ForbiddenError(forbiddenMessage(who, a));
    }
    deps.authorizer.checkEscalation(who, obj);
  }

  /** Refuses a request the caller may not make; creates are checked again per object as they are written. */
  function authorize(who: Identity, a: RequestAttributes): void {
    if (who === POD_SCOPED) return;
    // A Profile's create is decided on its body (its owner): see mayWrite.
    if (isResourceRequest(a) && a.verb === 'create' && a.resource === 'profiles' && a.apiGroup === 'kubeflow.org') return;
    deps.authorizer.check(who, a);
  }

  /** `drover backup`: a consistent copy of the whole store, streamed; the admin's alone (it holds everything). */
  async function sendBackup(res: ServerResponse, who: Identity): Promise<void> {
    if (!who.groups.includes('system:masters')) throw new ForbiddenError(`User "${who.name}" cannot take a backup: only members of system:masters may`);
    const dir = await mkdtemp(join(tmpdir(), 'drover-backup-'));
    try {
      const file = join(dir, 'state.db');
      await store.backup(file);
      const size = (await stat(file)).size;
      res.writeHead(200, { 'content-type': 'application/vnd.sqlite3', 'content-length': String(size), 'content-disposition': 'attachment; filename="state.db"' });
      await pipeline(createReadStream(file), res);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** `kubectl auth can-i` (an access review of the caller) and `can-i --list` (its rules in a namespace). */
  async function selfReview(p: string, who: Identity, body: unknown): Promise<unknown> {
    const review = (typeof body === 'object' && body !== null ? body : {}) as { spec?: Record<string, Record<string, string> | string | undefined> };
    const spec = review.spec ?? {};
    if (p.endsWith('/selfsubjectaccessreviews')) {
      const r = spec['resourceAttributes'] as Record<string, string> | undefined;
      const n = spec['nonResourceAttributes'] as Record<string, string> | undefined;
      if (!r && !n) throw new ValidationError([{ path: 'spec', message: 'exactly one of nonResourceAttributes and resourceAttributes must be specified' }]);
      const a: RequestAttributes = r
        ? { verb: r['verb'] ?? '', apiGroup: r['group'] ?? '', resource: r['resource'] ?? '', ...(r['subresource'] ? { subresource: r['subresource'] } : {}), ...(r['namespace'] ? { namespace: r['namespace'] } : {}), ...(r['name'] ? { name: r['name'] } : {}) }
        : { verb: n!['verb'] ?? '', path: n!['path'] ?? '' };
      const d = deps.authorizer.decide(who, a);
      return { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec, status: { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) } };
    }
    if (p.endsWith('/selfsubjectrulesreviews')) {
      const namespace = typeof spec['namespace'] === 'string' ? spec['namespace'] : undefined;
      const rules = who.groups.includes('system:masters')
        ? [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }]
        : deps.authorizer.rules(who, namespace);
      return {
        apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: {}, spec,
        status: {
          resourceRules: rules.filter((r) => r.resources?.length).map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}) })),
          nonResourceRules: rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
          incomplete: false,
        },
      };
    }
    throw new NotFoundError('path', p);
  }

  /**
   * Who is calling: the holder of a bearer token the server knows, or (a pod's narrow credential)
   * of a `token` query parameter made for exactly this path.
   */
  /** The id of the user token a request was authenticated with (a notebook session ends with it). */
  const tokenIds = new WeakMap<IncomingMessage, string>();

  async function authenticate(req: IncomingMessage, path: string, q: URLSearchParams): Promise<Identity> {
    const credentials = deps.credentials;
    if (!credentials) return ANONYMOUS_ADMIN;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const checked = m ? credentials.check(m[1]!, clock.now()) : undefined;
    if (checked && 'identity' in checked) {
      if (checked.tokenId) tokenIds.set(req, checked.tokenId);
      // A pod's ServiceAccount token is good while its pod is (a cluster's bound tokens).
      const bound = checked.boundPod;
      if (bound) {
        const pod = await store.get({ apiVersion: 'v1', kind: 'Pod', namespace: bound.namespace, name: bound.name });
        if (pod?.metadata.uid !== bound.uid) throw new UnauthorizedError(`the ServiceAccount token of pod ${bound.namespace}/${bound.name} is no longer good: the pod is gone`);
      }
      return checked.identity;
    }
    if (checked) throw new UnauthorizedError(`the bearer token expired at ${checked.expired}: ask an admin for a new one (drover token create USER)`);
    // A pod's narrow credential comes in the query (Katib's push URL) or as the bearer token
    // (Kubeflow Trainer's status push, whose SDK reads it from a file).
    const podToken = q.get('token') ?? m?.[1];
    if (podToken && credentials.allowsPod(path, podToken)) return POD_SCOPED;
    throw new UnauthorizedError(
      m
        ? 'the bearer token is not one this server knows: use the kubeconfig drover up wrote ($DROVER_HOME/kubeconfig; drover kubeconfig prints it)'
        : 'no credentials: send the bearer token of the kubeconfig drover up wrote (export KUBECONFIG=$DROVER_HOME/kubeconfig; drover kubeconfig prints it)',
    );
  }

  const notebookProxy = deps.notebooks
    ? new NotebookProxy({
        store,
        authorizer: deps.authorizer,
        clock,
        logger,
        secure: deps.notebooks.secure,
        ...(deps.credentials ? { tokenLive: (id: string) => deps.credentials!.tokenLive(id, clock.now()) } : { open: ANONYMOUS_ADMIN }),
        // A bearer token, when the request has one (API clients); the path does not matter, pods' path tokens do not apply.
        bearer: async (req) => (req.headers.authorization ? authenticate(req, '', new URLSearchParams()) : undefined),
      })
    : undefined;

  const openapi = new OpenApi({ kinds, subresources: deps.subresources, schemaOf: (info) => loader.schemaOf(info), version: KUBERNETES_VERSION.gitVersion });

  /** Discovery documents for `p`, or undefined when `p` is not a discovery path. */
  function discovery(p: string, host: string): Record<string, unknown> | undefined {
    if (p === '/api') return apiVersions(host);
    if (p === '/apis') return apiGroupList(kinds);
    const source = { kinds, subresources: deps.subresources };
    if (p === '/api/v1') return apiResourceList(source, '', 'v1');
    const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(p);
    if (!m) return undefined;
    return m[2] ? apiResourceList(source, m[1]!, m[2]) : apiGroup(kinds, m[1]!);
  }

  const formatUsage = (u: PodUsage) => ({ cpu: formatMillis(Math.round(u.cpuMillicores)), memory: formatBytes(u.memoryBytes) });

  /** The Argo Server routes, over the same store paths as the Kubernetes API. */
  const argoDeps: ArgoServerDeps = {
    kinds,
    create: (kind, namespace, obj, dry) => createObject(kind, namespace, { apiVersion: kind.apiVersion, kind: kind.kind, ...(obj as object) } as KubeObject, dry),
    get: (kind, namespace, name) => store.get({ apiVersion: kind.apiVersion, kind: kind.kind, namespace, name }),
    list: (kind, namespace, selector) => store.list({ apiVersion: kind.apiVersion, kind: kind.kind }, { namespace, ...(selector ? { labelSelector: parseSelector(selector) } : {}) }),
    remove: async (kind, namespace, name) => void (await store.delete({ apiVersion: kind.apiVersion, kind: kind.kind, namespace, name })),
    action: (namespace, name, action, body) => deps.subresource('Workflow', action)?.handle({ method: 'PUT', namespace, name, store, body: async () => body, now: () => clock.now() }),
  };

  const artifactTickets = new ArtifactTickets();

  /** Who made each request, for the audit log. */
  const audited = new WeakMap<IncomingMessage, Identity>();

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://drover');
    const p = url.pathname.replace(/\/+$/, '') || '/';
    if (p === '/healthz' || p === '/livez' || p === '/readyz') return send(res, 200, 'ok');
    const refused = refusal(deps.hostPolicy, req.headers);
    if (refused) throw new ForbiddenError(refused);
    // A notebook's pages: their own check (a cookie or a bearer token), then the pod (./notebook-proxy.ts).
    if (notebookProxy && url.pathname.startsWith('/notebook/')) {
      const who = await notebookProxy.serveHttp(req, res, url);
      if (who) audited.set(req, who);
      return;
    }
    // The dashboard's page and files need no token: its login page asks for one (./dashboard.ts).
    if ((req.method === 'GET' || req.method === 'HEAD') && isDashboardPath(url.pathname) && (await serveDashboard(res, req.method, url.pathname, req.headers['accept-encoding']))) return;
    // A one-time download link (./artifact-download.ts) stands for the user who asked for it.
    const ticket = req.method === 'GET' ? url.searchParams.get(TICKET_PARAM) : null;
    const artifact = ticket !== null ? ARTIFACT_PATH.exec(p) : null;
    const ticketed = artifact ? artifactTickets.redeem(ticket!, artifactPath(...(artifact.slice(1, 5).map(decodeURIComponent) as [string, string, string, string])), clock.now()) : undefined;
    if (artifact && !ticketed) throw new UnauthorizedError('this download link was used already or is more than a minute old: download again from the dashboard');
    const who = ticketed ?? (await authenticate(req, p, url.searchParams));
    // Kept for the audit entry written when the response ends.
    audited.set(req, who);
    const attributes = requestAttributes(req.method ?? 'GET', p, url.searchParams, kinds);
    if (attributes !== 'per-object') authorize(who, attributes);
    return callers.run(who, () => serve(req, res, url, p, who));
  }

  async function serve(req: IncomingMessage, res: ServerResponse, url: URL, p: string, who: Identity): Promise<void> {
    if (p === '/version') return send(res, 200, serverVersion(deps.version, runtime.name));
    if (p === '/apis/drover.dev/v1/backup' && req.method === 'GET') return sendBackup(res, who);
    const token = await tokenApi(deps.credentials, who, req.method ?? 'GET', p, () => readJson(req));
    if (token) return send(res, token.code, token.body);
    if (req.method === 'POST' && p.startsWith('/apis/authorization.k8s.io/v1/selfsubject')) return send(res, 201, await selfReview(p, who, await readReview(req)));
    if (req.method === 'POST' && p === '/apis/authentication.k8s.io/v1/selfsubjectreviews') {
      await readReview(req);
      // `kubectl auth whoami`
      return send(res, 201, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: { creationTimestamp: new Date(clock.now()).toISOString() }, status: { userInfo: { username: who.name, groups: who.groups } } });
    }
    if (req.method === 'GET') {
      const doc = openApiResponse(openapi, p, url.searchParams, req.headers.accept);
      if (doc) {
        res.writeHead(doc.code, doc.headers);
        return void res.end(doc.body);
      }
      const found = discovery(p, req.headers.host ?? '');
      if (found) return send(res, 200, found);
    }
    if (p === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return void res.end(await renderMetrics(store, metrics, kinds));
    }
    if (p === VISIBLE_NAMESPACES_PATH && req.method === 'GET') return send(res, 200, await visibleNamespaces(store, deps.authorizer, who));
    let m = TICKET_PATH.exec(p);
    if (m && req.method === 'POST' && notebookProxy) {
      // Authorized as `get` of the notebook (./attributes.ts).
      return send(res, 201, { apiVersion: 'drover.dev/v1', kind: 'NotebookTicket', ...(await notebookProxy.ticket(who, { namespace: decodeURIComponent(m[1]!), name: decodeURIComponent(m[2]!) }, tokenIds.get(req))) });
    }
    m = /^\/apis\/drover\.dev\/v1\/namespaces\/([^/]+)\/apply$/.exec(p);
    if (m && req.method === 'POST') return send(res, 200, await apply(decodeURIComponent(m[1]!), await readJson(req)));
    m = /^\/apis\/metrics\.k8s\.io\/v1beta1\/(?:namespaces\/([^/]+)\/)?(pods|nodes)(?:\/([^/]+))?$/.exec(p);
    if (m && req.method === 'GET') {
      const namespace = m[1] ? decodeURIComponent(m[1]) : undefined;
      const name = m[3] ? decodeURIComponent(m[3]) : undefined;
      const usages = await podUsages(namespace);
      const meta = { timestamp: new Date(clock.now()).toISOString(), window: '10s' };
      const items =
        m[2] === 'pods'
          ? usages.map(({ pod, usage }) => ({
              apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics',
              metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace }, ...meta,
              containers: [{ name: pod.spec?.containers[0]?.name ?? 'main', usage: formatUsage(usage) }],
            }))
          : (await store.list({ apiVersion: 'v1', kind: 'Node' })).items.map((n) => {
              const on = usages.filter((u) => u.pod.spec?.nodeName === n.metadata.name).map((u) => u.usage);
              const total = { cpuMillicores: on.reduce((a, u) => a + u.cpuMillicores, 0), memoryBytes: on.reduce((a, u) => a + u.memoryBytes, 0) };
              return { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name: n.metadata.name }, ...meta, usage: formatUsage(total) };
            });
      // One object (`kubectl top pod NAME`): only a running pod has metrics, as with metrics-server.
      if (name !== undefined) {
        const one = items.find((i) => i.metadata.name === name);
        if (!one) throw new NotFoundError(`${m[2]}.metrics.k8s.io`, name, namespace);
        return send(res, 200, one);
      }
      return send(res, 200, { apiVersion: 'metrics.k8s.io/v1beta1', kind: m[2] === 'pods' ? 'PodMetricsList' : 'NodeMetricsList', metadata: {}, items });
    }
    m = ARTIFACT_TICKET_PATH.exec(p);
    // Authorized as `get` of the workflow (./attributes.ts); the link's use is authorized again.
    if (m && req.method === 'POST') return send(res, 201, { apiVersion: 'drover.dev/v1', kind: 'ArtifactTicket', ...(await artifactTicket({ store, tickets: artifactTickets, now: clock.now() }, who, ...(m.slice(1, 5).map(decodeURIComponent) as [string, string, string, string]))) });
    m = ARTIFACT_PATH.exec(p);
    // Authorized as `get` of the workflow (./attributes.ts).
    if (m && req.method === 'GET') return serveArtifact({ store, repository: deps.artifacts }, res, ...(m.slice(1, 5).map(decodeURIComponent) as [string, string, string, string]));
    if (await argoStream({ store, runtime }, req, res, p, url.searchParams)) return;
    const argo = await argoServer(argoDeps, { method: req.method ?? 'GET', path: p, query: url.searchParams, body: () => readJson(req) });
    if (argo !== undefined) return send(res, 200, argo);
    const path = parseResourcePath(p, kinds);
    if (!path) throw new NotFoundError('path', p);
    return handleResource(req, res, path, url.searchParams);
  }

  /** A pod's exec or portforward: checked as any request, then handed to ./streams.ts. */
  async function routeUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://drover');
    const p = url.pathname.replace(/\/+$/, '') || '/';
    const refused = refusal(deps.hostPolicy, req.headers);
    if (refused) throw new ForbiddenError(refused);
    if (notebookProxy && url.pathname.startsWith('/notebook/')) {
      audited.set(req, await notebookProxy.serveUpgrade(req, socket, head, url));
      return;
    }
    const who = await authenticate(req, p, url.searchParams);
    audited.set(req, who);
    const attributes = requestAttributes(req.method ?? 'GET', p, url.searchParams, kinds);
    if (attributes !== 'per-object') authorize(who, attributes);
    const path = parseResourcePath(p, kinds);
    if (!path || path.kind.kind !== 'Pod' || !path.name || (path.subresource !== 'exec' && path.subresource !== 'portforward')) throw new NotFoundError('path', p);
    if (!isWebSocketRequest(req)) throw new BadRequestError(`pods/${path.subresource} is served over WebSocket only (kubectl 1.30 or newer); SPDY is not`);
    const namespace = path.namespace ?? DEFAULT_NAMESPACE;
    const pod = await store.get<Stored<Pod>>({ apiVersion: 'v1', kind: 'Pod', namespace, name: path.name });
    if (!pod) throw new NotFoundError('pods', path.name, namespace);
    const streamDeps = { runtime, logger };
    if (path.subresource === 'exec') await serveExec(req, socket, head, pod, url.searchParams, streamDeps);
    else servePortForward(req, socket, head, pod, url.searchParams, streamDeps);
  }

  /** One audit line per request; a failure to build or write it is logged, never thrown out of a request's end. */
  const audit = (req: IncomingMessage, code: number): void => {
    if (!deps.audit) return;
    try {
      deps.audit.record(auditEntry(req, code, audited.get(req), kinds, clock.now()));
    } catch (err) {
      logger.error('could not audit a request', { url: req.url, error: err instanceof Error ? err.message : String(err) });
    }
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    let code = 101;
    socket.on('error', () => {});
    routeUpgrade(req, socket, head)
      .catch((err: unknown) => {
        if (!(err instanceof DroverError)) logger.error('upgrade failed', { url: req.url, error: err instanceof Error ? err.stack : String(err) });
        const status = toStatus(err);
        code = status.code;
        if (socket.destroyed) return;
        const body = JSON.stringify(status);
        socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      })
      .finally(() => {
        metrics.observeRequest(req.method ?? 'GET', code, 0);
        audit(req, code);
      });
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    route(req, res)
      .catch((err: unknown) => {
        if (!(err instanceof DroverError)) logger.error('request failed', { method: req.method, url: req.url, error: err instanceof Error ? err.stack : String(err) });
        const status = toStatus(err);
        // Not `connection: close` for an oversized body: the server would close the socket with
        // the rest of the body unread, and the reset can lose this answer. readBytes drops the rest.
        if (res.headersSent) res.end();
        else send(res, status.code, status);
      })
      .finally(() => {
        metrics.observeRequest(req.method ?? 'GET', res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
        if (!/^\/(healthz|livez|readyz)\/?(\?|$)/.test(req.url ?? '')) audit(req, res.statusCode);
      });
  };
  return Object.assign(handler, { upgrade });
}

