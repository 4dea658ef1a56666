import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtRestCipher, loadKeyFile, openSqliteStore, type WatchEvent } from './index.js';
import type { KubeObject } from '../api/types.js';
import { KINDS } from '../registry.js';
import { parseSelector } from '../api/selectors.js';

const SECRET_VALUE = 'hunter2-correct-horse-battery';
const secret = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: { password: Buffer.from(SECRET_VALUE).toString('base64') } } as KubeObject);
const kinds = [{ apiVersion: 'v1', kind: 'Secret' }];

/** Whether any file of the database (main file, WAL) holds `text`. */
function inFiles(dir: string, text: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('state.db'))
    .filter((f) => readFileSync(join(dir, f)).includes(Buffer.from(text)));
}

test('Secrets are sealed in the store (objects, change log, WAL) and read back, listed and watched decrypted; other kinds stay plain', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-enc-'));
  try {
    const cipher = loadKeyFile(join(dir, 'secrets.key'), true);
    assert.equal(statSync(join(dir, 'secrets.key')).mode & 0o777, 0o600);
    const store = await openSqliteStore(join(dir, 'state.db'), { kinds: KINDS, encryption: { cipher, kinds } });
    const events: WatchEvent[] = [];
    store.watch({ apiVersion: 'v1', kind: 'Secret' }, {}, (e) => events.push(e));
    const created = await store.create(secret('db'));
    await store.patch({ apiVersion: 'v1', kind: 'Secret', namespace: 'default', name: 'db' }, (s) => void (s.metadata.labels = { app: 'x' }));
    await store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' }, data: { shown: 'visible-config-value' } } as KubeObject);
    const got = await store.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', namespace: 'default', name: 'db' });
    assert.equal(Buffer.from(got!.data.password!, 'base64').toString(), SECRET_VALUE);
    assert.deepEqual((await store.list({ apiVersion: 'v1', kind: 'Secret' }, { labelSelector: parseSelector('app=x') })).items.map((o) => o.metadata.name), ['db']);
    assert.equal(events.length, 2);
    const replayed: WatchEvent[] = [];
    store.watch({ apiVersion: 'v1', kind: 'Secret' }, { fromResourceVersion: String(Number(created.metadata.resourceVersion) - 1) }, (e) => replayed.push(e));
    assert.deepEqual(replayed.map((e) => (e.object as KubeObject & { data: Record<string, string> }).data.password), [got!.data.password, got!.data.password]);
    const b64 = Buffer.from(SECRET_VALUE).toString('base64');
    assert.deepEqual(inFiles(dir, SECRET_VALUE), []);
    assert.deepEqual(inFiles(dir, b64), []);
    assert.ok(inFiles(dir, 'visible-config-value').length > 0, 'a ConfigMap is not encrypted (and the grep does find what is there)');
    await store.close();
    assert.deepEqual(inFiles(dir, b64), [], 'nor after the checkpoint');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plain Secrets written before encryption still read, and are sealed when the store opens with a key; another key is refused at open', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-enc-'));
  try {
    const db = join(dir, 'state.db');
    const plain = await openSqliteStore(db, { kinds: KINDS });
    await plain.create(secret('old'));
    await plain.close();
    const b64 = Buffer.from(SECRET_VALUE).toString('base64');
    assert.ok(inFiles(dir, b64).length > 0, 'stored in clear before');
    const cipher = new AtRestCipher(Buffer.alloc(32, 7), 'test key');
    const sealed = await openSqliteStore(db, { kinds: KINDS, encryption: { cipher, kinds } });
    const got = await sealed.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', namespace: 'default', name: 'old' });
    assert.equal(got!.data.password, b64);
    await sealed.close();
    assert.deepEqual(inFiles(dir, b64), [], 'sealed at open, the old row overwritten');
    await assert.rejects(openSqliteStore(db, { kinds: KINDS, encryption: { cipher: new AtRestCipher(Buffer.alloc(32, 8), 'other.key'), kinds } }), /encrypted with another key \(aesgcm:v1:key-[0-9a-f]+\) than the one in other\.key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a configured key file that is missing is an error, not a new key', () => {
  assert.throws(() => loadKeyFile('/nonexistent/secrets.key', false), /the key that encrypts Secrets in the store \(\/nonexistent\/secrets\.key, from secretsKeyFile \/ DROVER_SECRETS_KEY_FILE\) does not exist/);
});
