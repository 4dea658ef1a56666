import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, elapsed, humanDuration, parseDuration, rfc1123z } from './units.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration matches kubectl at every boundary', () => {
  const cases: [number, string][] = [
    [0, '0s'], [-1500, '0s'], [-2500, '<invalid>'], [5 * S, '5s'], [119 * S, '119s'], [2 * M, '2m'], [3 * M + 2 * S, '3m2s'],
    [9 * M + 59 * S, '9m59s'], [10 * M + 30 * S, '10m'], [179 * M, '179m'], [3 * H, '3h'], [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'], [47 * H, '47h'], [2 * D, '2d'], [3 * D + 4 * H, '3d4h'], [8 * D, '8d'], [729 * D, '729d'],
    [730 * D, '2y'], [800 * D, '2y70d'], [365 * 8 * D, '8y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('age is <unknown> without a timestamp and counts from it otherwise', () => {
  const now = Date.parse('2024-01-01T00:10:00Z');
  assert.equal(age(undefined, now), '<unknown>');
  assert.equal(age('garbage', now), '<unknown>');
  assert.equal(age('2024-01-01T00:09:55Z', now), '5s');
  assert.equal(age('2024-01-01T00:07:00Z', now), '3m');
});

test('parseDuration reads Go durations and bare seconds', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('45'), 45_000);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('-1s'), -1000);
  assert.equal(parseDuration('-1'), -1000);
  assert.equal(parseDuration('soon'), undefined);
  assert.equal(parseDuration('10x'), undefined);
  assert.equal(parseDuration(''), undefined);
});

test('rfc1123z formats like Go, in the given zone', () => {
  assert.equal(rfc1123z('2024-03-05T07:08:09Z', 0), 'Tue, 05 Mar 2024 07:08:09 +0000');
  assert.equal(rfc1123z('2024-03-05T07:08:09Z', 120), 'Tue, 05 Mar 2024 09:08:09 +0200');
  assert.equal(rfc1123z('2024-03-05T01:08:09Z', -330), 'Mon, 04 Mar 2024 19:38:09 -0530');
});

test('elapsed is short seconds, then minutes with padded seconds', () => {
  assert.equal(elapsed(12_400), '12s');
  assert.equal(elapsed(65_000), '1m05s');
  assert.equal(elapsed(-5), '0s');
});
