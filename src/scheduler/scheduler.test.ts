import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unfitReasons, unschedulableMessage } from './scheduler.js';
import { podRequests } from '../api/pods.js';
import type { Node, Pod } from '../api/types.js';

const node: Node = { metadata: { name: 'n', labels: { role: 'train-cpu' } }, status: { allocatable: { cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '0' } } };
const free = { node, cpuMillis: 2000, memoryBytes: 4 * 2 ** 30, extended: { 'nvidia.com/gpu': 0 } };
const pod = (resources: Record<string, string>, nodeSelector?: Record<string, string>, useLimits = false): Pod => ({
  metadata: { name: 'p' },
  spec: { nodeSelector, containers: [{ name: 'c', resources: useLimits ? { limits: resources } : { requests: resources } }] },
});

test('a pod asking for more cpu than is free is unfit with "Insufficient cpu"', () => {
  const p = pod({ cpu: '2.5' });
  assert.deepEqual(unfitReasons(p, podRequests(p), free), ['Insufficient cpu']);
  assert.equal(unschedulableMessage(1, [['Insufficient cpu']]), '0/1 nodes are available: 1 Insufficient cpu.');
});

test('limits without requests count as requests, as in Kubernetes (GPU via limits)', () => {
  const p = pod({ 'nvidia.com/gpu': '1', memory: '8Gi' }, undefined, true);
  assert.deepEqual(unfitReasons(p, podRequests(p), free), ['Insufficient memory', 'Insufficient nvidia.com/gpu']);
  assert.equal(unschedulableMessage(1, [['Insufficient memory', 'Insufficient nvidia.com/gpu']]), '0/1 nodes are available: 1 Insufficient memory, 1 Insufficient nvidia.com/gpu.');
});

test('a nodeSelector that matches no node says so', () => {
  const p = pod({}, { role: 'train-gpu' });
  const reasons = unfitReasons(p, podRequests(p), free);
  assert.equal(unschedulableMessage(1, [reasons]), "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.");
  const q = pod({ cpu: '1' }, { role: 'train-cpu' });
  assert.deepEqual(unfitReasons(q, podRequests(q), free), []);
});
