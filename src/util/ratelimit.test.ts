import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './ratelimit.js';

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
