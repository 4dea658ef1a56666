import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm, type Assignments } from './index.js';
import { best, double, optimise } from './testing.js';
import { neighbourBandwidths } from './tpe.js';

const ascending = (xs: readonly number[]): number[] => xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
const close = (actual: number | undefined, expected: number, what: string): void =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-12, `${what}: ${actual} ≠ ${expected}`);

test('multivariate TPE narrows its kernels as good points cluster: bandwidth per dimension follows the neighbours\' gaps', () => {
  // Eight points: the magic clip's floor is 1/min(100, 8 + 2) = 0.1.
  const clustered = [0.05, 0.1, 0.15, 0.2, 0.25, 0.5, 0.75, 0.95];
  const sigma = neighbourBandwidths(clustered, ascending(clustered));
  close(sigma[2], 0.1, 'inside the cluster (gaps 0.05) the kernel shrinks to the floor');
  close(sigma[5], 0.25, 'a lone point takes the larger gap to its neighbours');
  close(sigma[6], 0.25, 'the larger of 0.25 and 0.2');
  // The same points in another order give each point the same width.
  const shuffled = [0.75, 0.05, 0.5, 0.95, 0.2, 0.1, 0.25, 0.15];
  const again = neighbourBandwidths(shuffled, ascending(shuffled));
  shuffled.forEach((x, i) => close(again[i], sigma[clustered.indexOf(x)]!, `x=${x}`));
});

test('TPE kernels at the edge look inwards (consider_endpoints off), and one point alone spans to the far end', () => {
  const nearEdge = [0.9, 0.7, 0.6, 0.5];
  const sigma = neighbourBandwidths(nearEdge, ascending(nearEdge));
  close(sigma[0], 0.2, 'the last point uses its inner gap (0.2), not the 0.1 strip to the end');
  close(sigma[3], 1 / 6, 'the first point: inner gap 0.1, raised to the floor 1/6');
  const lone = neighbourBandwidths([0.3], [0]);
  close(lone[0], 0.7, 'the larger distance to an end of the range');
});

test('TPE bandwidths never exceed the range nor fall under 1/100 of it, however many points', () => {
  const many = Array.from({ length: 500 }, (_, i) => 0.4 + i * 1e-5);
  const sigma = neighbourBandwidths(many, ascending(many));
  assert.ok(sigma.every((s) => s >= 0.01 - 1e-15 && s <= 1));
  close(Math.min(...sigma), 0.01, 'the floor at 1/100');
});

test('multivariate TPE homes in on a sharp optimum on one axis while the other axis barely matters', () => {
  const f = (a: Assignments): number => Math.abs(Number(a.x) - 0.6173) + 0.001 * Math.abs(Number(a.y) - 0.5);
  const parameters = [double('x', 0, 1), double('y', 0, 1)];
  for (const seed of ['1', '2', '3']) {
    const found = best(optimise(createAlgorithm('multivariate-tpe', { random_state: seed }), parameters, f, 60));
    assert.ok(found < 0.01, `seed ${seed}: best ${found}`);
  }
});
