import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../api/errors.js';
import { createAlgorithm, validateEarlyStoppingSettings, validateSettings } from './index.js';
import { categorical, double, int } from './testing.js';

test('an unknown setting is refused by name, with the accepted settings listed', () => {
  const issues = validateSettings('tpe', { n_startup_trials: '5', bogus: '1' });
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.path, 'spec.algorithm.algorithmSettings');
  assert.match(issues[0]!.message, /unknown setting "bogus" for algorithm tpe; accepted settings: random_state, n_startup_trials, n_ei_candidates/);
  assert.throws(
    () => createAlgorithm('cmaes', { popsize: '10' }),
    (e: unknown) => e instanceof ValidationError && e.code === 'VALIDATION_FAILED' && /unknown setting "popsize".*restart_strategy/.test(e.message),
  );
});

test('an unknown algorithm is refused with the accepted names', () => {
  assert.throws(() => createAlgorithm('hyperopt'), /unknown algorithm "hyperopt"; accepted: random, grid, sobol, tpe, multivariate-tpe, bayesianoptimization, cmaes, hyperband/);
});

test('setting values are checked', () => {
  const msg = (name: string, settings: Record<string, string>): string => validateSettings(name, settings).map((i) => i.message).join('; ');
  assert.match(msg('random', { random_state: '-1' }), /random_state must be an integer ≥ 0, got "-1"/);
  assert.match(msg('tpe', { gamma: '1.5' }), /gamma must be a number > 0 and < 1/);
  assert.match(msg('cmaes', { restart_strategy: 'lpop' }), /restart_strategy must be one of none, None, ipop, bipop/);
  assert.match(msg('bayesianoptimization', { base_estimator: 'RF' }), /base_estimator=RF is not supported by Drover; accepted values: GP/);
  assert.match(msg('bayesianoptimization', { acq_func: 'EIps' }), /acq_func=EIps is not supported/);
  assert.match(msg('hyperband', { eta: '3' }), /setting r_l is required for algorithm hyperband.*resource_name is required/);
  assert.match(msg('tpe', { n_ei_candidates: '8', n_EI_candidates: '8' }), /same setting/);
  assert.deepEqual(validateSettings('bayesianoptimization', { base_estimator: 'GP', acq_func: 'EI', acq_optimizer: 'sampling', n_initial_points: '5', random_state: '3' }), []);
  assert.deepEqual(validateSettings('hyperband', { r_l: '9', eta: '3', resource_name: 'epochs' }), []);
});

test('grid needs steps on doubles and enough combinations for maxTrialCount', () => {
  const noStep = validateSettings('grid', {}, { parameters: [double('x', 0, 1)] });
  assert.match(noStep[0]!.message, /grid needs a step for every double parameter; "x" has none/);
  assert.equal(noStep[0]!.path, 'spec.parameters[0].feasibleSpace.step');
  const parameters = [int('n', 1, 3), double('x', 0, 1, { step: '0.5' }), categorical('c', ['a', 'b'])];
  assert.deepEqual(validateSettings('grid', {}, { parameters, maxTrialCount: 18 }), []);
  assert.match(validateSettings('grid', {}, { parameters, maxTrialCount: 19 })[0]!.message, /maxTrialCount 19 is greater than the 18 combinations/);
});

test("hyperband's resource_name must name a numeric parameter", () => {
  const parameters = [double('lr', 0.01, 0.1), categorical('opt', ['a', 'b'])];
  assert.match(validateSettings('hyperband', { r_l: '9', resource_name: 'epochs' }, { parameters })[0]!.message, /must name one of the parameters \(lr, opt\)/);
  assert.match(validateSettings('hyperband', { r_l: '9', resource_name: 'opt' }, { parameters })[0]!.message, /must name an int or double parameter/);
});

test('medianstop settings are checked like the algorithms', () => {
  assert.deepEqual(validateEarlyStoppingSettings('medianstop', { min_trials_required: '2', start_step: '1' }), []);
  assert.match(validateEarlyStoppingSettings('medianstop', { start_step: '0' })[0]!.message, /start_step must be an integer ≥ 1/);
  assert.match(validateEarlyStoppingSettings('medianstop', { foo: '1' })[0]!.message, /unknown setting "foo" for algorithm medianstop; accepted settings: min_trials_required, start_step/);
  assert.equal(validateEarlyStoppingSettings('truncation', {})[0]!.path, 'spec.earlyStopping.algorithmName');
});

test('cmaes needs a numeric parameter', () => {
  assert.match(validateSettings('cmaes', {}, { parameters: [categorical('c', ['a', 'b'])] })[0]!.message, /cmaes needs at least one int or double parameter/);
  assert.deepEqual(validateSettings('cmaes', { restart_strategy: 'bipop', sigma: '0.2' }, { parameters: [int('n', 1, 4)] }), []);
});
