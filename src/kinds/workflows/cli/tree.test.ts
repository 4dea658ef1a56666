import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podName } from '../names.js';
import type { NodeStatus } from '../types.js';
import { compareSiblings, displayOrder, indexFromDisplayName, nodeIcon, renderHeader, renderTree, renderWorkflow } from './tree.js';
import type { WorkflowObject } from './status.js';

const NOW = Date.parse('2024-01-01T01:00:00Z');
/** Seconds after midnight as a timestamp. */
const at = (s: number) => new Date(Date.parse('2024-01-01T00:00:00Z') + s * 1000).toISOString().replace('.000Z', 'Z');

type N = Partial<NodeStatus> & { id: string; name: string; type: string };

function wf(name: string, nodes: N[], extra: Partial<WorkflowObject> = {}): WorkflowObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name, namespace: 'default', creationTimestamp: at(0) },
    spec: { entrypoint: 'main', templates: [] },
    status: { phase: 'Succeeded', startedAt: at(0), finishedAt: at(20), nodes: Object.fromEntries(nodes.map((n) => [n.id, n as NodeStatus])) },
    ...extra,
  } as WorkflowObject;
}

function pod(wfName: string, id: string, name: string, displayName: string, template: string, start: number, end: number | undefined, boundaryID: string, phase = 'Succeeded', message?: string): N {
  return {
    id, name, displayName, type: 'Pod', templateName: template, phase, boundaryID, startedAt: at(start), ...(end !== undefined ? { finishedAt: at(end) } : {}),
    ...(message ? { message } : {}),
  };
}

/** The tree without the header, as lines (trailing spaces are already trimmed by the renderer). */
const tree = (w: WorkflowObject, wide = false) => renderTree(w, { now: NOW, wide }).split('\n').slice(1, -1);
/** A row's cells: split where two or more spaces follow text (the tree's own indentation stays). */
const cells = (line: string) => line.split(/(?<=\S) {2,}/);

test('steps: groups run in order, a loop\'s items branch from their group, the exit handler follows the tree', () => {
  const w = wf('steps', [
    { id: 'steps', name: 'steps', displayName: 'steps', type: 'Steps', templateName: 'main', phase: 'Succeeded', startedAt: at(0), finishedAt: at(9), children: ['sg0'] },
    { id: 'sg0', name: 'steps[0]', displayName: '[0]', type: 'StepGroup', templateName: 'main', phase: 'Succeeded', boundaryID: 'steps', startedAt: at(0), children: ['prep'] },
    pod('steps', 'prep', 'steps[0].prepare', 'prepare', 'echo', 0, 1, 'steps'),
    { id: 'sg1', name: 'steps[1]', displayName: '[1]', type: 'StepGroup', templateName: 'main', phase: 'Succeeded', boundaryID: 'steps', startedAt: at(2), children: ['t1', 't0', 't2'] },
    // Items that start together are ordered by their loop index, not by name.
    pod('steps', 't0', 'steps[1].train(0:c)', 'train(0:c)', 'train', 2, 5, 'steps'),
    pod('steps', 't1', 'steps[1].train(1:b)', 'train(1:b)', 'train', 2, 4, 'steps'),
    pod('steps', 't2', 'steps[1].train(2:a)', 'train(2:a)', 'train', 2, 3, 'steps', 'Failed', 'Error (exit code 1)'),
    pod('steps', 'exit', 'steps.onExit', 'steps.onExit', 'notify', 10, 11, '', 'Succeeded'),
  ]);
  const p = (template: string, node: string) => podName('steps', template, node);
  const lines = tree(w);
  assert.deepEqual(lines.map(cells), [
    ['STEP', 'TEMPLATE', 'PODNAME', 'DURATION', 'MESSAGE'],
    [' ✔ steps', 'main'],
    [' ├───✔ prepare', 'echo', p('echo', 'steps[0].prepare'), '1s'],
    [' └─┬─✔ train(0:c)', 'train', p('train', 'steps[1].train(0:c)'), '3s'],
    ['   ├─✔ train(1:b)', 'train', p('train', 'steps[1].train(1:b)'), '2s'],
    ['   └─✖ train(2:a)', 'train', p('train', 'steps[1].train(2:a)'), '1s', 'Error (exit code 1)'],
    [''],
    [' ✔ steps.onExit', 'notify', p('notify', 'steps.onExit'), '1s'],
  ]);
  // One table: each column starts at the same place on every row, the exit handler's included.
  for (const header of ['TEMPLATE', 'PODNAME', 'DURATION']) {
    const col = lines[0]!.indexOf(header);
    for (const row of [2, 3, 7]) {
      const chars = [...lines[row]!];
      assert.ok(chars[col - 1] === ' ' && chars[col] !== ' ', `${header} column on row ${row}: ${lines[row]}`);
    }
  }
});

