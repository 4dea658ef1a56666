/**
 * get, describe and wait on experiments and trials, driven in-process against a small fake of
 * the HTTP contract: the registrations reach the commands, and wait's exit codes and lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../../../api/types.js';
import type { Ctx } from '../../../cli/context.js';
import { main } from '../../../cli/main.js';
import { cond, failedExperiment, metric, NOW, runningExperiment, trial } from './testing.js';

const BASE = '/apis/kubeflow.org/v1beta1/namespaces/default';

interface Fake {
  url: string;
  put(obj: KubeObject): void;
  close(): Promise<void>;
}

async function fakeServer(objects: KubeObject[]): Promise<Fake> {
  const store = new Map<string, KubeObject>();
  const path = (o: KubeObject) => `${BASE}/${o.kind === 'Experiment' ? 'experiments' : 'trials'}/${o.metadata.name}`;
  for (const o of objects) store.set(path(o), o);
  const watchers = new Set<{ res: http.ServerResponse; path: string }>();
  let rv = 1;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      const w = { res, path: p };
      watchers.add(w);
      res.on('close', () => watchers.delete(w));
      return;
    }
    if (store.has(p)) return json(200, store.get(p));
    if (/\/(experiments|trials|events)$/.test(p)) {
      const sel = url.searchParams.get('labelSelector');
      const items = [...store.entries()]
        .filter(([k]) => k.startsWith(p + '/'))
        .map(([, o]) => o)
        .filter((o) => !sel || sel.split(',').every((kv) => o.metadata.labels?.[kv.split('=')[0]!] === kv.split('=')[1]));
      return json(200, { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(rv) }, items });
    }
    json(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: `"${p.split('/').pop()}" not found` });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    put(obj) {
      obj.metadata.resourceVersion = String(++rv);
      store.set(path(obj), obj);
      for (const w of watchers) if (path(obj).startsWith(w.path + '/')) w.res.write(JSON.stringify({ type: 'MODIFIED', object: obj }) + '\n');
    },
    close: () =>
      new Promise((r) => {
        for (const w of watchers) w.res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function drover(fake: Fake, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const started = Date.now();
  const text = (t: string | Uint8Array) => (typeof t === 'string' ? t : Buffer.from(t).toString('utf8'));
  const ctx: Ctx = {
    env: { DROVER_SERVER: fake.url, HOME: '/nonexistent' },
    cwd: process.cwd(),
    stdout: { write: (t) => (out += text(t)) },
    stderr: { write: (t) => (err += text(t)) },
    stdin: Readable.from(['']),
    now: () => NOW + (Date.now() - started),
    self: { execPath: process.execPath, script: '' },
  };
  const code = await main(args, ctx);
  return { code, out, err };
}

const trials = () => [
  trial('tune-aaaa', 'lr=0.01,layers=2', { metrics: [metric('accuracy', '0.8', '0.91', '0.9')] }),
  trial('tune-ab12cd34', 'lr=0.0123,layers=3', { metrics: [metric('accuracy', '0.8811', '0.9312', '0.9299')] }),
  trial('tune-bbbb', 'lr=0.05,layers=3', { phase: 'Running', createdMsAgo: 30_000 }),
  trial('other-1', 'lr=0.5', { experiment: 'other', metrics: [metric('accuracy', '0.99', '0.99', '0.99')] }),
];

test('get experiments and get trials -l: the registered columns, best trial first', async () => {
  const fake = await fakeServer([runningExperiment(), failedExperiment(), ...trials()]);
  try {
    const exps = await drover(fake, ['get', 'experiments']);
    assert.equal(exps.code, 0);
    assert.equal(exps.out, [
      'NAME     STATUS    BEST              TRIALS (R/S/F)   AGE',
      'broken   Failed    <none>            0/0/4            10m',
      'tune     Running   accuracy=0.9312   2/6/1            5m',
      '',
    ].join('\n'));
    const ts = await drover(fake, ['get', 'trials', '-l', 'katib.kubeflow.org/experiment=tune']);
    assert.equal(ts.out, [
      'NAME            STATUS      OBJECTIVE         PARAMETERS           AGE',
      'tune-ab12cd34   Succeeded   accuracy=0.9312   lr=0.0123,layers=3   2m',
      'tune-aaaa       Succeeded   accuracy=0.91     lr=0.01,layers=2     2m',
      'tune-bbbb       Running     <none>            lr=0.05,layers=3     30s',
      '',
    ].join('\n'));
    const d = await drover(fake, ['describe', 'experiment', 'tune']);
    assert.equal(d.code, 0);
    assert.match(d.out, /^Name:\s+tune\n/);
    assert.match(d.out, /\nBest Trial:\s+tune-ab12cd34\n/);
    assert.match((await drover(fake, ['describe', 'trial/tune-aaaa'])).out, /\nObservation:\n {2}Objective:\s+accuracy=0\.91\n/);
  } finally {
    await fake.close();
  }
});

test('wait --for=condition=Succeeded on an experiment that failed stops at once with exit 1 and the reason', async () => {
  const fake = await fakeServer([failedExperiment()]);
  try {
    const started = Date.now();
    const r = await drover(fake, ['wait', 'experiment/broken', '--for=condition=Succeeded', '--timeout=30s']);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.equal(r.err, 'error: experiment.kubeflow.org/broken failed: ExperimentFailed: Experiment has failed because max failed count has reached\n');
    assert.ok(Date.now() - started < 5000);
  } finally {
    await fake.close();
  }
});

test('wait --for=condition=Succeeded is met when the running experiment succeeds', async () => {
  const fake = await fakeServer([runningExperiment()]);
  try {
    const waiting = drover(fake, ['wait', 'experiment/tune', '--for=condition=Succeeded', '--timeout=20s']);
    setTimeout(() => {
      const done = runningExperiment();
      const status = done['status'] as { conditions: unknown[]; trialsRunning: number; trialsPending: number; trialsSucceeded: number };
      status.conditions.push(cond('Succeeded', 'True', 'ExperimentGoalReached', 'Experiment has succeeded because Objective goal has reached'));
      Object.assign(status, { trialsRunning: 0, trialsPending: 0, trialsSucceeded: 9 });
      fake.put(done);
    }, 300);
    const r = await waiting;
    assert.deepEqual(r, { code: 0, out: 'experiment.kubeflow.org/tune condition met\n', err: '' });
  } finally {
    await fake.close();
  }
});
