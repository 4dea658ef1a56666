/**
 * parallelism, counted by the pass: the workflow's caps its running pods, a template's caps its
 * running children.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from './testkit.js';

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
