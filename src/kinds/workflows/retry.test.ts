/**
 * retryStrategy at the operator level, on an injected clock: how many attempts, which outcomes are
 * retried, and exactly when the next attempt starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim, T0 } from './testkit.js';

const alwaysFails = (retryStrategy: string) => `
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: always-fails, template: always-fails}
  - name: always-fails
    retryStrategy: ${retryStrategy}
    container: {image: alpine, command: [sh, -c, exit 1]}
`;

const attempt = (n: number) => `wf[0].always-fails(${n})`;

test('a retry with backoff duration "1" and factor 2 waits 1 s, then 2 s, counted from the failed attempt’s end', () => {
  const sim = new Sim(alwaysFails('{limit: 2, retryPolicy: Always, backoff: {duration: "1", factor: 2}}'));
  sim.pass();
  sim.end(attempt(0), { exitCode: 1 });
  let r = sim.pass();
  assert.equal(sim.node('always-fails').message, 'Backoff for 1s');
  assert.equal(r.requeueAfterMs, 1000, 'the pass asks to come back when the back-off ends');
  sim.now = T0 + 999;
  assert.equal(sim.pass().startPods.length, 0, 'no attempt before 1 s');
  sim.now = T0 + 1000;
  assert.deepEqual(sim.pass().startPods.map((p) => p.nodeName), [attempt(1)]);
  sim.end(attempt(1), { exitCode: 1 });
  r = sim.pass();
  assert.equal(sim.node('always-fails').message, 'Backoff for 2s');
  assert.equal(r.requeueAfterMs, 2000);
  sim.now = T0 + 2999;
  assert.equal(sim.pass().startPods.length, 0, 'no attempt before 2 s more');
  sim.now = T0 + 3000;
  assert.deepEqual(sim.pass().startPods.map((p) => p.nodeName), [attempt(2)]);
  sim.end(attempt(2), { exitCode: 1 });
  sim.pass();
  const retry = sim.node('always-fails');
  assert.equal(retry.type, 'Retry');
  assert.equal(retry.phase, 'Failed');
  assert.equal(retry.children?.length, 3, 'limit 2 = 3 attempts');
  assert.equal(sim.wf.status?.phase, 'Failed');
});

test('the back-off counts from the attempt’s finishedAt, kept in whole seconds: a failure at 0.7 s with a 1 s back-off retries at 1 s', () => {
  const sim = new Sim(alwaysFails('{limit: 1, retryPolicy: Always, backoff: {duration: "1"}}'));
  sim.pass();
  sim.now = T0 + 700;
  sim.end(attempt(0), { exitCode: 1 });
  assert.equal(sim.pass().requeueAfterMs, 300);
  sim.now = T0 + 1000;
  assert.deepEqual(sim.pass().startPods.map((p) => p.nodeName), [attempt(1)]);
});

test('backoff.cap limits each wait: duration 1 s, factor 10, cap 3 s waits 1 s, then 3 s', () => {
  const sim = new Sim(alwaysFails('{limit: 2, retryPolicy: Always, backoff: {duration: "1s", factor: 10, cap: "3s"}}'));
  sim.pass();
  sim.end(attempt(0), { exitCode: 1 });
  assert.equal(sim.pass().requeueAfterMs, 1000);
  sim.now = T0 + 1000;
  sim.pass();
  sim.end(attempt(1), { exitCode: 1 });
  assert.equal(sim.pass().requeueAfterMs, 3000);
  assert.equal(sim.node('always-fails').message, 'Backoff for 3s');
});

test('backoff.maxDuration: once it has passed since the first attempt started, no attempt follows and the node says why', () => {
  const sim = new Sim(alwaysFails('{limit: 5, retryPolicy: Always, backoff: {duration: "1", maxDuration: "2s"}}'));
  sim.pass();
  sim.end(attempt(0), { exitCode: 1 });
  sim.pass();
  sim.now = T0 + 1000;
  sim.pass();
  sim.now = T0 + 2000;
  sim.end(attempt(1), { exitCode: 1 });
  const r = sim.pass();
  assert.equal(r.startPods.length, 0);
  const retry = sim.node('always-fails');
  assert.equal(retry.phase, 'Failed');
  assert.equal(retry.message, 'Max duration limit exceeded');
  assert.equal(retry.children?.length, 2);
  assert.equal(sim.wf.status?.phase, 'Failed');
});

test('retryStrategy.limit 3: a step that fails twice then succeeds leaves a Retry node with 3 attempts, Succeeded, carrying the last attempt’s outputs', () => {
  const sim = new Sim(`
spec:
  entrypoint: flaky
  templates:
  - name: flaky
    retryStrategy: {limit: 3}
    container: {image: alpine, command: [sh, -c, 'echo "attempt (retries={{retries}})"']}
`);
  let n = 0;
  const status = sim.run((_name, pod) => {
    n++;
    const script = Sim.argv(pod)[2]!;
    return { exitCode: n >= 3 ? 0 : 1, stdout: script.replace(/^echo "|"$/g, '').replace('attempt', `attempt ${n}`) };
  });
  assert.equal(status?.phase, 'Succeeded');
  const retry = sim.node('wf');
  assert.equal(retry.type, 'Retry');
  assert.equal(retry.phase, 'Succeeded');
  const attempts = retry.children!.map((id) => status!.nodes![id]!);
  assert.deepEqual(
    attempts.map((a) => [a.displayName, a.type, a.phase]),
    [
      ['wf(0)', 'Pod', 'Failed'],
      ['wf(1)', 'Pod', 'Failed'],
      ['wf(2)', 'Pod', 'Succeeded'],
    ],
  );
  assert.equal(attempts[2]!.outputs?.result, 'attempt 3 (retries=2)');
  assert.equal(retry.outputs?.result, 'attempt 3 (retries=2)', 'the Retry node carries the last attempt’s outputs');
  assert.equal(sim.created.length, 3, 'one pod per attempt, each run once');
});

test('retryPolicy OnError does not retry a step that merely failed: one attempt, one pod', () => {
  const sim = new Sim(`
spec:
  entrypoint: fail
  templates:
  - name: fail
    retryStrategy: {limit: 3, retryPolicy: OnError}
    container: {image: alpine, command: [sh, -c, 'exit 1']}
`);
  const status = sim.run(() => ({ exitCode: 1 }));
  assert.equal(status?.phase, 'Failed');
  const retry = sim.node('wf');
  assert.equal(retry.type, 'Retry');
  assert.equal(retry.children?.length, 1, 'one attempt only');
  assert.equal(sim.created.length, 1);
});

test('retryStrategy.expression: retried while lastRetry.exitCode is 2, not after an exit 3', () => {
  const sim = new Sim(`
spec:
  entrypoint: flaky
  templates:
  - name: flaky
    retryStrategy: {limit: 5, expression: asInt(lastRetry.exitCode) == 2}
    container: {image: alpine, command: [sh, -c, 'exit 2']}
`);
  let n = 0;
  const status = sim.run(() => ({ exitCode: ++n < 3 ? 2 : 3 }));
  assert.equal(status?.phase, 'Failed');
  const attempts = sim.node('wf').children!.map((id) => status!.nodes![id]!);
  assert.deepEqual(
    attempts.map((a) => a.outputs?.exitCode),
    ['2', '2', '3'],
  );
  assert.equal(sim.created.length, 3, 'the step ran three times');
});

test('templateDefaults: a default retryStrategy applies to every template that does not set one', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  templateDefaults:
    retryStrategy: {limit: 2}
  templates:
  - name: main
    steps:
    - - {name: flaky, template: flaky}
  - name: flaky
    container: {image: alpine, command: [sh, -c, 'exit 1']}
`);
  let n = 0;
  const status = sim.run(() => ({ exitCode: ++n >= 2 ? 0 : 1 }));
  assert.equal(status?.phase, 'Succeeded');
  const flaky = sim.node('flaky');
  assert.equal(flaky.type, 'Retry', 'the default retryStrategy made a Retry node');
  assert.deepEqual(flaky.children!.map((id) => status!.nodes![id]!.phase), ['Failed', 'Succeeded']);
});

test('retryStrategy.expression with a template tag: the tag is substituted first, then lastRetry.* is evaluated', () => {
  const retried = (safe: string) => {
    const sim = new Sim(`
spec:
  entrypoint: flaky
  arguments: {parameters: [{name: safe, value: "${safe}"}]}
  templates:
  - name: flaky
    inputs: {parameters: [{name: safe, value: "{{workflow.parameters.safe}}"}]}
    retryStrategy: {limit: 3, expression: 'asInt(lastRetry.exitCode) > 1 && {{inputs.parameters.safe}} == true'}
    container: {image: alpine, command: [sh, -c, 'exit 2']}
`);
    const status = sim.run(() => ({ exitCode: 2 }));
    assert.equal(status?.phase, 'Failed', status?.message);
    return sim.created.length;
  };
  assert.equal(retried('true'), 4, 'safe to retry: the first run and three retries');
  assert.equal(retried('false'), 1, 'not safe: no retry');
});
