/**
 * The dashboard's workflow graph (web/src/graph.ts, pure), bundled here with esbuild as the
 * dashboard's build does: the order drawn (a DAG's dependencies, step groups in sequence) and the
 * summary that keeps a 10,000-item loop's graph small.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { REPO } from './drover.js';

interface N { id: string; displayName?: string; type?: string; phase?: string; templateName?: string; children?: string[] }
interface Graph {
  runOrder(nodes: Record<string, N>, templates: unknown[]): Record<string, N>;
  visible(nodes: Record<string, N>): { ids: string[]; edges: [string, string][]; summaries: Map<string, string[]> };
  layout(nodes: Record<string, N>): { nodes: { id: string; label: string; phase: string; y: number; summary?: Record<string, number> }[] };
  dependsNames(expr: string): string[];
}

let g: Graph;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-graph-'));
  const out = join(dir, 'graph.mjs');
  await build({ entryPoints: [join(REPO, 'web', 'src', 'graph.ts')], outfile: out, bundle: true, format: 'esm', platform: 'neutral', logLevel: 'warning' });
  g = (await import(pathToFileURL(out).href)) as Graph;
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const nodes = (list: N[]): Record<string, N> => Object.fromEntries(list.map((n) => [n.id, n]));

test('a DAG is drawn in dependency order: each task under the tasks it depends on (dependencies or depends), roots under the DAG', () => {
  const status = nodes([
    { id: 'w', displayName: 'w', type: 'DAG', templateName: 'main', children: ['a', 'b', 'c', 'd'] },
    { id: 'a', displayName: 'first', type: 'Pod' },
    { id: 'b', displayName: 'left', type: 'Pod' },
    { id: 'c', displayName: 'right', type: 'Pod' },
    { id: 'd', displayName: 'last', type: 'Pod' },
  ]);
  const templates = [{ name: 'main', dag: { tasks: [{ name: 'first' }, { name: 'left', dependencies: ['first'] }, { name: 'right', depends: 'first.Succeeded' }, { name: 'last', depends: 'left && (right.Succeeded || right.Failed)' }] } }];
  const ordered = g.runOrder(status, templates);
  assert.deepEqual(ordered['w']!.children, ['a']);
  assert.deepEqual(ordered['a']!.children, ['b', 'c']);
  assert.deepEqual(ordered['b']!.children, ['d']);
  assert.deepEqual(ordered['c']!.children, ['d']);
  assert.deepEqual(status['w']!.children, ['a', 'b', 'c', 'd'], 'the input is left as it was');
  assert.deepEqual(g.dependsNames('left && (right.Succeeded || !right-2.Failed)'), ['left', 'right', 'right-2']);
});

test('step groups are drawn one after another: each group under the steps of the one before', () => {
  const ordered = g.runOrder(nodes([
    { id: 's', type: 'Steps', children: ['g0', 'g1', 'g2'] },
    { id: 'g0', type: 'StepGroup', children: ['x', 'y'] },
    { id: 'x', type: 'Pod' },
    { id: 'y', type: 'Pod' },
    { id: 'g1', type: 'StepGroup', children: [] },
    { id: 'g2', type: 'StepGroup', children: ['z'] },
    { id: 'z', type: 'Pod' },
  ]), []);
  assert.deepEqual(ordered['s']!.children, ['g0']);
  assert.deepEqual(ordered['x']!.children, ['g1']);
  assert.deepEqual(ordered['y']!.children, ['g1']);
  assert.deepEqual(ordered['g1']!.children, ['g2'], 'an empty group leads on by itself');
});

test('a 10,000-item loop is drawn as its first twelve items and one node counting the rest by phase, and the step after it stays', (t) => {
  const items: N[] = Array.from({ length: 10_000 }, (_, i) => ({ id: `i${i}`, displayName: `work(${i})`, type: 'Pod', phase: i % 10 === 0 ? 'Failed' : i < 5000 ? 'Succeeded' : 'Running', children: ['after'] }));
  const status = nodes([{ id: 'loop', type: 'TaskGroup', phase: 'Running', children: items.map((i) => i.id) }, ...items, { id: 'after', displayName: 'report', type: 'Pod', phase: 'Pending' }]);
  const started = performance.now();
  const laid = g.layout(status);
  t.diagnostic(`layout of a 10,001-node status: ${Math.round(performance.now() - started)} ms`);
  assert.equal(laid.nodes.length, 1 + 12 + 1 + 1);
  const more = laid.nodes.find((n) => n.label === '+9988 more')!;
  assert.equal(more.phase, 'Failed', 'a failure among the hidden items shows');
  assert.equal((more.summary!['Failed'] ?? 0) + (more.summary!['Succeeded'] ?? 0) + (more.summary!['Running'] ?? 0), 9988);
  const after = laid.nodes.find((n) => n.label === 'report')!;
  assert.ok(after.y > more.y, 'the step after the loop is drawn below it');
});
