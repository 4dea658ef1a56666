/**
 * Argo Workflows end to end: the real CLI (`drover create -f`) against a real `drover up` server
 * running each step as a Pod in bubblewrap. Assertions are on what Argo users look at — the
 * workflow's and nodes' phases, node outputs, the order and overlap of steps (timestamps the steps
 * write themselves onto a claim), pod counts — and follow upstream Argo's semantics.
 *
 * Manifests are written inline into a temporary directory (the steps' working directory), so a
 * failing test shows the whole workflow it ran. Steps use the host userland: sh, date, python3.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Drover, sleep } from './drover.js';

// ---- types (only what the assertions read) ----------------------------------------------------

interface Param {
  name: string;
  value?: string;
}
interface ArtifactRecord {
  name: string;
  key?: string;
  path?: string;
  archive?: unknown;
  [k: string]: unknown;
}
interface WfNode {
  id: string;
  name: string;
  displayName: string;
  type: string;
  phase: string;
  message?: string;
  templateName?: string;
  boundaryID?: string;
  children?: string[];
  startedAt?: string;
  finishedAt?: string;
  inputs?: { parameters?: Param[]; artifacts?: ArtifactRecord[] };
  outputs?: { result?: string; exitCode?: string; parameters?: Param[]; artifacts?: ArtifactRecord[] };
}
interface Wf {
  metadata: { name: string; uid: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
    nodes?: Record<string, WfNode>;
    outputs?: { parameters?: Param[] };
    conditions?: { type: string; status: string }[];
  };
}
interface Pod {
  metadata: { name: string; uid: string; annotations?: Record<string, string> };
  status?: { phase?: string };
}

// ---- harness ---------------------------------------------------------------------------------

let d: Drover;
let dir: string;
const NS = 'default';
const WF_API = '/apis/argoproj.io/v1alpha1';

before(async () => {
  d = await Drover.start({ cpus: '2', memory: '8Gi' });
  dir = mkdtempSync(join(tmpdir(), 'drover-wf-e2e-'));
});
after(async () => {
  await d?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A claim to share files between steps and with the test; it must exist before pods mount it. */
const pvc = (name: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: ${name} }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
---
`;

/** Writes the manifest into the suite's directory and creates it with `drover create -f`. */
async function create(file: string, yaml: string): Promise<string> {
  const path = join(dir, file);
  writeFileSync(path, yaml);
  await d.ok(['create', '-f', path]);
  return path;
}

async function getWf(name: string): Promise<Wf | undefined> {
  const res = await fetch(`${d.url}${WF_API}/namespaces/${NS}/workflows/${name}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GET workflow ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Wf;
}

function summary(wf: Wf | undefined): string {
  if (!wf) return '(no workflow)';
  const nodes = Object.values(wf.status?.nodes ?? {})
    .map((n) => `  ${n.displayName} ${n.type} ${n.phase}${n.message ? ` (${n.message})` : ''}`)
    .join('\n');
  return `phase=${wf.status?.phase} message=${wf.status?.message ?? ''}\n${nodes}`;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, describe?: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `\n${await describe()}` : ''}\nserver:\n${d.logs.slice(-3000)}`);
    await sleep(40);
  }
}

const DONE = new Set(['Succeeded', 'Failed', 'Error']);

/** Polls until the workflow has a final phase, then returns it as `drover get workflow NAME -o json` prints it. */
async function waitDone(name: string, timeoutMs = 20_000): Promise<Wf> {
  await waitFor(`workflow ${name} to finish`, async () => DONE.has((await getWf(name))?.status?.phase ?? ''), timeoutMs, async () => summary(await getWf(name)));
  return d.json<Wf>(['get', 'workflow', name]);
}

/** Polls until a node with that display name exists (and matches `pred`). */
async function waitNode(name: string, displayName: string, pred: (n: WfNode) => boolean = () => true, timeoutMs = 10_000): Promise<WfNode> {
  return waitFor(
    `node ${displayName} of ${name}`,
    async () => {
      const wf = await getWf(name);
      return Object.values(wf?.status?.nodes ?? {}).find((n) => n.displayName === displayName && pred(n));
    },
    timeoutMs,
    async () => summary(await getWf(name)),
  );
}

function allNodes(wf: Wf): WfNode[] {
  return Object.values(wf.status?.nodes ?? {});
}

/** The one node with that display name. */
function node(wf: Wf, displayName: string): WfNode {
  const found = allNodes(wf).filter((n) => n.displayName === displayName);
  assert.equal(found.length, 1, `one node named ${displayName}; workflow:\n${summary(wf)}`);
  return found[0]!;
}

function maybeNode(wf: Wf, displayName: string): WfNode | undefined {
  return allNodes(wf).find((n) => n.displayName === displayName);
}

function param(n: WfNode, name: string): string | undefined {
  return n.outputs?.parameters?.find((p) => p.name === name)?.value;
}

function childrenOf(wf: Wf, n: WfNode): WfNode[] {
  return (n.children ?? []).map((id) => wf.status!.nodes![id]!).filter(Boolean);
}

async function podsOf(name: string): Promise<Pod[]> {
  return (await d.json<{ items: Pod[] }>(['get', 'pods', '-l', `workflows.argoproj.io/workflow=${name}`])).items;
}

/** `PUT …/workflows/NAME/ACTION` as `argo retry|resubmit|suspend|resume|stop|terminate` send it. */
async function action(name: string, act: string, body: Record<string, unknown> = {}): Promise<{ status: number; json: Wf & { message?: string } }> {
  const res = await fetch(`${d.url}${WF_API}/namespaces/${NS}/workflows/${name}/${act}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Wf & { message?: string } };
}

