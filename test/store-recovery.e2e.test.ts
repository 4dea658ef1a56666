/**
 * The store's safety net: `drover backup` copies it while the server runs; a truncated or emptied
 * store is refused at start with its path and the recovery command (not a crash later, not an
 * empty start); `drover restore` puts the backup back and everything in it is there again.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Drover } from './drover.js';

let d: Drover | undefined;
after(async () => {
  await d?.stop();
});

test('backup while running; a truncated, then an emptied store is refused saying how to recover; restore brings the objects back', async () => {
  d = await Drover.start({ cpus: '1', memory: '1Gi' });
  await d.ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: keep-me }\ndata: { answer: "42" }\n');
  const file = join(d.home, '..', `${d.home.split('/').pop()}-backup.db`);
  const out = await d.ok(['backup', file]);
  assert.match(out, /backed up the store of http:\/\/127\.0\.0\.1:\d+ to .*-backup\.db; keep .*secrets\.key apart from it/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.ok(statSync(file).size > 4096);

  await d.kill9();
  const db = join(d.home, 'state.db');
  // Half the file, and a WAL that no longer matches it: what a full disk or a bad copy leaves.
  truncateSync(db, Math.floor(statSync(db).size / 2));
  for (const f of [`${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
  await assert.rejects(d.up(), (err: Error) => {
    assert.match(err.message, new RegExp(`the store ${db} (is truncated|is damaged|cannot be read)`));
    assert.match(err.message, /drover restore BACKUP_FILE/);
    return true;
  });
  writeFileSync(db, '');
  await assert.rejects(d.up(), /is empty \(0 bytes\), but a store was made here before/);

  const restored = await d.cli(['restore', file]);
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(restored.stdout, /the previous store is kept as .*state\.db\.before-restore-/);
  await d.up();
  const cm = await d.json<{ data: Record<string, string> }>(['get', 'configmap', 'keep-me']);
  assert.deepEqual(cm.data, { answer: '42' });
  const busy = await d.cli(['restore', file]);
  assert.notEqual(busy.code, 0);
  assert.match(busy.stderr, /a Drover server is using .*: stop it first/);
});
