/**
 * The notebooks' reverse proxy on the API port: `/notebook/<ns>/<name>/…` (HTTP and WebSocket
 * upgrades: kernels, terminals) goes to the notebook pod's address on port 8888, and nothing else
 * of the pod is reachable from outside. JupyterLab runs with no token of its own, so this is its
 * only gate; see ARCHITECTURE.md "Notebooks" for why it is safe.
 *
 * Who may pass: a caller allowed to `get` the notebook (RBAC, checked on every request). A browser
 * navigating to the notebook cannot send a bearer token, so the dashboard (which holds one) asks
 * `POST /apis/drover.dev/v1/namespaces/<ns>/notebooks/<name>/ticket` for a one-time ticket, valid
 * 60 s, and opens `/notebook/<ns>/<name>/?drover-ticket=…`; that request trades it for a cookie
 * scoped to the notebook's path (HttpOnly, SameSite=Strict, Secure over TLS, signed by a key of
 * this process, good for an hour since last renewed and twelve hours at most) and is redirected to
 * the same URL without the ticket. API clients may send their bearer token instead. The bearer
 * token and Drover's cookie never reach the pod.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { NotFoundError, UnauthorizedError, UnavailableError } from '../api/errors.js';
import type { KubeObject, Pod, Stored } from '../api/types.js';
import type { Store } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Authorizer, Identity } from '../identity/index.js';

/** The notebook family's facts the proxy needs (kept here: the server may not import a family's internals). */
const NOTEBOOK_PORT = 8888;
const STOP_ANNOTATION = 'kubeflow-resource-stopped';
const NOTEBOOK_REF = { apiVersion: 'kubeflow.org/v1', kind: 'Notebook' };

export const TICKET_PARAM = 'drover-ticket';
const COOKIE = 'drover-notebook';
const TICKET_MS = 60_000;
const COOKIE_IDLE_MS = 3_600_000;
const COOKIE_MAX_MS = 12 * 3_600_000;
/** A cookie older than this since its renewal is renewed on the next HTTP answer. */
const RENEW_AFTER_MS = 5 * 60_000;

