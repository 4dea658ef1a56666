import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../api/errors.js';
import { Rng } from './rng.js';
import { Space, validateSearchSpace } from './space.js';
import { categorical, double, int } from './testing.js';
import { erfc, normCdf, normInv } from './stats.js';

test('invalid parameters are refused with their field paths', () => {
  const issues = validateSearchSpace([
    int('a', 5, 1),
    { name: 'b', parameterType: 'int', feasibleSpace: { list: ['1', '2'] } },
    double('c', 0, 1, { distribution: 'logUniform' }),
    { name: 'd', parameterType: 'categorical', feasibleSpace: { list: [] } },
    int('a', 1, 2),
    { name: 'e', parameterType: 'int', feasibleSpace: { min: '1.5', max: '3' } },
    { name: 'f', parameterType: 'discrete', feasibleSpace: { list: ['1', 'x'] } },
    double('g', 0, 1, { step: '-1' }),
  ]);
  const text = issues.map((i) => `${i.path}: ${i.message}`);
  assert.ok(text.includes('spec.parameters[0].feasibleSpace.min: min (5) must not be greater than max (1)'), text.join('\n'));
  assert.ok(text.some((t) => t.startsWith('spec.parameters[1].feasibleSpace.list: list is not allowed for a parameter of type int')));
  assert.ok(text.some((t) => t.startsWith('spec.parameters[2].feasibleSpace.min: min must be greater than 0 for distribution logUniform')));
  assert.ok(text.some((t) => t.startsWith('spec.parameters[3].feasibleSpace.list: list is required')));
  assert.ok(text.some((t) => t === 'spec.parameters[4].name: duplicate parameter name "a"'));
  assert.ok(text.some((t) => t.startsWith('spec.parameters[5].feasibleSpace.min: min must be an integer')));
  assert.ok(text.some((t) => t.startsWith('spec.parameters[6].feasibleSpace.list[1]: discrete values must be numbers')));
  assert.ok(text.some((t) => t.startsWith('spec.parameters[7].feasibleSpace.step: step must be a positive number')));
  assert.throws(() => Space.of([int('a', 5, 1)]), ValidationError);
});

test('ints print without decimals, stepped doubles without float noise, keys are canonical', () => {
  const space = Space.of([int('n', 1, 9, { step: '2' }), double('x', 0, 1, { step: '0.1' }), categorical('c', ['a', 'b'])]);
  assert.equal(space.size, 5 * 11 * 2);
  const a = space.toAssignments(Float64Array.from([0.99, 0.3, 1]));
  assert.deepEqual(a, { n: '9', x: '0.3', c: 'b' });
  assert.equal(space.key({ n: '9.0', x: '0.30000000000000004', c: 'b' }), space.key(a));
  assert.ok(space.key({ n: '4', x: '0.3', c: 'b' })!.startsWith('!'), 'an off-grid value is foreign');
  assert.equal(space.key({ n: '3' }), undefined);
});

test('random points respect bounds, steps and lists; logUniform samples the log scale', () => {
  const space = Space.of([
    int('n', 1, 9, { step: '2' }),
    double('lr', 1e-4, 1, { distribution: 'logUniform' }),
    { name: 'bs', parameterType: 'discrete', feasibleSpace: { list: ['16', '32', '64'] } },
    double('d', -1, 1, { distribution: 'normal' }),
  ]);
  let below = 0;
  let central = 0;
  const N = 4000;
  for (let i = 0; i < N; i++) {
    const a = space.toAssignments(space.sample(Rng.stream(1, i)));
    assert.match(a.n!, /^[13579]$/);
    const lr = Number(a.lr);
    assert.ok(lr >= 1e-4 && lr <= 1, a.lr);
    if (lr < 1e-2) below++;
    assert.ok(['16', '32', '64'].includes(a.bs!));
    const d = Number(a.d);
    assert.ok(d >= -1 && d <= 1);
    if (Math.abs(d) < 1 / 3) central++;
  }
  // Half the log range lies below 1e-2; a linear draw would put 1% there.
  assert.ok(Math.abs(below / N - 0.5) < 0.04, `fraction below 1e-2: ${below / N}`);
  // normal: sd = range/6, so |d| < sd holds ~68% of the time (uniform: 33%).
  assert.ok(central / N > 0.6, `fraction within one sd: ${central / N}`);
});

test('the normal distribution helpers agree with known values', () => {
  assert.ok(Math.abs(erfc(0.5) - 0.4795001221869535) < 1e-15);
  assert.ok(Math.abs(erfc(3) / 2.209049699858544e-5 - 1) < 1e-12);
  assert.ok(Math.abs(erfc(10) / 2.088487583762545e-45 - 1) < 1e-12);
  for (const p of [1e-12, 0.001, 0.3, 0.5, 0.97]) assert.ok(Math.abs(normCdf(normInv(p)) / p - 1) < 1e-10, String(p));
  assert.ok(Math.abs(normInv(0.975) - 1.959963984540054) < 1e-12);
});

test('seeded streams are reproducible and independent', () => {
  const a = Array.from({ length: 5 }, () => Rng.stream(7, 1, 2).float());
  assert.equal(new Set(a).size, 1);
  const r = Rng.stream(7, 1, 2);
  const s = Rng.stream(7, 1, 3);
  assert.notEqual(r.float(), s.float());
  let sum = 0;
  const u = Rng.stream(3);
  for (let i = 0; i < 10000; i++) sum += u.float();
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
});

test('a continuous value is one point however it is written; different values are different points', () => {
  const space = Space.of([double('x', -1, 1), categorical('c', ['a', 'b'])]);
  const key = (x: string): string | undefined => space.key({ x, c: 'a' });
  assert.equal(key('0.5'), key('5e-1'));
  assert.equal(key('0.5'), key('0.50000'));
  assert.equal(key('0'), key('-0'));
  assert.notEqual(key('0.5'), key('0.5000000000000001'));
  assert.notEqual(key('0.5'), space.key({ x: '0.5', c: 'b' }));
  assert.ok(key('2')!.startsWith('!'), 'outside the range: foreign');
});
