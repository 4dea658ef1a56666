import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue, queueStats } from './queue.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';

/** A clock whose timers fire only when told. */
function manualClock(): Clock & { fire(): void; pending(): number } {
  let timers: (() => void)[] = [];
  return {
    now: () => 0,
    setTimer(_ms, fn) {
      timers.push(fn);
      return () => void (timers = timers.filter((t) => t !== fn));
    },
    fire() {
      const due = timers;
      timers = [];
      for (const fn of due) fn();
    },
    pending: () => timers.length,
  };
}

test('addSoon reconciles a key once its wait is over, or with the next reconcile anything else brings, and not again after it', async () => {
  const clock = manualClock();
  const seen: string[] = [];
  const q = new WorkQueue('test', async (k) => void seen.push(k), clock, silentLogger);
  q.addSoon('a', 250);
  q.addSoon('a', 250);
  await q.idle();
  assert.deepEqual(seen, [], 'nothing before the wait is over');
  assert.equal(clock.pending(), 1, 'one timer for a key, however often it is asked');
  clock.fire();
  await new Promise((r) => setImmediate(r));
  await q.idle();
  assert.deepEqual(seen, ['a']);
  // Brought sooner by an ordinary add: the timer goes with that reconcile.
  q.addSoon('b', 250);
  q.add('b');
  await new Promise((r) => setImmediate(r));
  await q.idle();
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(clock.pending(), 0);
  q.stop();
});

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
