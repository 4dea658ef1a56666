/**
 * The README's ML pipeline (examples/pipeline.yaml) end to end: data prepared on a per-run claim,
 * three trainings in parallel saving models on `model-storage`, a report after all three, and the
 * exit handler telling a webhook how it went — a real HTTP server in this test — on success and
 * on failure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Drover, EXAMPLES } from './drover.js';

interface Node {
  displayName: string;
  type: string;
  phase: string;
  startedAt?: string;
  finishedAt?: string;
  outputs?: { parameters?: { name: string; value: string }[] };
}
interface Wf {
  metadata: { name: string };
  status?: { phase?: string; nodes?: Record<string, Node>; outputs?: { parameters?: { name: string; value: string }[] } };
}

let d: Drover;
let hook: Server;
let url = '';
const received: unknown[] = [];

before(async () => {
  d = await Drover.start({ cpus: '4', memory: '8Gi' });
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end('ok');
    });
  });
  // Pods have networks of their own: the webhook listens on every address of this machine and is
  // reached under the name pods have for it.
  await new Promise<void>((r) => hook.listen(0, '0.0.0.0', () => r()));
  url = `http://host.drover.internal:${(hook.address() as AddressInfo).port}/hook`;
  await d.ok(['apply', '-f', join(EXAMPLES, 'model-storage-claim.yaml')]);
});
after(async () => {
  hook?.close();
  await d?.stop();
});

async function submit(...params: string[]): Promise<Wf> {
  const name = (await d.ok(['submit', join(EXAMPLES, 'pipeline.yaml'), ...params.flatMap((p) => ['-p', p]), '-o', 'name'])).trim();
  assert.match(name, /^workflow\/ml-pipeline-/);
  await d.ok(['wait', name, '--for=condition=Completed', '--timeout=180s']);
  return d.json<Wf>(['get', name]);
}

const nodeOf = (wf: Wf, name: string): Node => {
  const n = Object.values(wf.status?.nodes ?? {}).find((x) => x.displayName === name);
  assert.ok(n, `node ${name}`);
  return n;
};

test('the pipeline trains three models in parallel after the data step, reports after all three, and tells the webhook it succeeded', async () => {
  received.length = 0;
  const wf = await submit(`webhook=${url}`, 'epochs=3');
  assert.equal(wf.status?.phase, 'Succeeded');
  const prepare = nodeOf(wf, 'prepare');
  const trains = ['train-softmax', 'train-mlp', 'train-mlp-fast'].map((n) => nodeOf(wf, n));
  const report = nodeOf(wf, 'report');
  for (const t of trains) {
    assert.equal(t.phase, 'Succeeded');
    assert.ok(Date.parse(t.startedAt!) >= Date.parse(prepare.finishedAt!), 'training starts after the data step');
    assert.ok(Date.parse(report.startedAt!) >= Date.parse(t.finishedAt!), 'the report waits for every training');
    assert.match(t.outputs?.parameters?.find((p) => p.name === 'accuracy')?.value ?? '', /^0\.\d{4}$/);
  }
  // Each model is on the shared claim, under the workflow's name.
  for (const m of ['softmax', 'mlp', 'mlp-fast']) {
    const file = join(d.home, 'claims', 'default', 'model-storage', wf.metadata.name, m, 'model.json');
    assert.ok(existsSync(file), file);
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { epochs: number }).epochs, 3);
  }
  const best = wf.status?.outputs?.parameters?.find((p) => p.name === 'best-model')?.value;
  assert.ok(['softmax', 'mlp', 'mlp-fast'].includes(best ?? ''), `best-model ${best}`);
  // The per-run claim is gone with the run.
  const claims = (await d.json<{ items: { metadata: { name: string } }[] }>(['get', 'pvc'])).items.map((c) => c.metadata.name);
  assert.deepEqual(claims, ['model-storage']);
  assert.deepEqual(received, [{ text: 'Training done: Succeeded' }]);
});

test('when a training fails, the pipeline fails and the webhook is told so', async () => {
  received.length = 0;
  // train.py refuses 0 epochs (exit 2), so every training fails and the report never runs.
  const wf = await submit(`webhook=${url}`, 'epochs=0');
  assert.equal(wf.status?.phase, 'Failed');
  assert.equal(nodeOf(wf, 'train-softmax').phase, 'Failed');
  assert.equal(nodeOf(wf, 'report').phase, 'Omitted');
  assert.deepEqual(received, [{ text: 'Training done: Failed' }]);
});