test('a DAG lists its tasks under it by start time; an omitted task is left out, a skipped one shows ○', () => {
  const w = wf('diamond', [
    { id: 'diamond', name: 'diamond', displayName: 'diamond', type: 'DAG', templateName: 'diamond', phase: 'Succeeded', startedAt: at(0), finishedAt: at(9), children: ['a'] },
    { ...pod('diamond', 'a', 'diamond.A', 'A', 'echo', 0, 1, 'diamond'), children: ['b', 'c'] },
    { ...pod('diamond', 'c', 'diamond.C', 'C', 'echo', 2, 4, 'diamond'), children: ['d'] },
    { ...pod('diamond', 'b', 'diamond.B', 'B', 'echo', 2, 3, 'diamond'), children: ['d'] },
    pod('diamond', 'd', 'diamond.D', 'D', 'echo', 5, 6, 'diamond'),
    { id: 'e', name: 'diamond.E', displayName: 'E', type: 'Skipped', templateName: 'echo', phase: 'Skipped', boundaryID: 'diamond', startedAt: at(7), finishedAt: at(7), message: "when 'false' evaluated false" },
    { id: 'f', name: 'diamond.F', displayName: 'F', type: 'Skipped', templateName: 'echo', phase: 'Omitted', boundaryID: 'diamond', startedAt: at(7), finishedAt: at(7), message: 'omitted: depends condition not met' },
  ]);
  const rows = tree(w).map(cells);
  assert.deepEqual(rows.map((r) => r[0]), ['STEP', ' ✔ diamond', ' ├─✔ A', ' ├─✔ B', ' ├─✔ C', ' ├─✔ D', ' └─○ E'], 'F was omitted: no row, and E is the last branch');
  assert.deepEqual(rows[6], [' └─○ E', 'echo', "when 'false' evaluated false"], 'a skipped node has no pod and no duration');
  assert.equal(rows[2]![2], podName('diamond', 'echo', 'diamond.A'));
  assert.deepEqual(rows[1], [' ✔ diamond', 'diamond'], 'the DAG node itself has no pod');
});

test('a retry node branches into its attempts; with one attempt the attempt takes its place', () => {
  const steps = (attempts: N[]): N[] => [
    { id: 'r', name: 'r', displayName: 'r', type: 'Steps', templateName: 'main', phase: 'Succeeded', startedAt: at(0), children: ['sg'] },
    { id: 'sg', name: 'r[0]', displayName: '[0]', type: 'StepGroup', templateName: 'main', phase: 'Succeeded', boundaryID: 'r', startedAt: at(0), children: ['retry'] },
    { id: 'retry', name: 'r[0].flaky', displayName: 'flaky', type: 'Retry', templateName: 'flaky', phase: 'Succeeded', boundaryID: 'r', startedAt: at(0), children: attempts.map((a) => a.id) },
    ...attempts,
  ];
  const twice = wf('r', steps([
    pod('r', 'a1', 'r[0].flaky(1)', 'flaky(1)', 'flaky', 3, 4, 'r'),
    pod('r', 'a0', 'r[0].flaky(0)', 'flaky(0)', 'flaky', 0, 1, 'r', 'Failed', 'Error (exit code 1)'),
  ]));
  assert.deepEqual(tree(twice).map(cells), [
    ['STEP', 'TEMPLATE', 'PODNAME', 'DURATION', 'MESSAGE'],
    [' ✔ r', 'main'],
    [' └───✔ flaky', 'flaky'],
    ['     ├─✖ flaky(0)', 'flaky', podName('r', 'flaky', 'r[0].flaky(0)'), '1s', 'Error (exit code 1)'],
    ['     └─✔ flaky(1)', 'flaky', podName('r', 'flaky', 'r[0].flaky(1)'), '1s'],
  ]);
  const once = wf('r', steps([pod('r', 'a0', 'r[0].flaky(0)', 'flaky(0)', 'flaky', 0, 1, 'r')]));
  assert.deepEqual(tree(once).map((l) => cells(l)[0]), ['STEP', ' ✔ r', ' └───✔ flaky(0)']);
});