async function mustAction(name: string, act: string, body: Record<string, unknown> = {}): Promise<Wf> {
  const r = await action(name, act, body);
  assert.ok(r.status >= 200 && r.status < 300, `${act} ${name}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

const claimPath = (claim: string, file: string) => join(d.home, 'claims', NS, claim, file);
const claimLines = (claim: string, file: string): string[] => {
  const p = claimPath(claim, file);
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : [];
};

interface Span {
  start: number;
  end: number;
}
/** `<time> start|end <name>` lines that steps append to `log` on a claim. */
function spans(claim: string): Map<string, Span> {
  const out = new Map<string, Span>();
  for (const line of claimLines(claim, 'log')) {
    const [t, what, name] = line.split(' ') as [string, string, string];
    const s = out.get(name) ?? { start: NaN, end: NaN };
    if (what === 'start') s.start = Number(t);
    else if (what === 'end') s.end = Number(t);
    out.set(name, s);
  }
  return out;
}

function maxOverlap(list: Span[]): number {
  const events = list.flatMap((s) => [
    { t: s.start, d: 1 },
    { t: s.end, d: -1 },
  ]);
  // Ends before starts at the same instant: touching is not overlapping.
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let cur = 0;
  let max = 0;
  for (const e of events) {
    cur += e.d;
    max = Math.max(max, cur);
  }
  return max;
}

/** A template that logs its start and end on the claim mounted at /c, sleeps, and prints its message. */
const LOG_TEMPLATE = `
    - name: log
      inputs:
        parameters:
          - name: msg
          - name: sleep
            default: "0"
      container:
        image: alpine
        command: [sh, -c]
        args:
          - |
            echo "$(date +%s.%N) start {{inputs.parameters.msg}}" >> /c/log
            sleep {{inputs.parameters.sleep}}
            echo "$(date +%s.%N) end {{inputs.parameters.msg}}" >> /c/log
            echo {{inputs.parameters.msg}}
        volumeMounts: [{ name: c, mountPath: /c }]`;

const claimVolume = (claim: string) => `
  volumes: [{ name: c, persistentVolumeClaim: { claimName: ${claim} } }]`;

const ECHO_TEMPLATE = `
    - name: echo
      inputs: { parameters: [{ name: m }] }
      container:
        image: alpine
        command: [echo, "{{inputs.parameters.m}}"]`;

// ---- 1. hello world, steps, DAG, exit handlers -----------------------------------------------

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
  assert.equal(node(wf, 'last').outputs?.result, 'first>left+right');
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
  assert.equal(node(wf, 'D').outputs?.result, 'ab+ac');
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

// ---- 2. script, output parameters, globalName, enum ------------------------------------------

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
  assert.equal(node(wf, 'use').outputs?.result, '43');
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
  assert.equal(node(wf, 'consume').outputs?.result, 'hello/fallback/global value');
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
  assert.equal(node(wf, 'calc').outputs?.result, '42');
  assert.equal(node(wf, 'upper').outputs?.result, 'DROVER');
  assert.equal(node(wf, 'path').outputs?.result, 'mlp');
  assert.equal(node(wf, 'lr').outputs?.result, 'lr=0.01');
});

// ---- 3. loops ----------------------------------------------------------------------------------

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
  assert.deepEqual(
    ['scalars(0:1)', 'scalars(1:2)', 'scalars(2:3)'].map((n) => node(wf, n).outputs?.result),
    ['1', '4', '9'],
  );
  const maps = allNodes(wf).filter((n) => n.displayName.startsWith('maps('));
  assert.equal(maps.length, 2);
  assert.deepEqual(maps.map((n) => n.outputs?.result).sort(), ['debian-12', 'ubuntu-24']);
  assert.deepEqual(['fanout(0:4)', 'fanout(1:5)'].map((n) => node(wf, n).outputs?.result), ['16', '25']);
  const m = /^results=(.*) params=(.*) all=(.*)$/.exec(node(wf, 'sum').outputs!.result!);
  assert.ok(m, node(wf, 'sum').outputs!.result);
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
  const [count, range, down, fmt] = node(wf, 'report').outputs!.result!.split(' ').map((s) => JSON.parse(s) as unknown);
  assert.deepEqual(count, ['c0', 'c1', 'c2']);
  assert.deepEqual(range, ['r5', 'r6', 'r7']);
  assert.deepEqual(down, ['d2', 'd1', 'd0']);
  assert.deepEqual(fmt, ['worker-01', 'worker-02']);
});

// ---- 4. conditions: when, depends, failFast, target, continueOn ---------------------------------

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
  assert.equal(node(wf, 'on-heads').outputs?.result, 'ran-heads');
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
  assert.equal(node(wf, 'C').outputs?.result, 'ac');
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

// ---- 5. retryStrategy ---------------------------------------------------------------------------

test('retryStrategy.limit: a step that fails twice then succeeds leaves a Retry node with 3 attempts, Succeeded', async () => {
  await create(
    'retry-limit.yaml',
    pvc('retry-limit-c') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: retry-limit }
spec:
  entrypoint: flaky${claimVolume('retry-limit-c')}
  templates:
    - name: flaky
      retryStrategy: { limit: 3 }
      container:
        image: alpine
        command: [sh, -c]
        args:
          - |
            n=$(( $(cat /c/count 2>/dev/null || echo 0) + 1 ))
            echo $n > /c/count
            echo "attempt $n (retries={{retries}})"
            [ $n -ge 3 ]
        volumeMounts: [{ name: c, mountPath: /c }]
`,
  );
  const wf = await waitDone('retry-limit');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  const retry = node(wf, 'retry-limit');
  assert.equal(retry.type, 'Retry');
  assert.equal(retry.phase, 'Succeeded');
  const attempts = childrenOf(wf, retry);
  assert.deepEqual(
    attempts.map((a) => [a.displayName, a.type, a.phase]),
    [
      ['retry-limit(0)', 'Pod', 'Failed'],
      ['retry-limit(1)', 'Pod', 'Failed'],
      ['retry-limit(2)', 'Pod', 'Succeeded'],
    ],
  );
  assert.equal(attempts[2]!.outputs?.result, 'attempt 3 (retries=2)');
  assert.equal(retry.outputs?.result, 'attempt 3 (retries=2)', 'the Retry node carries the last attempt’s outputs');
  assert.deepEqual(claimLines('retry-limit-c', 'count'), ['3']);
  assert.equal((await podsOf('retry-limit')).length, 3);
});

