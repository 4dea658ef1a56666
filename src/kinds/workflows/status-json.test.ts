import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workflowStatusJson } from './status-json.js';
import type { WorkflowStatus } from './types.js';

test('the status JSON is JSON.stringify’s, with unchanged nodes’ JSON reused and copied nodes serialized anew', () => {
  const a = { id: 'a', name: 'wf.a', phase: 'Running', children: ['b'] };
  const b = { id: 'b', name: 'wf.b', phase: 'Pending', outputs: undefined };
  const first: WorkflowStatus = { phase: 'Running', startedAt: undefined, nodes: { a, b } as never, progress: '0/2' };
  assert.equal(workflowStatusJson(first), JSON.stringify(first));
  // The next pass copies what it changes (operation.ts): b anew, a as it was.
  const second: WorkflowStatus = { ...first, nodes: { a, b: { ...b, phase: 'Succeeded' } } as never, progress: '1/2' };
  assert.equal(workflowStatusJson(second), JSON.stringify(second));
  assert.match(workflowStatusJson(second), /"b":\{"id":"b","name":"wf.b","phase":"Succeeded"\}/);
  assert.equal(workflowStatusJson(undefined), 'null');
  assert.equal(workflowStatusJson({ phase: 'Pending' }), '{"phase":"Pending"}');
  // The one thing it relies on: a node written is never changed in place (a changed node is a copy).
  const reused = { id: 'c', phase: 'Running' };
  const third: WorkflowStatus = { nodes: { c: reused } as never };
  workflowStatusJson(third);
  reused.phase = 'Succeeded';
  assert.notEqual(workflowStatusJson(third), JSON.stringify(third), 'changed in place: the old JSON (why passes copy)');
});
