/**
 * A workflow node's output artifact, downloaded: `GET /artifacts/{ns}/{workflow}/{nodeId}/{name}`,
 * the Argo Server's path for it. Authorized as `get` of that workflow (./attributes.ts), as Argo's
 * server checks it; the artifact must be one the node's outputs record, so no other key of the
 * repository can be named. The object is streamed from the repository (a local directory or S3)
 * as it is stored: a `.tgz` for an archived artifact, the file itself with `archive: none`.
 *
 * A browser's download is a navigation, which cannot carry the dashboard's bearer token: the page
 * asks for a one-time link (`POST …/workflows/WF/artifacts/NODE/NAME/ticket`, authorized the same
 * way), and that link's GET is made as the user who asked, checked again by RBAC when it is used.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '../api/errors.js';
import { ArtifactNotFoundError, artifactKey, type ArtifactRepository } from '../artifacts/index.js';
import type { KubeObject } from '../api/types.js';
import type { Store } from '../store/index.js';
import type { Identity } from '../identity/index.js';

export const ARTIFACT_PATH = /^\/artifacts\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)$/;
export const ARTIFACT_TICKET_PATH = /^\/apis\/drover\.dev\/v1\/namespaces\/([^/]+)\/workflows\/([^/]+)\/artifacts\/([^/]+)\/([^/]+)\/ticket$/;
/** The query parameter a one-time download link carries. */
export const TICKET_PARAM = 'drover-ticket';
/** How long a download link is good for, unused. */
export const TICKET_MS = 60_000;
/** Links held at once; the oldest go first (each is good for a minute anyway). */
const MAX_TICKETS = 1000;

/**
 * One-time download links: a random ticket for one path and one user, good for a minute and spent
 * by its first use. Kept in memory (a restart voids them, which costs a click).
 */
export class ArtifactTickets {
  private readonly tickets = new Map<string, { who: Identity; path: string; expires: number }>();

  issue(who: Identity, path: string, now: number): { ticket: string; expires: number } {
    for (const [t, v] of this.tickets) if (v.expires <= now || this.tickets.size >= MAX_TICKETS) this.tickets.delete(t);
    const ticket = randomBytes(24).toString('base64url');
    const expires = now + TICKET_MS;
    this.tickets.set(ticket, { who, path, expires });
    return { ticket, expires };
  }

  /** The user a ticket was issued to, when it is for `path` and unexpired; spent either way. */
  redeem(ticket: string, path: string, now: number): Identity | undefined {
    const t = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    return t && t.path === path && t.expires > now ? t.who : undefined;
  }
}

/** The download path of an artifact, each part encoded. */
export function artifactPath(namespace: string, workflow: string, nodeId: string, name: string): string {
  return `/artifacts/${[namespace, workflow, nodeId, name].map(encodeURIComponent).join('/')}`;
}

interface OutputArtifact {
  name: string;
  key?: string;
  s3?: { key?: string };
  archive?: { none?: unknown };
}

/** What a node's outputs say of artifact `name`: its repository key and how it is stored; undefined when it has none by that name. */
export function recordedArtifact(wf: KubeObject, nodeId: string, name: string): { key: string; archived: boolean; file: string } | undefined {
  const nodes = (wf['status'] as { nodes?: Record<string, { outputs?: { artifacts?: OutputArtifact[] } }> } | undefined)?.nodes;
  const a = nodes?.[nodeId]?.outputs?.artifacts?.find((x) => x.name === name);
  if (!a || (a.key === undefined && a.s3?.key === undefined)) return undefined;
  const archived = a.archive?.none === undefined;
  // The repository's own key: recorded as `key` locally; an S3 location records the bucket's full
  // key (its keyPrefix included), so the key is made again the way the controller made it.
  const key = a.key ?? artifactKey({ namespace: wf.metadata.namespace ?? 'default', workflow: wf.metadata.name!, node: nodeId, artifact: name, archive: archived ? 'tgz' : 'none' });
  return { key, archived, file: archived ? `${name}.tgz` : name };
}

/** A filename safe inside a quoted Content-Disposition parameter. */
function dispositionName(file: string): string {
  return file.replace(/[^A-Za-z0-9._-]/g, '_');
}

export async function serveArtifact(deps: { store: Store; repository: ArtifactRepository | undefined }, res: ServerResponse, namespace: string, workflow: string, nodeId: string, name: string): Promise<void> {
  const wf = await deps.store.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', namespace, name: workflow });
  if (!wf) throw new NotFoundError('workflows.argoproj.io', workflow, namespace);
  const found = recordedArtifact(wf, nodeId, name);
  if (!found || !deps.repository) throw new NotFoundError('artifact', `${workflow}/${nodeId}/${name}`, namespace);
  let opened;
  try {
    opened = await deps.repository.open(found.key);
  } catch (err) {
    // Said without the repository's whereabouts (a directory of the server's, a bucket).
    if (err instanceof ArtifactNotFoundError) throw new NotFoundError('artifact', `${workflow}/${nodeId}/${name}`, namespace);
    throw err;
  }
  const { stream, length } = opened;
  res.writeHead(200, {
    'content-type': found.archived ? 'application/gzip' : 'application/octet-stream',
    'content-disposition': `attachment; filename="${dispositionName(found.file)}"`,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    // A one-time link must not travel on as a referrer.
    'referrer-policy': 'no-referrer',
    ...(length !== undefined ? { 'content-length': String(length) } : {}),
  });
  // A client gone or a repository failing midway ends the answer short, which the client sees.
  await pipeline(stream, res).catch(() => res.destroy());
}

/** A one-time link to an artifact the node records (404 before a link is made for nothing). */
export async function artifactTicket(deps: { store: Store; tickets: ArtifactTickets; now: number }, who: Identity, namespace: string, workflow: string, nodeId: string, name: string): Promise<{ url: string; expiresAt: string }> {
  const wf = await deps.store.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', namespace, name: workflow });
  if (!wf) throw new NotFoundError('workflows.argoproj.io', workflow, namespace);
  if (!recordedArtifact(wf, nodeId, name)) throw new NotFoundError('artifact', `${workflow}/${nodeId}/${name}`, namespace);
  const path = artifactPath(namespace, workflow, nodeId, name);
  const { ticket, expires } = deps.tickets.issue(who, path, deps.now);
  return { url: `${path}?${TICKET_PARAM}=${ticket}`, expiresAt: new Date(expires).toISOString() };
}
