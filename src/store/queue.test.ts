import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './queue.js';
import type { Clock } from '../util/clock.js';
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
