/**
 * One server per home. Two servers writing one store would interleave their resourceVersions
 * and each stop the other's pods, so a server holds an exclusive SQLite lock on
 * `$DROVER_HOME/server.lock` for its lifetime. The operating system drops the lock when the
 * process dies, however it dies, so a crash never leaves a home locked.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';

export interface HomeLock {
  release(): void;
}

/**
 * Takes the home's lock, or returns undefined when another server (process or in-process) holds
 * it. Keep the lock referenced while the server runs: a collected connection is closed, and its
 * lock dropped with it.
 */
export function lockHome(home: string): HomeLock | undefined {
  const db = new Database(join(home, 'server.lock'));
  try {
    // Waits for nobody: a held lock answers SQLITE_BUSY at once.
    db.pragma('busy_timeout = 0');
    // Exclusive locking mode keeps the lock of the first write until the connection closes; the
    // write is needed (an empty database file takes no lock at all).
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL)');
    db.prepare('INSERT OR REPLACE INTO holder (id, pid) VALUES (1, ?)').run(process.pid);
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return undefined;
    throw err;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      db.close();
    },
  };
}
