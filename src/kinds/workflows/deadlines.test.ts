/**
 * Time limits at the operator level, on an injected clock: the workflow's activeDeadlineSeconds, a
 * template's timeout and activeDeadlineSeconds, and suspend durations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim, T0 } from './testkit.js';

const sleeper = (extraSpec: string, extraTemplate: string) => `
spec:
  entrypoint: main${extraSpec}
  templates:
  - name: main
    steps:
    - - {name: sleepy, template: sleepy}
  - name: sleepy${extraTemplate}
    container: {image: alpine, command: [sh, -c, 'echo started; sleep 30; echo never']}
`;

test('workflow activeDeadlineSeconds 1: at 1 s the running step fails, its pod is deleted, and the workflow fails with "Step exceeded its deadline"', () => {
  const sim = new Sim(sleeper('\n  activeDeadlineSeconds: 1', ''));
  const first = sim.pass();
  assert.equal(first.requeueAfterMs, 1000, 'the pass asks to come back at the deadline');
  sim.running()[0]!.status = { phase: 'Running' };
  sim.now = T0 + 999;
  sim.pass();
  assert.equal(sim.node('sleepy').phase, 'Running', 'not before the deadline');
  sim.now = T0 + 1000;
  const r = sim.pass();
  assert.equal(r.deletePods.length, 1, 'the step’s pod is deleted (the runtime kills its process)');
  assert.equal(sim.pods.size, 0);
  assert.equal(sim.node('sleepy').phase, 'Failed');
  assert.match(sim.node('sleepy').message ?? '', /deadline/);
  assert.equal(sim.wf.status?.phase, 'Failed');
  assert.equal(sim.wf.status?.message, 'Step exceeded its deadline');
});

test('template timeout 1s: the step fails 1 s after it started, its pod is deleted, and the workflow fails', () => {
  const sim = new Sim(sleeper('', '\n    timeout: 1s'));
  sim.pass();
  sim.running()[0]!.status = { phase: 'Running' };
  sim.now = T0 + 500;
  assert.equal(sim.pass().requeueAfterMs, 500, 'the pass asks to come back when the timeout ends');
  assert.equal(sim.node('sleepy').phase, 'Running');
  sim.now = T0 + 1000;
  const r = sim.pass();
  assert.equal(r.deletePods.length, 1);
  assert.equal(sim.node('sleepy').phase, 'Failed');
  assert.match(sim.node('sleepy').message ?? '', /deadline|timeout/i);
  assert.equal(sim.wf.status?.phase, 'Failed');
});

test('template activeDeadlineSeconds becomes the pod’s own; a pod the runtime ended for it fails its step with Argo’s message', () => {
  const sim = new Sim(sleeper('', '\n    activeDeadlineSeconds: 1'));
  sim.pass();
  const pod = sim.running()[0]!;
  assert.equal(pod.spec?.activeDeadlineSeconds, 1);
  sim.end('wf[0].sleepy', { reason: 'DeadlineExceeded' });
  sim.pass();
  assert.equal(sim.node('sleepy').phase, 'Failed');
  assert.equal(sim.node('sleepy').message, 'Pod was active on the node longer than the specified deadline');
  assert.equal(sim.wf.status?.phase, 'Failed');
});

test('a suspend template with duration 2 holds the next step for 2 s from its start (kept in whole seconds), then the steps go on', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: before, template: say}
    - - {name: pause, template: pause}
    - - {name: after, template: say}
  - name: pause
    suspend: {duration: "2"}
  - name: say
    container: {image: alpine, command: [echo, hi]}
`);
  sim.pass();
  sim.now = T0 + 500;
  sim.end('wf[0].before');
  const r = sim.pass();
  const pause = sim.node('pause');
  assert.equal(pause.type, 'Suspend');
  assert.equal(pause.phase, 'Running');
  assert.equal(r.requeueAfterMs, 1500, 'its startedAt is T0 in whole seconds, so it ends at T0 + 2 s');
  sim.now = T0 + 1999;
  assert.equal(sim.pass().startPods.length, 0, 'after does not start before 2 s');
  sim.now = T0 + 2000;
  assert.deepEqual(sim.pass().startPods.map((p) => p.nodeName), ['wf[2].after']);
  assert.equal(sim.node('pause').phase, 'Succeeded');
  sim.end('wf[2].after');
  sim.pass();
  assert.equal(sim.wf.status?.phase, 'Succeeded');
});

test('a suspend template without duration waits however long the clock runs, until resumed', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: pause, template: pause}
  - name: pause
    suspend: {}
`);
  const r = sim.pass();
  assert.equal(r.requeueAfterMs, undefined, 'nothing to wake up for');
  sim.now = T0 + 3600_000;
  sim.pass();
  assert.equal(sim.node('pause').phase, 'Running');
  assert.equal(sim.wf.status?.phase, 'Running');
});

const templated = (value: string, field = 'timeout') => `
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: sleepy, template: sleepy, arguments: {parameters: [{name: v, value: "${value}"}]}}
  - name: sleepy
    inputs: {parameters: [{name: v}]}
    ${field}: "{{inputs.parameters.v}}"
    container: {image: alpine, command: [sh, -c, 'sleep 30']}
`;

test('a template timeout from an input parameter is substituted before it is read: "1s" times the step out at 1 s', () => {
  const sim = new Sim(templated('1s'));
  sim.pass();
  sim.running()[0]!.status = { phase: 'Running' };
  sim.now = T0 + 1000;
  sim.pass();
  assert.equal(sim.node('sleepy').phase, 'Failed');
  assert.equal(sim.wf.status?.phase, 'Failed');
});

test('an invalid templated timeout errs the step before its pod starts, with a message naming the template and the field', () => {
  const sim = new Sim(templated('soon'));
  const r = sim.pass();
  assert.equal(r.startPods.length, 0, 'no pod for a step that can never run');
  assert.equal(sim.node('sleepy').phase, 'Error');
  assert.match(sim.node('sleepy').message ?? '', /template "sleepy": timeout: invalid value "soon"/);
  assert.match(sim.wf.status?.phase ?? '', /^(Failed|Error)$/);
});

test('an invalid templated activeDeadlineSeconds, retryStrategy.limit or parallelism errs its node naming the field', () => {
  const deadline = new Sim(templated('ten', 'activeDeadlineSeconds'));
  deadline.pass();
  assert.match(deadline.node('sleepy').message ?? '', /activeDeadlineSeconds: invalid value "ten"/);
  assert.match(deadline.wf.status?.phase ?? '', /^(Failed|Error)$/);

  const retry = new Sim(`
spec:
  entrypoint: main
  arguments: {parameters: [{name: n, value: many}]}
  templates:
  - name: main
    retryStrategy: {limit: "{{workflow.parameters.n}}"}
    container: {image: alpine, command: [sh, -c, 'exit 1']}
`);
  assert.equal(retry.pass().startPods.length, 0);
  assert.match(retry.wf.status?.message ?? '', /template "main": retryStrategy.limit: invalid value "many"/);
  assert.equal(retry.wf.status?.phase, 'Error');

  const par = new Sim(`
spec:
  entrypoint: main
  arguments: {parameters: [{name: p, value: "x"}]}
  templates:
  - name: main
    parallelism: "{{workflow.parameters.p}}"
    steps:
    - - {name: a, template: a}
  - name: a
    container: {image: alpine, command: ['true']}
`);
  par.pass();
  assert.match(par.wf.status?.message ?? '', /template "main": parallelism: invalid value "x"/);
  assert.match(par.wf.status?.phase ?? '', /^(Failed|Error)$/);
});
