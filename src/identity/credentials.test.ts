import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCredentials } from './credentials.js';

function home(): string {
  return mkdtempSync(join(tmpdir(), 'drover-cred-'));
}

test('a user token gives system:authenticated and its groups, is kept only as a hash, and survives a restart', () => {
  const h = home();
  try {
    const c = loadCredentials(h, undefined);
    const t = c.createToken({ user: 'alice', groups: ['ml-team', 'ml-team'] });
    assert.deepEqual(c.identity(t.token), { name: 'alice', groups: ['system:authenticated', 'ml-team'] });
    assert.doesNotMatch(readFileSync(join(h, 'auth.json'), 'utf8'), new RegExp(t.token));
    assert.deepEqual(c.listTokens().map((x) => [x.user, 'sha256' in x]), [['admin', false], ['alice', false]]);
    const again = loadCredentials(h, c.adminToken);
    assert.equal(again.adminToken, c.adminToken, 'the admin token in the kubeconfig is kept');
    assert.equal(again.identity(t.token)?.name, 'alice');
    assert.deepEqual(again.identity(c.adminToken)?.groups, ['system:masters', 'system:authenticated']);
  } finally {
    rmSync(h, { recursive: true, force: true });
  }
});

test('a token past its ttl is reported expired, with when; a revoked one is unknown at once; the admin cannot be revoked', () => {
  const h = home();
  try {
    const c = loadCredentials(h, undefined);
    const now = Date.parse('2026-01-01T00:00:00Z');
    const t = c.createToken({ user: 'bob', ttlMs: 60_000 }, now);
    assert.equal(t.expires, '2026-01-01T00:01:00.000Z');
    assert.equal((c.check(t.token, now + 59_000) as { identity: { name: string } }).identity.name, 'bob');
    assert.deepEqual(c.check(t.token, now + 60_000), { expired: '2026-01-01T00:01:00.000Z' });
    const u = c.createToken({ user: 'carol' });
    assert.deepEqual(c.revokeTokens(u.id).map((x) => x.user), ['carol']);
    assert.equal(c.check(u.token), undefined);
    assert.deepEqual(c.revokeTokens('admin'), []);
    assert.ok(c.identity(c.adminToken));
  } finally {
    rmSync(h, { recursive: true, force: true });
  }
});
