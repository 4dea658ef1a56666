import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { request } from 'node:http';
import { DASHBOARD_CSP, acceptsGzip, dashboardFile, isDashboardPath, serveDashboard } from './dashboard.js';

test('dashboard paths are the page and /ui/ files only, and no path leaves the dashboard folder', () => {
  const dir = '/srv/web';
  assert.equal(dashboardFile(dir, '/'), '/srv/web/index.html');
  assert.equal(dashboardFile(dir, '/ui/app.js'), '/srv/web/app.js');
  for (const p of ['/ui/../secret', '/ui/%2e%2e/secret', '/ui/..%2F..%2Fetc/passwd', '/ui/', '/ui/%00', '/ui/%zz']) assert.equal(dashboardFile(dir, p), undefined, p);
  assert.equal(isDashboardPath('/'), true);
  assert.equal(isDashboardPath('/ui/app.css'), true);
  for (const p of ['/api/v1/pods', '/apis', '/version', '/metrics', '/uix']) assert.equal(isDashboardPath(p), false, p);
});

test('gzip is taken when the client lists it without q=0', () => {
  assert.equal(acceptsGzip('gzip, deflate, br'), true);
  assert.equal(acceptsGzip('br;q=1.0, gzip;q=0.8'), true);
  assert.equal(acceptsGzip('gzip;q=0'), false);
  assert.equal(acceptsGzip('identity'), false);
  assert.equal(acceptsGzip(undefined), false);
});

test('a dashboard file is answered with its content type, a strict Content-Security-Policy and no framing; a missing one is not answered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-dashboard-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    void serveDashboard(res, req.method ?? 'GET', path, req.headers['accept-encoding'], dir).then((served) => {
      if (!served) res.writeHead(404).end('none');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('content-security-policy'), DASHBOARD_CSP);
    assert.match(DASHBOARD_CSP, /default-src 'none'/);
    assert.doesNotMatch(DASHBOARD_CSP, /unsafe-inline|unsafe-eval|http:|https:|\*/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const js = await fetch(`${base}/ui/app.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await js.text(), 'console.log(1)');
    // fetch sends Accept-Encoding gzip and decodes: the same text either way.
    writeFileSync(join(dir, 'app.js.gz'), gzipSync('console.log(1)'));
    const zipped = await fetch(`${base}/ui/app.js`);
    assert.equal(zipped.headers.get('content-encoding'), 'gzip');
    assert.equal(await zipped.text(), 'console.log(1)');
    const plain = await new Promise<{ encoding: string | undefined; body: string }>((ok, fail) => {
      request(`${base}/ui/app.js`, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => ok({ encoding: r.headers['content-encoding'], body }));
      }).on('error', fail).end();
    });
    assert.deepEqual(plain, { encoding: undefined, body: 'console.log(1)' }, 'a client that asks for no encoding gets the plain file');
    assert.equal((await fetch(`${base}/ui/missing.js`)).status, 404);
    assert.equal((await fetch(`${base}/ui/sub`)).status, 404, 'a folder is not a file');
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
