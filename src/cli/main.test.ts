/**
 * The CLI driven in-process against a small fake of the HTTP contract (not the real server, which
 * test/cli.e2e.test.ts covers): output formats, error printing and exit codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { main } from './main.js';
import type { Ctx } from './context.js';
import type { KubeObject } from '../api/types.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => boolean | void;

interface Fake {
  url: string;
  objects: Map<string, KubeObject>;
  requests: { method: string; url: string; body: string }[];
  watchers: Set<http.ServerResponse>;
  handlers: Handler[];
  /** Stores an object and tells watchers. */
  put(path: string, obj: KubeObject, type?: 'ADDED' | 'MODIFIED'): void;
  remove(path: string): void;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string, causes?: { field: string; message: string }[]) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(causes ? { details: { causes } } : {}) });

let rv = 100;

async function fakeServer(): Promise<Fake> {
  const objects = new Map<string, KubeObject>();
  const requests: Fake['requests'] = [];
  const watchers = new Set<http.ServerResponse>();
  const watcherPaths = new Map<http.ServerResponse, string>();
  const handlers: Handler[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      for (const h of handlers) if (h(req, res, body)) return;
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname;
      if (path === '/healthz') return void res.end('ok');
      if (req.method === 'GET' && url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        watchers.add(res);
        watcherPaths.set(res, path);
        res.on('close', () => watchers.delete(res));
        return;
      }
      if (req.method === 'GET' && objects.has(path)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(objects.get(path)));
      }
      if (req.method === 'DELETE' && objects.has(path)) {
        const o = objects.get(path)!;
        fake.remove(path);
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(o));
      }
      if (req.method === 'GET' && /\/(jobs|pods|configmaps|events|nodes)$/.test(path)) {
        const sel = url.searchParams.get('labelSelector');
        const items = [...objects.entries()]
          .filter(([p]) => p.startsWith(path + '/'))
          .map(([, o]) => o)
          .filter((o) => !sel || sel.split(',').every((kv) => o.metadata.labels?.[kv.split('=')[0]!] === kv.split('=')[1]));
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(rv) }, items }));
      }
      const name = path.split('/').pop();
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(status(404, 'NotFound', `${path.includes('/jobs/') ? 'jobs.batch' : 'object'} "${name}" not found`));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const notify = (path: string, type: string, obj: KubeObject) => {
    for (const w of watchers) {
      if (path.startsWith(watcherPaths.get(w)! + '/')) w.write(JSON.stringify({ type, object: obj }) + '\n');
    }
  };
  const fake: Fake = {
    url: `http://127.0.0.1:${port}`,
    objects, requests, watchers, handlers,
    put(path, obj, type) {
      obj.metadata.resourceVersion = String(++rv);
      const existed = objects.has(path);
      objects.set(path, obj);
      notify(path, type ?? (existed ? 'MODIFIED' : 'ADDED'), obj);
    },
    remove(path) {
      const o = objects.get(path);
      objects.delete(path);
      if (o) notify(path, 'DELETED', o);
    },
    close: () =>
      new Promise((r) => {
        for (const w of watchers) w.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return fake;
}

interface Run {
  code: number;
  out: string;
  err: string;
}

async function drover(fake: { url: string }, args: string[], opts: { stdin?: string; cwd?: string } = {}): Promise<Run> {
  let out = '';
  let err = '';
  const started = Date.now();
  const text = (t: string | Uint8Array) => (typeof t === 'string' ? t : Buffer.from(t).toString('utf8'));
  const ctx: Ctx = {
    env: { DROVER_SERVER: fake.url, HOME: '/nonexistent' },
    cwd: opts.cwd ?? process.cwd(),
    stdout: { write: (t) => (out += text(t)) },
    stderr: { write: (t) => (err += text(t)) },
    stdin: Readable.from([opts.stdin ?? '']),
    // A fixed date for ages, still moving so timeouts pass.
    now: () => Date.parse('2024-01-01T01:00:00Z') + (Date.now() - started),
    self: { execPath: process.execPath, script: '' },
  };
  const code = await main(args, ctx);
  return { code, out, err };
}

const JOBS = '/apis/batch/v1/namespaces/default/jobs';
const PODS = '/api/v1/namespaces/default/pods';

function job(name: string, status: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default', creationTimestamp: '2024-01-01T00:59:00Z' },
    spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } } }, status,
  };
}

