/**
 * A typed HTTP client for the Drover API (Kubernetes-shaped REST + newline-delimited JSON watch).
 * Built on node:http rather than fetch: it loads faster, and the CLI is spawned often.
 */
import * as http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { KindInfo } from '../api/kinds.js';
import type { StatusObject } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { CliError } from './context.js';
import { collectionPath, objectPath } from './resources.js';

/** A non-2xx answer, carrying the server's `Status`. */
export class ApiError extends Error {
  constructor(readonly status: StatusObject) {
    super(status.message);
    this.name = 'ApiError';
  }
  get reason(): string {
    return this.status.reason;
  }
  get code(): number {
    return this.status.code;
  }
}

/** The server does not answer at all. */
export class UnreachableError extends CliError {
  constructor(readonly url: string, override readonly cause?: unknown) {
    super(`cannot reach the Drover server at ${url}: is it running? Start it with "drover up -d"`);
    this.name = 'UnreachableError';
  }
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string };
  items: T[];
}

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ApplyDocument {
  file: string;
  text: string;
  sourceDir: string;
}

export interface ApplyResultItem {
  kind: string;
  apiVersion: string;
  namespace?: string;
  name: string;
  action: string;
}

export interface ApplyResult {
  kind: 'ApplyResult';
  results: ApplyResultItem[];
  warnings?: string[];
}

export interface LogOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  timestamps?: boolean;
  tailLines?: number;
}

export type WorkflowAction = 'retry' | 'resubmit' | 'suspend' | 'resume' | 'stop' | 'terminate';

export interface WorkflowActionBody {
  /** retry: also run again the succeeded nodes `nodeFieldSelector` picks. */
  restartSuccessful?: boolean;
  /** retry, resume: which nodes (`displayName=train`, `templateName=x`, `phase=Failed`…). */
  nodeFieldSelector?: string;
  /** retry, resubmit: `NAME=VALUE` overrides of the workflow's parameters. */
  parameters?: string[];
  /** stop: why. */
  message?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === false || v === '') continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `${path}?${parts.join('&')}` : path;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET', 'EADDRNOTAVAIL', 'ETIMEDOUT']);

const CERTIFICATE_ERRORS = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE']);

/** Turns a non-2xx body into a Status even when the server (or a proxy) answered something else. */
export function statusFromBody(code: number, body: string): StatusObject {
  try {
    const v = JSON.parse(body) as Partial<StatusObject>;
    if (v && typeof v === 'object' && v.kind === 'Status' && typeof v.message === 'string') {
      return { ...v, code: v.code ?? code, reason: v.reason ?? 'InternalError' } as StatusObject;
    }
  } catch {
    // not JSON
  }
  const reason: StatusObject['reason'] =
    code === 404 ? 'NotFound' : code === 409 ? 'Conflict' : code === 400 ? 'BadRequest' : code === 403 ? 'Forbidden' : code === 422 ? 'Invalid' : code === 503 ? 'ServiceUnavailable' : 'InternalError';
  const text = body.trim() || http.STATUS_CODES[code] || `HTTP ${code}`;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: text, reason, code };
}

export class Client {
  private agent: http.Agent | undefined;
  private readonly base: URL;

