import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.js';
import { UsageError } from './args.js';
import { judge, parseJsonPath, parseWaitFor, progressState } from './conditions.js';

const job = (conditions: { type: string; status: string; reason?: string; message?: string }[], status: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'train' }, status: { ...status, conditions },
});

test('--for forms parse as kubectl reads them', () => {
  assert.deepEqual(parseWaitFor('condition=Complete'), { type: 'condition', condition: 'Complete', value: 'True' });
  assert.deepEqual(parseWaitFor('condition=Ready=false'), { type: 'condition', condition: 'Ready', value: 'false' });
  assert.deepEqual(parseWaitFor('delete'), { type: 'delete' });
  assert.deepEqual(parseWaitFor('create'), { type: 'create' });
  assert.deepEqual(parseWaitFor("jsonpath='{.status.phase}'=Running"), { type: 'jsonpath', path: ['status', 'phase'], expr: '{.status.phase}', value: 'Running' });
  assert.deepEqual(parseWaitFor('jsonpath={.status.succeeded}'), { type: 'jsonpath', path: ['status', 'succeeded'], expr: '{.status.succeeded}' });
  assert.throws(() => parseWaitFor('ready'), UsageError);
  assert.throws(() => parseWaitFor('condition='), UsageError);
});

test('jsonpath supports fields, indexes and quoted keys', () => {
  assert.deepEqual(parseJsonPath('{.status.conditions[0].type}'), ['status', 'conditions', 0, 'type']);
  assert.deepEqual(parseJsonPath("{.metadata.labels['job-name']}"), ['metadata', 'labels', 'job-name']);
  assert.throws(() => parseJsonPath('{.items[*].name}'), UsageError);
  assert.throws(() => parseJsonPath('{status}'), UsageError);
});

test('a condition is met when its status matches, case-insensitively', () => {
  assert.equal(judge(job([{ type: 'Complete', status: 'True' }]), parseWaitFor('condition=complete')).state, 'met');
  assert.equal(judge(job([{ type: 'Complete', status: 'False' }]), parseWaitFor('condition=Complete')).state, 'pending');
  assert.equal(judge(job([]), parseWaitFor('condition=Complete=false')).state, 'pending');
  assert.equal(judge(undefined, parseWaitFor('condition=Complete')).state, 'pending');
});

test('a job that fails while waiting for Complete is reported at once, with its reason', () => {
  const v = judge(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]), parseWaitFor('condition=Complete'));
  assert.deepEqual(v, { state: 'failed', message: 'failed: BackoffLimitExceeded: Job has reached the specified backoff limit' });
  const w = judge(job([{ type: 'Complete', status: 'True' }]), parseWaitFor('condition=Failed'));
  assert.equal(w.state, 'failed');
  // Other kinds are judged only on the condition asked for.
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status: { conditions: [{ type: 'Failed', status: 'True' }] } };
  assert.equal(judge(pod, parseWaitFor('condition=Complete')).state, 'pending');
});

test('delete is met when the object is gone; create when it exists; jsonpath compares text', () => {
  assert.equal(judge(undefined, { type: 'delete' }).state, 'met');
  assert.equal(judge(job([]), { type: 'delete' }).state, 'pending');
  assert.equal(judge(job([]), { type: 'create' }).state, 'met');
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status: { phase: 'Running' } };
  assert.equal(judge(pod, parseWaitFor('jsonpath={.status.phase}=Running')).state, 'met');
  assert.equal(judge(pod, parseWaitFor('jsonpath={.status.phase}=Succeeded')).state, 'pending');
  assert.equal(judge(pod, parseWaitFor('jsonpath={.status.podIP}')).state, 'pending');
});

test('progress shows job counts, pod status or true conditions', () => {
  assert.equal(progressState(job([], { active: 1, succeeded: 0 })), '1 active, 0 succeeded');
  assert.equal(progressState(job([], { active: 0, succeeded: 1, failed: 2 })), '0 active, 1 succeeded, 2 failed');
  assert.equal(progressState(undefined), 'not found');
  assert.equal(progressState({ apiVersion: 'v1', kind: 'Pod', metadata: {}, status: { phase: 'Pending' } }), 'Pending');
  assert.equal(progressState({ apiVersion: 'x/v1', kind: 'Thing', metadata: {}, status: { conditions: [{ type: 'Ready', status: 'True' }] } }), 'Ready');
});
