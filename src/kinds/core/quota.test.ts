import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/types.js';
import { countedKind, exceeded, missingDeclarations, podAmount, quotaStatus, usage, type ResourceQuotaObject } from './quota.js';

const pod = (gpus: number, cpu = '500m', phase = 'Running'): Pod => ({
  spec: { containers: [{ name: 'c', resources: { requests: { cpu, memory: '1Gi' }, limits: { memory: '2Gi', ...(gpus ? { 'nvidia.com/gpu': String(gpus) } : {}) } } }] },
  status: { phase },
}) as Pod;
const quota = (hard: Record<string, string>): ResourceQuotaObject => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'a' }, spec: { hard } });

test('what a pod adds to each quota name, as Kubernetes counts it', () => {
  const p = pod(1);
  assert.equal(podAmount(p, 'pods'), 1);
  assert.equal(podAmount(p, 'requests.nvidia.com/gpu'), 1, 'a GPU limit is its request');
  assert.equal(podAmount(p, 'nvidia.com/gpu'), 1);
  assert.equal(podAmount(p, 'cpu'), 0.5);
  assert.equal(podAmount(p, 'requests.cpu'), 0.5);
  assert.equal(podAmount(p, 'limits.memory'), 2 * 2 ** 30);
  assert.equal(podAmount(p, 'limits.cpu'), 0);
  assert.deepEqual(countedKind('count/jobs.batch'), { plural: 'jobs', group: 'batch' });
  assert.deepEqual(countedKind('configmaps'), { plural: 'configmaps', group: '' });
  assert.equal(countedKind('pods'), undefined, 'pods are counted from the pods themselves');
});

test('a second GPU pod exceeds a 1-GPU quota with the API server message; finished pods free theirs', () => {
  const q = quota({ 'requests.nvidia.com/gpu': '1', pods: '10' });
  const used = usage(q.spec!.hard!, [pod(1), pod(0), pod(1, '1', 'Succeeded')], () => 0);
  assert.deepEqual(used, { 'requests.nvidia.com/gpu': 1, pods: 2 });
  assert.equal(
    exceeded([q], { 'requests.nvidia.com/gpu': 1, pods: 1 }, () => used),
    'exceeded quota: q, requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=1, limited: requests.nvidia.com/gpu=1',
  );
  assert.equal(exceeded([q], { pods: 1 }, () => used), undefined, 'a CPU-only pod still fits');
  const mem = quota({ 'limits.memory': '3Gi' });
  assert.equal(exceeded([mem], { 'limits.memory': 2 * 2 ** 30 }, () => ({ 'limits.memory': 2 * 2 ** 30 })), 'exceeded quota: q, requested: limits.memory=2Gi, used: limits.memory=2Gi, limited: limits.memory=3Gi');
  assert.deepEqual(quotaStatus(q, used), { hard: { 'requests.nvidia.com/gpu': '1', pods: '10' }, used: { 'requests.nvidia.com/gpu': '1', pods: '2' } });
});

test('under a limits.cpu quota a pod must declare its cpu limit', () => {
  assert.deepEqual(missingDeclarations([quota({ 'limits.cpu': '4', 'requests.memory': '8Gi' })], pod(0)), ['limits.cpu']);
  assert.deepEqual(missingDeclarations([quota({ 'requests.nvidia.com/gpu': '1' })], pod(0)), []);
});
