/**
 * The Argo-style workflow commands end to end: the real `drover` binary against a real server
 * running real step pods. What an Argo user sees: `submit` with parameters, `--wait`, `--watch`,
 * `-o name|json`, `get workflow` as a tree, `logs workflow/NAME` with pod prefixes, the actions
 * (retry, resubmit, suspend, resume, stop, terminate), `lint` offline and `wait` on workflows.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Drover, REPO, sleep } from './drover.js';

const HELLO = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  arguments:
    parameters:
    - name: message
      value: hello world
  templates:
  - name: main
    inputs:
      parameters:
      - name: message
    container:
      image: busybox
      command: [echo, "{{inputs.parameters.message}}"]
`;

const STEPS = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: steps-
spec:
  entrypoint: main
  onExit: bye
  templates:
  - name: main
    steps:
    - - name: prepare
        template: say
        arguments: {parameters: [{name: text, value: prepared}]}
    - - name: train
        template: say
        arguments: {parameters: [{name: text, value: "trained {{item}}"}]}
        withItems: [a, b]
  - name: say
    inputs: {parameters: [{name: text}]}
    container:
      image: busybox
      command: [echo, "{{inputs.parameters.text}}"]
  - name: bye
    container:
      image: busybox
      command: [echo, "bye {{workflow.status}}"]
`;

const FAIL = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: fails-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c, "echo trying; exit 3"]
`;

const SLEEPY = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: sleepy-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: nap
        template: nap
    - - name: again
        template: nap
  - name: nap
    container:
      image: busybox
      command: [sleep, "3"]
`;

const TEMPLATE = `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: greeter
spec:
  entrypoint: main
  arguments:
    parameters:
    - name: who
      value: nobody
  templates:
  - name: main
    container:
      image: busybox
      command: [echo, "hi {{workflow.parameters.who}}"]
`;

let d: Drover;
let dir: string;
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

before(async () => {
  d = await Drover.start({ cpus: '2', memory: '4Gi' });
  dir = mkdtempSync(join(tmpdir(), 'drover-wf-cli-'));
  chmodSync(dir, 0o755); // steps start here as uid 65534
});
after(async () => {
  await d?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Wf {
  metadata: { name: string };
  spec: { arguments?: { parameters?: { name: string; value?: string }[] } };
  status: { phase: string; message?: string; nodes?: Record<string, { name: string; displayName: string; type: string; phase: string; templateName?: string }> };
}

test('submit -p --wait -o json prints the finished workflow; get shows the argo tree; logs prefix the pod', async () => {
  const hello = file('hello.yaml', HELLO);
  const wf = JSON.parse(await d.ok(['submit', hello, '-p', 'message=goodbye', '--wait', '-o', 'json'])) as Wf;
  const name = wf.metadata.name;
  assert.match(name, /^hello-[a-z0-9]{5}$/);
  assert.equal(wf.status.phase, 'Succeeded');
  assert.deepEqual(wf.spec.arguments?.parameters, [{ name: 'message', value: 'goodbye' }]);
  assert.equal(wf.status.nodes?.[name]?.type, 'Pod');

  const got = await d.ok(['get', 'workflow', name]);
  assert.match(got, new RegExp(`^Name: {16}${name}\\nNamespace: {11}default\\n`));
  assert.match(got, /^Status: {14}Succeeded$/m);
  assert.match(got, /^ Completed {11}True$/m);
  assert.match(got, /^Duration: {12}\d+ seconds?$/m);
  assert.match(got, /^Progress: {12}1\/1$/m);
  assert.match(got, /^Parameters:\n {2}message: {11}goodbye$/m);
  // One template, so the root node is the pod, named after the workflow.
  assert.match(got, new RegExp(`\\n\\nSTEP\\s+TEMPLATE\\s+PODNAME\\s+DURATION\\s+MESSAGE\\n ✔ ${name}\\s+main\\s+${name}\\s+\\d+s\\n$`));
  const undated = (s: string) => s.replace(/\((\d+ \w+ ago|now)\)/g, '()');
  assert.equal(undated(await d.ok(['get', 'wf', name])), undated(got), 'the short name gives the same view');
  assert.match(await d.ok(['get', 'workflows']), new RegExp(`^NAME\\s+STATUS\\s+AGE\\s+DURATION\\s+PRIORITY\\s+MESSAGE\\n(.*\\n)*${name}\\s+Succeeded\\s+\\d+s\\s+\\d+s\\s+0`));
  assert.equal(JSON.parse(await d.ok(['get', 'wf', name, '-o', 'json'])).metadata.name, name, '-o json is unchanged');

  assert.equal(await d.ok(['logs', `workflow/${name}`]), `${name}: goodbye\n`);
  // A one-template workflow's pod has the workflow's name: as in kubectl, a bare name is the pod.
  assert.equal(await d.ok(['logs', name]), 'goodbye\n');
  assert.match(await d.ok(['describe', 'workflow', name]), new RegExp(`^Name: {16}${name}\\n[\\s\\S]*\\nSTEP[\\s\\S]*\\nEvents:`));
});

test('-o name prints workflow/NAME at once; wait --for=condition=Completed then says it is met', async () => {
  const started = Date.now();
  const out = await d.ok(['submit', file('hello.yaml', HELLO), '-o', 'name']);
  assert.match(out, /^workflow\/hello-[a-z0-9]{5}\n$/);
  assert.ok(Date.now() - started < 5000);
  const name = out.trim().slice('workflow/'.length);
  assert.equal(await d.ok(['wait', `workflow/${name}`, '--for=condition=Completed', '--timeout=60s']), `workflow.argoproj.io/${name} condition met\n`);
  assert.equal(await d.ok(['wait', `wf/${name}`, `--for=jsonpath={.status.phase}=Succeeded`, '--timeout=10s']), `workflow.argoproj.io/${name} condition met\n`);
  // The default output is argo submit's summary.
  const summary = await d.ok(['submit', file('hello.yaml', HELLO), '-p', 'message=again']);
  assert.match(summary, /^Name: {16}hello-[a-z0-9]{5}\nNamespace: {11}default\nServiceAccount: {6}unset \(will run with the default ServiceAccount\)\nStatus: {14}(Pending|Running|Succeeded)\n/);
  assert.match(summary, /^Parameters:\n {2}message: {11}again\n$/m);
});

test('--watch on a pipe prints the final tree once: steps in order, loop items, then the exit handler; logs follow the same order', async () => {
  const r = await d.cli(['submit', file('steps.yaml', STEPS), '--watch']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.match(/^STEP/gm)?.length, 1, 'one tree, not one per change');
  assert.equal(r.stdout.includes('\x1b['), false, 'no escapes on a pipe');
  const name = /^Name:\s+(\S+)$/m.exec(r.stdout)![1]!;
  const tree = r.stdout.slice(r.stdout.indexOf('STEP')).split('\n').map((l) => l.split(/(?<=\S) {2,}/)[0]);
  assert.deepEqual(tree, ['STEP', ` ✔ ${name}`, ' ├───✔ prepare', ' └─┬─✔ train(0:a)', '   └─✔ train(1:b)', '', ` ✔ ${name}.onExit`, '']);
  assert.match(r.stdout, /^Status: {14}Succeeded$/m);

  const logs = (await d.ok(['logs', `workflow/${name}`])).split('\n');
  assert.deepEqual(logs.map((l) => l.replace(/^\S+: /, '')), ['prepared', 'trained a', 'trained b', 'bye Succeeded', '']);
  for (const l of logs.slice(0, -1)) assert.match(l, new RegExp(`^${name}-(say|bye)-\\d+: `));

  assert.equal(await d.ok(['logs', name]), logs.join('\n'), 'a bare name that is a workflow and not a pod');
  const followed = await d.ok(['logs', '-f', `workflow/${name}`]);
  assert.deepEqual(followed.split('\n').sort(), logs.slice().sort(), '-f on a finished workflow prints the same lines');
});

test('logs -f follows a running workflow, picking up the pods of later steps, until it completes', async () => {
  const slow = STEPS.replace('command: [echo, "{{inputs.parameters.text}}"]', 'command: [sh, -c, "sleep 0.5; echo {{inputs.parameters.text}}"]');
  const name = (await d.ok(['submit', file('slow.yaml', slow), '-o', 'name'])).trim().slice('workflow/'.length);
  const followed = await d.ok(['logs', '-f', `workflow/${name}`]);
  const lines = followed.trimEnd().split('\n');
  assert.deepEqual(lines.map((l) => l.replace(/^\S+: /, '')).sort(), ['bye Succeeded', 'prepared', 'trained a', 'trained b']);
  assert.equal(lines[0]!.replace(/^\S+: /, ''), 'prepared', 'the first step printed first');
  assert.equal(lines[3]!.replace(/^\S+: /, ''), 'bye Succeeded', 'the exit handler printed last');
  assert.match((await d.ok(['get', 'wf', name])), /^Status: {14}Succeeded$/m, 'logs -f returned once the workflow completed');
});

test('logs -f attached late prints the steps that already ended first, in order, then follows the rest', async () => {
  // The first step ends at once; the later ones wait, so logs -f attaches in the middle.
  const late = STEPS.replace('command: [echo, "{{inputs.parameters.text}}"]', 'command: [sh, -c, "test \'{{inputs.parameters.text}}\' = prepared || sleep 1.5; echo {{inputs.parameters.text}}"]');
  const name = (await d.ok(['submit', file('late.yaml', late), '-o', 'name'])).trim().slice('workflow/'.length);
  for (let i = 0; i < 100; i++) {
    const pods = await d.json<{ items: { status: { phase: string } }[] }>(['get', 'pods', '-l', `workflows.argoproj.io/workflow=${name}`]);
    if (pods.items.some((p) => p.status.phase === 'Succeeded')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const lines = (await d.ok(['logs', '-f', `workflow/${name}`])).trimEnd().split('\n').map((l) => l.replace(/^\S+: /, ''));
  assert.deepEqual([...lines].sort(), ['bye Succeeded', 'prepared', 'trained a', 'trained b']);
  assert.equal(lines[0], 'prepared', 'the step that had ended printed first');
  assert.equal(lines[3], 'bye Succeeded', 'the exit handler printed last');
});

test('a failing workflow: --wait exits 1 and says why; wait on Succeeded stops at once; retry and resubmit', async () => {
  const r = await d.cli(['submit', file('fail.yaml', FAIL), '--wait']);
  assert.equal(r.code, 1);
  const name = /^Name:\s+(\S+)$/m.exec(r.stdout)![1]!;
  assert.match(r.stdout, new RegExp(`\\n${name} Failed at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\+0000 UTC\\n$`));
  assert.equal(r.stderr, `error: workflow/${name} Failed: Error (exit code 3)\n`);
  assert.match(await d.ok(['get', 'wf', name]), new RegExp(`\\n ✖ ${name}\\s+main\\s+${name}\\s+\\d+s\\s+Error \\(exit code 3\\)\\n$`));

  const waited = await d.cli(['wait', `workflow/${name}`, '--for=jsonpath={.status.phase}=Succeeded', '--timeout=60s']);
  assert.deepEqual(waited, { code: 1, stdout: '', stderr: `error: workflow.argoproj.io/${name} completed with phase Failed: Error (exit code 3), so it will never be Succeeded\n` });

  assert.equal(await d.ok(['retry', name]), `workflow/${name} retried\n`);
  const again = await d.cli(['wait', `workflow/${name}`, '--for=condition=Completed', '--timeout=60s']);
  assert.equal(again.code, 0, again.stderr);

  const re = await d.ok(['resubmit', name, '-o', 'name']);
  assert.match(re, /^workflow\/fails-[a-z0-9]{5}\n$/);
  assert.notEqual(re.trim(), `workflow/${name}`);
  const plain = await d.ok(['resubmit', name]);
  assert.match(plain, new RegExp(`^workflow/fails-[a-z0-9]{5} resubmitted \\(from workflow/${name}\\)\\n$`));
  const missing = await d.cli(['retry', 'no-such-workflow']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error from server \(NotFound\): .*"no-such-workflow" not found/);
});

test('suspend, resume, stop and terminate print kubectl-style lines and end the workflow as Argo does', async () => {
  const name = (await d.ok(['submit', file('sleepy.yaml', SLEEPY), '-o', 'name'])).trim().slice('workflow/'.length);
  await sleep(300);
  assert.equal(await d.ok(['suspend', name]), `workflow/${name} suspended\n`);
  assert.match(await d.ok(['get', 'wf', name]), /^Status: {14}Running \(Suspended\)$/m);
  assert.equal(await d.ok(['resume', name]), `workflow/${name} resumed\n`);
  assert.equal(await d.ok(['terminate', name]), `workflow/${name} terminated\n`);
  await d.ok(['wait', `workflow/${name}`, '--for=condition=Completed', '--timeout=60s']);
  assert.match(await d.ok(['get', 'wf', name]), /^Status: {14}Failed \(Terminated\)$/m);

  const other = (await d.ok(['submit', file('sleepy.yaml', SLEEPY), '-o', 'name'])).trim().slice('workflow/'.length);
  await sleep(300);
  assert.equal(await d.ok(['stop', other]), `workflow/${other} stopped\n`);
  await d.ok(['wait', `workflow/${other}`, '--for=condition=Completed', '--timeout=60s']);
  assert.match(await d.ok(['get', 'wf', other]), /^Status: {14}Failed \(Stopped\)$/m);
});

test('--from a WorkflowTemplate runs it with -p; an undeclared parameter is refused before anything is created', async () => {
  assert.equal(await d.ok(['apply', '-f', file('template.yaml', TEMPLATE)]), 'workflowtemplate.argoproj.io/greeter created\n');
  assert.match(await d.ok(['get', 'workflowtemplates']), /^NAME\s+AGE\ngreeter\s+\d+s\n$/);
  const wf = JSON.parse(await d.ok(['submit', '--from', 'workflowtemplate/greeter', '-p', 'who=drover', '--wait', '-o', 'json'])) as Wf;
  assert.equal(wf.status.phase, 'Succeeded');
  assert.match(wf.metadata.name, /^greeter-[a-z0-9]{5}$/);
  assert.match(await d.ok(['logs', `workflow/${wf.metadata.name}`]), /: hi drover\n$/);

  const before = await d.ok(['get', 'workflows', '-o', 'name']);
  const bad = await d.cli(['submit', file('hello.yaml', HELLO), '-p', 'mesage=typo']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, `error: ${join(dir, 'hello.yaml')}: parameter "mesage" is not declared by workflow "hello-" (declared parameters: message)\n`);
  const fromBad = await d.cli(['submit', '--from', 'wftmpl/greeter', '-p', 'whom=x']);
  assert.equal(fromBad.stderr, 'error: parameter "whom" is not declared by workflowtemplate "greeter" (declared parameters: who)\n');
  const notWf = await d.cli(['submit', file('template.yaml', TEMPLATE)]);
  assert.equal(notWf.code, 1);
  assert.match(notWf.stderr, /submit takes Workflow manifests, not WorkflowTemplate/);
  assert.equal(await d.ok(['get', 'workflows', '-o', 'name']), before, 'nothing was created');
});

test('server errors keep the line numbers of the submitted file', async () => {
  // Line 16 has a field Argo does not know; -p rewrites line 10 above it.
  const broken = HELLO.replace('    container:\n', '    container:\n      imagePullSecretz: x\n');
  const r = await d.cli(['submit', file('broken.yaml', broken), '-p', 'message=x']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^Error from server \\(Invalid\\): ${join(dir, 'broken.yaml').replace(/[.]/g, '\\.')}:17:\\d+: `), r.stderr);
});

test('lint reports each problem as FILE:LINE:COL and exits 1; a good file has no linting errors', async () => {
  const bad = file('bad.yaml', `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: bad-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: one
        template: missing
`);
  const r = await d.cli(['lint', bad]);
  assert.equal(r.code, 1);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, new RegExp(`^${bad.replace(/[.]/g, '\\.')}:11:\\d+: .*missing`));
  assert.match(lines.at(-1)!, /^✖ \d+ linting errors? found!$/);
  const good = await d.cli(['lint', file('good.yaml', HELLO)]);
  assert.deepEqual(good, { code: 0, stdout: '✔ no linting errors found!\n', stderr: '' });
  assert.equal(await d.ok(['lint', '-o', 'simple', join(dir, 'good.yaml')]), 'no linting errors found!\n');
  // Offline: no server needed.
  const offline = await new Promise<number>((resolve) => {
    import('node:child_process').then(({ execFile }) =>
      execFile(process.execPath, [join(REPO, 'bin', 'drover.js'), 'lint', join(dir, 'good.yaml')], { env: { ...d.env, DROVER_SERVER: 'http://127.0.0.1:1' } }, (err) => resolve(err ? 1 : 0)),
    );
  });
  assert.equal(offline, 0);
});
