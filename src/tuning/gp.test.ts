import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gp, fitHyper, negativeLogLikelihood } from './gp.js';
import { choleskyInverse, choleskyJitter, symmetricEigen } from './linalg.js';
import { Rng } from './rng.js';

const points = (n: number, d: number, seed: number): Float64Array[] => {
  const rng = Rng.stream(seed);
  return Array.from({ length: n }, () => Float64Array.from({ length: d }, () => rng.float()));
};

test('the marginal likelihood gradient matches finite differences', () => {
  const x = points(12, 3, 1);
  const y = Float64Array.from(x, (p) => Math.sin(5 * p[0]!) + p[1]! - 0.5);
  const theta = Float64Array.from([Math.log(0.4), Math.log(0.7), Math.log(1.3), Math.log(1.1), Math.log(0.01)]);
  const grad = new Float64Array(theta.length);
  negativeLogLikelihood(x, y, theta, grad);
  const scratch = new Float64Array(theta.length);
  for (let i = 0; i < theta.length; i++) {
    const h = 1e-5;
    const up = Float64Array.from(theta);
    const down = Float64Array.from(theta);
    up[i] = up[i]! + h;
    down[i] = down[i]! - h;
    const numeric = (negativeLogLikelihood(x, y, up, scratch) - negativeLogLikelihood(x, y, down, scratch)) / (2 * h);
    assert.ok(Math.abs(numeric - grad[i]!) < 1e-4 * Math.max(1, Math.abs(numeric)), `θ${i}: ${grad[i]} vs ${numeric}`);
  }
});

test('a fitted GP interpolates and finds the relevant input', () => {
  const x = points(40, 2, 2);
  const y = Float64Array.from(x, (p) => Math.sin(6 * p[0]!)); // the second input is irrelevant
  const h = fitHyper(x, y, 2);
  assert.ok(h.logLengthScales[1]! > h.logLengthScales[0]! + 1, `length scales ${Array.from(h.logLengthScales, Math.exp)}`);
  const gp = Gp.fit(x, y, h)!;
  const probe = Float64Array.from([0.25, 0.9]);
  const { mean, sd } = gp.predict(probe);
  assert.ok(Math.abs(mean - Math.sin(1.5)) < 0.05, `mean ${mean}`);
  assert.ok(sd < 0.1);
});

test('Cholesky inverse and Jacobi eigenvalues reproduce the matrix', () => {
  const n = 5;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = Math.exp(-Math.abs(i - j)) + (i === j ? 0.5 : 0);
  const inv = choleskyInverse(choleskyJitter(a, n)!, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * inv[k * n + j]!;
      assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-12);
    }
  }
  const { values, vectors } = symmetricEigen(a, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
      assert.ok(Math.abs(s - a[i * n + j]!) < 1e-12);
    }
  }
});