test('a running pod counts its duration to now; pending, running, error and waiting-suspend nodes get their icons', () => {
  assert.equal(nodeIcon({ type: 'Pod', phase: 'Pending' }), '◷');
  assert.equal(nodeIcon({ type: 'Pod', phase: 'Running' }), '●');
  assert.equal(nodeIcon({ type: 'Pod', phase: 'Error' }), '⚠');
  assert.equal(nodeIcon({ type: 'Suspend', phase: 'Running' }), 'ǁ');
  assert.equal(nodeIcon({ type: 'Suspend', phase: 'Succeeded' }), '✔');
  const w = wf('run', [
    { id: 'run', name: 'run', displayName: 'run', type: 'Steps', templateName: 'main', phase: 'Running', startedAt: at(0), children: ['sg'] },
    { id: 'sg', name: 'run[0]', displayName: '[0]', type: 'StepGroup', templateName: 'main', phase: 'Running', boundaryID: 'run', startedAt: at(0), children: ['s', 'p'] },
    { id: 's', name: 'run[0].approve', displayName: 'approve', type: 'Suspend', templateName: 'approve', phase: 'Running', boundaryID: 'run', startedAt: at(0) },
    pod('run', 'p', 'run[0].work', 'work', 'work', 3000, undefined, 'run', 'Running'),
  ]);
  w.status = { ...w.status, phase: 'Running' };
  delete w.status.finishedAt;
  const rows = tree(w).map(cells);
  assert.deepEqual(rows.map((r) => r[0]), ['STEP', ' ● run', ' └─┬─ǁ approve', '   └─● work']);
  assert.equal(rows[3]![3], '10m', 'started 600 s before now and still running');
  assert.match(renderHeader(w, { now: NOW, tzOffsetMinutes: 0 }), /^Status: {14}Running \(Suspended\)$/m);
  assert.match(renderHeader(w, { now: NOW, tzOffsetMinutes: 0 }), /^Duration: {12}1 hour 0 minutes$/m);
});

test('the header shows what argo get shows, and the tree waits for a root node', () => {
  const w = wf('hello-x7k2p', [], {
    spec: { entrypoint: 'main', templates: [], arguments: { parameters: [{ name: 'message', value: 'goodbye' }, { name: 'unset' }] } },
    status: {
      phase: 'Failed', message: 'child failed', startedAt: at(1), finishedAt: at(66),
      conditions: [{ type: 'PodRunning', status: 'False' }, { type: 'Completed', status: 'True' }],
      outputs: { parameters: [{ name: 'result', value: '42' }] },
      nodes: {},
    },
  });
  assert.equal(
    renderWorkflow(w, { now: NOW, tzOffsetMinutes: 0 }),
    [
      'Name:                hello-x7k2p',
      'Namespace:           default',
      'ServiceAccount:      unset (will run with the default ServiceAccount)',
      'Status:              Failed',
      'Message:             child failed',
      'Conditions:',
      ' PodRunning          False',
      ' Completed           True',
      'Created:             Mon Jan 01 00:00:00 +0000 (1 hour ago)',
      'Started:             Mon Jan 01 00:00:01 +0000 (59 minutes ago)',
      'Finished:            Mon Jan 01 00:01:06 +0000 (58 minutes ago)',
      'Duration:            1 minute 5 seconds',
      'Progress:',
      'Parameters:',
      '  message:           goodbye',
      'Output Parameters:',
      '  result:            42',
      '',
    ].join('\n'),
  );
  const terminated = wf('t', [], { spec: { entrypoint: 'main', templates: [], shutdown: 'Terminate', workflowTemplateRef: { name: 'tmpl' } } });
  terminated.status!.phase = 'Failed';
  const h = renderHeader(terminated, { now: NOW, tzOffsetMinutes: 0 });
  assert.match(h, /^ServiceAccount: {6}unset$/m);
  assert.match(h, /^Status: {14}Failed \(Terminated\)$/m);
});

test('progress counts succeeded pods over all pods unless the server wrote it', () => {
  const w = wf('p', [
    { id: 'p', name: 'p', displayName: 'p', type: 'DAG', templateName: 'main', phase: 'Running', startedAt: at(0) },
    pod('p', 'a', 'p.a', 'a', 'x', 0, 1, 'p'),
    pod('p', 'b', 'p.b', 'b', 'x', 0, undefined, 'p', 'Running'),
  ]);
  assert.match(renderHeader(w, { now: NOW }), /^Progress: {12}1\/2$/m);
  w.status!.progress = '3/7';
  assert.match(renderHeader(w, { now: NOW }), /^Progress: {12}3\/7$/m);
});

test('-o wide adds artifacts, resources duration and the node name; colour wraps only the icon', () => {
  const w = wf('w', [
    { id: 'w', name: 'w', displayName: 'w', type: 'DAG', templateName: 'main', phase: 'Succeeded', startedAt: at(0) },
    { ...pod('w', 'a', 'w.a', 'a', 'x', 0, 1, 'w'), hostNodeName: 'laptop', outputs: { artifacts: [{ name: 'model' }, { name: 'log' }] }, resourcesDuration: { cpu: 1, memory: 2 } },
  ]);
  const rows = tree(w, true).map(cells);
  assert.deepEqual(rows[0], ['STEP', 'TEMPLATE', 'PODNAME', 'DURATION', 'ARTIFACTS', 'MESSAGE', 'RESOURCESDURATION', 'NODENAME']);
  assert.deepEqual(rows[2], [' └─✔ a', 'x', podName('w', 'x', 'w.a'), '1s', 'model,log', '1s*(1 cpu),2s*(100Mi memory)', 'laptop']);
  const colored = renderTree(w, { now: NOW, color: true }).split('\n');
  assert.ok(colored[2]!.startsWith(' \x1b[32m✔\x1b[0m w'), JSON.stringify(colored[2]));
  assert.ok(colored[3]!.startsWith(' └─\x1b[32m✔\x1b[0m a'), JSON.stringify(colored[3]));
});

