/**
 * The part of the Argo Server's REST API (`/api/v1/…`) that Hera and the `argo` CLI's HTTP mode
 * use: workflows (create, lint, get, list, delete, the actions), workflow templates and cron
 * workflows (create, get, list, delete), and the info, version and userinfo the clients read
 * first. Each is the same store object the Kubernetes-shaped API serves.
 */
import { BadRequestError, NotFoundError } from '../api/errors.js';
import type { KindInfo, KindTable } from '../api/kinds.js';
import type { KubeObject } from '../api/types.js';

export interface ArgoServerDeps {
  kinds: KindTable;
  /** Validates, admits and stores (or, dry, only checks) a new object of `kind` in `namespace`. */
  create(kind: KindInfo, namespace: string, obj: unknown, dry: boolean): Promise<KubeObject>;
  get(kind: KindInfo, namespace: string, name: string): Promise<KubeObject | undefined>;
  list(kind: KindInfo, namespace: string, labelSelector: string | undefined): Promise<{ items: KubeObject[]; resourceVersion: string }>;
  remove(kind: KindInfo, namespace: string, name: string): Promise<void>;
  /** A Workflow's action (`retry`, `stop`…), as its family serves it. */
  action(namespace: string, name: string, action: string, body: unknown): Promise<unknown> | undefined;
}

export interface ArgoRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body(): Promise<unknown>;
}

/** Argo's own version, as the clients expect to read it. */
const ARGO_VERSION = { version: 'v3.6.0', buildDate: '', gitCommit: '', gitTag: 'v3.6.0', gitTreeState: 'clean', goVersion: '', compiler: 'drover', platform: `${process.platform}/${process.arch}` };

/** The resource each path segment names, and the field a create request carries it in. */
const COLLECTIONS: Readonly<Record<string, { kind: string; field: string }>> = {
  workflows: { kind: 'Workflow', field: 'workflow' },
  'workflow-templates': { kind: 'WorkflowTemplate', field: 'template' },
  'cron-workflows': { kind: 'CronWorkflow', field: 'cronWorkflow' },
};

function field(body: unknown, name: string): unknown {
  const v = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof v !== 'object' || v === null) throw new BadRequestError(`the request needs "${name}": the object to create`);
  return v;
}

/** Answers an Argo Server path, or returns undefined when `path` is not one. */
export async function argoServer(deps: ArgoServerDeps, req: ArgoRequest): Promise<unknown> {
  const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'api' || parts[1] !== 'v1' || parts.length < 3) return undefined;
  const [, , what, namespace, name, action] = parts;
  if (req.method === 'GET' && parts.length === 3) {
    if (what === 'info') return { managedNamespace: '', links: [], modals: {}, navColor: '' };
    if (what === 'version') return ARGO_VERSION;
    if (what === 'userinfo') return {};
  }
  const collection = what ? COLLECTIONS[what] : undefined;
  if (!collection || namespace === undefined) return undefined;
  const kind = deps.kinds.named(collection.kind)!;
  if (name === undefined) {
    if (req.method === 'GET') {
      const list = await deps.list(kind, namespace, req.query.get('listOptions.labelSelector') ?? undefined);
      return { metadata: { resourceVersion: list.resourceVersion }, items: list.items };
    }
    if (req.method === 'POST') {
      const body = await req.body();
      const dry = (typeof body === 'object' && body !== null && (body as Record<string, unknown>)['serverDryRun'] === true) || false;
      return deps.create(kind, namespace, field(body, collection.field), dry);
    }
    throw new BadRequestError(`method ${req.method} is not allowed on ${what}`);
  }
  if (name === 'lint' && action === undefined && req.method === 'POST') return deps.create(kind, namespace, field(await req.body(), collection.field), true);
  if (action !== undefined) {
    if (collection.kind !== 'Workflow' || req.method !== 'PUT') throw new BadRequestError(`${req.method} ${what}/${action} is not served`);
    const done = deps.action(namespace, name, action, await req.body());
    if (!done) throw new NotFoundError('workflow action', action);
    return done;
  }
  if (req.method === 'GET') {
    const obj = await deps.get(kind, namespace, name);
    if (!obj) throw new NotFoundError(`${kind.plural}.${kind.group}`, name, namespace);
    return obj;
  }
  if (req.method === 'DELETE') {
    await deps.remove(kind, namespace, name);
    return {};
  }
  throw new BadRequestError(`method ${req.method} is not allowed on ${what}/${name}`);
}
