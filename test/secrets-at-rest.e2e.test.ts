/**
 * Secrets at rest: a Secret's values are in no file of the store (database, WAL), nor in the
 * server's log, the audit log or events; clients read them back as written. The key lives apart
 * from the database, and a configured key that is missing stops the server at start.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Drover, REPO } from './drover.js';

const VALUE = 's3cr3t-value-that-must-not-leak';
const B64 = Buffer.from(VALUE).toString('base64');

let d: Drover;

before(async () => {
  d = await Drover.start({ cpus: '1', memory: '1Gi' });
});

after(async () => {
  await d?.stop();
});

test("a Secret's value reads back as written, and is in no store file, log or event", async () => {
  const manifest = `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: ${VALUE}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: token}\ndata: {key: ${B64}}\n`;
  await d.ok(['apply', '-f', '-'], manifest);
  const db = await d.json<{ data: Record<string, string> }>(['get', 'secret', 'db']);
  assert.equal(Buffer.from(db.data['password']!, 'base64').toString(), VALUE);
  const token = await d.json<{ data: Record<string, string> }>(['get', 'secret', 'token']);
  assert.equal(token.data['key'], B64);
  const files = readdirSync(d.home).filter((f) => f.startsWith('state.db'));
  assert.ok(files.includes('state.db-wal') || files.includes('state.db'));
  for (const f of files) {
    const bytes = readFileSync(join(d.home, f));
    assert.equal(bytes.includes(VALUE), false, `${f} holds the value`);
    assert.equal(bytes.includes(B64), false, `${f} holds the value in base64`);
  }
  assert.equal(statSync(join(d.home, 'secrets.key')).mode & 0o777, 0o600);
  const events = await d.ok(['get', 'events', '-o', 'json']);
  for (const text of [d.logs, readFileSync(join(d.home, 'audit.log'), 'utf8'), events]) {
    assert.equal(text.includes(VALUE), false);
    assert.equal(text.includes(B64), false);
  }
  // Read back after a restart, from the store alone.
  await d.kill9();
  await d.up();
  assert.equal((await d.json<{ data: Record<string, string> }>(['get', 'secret', 'token'])).data['key'], B64);
});

test('a configured encryption key that is missing stops the server at start with a clear message', async () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-key-'));
  try {
    const r = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, [join(REPO, 'bin', 'drover.js'), 'up', '--port', '0', '--home', home], { env: { ...process.env, DROVER_SERVER: '', DROVER_SECRETS_KEY_FILE: join(home, 'gone.key') }, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
      });
    });
    assert.notEqual(r.code, 0);
    assert.match(r.out, /the key that encrypts Secrets in the store \(.*gone\.key, from secretsKeyFile \/ DROVER_SECRETS_KEY_FILE\) does not exist/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
