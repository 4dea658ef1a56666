import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionDetail, conditionHolds, gjsonGet, gjsonSyntaxError } from './gjson.js';

// Katib's defaults for batch/v1 Job and for the Kubeflow training kinds.
const JOB_SUCCESS = 'status.conditions.#(type=="Complete")#|#(status=="True")#';
const JOB_FAILURE = 'status.conditions.#(type=="Failed")#|#(status=="True")#';
const KF_SUCCESS = 'status.conditions.#(type=="Succeeded")#|#(status=="True")#';
const KF_FAILURE = 'status.conditions.#(type=="Failed")#|#(status=="True")#';

function job(status: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 't-1', namespace: 'default' }, spec: {}, status };
}

const complete = job({
  succeeded: 1,
  conditions: [
    { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached' },
    { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
  ],
});
const failed = job({
  failed: 4,
  conditions: [
    { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' },
    { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
  ],
});
const running = job({ active: 1, startTime: '2024-01-01T00:00:00Z' });
const runningWithFalse = job({ active: 1, conditions: [{ type: 'Complete', status: 'False' }, { type: 'Suspended', status: 'False' }] });

test("Katib's default Job conditions on complete, failed and running Jobs", () => {
  assert.equal(conditionHolds(complete, JOB_SUCCESS), true);
  assert.equal(conditionHolds(complete, JOB_FAILURE), false);
  assert.equal(conditionHolds(failed, JOB_SUCCESS), false);
  assert.equal(conditionHolds(failed, JOB_FAILURE), true);
  for (const r of [running, runningWithFalse, job({ conditions: [] }), job({})]) {
    assert.equal(conditionHolds(r, JOB_SUCCESS), false);
    assert.equal(conditionHolds(r, JOB_FAILURE), false);
  }
  assert.deepEqual(gjsonGet(complete, JOB_SUCCESS), [
    { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
  ]);
  // A Complete condition that is not True: the first query finds it, the second finds nothing.
  assert.deepEqual(gjsonGet(runningWithFalse, JOB_SUCCESS), []);
  assert.deepEqual(conditionDetail(failed, JOB_FAILURE), { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
  assert.equal(conditionDetail(running, JOB_FAILURE), undefined);
});

test('the Kubeflow-style Succeeded condition (PyTorchJob)', () => {
  const pj = (conditions: unknown[]) => ({ apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', status: { conditions } });
  const created = { type: 'Created', status: 'True', reason: 'PyTorchJobCreated' };
  const runningC = { type: 'Running', status: 'True', reason: 'PyTorchJobRunning' };
  assert.equal(conditionHolds(pj([created, runningC]), KF_SUCCESS), false);
  const done = pj([created, { ...runningC, status: 'False' }, { type: 'Succeeded', status: 'True', reason: 'PyTorchJobSucceeded', message: 'done' }]);
  assert.equal(conditionHolds(done, KF_SUCCESS), true);
  assert.equal(conditionHolds(done, KF_FAILURE), false);
  assert.deepEqual(conditionDetail(done, KF_SUCCESS), { reason: 'PyTorchJobSucceeded', message: 'done' });
  assert.equal(conditionHolds(pj([created, { type: 'Failed', status: 'True' }]), KF_FAILURE), true);
});

test('a condition holds only for an object or a non-empty array, as Katib reads it', () => {
  assert.equal(conditionHolds(complete, 'status'), true);
  assert.equal(conditionHolds(complete, 'status.conditions'), true);
  assert.equal(conditionHolds(complete, 'status.succeeded'), false, 'a number is not a condition');
  assert.equal(conditionHolds(complete, 'status.conditions.#'), false);
  assert.equal(conditionHolds(complete, 'status.missing'), false);
  assert.equal(conditionHolds(job({ conditions: [] }), 'status.conditions'), false);
  assert.equal(conditionHolds(complete, 'status.conditions.#(type=="Complete")'), true, 'first match is an object');
  assert.equal(conditionHolds(complete, 'status.conditions.#(type=="Nope")'), false);
});

const doc = {
  name: { first: 'Tom', last: 'Anderson' },
  age: 37,
  children: ['Sara', 'Alex', 'Jack'],
  'fav.movie': 'Deer Hunter',
  flags: [true, false],
  friends: [
    { first: 'Dale', last: 'Murphy', age: 44, nets: ['ig', 'fb', 'tw'], vip: true },
    { first: 'Roger', last: 'Craig', age: 68, nets: ['fb', 'tw'], vip: false },
    { first: 'Jane', last: 'Murphy', age: 47, nets: ['ig', 'tw'], nick: null },
  ],
};

test('dotted keys, indexes, escapes and #', () => {
  assert.equal(gjsonGet(doc, 'name.last'), 'Anderson');
  assert.equal(gjsonGet(doc, 'age'), 37);
  assert.deepEqual(gjsonGet(doc, 'children'), ['Sara', 'Alex', 'Jack']);
  assert.equal(gjsonGet(doc, 'children.1'), 'Alex');
  assert.equal(gjsonGet(doc, 'children.9'), undefined);
  assert.equal(gjsonGet(doc, 'children.x'), undefined);
  assert.equal(gjsonGet(doc, 'friends.1.first'), 'Roger');
  assert.equal(gjsonGet(doc, 'fav\\.movie'), 'Deer Hunter');
  assert.equal(gjsonGet(doc, 'fav.movie'), undefined);
  assert.equal(gjsonGet(doc, 'children.#'), 3);
  assert.deepEqual(gjsonGet(doc, 'friends.#.age'), [44, 68, 47]);
  assert.deepEqual(gjsonGet(doc, 'friends.#.nick'), [null], 'only the elements that have it');
  assert.equal(gjsonGet(doc, 'name.#'), undefined, '# needs an array');
  assert.equal(gjsonGet(doc, 'age.x'), undefined);
  assert.equal(gjsonGet(doc, 'toString'), undefined, 'no inherited properties');
  assert.equal(gjsonGet(null, 'a'), undefined);
  assert.equal(gjsonGet(doc, 'friends.2.nick'), null, 'null exists');
});

test('queries: first match, all matches, operators and types', () => {
  assert.equal(gjsonGet(doc, 'friends.#(last=="Murphy").first'), 'Dale');
  assert.equal(gjsonGet(doc, 'friends.#(last="Murphy").first'), 'Dale', 'a single = is the same');
  assert.deepEqual(gjsonGet(doc, 'friends.#(last=="Murphy")#.first'), ['Dale', 'Jane']);
  assert.deepEqual(gjsonGet(doc, 'friends.#(age>45)#.last'), ['Craig', 'Murphy']);
  assert.deepEqual(gjsonGet(doc, 'friends.#(age>=47)#.first'), ['Roger', 'Jane']);
  assert.deepEqual(gjsonGet(doc, 'friends.#(age<47)#.first'), ['Dale']);
  assert.deepEqual(gjsonGet(doc, 'friends.#(age<=47)#.first'), ['Dale', 'Jane']);
  assert.deepEqual(gjsonGet(doc, 'friends.#(last!="Murphy")#.first'), ['Roger']);
  assert.deepEqual(gjsonGet(doc, 'friends.#(age=="44")#.first'), ['Dale'], 'a quoted number compares as a number against a number');
  assert.deepEqual(gjsonGet(doc, 'friends.#(first>"K")#.first'), ['Roger'], 'strings compare as strings');
  assert.deepEqual(gjsonGet(doc, 'friends.#(first < Jz)#.first'), ['Dale', 'Jane'], 'spaces around the operator, unquoted value');
  assert.equal(gjsonGet(doc, 'friends.#(last=="Nobody")'), undefined);
  assert.deepEqual(gjsonGet(doc, 'friends.#(last=="Nobody")#'), []);
  assert.equal(gjsonGet({ a: [] }, 'a.#(x==1)#'), undefined, 'GJSON: nothing at all for an empty array');
  assert.deepEqual(gjsonGet(doc, 'friends.#(vip==true)#.first'), ['Dale']);
  assert.deepEqual(gjsonGet(doc, 'friends.#(vip!=true)#.first'), ['Roger']);
  assert.deepEqual(gjsonGet(doc, 'friends.#(vip)#.first'), ['Dale', 'Roger'], 'existence query');
  assert.deepEqual(gjsonGet(doc, 'friends.#(nick)#.first'), ['Jane'], 'a null value exists');
  assert.deepEqual(gjsonGet(doc, 'friends.#(nick=="x")#.first'), [], 'null matches no comparison');
  assert.equal(gjsonGet(doc, 'children.#(=="Alex")'), 'Alex', 'query on scalar elements');
  assert.deepEqual(gjsonGet(doc, 'children.#(!="Alex")#'), ['Sara', 'Jack']);
  assert.deepEqual(gjsonGet(doc, 'flags.#(==false)#'), [false]);
  assert.deepEqual(gjsonGet(doc, 'friends.#(nets.#(=="fb"))#.first'), ['Dale', 'Roger'], 'nested query');
  assert.deepEqual(gjsonGet({ a: [{ k: 'say "hi"' }] }, 'a.#(k=="say \\"hi\\"")#'), [{ k: 'say "hi"' }], 'JSON escapes in a quoted value');
  assert.deepEqual(gjsonGet({ a: [{ k: 'x)y' }] }, 'a.#(k=="x)y")#.k'), ['x)y'], 'a ) inside a quoted value');
  assert.equal(gjsonGet({ a: [{ n: 0 }] }, 'a.#(n=="abc").n'), 0, 'an unparsable number reads as 0, as in GJSON');
});

test('the pipe applies to the result so far; the dot after #(…)# applies to each match', () => {
  assert.equal(gjsonGet(doc, 'friends|0.first'), 'Dale');
  assert.equal(gjsonGet(doc, 'friends.0|first'), 'Dale');
  assert.equal(gjsonGet(doc, 'friends|#'), 3);
  assert.equal(gjsonGet(doc, 'friends.#(last=="Murphy")#|first'), undefined);
  assert.deepEqual(gjsonGet(doc, 'friends.#(last=="Murphy")#|0'), doc.friends[0]);
  assert.deepEqual(gjsonGet(doc, 'friends.#(last=="Murphy")#.0'), []);
  assert.deepEqual(gjsonGet(doc, 'friends.#(last=="Murphy")#.#'), []);
  assert.equal(gjsonGet(doc, 'friends.#(last=="Murphy")#|#'), 2);
  assert.equal(gjsonGet(doc, 'friends.#(last=="Murphy")#.first|1'), 'Jane');
  assert.equal(gjsonGet(doc, 'friends.#.first|#'), 3);
  assert.equal(gjsonGet(doc, 'friends.#(last=="Murphy")|age'), 44);
  assert.equal(gjsonGet(doc, 'friends.#(last=="Nobody")|age'), undefined);
});

test('paths outside the subset get a message naming the part', () => {
  for (const ok of [JOB_SUCCESS, JOB_FAILURE, KF_SUCCESS, 'status.succeeded', 'a.#', 'a.#.b', 'a.#(b)', 'a\\*b', 'a.#(b.#(=="x"))#']) {
    assert.equal(gjsonSyntaxError(ok), undefined, ok);
  }
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['status..phase', /empty component at offset 7 \(after "status\."\)/],
    ['status.', /empty component/],
    ['status|', /empty component/],
    ['stat*.phase', /wildcard "\*" in "stat\*"/],
    ['c?ildren.0', /wildcard "\?" in "c\?ildren"/],
    ['status.[@this].#(phase=="Succeeded")#', /multipaths/],
    ['children.@reverse', /modifiers such as "@reverse"/],
    ['friends.#(first%"D*")', /pattern operator in "#\(first%\\"D\*\\"\)"/],
    ['friends.#(first!%"D*")', /pattern operator/],
    ['friends.#(vip==~true)', /~ truthiness/],
    ['friends.#[last=="Murphy"]', /old #\[…\] query form/],
    ['friends.#(last=="Murphy"', /no closing "\)"/],
    ['friends.#(last=="Murphy)', /unterminated string/],
    ['friends.#(last=="Murphy")x', /unexpected "x" after "#\(last==\\"Murphy\\"\)"/],
    ['friends.#(last!"Murphy")', /unknown operator/],
    ['friends.#(nets.#(%"f*"))', /in the query path "nets\.#\(%\\"f\*\\"\)": the pattern operator/],
    ['a\\', /lone "\\"/],
  ];
  for (const [path, re] of cases) {
    const msg = gjsonSyntaxError(path);
    assert.ok(msg !== undefined && re.test(msg), `${path}: ${msg}`);
    assert.ok(msg.includes(JSON.stringify(path)), `the message names the whole path: ${msg}`);
    assert.throws(() => gjsonGet(doc, path), (e: unknown) => e instanceof Error && e.message === msg);
  }
});
