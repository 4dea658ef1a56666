import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../api/errors.js';
import { ALGORITHM_NAMES, createAlgorithm, type Assignments, type Observation, type ParameterSpec } from './index.js';
import { sobolPoint, SOBOL_MAX_DIMS } from './sobol.js';
import { best, categorical, double, int, optimise } from './testing.js';

const SPACE: ParameterSpec[] = [
  double('x', -1, 1),
  int('n', 1, 20),
  double('lr', 1e-4, 1, { distribution: 'logUniform' }),
  categorical('opt', ['sgd', 'adam']),
];
const quadratic = (a: Assignments): number => (Number(a.x) - 0.3) ** 2 + ((Number(a.n) - 7) / 10) ** 2;
const settingsFor = (name: string, seed: string): Record<string, string> =>
  name === 'hyperband' ? { r_l: '9', resource_name: 'n', random_state: seed } : { random_state: seed };
const searchable = ALGORITHM_NAMES.filter((n) => n !== 'grid');

test('every algorithm answers the same request the same way, and differently for another random_state', () => {
  const completed: Observation[] = Array.from({ length: 14 }, (_, i) => {
    const assignments = { x: String(-1 + i / 7), n: String(1 + i), lr: String(10 ** (-i / 4)), opt: i % 2 ? 'sgd' : 'adam' };
    return { assignments, value: quadratic(assignments) };
  });
  for (const name of searchable) {
    const req = { parameters: SPACE, objectiveType: 'minimize' as const, completed, pending: [], count: 3 };
    const a = createAlgorithm(name, settingsFor(name, '42')).suggest(req);
    const again = createAlgorithm(name, settingsFor(name, '42'));
    assert.deepEqual(again.suggest(req), a, name);
    assert.deepEqual(again.suggest(req), a, `${name}: a second call on the same instance`);
    const other = createAlgorithm(name, settingsFor(name, '43')).suggest(req);
    assert.notDeepEqual(other.assignments, a.assignments, name);
  }
});

test('suggestions stay inside the space: bounds, int formatting, lists', () => {
  for (const name of searchable) {
    const obs = optimise(createAlgorithm(name, settingsFor(name, '5')), SPACE, quadratic, 25);
    assert.ok(obs.length > 0, name);
    for (const { assignments: a } of obs) {
      assert.ok(Number(a.x) >= -1 && Number(a.x) <= 1, `${name} x=${a.x}`);
      assert.match(a.n!, /^\d+$/, `${name} n=${a.n}`);
      assert.ok(Number(a.n) >= 1 && Number(a.n) <= 20, `${name} n=${a.n}`);
      assert.ok(Number(a.lr) >= 1e-4 && Number(a.lr) <= 1, `${name} lr=${a.lr}`);
      assert.ok(['sgd', 'adam'].includes(a.opt!), name);
    }
  }
});

test('parallel suggestions never repeat a pending point or each other, and a used-up space says exhausted', () => {
  const small = [int('a', 1, 3), categorical('c', ['x', 'y'])];
  const pending = [{ a: '1', c: 'x' }, { a: '2', c: 'y' }];
  const completed: Observation[] = [{ assignments: { a: '3', c: 'x' }, value: 1 }];
  for (const name of ALGORITHM_NAMES.filter((n) => n !== 'hyperband')) {
    const r = createAlgorithm(name, { random_state: '1' }).suggest({ parameters: small, objectiveType: 'maximize', completed, pending, count: 10 });
    const keys = r.assignments.map((a) => `${a.a}/${a.c}`);
    assert.equal(new Set(keys).size, keys.length, `${name}: ${keys}`);
    if (name === 'cmaes') {
      // A generation whose other members are running waits for them rather than guess.
      assert.ok(keys.length > 0 && keys.every((k) => ['1/y', '2/x', '3/y'].includes(k)), `${name}: ${keys}`);
      continue;
    }
    assert.deepEqual([...keys].sort(), ['1/y', '2/x', '3/y'], name);
    assert.equal(r.exhausted, true, name);
  }
});