const PREFIX = /^\/notebook\/([^/?#]+)\/([^/?#]+)(\/[^?#]*)?$/;
export const TICKET_PATH = /^\/apis\/drover\.dev\/v1\/namespaces\/([^/]+)\/notebooks\/([^/]+)\/ticket$/;

/** Hop-by-hop headers (RFC 9110 §7.6.1) are the connection's, not the message's. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export interface NotebookProxyDeps {
  store: Store;
  authorizer: Authorizer;
  clock: Clock;
  logger: Logger;
  /** The identity of a request's bearer token; undefined when it has none (throws for a bad one). */
  bearer(req: IncomingMessage): Promise<Identity | undefined>;
  /** The server runs without authentication: everyone is this identity. */
  open?: Identity;
  /** Whether the user token with this id is still good: a session made with a revoked token ends. */
  tokenLive?(id: string): boolean;
  /** The server speaks HTTPS: cookies are Secure. */
  secure: boolean;
}

export interface Session {
  u: string;
  g: string[];
  ns: string;
  n: string;
  /** First issued (ms): bounds renewals. */
  iat: number;
  /** Last (re)issued (ms). */
  at: number;
  /** The id of the user token the ticket was asked with, when it was one (not a pod's). */
  t?: string;
}

export interface Target {
  namespace: string;
  name: string;
}

/** The notebook a path is under, or undefined. */
export function notebookTarget(pathname: string): (Target & { rest: string | undefined }) | undefined {
  const m = PREFIX.exec(pathname);
  if (!m) return undefined;
  try {
    return { namespace: decodeURIComponent(m[1]!), name: decodeURIComponent(m[2]!), rest: m[3] };
  } catch {
    return undefined;
  }
}

function cookieOf(headers: IncomingHttpHeaders, name: string): string[] {
  const out: string[] = [];
  for (const part of (headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) out.push(part.slice(eq + 1).trim());
  }
  return out;
}

/** The Cookie header without Drover's own cookie (JupyterLab's `_xsrf` stays). */
export function foreignCookies(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const kept = header.split(';').map((p) => p.trim()).filter((p) => p && !p.startsWith(`${COOKIE}=`));
  return kept.length ? kept.join('; ') : undefined;
}

/** The cookie's value for a session: the session as base64url JSON, then its HMAC-SHA256 under `key`. Pure. */
export function encodeSession(key: Buffer, s: Session): string {
  const body = Buffer.from(JSON.stringify(s)).toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

/** The session in a cookie value when it is signed by `key`, for `target`, and neither idle nor too old at `now`. Pure. */
export function decodeSession(key: Buffer, value: string, target: Target, now: number): Session | undefined {
  const [body, mac, extra] = value.split('.');
  if (!body || !mac || extra !== undefined) return undefined;
  const want = Buffer.from(createHmac('sha256', key).update(body).digest('base64url'));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  let s: Session;
  try {
    s = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Session;
  } catch {
    return undefined;
  }
  if (s.ns !== target.namespace || s.n !== target.name) return undefined;
  if (now >= s.at + COOKIE_IDLE_MS || now >= s.iat + COOKIE_MAX_MS) return undefined;
  return s;
}

/** Set-Cookie for a session: this notebook's path only, HttpOnly, SameSite=Strict (Secure over TLS), at most an hour. Pure. */
export function sessionCookie(key: Buffer, s: Session, secure: boolean): string {
  const maxAge = Math.max(1, Math.floor(Math.min(COOKIE_IDLE_MS, s.iat + COOKIE_MAX_MS - s.at) / 1000));
  return `${COOKIE}=${encodeSession(key, s)}; Path=/notebook/${encodeURIComponent(s.ns)}/${encodeURIComponent(s.n)}/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export class NotebookProxy {
  private readonly key = randomBytes(32);
  private readonly tickets = new Map<string, { who: Identity; target: Target; expires: number; tokenId?: string }>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(private readonly d: NotebookProxyDeps) {}

  close(): void {
    this.agent.destroy();
  }

  /** A one-time ticket for `who` (already authorized to get the notebook), and the URL that spends it. */
  async ticket(who: Identity, target: Target, tokenId?: string): Promise<{ url: string; expiresAt: string }> {
    if (!(await this.d.store.get({ ...NOTEBOOK_REF, ...target }))) throw new NotFoundError('notebooks.kubeflow.org', target.name, target.namespace);
    const now = this.d.clock.now();
    for (const [t, v] of this.tickets) if (v.expires <= now) this.tickets.delete(t);
    const t = randomBytes(24).toString('base64url');
    this.tickets.set(t, { who, target, expires: now + TICKET_MS, ...(tokenId ? { tokenId } : {}) });
    return { url: `${this.base(target)}/?${TICKET_PARAM}=${t}`, expiresAt: new Date(now + TICKET_MS).toISOString() };
  }

  private base(t: Target): string {
    return `/notebook/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.name)}`;
  }

  private cookieFor(s: Session): string {
    return sessionCookie(this.key, s, this.d.secure);
  }

  /** The session a cookie holds, when it is ours, good now, for this notebook, and its token not revoked. */
  private session(headers: IncomingHttpHeaders, target: Target): Session | undefined {
    const now = this.d.clock.now();
    for (const value of cookieOf(headers, COOKIE)) {
      const s = decodeSession(this.key, value, target, now);
      if (s && !(s.t && this.d.tokenLive && !this.d.tokenLive(s.t))) return s;
    }
    return undefined;
  }

  /**
   * Who is calling and whether they may reach this notebook: the cookie, else a bearer token.
   * Throws 401 without either, 403 when RBAC says no.
   */
  private async caller(req: IncomingMessage, target: Target): Promise<{ who: Identity; session?: Session }> {
    let who: Identity | undefined = this.d.open;
    let session: Session | undefined;
    if (!who) {
      session = this.session(req.headers, target);
      who = session ? { name: session.u, groups: session.g } : await this.d.bearer(req);
    }
    if (!who) throw new UnauthorizedError(`no credentials for notebook ${target.namespace}/${target.name}: open it from the dashboard (Notebooks → CONNECT), which signs this browser in for an hour, or send a bearer token`);
    this.d.authorizer.check(who, { verb: 'get', apiGroup: 'kubeflow.org', resource: 'notebooks', namespace: target.namespace, name: target.name });
    return { who, ...(session ? { session } : {}) };
  }

  /** The running pod's address, or a 503 saying why there is none. */
  private async address(target: Target): Promise<string> {
    const nb = await this.d.store.get<KubeObject>({ ...NOTEBOOK_REF, ...target });
    if (!nb) throw new NotFoundError('notebooks.kubeflow.org', target.name, target.namespace);
    if (nb.metadata.annotations?.[STOP_ANNOTATION] !== undefined) throw new UnavailableError(`notebook ${target.namespace}/${target.name} is stopped: start it from the dashboard (or remove the ${STOP_ANNOTATION} annotation)`);
    const pod = await this.d.store.get<Stored<Pod>>({ apiVersion: 'v1', kind: 'Pod', namespace: target.namespace, name: `${target.name}-0` });
    const ip = pod?.status?.phase === 'Running' ? pod.status.podIP : undefined;
    if (!ip) throw new UnavailableError(`notebook ${target.namespace}/${target.name} is starting: try again in a moment`);
    return ip;
  }

  /** The headers sent on to the notebook server: hop-by-hop, the bearer token and Drover's cookie removed. */
  private forwardHeaders(req: IncomingMessage, keepUpgrade: boolean): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const connectionTokens = new Set(String(req.headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()));
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || k === 'authorization' || k === 'cookie') continue;
      if ((HOP.has(k) || connectionTokens.has(k)) && !(keepUpgrade && (k === 'upgrade' || k === 'connection'))) continue;
      out[k] = v;
    }
    const cookies = foreignCookies(req.headers.cookie);
    if (cookies) out['cookie'] = cookies;
    const xff = req.headers['x-forwarded-for'];
    out['x-forwarded-for'] = `${xff ? `${String(xff)}, ` : ''}${req.socket.remoteAddress ?? ''}`;
    out['x-forwarded-proto'] = this.d.secure ? 'https' : 'http';
    if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
    return out;
  }

  /** An HTTP request under /notebook/: spend a ticket, or check the caller and forward. */
  async serveHttp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<Identity | undefined> {
    const target = notebookTarget(url.pathname);
    if (!target) throw new NotFoundError('path', url.pathname);
    const ticket = url.searchParams.get(TICKET_PARAM);
    if (ticket !== null) return this.spend(res, url, target, ticket);
    const { who, session } = await this.caller(req, target);
    // `/notebook/ns/name` → `/notebook/ns/name/`: JupyterLab's base URL ends with a slash.
    if (!target.rest) {
      res.writeHead(307, { location: `${url.pathname}/${url.search}` });
      res.end();
      return who;
    }
    let host: string;
    try {
      host = await this.address(target);
    } catch (err) {
      if (err instanceof UnavailableError && this.waitPage(req, res, err.message)) return who;
      throw err;
    }
    const renew = session && this.d.clock.now() - session.at > RENEW_AFTER_MS ? this.cookieFor({ ...session, at: this.d.clock.now() }) : undefined;
    // A body-less request may be sent again once when a kept-alive connection turns out closed.
    const replayable = req.method === 'GET' || req.method === 'HEAD';
    await new Promise<void>((resolve) => {
      const send = (retried: boolean) => {
        const up = request({ host, port: NOTEBOOK_PORT, method: req.method, path: url.pathname + url.search, headers: this.forwardHeaders(req, false), agent: this.agent }, (answer) => {
          const headers: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(answer.headers)) {
            // CORS grants are the proxy's to give, and it gives none: only pages of this origin read answers.
            if (v === undefined || HOP.has(k) || k.startsWith('access-control-allow-')) continue;
            headers[k] = v;
          }
          if (renew) headers['set-cookie'] = [...[headers['set-cookie'] ?? []].flat(), renew];
          res.writeHead(answer.statusCode ?? 502, headers);
          answer.pipe(res);
          answer.on('end', resolve);
          answer.on('error', () => {
            res.destroy();
            resolve();
          });
        });
        up.on('error', (err: NodeJS.ErrnoException) => {
          if (replayable && !retried && up.reusedSocket && err.code === 'ECONNRESET' && !res.headersSent) return send(true);
          // Refused while JupyterLab starts is expected (the pod is Ready first); anything else is worth a warning.
          const log = err.code === 'ECONNREFUSED' ? this.d.logger.debug.bind(this.d.logger) : this.d.logger.warn.bind(this.d.logger);
          log('a notebook did not answer through the proxy', { notebook: `${target.namespace}/${target.name}`, path: url.pathname, error: err.message });
          const message = `notebook ${target.namespace}/${target.name} did not answer (${err.message}): it may still be starting`;
          if (!res.headersSent && this.waitPage(req, res, message)) {
            // A browser waits on a page that asks again.
          } else if (!res.headersSent) {
            res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
            res.end(message);
          } else res.destroy();
          resolve();
        });
        // The client went away before the answer ended: so does the request to the pod.
        res.once('close', () => {
          if (!res.writableFinished) up.destroy();
        });
        if (replayable) up.end();
        else req.pipe(up);
      };
      send(false);
    });
    return who;
  }

  /**
   * A browser navigating to a notebook that is not answering yet (its pod is up before JupyterLab
   * listens) gets a page that asks again every two seconds instead of an error; false for others.
   */
  private waitPage(req: IncomingMessage, res: ServerResponse, message: string): boolean {
    if (req.method !== 'GET' || !String(req.headers.accept ?? '').includes('text/html')) return false;
    const text = message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '2', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'", 'x-content-type-options': 'nosniff' });
    res.end(`<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>Starting…</title><p>${text}</p><p>This page tries again every two seconds.</p>`);
    return true;
  }

  /** Trades a ticket for the cookie and sends the browser to the same URL without it. */
  private spend(res: ServerResponse, url: URL, target: Target & { rest: string | undefined }, ticket: string): Identity {
    const t = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    const now = this.d.clock.now();
    if (!t || t.expires <= now || t.target.namespace !== target.namespace || t.target.name !== target.name) {
      throw new UnauthorizedError('this notebook link has expired or was used already: open the notebook again from the dashboard');
    }
    const clean = new URL(url.href);
    clean.searchParams.delete(TICKET_PARAM);
    const location = `${clean.pathname.endsWith('/') || target.rest ? clean.pathname : `${clean.pathname}/`}${clean.search}`;
    const session: Session = { u: t.who.name, g: [...t.who.groups], ns: target.namespace, n: target.name, iat: now, at: now, ...(t.tokenId ? { t: t.tokenId } : {}) };
    res.writeHead(303, { location, 'set-cookie': this.cookieFor(session), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    res.end();
    return t.who;
  }

  /** A WebSocket upgrade under /notebook/: checked as any request, then spliced to the pod. */
  async serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<Identity> {
    const target = notebookTarget(url.pathname);
    if (!target) throw new NotFoundError('path', url.pathname);
    const { who } = await this.caller(req, target);
    const host = await this.address(target);
    const upstream = connect({ host, port: NOTEBOOK_PORT });
    await new Promise<void>((resolve, reject) => {
      upstream.once('connect', resolve);
      upstream.once('error', reject);
    }).catch((err: Error) => {
      throw new UnavailableError(`notebook ${target.namespace}/${target.name} did not answer (${err.message})`);
    });
    const lines = [`${req.method ?? 'GET'} ${url.pathname}${url.search} HTTP/1.1`];
    for (const [k, v] of Object.entries(this.forwardHeaders(req, true))) for (const one of [v].flat()) lines.push(`${k}: ${one}`);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);
    const close = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', close);
    socket.on('error', close);
    upstream.on('close', close);
    socket.on('close', close);
    upstream.pipe(socket);
    socket.pipe(upstream);
    return who;
  }
}

