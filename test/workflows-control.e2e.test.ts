/**
 * Argo Workflows end to end, control flow: loops (withItems, withParam, withSequence), when,
 * depends, failFast, target and continueOn. Retry timing and policies are specified at the
 * operator level (src/kinds/workflows/retry.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { d, create, summary, waitDone, allNodes, node, maybeNode, podsOf, ECHO_TEMPLATE, type Pod, useWorkflowServer, printed } from './workflow-harness.js';

useWorkflowServer();

// ---- loops ----------------------------------------------------------------------------------

test('loops: withItems over scalars and maps, withParam from an earlier JSON result, aggregated results and parameters', async () => {
  await create(
    'loops.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: loops }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: scalars
            template: square
            arguments: { parameters: [{ name: n, value: "{{item}}" }] }
            withItems: [1, 2, 3]
          - name: maps
            template: echo
            arguments: { parameters: [{ name: m, value: "{{item.os}}-{{item.version}}" }] }
            withItems:
              - { os: debian, version: 12 }
              - { os: ubuntu, version: 24 }
          - name: gen
            template: gen
        - - name: fanout
            template: square
            arguments: { parameters: [{ name: n, value: "{{item}}" }] }
            withParam: "{{steps.gen.outputs.result}}"
        - - name: sum
            template: echo
            arguments:
              parameters:
                - name: m
                  value: "results={{steps.fanout.outputs.result}} params={{steps.fanout.outputs.parameters.sq}} all={{steps.fanout.outputs.parameters}}"
    - name: gen
      script:
        image: python:3.12
        command: [python3]
        source: |
          import json
          print(json.dumps([4, 5]))
    - name: square
      inputs: { parameters: [{ name: n }] }
      container:
        image: alpine
        command: [sh, -c, 'n={{inputs.parameters.n}}; printf "sq%s" $((n * n)) > /tmp/sq; echo $((n * n))']
      outputs:
        parameters: [{ name: sq, valueFrom: { path: /tmp/sq } }]
${ECHO_TEMPLATE}
`,
  );
  const wf = await waitDone('loops');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.deepEqual(await Promise.all(['scalars(0:1)', 'scalars(1:2)', 'scalars(2:3)'].map((n) => printed(wf, n))), ['1', '4', '9']);
  // Nothing names their results: Argo keeps none, and neither does Drover.
  assert.equal(node(wf, 'scalars(0:1)').outputs?.result, undefined);
  const maps = allNodes(wf).filter((n) => n.displayName.startsWith('maps('));
  assert.equal(maps.length, 2);
  assert.deepEqual((await Promise.all(maps.map((n) => printed(wf, n.displayName)))).sort(), ['debian-12', 'ubuntu-24']);
  assert.deepEqual(['fanout(0:4)', 'fanout(1:5)'].map((n) => node(wf, n).outputs?.result), ['16', '25']);
  const m = /^results=(.*) params=(.*) all=(.*)$/.exec(await printed(wf, 'sum'));
  assert.ok(m, await printed(wf, 'sum'));
  assert.deepEqual(JSON.parse(m[1]!), [16, 25]);
  assert.deepEqual(JSON.parse(m[2]!), ['sq16', 'sq25']);
  assert.deepEqual(JSON.parse(m[3]!), [{ sq: 'sq16' }, { sq: 'sq25' }]);
});

test('loops: withSequence with count, start/end, a descending range and a format', async () => {
  await create(
    'sequence.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: sequence }
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - { name: count, template: echo, arguments: { parameters: [{ name: m, value: "c{{item}}" }] }, withSequence: { count: "3" } }
          - { name: range, template: echo, arguments: { parameters: [{ name: m, value: "r{{item}}" }] }, withSequence: { start: "5", end: "7" } }
          - { name: down, template: echo, arguments: { parameters: [{ name: m, value: "d{{item}}" }] }, withSequence: { start: "2", end: "0" } }
          - { name: fmt, template: echo, arguments: { parameters: [{ name: m, value: "{{item}}" }] }, withSequence: { start: "1", count: "2", format: "worker-%02d" } }
          - name: report
            depends: count && range && down && fmt
            template: echo
            arguments: { parameters: [{ name: m, value: "{{tasks.count.outputs.result}} {{tasks.range.outputs.result}} {{tasks.down.outputs.result}} {{tasks.fmt.outputs.result}}" }] }
${ECHO_TEMPLATE}
`,
  );
  const wf = await waitDone('sequence');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  const names = (prefix: string) => allNodes(wf).filter((n) => n.displayName.startsWith(`${prefix}(`)).map((n) => n.displayName).sort();
  assert.deepEqual(names('count'), ['count(0:0)', 'count(1:1)', 'count(2:2)']);
  assert.deepEqual(names('range'), ['range(0:5)', 'range(1:6)', 'range(2:7)']);
  assert.deepEqual(names('down'), ['down(0:2)', 'down(1:1)', 'down(2:0)']);
  assert.deepEqual(names('fmt'), ['fmt(0:worker-01)', 'fmt(1:worker-02)']);
  assert.equal(node(wf, 'count').type, 'TaskGroup');
  assert.equal(node(wf, 'count').phase, 'Succeeded');
  const [count, range, down, fmt] = (await printed(wf, 'report')).split(' ').map((s) => JSON.parse(s) as unknown);
  assert.deepEqual(count, ['c0', 'c1', 'c2']);
  assert.deepEqual(range, ['r5', 'r6', 'r7']);
  assert.deepEqual(down, ['d2', 'd1', 'd0']);
  assert.deepEqual(fmt, ['worker-01', 'worker-02']);
});

// ---- conditions: when, depends, failFast, target, continueOn ---------------------------------

test('when: a true condition runs the step, a false one leaves a Skipped node and no pod', async () => {
  await create(
    'when.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: when }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: flip
            template: echo
            arguments: { parameters: [{ name: m, value: heads }] }
        - - name: on-heads
            template: echo
            when: "{{steps.flip.outputs.result}} == heads"
            arguments: { parameters: [{ name: m, value: ran-heads }] }
          - name: on-tails
            template: echo
            when: "{{steps.flip.outputs.result}} == tails"
            arguments: { parameters: [{ name: m, value: ran-tails }] }
${ECHO_TEMPLATE}
`,
  );
  const wf = await waitDone('when');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(node(wf, 'on-heads').phase, 'Succeeded');
  assert.equal(await printed(wf, 'on-heads'), 'ran-heads');
  const tails = node(wf, 'on-tails');
  assert.equal(tails.phase, 'Skipped');
  assert.equal(tails.type, 'Skipped');
  assert.match(tails.message ?? '', /when 'heads == tails' evaluated false/);
  assert.equal((await podsOf('when')).length, 2, 'flip and on-heads ran; on-tails has no pod');
});

test('depends: .Succeeded/.Failed/.Skipped/.Completed, ! and || decide what runs; the rest is Omitted; a handled failure does not fail the DAG', async () => {
  await create(
    'depends.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: depends }
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - { name: A, template: pass }
          - { name: B, template: fail }
          - { name: S, template: pass, when: "1 == 2" }
          - { name: on-b-failed, template: pass, depends: "A.Succeeded && B.Failed" }
          - { name: on-a-failed, template: pass, depends: "A.Failed" }
          - { name: on-s-skipped, template: pass, depends: "S.Skipped" }
          - { name: on-s-succeeded, template: pass, depends: "S.Succeeded" }
          - { name: on-b-completed, template: pass, depends: "B.Completed" }
          - { name: not-a, template: pass, depends: "!A.Succeeded" }
          - { name: either, template: pass, depends: "A.Failed || S.Skipped" }
    - name: pass
      container: { image: alpine, command: [sh, -c, 'echo ok'] }
    - name: fail
      container: { image: alpine, command: [sh, -c, 'echo failing; exit 1'] }
`,
  );
  const wf = await waitDone('depends');
  const phases = Object.fromEntries(allNodes(wf).filter((n) => n.displayName !== 'depends').map((n) => [n.displayName, n.phase]));
  assert.deepEqual(phases, {
    A: 'Succeeded',
    B: 'Failed',
    S: 'Skipped',
    'on-b-failed': 'Succeeded',
    'on-a-failed': 'Omitted',
    'on-s-skipped': 'Succeeded',
    'on-s-succeeded': 'Omitted',
    'on-b-completed': 'Succeeded',
    'not-a': 'Omitted',
    either: 'Succeeded',
  });
  assert.equal(node(wf, 'on-a-failed').type, 'Skipped');
  assert.match(node(wf, 'on-a-failed').message ?? '', /depends condition not met/);
  // B failed, but every branch from it ends in a task that expected it: Argo judges the DAG by its leaves.
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
});

test('depends: a failure that a dependent runs on through `!B.Succeeded` does not fail the DAG (Argo judges the leaves)', async () => {
  await create(
    'depends-not.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: depends-not }
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - { name: B, template: fail }
          - { name: cleanup, template: pass, depends: "!B.Succeeded" }
    - name: pass
      container: { image: alpine, command: [sh, -c, 'echo cleaned'] }
    - name: fail
      container: { image: alpine, command: [sh, -c, 'exit 1'] }
`,
  );
  const wf = await waitDone('depends-not');
  assert.equal(node(wf, 'B').phase, 'Failed');
  assert.equal(maybeNode(wf, 'cleanup')?.phase, 'Succeeded', `cleanup runs because B did not succeed\n${summary(wf)}`);
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
});

test('depends: an Omitted leaf below a failed task inherits its failure, so the DAG fails even though another task handled it (Argo’s assessDAGPhase)', async () => {
  await create(
    'depends-omitted-leaf.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: depends-leaf }
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - { name: B, template: fail }
          - { name: on-failure, template: pass, depends: "B.Failed" }
          - { name: on-success, template: pass, depends: "B" }
    - name: pass
      container: { image: alpine, command: [sh, -c, 'echo ok'] }
    - name: fail
      container: { image: alpine, command: [sh, -c, 'exit 1'] }
`,
  );
  const wf = await waitDone('depends-leaf');
  assert.equal(node(wf, 'on-failure').phase, 'Succeeded');
  assert.equal(node(wf, 'on-success').phase, 'Omitted');
  // on-success is a leaf whose only parent failed: its branch is Failed, and so is the DAG.
  assert.equal(node(wf, 'depends-leaf').phase, 'Failed', summary(wf));
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
});

const failFastWorkflow = (name: string, failFast: boolean) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: ${name} }
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        failFast: ${failFast}
        tasks:
          - { name: quick-fail, template: fail }
          - { name: slow, template: slow }
          - { name: after-slow, template: pass, depends: slow }
    - name: pass
      container: { image: alpine, command: [sh, -c, 'echo ok'] }
    - name: slow
      container: { image: alpine, command: [sh, -c, 'sleep 1; echo slow done'] }
    - name: fail
      container: { image: alpine, command: [sh, -c, 'exit 1'] }
`;

test('failFast (the default): after a failure no new task starts, running ones finish, the DAG fails', async () => {
  await create('failfast.yaml', failFastWorkflow('failfast', true));
  const wf = await waitDone('failfast');
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  assert.equal(node(wf, 'quick-fail').phase, 'Failed');
  assert.equal(node(wf, 'slow').phase, 'Succeeded', 'a task already running is let finish');
  assert.equal(maybeNode(wf, 'after-slow'), undefined, 'no new task after the failure');
});

test('failFast: false runs every branch to completion and then fails the DAG', async () => {
  await create('nofailfast.yaml', failFastWorkflow('nofailfast', false));
  const wf = await waitDone('nofailfast');
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  assert.equal(node(wf, 'slow').phase, 'Succeeded');
  assert.equal(node(wf, 'after-slow').phase, 'Succeeded');
});

test('dag.target runs only the named task and what it depends on', async () => {
  await create(
    'target.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: target }
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        target: C
        tasks:
          - { name: A, template: echo, arguments: { parameters: [{ name: m, value: a }] } }
          - { name: B, template: echo, arguments: { parameters: [{ name: m, value: b }] } }
          - { name: C, template: echo, depends: A, arguments: { parameters: [{ name: m, value: "{{tasks.A.outputs.result}}c" }] } }
          - { name: D, template: echo, depends: C, arguments: { parameters: [{ name: m, value: d }] } }
${ECHO_TEMPLATE}
`,
  );
  const wf = await waitDone('target');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.deepEqual(allNodes(wf).filter((n) => n.type === 'Pod').map((n) => n.displayName).sort(), ['A', 'C']);
  assert.equal(await printed(wf, 'C'), 'ac');
  assert.equal((await podsOf('target')).length, 2);
});

test('continueOn: {failed: true} lets the next steps run and the workflow succeed; without it the next group never starts', async () => {
  await create(
    'continue.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: continue-on }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: flaky, template: fail, continueOn: { failed: true } }
        - - { name: next, template: pass }
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: no-continue }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: flaky, template: fail }
        - - { name: next, template: pass }
    - name: pass
      container: { image: alpine, command: [sh, -c, 'echo ok'] }
    - name: fail
      container: { image: alpine, command: [sh, -c, 'exit 2'] }
`.replace('        - - { name: next, template: pass }\n---', `        - - { name: next, template: pass }
    - name: pass
      container: { image: alpine, command: [sh, -c, 'echo ok'] }
    - name: fail
      container: { image: alpine, command: [sh, -c, 'exit 2'] }
---`),
  );
  const ok = await waitDone('continue-on');
  assert.equal(ok.status?.phase, 'Succeeded', summary(ok));
  assert.equal(node(ok, 'flaky').phase, 'Failed');
  assert.equal(node(ok, 'next').phase, 'Succeeded');
  const bad = await waitDone('no-continue');
  assert.equal(bad.status?.phase, 'Failed', summary(bad));
  assert.equal(maybeNode(bad, 'next'), undefined);
  assert.match(bad.status?.message ?? '', /exit code 2/);
});

// ---- a value that cannot be used ------------------------------------------------------------

test('an invalid templated field ends the workflow Failed (its step Error) with a message naming the template and field, and the server logs it once, not in a retry loop', async (t) => {
  const started = Date.now();
  await create(
    'bad-timeout.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: bad-timeout }
spec:
  entrypoint: main
  arguments: { parameters: [{ name: t, value: soon }] }
  templates:
    - name: main
      steps:
        - - { name: sleepy, template: sleepy, arguments: { parameters: [{ name: t, value: "{{workflow.parameters.t}}" }] } }
    - name: sleepy
      inputs: { parameters: [{ name: t }] }
      timeout: "{{inputs.parameters.t}}"
      container: { image: alpine, command: [sleep, "30"] }
`,
  );
  const wf = await waitDone('bad-timeout');
  t.diagnostic(`created → ${wf.status?.phase} in ${Date.now() - started} ms`);
  // The step errs; its steps group fails with it, so the workflow ends Failed, as Argo ends it.
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  assert.match(wf.status?.message ?? '', /timeout: invalid value "soon"/);
  const sleepy = node(wf, 'sleepy');
  assert.equal(sleepy.phase, 'Error');
  assert.match(sleepy.message ?? '', /template "sleepy": timeout: invalid value "soon"/);
  assert.deepEqual((await podsOf('bad-timeout')).map((p) => p.metadata.name), [], 'nothing of the step started');
  // Three seconds on, the message is in the server's log at most once: no reconcile retried it.
  await new Promise((r) => setTimeout(r, 3000));
  const mentions = d.logs.split('\n').filter((l) => l.includes('invalid value \\"soon\\"') || l.includes('invalid value "soon"'));
  assert.ok(mentions.length <= 1, `logged ${mentions.length} times:\n${mentions.slice(0, 3).join('\n')}`);
});