test('retryStrategy.backoff: duration "1", factor 2 waits about 1 s then about 2 s between attempts', async () => {
  await create(
    'retry-backoff.yaml',
    pvc('retry-backoff-c') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: retry-backoff }
spec:
  entrypoint: main${claimVolume('retry-backoff-c')}
  templates:
    - name: main
      steps:
        - - { name: always-fails, template: always-fails }
    - name: always-fails
      retryStrategy:
        limit: 2
        retryPolicy: Always
        backoff: { duration: "1", factor: 2 }
      container:
        image: alpine
        command: [sh, -c, 'echo "$(date +%s.%N) start a{{retries}}" >> /c/log; echo "$(date +%s.%N) end a{{retries}}" >> /c/log; exit 1']
        volumeMounts: [{ name: c, mountPath: /c }]
`,
  );
  const wf = await waitDone('retry-backoff', 30_000);
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  const retry = node(wf, 'always-fails');
  assert.equal(retry.type, 'Retry');
  assert.equal(retry.phase, 'Failed');
  assert.equal(childrenOf(wf, retry).length, 3, 'limit 2 = 3 attempts');
  const s = spans('retry-backoff-c');
  const [a0, a1, a2] = [s.get('a0')!, s.get('a1')!, s.get('a2')!];
  const gap1 = a1.start - a0.end;
  const gap2 = a2.start - a1.end;
  // Argo counts the wait from the attempt's finishedAt, which is kept in whole seconds, so each wait
  // may come out up to 1 s shorter than asked: 1 s becomes (0, 1], 2 s becomes (1, 2].
  assert.ok(gap1 > 0, `first back-off ${gap1.toFixed(2)} s`);
  assert.ok(gap2 >= 1.0, `second back-off ${gap2.toFixed(2)} s`);
  assert.ok(gap2 >= gap1 - 0.1, `the second back-off (${gap2.toFixed(2)} s) is not shorter than the first (${gap1.toFixed(2)} s)`);
  assert.ok(gap1 < 2.5 && gap2 < 3.5, `back-offs ${gap1.toFixed(2)} s and ${gap2.toFixed(2)} s are not much longer than 1 s and 2 s`);
});

test('retryPolicy: OnError does not retry a step that merely failed', async () => {
  await create(
    'retry-onerror.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: retry-onerror }
spec:
  entrypoint: fail
  templates:
    - name: fail
      retryStrategy: { limit: 3, retryPolicy: OnError }
      container: { image: alpine, command: [sh, -c, 'exit 1'] }
`,
  );
  const wf = await waitDone('retry-onerror');
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  const retry = node(wf, 'retry-onerror');
  assert.equal(retry.type, 'Retry');
  assert.equal(childrenOf(wf, retry).length, 1, 'one attempt only');
  assert.equal((await podsOf('retry-onerror')).length, 1);
});

