import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../api/errors.js';
import { medianStop, medianStopThreshold } from './index.js';

// Running averages at step 4: 2.5, 3.5, 4.5 → median 3.5.
const completed = [
  [1, 2, 3, 4, 5],
  [2, 3, 4, 5, 6],
  [3, 4, 5, 6, 7],
];

test('a trial whose best is below the median of running averages is stopped (maximize)', () => {
  assert.equal(medianStopThreshold({}, [1, 1, 1, 1], completed), 3.5);
  assert.equal(medianStop({}, 'maximize', [1, 1, 1, 1], completed), true);
  assert.equal(medianStop({}, 'maximize', [0, 0, 0, 4], completed), false, 'its best (4) beats the median');
  assert.equal(medianStop({}, 'maximize', [3.5, 3.5, 3.5, 3.5], completed), false, 'equal is not worse');
});

test('nothing is stopped before start_step or with too few completed trials', () => {
  assert.equal(medianStop({}, 'maximize', [1, 1, 1], completed), false);
  assert.equal(medianStop({ start_step: '2' }, 'maximize', [1, 1], completed), true);
  assert.equal(medianStop({ min_trials_required: '4' }, 'maximize', [1, 1, 1, 1], completed), false);
  assert.equal(medianStop({}, 'maximize', [1, 1, 1, 1], completed.slice(0, 2)), false);
});

test('minimize stops trials above the median; the averages run up to the current step', () => {
  assert.equal(medianStop({}, 'minimize', [5, 5, 5, 5], completed), true);
  assert.equal(medianStop({}, 'minimize', [9, 9, 9, 3], completed), false);
  // At step 5 the averages are 3, 4, 5 → median 4; a short curve averages what it has.
  assert.equal(medianStopThreshold({}, [0, 0, 0, 0, 0], completed), 4);
  assert.equal(medianStopThreshold({ min_trials_required: '1' }, [0, 0, 0, 0, 0], [[2, 4]]), 3);
});

test('unknown or invalid medianstop settings are refused by name', () => {
  assert.throws(() => medianStop({ min_trials: '3' }, 'maximize', [1], completed), (e: unknown) => e instanceof ValidationError && /unknown setting "min_trials"/.test(e.message));
  assert.throws(() => medianStop({ start_step: 'x' }, 'maximize', [1], completed), /start_step must be an integer/);
});