test('a batch of continuous suggestions has no duplicates, with or without pending trials', () => {
  const parameters = [double('x', 0, 1), double('y', 0, 1)];
  const f = (a: Assignments): number => (Number(a.x) - 0.5) ** 2 + (Number(a.y) - 0.5) ** 2;
  for (const name of ['tpe', 'multivariate-tpe', 'bayesianoptimization', 'sobol', 'random']) {
    const completed = optimise(createAlgorithm('random', { random_state: '3' }), parameters, f, 12);
    const alg = createAlgorithm(name, { random_state: '2' });
    const first = alg.suggest({ parameters, objectiveType: 'minimize', completed, pending: [], count: 4 });
    const second = alg.suggest({ parameters, objectiveType: 'minimize', completed, pending: first.assignments, count: 4 });
    const all = [...first.assignments, ...second.assignments].map((a) => `${a.x},${a.y}`);
    assert.equal(all.length, 8, name);
    assert.equal(new Set(all).size, 8, name);
  }
});

test('grid enumerates every combination once, in order, skips tried ones (failed too) and then says exhausted', () => {
  const parameters = [int('n', 1, 3), double('x', 0, 1, { step: '0.5' }), categorical('c', ['a', 'b'])];
  const grid = createAlgorithm('grid');
  const first = grid.suggest({ parameters, objectiveType: 'minimize', completed: [], pending: [], count: 3 });
  assert.deepEqual(first.assignments, [
    { n: '1', x: '0', c: 'a' },
    { n: '1', x: '0', c: 'b' },
    { n: '1', x: '0.5', c: 'a' },
  ]);
  assert.equal(first.exhausted, false);
  const completed: Observation[] = first.assignments.map((assignments, i) => ({ assignments, value: i === 1 ? undefined : i }));
  const rest = grid.suggest({ parameters, objectiveType: 'minimize', completed, pending: [], count: 100 });
  assert.equal(rest.assignments.length, 15);
  assert.equal(rest.exhausted, true);
  const all = new Set([...first.assignments, ...rest.assignments].map((a) => JSON.stringify(a)));
  assert.equal(all.size, 18);
  const done = grid.suggest({ parameters, objectiveType: 'minimize', completed: [...completed, ...rest.assignments.map((assignments) => ({ assignments, value: 1 }))], pending: [], count: 1 });
  assert.deepEqual(done, { assignments: [], exhausted: true });
  // random_state shuffles the order, reproducibly.
  const shuffled = createAlgorithm('grid', { random_state: '4' }).suggest({ parameters, objectiveType: 'minimize', completed: [], pending: [], count: 18 });
  assert.equal(new Set(shuffled.assignments.map((a) => JSON.stringify(a))).size, 18);
  assert.notDeepEqual(shuffled.assignments.slice(0, 3), first.assignments);
  assert.throws(() => grid.suggest({ parameters: [double('x', 0, 1)], objectiveType: 'minimize', completed: [], pending: [], count: 1 }), (e: unknown) => e instanceof ValidationError && /needs a step/.test(e.message));
});

test("sobol's first points are the textbook ones and every dimension is stratified", () => {
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => sobolPoint(n, 2)), [[0.5, 0.5], [0.75, 0.25], [0.25, 0.75], [0.375, 0.375], [0.875, 0.875]]);
  assert.deepEqual(sobolPoint(2, 3), [0.75, 0.25, 0.25]);
  assert.equal(SOBOL_MAX_DIMS, 40);
  // Each of the first 256 points falls in a different 1/256 slice, in every dimension.
  for (let d = 0; d < SOBOL_MAX_DIMS; d++) {
    const cells = new Set(Array.from({ length: 256 }, (_, n) => Math.floor(sobolPoint(n, SOBOL_MAX_DIMS)[d]! * 256)));
    assert.equal(cells.size, 256, `dimension ${d + 1}`);
  }
  const sobol = createAlgorithm('sobol');
  const r = sobol.suggest({ parameters: [double('x', 0, 1), double('y', 0, 10)], objectiveType: 'minimize', completed: [], pending: [], count: 3 });
  assert.deepEqual(r.assignments, [{ x: '0.5', y: '5' }, { x: '0.75', y: '2.5' }, { x: '0.25', y: '7.5' }]);
});

