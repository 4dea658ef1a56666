import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StartPacer, TokenBucket } from './ratelimit.js';
import type { Clock } from './clock.js';

test('a token bucket lets a burst through at once, then paces calls at qps', async () => {
  let now = 0;
  const bucket = new TokenBucket(10, 3, () => now);
  for (let i = 0; i < 3; i++) await bucket.take();
  // The fourth waits for a token: 100 ms of the bucket's clock.
  let done = false;
  const fourth = bucket.take().then(() => (done = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false);
  now += 100;
  await fourth;
  assert.equal(done, true);
  assert.throws(() => new TokenBucket(0, 1), RangeError);
});

/** A clock that moves only when told, firing the timers that fall due. */
function manualClock(): Clock & { advance(ms: number): Promise<void> } {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    setTimer(ms, fn) {
      const t = { at: now + ms, fn };
      timers.push(t);
      return () => void (timers = timers.filter((x) => x !== t));
    },
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        // Let waiters that just woke take their turn and set their next timers.
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = due.at;
        timers = timers.filter((t) => t !== due);
        due.fn();
      }
      now = end;
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    },
  };
}

test('container starts: 20 a second with a burst of 20 on the injected clock; an abandoned wait takes no token', async () => {
  const clock = manualClock();
  const bucket = new TokenBucket(20, 20, clock);
  const started: number[] = [];
  const deleted = new Set<number>();
  const waits = Array.from({ length: 60 }, (_, i) => bucket.take(() => deleted.has(i)).then((ok) => ok && started.push(i)));
  await clock.advance(0);
  assert.equal(started.length, 20, 'the burst starts at once');
  await clock.advance(500);
  assert.equal(started.length, 30, 'then one every 50 ms');
  // Pods 30..39 are deleted while they wait: their turns pass without a token.
  for (let i = 30; i < 40; i++) deleted.add(i);
  await clock.advance(500);
  assert.deepEqual(started.slice(30), [40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
  await clock.advance(1000);
  await Promise.all(waits);
  assert.equal(started.length, 50);
  assert.deepEqual(started, [...Array(30).keys(), ...Array.from({ length: 20 }, (_, i) => 40 + i)], 'in order');
});

test('a start alone goes at once (its token spent); starts that come together wait for the bucket', async () => {
  let now = 0;
  const pacer = new StartPacer(new TokenBucket(10, 1, () => now));
  // One at a time, each launched before the next: never waits, though faster than 10 a second.
  for (let i = 0; i < 5; i++) {
    assert.equal(await pacer.turn(() => false), true);
    pacer.done();
  }
  // Two together: the second waits for a token (the first spent the last one).
  assert.equal(await pacer.turn(() => false), true);
  let second = false;
  const p = pacer.turn(() => false).then((ok) => (second = ok));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(second, false);
  now += 100;
  await p;
  assert.equal(second, true);
  pacer.done();
  pacer.done();
  assert.equal(await pacer.turn(() => true), false, 'an abandoned start gets no turn');
  assert.equal(await new StartPacer(undefined).turn(() => false), true, 'no bucket: no pacing');
});

test('at most `parallel` starts launch at once, served in order; an abandoned one passes its slot on', async () => {
  const pacer = new StartPacer(undefined, 2);
  const order: number[] = [];
  const gone = new Set<number>();
  const turns = [0, 1, 2, 3, 4].map((i) => pacer.turn(() => gone.has(i)).then((ok) => (ok ? order.push(i) : order.push(-i))));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [0, 1], 'two at once');
  assert.deepEqual(pacer.load, { launching: 2, waiting: 3 });
  gone.add(3);
  pacer.done();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [0, 1, 2], 'the next in line takes the freed slot');
  pacer.done();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [0, 1, 2, -3, 4], 'the abandoned start gives its slot to the one after it');
  pacer.done();
  pacer.done();
  await Promise.all(turns);
  assert.deepEqual(pacer.load, { launching: 0, waiting: 0 });
  assert.throws(() => new StartPacer(undefined, 0), RangeError);
});
