/**
 * A workflow node's output artifact, downloaded: `GET /artifacts/{ns}/{workflow}/{nodeId}/{name}`,
 * the Argo Server's path for it. Authorized as `get` of that workflow (./attributes.ts), as Argo's
 * server checks it; the artifact must be one the node's outputs record, so no other key of the
 * repository can be named. The object is streamed from the repository (a local directory or S3)
 * as it is stored: a `.tgz` for an archived artifact, the file itself with `archive: none`.
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '../api/errors.js';
import { ArtifactNotFoundError, artifactKey, type ArtifactRepository } from '../artifacts/index.js';
import type { KubeObject } from '../api/types.js';
import type { Store } from '../store/index.js';

export const ARTIFACT_PATH = /^\/artifacts\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)$/;

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
    ...(length !== undefined ? { 'content-length': String(length) } : {}),
  });
  // A client gone or a repository failing midway ends the answer short, which the client sees.
  await pipeline(stream, res).catch(() => res.destroy());
}
