/**
 * parallelism, counted by the pass: the workflow's caps its running pods, a template's caps its
 * running children.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { passInput, Sim } from './testkit.js';
import { runPass } from './pass.js';
import type { PassInput } from './operation.js';

test('workflow parallelism 2: four parallel DAG tasks never run more than two at a time, and two do run together', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  parallelism: 2
  templates:
  - name: main
    dag:
      tasks:
      - {name: t1, template: t}
      - {name: t2, template: t}
      - {name: t3, template: t}
      - {name: t4, template: t}
  - name: t
    container: {image: alpine, command: [sleep, "0.5"]}
`);
  let calls = 0;
  // Each pod runs for one tick before it ends.
  const status = sim.run(() => (++calls % 2 === 0 ? {} : undefined));
  assert.equal(status?.phase, 'Succeeded');
  assert.equal(sim.maxRunning, 2);
  assert.equal(sim.started.length, 4);
});

test('template parallelism 2: a loop of four steps never runs more than two at a time, and two do run together', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  templates:
  - name: main
    parallelism: 2
    steps:
    - - {name: each, template: t, withItems: [1, 2, 3, 4]}
  - name: t
    container: {image: alpine, command: [sleep, "0.5"]}
`);
  const seen = new Set<string>();
  const status = sim.run((n) => (seen.has(n) ? {} : (seen.add(n), undefined)));
  assert.equal(status?.phase, 'Succeeded');
  assert.equal(sim.maxRunning, 2);
  assert.equal(sim.started.length, 4);
});

test('a wide DAG loop gives the same nodes, pods and outcome whether or not each pass gets the last pass’s memo (items out of order, failures let through by continueOn)', () => {
  const yaml = (continueOn: boolean) => `
spec:
  entrypoint: main
  parallelism: 5
  templates:
  - name: main
    dag:
      tasks:
      - {name: fan, template: t, withSequence: {count: "40"}${continueOn ? ', continueOn: {failed: true}' : ''}}
      - {name: collect, depends: fan, template: t}
  - name: t
    container: {image: alpine, command: ['true']}
`;
  for (const continueOn of [true, false]) {
    const runs = [true, false].map((useMemo) => {
      const sim = new Sim(yaml(continueOn));
      sim.useMemo = useMemo;
      let tick = 0;
      // Items end out of order: on each tick only those whose index has the tick's parity.
      const status = sim.run((nodeName) => {
        const i = Number(/\((\d+):/.exec(nodeName)?.[1] ?? -1);
        if (i >= 0 && (i + tick++) % 3 !== 0) return undefined;
        return { exitCode: i === 17 ? 1 : 0 };
      });
      const nodes = Object.values(status?.nodes ?? {})
        .map((n) => `${n.displayName} ${n.phase} ${(n.children ?? []).length}`)
        .sort();
      return { phase: status?.phase, nodes, created: [...sim.created].sort(), maxRunning: sim.maxRunning };
    });
    assert.deepEqual(runs[0], runs[1], `continueOn ${continueOn}`);
    assert.equal(runs[0]!.phase, continueOn ? 'Succeeded' : 'Failed');
    assert.ok(runs[0]!.maxRunning <= 5);
  }
});

test('a wide steps group (two loops and a plain step) gives the same nodes, pods, messages and outcome whether or not each pass gets the last pass’s memo', () => {
  const yaml = (continueOn: boolean, parallelism: string) => `
spec:
  entrypoint: main
  ${parallelism}
  templates:
  - name: main
    ${parallelism.startsWith('  ') ? 'parallelism: 4' : ''}
    steps:
    - - {name: a, template: t, withSequence: {count: "25"}${continueOn ? ', continueOn: {failed: true}' : ''}}
      - {name: single, template: t}
      - {name: b, template: t, withItems: [x, y, z, w, v, u]}
    - - {name: after, template: t}
  - name: t
    container: {image: alpine, command: ['true']}
`;
  for (const continueOn of [true, false]) {
    for (const parallelism of ['parallelism: 3', '  ']) {
      const runs = [true, false].map((useMemo) => {
        const sim = new Sim(yaml(continueOn, parallelism));
        sim.useMemo = useMemo;
        let tick = 0;
        // Items end out of order (at most 4 run, so the count modulo 5 keeps moving); a(7) and b(2:z) fail.
        const status = sim.run((nodeName) => {
          const i = Number(/\((\d+):/.exec(nodeName)?.[1] ?? -1);
          if (i >= 0 && (i + tick++) % 5 !== 0) return undefined;
          return { exitCode: /\.a\(7:/.test(nodeName) || /\.b\(2:/.test(nodeName) ? 1 : 0 };
        });
        const nodes = Object.values(status?.nodes ?? {})
          .map((n) => `${n.displayName} ${n.phase} ${(n.children ?? []).length} ${n.message ?? ''}`)
          .sort();
        return { phase: status?.phase, message: status?.message, nodes, created: [...sim.created].sort(), maxRunning: sim.maxRunning };
      });
      assert.deepEqual(runs[0], runs[1], `continueOn ${continueOn}, ${parallelism}`);
      assert.equal(runs[0]!.phase, 'Failed', 'b(2:z) fails the group either way');
      assert.equal(runs[0]!.created.length, 32, 'every item of the group runs once; the failed group runs no later group');
      assert.ok(runs[0]!.maxRunning <= (parallelism.startsWith('  ') ? 4 : 3));
    }
  }
});

test("a resource step holds a place of the workflow's parallelism while it waits (Argo runs it in a pod), and gives it back when it ends", () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  parallelism: 1
  templates:
  - name: main
    steps:
    - - {name: make, template: make}
      - {name: work, template: work}
  - name: make
    resource:
      action: create
      successCondition: status.succeeded > 0
      manifest: |
        apiVersion: batch/v1
        kind: Job
        metadata: {name: train}
        spec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: alpine, command: ["true"]}]}}}
  - name: work
    container: {image: alpine, command: ["true"]}
`);
  const pass = (extra: Partial<PassInput>) => {
    const r = runPass(sim.wf, passInput(sim, extra));
    sim.wf = { ...sim.wf, status: r.status };
    return r;
  };
  const first = pass({});
  assert.deepEqual(first.resources.map((r) => r.action), ['create'], 'the resource step starts');
  assert.deepEqual(first.startPods, [], 'and holds the only place: the pod waits');
  const id = first.resources[0]!.nodeId;
  // The controller is creating the Job (no outcome yet), then waits for it: the place stays taken,
  // also in a pass that starts from the stored status alone (as after a restart).
  assert.deepEqual(pass({ resourcesInFlight: new Set([id]) }).startPods, []);
  const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'train' }, status: {} };
  assert.deepEqual(pass({ resources: new Map([[id, { object: job }]]) }).startPods, []);
  // The Job succeeded: the resource step ends, and the pod starts in the same pass.
  const done = pass({ resources: new Map([[id, { object: { ...job, status: { succeeded: 1 } } }]]) });
  assert.equal(done.status.nodes?.[id]?.phase, 'Succeeded');
  assert.deepEqual(done.startPods.map((p) => p.nodeName), ['wf[0].work']);
  // The other way round: a running pod holds the place, and the resource step waits for it.
  const podFirst = new Sim(`
spec:
  entrypoint: main
  parallelism: 1
  templates:
  - name: main
    steps:
    - - {name: work, template: work}
      - {name: make, template: make}
  - name: make
    resource: {action: get, manifest: "{apiVersion: v1, kind: ConfigMap, metadata: {name: x}}"}
  - name: work
    container: {image: alpine, command: ["true"]}
`);
  const r = runPass(podFirst.wf, passInput(podFirst));
  assert.deepEqual([r.startPods.map((p) => p.nodeName), r.resources], [['wf[0].work'], []]);
});
