import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cmaesTrace } from './cmaes.js';
import { History } from './history.js';
import { createAlgorithm, type Assignments, type Observation, type ParameterSpec } from './index.js';
import { Space } from './space.js';
import { double, int, optimise } from './testing.js';

const traceOf = (parameters: ParameterSpec[], completed: Observation[], settings: { restart: 'none' | 'ipop' | 'bipop'; seed: number }) =>
  cmaesTrace(new History(Space.of(parameters), { parameters, objectiveType: 'minimize', completed, pending: [], count: 0 }), settings.seed, {
    sigma0: 1 / 6,
    restart: settings.restart,
  });

test('IPOP restarts a converged run with twice the population', () => {
  // On an int grid the run soon only revisits points: it stops and IPOP starts a bigger one.
  const parameters = [int('a', 0, 6), int('b', 0, 6)];
  const bowl = (a: Assignments): number => (Number(a.a) - 2) ** 2 + (Number(a.b) - 4) ** 2;
  const obs = optimise(createAlgorithm('cmaes', { restart_strategy: 'ipop', random_state: '3' }), parameters, bowl, 45);
  const trace = traceOf(parameters, obs, { restart: 'ipop', seed: 3 });
  assert.ok(trace.populations.length >= 2, JSON.stringify(trace));
  assert.deepEqual(trace.populations.slice(0, 3), [6, 12, 24].slice(0, trace.populations.length >= 3 ? 3 : 2));
  assert.ok(obs.some((o) => o.value === 0), 'the minimum was found');
  assert.equal(new Set(obs.map((o) => `${o.assignments.a},${o.assignments.b}`)).size, obs.length, 'no point ran twice');
});

test('IPOP restarts when the values go flat (tolfun)', () => {
  const parameters = [double('x', 0, 1), double('y', 0, 1)];
  const obs = optimise(createAlgorithm('cmaes', { restart_strategy: 'ipop', random_state: '1' }), parameters, () => 1, 150);
  // 6 per generation, flat for 10 + ⌈30·2/6⌉ = 20 generations = 120 trials, then λ = 12.
  const trace = traceOf(parameters, obs, { restart: 'ipop', seed: 1 });
  assert.deepEqual(trace.populations, [6, 12]);
  const none = traceOf(parameters, optimise(createAlgorithm('cmaes', { random_state: '1' }), parameters, () => 1, 150), { restart: 'none', seed: 1 });
  assert.deepEqual(none.populations, [6]);
});

test('BIPOP alternates regimes by evaluations spent', () => {
  const parameters = [int('a', 0, 6), int('b', 0, 6)];
  const bowl = (a: Assignments): number => (Number(a.a) - 2) ** 2 + (Number(a.b) - 4) ** 2;
  const obs = optimise(createAlgorithm('cmaes', { restart_strategy: 'bipop', random_state: '3' }), parameters, bowl, 45);
  const trace = traceOf(parameters, obs, { restart: 'bipop', seed: 3 });
  // The first run counts as large, so the first restart is small (λ0, smaller σ); small runs
  // stop fast here, so several come before the large regime's budget is matched and λ doubles.
  assert.equal(trace.populations[1], 6, JSON.stringify(trace));
  assert.ok(trace.populations.includes(12), JSON.stringify(trace));
});

test('a generation is handed out over calls and waits for its running members', () => {
  const parameters = [double('x', 0, 1), double('y', 0, 1)];
  const alg = createAlgorithm('cmaes', { random_state: '2' });
  const req = { parameters, objectiveType: 'minimize' as const, completed: [] as Observation[] };
  const a = alg.suggest({ ...req, pending: [], count: 4 });
  assert.equal(a.assignments.length, 4);
  const b = alg.suggest({ ...req, pending: a.assignments, count: 4 });
  assert.equal(b.assignments.length, 2, 'λ = 6 members in generation 0');
  const c = alg.suggest({ ...req, pending: [...a.assignments, ...b.assignments], count: 4 });
  assert.deepEqual(c, { assignments: [], exhausted: false });
  // Once told, generation 1 comes; a failed member is replaced by another of its generation.
  const done: Observation[] = [...a.assignments, ...b.assignments].map((assignments, i) => ({ assignments, value: i === 0 ? undefined : i }));
  const d = alg.suggest({ parameters, objectiveType: 'minimize', completed: done, pending: [], count: 10 });
  assert.equal(d.assignments.length, 1, 'the replacement for the failed member');
  const e = alg.suggest({ parameters, objectiveType: 'minimize', completed: [...done, { assignments: d.assignments[0]!, value: 0 }], pending: [], count: 10 });
  assert.equal(e.assignments.length, 6, 'generation 1');
});
