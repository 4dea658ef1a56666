/**
 * Argo Workflows end to end, a workflow over time with real processes: deadlines that kill running
 * steps, suspend/resume/stop/terminate actions, the retry and resubmit actions, podGC and
 * ttlStrategy. Their timing rules are specified on an injected clock at the operator level
 * (src/kinds/workflows/deadlines.test.ts, gc.test.ts); workflow deadlines stay here because
 * only a real server shows the timer firing and the step's process being killed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { sleep } from './drover.js';
import { d, pvc, create, getWf, summary, waitFor, DONE, waitDone, waitNode, node, maybeNode, podsOf, action, mustAction, claimPath, claimLines, claimVolume, ECHO_TEMPLATE, useWorkflowServer, printed } from './workflow-harness.js';

useWorkflowServer();

// ---- deadlines ---------------------------------------------------------------------------------

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

// ---- suspend, resume, stop, terminate ------------------------------------------------------------

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
  assert.equal(await printed(wf, 'deploy'), 'deployed');
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

// ---- retry and resubmit actions ------------------------------------------------------------------

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

// ---- podGC and ttlStrategy -------------------------------------------------------------------------

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
      outputs: { parameters: [{ name: first, valueFrom: { parameter: "{{steps.ok1.outputs.result}}" } }] }
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

/** The workflow controller's reconciles so far (the server's /metrics; no line before its first). */
async function workflowPasses(): Promise<number> {
  const res = await d.api('/metrics');
  assert.equal(res.status, 200);
  return Number(/^drover_reconcile_total\{controller="workflow-controller"\} ([0-9.]+)$/m.exec(await res.text())?.[1] ?? 0);
}

test("a step's bind and podGC's deletion of its ended pod bring no pass: a step at a time, about one pass per step", async () => {
  const steps = 12;
  const before = await workflowPasses();
  await create(
    'podgc-passes.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: podgc-passes }
spec:
  entrypoint: main
  parallelism: 1
  podGC: { strategy: OnPodSuccess }
  templates:
    - name: main
      steps:
        - - { name: one, template: noop, withSequence: { count: "${steps}" } }
    - name: noop
      container: { image: alpine, command: ["true"] }
`,
  );
  const wf = await waitDone('podgc-passes');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  await waitFor('every pod deleted', async () => (await podsOf('podgc-passes')).length === 0);
  await sleep(500);
  const passes = (await workflowPasses()) - before;
  // Each step's end brings one pass (which starts the next). Its bind (phase Pending, written
  // on a pod made without one) brought a second: 26 passes here before, 13 after.
  assert.ok(passes <= steps * 1.5, `${passes} passes for ${steps} steps`);
});

test('ttlStrategy.secondsAfterCompletion: 3 deletes the finished workflow about three seconds later', async () => {
  await create(
    'ttl.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: ttl }
spec:
  entrypoint: main
  ttlStrategy: { secondsAfterCompletion: 3 }
  templates:
    - name: main
      container: { image: alpine, command: [echo, done] }
`,
  );
  // Three seconds, not one: a busy machine's polling could miss a workflow that lives a second
  // (the rule's timing is specified on the operator's clock in src/kinds/workflows/gc.test.ts).
  const wf = await waitFor('ttl to finish', async () => {
    const w = await getWf('ttl');
    return w && DONE.has(w.status?.phase ?? '') ? w : undefined;
  });
  assert.equal(wf.status?.phase, 'Succeeded');
  const doneAt = Date.now();
  await waitFor('the workflow to be deleted', async () => (await getWf('ttl')) === undefined, 12_000);
  assert.ok(Date.now() - doneAt < 8_000, `deleted ${Date.now() - doneAt} ms after it finished`);
  assert.equal((await d.cli(['get', 'workflow', 'ttl'])).code === 0, false);
  await waitFor('its pods to go with it', async () => (await podsOf('ttl')).length === 0, 8_000);
});
