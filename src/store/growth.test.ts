/**
 * The store's bounds on growth, with the real SQLite file and an injected clock: the change log
 * by count, age and size (older watches get 410 Gone), free pages handed back to the file
 * system, and a write the disk refuses reported as a typed error the store survives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ExpiredError, SqliteStore, StoreWriteError, type SqliteStoreOptions } from './index.js';
import type { KubeObject } from '../api/types.js';
import { KINDS } from '../registry.js';

async function withStore(opts: Partial<SqliteStoreOptions>, fn: (store: SqliteStore, dir: string) => Promise<void>, dir = mkdtempSync(join(tmpdir(), 'drover-growth-'))): Promise<void> {
  const store = new SqliteStore(join(dir, 'state.db'), { kinds: KINDS, ...opts });
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const cm = (name: string, size = 10): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'x'.repeat(size) } });
const resumes = (store: SqliteStore, rv: string): boolean => {
  try {
    store.watch({ apiVersion: 'v1', kind: 'ConfigMap' }, { fromResourceVersion: rv }, () => {})();
    return true;
  } catch (err) {
    assert.ok(err instanceof ExpiredError, String(err));
    assert.equal(err.httpStatus, 410);
    return false;
  }
};

test('the change log drops changes older than its age bound, even when nothing is written; older watches get 410 Gone', async () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  await withStore({ now: () => now, changeLogMaxAgeMs: 10 * 60_000 }, async (store) => {
    const old = await store.create(cm('old'));
    now += 5 * 60_000;
    const mid = await store.create(cm('mid'));
    now += 6 * 60_000; // `old` is 11 minutes old, `mid` 6
    store.maintain();
    // A watch from before `old` would need `old`'s change, which is gone; from `old` on, all is kept.
    assert.equal(resumes(store, String(Number(old.metadata.resourceVersion) - 1)), false);
    assert.equal(resumes(store, old.metadata.resourceVersion!), true);
    now += 60 * 60_000; // everything is old: the newest change still stays, so what is older is known to be gone
    store.maintain();
    assert.equal(store.stats().changeLogRows, 1);
    assert.equal(resumes(store, mid.metadata.resourceVersion!), true, 'the watch from the newest change but one replays the newest');
    assert.equal(resumes(store, String(Number(mid.metadata.resourceVersion) - 2)), false);
  });
});

test('the change log keeps its bodies under its size bound: big objects push old changes out sooner than the count would', async () => {
  await withStore({ changeLogMaxBytes: 100_000, changeLogSize: 20_000 }, async (store) => {
    const first = await store.create(cm('c-0', 5000));
    let last = first;
    for (let i = 1; i < 100; i++) last = await store.create(cm(`c-${i}`, 5000));
    const stats = store.stats();
    assert.ok(stats.changeLogBytes <= 100_000, `the change log holds ${stats.changeLogBytes} bytes`);
    assert.ok(stats.changeLogRows < 30 && stats.changeLogRows > 10, `${stats.changeLogRows} rows kept`);
    assert.equal(resumes(store, first.metadata.resourceVersion!), false);
    assert.equal(resumes(store, String(Number(last.metadata.resourceVersion) - 5)), true);
  });
});

test('the change log is still bounded by count (DROVER_CHANGE_LOG_SIZE)', async () => {
  await withStore({ changeLogSize: 10 }, async (store) => {
    const first = await store.create(cm('a'));
    for (let i = 0; i < 30; i++) await store.create(cm(`n-${i}`));
    assert.ok(store.stats().changeLogRows <= 20);
    assert.equal(resumes(store, first.metadata.resourceVersion!), false);
  });
});

test('a store made before incremental vacuum is switched at open, and deleted objects give their space back to the file system', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-growth-'));
  // An old store: made without auto_vacuum, as every store before this change.
  const old = new Database(join(dir, 'state.db'));
  old.exec('CREATE TABLE leftover (a TEXT)');
  old.close();
  await withStore(
    { changeLogSize: 10, vacuumIntervalMs: 0 },
    async (store, d) => {
      const file = join(d, 'state.db');
      const raw = new Database(file, { readonly: true });
      assert.equal(raw.pragma('auto_vacuum', { simple: true }), 2, 'INCREMENTAL');
      raw.close();
      for (let i = 0; i < 200; i++) await store.create(cm(`big-${i}`, 20_000));
      store.reclaim();
      const full = statSync(file).size;
      assert.ok(full > 4_000_000, `${full} bytes with the objects`);
      for (let i = 0; i < 200; i++) await store.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: `big-${i}` });
      store.maintain();
      assert.ok(store.stats().freeBytes > 3_000_000, `free pages: ${store.stats().freeBytes}`);
      store.reclaim();
      const after = statSync(file).size;
      assert.ok(after < full / 4, `the file went from ${full} to ${after} bytes`);
      assert.equal(store.stats().freeBytes, 0);
    },
    dir,
  );
});

test('the background worker hands free pages back by itself', { timeout: 30_000 }, async () => {
  await withStore({ changeLogSize: 10, vacuumIntervalMs: 200 }, async (store, d) => {
    for (let i = 0; i < 100; i++) await store.create(cm(`big-${i}`, 20_000));
    for (let i = 0; i < 100; i++) await store.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: `big-${i}` });
    store.maintain();
    assert.ok(store.stats().freeBytes > 1_000_000);
    for (let waited = 0; store.stats().freeBytes > 0; waited += 100) {
      assert.ok(waited < 20_000, `still ${store.stats().freeBytes} free bytes after 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(statSync(join(d, 'state.db')).size < 1_000_000);
  });
});

test('a big free list (a deletion of many objects) goes back a slice every round, without waiting for the interval', { timeout: 30_000 }, async () => {
  await withStore({ changeLogSize: 10, vacuumIntervalMs: 3_600_000 }, async (store) => {
    for (let i = 0; i < 600; i++) await store.create(cm(`big-${i}`, 20_000));
    for (let i = 0; i < 600; i++) await store.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: `big-${i}` });
    store.maintain();
    const slice = 1024 * 4096;
    assert.ok(store.stats().freeBytes > 2 * slice, `${store.stats().freeBytes} free bytes`);
    for (let waited = 0; store.stats().freeBytes >= slice; waited += 100) {
      assert.ok(waited < 20_000, `still ${store.stats().freeBytes} free bytes after 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});

test('a write the disk refuses (SQLITE_FULL) fails with a typed, retryable error; the store keeps serving and writes again once there is room', async () => {
  await withStore({}, async (store) => {
    await store.create(cm('before'));
    // The file may not grow: as a full disk, SQLite answers SQLITE_FULL.
    const db = (store as unknown as { db: Database.Database }).db;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    let err: unknown;
    try {
      for (let i = 0; i < 100; i++) await store.create(cm(`fill-${i}`, 50_000));
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof StoreWriteError, String(err));
    assert.equal(err.sqliteCode, 'SQLITE_FULL');
    assert.equal(err.httpStatus, 500);
    assert.ok(err.retryable);
    assert.match(err.message, /free space on the file system holding .*state\.db/);
    assert.equal((await store.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'before' }))?.metadata.name, 'before');
    db.pragma('max_page_count = 1073741823');
    const after = await store.create(cm('after'));
    assert.ok(Number(after.metadata.resourceVersion) > 0);
    assert.equal(resumes(store, String(Number(after.metadata.resourceVersion) - 1)), true, 'the change log has no gap where the write failed');
  });
});
