/**
 * Step files on the local machine. Each step gets a staging directory that its pod mounts at
 * STAGING_MOUNT: the controller writes the script source and input artifacts there before the pod
 * starts, the step's wrapper leaves stdout, output parameters and output artifacts there when it
 * ends, and the controller moves output artifacts into the artifact repository.
 */
import { execFile } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, fstatSync, mkdirSync, openSync, promises as fsp, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { artifactKey, type ArtifactRepository } from '../../artifacts/index.js';
import type { CollectedOutputs, ContainerLog, StepIO } from './io.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { InputArtifactFile } from './steppod.js';
import type { Artifact, Template, Workflow } from './types.js';
import { filesUnder } from '../../util/files.js';

const RESULT_LIMIT = 256 * 1024;
/** Files of one directory stored unarchived (`archive: none`), each its own object: at most this many. */
export const MAX_DIRECTORY_FILES = 10_000;

/** An input artifact's subPath as a relative path inside it; one that leaves it is refused. */
function subPathIn(f: InputArtifactFile): string {
  const inner = f.subPath ? normalize(f.subPath.replace(/^\/+/, '')) : '';
  if (inner.split('/').includes('..')) throw new Error(`inputs.artifacts.${f.name}: subPath ${f.subPath} leaves the artifact`);
  return inner === '.' ? '' : inner;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}

