import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseDepends, dependsTasks, evaluateDepends, dependenciesToDepends, ExpressionError,
  type NodeResultPhase, type TaskResult,
} from './index.js';

const done = (phase: NodeResultPhase, extra: Partial<TaskResult> = {}): TaskResult => ({ fulfilled: true, phase, ...extra });
const pending: TaskResult = { fulfilled: false };

function decide(source: string, results: Record<string, TaskResult>): boolean | 'pending' {
  return evaluateDepends(parseDepends(source), (task) => {
    const r = results[task];
    if (!r) throw new Error(`test asked for unknown task ${task}`);
    return r;
  });
}

function dependsFails(source: string, message: RegExp | string): void {
  assert.throws(() => parseDepends(source), (err: unknown) => {
    assert.ok(err instanceof ExpressionError, `expected ExpressionError, got ${String(err)}`);
    assert.equal(err.code, 'EXPRESSION_INVALID');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

test('A.Succeeded holds only for a succeeded task', () => {
  assert.equal(decide('A.Succeeded', { A: done('Succeeded') }), true);
  assert.equal(decide('A.Succeeded', { A: done('Failed') }), false);
  assert.equal(decide('A.Succeeded', { A: done('Skipped') }), false);
});

test('each task result matches its phase', () => {
  for (const phase of ['Failed', 'Errored', 'Skipped', 'Omitted', 'Daemoned'] as const) {
    assert.equal(decide(`A.${phase}`, { A: done(phase) }), true, phase);
    assert.equal(decide(`A.${phase}`, { A: done('Succeeded') }), false, phase);
  }
});

test('a bare task name in depends accepts a succeeded, skipped or daemoned task', () => {
  assert.equal(decide('A', { A: done('Succeeded') }), true);
  assert.equal(decide('A', { A: done('Skipped') }), true);
  assert.equal(decide('A', { A: done('Daemoned') }), true);
});

test('a bare task name refuses a failed, errored or omitted task', () => {
  assert.equal(decide('A', { A: done('Failed') }), false);
  assert.equal(decide('A', { A: done('Errored') }), false);
  assert.equal(decide('A', { A: done('Omitted') }), false);
});

test("a bare task name also accepts the failures the task's continueOn covers", () => {
  assert.equal(decide('A', { A: done('Failed', { continueOn: { failed: true } }) }), true);
  assert.equal(decide('A', { A: done('Errored', { continueOn: { error: true } }) }), true);
  assert.equal(decide('A', { A: done('Errored', { continueOn: { failed: true } }) }), false);
  // An explicit result is exact whatever continueOn says.
  assert.equal(decide('A.Succeeded', { A: done('Failed', { continueOn: { failed: true } }) }), false);
});

test('.Completed, a Drover extension, holds for a task that succeeded or failed but not one skipped', () => {
  const d = parseDepends('A.Completed');
  assert.equal(evaluateDepends(d, () => ({ fulfilled: true, phase: 'Failed' })), true);
  assert.equal(evaluateDepends(d, () => ({ fulfilled: true, phase: 'Succeeded' })), true);
  assert.equal(evaluateDepends(d, () => ({ fulfilled: true, phase: 'Skipped' })), false);
});

test('an unknown task result is refused with the list of results', () => {
  dependsFails('A.Done', 'depends "A.Done": unknown task result "Done" for task "A"; expected one of Succeeded, Failed, Errored, Skipped, Omitted, Daemoned, AnySucceeded, AllFailed, Completed at column 3');
});

test('AnySucceeded holds when at least one child of a fan-out succeeded', () => {
  assert.equal(decide('A.AnySucceeded', { A: done('Failed', { childPhases: ['Failed', 'Succeeded'] }) }), true);
  assert.equal(decide('A.AnySucceeded', { A: done('Failed', { childPhases: ['Failed', 'Errored'] }) }), false);
  assert.equal(decide('A.AnySucceeded', { A: done('Succeeded') }), false);
});

test('AllFailed holds when every child failed, and never for a fan-out without children', () => {
  assert.equal(decide('A.AllFailed', { A: done('Failed', { childPhases: ['Failed', 'Failed'] }) }), true);
  assert.equal(decide('A.AllFailed', { A: done('Failed', { childPhases: ['Failed', 'Errored'] }) }), false);
  assert.equal(decide('A.AllFailed', { A: done('Succeeded', { childPhases: [] }) }), false);
});

test('&&, || and ! combine results, && binding tighter', () => {
  const r = { A: done('Succeeded'), B: done('Failed'), C: done('Skipped') };
  assert.equal(decide('A && B.Failed', r), true);
  assert.equal(decide('A && B', r), false);
  assert.equal(decide('B || C', r), true);
  assert.equal(decide('!B', r), true);
  assert.equal(decide('B.Failed || A.Failed && C.Failed', r), true);
  assert.equal(decide('(B.Failed || A.Failed) && C.Failed', r), false);
  assert.equal(decide('(task-2.Succeeded || task-2.Skipped) && !task-3.Failed', { 'task-2': done('Skipped'), 'task-3': done('Succeeded') }), true);
});

test('the docs example: task || task-2.Failed', () => {
  assert.equal(decide('task || task-2.Failed', { task: done('Failed'), 'task-2': done('Failed') }), true);
  assert.equal(decide('task || task-2.Failed', { task: done('Failed'), 'task-2': done('Succeeded') }), false);
});

test('nothing is decided until every named task is fulfilled, even when the answer is known', () => {
  assert.equal(decide('A', { A: pending }), 'pending');
  assert.equal(decide('A.Succeeded || B.Succeeded', { A: done('Succeeded'), B: pending }), 'pending');
  assert.equal(decide('A.Failed && B', { A: done('Succeeded'), B: pending }), 'pending');
  assert.equal(decide('A || B', { A: done('Succeeded'), B: done('Failed') }), true);
});

test('a running daemon reported as fulfilled satisfies a bare dependency', () => {
  assert.equal(decide('db && db.Daemoned', { db: done('Daemoned') }), true);
});

test('task names may hold digits and hyphens; whitespace is free between tokens', () => {
  assert.equal(decide('  step-1.Succeeded&&(2nd ||  !x-y.Failed ) ', { 'step-1': done('Succeeded'), '2nd': done('Failed'), 'x-y': done('Succeeded') }), true);
});

test('dependsTasks lists every task once, in order of first appearance', () => {
  assert.deepEqual(dependsTasks(parseDepends('b.Failed || (a && b.Succeeded) || !c-1')), ['b', 'a', 'c-1']);
  assert.deepEqual(dependsTasks(parseDepends('')), []);
});

test('an empty depends depends on nothing and holds', () => {
  assert.equal(decide('', {}), true);
  assert.equal(decide('   ', {}), true);
});

test('dependencies [a, b] read as a && b with the bare-name meaning', () => {
  assert.equal(dependenciesToDepends(['A', 'B']), 'A && B');
  assert.equal(dependenciesToDepends([]), '');
  const src = dependenciesToDepends(['A', 'B-2']);
  assert.equal(decide(src, { A: done('Succeeded'), 'B-2': done('Skipped') }), true);
  // A failed dependency keeps the dependent from running (it is omitted).
  assert.equal(decide(src, { A: done('Failed'), 'B-2': done('Succeeded') }), false);
  assert.throws(() => dependenciesToDepends(['a b']), ExpressionError);
});

test('parse errors name the column and what was expected', () => {
  dependsFails('A &&', 'depends "A &&": expected a task name at column 5');
  dependsFails('A & B', /expected "&&" or "\|\|" but found "& " at column 3/);
  dependsFails('A B', /expected "&&", "\|\|" or the end but found "B" at column 3/);
  dependsFails('(A || B', /"\(" at column 1 is not closed at column 8/);
  dependsFails('A.succeeded', /unknown task result "succeeded" for task "A"/);
  dependsFails('A.', /unknown task result "" for task "A"/);
  dependsFails('a_b', /task names contain only letters, digits and "-" at column 2/);
  dependsFails('-a', /expected a task name but found "-" at column 1/);
  dependsFails('A and B', /expected "&&", "\|\|" or the end but found "a" at column 3/);
});
