/**
 * The regular files under a directory, found one directory at a time so that a tree of millions
 * of entries is never held whole: the walk stops once it has seen more than `limit`.
 */
import { opendir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Paths (relative to `root`, `/`-separated, sorted) of the regular files under `root`, or
 * `undefined` when there are more than `limit`. Symlinks are not followed. A missing `root` has none.
 */
export async function filesUnder(root: string, limit: number): Promise<string[] | undefined> {
  const out: string[] = [];
  const dirs = [''];
  while (dirs.length) {
    const rel = dirs.pop()!;
    let handle;
    try {
      handle = await opendir(join(root, rel));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (rel === '' && (code === 'ENOENT' || code === 'ENOTDIR')) return [];
      throw err;
    }
    for await (const e of handle) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) dirs.push(path);
      else if (e.isFile()) {
        out.push(path);
        // Leaving the loop closes the handle.
        if (out.length > limit) return undefined;
      }
    }
  }
  return out.sort();
}
