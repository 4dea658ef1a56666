/**
 * podGC and ttlStrategy: which pods go when, and when a finished Workflow is deleted, decided on an
 * injected clock (gc.ts); the controller only carries them out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim, T0 } from './testkit.js';

const gcWorkflow = (strategy: string) => `
spec:
  entrypoint: main
  podGC: {strategy: ${strategy}}
  templates:
  - name: main
    steps:
    - - {name: ok1, template: pass}
      - {name: bad, template: fail, continueOn: {failed: true}}
    - - {name: ok2, template: pass}
  - name: pass
    container: {image: alpine, command: [sh, -c, 'echo ok']}
  - name: fail
    container: {image: alpine, command: [sh, -c, 'exit 1']}
`;

const behave = (n: string) => (n.endsWith('.bad') ? { exitCode: 1 } : { stdout: 'ok' });
const podNodes = (sim: Sim) => [...sim.pods.values()].map((p) => p.metadata!.annotations!['workflows.argoproj.io/node-name']).sort();

test('podGC OnPodSuccess deletes the pods of succeeded steps and keeps the failed one; outputs stay in the workflow', () => {
  const sim = new Sim(gcWorkflow('OnPodSuccess'));
  sim.pass();
  sim.end('wf[0].ok1', { stdout: 'ok' });
  sim.end('wf[0].bad', { exitCode: 1 });
  sim.pass();
  assert.deepEqual(podNodes(sim), ['wf[0].bad', 'wf[1].ok2'], 'ok1’s pod goes as soon as its step is done');
  const status = sim.run(behave);
  assert.equal(status?.phase, 'Succeeded');
  sim.afterFinish();
  assert.deepEqual(podNodes(sim), ['wf[0].bad']);
  assert.equal(sim.node('ok1').outputs?.result, 'ok', 'outputs are kept in the workflow after the pods go');
});

test('podGC OnPodCompletion deletes every step’s pod as soon as its step is done, failed or not', () => {
  const sim = new Sim(gcWorkflow('OnPodCompletion'));
  sim.pass();
  sim.end('wf[0].ok1');
  sim.end('wf[0].bad', { exitCode: 1 });
  sim.pass();
  assert.deepEqual(podNodes(sim), ['wf[1].ok2']);
  sim.run(behave);
  sim.afterFinish();
  assert.equal(sim.pods.size, 0);
});

test('podGC OnWorkflowSuccess keeps the pods while the workflow runs and deletes them all once it succeeds', () => {
  const sim = new Sim(gcWorkflow('OnWorkflowSuccess'));
  sim.pass();
  sim.end('wf[0].ok1');
  sim.end('wf[0].bad', { exitCode: 1 });
  sim.pass();
  assert.equal(sim.pods.size, 3);
  assert.equal(sim.run(behave)?.phase, 'Succeeded');
  assert.equal(sim.pods.size, 3);
  sim.afterFinish();
  assert.equal(sim.pods.size, 0);
});

test('podGC OnWorkflowSuccess keeps every pod of a failed workflow', () => {
  const sim = new Sim(gcWorkflow('OnWorkflowSuccess').replace(', continueOn: {failed: true}', ''));
  assert.equal(sim.run(behave)?.phase, 'Failed');
  const before = sim.pods.size;
  sim.afterFinish();
  assert.equal(sim.pods.size, before);
});

test('without podGC, finished pods stay after the end and a pod still running is deleted', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: bad, template: t}
      - {name: slow, template: t}
  - name: t
    container: {image: alpine, command: ["true"]}
`);
  sim.pass();
  sim.end('wf.bad', { exitCode: 1 });
  sim.running()[0]!.status = { phase: 'Running' };
  sim.wf = { ...sim.wf, status: { ...sim.wf.status, phase: 'Failed', finishedAt: '2026-01-01T00:00:01Z' } };
  const r = sim.afterFinish();
  assert.deepEqual(podNodes(sim), ['wf.bad']);
  assert.equal(r.deleteWorkflow, false);
});

const ttlWorkflow = (ttl: string) => `
spec:
  entrypoint: main
  ttlStrategy: ${ttl}
  templates:
  - name: main
    container: {image: alpine, command: [echo, done]}
`;

test('ttlStrategy.secondsAfterCompletion 1: the finished workflow is deleted 1 s after its finishedAt, and not before', () => {
  const sim = new Sim(ttlWorkflow('{secondsAfterCompletion: 1}'));
  sim.now = T0 + 300;
  assert.equal(sim.run(() => ({}))?.phase, 'Succeeded');
  assert.equal(sim.wf.status?.finishedAt, '2026-01-01T00:00:01Z');
  sim.now = T0 + 1400;
  const early = sim.afterFinish();
  assert.equal(early.deleteWorkflow, false);
  assert.equal(early.requeueAfterMs, 600, 'the controller comes back when the time is up');
  sim.now = T0 + 2000;
  assert.equal(sim.afterFinish().deleteWorkflow, true);
});

test('ttlStrategy: secondsAfterSuccess applies to a success and secondsAfterFailure to a failure, each before secondsAfterCompletion', () => {
  const ttl = '{secondsAfterCompletion: 100, secondsAfterSuccess: 10, secondsAfterFailure: 20}';
  const ok = new Sim(ttlWorkflow(ttl));
  ok.run(() => ({}));
  ok.now = Date.parse(ok.wf.status!.finishedAt!);
  assert.equal(ok.afterFinish().requeueAfterMs, 10_000);
  const bad = new Sim(ttlWorkflow(ttl));
  bad.run(() => ({ exitCode: 1 }));
  bad.now = Date.parse(bad.wf.status!.finishedAt!);
  assert.equal(bad.afterFinish().requeueAfterMs, 20_000);
  const fallback = new Sim(ttlWorkflow('{secondsAfterCompletion: 100, secondsAfterSuccess: 10}'));
  fallback.run(() => ({ exitCode: 1 }));
  fallback.now = Date.parse(fallback.wf.status!.finishedAt!);
  assert.equal(fallback.afterFinish().requeueAfterMs, 100_000);
});

test('without ttlStrategy a finished workflow stays', () => {
  const sim = new Sim(ttlWorkflow('{}').replace('  ttlStrategy: {}\n', ''));
  sim.run(() => ({}));
  sim.now += 3600_000;
  const r = sim.afterFinish();
  assert.equal(r.deleteWorkflow, false);
  assert.equal(r.requeueAfterMs, undefined);
});