test('an unreachable server gets one line naming the address and how to start it', async () => {
  const r = await drover({ url: 'http://127.0.0.1:1' }, ['get', 'jobs']);
  assert.equal(r.code, 1);
  assert.equal(r.err, 'error: cannot reach the Drover server at http://127.0.0.1:1: is it running? Start it with "drover up -d"\n');
});

test('usage errors print one line and a hint, and exit 1', async () => {
  const r = await drover({ url: 'http://127.0.0.1:1' }, ['get']);
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: You must specify the type of resource to get\..*\nSee 'drover get --help' for usage\.\n$/);
  const u = await drover({ url: 'http://127.0.0.1:1' }, ['get', 'jobs', '--bogus']);
  assert.equal(u.err, "error: unknown flag: --bogus\nSee 'drover get --help' for usage.\n");
  const c = await drover({ url: 'http://127.0.0.1:1' }, ['frobnicate']);
  assert.equal(c.code, 1);
  assert.match(c.err, /unknown command "frobnicate"/);
  const h = await drover({ url: 'http://127.0.0.1:1' }, ['wait', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /Usage:\n {2}drover wait/);
});

test('get prints tables, names, and "No resources found" on stderr', async () => {
  const fake = await fakeServer();
  try {
    fake.put(`${JOBS}/train`, job('train', { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }], startTime: '2024-01-01T00:59:00Z', completionTime: '2024-01-01T00:59:07Z' }));
    const r = await drover(fake, ['get', 'jobs']);
    assert.equal(r.code, 0);
    assert.equal(r.out, 'NAME    STATUS     COMPLETIONS   DURATION   AGE\ntrain   Complete   1/1           7s         60s\n');
    assert.equal((await drover(fake, ['get', 'job/train', '-o', 'name'])).out, 'job.batch/train\n');
    const j = await drover(fake, ['get', 'job', 'train', '-o', 'json']);
    assert.equal(JSON.parse(j.out).metadata.name, 'train');
    const list = await drover(fake, ['get', 'jobs', '-o', 'json']);
    assert.equal(JSON.parse(list.out).kind, 'List');
    const empty = await drover(fake, ['get', 'cm']);
    assert.deepEqual(empty, { code: 0, out: '', err: 'No resources found in default namespace.\n' });
    assert.ok(fake.requests.some((q) => q.url === '/api/v1/namespaces/default/configmaps'));
  } finally {
    await fake.close();
  }
});

test('a missing object prints kubectl\'s "Error from server (NotFound)" and exits 1', async () => {
  const fake = await fakeServer();
  try {
    const r = await drover(fake, ['get', 'job', 'nope']);
    assert.equal(r.code, 1);
    assert.equal(r.err, 'Error from server (NotFound): jobs.batch "nope" not found\n');
  } finally {
    await fake.close();
  }
});

