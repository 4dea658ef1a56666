/**
 * Runs in a worker thread (see checkpointer.ts): moves committed pages from the store's
 * write-ahead log into the database file, on its own connection, so that the copying and the
 * fsyncs that go with it never hold up the server's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const db = new Database(path);
db.pragma('busy_timeout = 5000');

const timer = setInterval(() => {
  // PASSIVE: copies what it can without waiting for the writer; the next round takes the rest.
  db.pragma('wal_checkpoint(PASSIVE)');
}, intervalMs);

parentPort!.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort!.postMessage('closed');
});
