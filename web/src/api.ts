/**
 * The dashboard's only door to the server: the Kubernetes-shaped API with the user's bearer
 * token. The token lives in sessionStorage (this tab only, gone when it closes) and travels in
 * the Authorization header, which a page of another site cannot make a browser send: no cookie,
 * so no cross-site request forgery to guard against.
 */
export interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string }[];
}

/**
 * An object of any kind as the API sends it. `spec` and `status` stay untyped on purpose: the pages
 * read a dozen kinds' fields defensively (optional chaining, defaults), and a field a server does
 * not send must show as empty, not break the page. The server's own types live in src/, which the
 * browser bundle does not import.
 */
export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  spec?: any;
  status?: any;
  [k: string]: any;
}

const TOKEN_KEY = 'drover.token';

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string | null): void {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
  listeners.forEach((l) => l());
}

const listeners = new Set<() => void>();
/** Called when the token changes (login, logout, a 401 that ends the session). */
export function onTokenChange(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export let lastAuthError = '';

export class ApiError extends Error {
  constructor(readonly code: number, message: string, readonly causes: { field?: string; message: string }[] = []) {
    super(message);
  }
}

async function failure(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  let causes: { field?: string; message: string }[] = [];
  try {
    const body = (await res.json()) as { message?: string; details?: { causes?: { field?: string; message: string }[] } };
    if (body.message) message = body.message;
    causes = body.details?.causes ?? [];
  } catch {
    // Not a Status object.
  }
  if (res.status === 401) {
    lastAuthError = message;
    setToken(null);
  }
  return new ApiError(res.status, message, causes);
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const t = token();
  if (t) headers.set('authorization', `Bearer ${t}`);
  const res = await fetch(path, { ...init, headers, credentials: 'omit' });
  if (!res.ok) throw await failure(res);
  return res;
}

export async function getJson<T = Obj>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

export async function send<T = Obj>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(path, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  return (await res.json()) as T;
}

/** Who the token belongs to (SelfSubjectReview, as `kubectl auth whoami`). */
export async function whoAmI(): Promise<{ username: string; groups: string[] }> {
  const r = await send<{ status: { userInfo: { username: string; groups: string[] } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  return r.status.userInfo;
}

/** Whether the user may `verb` the `resource` (SelfSubjectAccessReview, as `kubectl auth can-i`). */
export async function canI(verb: string, resource: string, namespace?: string, group = ''): Promise<boolean> {
  const r = await send<{ status: { allowed: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { verb, resource, group, ...(namespace ? { namespace } : {}) } },
  });
  return r.status.allowed;
}

/** Reads a streamed body line by line (a watch's newline-delimited JSON) or chunk by chunk (a log). */
async function readStream(res: Response, onChunk: (text: string) => void, signal: AbortSignal): Promise<void> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  signal.addEventListener('abort', () => void reader.cancel().catch(() => {}));
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onChunk(decoder.decode(value, { stream: true }));
  }
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Obj;
}

/**
 * Lists and watches a collection until `signal` aborts: `onReset` receives the whole collection
 * each time the stream (re)starts, `onEvent` each change after it. A stream the server ends
 * (410 Gone, a restart) starts again after a second.
 */
export function watch(path: string, handlers: { onReset(items: Obj[]): void; onEvent(e: WatchEvent): void; onError(err: Error): void }, signal: AbortSignal): void {
  const sep = path.includes('?') ? '&' : '?';
  const run = async (): Promise<void> => {
    while (!signal.aborted) {
      let initial: Obj[] | undefined = [];
      try {
        const res = await request(`${path}${sep}watch=true&sendInitialEvents=true&allowWatchBookmarks=true`, { signal });
        let buffer = '';
        await readStream(res, (text) => {
          buffer += text;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (!line.trim()) continue;
            const e = JSON.parse(line) as WatchEvent;
            if (e.type === 'ERROR') throw new ApiError(e.object['code'] ?? 500, e.object['message'] ?? 'watch error');
            if (initial) {
              if (e.type === 'BOOKMARK' && e.object.metadata.annotations?.['k8s.io/initial-events-end'] === 'true') {
                handlers.onReset(initial);
                initial = undefined;
              } else if (e.type === 'ADDED') initial.push(e.object);
              continue;
            }
            if (e.type !== 'BOOKMARK') handlers.onEvent(e);
          }
        }, signal);
      } catch (err) {
        if (signal.aborted) return;
        handlers.onError(err as Error);
        if (err instanceof ApiError && (err.code === 401 || err.code === 403 || err.code === 404)) return;
      }
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  };
  void run();
}

/** Streams a pod's log (`follow`: as it is written) into `onText` until `signal` aborts. */
export async function streamLog(path: string, onText: (text: string) => void, signal: AbortSignal): Promise<void> {
  const res = await request(path, { signal });
  await readStream(res, onText, signal);
}

/** The collection path of a kind in a namespace ('' = every namespace). */
export function collection(base: string, plural: string, namespace: string): string {
  return namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}` : `${base}/${plural}`;
}

export const CORE = '/api/v1';
export const BATCH = '/apis/batch/v1';
export const ARGO = '/apis/argoproj.io/v1alpha1';
export const KATIB = '/apis/kubeflow.org/v1beta1';
