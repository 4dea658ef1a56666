/**
 * What a request asks to do, in Kubernetes' authorization terms (verb, group, resource,
 * subresource, namespace, name), from its method and path: the input of every RBAC decision.
 */
import type { KindTable } from '../api/kinds.js';
import type { RequestAttributes } from '../identity/rbac.js';
import { parseResourcePath } from './routes.js';

/** The resource an Argo Server collection path names. */
const ARGO: Readonly<Record<string, string>> = { workflows: 'workflows', 'workflow-templates': 'workflowtemplates', 'cron-workflows': 'cronworkflows' };

/** A pod's subresources that connect to it: `create` whatever the method, as in Kubernetes. */
const CONNECT_SUBRESOURCES = new Set(['exec', 'portforward', 'attach']);

function isTrue(v: string | null): boolean {
  return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v ?? '');
}

/**
 * The attributes of a request, or `'per-object'` for a request that names several objects
 * (Drover's multi-document apply), each checked as it is written.
 */
export function requestAttributes(method: string, p: string, q: URLSearchParams, kinds: KindTable): RequestAttributes | 'per-object' {
  const nonResource = { verb: method.toLowerCase(), path: p };
  if (/^\/apis\/drover\.dev\/v1\/namespaces\/[^/]+\/apply$/.test(p)) return 'per-object';
  if (p === '/apis/drover.dev/v1/backup') return { verb: 'get', apiGroup: 'drover.dev', resource: 'backups' };
  // Drover's user tokens (src/server/tokens.ts): cluster-scoped, and only system:masters may manage them whatever RBAC says.
  const t = /^\/apis\/drover\.dev\/v1\/tokens(?:\/([^/]+))?$/.exec(p);
  if (t) {
    const verb = method === 'POST' ? 'create' : method === 'DELETE' ? 'delete' : t[1] ? 'get' : 'list';
    return { verb, apiGroup: 'drover.dev', resource: 'tokens', ...(t[1] ? { name: decodeURIComponent(t[1]) } : {}) };
  }
  // A notebook's one-time link (./notebook-proxy.ts): whoever may get the notebook may open it.
  let m = /^\/apis\/drover\.dev\/v1\/namespaces\/([^/]+)\/notebooks\/([^/]+)\/ticket$/.exec(p);
  if (m) return { verb: 'get', apiGroup: 'kubeflow.org', resource: 'notebooks', namespace: decodeURIComponent(m[1]!), name: decodeURIComponent(m[2]!) };
  m = /^\/apis\/metrics\.k8s\.io\/v1beta1\/(?:namespaces\/([^/]+)\/)?(pods|nodes)(?:\/([^/]+))?$/.exec(p);
  if (m) return { verb: m[3] ? 'get' : 'list', apiGroup: 'metrics.k8s.io', resource: m[2]!, ...(m[1] ? { namespace: decodeURIComponent(m[1]) } : {}), ...(m[3] ? { name: decodeURIComponent(m[3]) } : {}) };
  m = /^\/apis\/(authorization|authentication)\.k8s\.io\/v1\/(selfsubjectaccessreviews|selfsubjectrulesreviews|selfsubjectreviews)$/.exec(p);
  if (m) return { verb: 'create', apiGroup: `${m[1]}.k8s.io`, resource: m[2]! };
  // A node's output artifact (./artifact-download.ts): whoever may get the workflow, as Argo's server.
  m = /^\/artifacts\/([^/]+)\/([^/]+)\/[^/]+\/[^/]+$/.exec(p) ?? /^\/apis\/drover\.dev\/v1\/namespaces\/([^/]+)\/workflows\/([^/]+)\/artifacts\/[^/]+\/[^/]+\/ticket$/.exec(p);
  if (m) return { verb: 'get', apiGroup: 'argoproj.io', resource: 'workflows', namespace: decodeURIComponent(m[1]!), name: decodeURIComponent(m[2]!) };
  // The Argo Server's streams (./argo-streams.ts): watching workflows, reading their pods' logs.
  m = /^\/api\/v1\/workflow-events\/([^/]+)$/.exec(p);
  if (m) return { verb: 'watch', apiGroup: 'argoproj.io', resource: 'workflows', namespace: decodeURIComponent(m[1]!) };
  m = /^\/api\/v1\/workflows\/([^/]+)\/[^/]+(?:\/[^/]+)?\/log$/.exec(p);
  if (m) return { verb: 'get', apiGroup: '', resource: 'pods', subresource: 'log', namespace: decodeURIComponent(m[1]!) };
  // The Argo Server's paths: /api/v1/{workflows|workflow-templates|cron-workflows}/{ns}[/{name}[/{action}]].
  m = /^\/api\/v1\/(workflows|workflow-templates|cron-workflows)\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(p);
  if (m) {
    const [, what, ns, name, action] = m;
    const base = { apiGroup: 'argoproj.io', resource: ARGO[what!]!, namespace: decodeURIComponent(ns!) };
    if (!name) return { ...base, verb: method === 'POST' ? 'create' : 'list' };
    if (name === 'lint' && !action) return { ...base, verb: 'create' };
    if (action) return { ...base, name: decodeURIComponent(name), subresource: action, verb: 'update' };
    return { ...base, name: decodeURIComponent(name), verb: method === 'DELETE' ? 'delete' : 'get' };
  }
  if (/^\/api\/v1\/(info|version|userinfo)$/.test(p)) return { verb: 'get', path: '/version' };
  const path = parseResourcePath(p, kinds);
  if (!path) return nonResource;
  const { kind } = path;
  const base = {
    apiGroup: kind.group,
    resource: kind.plural,
    ...(path.subresource ? { subresource: path.subresource } : {}),
    ...(kind.namespaced ? (path.namespace !== undefined ? { namespace: path.namespace } : {}) : {}),
    ...(path.name !== undefined ? { name: path.name } : {}),
  };
  // A namespace's own object is authorized within it, as Kubernetes does (`get namespace x` in x).
  if (kind.kind === 'Namespace' && path.name !== undefined) Object.assign(base, { namespace: path.name });
  const collection = path.name === undefined;
  // Kubernetes authorizes connecting to a pod (a GET with an upgrade, or a POST) as `create`.
  if (kind.kind === 'Pod' && path.subresource && CONNECT_SUBRESOURCES.has(path.subresource)) return { ...base, verb: 'create' };
  const verb =
    method === 'GET' ? (isTrue(q.get('watch')) ? 'watch' : collection ? 'list' : 'get')
    : method === 'POST' ? 'create'
    : method === 'PUT' ? 'update'
    : method === 'PATCH' ? 'patch'
    : method === 'DELETE' ? (collection ? 'deletecollection' : 'delete')
    : method.toLowerCase();
  return { ...base, verb };
}
