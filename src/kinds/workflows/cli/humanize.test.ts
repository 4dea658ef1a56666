import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argoTimestamp, goUtcTime, longDuration, relativeDuration, relativeDurationShort, shortDuration, timeAgo } from './humanize.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('node durations are one truncated unit, as argo get prints them', () => {
  assert.equal(shortDuration(0), '0s');
  assert.equal(shortDuration(999), '0s');
  assert.equal(shortDuration(1500), '1s');
  assert.equal(shortDuration(45 * S), '45s');
  assert.equal(shortDuration(90 * S), '1m');
  assert.equal(shortDuration(59 * M + 59 * S), '59m');
  assert.equal(shortDuration(2 * H + 5 * M), '2h');
  assert.equal(shortDuration(30 * H), '1d');
  assert.equal(shortDuration(3 * D), '3d');
  assert.equal(shortDuration(10 * D), '10d', 'past a week it keeps counting days');
});

test('the workflow duration has up to two units, spelled out', () => {
  assert.equal(longDuration(0), '0 seconds');
  assert.equal(longDuration(1200), '1 second');
  assert.equal(longDuration(10 * S), '10 seconds');
  assert.equal(longDuration(65 * S), '1 minute 5 seconds');
  assert.equal(longDuration(10 * M), '10 minutes 0 seconds');
  assert.equal(longDuration(2 * H + 3 * M + 4 * S), '2 hours 3 minutes');
  assert.equal(longDuration(2 * D + 5 * H), '2 days 5 hours');
});

test('a running node or workflow is measured to now; one that never started is 0s', () => {
  const now = Date.parse('2024-01-01T00:01:00Z');
  assert.equal(relativeDurationShort('2024-01-01T00:00:30Z', undefined, now), '30s');
  assert.equal(relativeDurationShort('2024-01-01T00:00:30Z', '2024-01-01T00:00:33Z', now), '3s');
  assert.equal(relativeDurationShort(undefined, undefined, now), '0s');
  assert.equal(relativeDuration('2024-01-01T00:00:00Z', undefined, now), '1 minute 0 seconds');
});

test('timestamps read as argo prints them, with how long ago', () => {
  const now = Date.parse('2024-01-01T10:00:00Z');
  assert.equal(timeAgo(now, now), 'now');
  assert.equal(timeAgo(now - 61 * S, now), '1 minute ago');
  assert.equal(timeAgo(now - 3 * H, now), '3 hours ago');
  assert.equal(timeAgo(now + 2 * D, now), '2 days from now');
  assert.equal(argoTimestamp('2024-01-01T09:59:50Z', now, 0), 'Mon Jan 01 09:59:50 +0000 (10 seconds ago)');
  assert.equal(argoTimestamp('2024-01-01T09:59:50Z', now, 120), 'Mon Jan 01 11:59:50 +0200 (10 seconds ago)');
  assert.equal(argoTimestamp('2024-01-01T09:59:50Z', now, -300), 'Mon Jan 01 04:59:50 -0500 (10 seconds ago)');
  assert.equal(goUtcTime('2024-05-01T10:00:03Z'), '2024-05-01 10:00:03 +0000 UTC');
});
