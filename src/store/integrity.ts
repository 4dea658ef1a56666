/**
 * The store file's health and copies of it: a check before a server trusts the file (a truncated
 * or damaged database says where and how to recover instead of failing later or starting empty),
 * an online backup (SQLite's backup API: a consistent copy while the server writes), and a
 * restore into a home whose server is stopped.
 */
import { closeSync, copyFileSync, existsSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { DroverError } from '../api/errors.js';

/** The store file cannot be used; the message says what is wrong and how to recover. */
export class StoreCorruptError extends DroverError {
  readonly code = 'STORE_CORRUPT';
  readonly reason = 'InternalError' as const;
  readonly httpStatus = 500;
  constructor(message: string) {
    super(message);
    this.name = 'StoreCorruptError';
  }
}

/** Beside the database: says a store was made here, so an empty or missing file is a loss, not a first start. */
function markerOf(path: string): string {
  return `${path}.id`;
}

function recovery(path: string): string {
  return `restore a backup with "drover restore BACKUP_FILE" (the server stopped), or move the file aside (mv ${path} ${path}.broken) to start with an empty store`;
}

/** What `PRAGMA quick_check` finds wrong with an open database, or undefined when it is sound. */
export function quickCheck(db: Database.Database): string | undefined {
  const rows = db.pragma('quick_check') as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  return problems.length ? problems.slice(0, 5).join('; ') : undefined;
}

/**
 * Refuses a store file that lost its contents or is damaged, before anything reads it. A file
 * that never existed (a new home) passes; one that existed (its marker is there) and is now
 * missing or empty does not.
 */
export function checkStoreFile(path: string): void {
  if (path === ':memory:') return;
  const made = existsSync(markerOf(path));
  const size = existsSync(path) ? statSync(path).size : -1;
  if (made && size <= 0) {
    throw new StoreCorruptError(`the store ${path} is ${size < 0 ? 'missing' : 'empty (0 bytes)'}, but a store was made here before (${markerOf(path)}): its contents are lost; ${recovery(path)}`);
  }
  if (size <= 0) return;
  const short = truncation(path, size);
  if (short) throw new StoreCorruptError(`the store ${path} is truncated (${short}); ${recovery(path)}`);
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    const problem = quickCheck(db);
    if (problem) throw new StoreCorruptError(`the store ${path} is damaged (${problem}); ${recovery(path)}`);
    const tables = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'objects'").get();
    if (made && !tables) throw new StoreCorruptError(`the store ${path} has lost its tables, but a store was made here before (${markerOf(path)}); ${recovery(path)}`);
  } catch (err) {
    if (err instanceof StoreCorruptError) throw err;
    throw new StoreCorruptError(`the store ${path} cannot be read (${(err as Error).message}); ${recovery(path)}`);
  } finally {
    db?.close();
  }
}

/**
 * Whether the file is shorter than its header says (SQLite records the database's size in pages
 * at byte 28, valid when the change counter at 24 equals the one at 92), in words, or undefined.
 */
function truncation(path: string, size: number): string | undefined {
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  try {
    if (readSync(fd, header, 0, 100, 0) < 100) return `${size} bytes, less than a header`;
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return undefined; // quick_check says what it is
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  const pages = header.readUInt32BE(28);
  const valid = header.readUInt32BE(24) === header.readUInt32BE(92);
  if (!valid || pages === 0 || size >= pages * pageSize) return undefined;
  return `${size} of ${pages * pageSize} bytes`;
}

/** Marks `path` as a store made here (once it opened sound). */
export function markStoreMade(path: string): void {
  if (path === ':memory:' || existsSync(markerOf(path))) return;
  writeFileSync(markerOf(path), `${randomUUID()}\n`, { mode: 0o600 });
}

/** A consistent copy of an open store, written to `dest` (SQLite's online backup). */
export async function backupStore(db: Database.Database, dest: string): Promise<void> {
  await db.backup(dest);
}

/**
 * Puts `backup` in place of the store at `path` (its server stopped): the backup is checked
 * first, the current file is kept beside it (`.before-restore-<time>`), the old WAL removed.
 * Returns where the old file went, if there was one.
 */
export function restoreStore(backup: string, path: string, now = Date.now()): string | undefined {
  if (!existsSync(backup)) throw new StoreCorruptError(`no backup file ${backup}`);
  let db: Database.Database | undefined;
  try {
    db = new Database(backup, { readonly: true, fileMustExist: true });
    const problem = quickCheck(db);
    if (problem) throw new StoreCorruptError(`the backup ${backup} is damaged (${problem}): nothing was restored`);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'objects'").get();
    if (!tables) throw new StoreCorruptError(`${backup} is not a Drover store (no objects table): nothing was restored`);
  } catch (err) {
    if (err instanceof StoreCorruptError) throw err;
    throw new StoreCorruptError(`the backup ${backup} cannot be read (${(err as Error).message}): nothing was restored`);
  } finally {
    db?.close();
  }
  let kept: string | undefined;
  if (existsSync(path)) {
    kept = `${path}.before-restore-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(path, kept);
  }
  for (const f of [`${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
  const tmp = `${path}.restoring`;
  copyFileSync(backup, tmp);
  renameSync(tmp, path);
  // The restored store was made here too.
  if (!existsSync(markerOf(path))) writeFileSync(markerOf(path), `${randomUUID()}\n`, { mode: 0o600 });
  return kept;
}
