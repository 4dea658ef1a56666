/**
 * Drover listening beyond loopback: HTTPS by default there, with a CA it made in its home and a
 * server certificate for the names it answers to. Clients that trust the CA (the kubeconfig
 * carries it; Drover's CLI reads it) get through; clients that do not get a certificate error.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Drover } from './drover.js';

let d: Drover;

before(async () => {
  d = await Drover.start({ cpus: '1', memory: '1Gi', env: { DROVER_HOST: '0.0.0.0' } });
});

after(async () => {
  await d?.stop();
});

function get(path: string, opts: { ca?: string; token?: string }): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${d.url}${path}`, { ca: opts.ca, headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

function curl(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', ...args], (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
  });
}

test('beyond loopback the server speaks HTTPS with a certificate from the CA it made in its home (ca.key 0600) for loopback, this machine and its names', () => {
  assert.match(d.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(statSync(join(d.home, 'ca.key')).mode & 0o777, 0o600);
  assert.equal(statSync(join(d.home, 'server.key')).mode & 0o777, 0o600);
  const ca = new X509Certificate(readFileSync(join(d.home, 'ca.crt')));
  const cert = new X509Certificate(readFileSync(join(d.home, 'server.crt')));
  assert.equal(ca.ca, true);
  assert.equal(cert.verify(ca.publicKey), true);
  for (const name of ['DNS:localhost', 'IP Address:127.0.0.1', `DNS:${hostname().toLowerCase()}`]) assert.ok(cert.subjectAltName?.includes(name), `${name} in ${cert.subjectAltName}`);
  assert.equal(d.ca?.trim(), readFileSync(join(d.home, 'ca.crt'), 'utf8').trim(), 'the kubeconfig carries the CA');
});

test('a client that trusts the CA gets through (Node, curl), one that does not gets a certificate error', async () => {
  const ca = readFileSync(join(d.home, 'ca.crt'), 'utf8');
  assert.equal((await get('/api/v1/namespaces/default/pods', { ca, token: d.token })).code, 200);
  assert.equal((await get('/api/v1/namespaces/default/pods', { ca })).code, 401, 'TLS does not replace the token');
  await assert.rejects(get('/healthz', {}), (err: NodeJS.ErrnoException) => /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/.test(String(err.code)));
  const trusted = await curl(['--cacert', join(d.home, 'ca.crt'), '-H', `Authorization: Bearer ${d.token}`, `${d.url}/version`]);
  assert.equal(trusted.code, 0, trusted.out);
  assert.match(trusted.out, /"gitVersion":"v1\.35/);
  const untrusted = await curl([`${d.url}/healthz`]);
  assert.equal(untrusted.code, 60, `curl fails its certificate check: ${untrusted.out}`);
});

test("Drover's CLI trusts the CA of its home's kubeconfig, and says what is wrong when it has none", async () => {
  assert.equal((await d.cli(['get', 'pods'])).code, 0);
  const kubeconfig = join(d.home, 'kubeconfig');
  const saved = readFileSync(kubeconfig, 'utf8');
  try {
    const config = JSON.parse(saved) as { clusters: { cluster: Record<string, unknown> }[] };
    delete config.clusters[0]!.cluster['certificate-authority-data'];
    writeFileSync(kubeconfig, JSON.stringify(config));
    const r = await d.cli(['get', 'pods']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /the certificate of the Drover server at https:\/\/127\.0\.0\.1:\d+ is not trusted/);
  } finally {
    writeFileSync(kubeconfig, saved, { mode: 0o600 });
  }
});

test('a restart on the same names keeps the certificate; the server comes back over HTTPS', async () => {
  const before = readFileSync(join(d.home, 'server.crt'), 'utf8');
  await d.kill9();
  await d.up();
  assert.equal(readFileSync(join(d.home, 'server.crt'), 'utf8'), before);
  assert.equal((await d.cli(['get', 'pods'])).code, 0);
});
