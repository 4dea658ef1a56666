import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedSync } from './keyed-sync.js';

test('requests for a key that is syncing coalesce into one more run; a failed run is tried again after its back-off; none once the owner stops', async () => {
  let live = true;
  const runs: string[] = [];
  const failures: number[] = [];
  let release!: () => void;
  let failA = true;
  const s = new KeyedSync(
    async (key) => {
      runs.push(key);
      if (key === 'slow' && runs.filter((k) => k === 'slow').length === 1) await new Promise<void>((r) => (release = r));
      if (key === 'a' && failA) {
        failA = false;
        throw new Error('apiserver away');
      }
    },
    (_key, _err, retryInMs) => failures.push(retryInMs),
    () => live,
  );
  s.request('slow');
  s.request('slow');
  s.request('slow');
  release();
  await s.drain();
  assert.deepEqual(runs, ['slow', 'slow'], 'three requests during one run: one more run');
  s.request('a');
  await s.drain();
  assert.deepEqual(failures, [250]);
  await new Promise((r) => setTimeout(r, 400));
  await s.drain();
  assert.deepEqual(runs.filter((k) => k === 'a'), ['a', 'a'], 'tried again after 250 ms');
  live = false;
  s.request('b');
  await s.drain();
  assert.ok(!runs.includes('b'));
});
