/**
 * Runs in a worker thread (see checkpointer.ts): moves committed pages from the store's
 * write-ahead log into the database file, on its own connection, so that the copying and the
 * fsyncs that go with it never hold up the server's event loop. It also gives free pages back
 * (the store is in auto_vacuum INCREMENTAL mode), at most a slice per round so the write lock it
 * takes is short.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs, vacuumIntervalMs } = workerData as { path: string; intervalMs: number; vacuumIntervalMs: number };
const db = new Database(path);
db.pragma('busy_timeout = 5000');

/** A write-ahead log longer than this many pages (64 MiB at 4 KiB) is truncated once fully copied. */
const TRUNCATE_FRAMES = 16_384;
/** Pages moved per vacuum round (4 MiB at SQLite's default page size). */
const VACUUM_SLICE = 1024;
let lastVacuum = Date.now();

const timer = setInterval(() => {
  // A failed round (a full disk, a busy file) is tried again at the next one: the worker must
  // not die of it, or commits would go back to checkpointing on the event loop.
  try {
    if (vacuumIntervalMs > 0) {
      // A slice takes 2–20 ms of write lock (more when live pages must move). A free list of a
      // slice or more (a big deletion) is given back every round, about 8 MiB a second; what is
      // left below a slice waits for the interval, so a steady trickle of frees costs little.
      const free = db.pragma('freelist_count', { simple: true }) as number;
      if (free >= VACUUM_SLICE || (free > 0 && Date.now() - lastVacuum >= vacuumIntervalMs)) {
        lastVacuum = Date.now();
        db.pragma(`incremental_vacuum(${VACUUM_SLICE})`);
      }
    }
  } catch {
    // Tried again next round.
  }
  try {
    // PASSIVE: copies what it can without waiting for the writer; the next round takes the rest.
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    // A long burst of writes (a cascade of 10,000 deletions) leaves a log of hundreds of MiB that
    // SQLite reuses but never shrinks: once all of it is in the database, it is cut back.
    if (r && r.log > TRUNCATE_FRAMES && r.checkpointed === r.log) db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // Tried again next round.
  }
}, intervalMs);

parentPort!.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort!.postMessage('closed');
});
