/**
 * Tokens for other users, managed through the running server: `drover token create` prints one
 * once, the server accepts it at once, `revoke` refuses it at once, an expired one is refused
 * saying so, and only an admin (system:masters) may manage them.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Drover } from './drover.js';

let d: Drover;

before(async () => {
  d = await Drover.start({ cpus: '1', memory: '1Gi' });
});

after(async () => {
  await d?.stop();
});

async function as(token: string, path: string, init: RequestInit = {}): Promise<{ code: number; body: { message?: string } }> {
  const r = await fetch(`${d.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } });
  return { code: r.status, body: (await r.json()) as { message?: string } };
}

test('drover token create prints a token once; the running server accepts it at once; list shows no secret; revoke refuses it at once', async () => {
  const created = await d.cli(['token', 'create', 'alice', '--group', 'ml-team', '--ttl', '24h']);
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  assert.match(token, /^[A-Za-z0-9_-]{40,}$/);
  assert.match(created.stderr, /token [0-9a-f]+ for alice \(groups ml-team\), expires \d{4}-.*shown only this once/);
  // Signed in: discovery works; what else alice may do is up to RBAC (none yet: 403, not 401).
  assert.equal((await as(token, '/apis')).code, 200);
  assert.equal((await as(token, '/api/v1/namespaces/default/pods')).code, 403);
  const list = await d.ok(['token', 'list']);
  assert.match(list, /^ID\s+USER\s+GROUPS\s+CREATED\s+EXPIRES/);
  assert.match(list, /alice\s+ml-team/);
  assert.match(list, /admin\s+<none>/);
  assert.ok(!list.includes(token), 'no secret in the list');
  assert.ok(!readFileSync(join(d.home, 'auth.json'), 'utf8').includes(token), 'only its hash on file');
  // Not an admin: alice may not make or see tokens.
  const denied = await as(token, '/apis/drover.dev/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'mallory', groups: ['system:masters'] }) });
  assert.equal(denied.code, 403);
  assert.match(denied.body.message ?? '', /tokens.drover.dev is forbidden: User "alice" cannot create resource "tokens" in API group "drover.dev" at the cluster scope/);
  assert.equal((await as(token, '/apis/drover.dev/v1/tokens')).code, 403);
  assert.match(await d.ok(['token', 'revoke', 'alice']), /token [0-9a-f]+ of alice revoked/);
  const revoked = await as(token, '/apis');
  assert.equal(revoked.code, 401);
  assert.match(revoked.body.message ?? '', /not one this server knows/);
  const again = await d.cli(['token', 'revoke', 'alice']);
  assert.notEqual(again.code, 0);
  assert.equal((await d.cli(['token', 'revoke', 'admin'])).code === 0, false, "the admin's token is not revoked");
});

test('an expired token gets 401 saying it expired', async () => {
  const token = (await d.ok(['token', 'create', 'bob', '--ttl', '1s'])).trim();
  assert.equal((await as(token, '/apis')).code, 200);
  await new Promise((r) => setTimeout(r, 1100));
  const r = await as(token, '/apis');
  assert.equal(r.code, 401);
  assert.match(r.body.message ?? '', /the bearer token expired at \d{4}-\d\d-\d\dT[\d:.]+Z/);
});

test('the audit log (0600) has a line per request of this file, with its user, groups, verb, resource and code', async () => {
  const token = (await d.ok(['token', 'create', 'dave', '--group', 'auditors'])).trim();
  await d.ok(['apply', '-f', '-'], 'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: auditors, namespace: default }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view }\nsubjects: [{ kind: Group, name: auditors }]\n');
  assert.equal((await as(token, '/api/v1/namespaces/default/pods/nope')).code, 404);
  assert.equal((await as('wrong', '/api/v1/namespaces/default/pods')).code, 401);
  const file = join(d.home, 'audit.log');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  // A request's line is written as its response ends: the last one may land just after the client has its answer.
  const read = () => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  let entries = read();
  // Wait for exactly the line asserted below: earlier tests of this file left other anonymous 401s.
  const refusedList = (e: Record<string, unknown>) => e['user'] === 'system:anonymous' && e['code'] === 401 && e['verb'] === 'list';
  for (let i = 0; i < 40 && !entries.some(refusedList); i++) {
    await new Promise((r) => setTimeout(r, 50));
    entries = read();
  }
  const find = (p: (e: Record<string, unknown>) => boolean) => entries.find(p);
  assert.deepEqual(find((e) => e['user'] === 'dave'), {
    time: find((e) => e['user'] === 'dave')!['time'], user: 'dave', groups: ['system:authenticated', 'auditors'], verb: 'get', path: '/api/v1/namespaces/default/pods/nope',
    apiGroup: '', resource: 'pods', namespace: 'default', name: 'nope', code: 404, sourceIP: '127.0.0.1', userAgent: 'node',
  });
  assert.ok(find(refusedList), 'a refused request is audited too');
  assert.ok(find((e) => e['user'] === 'alice' && e['code'] === 403 && e['verb'] === 'create' && e['resource'] === 'tokens' && e['apiGroup'] === 'drover.dev'));
  assert.ok(find((e) => e['user'] === 'admin' && (e['groups'] as string[]).includes('system:masters') && e['verb'] === 'list' && e['resource'] === 'tokens' && e['code'] === 200));
  assert.ok(!entries.some((e) => String(e['path']).includes('token=')), 'no credential from a query');
});
