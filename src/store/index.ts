/**
 * The store: every resource, its history of changes, and watches over them.
 *
 *   const store = await openSqliteStore(`${home}/state.db`);
 *   await store.create(job);
 *   store.watch({ apiVersion: 'batch/v1', kind: 'Job' }, {}, (e) => ...);
 */
export type { Store, ListOptions, ListResult, KindSelector, WatchEvent, WatchEventType, EventInput, WriteOp, ObservationLogEntry } from './types.js';
export { openSqliteStore, SqliteStore, ExpiredError, StoreWriteError } from './sqlite.js';
export type { SqliteStoreOptions, StoreStats } from './sqlite.js';
export { Informer, objectKey } from './informer.js';
export { AtRestCipher, DecryptionError, KeyFileError, loadKeyFile, ENCRYPTED_PREFIX } from './encryption.js';