test('model-based algorithms find the minimum of a quadratic far better than chance', () => {
  const parameters = [double('x', -5, 5), double('y', -5, 5)];
  const bowl = (a: Assignments): number => (Number(a.x) - 1.3) ** 2 + (Number(a.y) + 2.1) ** 2;
  const budget = 40;
  const seeds = ['1', '2', '3'];
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const randomBest = mean(seeds.map((s) => best(optimise(createAlgorithm('random', { random_state: s }), parameters, bowl, budget))));
  // 40 uniform draws over a 10×10 box: the best lands ~0.8 from the minimum on average.
  assert.ok(randomBest > 0.1, `random: ${randomBest}`);
  for (const name of ['tpe', 'multivariate-tpe', 'bayesianoptimization', 'cmaes']) {
    const found = mean(seeds.map((s) => best(optimise(createAlgorithm(name, { random_state: s }), parameters, bowl, budget))));
    assert.ok(found < randomBest / 5, `${name}: ${found} vs random ${randomBest}`);
  }
});

test('maximize objectives are climbed, failed trials are skipped by the models', () => {
  const parameters = [double('x', 0, 1)];
  const hill = (a: Assignments): number | undefined => (Number(a.x) > 0.9 ? undefined : 1 - (Number(a.x) - 0.7) ** 2);
  for (const name of ['tpe', 'bayesianoptimization']) {
    const obs = optimise(createAlgorithm(name, { random_state: '8' }), parameters, hill, 30, 'maximize');
    const top = Math.max(...obs.map((o) => o.value ?? -Infinity));
    assert.ok(top > 1 - 1e-3, `${name}: ${top}`);
    assert.ok(obs.some((o) => o.value === undefined), `${name} met a failure`);
  }
});

test('count 0 asks for nothing; a negative count is refused', () => {
  const req = { parameters: SPACE, objectiveType: 'minimize' as const, completed: [], pending: [] };
  assert.deepEqual(createAlgorithm('random').suggest({ ...req, count: 0 }), { assignments: [], exhausted: false });
  assert.throws(() => createAlgorithm('random').suggest({ ...req, count: -1 }), ValidationError);
});

test("the GP's cache of fits changes speed, never answers", () => {
  const parameters = [double('x', -2, 2), double('y', -2, 2)];
  const f = (a: Assignments): number => (Number(a.x) - 0.5) ** 2 + Number(a.y) ** 2;
  const history = optimise(createAlgorithm('random', { random_state: '4' }), parameters, f, 30);
  const req = (n: number) => ({ parameters, objectiveType: 'minimize' as const, completed: history.slice(0, n), pending: [], count: 2 });
  const used = createAlgorithm('bayesianoptimization', { random_state: '1' });
  used.suggest(req(24));
  used.suggest(req(28));
  assert.deepEqual(used.suggest(req(30)), createAlgorithm('bayesianoptimization', { random_state: '1' }).suggest(req(30)));
});

test('running trials steer TPE and the GP away (constant liar); with pendingAware false the models ignore them but never repeat them', () => {
  // 30 finished trials of a bowl at x = 0.3 and six running ones packed around it: the liar makes
  // the region look worse, so suggestions land further from the running points.
  const parameters = [double('x', 0, 1)];
  const f = (x: number): number => (x - 0.3) ** 2;
  const completed: Observation[] = Array.from({ length: 30 }, (_, i) => {
    const x = ((i * 0.618034) % 1).toFixed(4);
    return { assignments: { x }, value: f(Number(x)) };
  });
  const pending = [0.29, 0.295, 0.3, 0.305, 0.31, 0.315].map((x) => ({ x: String(x) }));
  const distance = (a: Assignments): number => Math.min(...pending.map((p) => Math.abs(Number(a.x) - Number(p.x))));
  for (const name of ['tpe', 'multivariate-tpe', 'bayesianoptimization']) {
    let aware = 0;
    let ignored = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const req = { parameters, objectiveType: 'minimize' as const, completed, pending, count: 1 };
      const a = createAlgorithm(name, { random_state: String(seed) }).suggest(req).assignments[0]!;
      const b = createAlgorithm(name, { random_state: String(seed) }, { pendingAware: false }).suggest(req).assignments[0]!;
      assert.ok(!pending.some((p) => p.x === b.x), `${name}: a running point suggested again`);
      aware += distance(a);
      ignored += distance(b);
    }
    assert.ok(aware > ignored, `${name}: mean distance to the running trials ${aware / 12} (liar) vs ${ignored / 12} (ignored)`);
  }
});