test('retryStrategy.expression: retried while lastRetry.exitCode is 2, not after an exit 3', async () => {
  await create(
    'retry-expr.yaml',
    pvc('retry-expr-c') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: retry-expr }
spec:
  entrypoint: flaky${claimVolume('retry-expr-c')}
  templates:
    - name: flaky
      retryStrategy:
        limit: 5
        expression: asInt(lastRetry.exitCode) == 2
      container:
        image: alpine
        command: [sh, -c]
        args:
          - |
            n=$(( $(cat /c/count 2>/dev/null || echo 0) + 1 ))
            echo $n > /c/count
            if [ $n -lt 3 ]; then exit 2; fi
            exit 3
        volumeMounts: [{ name: c, mountPath: /c }]
`,
  );
  const wf = await waitDone('retry-expr');
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  const attempts = childrenOf(wf, node(wf, 'retry-expr'));
  assert.deepEqual(
    attempts.map((a) => a.outputs?.exitCode),
    ['2', '2', '3'],
  );
  assert.deepEqual(claimLines('retry-expr-c', 'count'), ['3']);
});

// ---- 6. deadlines ---------------------------------------------------------------------------------

const sleeper = (name: string, extraSpec: string, extraTemplate: string) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: ${name} }
spec:
  entrypoint: main${extraSpec}
  templates:
    - name: main
      steps:
        - - { name: sleepy, template: sleepy }
    - name: sleepy${extraTemplate}
      container: { image: alpine, command: [sh, -c, 'echo started; sleep 30; echo never'] }
`;

async function waitNoRunningPods(name: string): Promise<void> {
  await waitFor(`the pods of ${name} to stop`, async () => (await podsOf(name)).every((p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed'), 10_000);
}

test('workflow activeDeadlineSeconds: the running step is killed, the workflow Fails with "Step exceeded its deadline" and its pod is gone', async () => {
  const t0 = Date.now();
  await create('deadline-wf.yaml', sleeper('deadline-wf', '\n  activeDeadlineSeconds: 1', ''));
  const wf = await waitDone('deadline-wf', 15_000);
  assert.ok(Date.now() - t0 < 8_000, `ended after ${Date.now() - t0} ms, not after the 30 s sleep`);
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  assert.equal(wf.status?.message, 'Step exceeded its deadline');
  assert.equal(node(wf, 'sleepy').phase, 'Failed');
  assert.match(node(wf, 'sleepy').message ?? '', /deadline/);
  await waitFor('the step pod to be deleted', async () => (await podsOf('deadline-wf')).length === 0, 10_000);
});

test('template timeout: a step over its timeout fails and the workflow fails', async () => {
  const t0 = Date.now();
  await create('timeout.yaml', sleeper('timeout', '', '\n      timeout: 1s'));
  const wf = await waitDone('timeout', 15_000);
  assert.ok(Date.now() - t0 < 8_000, `ended after ${Date.now() - t0} ms`);
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  assert.equal(node(wf, 'sleepy').phase, 'Failed');
  assert.match(node(wf, 'sleepy').message ?? '', /deadline|timeout/i);
  await waitNoRunningPods('timeout');
});

test('template activeDeadlineSeconds: the pod is killed by its deadline and the step fails', async () => {
  const t0 = Date.now();
  await create('deadline-tmpl.yaml', sleeper('deadline-tmpl', '', '\n      activeDeadlineSeconds: 1'));
  const wf = await waitDone('deadline-tmpl', 15_000);
  assert.ok(Date.now() - t0 < 8_000, `ended after ${Date.now() - t0} ms`);
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  assert.equal(node(wf, 'sleepy').phase, 'Failed');
  assert.match(node(wf, 'sleepy').message ?? '', /deadline/i);
  await waitNoRunningPods('deadline-tmpl');
});

// ---- 7. parallelism --------------------------------------------------------------------------------

test('workflow parallelism 2: four parallel 0.5 s tasks never run more than two at a time', async () => {
  await create(
    'par-wf.yaml',
    pvc('par-wf-c') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: par-wf }
spec:
  entrypoint: main
  parallelism: 2${claimVolume('par-wf-c')}
  templates:
    - name: main
      dag:
        tasks:
          - { name: t1, template: log, arguments: { parameters: [{ name: msg, value: t1 }, { name: sleep, value: "0.5" }] } }
          - { name: t2, template: log, arguments: { parameters: [{ name: msg, value: t2 }, { name: sleep, value: "0.5" }] } }
          - { name: t3, template: log, arguments: { parameters: [{ name: msg, value: t3 }, { name: sleep, value: "0.5" }] } }
          - { name: t4, template: log, arguments: { parameters: [{ name: msg, value: t4 }, { name: sleep, value: "0.5" }] } }
${LOG_TEMPLATE}
`,
  );
  const wf = await waitDone('par-wf');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  const s = [...spans('par-wf-c').values()];
  assert.equal(s.length, 4);
  assert.equal(maxOverlap(s), 2, `at most two at a time, and two do run together: ${JSON.stringify(s)}`);
});

test('template parallelism 2: a loop of four 0.5 s steps never runs more than two at a time', async () => {
  await create(
    'par-tmpl.yaml',
    pvc('par-tmpl-c') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: par-tmpl }
spec:
  entrypoint: main${claimVolume('par-tmpl-c')}
  templates:
    - name: main
      parallelism: 2
      steps:
        - - name: each
            template: log
            arguments: { parameters: [{ name: msg, value: "s{{item}}" }, { name: sleep, value: "0.5" }] }
            withItems: [1, 2, 3, 4]
${LOG_TEMPLATE}
`,
  );
  const wf = await waitDone('par-tmpl');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  const s = [...spans('par-tmpl-c').values()];
  assert.equal(s.length, 4);
  assert.equal(maxOverlap(s), 2, `at most two at a time, and two do run together: ${JSON.stringify(s)}`);
});

// ---- 8. suspend, resume, stop, terminate ------------------------------------------------------------

test('suspend template with a duration pauses the steps for that long, then they go on', async () => {
  await create(
    'suspend-duration.yaml',
    pvc('suspend-duration-c') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: suspend-duration }
spec:
  entrypoint: main${claimVolume('suspend-duration-c')}
  templates:
    - name: main
      steps:
        - - { name: before, template: log, arguments: { parameters: [{ name: msg, value: before }] } }
        - - { name: pause, template: pause }
        - - { name: after, template: log, arguments: { parameters: [{ name: msg, value: after }] } }
    - name: pause
      suspend: { duration: "2" }
${LOG_TEMPLATE}
`,
  );
  const wf = await waitDone('suspend-duration');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  const pause = node(wf, 'pause');
  assert.equal(pause.type, 'Suspend');
  assert.equal(pause.phase, 'Succeeded');
  const s = spans('suspend-duration-c');
  const gap = s.get('after')!.start - s.get('before')!.end;
  // The suspension is counted from the node's startedAt, kept in whole seconds: 2 s is (1, 2] and a bit.
  assert.ok(gap >= 1.0 && gap < 4, `after starts ${gap.toFixed(2)} s after before ends`);
});

test('a suspend template without duration waits for the resume action', async () => {
  await create(
    'approval.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: approval }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: approve, template: approve }
        - - { name: deploy, template: echo, arguments: { parameters: [{ name: m, value: deployed }] } }
    - name: approve
      suspend: {}
${ECHO_TEMPLATE}
`,
  );
  const approve = await waitNode('approval', 'approve');
  assert.equal(approve.type, 'Suspend');
  assert.equal(approve.phase, 'Running');
  await sleep(600);
  const waiting = (await getWf('approval'))!;
  assert.equal(waiting.status?.phase, 'Running');
  assert.equal(maybeNode(waiting, 'deploy'), undefined, 'nothing after the suspend node runs before resume');
  await mustAction('approval', 'resume');
  const wf = await waitDone('approval');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(node(wf, 'approve').phase, 'Succeeded');
  assert.equal(node(wf, 'deploy').outputs?.result, 'deployed');
});

test('the suspend action holds the next steps of a running workflow until resume', async () => {
  await create(
    'wf-suspend.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: wf-suspend }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: first, template: slow }
        - - { name: second, template: echo, arguments: { parameters: [{ name: m, value: second }] } }
    - name: slow
      container: { image: alpine, command: [sh, -c, 'sleep 1; echo first'] }
${ECHO_TEMPLATE}
`,
  );
  await waitNode('wf-suspend', 'first');
  await mustAction('wf-suspend', 'suspend');
  await waitNode('wf-suspend', 'first', (n) => n.phase === 'Succeeded', 10_000);
  await sleep(700);
  const held = (await getWf('wf-suspend'))!;
  assert.equal(held.status?.phase, 'Running', summary(held));
  assert.equal(maybeNode(held, 'second'), undefined, 'no new step while suspended');
  assert.equal(held.spec['suspend'], true);
  await mustAction('wf-suspend', 'resume');
  const wf = await waitDone('wf-suspend');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(node(wf, 'second').phase, 'Succeeded');
});

const stoppable = (name: string) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: ${name} }
spec:
  entrypoint: main
  onExit: bye
  templates:
    - name: main
      steps:
        - - { name: long, template: long }
        - - { name: never, template: bye }
    - name: long
      container: { image: alpine, command: [sh, -c, 'sleep 30'] }
    - name: bye
      container: { image: alpine, command: [sh, -c, 'echo "bye {{workflow.status}}"'] }
`;

test('stop: the running step is stopped, the workflow Fails, and the exit handler still runs', async () => {
  await create('stop.yaml', stoppable('stop-me'));
  await waitNode('stop-me', 'long', (n) => n.phase === 'Running');
  await mustAction('stop-me', 'stop');
  const wf = await waitDone('stop-me');
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  assert.equal(wf.status?.message, "Stopped with strategy 'Stop'");
  assert.equal(node(wf, 'long').phase, 'Failed');
  assert.equal(maybeNode(wf, 'never'), undefined);
  const bye = node(wf, 'stop-me.onExit');
  assert.equal(bye.phase, 'Succeeded');
  assert.equal(bye.outputs?.result, 'bye Failed');
  await waitNoRunningPods('stop-me');
});

test('terminate: the running step is stopped, the workflow Fails, and the exit handler does not run', async () => {
  await create('terminate.yaml', stoppable('terminate-me'));
  await waitNode('terminate-me', 'long', (n) => n.phase === 'Running');
  await mustAction('terminate-me', 'terminate');
  const wf = await waitDone('terminate-me');
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  assert.equal(wf.status?.message, "Stopped with strategy 'Terminate'");
  assert.equal(node(wf, 'long').phase, 'Failed');
  assert.equal(maybeNode(wf, 'terminate-me.onExit'), undefined, 'no exit handler after terminate');
  await waitNoRunningPods('terminate-me');
  assert.equal((await podsOf('terminate-me')).filter((p) => p.metadata.annotations?.['workflows.argoproj.io/node-name']?.endsWith('onExit')).length, 0);
});

// ---- 9. volumes -----------------------------------------------------------------------------------

test('volumeClaimTemplates: a claim <workflow>-<name> exists while the workflow runs, carries files between steps, and is deleted after', async () => {
  await create(
    'vct.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: vct }
spec:
  entrypoint: main
  volumeClaimTemplates:
    - metadata: { name: work }
      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
  templates:
    - name: main
      steps:
        - - { name: write, template: write }
        - - { name: read, template: read }
    - name: write
      container:
        image: alpine
        command: [sh, -c, 'echo "from write" > /work/data.txt; sleep 0.8']
        volumeMounts: [{ name: work, mountPath: /work }]
    - name: read
      container:
        image: alpine
        command: [sh, -c, 'cat /work/data.txt']
        volumeMounts: [{ name: work, mountPath: /work }]
`,
  );
  const claim = await waitFor('the claim vct-work', async () => {
    const r = await d.cli(['get', 'pvc', 'vct-work', '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as { metadata: { labels?: Record<string, string> }; status?: { phase?: string } }) : undefined;
  });
  assert.equal(claim.metadata.labels?.['workflows.argoproj.io/workflow'], 'vct');
  assert.equal((await getWf('vct'))?.status?.phase, 'Running', 'the claim exists while the workflow runs');
  const wf = await waitDone('vct');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(node(wf, 'read').outputs?.result, 'from write');
  await waitFor('the claim vct-work to be deleted', async () => (await d.cli(['get', 'pvc', 'vct-work'])).code !== 0, 10_000);
});

test('spec.volumes with an existing claim, and per-template volumeMounts: only the template that mounts it sees it', async () => {
  await create(
    'existing.yaml',
    pvc('existing-data') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: existing }
spec:
  entrypoint: main
  volumes:
    - name: data
      persistentVolumeClaim: { claimName: existing-data }
  templates:
    - name: main
      steps:
        - - { name: write, template: write }
        - - { name: mounted, template: look-mounted }
          - { name: unmounted, template: look-unmounted }
    - name: write
      container:
        image: alpine
        command: [sh, -c, 'echo "saved by {{workflow.name}}" > /data/out.txt']
        volumeMounts: [{ name: data, mountPath: /data }]
    - name: look-mounted
      container:
        image: alpine
        command: [sh, -c, 'if [ -e /data/out.txt ]; then cat /data/out.txt; else echo unseen; fi']
        volumeMounts: [{ name: data, mountPath: /data, readOnly: true }]
    - name: look-unmounted
      container:
        image: alpine
        command: [sh, -c, 'if [ -e /data/out.txt ]; then cat /data/out.txt; else echo unseen; fi']
`,
  );
  const wf = await waitDone('existing');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(node(wf, 'mounted').outputs?.result, 'saved by existing');
  assert.equal(node(wf, 'unmounted').outputs?.result, 'unseen');
  assert.deepEqual(claimLines('existing-data', 'out.txt'), ['saved by existing'], 'the file is on the claim on the host');
  assert.equal((await d.cli(['get', 'pvc', 'existing-data'])).code, 0, 'an existing claim is kept after the workflow');
});

// ---- 10. artifacts -----------------------------------------------------------------------------------

test('artifacts: a directory (tgz by default) and a single file (archive none) pass to the next step; a raw input artifact is written', async () => {
  await create(
    'artifacts.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: artifacts }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: gen, template: gen }
        - - name: use
            template: use
            arguments:
              artifacts:
                - { name: dir, from: "{{steps.gen.outputs.artifacts.out}}" }
                - { name: file, from: "{{steps.gen.outputs.artifacts.single}}" }
    - name: gen
      container:
        image: alpine
        command: [sh, -c, 'mkdir -p /tmp/out/sub && echo alpha > /tmp/out/a.txt && echo beta > /tmp/out/sub/b.txt && echo solo > /tmp/single.txt']
      outputs:
        artifacts:
          - { name: out, path: /tmp/out }
          - { name: single, path: /tmp/single.txt, archive: { none: {} } }
    - name: use
      inputs:
        artifacts:
          - { name: dir, path: /tmp/in }
          - { name: file, path: /tmp/file.txt }
          - name: notes
            path: /tmp/notes.txt
            raw:
              data: |
                raw line 1
                raw line 2
      container:
        image: alpine
        command: [sh, -c, 'cat /tmp/in/a.txt /tmp/in/sub/b.txt /tmp/file.txt /tmp/notes.txt']
`,
  );
  const wf = await waitDone('artifacts');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(node(wf, 'use').outputs?.result, 'alpha\nbeta\nsolo\nraw line 1\nraw line 2');
  const outs = node(wf, 'gen').outputs?.artifacts ?? [];
  const out = outs.find((a) => a.name === 'out');
  const single = outs.find((a) => a.name === 'single');
  assert.ok(out && single, JSON.stringify(outs));
  assert.match(JSON.stringify(out), /\.tgz"/, 'a directory is stored as tgz');
  assert.doesNotMatch(JSON.stringify(single), /\.tgz"/, 'archive: none stores the file itself');
});

test('artifacts: a missing optional output does not fail the step; a missing required one does', async () => {
  await create(
    'artifacts-missing.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: art-optional }
spec:
  entrypoint: gen
  templates:
    - name: gen
      container: { image: alpine, command: [sh, -c, 'echo nothing written'] }
      outputs:
        artifacts:
          - { name: maybe, path: /tmp/maybe.txt, optional: true }
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: art-required }
spec:
  entrypoint: gen
  templates:
    - name: gen
      container: { image: alpine, command: [sh, -c, 'echo nothing written'] }
      outputs:
        artifacts:
          - { name: needed, path: /tmp/needed.txt }
`,
  );
  const optional = await waitDone('art-optional');
  assert.equal(optional.status?.phase, 'Succeeded', summary(optional));
  assert.equal(node(optional, 'art-optional').outputs?.artifacts, undefined);
  const required = await waitDone('art-required');
  assert.notEqual(required.status?.phase, 'Succeeded', summary(required));
  const n = node(required, 'art-required');
  assert.ok(n.phase === 'Failed' || n.phase === 'Error', n.phase);
  assert.match(n.message ?? '', /needed|\/tmp\/needed\.txt/);
});

test('artifacts in a DAG: {{tasks.X.outputs.artifacts.Y}} passes a file to a dependent task', async () => {
  await create(
    'dag-artifacts.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: dag-artifacts }
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - { name: make, template: make }
          - name: consume
            depends: make
            template: consume
            arguments:
              artifacts: [{ name: model, from: "{{tasks.make.outputs.artifacts.model}}" }]
    - name: make
      script:
        image: python:3.12
        command: [python3]
        source: |
          import json
          json.dump({"weights": [1, 2, 3]}, open("/tmp/model.json", "w"))
      outputs:
        artifacts: [{ name: model, path: /tmp/model.json }]
    - name: consume
      inputs:
        artifacts: [{ name: model, path: /work/model.json }]
      script:
        image: python:3.12
        command: [python3]
        source: |
          import json
          print(sum(json.load(open("/work/model.json"))["weights"]))
`,
  );
  const wf = await waitDone('dag-artifacts');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(node(wf, 'consume').outputs?.result, '6');
  assert.equal(node(wf, 'consume').inputs?.artifacts?.[0]?.name, 'model');
});

// ---- 11. reuse: WorkflowTemplate, ClusterWorkflowTemplate, templateDefaults ---------------------------

test('reuse: templateRef into a WorkflowTemplate and (clusterScope) a ClusterWorkflowTemplate; workflowTemplateRef with an argument override', async () => {
  await create(
    'library.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: { name: lib }
spec:
  templates:
    - name: greet
      inputs: { parameters: [{ name: who }] }
      container: { image: alpine, command: [echo, "hello {{inputs.parameters.who}}"] }
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata: { name: cluster-lib }
spec:
  templates:
    - name: shout
      inputs: { parameters: [{ name: word }] }
      script:
        image: python:3.12
        command: [python3]
        source: print("{{inputs.parameters.word}}".upper())
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: { name: whole }
spec:
  entrypoint: main
  arguments:
    parameters: [{ name: msg, value: from-template }]
  templates:
    - name: main
      container: { image: alpine, command: [echo, "msg={{workflow.parameters.msg}}"] }
`,
  );
  await create(
    'uses-library.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: uses-lib }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: hi
            templateRef: { name: lib, template: greet }
            arguments: { parameters: [{ name: who, value: drover }] }
          - name: loud
            templateRef: { name: cluster-lib, template: shout, clusterScope: true }
            arguments: { parameters: [{ name: word, value: quiet }] }
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: from-whole }
spec:
  workflowTemplateRef: { name: whole }
  arguments:
    parameters: [{ name: msg, value: overridden }]
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: from-whole-default }
spec:
  workflowTemplateRef: { name: whole }
`,
  );
  const wf = await waitDone('uses-lib');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(node(wf, 'hi').outputs?.result, 'hello drover');
  assert.equal(node(wf, 'hi').templateName, 'greet');
  assert.equal(node(wf, 'loud').outputs?.result, 'QUIET');
  const whole = await waitDone('from-whole');
  assert.equal(whole.status?.phase, 'Succeeded', summary(whole));
  assert.equal(node(whole, 'from-whole').outputs?.result, 'msg=overridden');
  const byDefault = await waitDone('from-whole-default');
  assert.equal(node(byDefault, 'from-whole-default').outputs?.result, 'msg=from-template');
});

test('a templateRef to a missing WorkflowTemplate errors the step with the name it looked for', async () => {
  await create(
    'missing-ref.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: missing-ref }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: hi
            templateRef: { name: no-such-lib, template: greet }
`,
  );
  const wf = await waitDone('missing-ref');
  assert.ok(wf.status?.phase === 'Error' || wf.status?.phase === 'Failed', summary(wf));
  assert.match(JSON.stringify(wf.status), /no-such-lib/);
  assert.equal((await podsOf('missing-ref')).length, 0);
});

test('templateDefaults: a default retryStrategy applies to every template that does not set one', async () => {
  await create(
    'defaults.yaml',
    pvc('defaults-c') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: defaults }
spec:
  entrypoint: main${claimVolume('defaults-c')}
  templateDefaults:
    retryStrategy: { limit: 2 }
  templates:
    - name: main
      steps:
        - - { name: flaky, template: flaky }
    - name: flaky
      container:
        image: alpine
        command: [sh, -c]
        args:
          - |
            n=$(( $(cat /c/count 2>/dev/null || echo 0) + 1 ))
            echo $n > /c/count
            [ $n -ge 2 ]
        volumeMounts: [{ name: c, mountPath: /c }]
`,
  );
  const wf = await waitDone('defaults');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  const flaky = node(wf, 'flaky');
  assert.equal(flaky.type, 'Retry', 'the default retryStrategy made a Retry node');
  assert.deepEqual(childrenOf(wf, flaky).map((c) => c.phase), ['Failed', 'Succeeded']);
});

test('templateDefaults: a default container’s env is merged by name with the template’s env (strategic merge, as Argo does)', async () => {
  await create(
    'defaults-env.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: defaults-env }
spec:
  entrypoint: greet
  templateDefaults:
    container:
      name: main
      env: [{ name: GREETING, value: hola }, { name: NAME, value: nadie }]
  templates:
    - name: greet
      container:
        image: alpine
        command: [sh, -c, 'echo "$GREETING $NAME"']
        env: [{ name: NAME, value: mundo }]
`,
  );
  const wf = await waitDone('defaults-env');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(node(wf, 'defaults-env').outputs?.result, 'hola mundo', 'GREETING from the defaults, NAME from the template');
});

test('templateDefaults: a default container without a name is accepted, as Argo accepts it', async () => {
  await create(
    'defaults-noname.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: defaults-noname }
spec:
  entrypoint: greet
  templateDefaults:
    container:
      env: [{ name: GREETING, value: hola }]
  templates:
    - name: greet
      container: { image: alpine, command: [sh, -c, 'echo "$GREETING"'] }
`,
  );
  const wf = await waitDone('defaults-noname');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(node(wf, 'defaults-noname').outputs?.result, 'hola');
});

// ---- 12. retry and resubmit actions ------------------------------------------------------------------

test('the retry action re-runs only the failed step (the succeeded step’s pod is kept); resubmit makes a new workflow that runs everything', async () => {
  await create(
    'retry-action.yaml',
    pvc('retry-action-c') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: retry-action }
spec:
  entrypoint: main${claimVolume('retry-action-c')}
  templates:
    - name: main
      steps:
        - - { name: prepare, template: prepare }
        - - { name: train, template: train }
    - name: prepare
      container:
        image: alpine
        command: [sh, -c, 'echo prepare >> /c/runs']
        volumeMounts: [{ name: c, mountPath: /c }]
    - name: train
      container:
        image: alpine
        command: [sh, -c, 'echo train >> /c/runs; test -e /c/ok']
        volumeMounts: [{ name: c, mountPath: /c }]
`,
  );
  const failed = await waitDone('retry-action');
  assert.equal(failed.status?.phase, 'Failed', summary(failed));
  assert.deepEqual(claimLines('retry-action-c', 'runs'), ['prepare', 'train']);
  const podsBefore = await podsOf('retry-action');
  const prepareNodeId = node(failed, 'prepare').id;
  const preparePod = podsBefore.find((p) => p.metadata.annotations?.['workflows.argoproj.io/node-id'] === prepareNodeId);
  assert.ok(preparePod, 'the prepare pod exists');

  writeFileSync(claimPath('retry-action-c', 'ok'), '');
  await mustAction('retry-action', 'retry');
  const retried = await waitDone('retry-action');
  assert.equal(retried.status?.phase, 'Succeeded', summary(retried));
  assert.deepEqual(claimLines('retry-action-c', 'runs'), ['prepare', 'train', 'train'], 'prepare ran once, train twice');
  assert.equal(node(retried, 'prepare').id, prepareNodeId);
  assert.equal(node(retried, 'train').phase, 'Succeeded');
  const podsAfter = await podsOf('retry-action');
  assert.equal(podsAfter.length, 2);
  assert.equal(podsAfter.find((p) => p.metadata.name === preparePod.metadata.name)?.metadata.uid, preparePod.metadata.uid, 'the prepare pod is the same pod');
  const again = await action('retry-action', 'retry');
  assert.ok(again.status >= 400, `retrying a succeeded workflow is refused (${again.status})`);

  const copy = await mustAction('retry-action', 'resubmit');
  const newName = copy.metadata.name;
  assert.ok(newName && newName !== 'retry-action', `a new workflow: ${newName}`);
  const resubmitted = await waitDone(newName);
  assert.equal(resubmitted.status?.phase, 'Succeeded', summary(resubmitted));
  assert.equal(resubmitted.metadata.labels?.['workflows.argoproj.io/resubmitted-from-workflow'], 'retry-action');
  assert.deepEqual(claimLines('retry-action-c', 'runs'), ['prepare', 'train', 'train', 'prepare', 'train']);
  assert.equal((await getWf('retry-action'))?.status?.phase, 'Succeeded', 'the original is untouched');
});

// ---- 13. podGC and ttlStrategy -------------------------------------------------------------------------

test('podGC OnPodSuccess deletes the pods of succeeded steps and keeps the failed one', async () => {
  await create(
    'podgc.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: podgc }
spec:
  entrypoint: main
  podGC: { strategy: OnPodSuccess }
  templates:
    - name: main
      steps:
        - - { name: ok1, template: pass }
          - { name: bad, template: fail, continueOn: { failed: true } }
        - - { name: ok2, template: pass }
    - name: pass
      container: { image: alpine, command: [sh, -c, 'echo ok'] }
    - name: fail
      container: { image: alpine, command: [sh, -c, 'exit 1'] }
`,
  );
  const wf = await waitDone('podgc');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  const badNode = node(wf, 'bad').id;
  await waitFor(
    'only the failed pod to remain',
    async () => {
      const pods = await podsOf('podgc');
      return pods.length === 1 && pods[0]!.metadata.annotations?.['workflows.argoproj.io/node-id'] === badNode;
    },
    10_000,
    async () => JSON.stringify((await podsOf('podgc')).map((p) => [p.metadata.name, p.status?.phase])),
  );
  assert.equal(node(wf, 'ok1').outputs?.result, 'ok', 'outputs are kept in the workflow after the pods go');
});

test('ttlStrategy.secondsAfterCompletion: 1 deletes the finished workflow about a second later', async () => {
  await create(
    'ttl.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: ttl }
spec:
  entrypoint: main
  ttlStrategy: { secondsAfterCompletion: 1 }
  templates:
    - name: main
      container: { image: alpine, command: [echo, done] }
`,
  );
  // Not waitDone: the workflow may be gone before a second look (its finishedAt is in whole seconds).
  const wf = await waitFor('ttl to finish', async () => {
    const w = await getWf('ttl');
    return w && DONE.has(w.status?.phase ?? '') ? w : undefined;
  });
  assert.equal(wf.status?.phase, 'Succeeded');
  const doneAt = Date.now();
  await waitFor('the workflow to be deleted', async () => (await getWf('ttl')) === undefined, 8_000);
  assert.ok(Date.now() - doneAt < 4_000, `deleted ${Date.now() - doneAt} ms after it finished`);
  assert.equal((await d.cli(['get', 'workflow', 'ttl'])).code === 0, false);
  await waitFor('its pods to go with it', async () => (await podsOf('ttl')).length === 0, 8_000);
});

// ---- 14. CronWorkflow ----------------------------------------------------------------------------------

const cron = (name: string, schedule: string, extra = '') => `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: { name: ${name} }
spec:
  schedules: ["${schedule}"]${extra}
  workflowSpec:
    entrypoint: main
    templates:
      - name: main
        container: { image: alpine, command: [echo, "tick {{workflow.name}}"] }
`;

interface Cron {
  status?: { phase?: string; active?: unknown[]; lastScheduledTime?: string };
}

test('CronWorkflow: accepted with a schedules list; its status becomes Active, and Stopped when suspended', async () => {
  await create('cron.yaml', cron('every-minute', '* * * * *') + '---\n' + cron('suspended', '* * * * *', '\n  suspend: true'));
  const active = await waitFor('every-minute to be Active', async () => {
    const c = await d.json<Cron>(['get', 'cronworkflow', 'every-minute']);
    return c.status?.phase === 'Active' ? c : undefined;
  });
  assert.equal(active.status?.phase, 'Active');
  await waitFor('suspended to be Stopped', async () => (await d.json<Cron>(['get', 'cronworkflow', 'suspended'])).status?.phase === 'Stopped');
  await d.ok(['delete', 'cronworkflow', 'every-minute']);
  await d.ok(['delete', 'cronworkflow', 'suspended']);
});

test('CronWorkflow: an "@every 2s" schedule (which Argo’s cron parser accepts) starts a workflow within seconds', async () => {
  await create('cron-every.yaml', cron('every-2s', '@every 2s', '\n  concurrencyPolicy: Forbid'));
  try {
    const runs = await waitFor(
      'a workflow started by every-2s',
      async () => {
        const list = (await d.json<{ items: Wf[] }>(['get', 'workflows', '-l', 'workflows.argoproj.io/cron-workflow=every-2s'])).items;
        return list.length > 0 ? list : undefined;
      },
      6_000,
      async () => JSON.stringify((await d.json<Cron>(['get', 'cronworkflow', 'every-2s'])).status ?? null),
    );
    const wf = await waitDone(runs[0]!.metadata.name);
    assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
    assert.match(node(wf, wf.metadata.name).outputs?.result ?? '', /^tick every-2s-/);
  } finally {
    await d.cli(['delete', 'cronworkflow', 'every-2s']);
  }
});

// ---- 15. validation at apply time ------------------------------------------------------------------------

function lineOf(text: string, needle: string): number {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, needle);
  return text.slice(0, i).split('\n').length;
}

test('drover create -f refuses a reference to a missing template and an undeclared {{inputs.parameters.x}} with file:line, and stores nothing', async () => {
  const yaml = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: invalid-refs }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: a
            template: no-such-template
        - - name: b
            template: uses-x
    - name: uses-x
      container:
        image: alpine
        command: [echo, "{{inputs.parameters.x}}"]
`;
  const path = join(dir, 'invalid-refs.yaml');
  writeFileSync(path, yaml);
  const r = await d.cli(['create', '-f', path]);
  assert.notEqual(r.code, 0);
  const missingLine = lineOf(yaml, 'template: no-such-template');
  const paramLine = lineOf(yaml, '{{inputs.parameters.x}}');
  assert.match(r.stderr, new RegExp(`invalid-refs\\.yaml:${missingLine}:\\d+: .*no-such-template`));
  assert.match(r.stderr, new RegExp(`invalid-refs\\.yaml:${paramLine}:\\d+: .*inputs\\.parameters\\.x`));
  assert.equal(await getWf('invalid-refs'), undefined, 'nothing stored');
  // The same findings offline, as `argo lint` gives them.
  const lint = await d.cli(['lint', path]);
  assert.notEqual(lint.code, 0);
  assert.match(lint.stdout + lint.stderr, new RegExp(`invalid-refs\\.yaml:${missingLine}:\\d+`));
  assert.match(lint.stdout + lint.stderr, new RegExp(`invalid-refs\\.yaml:${paramLine}:\\d+`));
});

test('drover create -f refuses an unsupported template field (sidecars) by name', async () => {
  const yaml = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: with-sidecar }
spec:
  entrypoint: main
  templates:
    - name: main
      container: { image: alpine, command: [echo, hi] }
      sidecars:
        - { name: db, image: postgres }
`;
  const path = join(dir, 'with-sidecar.yaml');
  writeFileSync(path, yaml);
  const r = await d.cli(['create', '-f', path]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`with-sidecar\\.yaml:${lineOf(yaml, 'sidecars:')}:\\d+: .*sidecars`));
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.equal(await getWf('with-sidecar'), undefined);
});

