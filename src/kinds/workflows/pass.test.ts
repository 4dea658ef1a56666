/**
 * The pass as a pure function: what it asks the controller to do around it (stage and create
 * pods, read outputs), how a step's end reaches it, and that running it again on the same state
 * (a crash before its decisions were carried out) asks for the same things under the same names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPass } from './pass.js';
import { passInput, Sim, T0 } from './testkit.js';
import { passRelevant } from './controller.js';
import type { Pod } from '../../api/types.js';

const TWO_STEPS = `
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: world}]}
  templates:
  - name: main
    steps:
    - - {name: a, template: say, arguments: {parameters: [{name: m, value: "hello {{workflow.parameters.who}}"}]}}
    - - {name: b, template: say, arguments: {parameters: [{name: m, value: "{{steps.a.outputs.result}}!"}]}}
  - name: say
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
`;

test('a new step comes back as a plan (resolved template, bound inputs, pod name), to be staged and created after the status is written', () => {
  const sim = new Sim(TWO_STEPS);
  const r = runPass(sim.wf, passInput(sim));
  assert.equal(r.startPods.length, 1);
  const plan = r.startPods[0]!;
  assert.equal(plan.nodeName, 'wf[0].a');
  assert.deepEqual(plan.template.container?.command, ['echo', 'hello world']);
  assert.deepEqual(plan.inputs, { parameters: [{ name: 'm', value: 'hello world' }] });
  assert.equal(r.status.nodes?.[plan.nodeId]?.phase, 'Pending', 'the node is in the status the controller writes first');
  assert.deepEqual(r.collect, []);
});

test("a step's stdout is kept only where its steps or DAG template names its result (by tag or in an expression), as Argo decides; the entrypoint's always", () => {
  const sim = new Sim(TWO_STEPS);
  assert.equal(runPass(sim.wf, passInput(sim)).startPods[0]?.captureResult, true, 'a is named by b');
  sim.pass();
  sim.end('wf[0].a', { stdout: 'hello world' });
  const b = runPass(sim.wf, passInput(sim, { outputs: sim.outputs })).startPods[0]!;
  assert.equal(b.nodeName, 'wf[1].b');
  assert.equal(b.captureResult, false, 'nothing names b');
  const dag = (ref: string) => new Sim(`
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: my-task, template: say}
      - {name: next, template: say, depends: my-task, when: "${ref}"}
  - name: say
    container: {image: alpine, command: [echo, hi]}
`);
  for (const ref of ["{{=tasks['my-task'].outputs.result == 'hi'}}", '{{tasks.my-task.outputs.result}} == hi']) {
    const d = dag(ref);
    assert.equal(runPass(d.wf, passInput(d)).startPods[0]?.captureResult, true, ref);
  }
  const d = dag('{{tasks.my-task.status}} == Succeeded');
  assert.equal(runPass(d.wf, passInput(d)).startPods[0]?.captureResult, false);
  const lone = new Sim(`
spec:
  entrypoint: say
  templates:
  - name: say
    container: {image: alpine, command: [echo, hi]}
`);
  assert.equal(runPass(lone.wf, passInput(lone)).startPods[0]?.captureResult, true, 'the entrypoint has no template above it to name it');
});

test('a finished pod whose outputs were not handed in is asked for in collect, and its node stays unfinished until they are', () => {
  const sim = new Sim(TWO_STEPS);
  sim.pass();
  sim.end('wf[0].a', { stdout: 'hello world' });
  const without = runPass(sim.wf, passInput(sim));
  assert.deepEqual(without.collect.map((c) => c.nodeId), [sim.node('a').id]);
  assert.deepEqual(without.collect[0]!.template.container?.command, ['echo', 'hello world'], 'the request carries the resolved template: what to read');
  assert.notEqual(without.status.nodes?.[sim.node('a').id]?.phase, 'Succeeded');
  assert.equal(without.startPods.length, 0, 'the next step waits for the outputs');
  const withOutputs = runPass(sim.wf, passInput(sim, { outputs: sim.outputs }));
  assert.deepEqual(withOutputs.collect, []);
  assert.equal(withOutputs.status.nodes?.[sim.node('a').id]?.phase, 'Succeeded');
  assert.deepEqual(withOutputs.startPods[0]?.template.container?.command, ['echo', 'hello world!']);
});

test('after a restart (outputs read only on request) a workflow still runs to the end, each step once', () => {
  const sim = new Sim(TWO_STEPS);
  sim.readOnRequest = true;
  const status = sim.run((_n, pod) => ({ stdout: Sim.argv(pod)[1] }));
  assert.equal(status?.phase, 'Succeeded');
  assert.equal(sim.node('b').outputs?.result, 'hello world!');
  assert.deepEqual(sim.started, ['wf[0].a', 'wf[1].b']);
});

test('a staging failure handed to the next pass ends the step in Error with its message, without a pod', () => {
  const sim = new Sim(TWO_STEPS);
  const first = runPass(sim.wf, passInput(sim));
  const id = first.startPods[0]!.nodeId;
  sim.wf = { ...sim.wf, status: first.status };
  const r = runPass(sim.wf, passInput(sim, { stepErrors: new Map([[id, 'inputs.artifacts.data: artifact x not found in the repository']]) }));
  assert.equal(r.startPods.length, 0);
  assert.equal(r.status.nodes?.[id]?.phase, 'Error');
  assert.equal(r.status.nodes?.[id]?.message, 'inputs.artifacts.data: artifact x not found in the repository');
  assert.equal(r.status.phase, 'Failed');
});

test('the same state passed twice (a crash after the status write, before the pods) asks for the same pod again, under the same name', () => {
  const sim = new Sim(TWO_STEPS);
  const first = runPass(sim.wf, passInput(sim));
  sim.wf = { ...sim.wf, status: first.status };
  const again = runPass(sim.wf, passInput(sim));
  assert.deepEqual(again.startPods.map((p) => p.podName), first.startPods.map((p) => p.podName));
  assert.deepEqual(again.status.nodes, first.status.nodes);
});

test('a pass decides from its inputs alone: the same workflow, pods and clock give the same result', () => {
  const sim = new Sim(TWO_STEPS);
  sim.pass();
  sim.now = T0 + 5000;
  sim.end('wf[0].a', { stdout: 'x' });
  const a = runPass(sim.wf, passInput(sim, { outputs: sim.outputs }));
  const b = runPass(sim.wf, passInput(sim, { outputs: sim.outputs }));
  assert.deepEqual(a, b);
});

test('outputs the repository refused to take (a step I/O error) end the finished step in Error with the message', () => {
  const sim = new Sim(TWO_STEPS);
  sim.pass();
  sim.end('wf[0].a', { stdout: 'hello world' });
  const id = sim.node('a').id;
  const r = runPass(sim.wf, passInput(sim, { stepErrors: new Map([[id, 'artifact repository unreachable']]) }));
  assert.deepEqual(r.collect, [], 'nothing more to read');
  assert.equal(r.status.nodes?.[id]?.phase, 'Error');
  assert.equal(r.status.nodes?.[id]?.message, 'artifact repository unreachable');
  assert.equal(r.status.phase, 'Failed');
});

test('a template that calls itself without end fails with Maximum recursion depth exceeded instead of growing for ever', () => {
  const sim = new Sim(`
spec:
  entrypoint: loop
  templates:
  - name: loop
    steps:
    - - {name: step, template: say}
    - - {name: again, template: loop}
  - name: say
    container: {image: alpine, command: ["true"]}
`);
  const status = sim.run(() => ({}));
  assert.equal(status?.phase, 'Failed');
  const nodes = Object.values(status?.nodes ?? {});
  assert.ok(nodes.some((n) => n.phase === 'Error' && /^Maximum recursion depth exceeded/.test(n.message ?? '')), 'the node past the limit says why');
  assert.ok(nodes.length < 400, `bounded: ${nodes.length} nodes`);
});

test('only what a pass reads of a pod brings a pass: its phase and why it cannot be scheduled, not its bind or a waiting message', () => {
  const made: Pod = { metadata: { name: 'p' }, spec: { containers: [] } };
  // The scheduler's bind: the node, the condition, and the phase a pod made without one has.
  const bound: Pod = { ...made, spec: { ...made.spec!, nodeName: 'local' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] } };
  const creating: Pod = { ...bound, status: { ...bound.status, containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] } };
  assert.equal(passRelevant(bound), passRelevant(made));
  assert.equal(passRelevant(creating), passRelevant(made));
  const pending: Pod = { ...made, status: { phase: 'Pending' } };
  const unschedulable: Pod = { ...made, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message: '0/1 nodes are available: 1 Insufficient cpu.' }] } };
  assert.notEqual(passRelevant(unschedulable), passRelevant(pending));
  assert.notEqual(passRelevant({ ...made, status: { phase: 'Running' } }), passRelevant(pending));
  assert.notEqual(passRelevant({ ...made, status: { phase: 'Succeeded' } }), passRelevant({ ...made, status: { phase: 'Running' } }));
  assert.notEqual(passRelevant({ ...made, metadata: { ...made.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } }), passRelevant(made));
});
