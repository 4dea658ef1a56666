import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue, queueStats } from './queue.js';
import { systemClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';

test('a queue counts its reconciles, the failed ones and their time, for /metrics', async () => {
  let badTries = 0;
  const q = new WorkQueue('counted-queue', async (key) => {
    if (key === 'bad' && ++badTries === 1) throw new Error('not yet');
  }, systemClock, silentLogger);
  q.add('a');
  q.add('b');
  await q.idle();
  q.add('bad');
  // The retry comes 500 ms after the failure.
  while (badTries < 2) await new Promise((r) => setTimeout(r, 50));
  await q.idle();
  const s = queueStats().get('counted-queue');
  assert.equal(s?.reconciles, 4);
  assert.equal(s?.failures, 1);
  assert.ok(s.seconds >= 0);
  q.stop();
});
