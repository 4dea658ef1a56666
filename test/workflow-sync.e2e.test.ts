/**
 * What workflows share with each other and the outside: `synchronization` (a mutex lets one
 * holder at a time, a semaphore as many as its ConfigMap says, at the workflow and the template
 * level; each step records its start and end on a shared claim and the test counts overlaps),
 * `memoize` caches in ConfigMaps, and `http` input artifacts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Drover, sleep } from './drover.js';
import { printed, type Wf as FullWf } from './workflow-harness.js';

let d: Drover;
before(async () => {
  d = await Drover.start({ cpus: '8', memory: '8Gi' });
  await d.ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: spans }\nspec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }');
});
after(async () => {
  await d?.stop();
});

interface Wf {
  status?: { phase?: string; message?: string };
}

async function waitDone(name: string): Promise<Wf> {
  const end = Date.now() + 60_000;
  for (;;) {
    const wf = await d.json<Wf>(['get', 'workflow', name]);
    if (['Succeeded', 'Failed', 'Error'].includes(wf.status?.phase ?? '')) return wf;
    if (Date.now() > end) throw new Error(`${name} still ${wf.status?.phase}: ${wf.status?.message}`);
    await sleep(100);
  }
}

/** The most spans of `file` that overlap at one moment. */
function maxOverlap(file: string): number {
  const spans = readFileSync(join(d.home, 'claims', 'default', 'spans', file), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number) as [number, number]);
  let best = 0;
  for (const [s] of spans) best = Math.max(best, spans.filter(([a, b]) => a <= s && s < b).length);
  return best;
}

const workflow = (name: string, file: string, sync: string, where: 'workflow' | 'template') => `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: ${name} }
spec:
  entrypoint: main
  volumes: [{ name: spans, persistentVolumeClaim: { claimName: spans } }]
${where === 'workflow' ? `  synchronization:\n${sync.replace(/^/gm, '    ')}` : ''}
  templates:
  - name: main
${where === 'template' ? `    synchronization:\n${sync.replace(/^/gm, '      ')}` : ''}
    container:
      image: busybox
      command: [sh, -c, 's=$(date +%s.%N); sleep 0.6; echo "$s $(date +%s.%N)" >> /spans/${file}']
      volumeMounts: [{ name: spans, mountPath: /spans }]
`;

test('a workflow-level mutex runs three workflows one at a time; the waiting ones say what they wait for', async () => {
  const names = ['mx-a', 'mx-b', 'mx-c'];
  await d.ok(['create', '-f', '-'], names.map((n) => workflow(n, 'mutex', 'mutexes: [{ name: gpu-box }]', 'workflow')).join('\n---\n'));
  await sleep(300);
  const waiting = await Promise.all(names.map((n) => d.json<Wf>(['get', 'workflow', n])));
  assert.ok(
    waiting.some((w) => w.status?.phase === 'Pending' && /Waiting for default\/Mutex\/gpu-box lock/.test(w.status?.message ?? '')),
    JSON.stringify(waiting.map((w) => w.status)),
  );
  for (const n of names) assert.equal((await waitDone(n)).status?.phase, 'Succeeded');
  assert.equal(maxOverlap('mutex'), 1);
});

test('a template-level semaphore from a ConfigMap lets two of four run at once', async () => {
  await d.ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: limits }\ndata: { trainers: "2" }');
  const names = ['sem-a', 'sem-b', 'sem-c', 'sem-d'];
  await d.ok(['create', '-f', '-'], names.map((n) => workflow(n, 'semaphore', 'semaphores: [{ configMapKeyRef: { name: limits, key: trainers } }]', 'template')).join('\n---\n'));
  for (const n of names) assert.equal((await waitDone(n)).status?.phase, 'Succeeded');
  assert.equal(maxOverlap('semaphore'), 2);
});

test('Argo 3.x\'s single `mutex:` is accepted and honoured', async () => {
  const names = ['old-a', 'old-b'];
  await d.ok(['create', '-f', '-'], names.map((n) => workflow(n, 'old', 'mutex: { name: legacy }', 'template')).join('\n---\n'));
  for (const n of names) assert.equal((await waitDone(n)).status?.phase, 'Succeeded');
  assert.equal(maxOverlap('old'), 1);
});

