/**
 * What the audit log records of a request (src/identity/audit.ts writes it): who, the Kubernetes
 * verb, what it addressed, and the answer's code.
 */
import type { IncomingMessage } from 'node:http';
import type { KindTable } from '../api/kinds.js';
import type { AuditEntry, Identity } from '../identity/index.js';
import { parseResourcePath } from './routes.js';

/** Kubernetes' verb for a request: list and watch for collections, get for one object. */
export function auditVerb(method: string, collection: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : collection ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return collection ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}

const WATCH_VALUES = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);

interface Addressed {
  group: string;
  resource: string;
  namespace?: string | undefined;
  name?: string | undefined;
  subresource?: string | undefined;
}

/** A kind's path, or one of Drover's own resources (tokens, apply) and the metrics API, shaped the same. */
function addressed(path: string, kinds: KindTable): Addressed | undefined {
  const r = parseResourcePath(path, kinds);
  if (r) return { group: r.kind.group, resource: r.kind.plural, namespace: r.namespace, name: r.name, subresource: r.subresource };
  const m = /^\/apis\/([^/]+)\/[^/]+\/(?:namespaces\/([^/]+)\/)?([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  const d = (s: string | undefined) => (s === undefined ? undefined : decodeURIComponent(s));
  return { group: m[1]!, namespace: d(m[2]), resource: m[3]!, name: d(m[4]), subresource: d(m[5]) };
}

export function auditEntry(req: IncomingMessage, code: number, who: Identity | undefined, kinds: KindTable, now: number): AuditEntry {
  const url = new URL(req.url ?? '/', 'http://drover');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  const r = addressed(path, kinds);
  const watch = WATCH_VALUES.has(url.searchParams.get('watch') ?? '');
  const ua = req.headers['user-agent'];
  return {
    time: new Date(now).toISOString(),
    user: who?.name ?? 'system:anonymous',
    groups: who?.groups ?? ['system:unauthenticated'],
    verb: r ? auditVerb(method, !r.name, watch) : method.toLowerCase(),
    path,
    ...(r
      ? {
          apiGroup: r.group,
          resource: r.resource,
          ...(r.subresource ? { subresource: r.subresource } : {}),
          ...(r.namespace ? { namespace: r.namespace } : {}),
          ...(r.name ? { name: r.name } : {}),
        }
      : {}),
    code,
    // A client that hung up early leaves no socket on the request (the entry is still written).
    sourceIP: req.socket?.remoteAddress ?? '',
    ...(ua ? { userAgent: ua } : {}),
  };
}