// ---- crash safety (runs last: it restarts the server) -------------------------------------------------------

test('kill -9 of the server mid-workflow: after a restart the workflow finishes and every step ran exactly once', async () => {
  await create(
    'crash.yaml',
    pvc('crash-c') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: crash }
spec:
  entrypoint: main${claimVolume('crash-c')}
  templates:
    - name: main
      steps:
        - - { name: a, template: run, arguments: { parameters: [{ name: id, value: a }, { name: sleep, value: "0" }] } }
        - - { name: b1, template: run, arguments: { parameters: [{ name: id, value: b1 }, { name: sleep, value: "1.5" }] } }
          - { name: b2, template: run, arguments: { parameters: [{ name: id, value: b2 }, { name: sleep, value: "0.2" }] } }
        - - { name: c, template: run, arguments: { parameters: [{ name: id, value: c }, { name: sleep, value: "0" }] } }
    - name: run
      inputs: { parameters: [{ name: id }, { name: sleep }] }
      container:
        image: alpine
        command: [sh, -c, 'echo {{inputs.parameters.id}} >> /c/runs; sleep {{inputs.parameters.sleep}}; echo {{inputs.parameters.id}}']
        volumeMounts: [{ name: c, mountPath: /c }]
`,
  );
  await waitNode('crash', 'b1', (n) => n.phase === 'Running');
  await d.kill9();
  // b2 finishes and b1 keeps running while the server is down.
  await sleep(700);
  await d.up();
  const wf = await waitDone('crash', 30_000);
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.deepEqual(claimLines('crash-c', 'runs').sort(), ['a', 'b1', 'b2', 'c']);
  assert.equal(node(wf, 'c').outputs?.result, 'c');
  assert.equal((await podsOf('crash')).length, 4);
});
