/**
 * Argo Workflows end to end, the basics: hello world, steps, DAGs, exit handlers, script
 * templates, output parameters, globalName outputs, enums and expression tags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { d, dir, pvc, create, summary, waitDone, node, param, childrenOf, podsOf, spans, LOG_TEMPLATE, claimVolume, ECHO_TEMPLATE, type Pod, useWorkflowServer, printed } from './workflow-harness.js';

useWorkflowServer();

// ---- hello world, steps, DAG, exit handlers -----------------------------------------------

test('hello world: a workflow parameter reaches the step and its stdout is outputs.result', async () => {
  await create(
    'hello.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: hello }
spec:
  entrypoint: main
  arguments:
    parameters: [{ name: message, value: hello drover }]
  templates:
    - name: main
      inputs:
        parameters: [{ name: message }]
      container:
        image: busybox
        command: [sh, -c, 'echo "{{inputs.parameters.message}} from {{workflow.name}}"']
`,
  );
  const wf = await waitDone('hello');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.ok(wf.status?.conditions?.some((c) => c.type === 'Completed' && c.status === 'True'), 'Completed condition');
  const root = node(wf, 'hello');
  assert.equal(root.type, 'Pod');
  assert.equal(root.phase, 'Succeeded');
  assert.equal(root.templateName, 'main');
  assert.deepEqual(root.inputs?.parameters, [{ name: 'message', value: 'hello drover' }]);
  assert.equal(root.outputs?.result, 'hello drover from hello');
  assert.equal(root.outputs?.exitCode, '0');
  assert.ok(root.startedAt && root.finishedAt);
  assert.equal((await podsOf('hello')).length, 1);
});

test('steps: the outer list runs in order, an inner list runs in parallel, and steps read earlier steps’ results', async () => {
  await create(
    'steps.yaml',
    pvc('steps-c') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: steps }
spec:
  entrypoint: main${claimVolume('steps-c')}
  templates:
    - name: main
      steps:
        - - name: first
            template: log
            arguments: { parameters: [{ name: msg, value: first }, { name: sleep, value: "0.2" }] }
        - - name: left
            template: log
            arguments: { parameters: [{ name: msg, value: left }, { name: sleep, value: "0.6" }] }
          - name: right
            template: log
            arguments: { parameters: [{ name: msg, value: right }, { name: sleep, value: "0.6" }] }
        - - name: last
            template: echo
            arguments: { parameters: [{ name: m, value: "{{steps.first.outputs.result}}>{{steps.left.outputs.result}}+{{steps.right.outputs.result}}" }] }
${LOG_TEMPLATE}
${ECHO_TEMPLATE}
`,
  );
  const wf = await waitDone('steps');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  const root = node(wf, 'steps');
  assert.equal(root.type, 'Steps');
  const groups = childrenOf(wf, root);
  assert.deepEqual(
    groups.map((g) => [g.displayName, g.type, g.phase]),
    [
      ['[0]', 'StepGroup', 'Succeeded'],
      ['[1]', 'StepGroup', 'Succeeded'],
      ['[2]', 'StepGroup', 'Succeeded'],
    ],
  );
  assert.deepEqual(childrenOf(wf, groups[1]!).map((n) => n.displayName).sort(), ['left', 'right']);
  for (const n of ['first', 'left', 'right', 'last']) assert.equal(node(wf, n).type, 'Pod');
  assert.equal(await printed(wf, 'last'), 'first>left+right');
  const s = spans('steps-c');
  const first = s.get('first')!;
  const left = s.get('left')!;
  const right = s.get('right')!;
  assert.ok(first.end <= left.start && first.end <= right.start, 'the second group starts after the first ends');
  assert.ok(left.start < right.end && right.start < left.end, `left and right overlap: ${JSON.stringify([left, right])}`);
  assert.equal((await podsOf('steps')).length, 4);
});

test('DAG diamond: B and C run after A and in parallel, D after both; parameters flow through {{tasks.X.outputs.result}}', async () => {
  await create(
    'diamond.yaml',
    pvc('diamond-c') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: diamond }
spec:
  entrypoint: diamond${claimVolume('diamond-c')}
  templates:
    - name: diamond
      dag:
        tasks:
          - name: A
            template: log
            arguments: { parameters: [{ name: msg, value: a }] }
          - name: B
            depends: A
            template: log
            arguments: { parameters: [{ name: msg, value: "{{tasks.A.outputs.result}}b" }, { name: sleep, value: "0.5" }] }
          - name: C
            dependencies: [A]
            template: log
            arguments: { parameters: [{ name: msg, value: "{{tasks.A.outputs.result}}c" }, { name: sleep, value: "0.5" }] }
          - name: D
            depends: B && C
            template: echo
            arguments: { parameters: [{ name: m, value: "{{tasks.B.outputs.result}}+{{tasks.C.outputs.result}}" }] }
${LOG_TEMPLATE}
${ECHO_TEMPLATE}
`,
  );
  const wf = await waitDone('diamond');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(node(wf, 'diamond').type, 'DAG');
  assert.equal(node(wf, 'A').outputs?.result, 'a');
  assert.equal(node(wf, 'B').outputs?.result, 'ab');
  assert.equal(node(wf, 'C').outputs?.result, 'ac');
  assert.equal(await printed(wf, 'D'), 'ab+ac');
  // Nothing names D's result, so Argo keeps none; what it printed is in its log.
  assert.equal(node(wf, 'D').outputs?.result, undefined);
  for (const n of ['A', 'B', 'C', 'D']) assert.equal(node(wf, n).boundaryID, node(wf, 'diamond').id, `${n} is inside the DAG`);
  const s = spans('diamond-c');
  const [a, b, c] = [s.get('a')!, s.get('ab')!, s.get('ac')!];
  assert.ok(a.end <= b.start && a.end <= c.start, 'B and C start after A ends');
  assert.ok(b.start < c.end && c.start < b.end, `B and C overlap: ${JSON.stringify([b, c])}`);
  const dStart = Date.parse(node(wf, 'D').startedAt!) / 1000;
  assert.ok(dStart >= Math.floor(Math.max(b.end, c.end)), 'D starts after B and C end');
});

const exitHandlerWorkflow = (name: string, code: number) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: ${name} }
spec:
  entrypoint: main
  onExit: bye
  arguments:
    parameters: [{ name: code, value: "${code}" }]
  templates:
    - name: main
      container:
        image: alpine
        command: [sh, -c, 'echo working; exit {{workflow.parameters.code}}']
    - name: bye
      container:
        image: alpine
        command: [sh, -c, 'echo "status={{workflow.status}}"; printf "%s\\n" "$0"', '{{workflow.failures}}']
`;

test('exit handler: onExit runs after success and sees {{workflow.status}} = Succeeded', async () => {
  await create('exit-ok.yaml', exitHandlerWorkflow('exit-ok', 0));
  const wf = await waitDone('exit-ok');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  const bye = node(wf, 'exit-ok.onExit');
  assert.equal(bye.phase, 'Succeeded');
  assert.equal(bye.templateName, 'bye');
  assert.match(bye.outputs!.result!, /^status=Succeeded$/m);
  assert.ok(Date.parse(bye.startedAt!) >= Date.parse(node(wf, 'exit-ok').finishedAt!), 'the exit handler starts after the main tree ends');
});

test('exit handler: onExit runs after a failure with {{workflow.status}} = Failed and {{workflow.failures}} naming the failed step', async () => {
  await create('exit-fail.yaml', exitHandlerWorkflow('exit-fail', 3));
  const wf = await waitDone('exit-fail');
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  assert.equal(node(wf, 'exit-fail').phase, 'Failed');
  assert.equal(node(wf, 'exit-fail').outputs?.exitCode, '3');
  const bye = node(wf, 'exit-fail.onExit');
  assert.equal(bye.phase, 'Succeeded');
  const [status, failuresJson] = bye.outputs!.result!.split('\n');
  assert.equal(status, 'status=Failed');
  const failures = JSON.parse(failuresJson!) as { displayName: string; phase: string; message?: string }[];
  assert.ok(Array.isArray(failures) && failures.length > 0, `workflow.failures is a non-empty list: ${failuresJson}`);
  assert.ok(failures.some((f) => f.displayName === 'exit-fail' && f.phase === 'Failed'), failuresJson);
});

test('exit handlers on a step (onExit) and on a DAG task (hooks.exit) run after it, whatever its outcome', async () => {
  await create(
    'step-exit.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: step-exit }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: work, template: fail, onExit: cleanup, continueOn: { failed: true } }
        - - { name: dag, template: dag }
    - name: dag
      dag:
        tasks:
          - name: task
            template: pass
            hooks:
              exit: { template: cleanup }
    - name: pass
      container: { image: alpine, command: [sh, -c, 'echo ok'] }
    - name: fail
      container: { image: alpine, command: [sh, -c, 'exit 1'] }
    - name: cleanup
      container: { image: alpine, command: [sh, -c, 'echo cleaned'] }
`,
  );
  const wf = await waitDone('step-exit');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(node(wf, 'work').phase, 'Failed');
  const stepExit = node(wf, 'work.onExit');
  assert.equal(stepExit.phase, 'Succeeded');
  assert.equal(stepExit.outputs?.result, 'cleaned');
  assert.ok(Date.parse(stepExit.startedAt!) >= Date.parse(node(wf, 'work').finishedAt!));
  const taskExit = node(wf, 'task.onExit');
  assert.equal(taskExit.phase, 'Succeeded');
  assert.equal(taskExit.templateName, 'cleanup');
});

// ---- script, output parameters, globalName, enum ------------------------------------------

test('script template: the source runs under `command: [python3]` and its stdout is the result the next step reads', async () => {
  await create(
    'script.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: script }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: gen, template: gen }
        - - name: use
            template: use
            arguments: { parameters: [{ name: doc, value: "{{steps.gen.outputs.result}}" }] }
    - name: gen
      script:
        image: python:3.12
        command: [python3]
        source: |
          import json, sys
          print(json.dumps({"n": 6 * 7, "py": sys.version_info[0]}))
    - name: use
      inputs: { parameters: [{ name: doc }] }
      script:
        image: python:3.12
        command: [python3]
        source: |
          import json
          doc = json.loads('''{{inputs.parameters.doc}}''')
          print(doc["n"] + 1)
`,
  );
  const wf = await waitDone('script');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.deepEqual(JSON.parse(node(wf, 'gen').outputs!.result!), { n: 42, py: 3 });
  assert.equal(await printed(wf, 'use'), '43');
});

test('output parameters: valueFrom.path, default for a missing file, globalName into status.outputs and {{workflow.outputs.parameters.X}}', async () => {
  await create(
    'outparams.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: outparams }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: produce, template: produce }
        - - name: consume
            template: echo
            arguments:
              parameters:
                - name: m
                  value: "{{steps.produce.outputs.parameters.word}}/{{steps.produce.outputs.parameters.missing}}/{{workflow.outputs.parameters.shared-word}}"
    - name: produce
      container:
        image: alpine
        command: [sh, -c, 'printf "hello" > /tmp/word.txt; printf "global value" > /tmp/global.txt']
      outputs:
        parameters:
          - name: word
            valueFrom: { path: /tmp/word.txt }
          - name: missing
            valueFrom: { path: /tmp/not-written.txt, default: fallback }
          - name: shared
            globalName: shared-word
            valueFrom: { path: /tmp/global.txt }
${ECHO_TEMPLATE}
`,
  );
  const wf = await waitDone('outparams');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  const produce = node(wf, 'produce');
  assert.equal(param(produce, 'word'), 'hello');
  assert.equal(param(produce, 'missing'), 'fallback');
  assert.equal(param(produce, 'shared'), 'global value');
  assert.deepEqual(wf.status?.outputs?.parameters, [{ name: 'shared-word', value: 'global value' }]);
  assert.equal(await printed(wf, 'consume'), 'hello/fallback/global value');
});

test('an output parameter whose file is missing and that has no default fails the step', async () => {
  await create(
    'outparam-missing.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: outparam-missing }
spec:
  entrypoint: produce
  templates:
    - name: produce
      container: { image: alpine, command: [sh, -c, 'echo no file written'] }
      outputs:
        parameters:
          - name: word
            valueFrom: { path: /tmp/never.txt }
`,
  );
  const wf = await waitDone('outparam-missing');
  assert.notEqual(wf.status?.phase, 'Succeeded', summary(wf));
  const n = node(wf, 'outparam-missing');
  assert.ok(n.phase === 'Failed' || n.phase === 'Error', n.phase);
  assert.match(n.message ?? '', /never\.txt/);
});

test('a workflow argument outside its enum is refused with the parameter, the value and the allowed values', async () => {
  const path = join(dir, 'enum.yaml');
  writeFileSync(
    path,
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: enum-bad }
spec:
  entrypoint: main
  arguments:
    parameters:
      - name: mode
        value: turbo
        enum: [fast, slow]
  templates:
    - name: main
      container: { image: alpine, command: [echo, "{{workflow.parameters.mode}}"] }
`,
  );
  const r = await d.cli(['create', '-f', path]);
  if (r.code !== 0) {
    // Argo's own validation refuses it at submission.
    assert.match(r.stderr, /mode/);
    assert.match(r.stderr, /enum/);
    return;
  }
  const wf = await waitDone('enum-bad');
  assert.equal(wf.status?.phase, 'Error', summary(wf));
  assert.match(wf.status?.message ?? '', /mode/);
  assert.match(wf.status?.message ?? '', /turbo/);
  assert.match(wf.status?.message ?? '', /fast.*slow/);
  assert.equal((await podsOf('enum-bad')).length, 0, 'no step ran');
});

test('expression tags {{=…}}: asInt arithmetic, sprig helpers and jsonpath over a parameter; a ConfigMap key as a workflow argument', async () => {
  await create(
    'expressions.yaml',
    `apiVersion: v1
kind: ConfigMap
metadata: { name: wf-config }
data: { lr: "0.01" }
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: expressions }
spec:
  entrypoint: main
  arguments:
    parameters:
      - { name: n, value: "21" }
      - { name: word, value: drover }
      - name: doc
        value: '{"model": {"layers": [64, 32], "name": "mlp"}}'
      - name: lr
        valueFrom: { configMapKeyRef: { name: wf-config, key: lr } }
  templates:
    - name: main
      steps:
        - - { name: calc, template: echo, arguments: { parameters: [{ name: m, value: "{{=asInt(workflow.parameters.n) * 2}}" }] } }
          - { name: upper, template: echo, arguments: { parameters: [{ name: m, value: "{{=sprig.upper(workflow.parameters.word)}}" }] } }
          - { name: path, template: echo, arguments: { parameters: [{ name: m, value: "{{=jsonpath(workflow.parameters.doc, '$.model.name')}}" }] } }
          - { name: lr, template: echo, arguments: { parameters: [{ name: m, value: "lr={{workflow.parameters.lr}}" }] } }
${ECHO_TEMPLATE}
`,
  );
  const wf = await waitDone('expressions');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(await printed(wf, 'calc'), '42');
  assert.equal(await printed(wf, 'upper'), 'DROVER');
  assert.equal(await printed(wf, 'path'), 'mlp');
  assert.equal(await printed(wf, 'lr'), 'lr=0.01');
});
