/**
 * Checkpoints of the store's write-ahead log, off the event loop. Left to SQLite, a commit that
 * finds 1,000 pages in the log copies them into the database file and fsyncs both before it
 * returns, which stalled the server for tens of milliseconds every few hundred writes. Here a
 * worker thread does it every `intervalMs` on a connection of its own; if the worker fails, the
 * store's own connection checkpoints again, as SQLite does by default. Every `vacuumIntervalMs`
 * it also hands free pages back to the file system (incremental vacuum), a slice at a time.
 */
import { Worker } from 'node:worker_threads';

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(path: string, intervalMs: number, vacuumIntervalMs: number, onFailure: (err: Error) => void): Checkpointer {
  const worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { path, intervalMs, vacuumIntervalMs } });
  // The server may exit without stopping the store (a signal): the worker must not keep it alive.
  worker.unref();
  let stopping = false;
  worker.once('error', (err) => {
    if (!stopping) onFailure(err);
  });
  worker.once('exit', (code) => {
    if (!stopping) onFailure(new Error(`the checkpoint worker exited with code ${code}`));
  });
  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      const closed = new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.once('exit', () => resolve());
      });
      worker.postMessage('stop');
      await closed;
      await worker.terminate();
    },
  };
}