  /**
   * `token`: the bearer token sent with every request (the admin's, from the kubeconfig). `ca`:
   * the PEM of the CA an https:// server's certificate must chain to (the one Drover made, from
   * the kubeconfig); without it, the system's CAs.
   */
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
    private readonly ca?: string,
  ) {
    this.base = new URL(baseUrl);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new CliError(`unsupported server URL ${baseUrl}: use http:// or https://`);
    }
  }

  /** node:https (and TLS) is loaded only for an https:// server: the CLI starts often. */
  private async transport(): Promise<{ request: typeof http.request; agent: http.Agent }> {
    if (this.base.protocol === 'https:') {
      const https = await import('node:https');
      this.agent ??= new https.Agent({ keepAlive: true, ...(this.ca ? { ca: this.ca } : {}) });
      return { request: https.request, agent: this.agent };
    }
    this.agent ??= new http.Agent({ keepAlive: true });
    return { request: http.request, agent: this.agent };
  }

  /** Sends a request and returns the raw response, unread. Connection failures become UnreachableError. */
  async open(method: string, path: string, opts: { query?: Query; body?: unknown; timeoutMs?: number } = {}): Promise<IncomingMessage> {
    const url = new URL(withQuery(path, opts.query), this.base);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const { request, agent } = await this.transport();
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent,
          headers: {
            accept: 'application/json',
            // Names the CLI in the server's audit log.
            'user-agent': 'drover-cli',
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          },
        },
        resolve,
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code && CERTIFICATE_ERRORS.has(err.code)) {
          reject(new CliError(`the certificate of the Drover server at ${this.baseUrl} is not trusted (${err.message}): the kubeconfig its home holds names the CA to trust (DROVER_HOME), or set DROVER_CA_FILE to the CA's PEM file`));
          return;
        }
        reject(err.code && CONNECT_ERRORS.has(err.code) ? new UnreachableError(this.baseUrl, err) : err);
      });
      if (opts.timeoutMs) {
        req.setTimeout(opts.timeoutMs, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      }
      req.end(payload);
    });
  }

  /** A request whose answer is read whole; throws ApiError on non-2xx. */
  async text(method: string, path: string, opts: { query?: Query; body?: unknown; timeoutMs?: number } = {}): Promise<string> {
    const res = await this.open(method, path, opts);
    const body = await readAll(res);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw new ApiError(statusFromBody(code, body));
    return body;
  }

  async json<T>(method: string, path: string, opts: { query?: Query; body?: unknown; timeoutMs?: number } = {}): Promise<T> {
    const body = await this.text(method, path, opts);
    try {
      return JSON.parse(body) as T;
    } catch {
      throw new CliError(`the server answered ${method} ${path} with something that is not JSON: ${body.slice(0, 200)}`);
    }
  }

  /** True when `/healthz` answers 2xx within `timeoutMs`. */
  async healthy(timeoutMs = 2000): Promise<boolean> {
    try {
      await this.text('GET', '/healthz', { timeoutMs });
      return true;
    } catch {
      return false;
    }
  }

  version(): Promise<Record<string, unknown>> {
    return this.json('GET', '/version');
  }

  get<T extends KubeObject = KubeObject>(kind: KindInfo, namespace: string, name: string): Promise<T> {
    return this.json('GET', objectPath(kind, namespace, name));
  }

  /** Lists a kind in `namespace`, or in all namespaces when it is undefined. */
  list<T extends KubeObject = KubeObject>(kind: KindInfo, namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.json('GET', collectionPath(kind, namespace), { query: { ...opts } });
  }

  delete(kind: KindInfo, namespace: string, name: string): Promise<KubeObject | StatusObject> {
    return this.json('DELETE', objectPath(kind, namespace, name));
  }

  apply(namespace: string, documents: ApplyDocument[], mode: 'apply' | 'create'): Promise<ApplyResult> {
    return this.json('POST', `/apis/drover.dev/v1/namespaces/${encodeURIComponent(namespace)}/apply`, { body: { documents, mode } });
  }

  /**
   * One of Argo's workflow actions (`retry`, `resubmit`, `suspend`, `resume`, `stop`, `terminate`):
   * PUT .../workflows/{name}/{action} with the action's options; answers the Workflow (for
   * `resubmit`, the new one).
   */
  workflowAction<T extends KubeObject = KubeObject>(namespace: string, name: string, action: WorkflowAction, body: WorkflowActionBody = {}): Promise<T> {
    return this.json('PUT', `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(name)}/${action}`, { body });
  }

  /**
   * Streams changes to a kind. Without `resourceVersion` the server first sends the current objects
   * as ADDED. Resolves when the server ends the stream (the caller decides whether to resume);
   * `stop()` ends it early.
   */
  watch<T extends KubeObject = KubeObject>(
    kind: KindInfo,
    namespace: string | undefined,
    opts: ListOptions & { resourceVersion?: string },
    onEvent: (e: WatchEvent<T>) => void,
  ): { done: Promise<void>; stop(): void } {
    let response: IncomingMessage | undefined;
    let stopped = false;
    const done = (async () => {
      const res = await this.open('GET', collectionPath(kind, namespace), { query: { ...opts, watch: true } });
      response = res;
      const code = res.statusCode ?? 0;
      if (code < 200 || code >= 300) throw new ApiError(statusFromBody(code, await readAll(res)));
      if (stopped) {
        res.destroy();
        return;
      }
      await readLines(res, (line) => {
        const e = parseWatchLine<T>(line);
        if (e) onEvent(e);
      });
    })();
    return {
      done,
      stop() {
        stopped = true;
        response?.destroy();
      },
    };
  }

  /** Opens a pod's log stream; throws ApiError when the server refuses (e.g. container not started). */
  async logs(namespace: string, pod: string, opts: LogOptions): Promise<IncomingMessage> {
    const res = await this.open('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`, {
      query: {
        container: opts.container,
        follow: opts.follow,
        previous: opts.previous,
        timestamps: opts.timestamps,
        tailLines: opts.tailLines,
      },
    });
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw new ApiError(statusFromBody(code, await readAll(res)));
    return res;
  }

  close(): void {
    this.agent?.destroy();
  }
}

/**
 * One line of a watch stream. Accepts the contract's newline-delimited JSON and, to be lenient,
 * Server-Sent Events `data:` lines; skips blank lines, SSE comments and `event:` lines.
 */
export function parseWatchLine<T extends KubeObject = KubeObject>(line: string): WatchEvent<T> | undefined {
  let text = line.trim();
  if (!text || text.startsWith(':') || text.startsWith('event:') || text.startsWith('id:') || text.startsWith('retry:')) return undefined;
  if (text.startsWith('data:')) text = text.slice(5).trim();
  const v = JSON.parse(text) as WatchEvent<T>;
  if (!v || typeof v !== 'object' || typeof v.type !== 'string') return undefined;
  return v;
}

export function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Calls `onLine` for each complete line; resolves when the stream ends or is destroyed. */
export function readLines(res: NodeJS.ReadableStream & { destroyed?: boolean }, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          onLine(line);
        } catch (err) {
          reject(err);
          return;
        }
      }
    });
    const finish = () => {
      if (buf.trim()) {
        try {
          onLine(buf);
        } catch (err) {
          reject(err);
          return;
        }
      }
      buf = '';
      resolve();
    };
    res.on('end', finish);
    res.on('close', finish);
    res.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE' ? finish() : reject(err)));
  });
}
