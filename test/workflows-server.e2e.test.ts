/**
 * Argo Workflows end to end, through the server as a whole: CronWorkflow schedules, validation at
 * apply time (file:line), and a kill -9 of the server mid-workflow (last: it restarts the server).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './drover.js';
import { d, dir, pvc, create, getWf, summary, waitFor, waitDone, waitNode, node, podsOf, claimLines, claimVolume, type Wf, useWorkflowServer, printed } from './workflow-harness.js';

useWorkflowServer();

// ---- CronWorkflow ----------------------------------------------------------------------------------

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

// ---- validation at apply time ------------------------------------------------------------------------

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

test('drover create -f refuses an unsupported template field (http) by name', async () => {
  const yaml = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: with-http }
spec:
  entrypoint: main
  templates:
    - name: main
      http:
        url: http://127.0.0.1:1/notify
`;
  const path = join(dir, 'with-http.yaml');
  writeFileSync(path, yaml);
  const r = await d.cli(['create', '-f', path]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`with-http\\.yaml:${lineOf(yaml, 'http:')}:\\d+: .*http`));
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.equal(await getWf('with-http'), undefined);
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
  assert.equal(await printed(wf, 'c'), 'c');
  assert.equal((await podsOf('crash')).length, 4);
});