test('memoize: a second workflow with the same key reuses the first one\'s outputs from the cache ConfigMap, without a pod', async () => {
  const wf = (name: string) => `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: ${name} }
spec:
  entrypoint: main
  templates:
  - name: main
    memoize: { key: "answer-v1", maxAge: "1h", cache: { configMap: { name: answers } } }
    container: { image: busybox, command: [sh, -c, 'echo computed-by-${name}'] }
`;
  await d.ok(['create', '-f', '-'], wf('memo-first'));
  assert.equal((await waitDone('memo-first')).status?.phase, 'Succeeded');
  await d.ok(['create', '-f', '-'], wf('memo-second'));
  const second = await d.json<{ status?: { phase?: string; nodes?: Record<string, { outputs?: { result?: string }; memoizationStatus?: { hit: boolean } }> } }>(['get', 'workflow', 'memo-second']);
  const done = second.status?.phase === 'Succeeded' ? second : await waitDone('memo-second').then(() => d.json<typeof second>(['get', 'workflow', 'memo-second']));
  const root = done.status!.nodes!['memo-second']!;
  assert.equal(root.outputs?.result, 'computed-by-memo-first');
  assert.equal(root.memoizationStatus?.hit, true);
  const pods = (await d.json<{ items: unknown[] }>(['get', 'pods', '-l', 'workflows.argoproj.io/workflow=memo-second'])).items;
  assert.equal(pods.length, 0);
  const cm = await d.json<{ metadata: { labels?: Record<string, string> }; data?: Record<string, string> }>(['get', 'configmap', 'answers']);
  assert.equal(cm.metadata.labels?.['workflows.argoproj.io/configmap-type'], 'Cache');
  assert.ok(cm.data?.['answer-v1']);
});

test('an http input artifact is fetched by the server and lands at its path in the step', async () => {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.end('weights from http\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    await d.ok(['create', '-f', '-'], `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: http-input }
spec:
  entrypoint: main
  templates:
  - name: main
    inputs:
      artifacts:
      - { name: weights, path: /tmp/in/weights.txt, http: { url: "http://127.0.0.1:${port}/w" } }
    container: { image: busybox, command: [cat, /tmp/in/weights.txt] }
`);
    const wf = await waitDone('http-input');
    assert.equal(wf.status?.phase, 'Succeeded');
    const full = await d.json<{ status?: { nodes?: Record<string, { outputs?: { result?: string } }> } }>(['get', 'workflow', 'http-input']);
    assert.equal(full.status?.nodes?.['http-input']?.outputs?.result, 'weights from http');
  } finally {
    server.close();
  }
});

test('an input artifact with subPath takes one file out of an archived directory', async () => {
  await d.ok(['create', '-f', '-'], `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: subpath }
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - { name: make, template: make }
    - - name: read
        template: read
        arguments: { artifacts: [{ name: cfg, from: "{{steps.make.outputs.artifacts.dir}}", subPath: conf/app.txt }] }
  - name: make
    container: { image: busybox, command: [sh, -c, 'mkdir -p /tmp/out/conf && echo picked > /tmp/out/conf/app.txt && echo other > /tmp/out/x.txt'] }
    outputs: { artifacts: [{ name: dir, path: /tmp/out }] }
  - name: read
    inputs: { artifacts: [{ name: cfg, path: /tmp/app.txt }] }
    container: { image: busybox, command: [cat, /tmp/app.txt] }
`);
  assert.equal((await waitDone('subpath')).status?.phase, 'Succeeded');
  assert.equal(await printed(await d.json<FullWf>(['get', 'workflow', 'subpath']), 'read', d), 'picked');
});

test('resume --output-parameter supplies a suspend node\'s valueFrom.supplied parameter to the next step', async () => {
  await d.ok(['create', '-f', '-'], `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: approval }
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - { name: approve, template: approve }
    - - { name: act, template: act, arguments: { parameters: [{ name: d, value: "{{steps.approve.outputs.parameters.decision}}" }] } }
  - name: approve
    suspend: {}
    outputs: { parameters: [{ name: decision, valueFrom: { supplied: {} } }] }
  - name: act
    inputs: { parameters: [{ name: d }] }
    container: { image: busybox, command: [echo, "decision={{inputs.parameters.d}}"] }
`);
  await sleep(500);
  assert.match(await d.ok(['resume', 'approval', '--node-field-selector', 'displayName=approve', '--output-parameter', 'decision=ship-it']), /workflow\/approval resumed/);
  assert.equal((await waitDone('approval')).status?.phase, 'Succeeded');
  assert.equal(await printed(await d.json<FullWf>(['get', 'workflow', 'approval']), 'act', d), 'decision=ship-it');
});