test('apply sends every file as a document and prints kubectl lines and warnings', async () => {
  const fake = await fakeServer();
  const dir = mkdtempSync(join(tmpdir(), 'drover-apply-'));
  try {
    writeFileSync(join(dir, 'a.yaml'), 'kind: ConfigMap\n');
    writeFileSync(join(dir, 'b.yml'), 'kind: Job\n');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    fake.handlers.push((req, res) => {
      if (req.url !== '/apis/drover.dev/v1/namespaces/ml/apply') return false;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        kind: 'ApplyResult',
        results: [
          { kind: 'ConfigMap', apiVersion: 'v1', namespace: 'ml', name: 'hp', action: 'created' },
          { kind: 'Job', apiVersion: 'batch/v1', namespace: 'ml', name: 'train', action: 'unchanged' },
        ],
        warnings: ['spec.template.spec.containers[0].imagePullPolicy is ignored'],
      }));
      return true;
    });
    const r = await drover(fake, ['apply', '-f', dir, '-n', 'ml'], { cwd: '/' });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'configmap/hp created\njob.batch/train unchanged\n');
    assert.equal(r.err, 'Warning: spec.template.spec.containers[0].imagePullPolicy is ignored\n');
    const sent = JSON.parse(fake.requests.find((q) => q.url.endsWith('/apply'))!.body);
    assert.equal(sent.mode, 'apply');
    assert.deepEqual(sent.documents.map((d: { file: string; sourceDir: string; text: string }) => [d.file, d.sourceDir, d.text]), [
      [join(dir, 'a.yaml'), dir, 'kind: ConfigMap\n'],
      [join(dir, 'b.yml'), dir, 'kind: Job\n'],
    ]);
    const stdin = await drover(fake, ['create', '-f', '-', '-n', 'ml'], { stdin: 'kind: Job\n', cwd: dir });
    assert.equal(stdin.code, 0);
    const sent2 = JSON.parse(fake.requests.filter((q) => q.url.endsWith('/apply'))[1]!.body);
    assert.deepEqual(sent2, { documents: [{ file: '<stdin>', text: 'kind: Job\n', sourceDir: dir }], mode: 'create' });
    const missing = await drover(fake, ['apply', '-f', join(dir, 'nope.yaml')]);
    assert.equal(missing.err, `error: the path "${join(dir, 'nope.yaml')}" does not exist\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await fake.close();
  }
});

test('an Invalid apply prints each cause, with its position, on its own line', async () => {
  const fake = await fakeServer();
  const dir = mkdtempSync(join(tmpdir(), 'drover-apply-'));
  try {
    writeFileSync(join(dir, 'job.yaml'), 'kind: Job\n');
    fake.handlers.push((req, res) => {
      if (!req.url?.endsWith('/apply')) return false;
      res.writeHead(422, { 'content-type': 'application/json' });
      res.end(status(422, 'Invalid', 'two problems', [
        { field: 'spec.template.spec.containers[0].image', message: 'job.yaml:9:11: spec.template.spec.containers[0].image: Required value' },
        { field: 'spec.foo', message: 'job.yaml:3:3: spec.foo: field not supported' },
      ]));
      return true;
    });
    const r = await drover(fake, ['apply', '-f', 'job.yaml'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.equal(r.err,
      'Error from server (Invalid): job.yaml:9:11: spec.template.spec.containers[0].image: Required value\n' +
      'Error from server (Invalid): job.yaml:3:3: spec.foo: field not supported\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await fake.close();
  }
});

test('delete prints kubectl lines, waits until the object is gone, and reports missing ones', async () => {
  const fake = await fakeServer();
  try {
    fake.put(`${JOBS}/train`, job('train'));
    const r = await drover(fake, ['delete', 'job', 'train', 'nope']);
    assert.equal(r.out, 'job.batch "train" deleted\n');
    assert.equal(r.err, 'Error from server (NotFound): jobs.batch "nope" not found\n');
    assert.equal(r.code, 1);
    assert.ok(fake.requests.some((q) => q.method === 'GET' && q.url === `${JOBS}/train`), 'waited for the object to be gone');
    const quiet = await drover(fake, ['delete', 'job/nope', '--ignore-not-found']);
    assert.deepEqual(quiet, { code: 0, out: '', err: '' });
  } finally {
    await fake.close();
  }
});

test('delete -f deletes what the files name', async () => {
  const fake = await fakeServer();
  const dir = mkdtempSync(join(tmpdir(), 'drover-del-'));
  try {
    fake.put(`${JOBS}/train`, job('train'));
    fake.put('/api/v1/namespaces/default/configmaps/hp', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hp', namespace: 'default' } });
    writeFileSync(join(dir, 'all.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hp}\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: train\n');
    const r = await drover(fake, ['delete', '-f', join(dir, 'all.yaml'), '--wait=false']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'configmap "hp" deleted\njob.batch "train" deleted\n');
    assert.equal(fake.objects.size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await fake.close();
  }
});

test('wait prints "condition met" when a watched job completes', async () => {
  const fake = await fakeServer();
  try {
    fake.put(`${JOBS}/train`, job('train', { active: 1 }));
    const waiting = drover(fake, ['wait', '--for=condition=Complete', 'job/train', '--timeout=10s']);
    for (let i = 0; i < 100 && fake.watchers.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(fake.watchers.size, 1, 'the CLI watches');
    fake.put(`${JOBS}/train`, job('train', { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }));
    assert.deepEqual(await waiting, { code: 0, out: 'job.batch/train condition met\n', err: '' });
  } finally {
    await fake.close();
  }
});

test('wait stops at once when the job fails, and times out with kubectl\'s message', async () => {
  const fake = await fakeServer();
  try {
    fake.put(`${JOBS}/bad`, job('bad', { failed: 2, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] }));
    const r = await drover(fake, ['wait', '--for=condition=Complete', 'job/bad']);
    assert.deepEqual(r, { code: 1, out: '', err: 'error: job.batch/bad failed: BackoffLimitExceeded: Job has reached the specified backoff limit\n' });
    fake.put(`${JOBS}/slow`, job('slow', { active: 1 }));
    const t = await drover(fake, ['wait', '--for=condition=Complete', 'job/slow', '--timeout=200ms']);
    assert.deepEqual(t, { code: 1, out: '', err: 'error: timed out waiting for the condition on jobs/slow\n' });
    const gone = await drover(fake, ['wait', '--for=delete', 'job/never-was', '--timeout=1s']);
    assert.equal(gone.out, 'job.batch/never-was condition met\n');
  } finally {
    await fake.close();
  }
});

test('logs job/NAME reads the newest pod and says which one it picked', async () => {
  const fake = await fakeServer();
  try {
    fake.put(`${JOBS}/train`, job('train'));
    const pod = (name: string, created: string): KubeObject => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { 'job-name': 'train' }, creationTimestamp: created },
      spec: { containers: [{ name: 'main', image: 'busybox' }] }, status: { phase: 'Succeeded' },
    });
    fake.put(`${PODS}/train-old`, pod('train-old', '2024-01-01T00:59:00Z'));
    fake.put(`${PODS}/train-new`, pod('train-new', '2024-01-01T00:59:30Z'));
    fake.handlers.push((req, res) => {
      if (!req.url?.startsWith(`${PODS}/train-new/log`)) return false;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('hi\nthere\n');
      return true;
    });
    const r = await drover(fake, ['logs', 'job/train', '--tail=5']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'hi\nthere\n');
    assert.equal(r.err, 'Found 2 pods, using pod/train-new\n');
    assert.ok(fake.requests.some((q) => q.url === `${PODS}?labelSelector=job-name%3Dtrain`));
    assert.ok(fake.requests.some((q) => q.url === `${PODS}/train-new/log?container=main&tailLines=5`));
  } finally {
    await fake.close();
  }
});

test('wait --all waits for every job of the kind and prints a line per job', async () => {
  const fake = await fakeServer();
  try {
    fake.put(`${JOBS}/a`, job('a', { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }));
    fake.put(`${JOBS}/b`, job('b', { active: 1 }));
    const waiting = drover(fake, ['wait', 'jobs', '--all', '--for=condition=complete', '--timeout=5s']);
    for (let i = 0; i < 100 && fake.watchers.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
    fake.put(`${JOBS}/b`, job('b', { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }));
    assert.deepEqual(await waiting, { code: 0, out: 'job.batch/a condition met\njob.batch/b condition met\n', err: '' });
  } finally {
    await fake.close();
  }
});

test('describe fetches the object and its events by field selector', async () => {
  const fake = await fakeServer();
  try {
    fake.put(`${JOBS}/train`, job('train', { active: 1 }));
    fake.put('/api/v1/namespaces/default/events/e1', {
      apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'default' }, type: 'Normal', reason: 'SuccessfulCreate',
      message: 'Created pod: train-abcde', involvedObject: { kind: 'Job', name: 'train', namespace: 'default' }, source: { component: 'job-controller' },
      firstTimestamp: '2024-01-01T00:59:50Z', lastTimestamp: '2024-01-01T00:59:50Z', count: 1,
    });
    fake.put('/api/v1/namespaces/default/events/e2', {
      apiVersion: 'v1', kind: 'Event', metadata: { name: 'e2', namespace: 'default' }, type: 'Normal', reason: 'Other',
      message: 'about another job', involvedObject: { kind: 'Job', name: 'other', namespace: 'default' },
    });
    const r = await drover(fake, ['describe', 'job/train']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Name:\s+train\n/);
    assert.match(r.out, /\nPods Statuses:\s+1 Active \/ 0 Succeeded \/ 0 Failed\n/);
    assert.match(r.out, /\n {2}Normal {2}SuccessfulCreate {2}10s {3}job-controller {2}Created pod: train-abcde\n$/);
    assert.ok(!r.out.includes('another job'), 'events of other objects are left out');
    assert.ok(fake.requests.some((q) => q.url === '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dtrain%2CinvolvedObject.kind%3DJob'));
  } finally {
    await fake.close();
  }
});

test('get -A lists across namespaces with a NAMESPACE column', async () => {
  const fake = await fakeServer();
  try {
    fake.put('/apis/batch/v1/jobs/x', { ...job('x'), metadata: { name: 'x', namespace: 'ml', creationTimestamp: '2024-01-01T00:59:00Z' } });
    const r = await drover(fake, ['get', 'jobs', '-A']);
    assert.equal(r.out, 'NAMESPACE   NAME   STATUS    COMPLETIONS   DURATION   AGE\nml          x      Running   0/1                      60s\n');
  } finally {
    await fake.close();
  }
});
