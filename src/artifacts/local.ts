/**
 * A local directory as the artifact repository: each key is a file under the root. Writes go to a
 * temp name in the key's directory and are renamed into place after an fsync, so a crash or a
 * failed copy never leaves a partial artifact under its final key.
 */
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { copyFile, lstat, mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ArtifactKeyInvalidError, ArtifactNotFoundError, ArtifactRepositoryError } from './errors.js';
import { TEMP_MARK, validateKey, validatePrefix } from './keys.js';
import { openFd, openSource } from './source.js';
import { filesUnder } from '../util/files.js';
import type { ArtifactRepository, LocalArtifactLocation } from './types.js';

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;
const tempName = (dir: string) => join(dir, TEMP_MARK + randomBytes(8).toString('hex'));

export class LocalArtifactRepository implements ArtifactRepository {
  readonly kind = 'local' as const;

  constructor(readonly root: string) {}

  private pathOf(key: string): string {
    const p = join(this.root, validateKey(key));
    // validateKey already forbids escapes; this guards the join itself.
    if (!p.startsWith(this.root + sep)) throw new ArtifactKeyInvalidError(key, 'resolves outside the repository');
    return p;
  }

  keyOfLocation(recorded: string): string {
    return recorded;
  }

  async put(key: string, file: string): Promise<LocalArtifactLocation> {
    const dest = this.pathOf(key);
    const source = await openSource(file);
    try {
      const tmp = await this.createTemp(key, dirname(dest));
      try {
        // The write stream owns (and closes) the descriptor; fsync through a second one.
        await pipeline(source.stream(), createWriteStream('', { fd: tmp.fd }));
        await syncPath(tmp.path);
        await rename(tmp.path, dest).catch((e: unknown) => {
          if (errno(e) === 'EISDIR' || errno(e) === 'ENOTEMPTY') throw new ArtifactKeyInvalidError(key, 'keys already exist under it as a folder');
          throw e;
        });
      } catch (e) {
        await unlink(tmp.path).catch(() => {});
        throw e;
      }
      await syncPath(dirname(dest));
      return { key };
    } finally {
      await source.close();
    }
  }

  /** Creates the key's directory and an exclusive temp file in it, again if a concurrent delete pruned the directory in between. */
  private async createTemp(key: string, dir: string) {
    for (let attempt = 0; ; attempt++) {
      try {
        await mkdir(dir, { recursive: true });
      } catch (e) {
        if (errno(e) === 'ENOTDIR' || errno(e) === 'EEXIST') throw new ArtifactKeyInvalidError(key, 'a parent folder of it is already a key');
        throw e;
      }
      const path = tempName(dir);
      try {
        return { path, fd: await openFd(path, 'wx', 0o644) };
      } catch (e) {
        if (errno(e) !== 'ENOENT' || attempt >= 3) throw e;
      }
    }
  }

  async get(key: string, file: string): Promise<void> {
    const src = this.pathOf(key);
    if (!(await isFile(src))) throw new ArtifactNotFoundError(key, `local repository ${this.root}`);
    await mkdir(dirname(file), { recursive: true });
    // Written beside the destination and renamed, so a reader of `file` never sees half of it.
    const tmp = tempName(dirname(file));
    try {
      await copyFile(src, tmp);
      await rename(tmp, file);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      if (errno(e) === 'ENOENT' && !(await isFile(src))) throw new ArtifactNotFoundError(key, `local repository ${this.root}`);
      throw e;
    }
  }

  async open(key: string): Promise<{ stream: Readable; length?: number }> {
    const src = this.pathOf(key);
    // Opened before answering: a key deleted meanwhile is a not-found, not a broken stream. An
    // open file stays readable after a rename or delete replaces it.
    let handle;
    try {
      handle = await open(src, 'r');
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR' || errno(e) === 'EISDIR') throw new ArtifactNotFoundError(key, `local repository ${this.root}`);
      throw e;
    }
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      throw new ArtifactNotFoundError(key, `local repository ${this.root}`);
    }
    // The stream closes the handle when it ends or is destroyed.
    return { stream: handle.createReadStream(), length: st.size };
  }

  async exists(key: string): Promise<boolean> {
    return isFile(this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    const p = this.pathOf(key);
    try {
      await unlink(p);
    } catch (e) {
      // A folder holding other keys is not this key; either way nothing named `key` remains.
      if (['ENOENT', 'ENOTDIR', 'EISDIR', 'EPERM'].includes(errno(e) ?? '')) return;
      throw e;
    }
    await this.prune(dirname(p));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const p = join(this.root, validatePrefix(prefix));
    let st;
    try {
      st = await lstat(p);
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return 0;
      throw e;
    }
    let count = 1;
    if (st.isDirectory()) {
      const entries = await readdir(p, { recursive: true, withFileTypes: true });
      count = entries.filter((d) => d.isFile() && !d.name.startsWith(TEMP_MARK)).length;
      await rm(p, { recursive: true, force: true });
    } else {
      await unlink(p);
    }
    await this.prune(dirname(p));
    return count;
  }

  async listPrefix(prefix: string, limit: number): Promise<string[] | undefined> {
    const base = validatePrefix(prefix);
    let files;
    try {
      files = await filesUnder(join(this.root, base), limit);
    } catch (e) {
      throw new ArtifactRepositoryError(`cannot list ${base}: ${errno(e) ?? String(e)}`);
    }
    return files?.filter((f) => !f.slice(f.lastIndexOf('/') + 1).startsWith(TEMP_MARK)).map((f) => `${base}/${f}`);
  }

  /** Removes directories left empty, up to (not including) the root. */
  private async prune(dir: string): Promise<void> {
    while (dir !== this.root && !relative(this.root, dir).startsWith('..')) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop
      }
      dir = dirname(dir);
    }
  }

  close(): void {}
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return false;
    throw new ArtifactRepositoryError(`cannot read ${p}: ${errno(e) ?? String(e)}`);
  }
}

/** fsync by path: file data before a rename, a directory after one so the entry is durable too. */
async function syncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
