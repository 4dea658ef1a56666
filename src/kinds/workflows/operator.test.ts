/**
 * The workflow engine alone: passes (runPass) over a stored status and a set of pods, driven by
 * testkit.ts's Sim. Pods here are data the test sets (what the runtime would report); the step
 * files are kept in memory. End-to-end behaviour with real pods is in test/workflows*.e2e.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from './testkit.js';

const HELLO = `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
spec:
  entrypoint: main
  arguments:
    parameters: [{name: message, value: hello world}]
  templates:
  - name: main
    inputs:
      parameters: [{name: message, value: "{{workflow.parameters.message}}"}]
    container:
      image: alpine
      command: [echo, "{{inputs.parameters.message}}"]
`;

test('hello world: the parameter reaches the command, the root node is the pod, outputs.result is its stdout', () => {
  const sim = new Sim(HELLO);
  const status = sim.run((_n, pod) => ({ stdout: Sim.argv(pod).slice(1).join(' ') }));
  assert.equal(status?.phase, 'Succeeded');
  const root = status!.nodes!['wf']!;
  assert.equal(root.type, 'Pod');
  assert.equal(root.outputs?.result, 'hello world');
  assert.ok(sim.pods.has('wf'), 'the root pod is named after the workflow');
  assert.equal(status!.conditions?.find((c) => c.type === 'Completed')?.status, 'True');
});

test('steps: groups run in order, steps of a group in parallel, and a later step reads an earlier output', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: first, template: say, arguments: {parameters: [{name: m, value: one}]}}
    - - {name: a, template: say, arguments: {parameters: [{name: m, value: "{{steps.first.outputs.result}}-a"}]}}
      - {name: b, template: say, arguments: {parameters: [{name: m, value: b}]}}
  - name: say
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
`);
  const status = sim.run((_n, pod) => ({ stdout: Sim.argv(pod)[1] }));
  assert.equal(status?.phase, 'Succeeded');
  assert.equal(sim.node('a').outputs?.result, 'one-a');
  assert.equal(sim.node('[0]').type, 'StepGroup');
  assert.equal(sim.started[0], 'wf[0].first');
  assert.deepEqual(sim.started.slice(1).sort(), ['wf[1].a', 'wf[1].b']);
  assert.equal(sim.maxRunning, 2);
});

test('a DAG diamond runs B and C after A and D after both, with D reading both outputs', () => {
  const sim = new Sim(`
spec:
  entrypoint: diamond
  templates:
  - name: diamond
    dag:
      tasks:
      - {name: A, template: say, arguments: {parameters: [{name: m, value: a}]}}
      - {name: B, depends: A, template: say, arguments: {parameters: [{name: m, value: "{{tasks.A.outputs.result}}b"}]}}
      - {name: C, dependencies: [A], template: say, arguments: {parameters: [{name: m, value: "{{tasks.A.outputs.result}}c"}]}}
      - {name: D, depends: B && C, template: say, arguments: {parameters: [{name: m, value: "{{tasks.B.outputs.result}}+{{tasks.C.outputs.result}}"}]}}
  - name: say
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
`);
  const status = sim.run((_n, pod) => ({ stdout: Sim.argv(pod)[1] }));
  assert.equal(status?.phase, 'Succeeded');
  assert.equal(sim.node('D').outputs?.result, 'ab+ac');
  assert.deepEqual(sim.started, ['wf.A', 'wf.B', 'wf.C', 'wf.D']);
  assert.equal(sim.node('wf').children?.length, 4);
});

test('withItems, withParam and withSequence expand steps, and loop outputs aggregate into JSON lists', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: gen, template: say, arguments: {parameters: [{name: m, value: '["x","y"]'}]}}
    - - {name: items, template: say, arguments: {parameters: [{name: m, value: "{{item.os}}-{{item.v}}"}]}, withItems: [{os: debian, v: 12}, {os: alpine, v: 3}]}
      - {name: param, template: say, arguments: {parameters: [{name: m, value: "p{{item}}"}]}, withParam: "{{steps.gen.outputs.result}}"}
      - {name: seq, template: say, arguments: {parameters: [{name: m, value: "{{item}}"}]}, withSequence: {count: "3", start: "1", format: "n%02d"}}
    - - {name: all, template: say, arguments: {parameters: [{name: m, value: "{{steps.param.outputs.result}}"}]}}
  - name: say
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
`);
  const status = sim.run((_n, pod) => ({ stdout: Sim.argv(pod)[1] }));
  assert.equal(status?.phase, 'Succeeded');
  assert.equal(sim.node('items(0:os:debian,v:12)').outputs?.result, 'debian-12');
  assert.equal(sim.node('seq(2:n03)').outputs?.result, 'n03');
  assert.equal(sim.node('all').outputs?.result, '["px","py"]');
});

test('when false skips a step (phase Skipped); depends on .Failed runs a handler; an Omitted leaf under the failure still fails the DAG, as Argo judges', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: flip, template: say, arguments: {parameters: [{name: m, value: tails}]}}
      - {name: heads, depends: flip, when: "{{tasks.flip.outputs.result}} == heads", template: say, arguments: {parameters: [{name: m, value: h}]}}
      - {name: bad, template: fail}
      - {name: on-bad, depends: bad.Failed, template: say, arguments: {parameters: [{name: m, value: handled}]}}
      - {name: after-bad, depends: bad.Succeeded, template: say, arguments: {parameters: [{name: m, value: never}]}}
  - name: say
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
  - name: fail
    container: {image: alpine, command: [sh, -c, exit 3]}
`);
  const status = sim.run((n, pod) => (n.endsWith('.bad') ? { exitCode: 3 } : { stdout: Sim.argv(pod)[1] }));
  assert.equal(sim.node('heads').phase, 'Skipped');
  assert.match(sim.node('heads').message ?? '', /when 'tails == heads' evaluated false/);
  assert.equal(sim.node('bad').phase, 'Failed');
  assert.equal(sim.node('bad').message, 'Error (exit code 3)');
  assert.equal(sim.node('on-bad').phase, 'Succeeded');
  assert.equal(sim.node('after-bad').phase, 'Omitted');
  assert.equal(status?.phase, 'Failed');
});

test('retryStrategy retries a failing step with exponential back-off and stops at the limit', () => {
  const sim = new Sim(`
spec:
  entrypoint: flaky
  templates:
  - name: flaky
    retryStrategy: {limit: "2", retryPolicy: Always, backoff: {duration: "2s", factor: "2"}}
    container: {image: alpine, command: [sh, -c, exit 1]}
`);
  const status = sim.run(() => ({ exitCode: 1 }), { tick: 1000 });
  assert.equal(status?.phase, 'Failed');
  const root = status!.nodes!['wf']!;
  assert.equal(root.type, 'Retry');
  assert.equal(root.children?.length, 3, 'limit 2 means three attempts');
  const attempts = root.children!.map((id) => status!.nodes![id]!);
  const gaps = attempts.slice(1).map((a, i) => Date.parse(a.startedAt!) - Date.parse(attempts[i]!.finishedAt!));
  assert.ok(gaps[0]! >= 2000 && gaps[1]! >= 4000, `back-off gaps ${gaps}`);
});

test('the workflow exit handler sees workflow.status and runs after a failure too', () => {
  const spec = (cmd: string) => `
spec:
  entrypoint: main
  onExit: exit
  templates:
  - name: main
    container: {image: alpine, command: [sh, -c, "${cmd}"]}
  - name: exit
    container: {image: alpine, command: [echo, "status={{workflow.status}}"]}
`;
  for (const [cmd, want] of [['exit 0', 'Succeeded'], ['exit 1', 'Failed']] as const) {
    const sim = new Sim(spec(cmd));
    const status = sim.run((n, pod) => (n === 'wf' ? { exitCode: cmd === 'exit 0' ? 0 : 1 } : { stdout: Sim.argv(pod)[1] }));
    assert.equal(status?.phase, want);
    assert.equal(sim.node('wf.onExit').outputs?.result, `status=${want}`);
  }
});

test('workflow parallelism caps the pods running at once', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  parallelism: 2
  templates:
  - name: main
    steps:
    - - {name: s, template: t, withSequence: {count: "5"}}
  - name: t
    container: {image: alpine, command: ["true"]}
`);
  let calls = 0;
  const status = sim.run(() => (++calls % 2 === 0 ? {} : undefined));
  assert.equal(status?.phase, 'Succeeded');
  assert.equal(sim.maxRunning, 2);
  assert.equal(sim.started.length, 5);
});

test('activeDeadlineSeconds fails the workflow and stops what runs', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  activeDeadlineSeconds: 3
  templates:
  - name: main
    container: {image: alpine, command: [sleep, "60"]}
`);
  const status = sim.run(() => undefined);
  assert.equal(status?.phase, 'Failed');
  assert.equal(status?.message, 'Step exceeded its deadline');
  assert.equal(sim.pods.size, 0);
});

test('continueOn failed lets the next group run and the workflow succeed', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: bad, template: t, continueOn: {failed: true}}
    - - {name: next, template: t}
  - name: t
    container: {image: alpine, command: ["true"]}
`);
  const status = sim.run((n) => (n.endsWith('.bad') ? { exitCode: 1 } : {}));
  assert.equal(sim.node('bad').phase, 'Failed');
  assert.equal(sim.node('next').phase, 'Succeeded');
  assert.equal(status?.phase, 'Succeeded');
});

test('a pass after a restart finds the pods it made and never makes them twice', () => {
  const sim = new Sim(HELLO);
  sim.pass();
  // Same status and pods, a second controller pass (as after a crash): no second pod.
  sim.pass();
  assert.equal(sim.pods.size, 1);
});

test('failFast: once a task fails, tasks not yet started stay unstarted and the DAG fails', () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: bad, template: t}
      - {name: slow, template: t}
      - {name: after-slow, depends: slow, template: t}
  - name: t
    container: {image: alpine, command: ["true"]}
`);
  let slowPasses = 0;
  const status = sim.run((n) => (n.endsWith('.bad') ? { exitCode: 1 } : n.endsWith('.slow') && slowPasses++ < 3 ? undefined : {}));
  assert.equal(status?.phase, 'Failed');
  assert.equal(sim.node('slow').phase, 'Succeeded');
  assert.ok(!Object.values(status?.nodes ?? {}).some((n) => n.displayName === 'after-slow'), 'after-slow never started');
});

test('memoize: a second run with the same key takes the cached outputs without a pod; an expired entry runs again', () => {
  const yaml = `
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: t, arguments: {parameters: [{name: m, value: same}]}}
    - - {name: b, template: t, arguments: {parameters: [{name: m, value: same}]}}
    - - {name: c, template: t, arguments: {parameters: [{name: m, value: other}]}}
  - name: t
    inputs: {parameters: [{name: m}]}
    memoize: {key: "say-{{inputs.parameters.m}}", maxAge: "1h", cache: {configMap: {name: memo}}}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
`;
  const sim = new Sim(yaml);
  const status = sim.run((_n, pod) => ({ stdout: Sim.argv(pod)[1] }));
  assert.equal(status?.phase, 'Succeeded');
  assert.deepEqual(sim.started, ['wf[0].a', 'wf[2].c']);
  assert.equal(sim.node('b').outputs?.result, 'same');
  assert.deepEqual(sim.node('b').memoizationStatus, { hit: true, key: 'say-same', cacheName: 'memo' });
  assert.equal(sim.node('a').memoizationStatus?.hit, false);
  assert.deepEqual(Object.keys(sim.configMaps.get('memo')!).sort(), ['say-other', 'say-same']);
  // Two hours later the entries are too old: a and c run again (and b hits a's fresh entry).
  const again = new Sim(yaml);
  for (const [k, v] of sim.configMaps) again.configMaps.set(k, v);
  again.now = sim.now + 2 * 3600_000;
  again.run((_n, pod) => ({ stdout: Sim.argv(pod)[1] }));
  assert.deepEqual(again.started, ['wf[0].a', 'wf[2].c']);
  assert.equal(again.node('a').memoizationStatus?.hit, false);
});

test("a template's own input value is substituted with the global tags before it is bound (an expression over workflow parameters)", () => {
  const sim = new Sim(`
spec:
  entrypoint: main
  arguments:
    parameters: [{name: weather, value: '{"temps": [10, 20]}'}]
  templates:
  - name: main
    inputs:
      parameters:
      - name: temps
        value: "{{=toJson({first: jsonpath(workflow.parameters.weather, '$.temps')[0]})}}"
    container:
      image: alpine
      command: [echo, "{{=jsonpath(inputs.parameters.temps, '$.first')}}"]
`);
  const status = sim.run((_n, pod) => ({ stdout: Sim.argv(pod).slice(1).join(' ') }));
  assert.equal(status?.phase, 'Succeeded', status?.message);
  assert.equal(status!.nodes!['wf']!.outputs?.result, '10');
});
