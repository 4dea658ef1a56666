import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.js';
import { toTable, wantsTable } from './tables.js';

const NOW = Date.parse('2024-01-01T01:00:00Z');

test('a Table is asked for by the meta.k8s.io Table media type, unless plain JSON comes first', () => {
  assert.equal(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'), true);
  assert.equal(wantsTable('application/json'), false);
  assert.equal(wantsTable(undefined), false);
  assert.equal(wantsTable('application/json, application/json;as=Table;v=v1;g=meta.k8s.io'), false);
});

test("a Table has the kind's columns (wide ones at priority 1), its rows' cells, and each row's metadata", () => {
  const job = {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'train', namespace: 'ml', creationTimestamp: '2024-01-01T00:59:00Z' },
    spec: { completions: 1, template: { spec: { containers: [{ name: 'main', image: 'python' }] } } },
    status: { succeeded: 1, startTime: '2024-01-01T00:59:00Z', completionTime: '2024-01-01T00:59:30Z', conditions: [{ type: 'Complete', status: 'True' }] },
  } as KubeObject;
  const t = toTable('Job', [job], { now: NOW, include: 'Metadata', resourceVersion: '7' }) as {
    metadata: unknown; columnDefinitions: { name: string; priority: number; format: string }[]; rows: { cells: string[]; object: { kind: string; metadata: { name: string } } }[];
  };
  assert.deepEqual(t.metadata, { resourceVersion: '7' });
  assert.deepEqual(t.columnDefinitions.map((c) => [c.name, c.priority]), [['NAME', 0], ['STATUS', 0], ['COMPLETIONS', 0], ['DURATION', 0], ['AGE', 0], ['CONTAINERS', 1], ['IMAGES', 1], ['SELECTOR', 1]]);
  assert.equal(t.columnDefinitions[0]!.format, 'name');
  assert.deepEqual(t.rows[0]!.cells.slice(0, 5), ['train', 'Complete', '1/1', '30s', '60s']);
  assert.equal(t.rows[0]!.object.kind, 'PartialObjectMetadata');
  assert.equal(t.rows[0]!.object.metadata.name, 'train');
  assert.equal((toTable('Job', [job], { now: NOW, include: 'None' }) as { rows: object[] }).rows[0]!.hasOwnProperty('object'), false);
  const unknown = toTable('Gadget', [{ apiVersion: 'x/v1', kind: 'Gadget', metadata: { name: 'g', creationTimestamp: '2024-01-01T00:00:00Z' } }], { now: NOW, include: 'Object' }) as {
    columnDefinitions: { name: string }[]; rows: { cells: string[]; object: { kind: string } }[];
  };
  assert.deepEqual(unknown.columnDefinitions.map((c) => c.name), ['NAME', 'AGE']);
  assert.deepEqual(unknown.rows[0]!.cells, ['g', '60m']);
  assert.equal(unknown.rows[0]!.object.kind, 'Gadget');
});
