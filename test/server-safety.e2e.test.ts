/**
 * What a browser, or another local user, can do with a running Drover: nothing without the
 * token drover up wrote, requests with a foreign Host (DNS rebinding) and cross-origin writes
 * are refused, and the state on disk is the owner's alone.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Drover, REPO } from './drover.js';

let d: Drover;

before(async () => {
  d = await Drover.start({ cpus: '1', memory: '1Gi' });
});

after(async () => {
  await d?.stop();
});

function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ code: number; text: string }> {
  const url = new URL(d.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const JOB = JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'from-a-page' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['true'] }] } } } });

test('a foreign Host header (DNS rebinding) and a cross-origin POST, as a page would send them, are refused and store nothing', async () => {
  const host = new URL(d.url).host;
  const rebound = await send('GET', '/api/v1/namespaces/default/pods', { host: `evil.example:${new URL(d.url).port}` });
  assert.equal(rebound.code, 403);
  assert.match(JSON.parse(rebound.text).message, /Host header "evil\.example:\d+" is not a name this server answers to/);
  const textPlain = await send('POST', '/apis/batch/v1/namespaces/default/jobs', { host, origin: 'http://evil.example', 'content-type': 'text/plain' }, JOB);
  assert.equal(textPlain.code, 403);
  assert.match(JSON.parse(textPlain.text).message, /another origin \(http:\/\/evil\.example\)/);
  const json = await send('POST', '/apis/batch/v1/namespaces/default/jobs', { host, origin: 'https://evil.example', 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, JOB);
  assert.equal(json.code, 403);
  assert.equal((await send('GET', '/apis/batch/v1/namespaces/default/jobs/from-a-page', { host, authorization: `Bearer ${d.token}` })).code, 404, 'nothing was stored');
  assert.equal((await send('GET', '/healthz', { host: 'evil.example' })).code, 200, 'health checks stay open to probes');
  // The dashboard's page needs no token (it asks for one), but is no more served under a foreign name.
  assert.equal((await send('GET', '/', { host: `evil.example:${new URL(d.url).port}` })).code, 403);
  assert.equal((await send('GET', '/ui/app.js', { host: `evil.example:${new URL(d.url).port}` })).code, 403);
  const dashboard = await send('GET', '/', { host });
  assert.equal(dashboard.code, 200);
  assert.match(dashboard.text, /<script type="module" src="\/ui\/app\.js">/);
  // A same-origin page (the dashboard) and clients without Origin are served.
  const auth = `Bearer ${d.token}`;
  assert.equal((await send('GET', '/api/v1/namespaces/default/pods', { host, origin: d.url, authorization: auth })).code, 200);
  assert.equal((await send('GET', '/api/v1/namespaces/default/pods', { host: `localhost:${new URL(d.url).port}`, authorization: auth })).code, 200);
});

test('every request but health checks needs the bearer token drover up wrote into its kubeconfig (401 without it)', async () => {
  const host = new URL(d.url).host;
  for (const path of ['/api/v1/namespaces/default/pods', '/apis', '/version', '/metrics', '/api/v1/workflows/default']) {
    const none = await send('GET', path, { host });
    assert.equal(none.code, 401, path);
    assert.match(JSON.parse(none.text).message, /no credentials: send the bearer token of the kubeconfig drover up wrote/);
  }
  const create = await send('POST', '/apis/batch/v1/namespaces/default/jobs', { host, 'content-type': 'application/json' }, JOB);
  assert.equal(create.code, 401, 'nobody runs code without a login');
  const wrong = await send('GET', '/apis', { host, authorization: 'Bearer not-the-token' });
  assert.equal(wrong.code, 401);
  assert.match(JSON.parse(wrong.text).message, /not one this server knows/);
  assert.equal((await send('GET', '/apis', { host, authorization: `Bearer ${d.token}` })).code, 200);
  // A trial's narrow credential is good for its own metrics path only.
  assert.equal((await send('GET', '/apis/kubeflow.org/v1beta1/namespaces/default/trials/t/metrics?token=forged', { host })).code, 401);
  // Drover's CLI finds the token in the home by itself.
  assert.equal((await d.cli(['get', 'pods'])).code, 0);
});

test("Drover's home is its user's alone (0700), and so are the store, the kubeconfig, the tokens, the encryption key and the audit log (0600)", () => {
  assert.equal(statSync(d.home).mode & 0o777, 0o700);
  for (const f of ['state.db', 'state.db-wal', 'kubeconfig', 'auth.json', 'secrets.key', 'audit.log']) assert.equal(statSync(join(d.home, f)).mode & 0o777, 0o600, f);
});

/** `drover up` on a fresh home with `env`; resolves with its exit code and output (it should fail). */
function refusedUp(env: Record<string, string>): Promise<{ code: number; out: string }> {
  const home = mkdtempSync(join(tmpdir(), 'drover-wide-'));
  return new Promise<{ code: number; out: string }>((resolve) => {
    execFile(process.execPath, [join(REPO, 'bin', 'drover.js'), 'up', '--port', '0', '--home', home], { env: { ...process.env, DROVER_SERVER: '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  }).finally(() => rmSync(home, { recursive: true, force: true }));
}

test('listening beyond loopback over plain HTTP, or without authentication, is refused with a clear message unless plain HTTP is explicitly accepted', async () => {
  const plain = await refusedUp({ DROVER_HOST: '0.0.0.0', DROVER_TLS: 'off' });
  assert.notEqual(plain.code, 0);
  assert.match(plain.out, /listening on 0\.0\.0\.0 over plain HTTP would let tokens and requests cross the network in clear: serve TLS/);
  assert.match(plain.out, /DROVER_PLAIN_HTTP=1/);
  const open = await refusedUp({ DROVER_HOST: '0.0.0.0', DROVER_AUTH: 'none' });
  assert.notEqual(open.code, 0);
  assert.match(open.out, /listening on 0\.0\.0\.0 without authentication \(auth: none\) would let anyone who reaches the port run anything/);
});

test('the default namespace cannot be deleted (as the API server refuses it), and stays', async () => {
  const r = await d.api('/api/v1/namespaces/default', { method: 'DELETE' });
  assert.equal(r.status, 403);
  assert.equal(((await r.json()) as { message: string }).message, 'namespaces "default" is forbidden: this namespace may not be deleted');
  assert.equal((await d.api('/api/v1/namespaces/default')).status, 200);
});

test('DELETE with propagationPolicy Orphan keeps the dependents (without the owner reference); Background deletes them', async () => {
  const post = async (obj: object) => (await (await d.api('/api/v1/namespaces/default/configmaps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(obj) })).json()) as { metadata: { uid: string } };
  for (const [owner, policy] of [['owner-a', 'Orphan'], ['owner-b', 'Background']] as const) {
    const o = await post({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: owner } });
    await post({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${owner}-child`, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid: o.metadata.uid }] } });
    const r = await d.api(`/api/v1/namespaces/default/configmaps/${owner}`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: policy }) });
    assert.equal(r.status, 200);
  }
  const kept = await d.api('/api/v1/namespaces/default/configmaps/owner-a-child');
  assert.equal(kept.status, 200);
  assert.equal(((await kept.json()) as { metadata: { ownerReferences?: unknown } }).metadata.ownerReferences, undefined);
  assert.equal((await d.api('/api/v1/namespaces/default/configmaps/owner-b-child')).status, 404);
  assert.equal((await d.api('/api/v1/namespaces/default/configmaps/x?propagationPolicy=Sometimes', { method: 'DELETE' })).status, 400);
});
