/** Small file helpers shared by the local runtime. */
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Writes a file so that a reader (or a restarted server) sees the old content or the new, never half. */
export async function writeAtomic(path: string, data: string | Buffer, mode?: number): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await fsp.writeFile(tmp, data, mode === undefined ? {} : { mode });
  await fsp.rename(tmp, path);
}

export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fsp.readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** Quotes a word for POSIX sh. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