test('loop items are ordered by index when they start together', () => {
  assert.equal(indexFromDisplayName('sleep(10:ten)'), 10);
  assert.equal(indexFromDisplayName('sleep'), -1);
  const n = (displayName: string): NodeStatus => ({ id: displayName, name: displayName, displayName, type: 'Pod', startedAt: at(0) }) as NodeStatus;
  const sorted = ['sleep(10:ten)', 'sleep(9:nine)', 'sleep(2:two)'].map(n).sort(compareSiblings).map((x) => x.displayName);
  assert.deepEqual(sorted, ['sleep(2:two)', 'sleep(9:nine)', 'sleep(10:ten)']);
});

test('tasks that start in the same second are listed in dependency order, then by name', () => {
  // Times have one-second resolution: a quick diamond starts all four in one second.
  const w = wf('dag', [
    { id: 'dag', name: 'dag', displayName: 'dag', type: 'DAG', templateName: 'main', phase: 'Succeeded', startedAt: at(0), children: ['z'] },
    { ...pod('dag', 'z', 'dag.z', 'z', 'echo', 0, 0, 'dag'), children: ['y', 'b'] },
    { ...pod('dag', 'y', 'dag.y', 'y', 'echo', 0, 0, 'dag'), children: ['a'] },
    { ...pod('dag', 'b', 'dag.b', 'b', 'echo', 0, 0, 'dag'), children: ['a'] },
    pod('dag', 'a', 'dag.a', 'a', 'echo', 0, 0, 'dag'),
    pod('dag', 'exit', 'dag.onExit', 'dag.onExit', 'notify', 0, 0, ''),
  ]);
  assert.deepEqual(tree(w).map((l) => cells(l)[0]), ['STEP', ' ✔ dag', ' ├─✔ z', ' ├─✔ b', ' ├─✔ y', ' └─✔ a', '', ' ✔ dag.onExit']);
  assert.deepEqual(displayOrder(w), ['dag', 'z', 'b', 'y', 'a', 'exit'], 'the order logs print pods in');
});

test('a loop of more than 10 items shows its first 5 and one row counting the rest by phase; noCollapse (-o wide) lists them all', () => {
  const items = Array.from({ length: 14 }, (_, i) =>
    pod('fan', `f${i}`, `fan.shard(${i}:${i})`, `shard(${i}:${i})`, 'work', 1, i === 12 ? undefined : 3, 'fan', i === 12 ? 'Running' : i === 13 ? 'Failed' : 'Succeeded'),
  );
  const w = wf('fan', [
    { id: 'fan', name: 'fan', displayName: 'fan', type: 'DAG', templateName: 'main', phase: 'Running', startedAt: at(0) },
    pod('fan', 'prep', 'fan.prep', 'prep', 'work', 0, 1, 'fan'),
    ...items,
    pod('fan', 'small0', 'fan.small(0:a)', 'small(0:a)', 'work', 4, 5, 'fan'),
  ]);
  const lines = tree(w).map(cells);
  assert.deepEqual(lines.map((c) => c[0]), [
    'STEP', ' ● fan', ' ├─✔ prep', ' ├─✔ shard(0:0)', ' ├─✔ shard(1:1)', ' ├─✔ shard(2:2)', ' ├─✔ shard(3:3)', ' ├─✔ shard(4:4)', ' ├─⋯ 9 more shard(…)', ' └─✔ small(0:a)',
  ]);
  assert.deepEqual(lines[8]!.slice(1), ['work', '1 ● Running, 1 ✖ Failed, 7 ✔ Succeeded (-o wide lists them)']);
  const all = renderTree(w, { now: NOW, noCollapse: true }).split('\n').slice(1, -1);
  assert.equal(all.length, 1 + 1 + 1 + 14 + 1);
  assert.ok(!all.some((l) => l.includes('more shard')));
});

test('a loop of 10 items or fewer is not collapsed', () => {
  const w = wf('ten', [
    { id: 'ten', name: 'ten', displayName: 'ten', type: 'DAG', templateName: 'main', phase: 'Succeeded', startedAt: at(0) },
    ...Array.from({ length: 10 }, (_, i) => pod('ten', `t${i}`, `ten.x(${i}:${i})`, `x(${i}:${i})`, 'work', 1, 2, 'ten')),
  ]);
  assert.equal(tree(w).length, 1 + 1 + 10);
});
