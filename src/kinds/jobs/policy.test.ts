import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, formatIndexes, judgeFailedPod } from './policy.js';
import type { Job, Pod } from '../../api/types.js';

const failedPod = (exitCode: number, name = 'main'): Pod => ({
  metadata: { name: 'p', namespace: 'default' },
  status: { phase: 'Failed', containerStatuses: [{ name, image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode } } }] },
});

test('back-off doubles from the base and stops at the cap', () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelayMs(n, 10_000, 360_000)), [10_000, 20_000, 40_000, 80_000]);
  assert.equal(backoffDelayMs(10, 10_000, 360_000), 360_000);
  assert.equal(backoffDelayMs(0, 10_000, 360_000), 0);
});

test('completed indexes are written as ranges', () => {
  assert.equal(formatIndexes([0, 1, 2, 4, 6, 7]), '0-2,4,6-7');
  assert.equal(formatIndexes([]), '');
});

test('podFailurePolicy: first matching rule decides; no match counts the failure', () => {
  const job: Job = {
    spec: {
      template: {},
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onExitCodes: { operator: 'In', values: [42] } },
          { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [3, 4] } },
          { action: 'Count', onExitCodes: { operator: 'NotIn', values: [5] } },
        ],
      },
    },
  };
  assert.equal(judgeFailedPod(job, failedPod(42)).action, 'Ignore');
  const fail = judgeFailedPod(job, failedPod(3));
  assert.equal(fail.action, 'FailJob');
  assert.match(fail.message!, /Container main for pod default\/p failed with exit code 3 matching FailJob rule at index 1/);
  assert.equal(judgeFailedPod(job, failedPod(3, 'sidecar')).action, 'Count');
  assert.equal(judgeFailedPod(job, failedPod(5)).action, 'Count');
});
