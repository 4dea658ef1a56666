import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm, hyperbandSchedule, type Assignments, type Observation } from './index.js';
import { double, int } from './testing.js';

const shape = (rl: number, eta: number): string[] =>
  hyperbandSchedule(rl, eta).map((b) => b.rungs.map((r) => `${r.n}@${Number(r.resource.toFixed(6))}`).join(' '));

test('bracket sizes match the textbook for r_l=9, eta=3 and r_l=81, eta=3', () => {
  assert.deepEqual(shape(9, 3), ['9@1 3@3 1@9', '5@3 1@9', '3@9']);
  assert.deepEqual(shape(81, 3), ['81@1 27@3 9@9 3@27 1@81', '34@3 11@9 3@27 1@81', '15@9 5@27 1@81', '8@27 2@81', '5@81']);
});

test('hyperband promotes the best of each rung with more resource, then says exhausted', () => {
  const parameters = [double('lr', 0, 1), int('epochs', 1, 9)];
  const alg = createAlgorithm('hyperband', { r_l: '9', eta: '3', resource_name: 'epochs', random_state: '1' });
  const loss = (a: Assignments): number => Math.abs(Number(a.lr) - 0.5) + 1 / Number(a.epochs);
  const completed: Observation[] = [];
  const rounds: Assignments[][] = [];
  for (let i = 0; i < 20; i++) {
    const r = alg.suggest({ parameters, objectiveType: 'minimize', completed, pending: [], count: 100 });
    if (r.assignments.length === 0) {
      assert.equal(r.exhausted, true);
      break;
    }
    rounds.push(r.assignments);
    for (const a of r.assignments) completed.push({ assignments: a, value: loss(a) });
  }
  assert.deepEqual(rounds.map((r) => `${r.length}@${r[0]!.epochs}`), ['9@1', '3@3', '1@9', '5@3', '1@9', '3@9']);
  // The three promoted from rung 0 are its three best, now with 3 epochs.
  const bestThree = [...rounds[0]!].sort((a, b) => loss(a) - loss(b)).slice(0, 3).map((a) => a.lr);
  assert.deepEqual(rounds[1]!.map((a) => a.lr).sort(), bestThree.sort());
});

test('a rung waits for its running trials; a rung handed out in parts is not duplicated', () => {
  const parameters = [double('lr', 0, 1), int('epochs', 1, 9)];
  const alg = createAlgorithm('hyperband', { r_l: '9', resource_name: 'epochs' });
  const req = { parameters, objectiveType: 'maximize' as const, completed: [] as Observation[] };
  const a = alg.suggest({ ...req, pending: [], count: 5 });
  const b = alg.suggest({ ...req, pending: a.assignments, count: 5 });
  assert.equal(a.assignments.length, 5);
  assert.equal(b.assignments.length, 4);
  assert.equal(new Set([...a.assignments, ...b.assignments].map((x) => x.lr)).size, 9);
  const all = [...a.assignments, ...b.assignments];
  assert.deepEqual(alg.suggest({ ...req, pending: all, count: 5 }), { assignments: [], exhausted: false });
  // Failed trials are not promoted.
  const completed = all.map((assignments, i) => ({ assignments, value: i < 7 ? undefined : i }));
  const next = alg.suggest({ parameters, objectiveType: 'maximize', completed, pending: [], count: 5 });
  assert.deepEqual(next.assignments.map((x) => x.lr).sort(), [all[7]!.lr, all[8]!.lr].sort());
});