/** The last `limit` bytes of a file, as UTF-8. */
function readTail(path: string, limit: number): string {
  const fd = openSync(path, 'r');
  try {
    const { size } = fstatSync(fd);
    const len = Math.min(size, limit);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The repository key an artifact record points at (local `key`, or `s3.key`). */
export function keyOf(a: Artifact | Record<string, unknown>): string | undefined {
  const r = a as { key?: unknown; s3?: { key?: unknown } };
  if (typeof r.key === 'string') return r.key;
  if (typeof r.s3?.key === 'string') return r.s3.key;
  return undefined;
}

export class LocalStepIO implements StepIO {
  constructor(
    /** `$DROVER_HOME/workflows` */
    private readonly root: string,
    private readonly repo: ArtifactRepository,
    /** `$DROVER_HOME/claims`, where the local runtime keeps each claim's directory. */
    private readonly claimsRoot?: string,
  ) {}

  /** A claim made from a volumeClaimTemplate is scratch space: its directory goes with it. */
  async releaseClaim(namespace: string, name: string): Promise<void> {
    if (this.claimsRoot) await fsp.rm(join(this.claimsRoot, namespace, name), { recursive: true, force: true });
  }

  workflowDir(wf: Pick<Workflow, 'metadata'>): string {
    return join(this.root, wf.metadata.namespace ?? 'default', `${wf.metadata.name}-${(wf.metadata.uid ?? '').slice(0, 8)}`);
  }

  stagingDir(wf: Workflow, nodeId: string): string {
    return join(this.workflowDir(wf), nodeId);
  }

  async prepare(wf: Workflow, nodeId: string, template: Template): Promise<InputArtifactFile[]> {
    const dir = this.stagingDir(wf, nodeId);
    // Synchronous on purpose (as for a container's start): a mkdir and a small file cost far less
    // than their thread-pool round trips, and this is on every step's path.
    mkdirSync(join(dir, 'in'), { recursive: true });
    // Outputs from an earlier attempt of the same pod name must not be read as this one's.
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    // Made here so the step's wrapper need not start `mkdir` (the runtime gives them to the pod's user).
    mkdirSync(join(dir, 'out', 'parameters'), { recursive: true });
    mkdirSync(join(dir, 'out', 'artifacts'));
    if (template.script) writeFileSync(join(dir, 'script'), template.script.source ?? '', { mode: 0o755 });
    const files: InputArtifactFile[] = [];
    for (const a of template.inputs?.artifacts ?? []) {
      if (!a.path) continue;
      const dest = join(dir, 'in', a.name);
      const mode = a.mode;
      if (a.raw) {
        await fsp.writeFile(dest, a.raw.data ?? '');
        files.push({ name: a.name, path: a.path, format: 'file', ...(mode !== undefined ? { mode } : {}) });
        continue;
      }
      if (a.http?.url) {
        const res = await fetch(a.http.url, { headers: Object.fromEntries((a.http.headers ?? []).map((h) => [h.name, h.value])) });
        if (!res.ok) {
          if (a.optional) continue;
          throw new Error(`inputs.artifacts.${a.name}: GET ${a.http.url} returned ${res.status}`);
        }
        await fsp.writeFile(dest, Buffer.from(await res.arrayBuffer()));
        files.push({ name: a.name, path: a.path, format: 'file', ...(mode !== undefined ? { mode } : {}) });
        continue;
      }
      const key = keyOf(a);
      if (!key) {
        if (a.optional) continue;
        throw new Error(`inputs.artifacts.${a.name}: no source (from, raw, http or a repository key)`);
      }
      const source = this.repo.keyOfLocation(key);
      if (!(await this.repo.exists(source))) {
        // A directory stored unarchived (archive: none): its files are the keys under it.
        const inside = await this.repo.listPrefix(source, MAX_DIRECTORY_FILES);
        if (!inside) throw new Error(`inputs.artifacts.${a.name}: ${key} holds more than ${MAX_DIRECTORY_FILES} files; a directory that large is passed archived (drop archive: none where it is made)`);
        if (inside.length) {
          const into = join(dir, 'in', `${a.name}.d`);
          await fsp.rm(into, { recursive: true, force: true });
          for (const k of inside) await this.repo.get(k, join(into, k.slice(source.replace(/\/+$/, '').length + 1)));
          files.push({ name: a.name, path: a.path, format: 'dir', ...(mode !== undefined ? { mode } : {}), ...(a.subPath ? { subPath: a.subPath } : {}) });
          continue;
        }
        if (a.optional) continue;
        throw new Error(`inputs.artifacts.${a.name}: artifact ${key} not found in the repository`);
      }
      await this.repo.get(source, dest);
      const archived = !key.endsWith('.tgz') ? 'file' : 'tgz';
      if (a.subPath && archived === 'file') throw new Error(`inputs.artifacts.${a.name}: subPath needs an archived directory, and ${key} is a single file`);
      files.push({ name: a.name, path: a.path, format: archived, ...(mode !== undefined ? { mode } : {}), ...(a.subPath ? { subPath: a.subPath } : {}) });
    }
    for (const f of files) f.staged = await this.unpack(dir, f);
    return files;
  }

  /**
   * Unpacks an input artifact in the staging directory, as the step's wrapper did inside the pod:
   * a tgz holds one entry named after the producer's path. Returns what lands at the artifact's
   * path, relative to the staging directory (the pod mounts it there).
   */
  private async unpack(dir: string, f: InputArtifactFile): Promise<string> {
    const file = join('in', f.name);
    if (f.format === 'file') {
      if (f.mode !== undefined) await fsp.chmod(join(dir, file), f.mode);
      return file;
    }
    const into = join('in', `${f.name}.d`);
    if (f.format === 'dir') {
      const staged = join(into, subPathIn(f));
      if (!(await exists(join(dir, staged)))) throw new Error(`inputs.artifacts.${f.name}: subPath ${f.subPath} is not in the artifact`);
      if (f.mode !== undefined) await fsp.chmod(join(dir, staged), f.mode);
      return staged;
    }
    await fsp.rm(join(dir, into), { recursive: true, force: true });
    await fsp.mkdir(join(dir, into));
    await promisify(execFile)('tar', ['-xzf', join(dir, file), '-C', join(dir, into)]);
    const entries = await fsp.readdir(join(dir, into));
    if (entries.length !== 1) throw new Error(`inputs.artifacts.${f.name}: the archive holds ${entries.length} entries, expected one`);
    const staged = join(into, entries[0]!, subPathIn(f));
    if (!(await exists(join(dir, staged)))) throw new Error(`inputs.artifacts.${f.name}: subPath ${f.subPath} is not in the artifact`);
    if (f.mode !== undefined) await fsp.chmod(join(dir, staged), f.mode);
    return staged;
  }

  async collect(wf: Workflow, nodeId: string, template: Template, logs: ContainerLog[] = []): Promise<CollectedOutputs> {
    const dir = join(this.stagingDir(wf, nodeId), 'out');
    const parameters = new Map<string, string>();
    // Read synchronously: small files (stdout is cut to its last 256 kB), read before the pass
    // that needs them, on every step's path.
    for (const p of template.outputs?.parameters ?? []) {
      if (!p.valueFrom?.path) continue;
      try {
        parameters.set(p.name, readFileSync(join(dir, 'parameters', p.name), 'utf8').replace(/\n$/, ''));
      } catch {
        /* missing: the operator uses the default or reports it */
      }
    }
    let result: string | undefined;
    try {
      result = readTail(join(dir, 'stdout'), RESULT_LIMIT).replace(/\n$/, '');
    } catch {
      /* the wrapper did not run (pod failed to start) */
    }
    const artifacts = new Map<string, Record<string, unknown>>();
    for (const a of template.outputs?.artifacts ?? []) {
      const none = a.archive?.none !== undefined;
      const file = join(dir, 'artifacts', none ? a.name : `${a.name}.tgz`);
      if (!existsSync(file)) continue;
      const key = artifactKey({ namespace: wf.metadata.namespace ?? 'default', workflow: wf.metadata.name!, node: nodeId, artifact: a.name, archive: none ? 'none' : 'tgz' });
      const location = none && (await fsp.stat(file)).isDirectory() ? await this.putDirectory(a.name, key, file) : await this.repo.put(key, file);
      artifacts.set(a.name, { name: a.name, ...(a.path ? { path: a.path } : {}), ...(none ? { archive: { none: {} } } : {}), ...location });
    }
    // archiveLogs: each container's log kept in the repository, as Argo keeps `main-logs`.
    for (const l of logs) {
      const file = join(dir, 'logs', `${l.container}.log`);
      await fsp.mkdir(join(dir, 'logs'), { recursive: true });
      await pipeline(Readable.from(l.read()), createWriteStream(file));
      const key = artifactKey({ namespace: wf.metadata.namespace ?? 'default', workflow: wf.metadata.name!, node: nodeId, artifact: `${l.container}.log`, archive: 'none' });
      artifacts.set(`${l.container}-logs`, { name: `${l.container}-logs`, archive: { none: {} }, ...(await this.repo.put(key, file)) });
    }
    return { parameters, ...(result !== undefined ? { result } : {}), artifacts };
  }

  /**
   * A directory output with `archive: none`: each file under its own key below `key`, as Argo
   * stores one; the location recorded is the directory's (`key`). An empty one stores nothing.
   */
  private async putDirectory(name: string, key: string, dir: string): Promise<Record<string, unknown>> {
    const files = await filesUnder(dir, MAX_DIRECTORY_FILES);
    if (!files) throw new Error(`outputs.artifacts.${name}: the directory holds more than ${MAX_DIRECTORY_FILES} files, each stored as an object with archive: none; store it archived (drop archive: none)`);
    let location: Record<string, unknown> = { key };
    for (const rel of files) {
      const at = (await this.repo.put(`${key}/${rel}`, join(dir, rel))) as unknown as Record<string, unknown>;
      // The file's location, named by the directory instead: an S3 key loses the file's part.
      const s3 = at['s3'] as { key: string } | undefined;
      location = s3 ? { s3: { ...s3, key: s3.key.slice(0, s3.key.length - rel.length - 1) } } : { key };
    }
    return location;
  }

  async removeWorkflow(wf: Pick<Workflow, 'metadata'>): Promise<void> {
    await fsp.rm(this.workflowDir(wf), { recursive: true, force: true });
  }
}
