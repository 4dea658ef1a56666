/**
 * The dashboard's files: the single-page app that `npm run build` bundles from web/ into
 * dist/web/, served at `/` (the page) and `/ui/…` (its scripts and styles) with no token, since
 * the login page must load before anyone has one. Everything the app then asks for goes through
 * the API with the bearer token, as any client's requests do.
 *
 * The page may load nothing but this server's own files (Content-Security-Policy), may not be
 * framed by another site, and is refused under a foreign Host name like every request.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import type { Store } from '../store/index.js';
import type { Authorizer, Identity } from '../identity/index.js';

/** dist/web, beside dist/src (this module is dist/src/server/dashboard.js once built). */
export const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * Only this origin, for everything; no inline script or style elements, no eval. Styles set from
 * script (element.style) are not inline style elements and stay allowed.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Whether `pathname` is one of the dashboard's (the page or one of its files). */
export function isDashboardPath(pathname: string): boolean {
  return pathname === '/' || pathname === '/index.html' || pathname.startsWith('/ui/');
}

/** The file under `dir` that `pathname` names, or undefined for a path that leaves it. */
export function dashboardFile(dir: string, pathname: string): string | undefined {
  if (pathname === '/' || pathname === '/index.html') return join(dir, 'index.html');
  let rel: string;
  try {
    rel = decodeURIComponent(pathname.slice('/ui/'.length));
  } catch {
    return undefined;
  }
  if (!rel || rel.includes('\0')) return undefined;
  const file = normalize(join(dir, rel));
  return file.startsWith(dir + sep) ? file : undefined;
}

/** Whether an Accept-Encoding header takes gzip (and does not refuse it with q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * Answers a GET or HEAD of a dashboard path; false when there is no such file. A browser that
 * takes gzip gets the file the build compressed beside it (FILE.gz), when there is one.
 */
export async function serveDashboard(res: ServerResponse, method: string, pathname: string, acceptEncoding?: string, dir = DASHBOARD_DIR): Promise<boolean> {
  const file = dashboardFile(dir, pathname);
  if (!file) return false;
  let body: Buffer | undefined;
  let gzip = false;
  if (acceptsGzip(acceptEncoding)) {
    body = await readFile(`${file}.gz`).catch(() => undefined);
    gzip = body !== undefined;
  }
  try {
    body ??= await readFile(file);
  } catch {
    return false;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': String(body.length),
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    vary: 'accept-encoding',
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    // The page names its files without a version: look again each time (they are small).
    'cache-control': 'no-cache',
  });
  res.end(method === 'HEAD' ? undefined : body);
  return true;
}

/** `GET /apis/drover.dev/v1/visiblenamespaces`: what the dashboard offers a user to pick. */
export const VISIBLE_NAMESPACES_PATH = '/apis/drover.dev/v1/visiblenamespaces';

/**
 * The namespaces whose pods `who` may list, as a NamespaceList of names: a user who may not list
 * namespaces (most, outside an admin) still learns which ones are theirs, and no others. Kubeflow's
 * dashboard asks its own service the same question; Kubernetes has no request for it.
 */
export async function visibleNamespaces(store: Store, authorizer: Authorizer, who: Identity): Promise<Record<string, unknown>> {
  const all = await store.list({ apiVersion: 'v1', kind: 'Namespace' });
  const items = all.items
    .filter((n) => authorizer.decide(who, { verb: 'list', apiGroup: '', resource: 'pods', namespace: n.metadata.name }).allowed)
    .map((n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n.metadata.name } }));
  return { apiVersion: 'v1', kind: 'NamespaceList', metadata: {}, items };
}
