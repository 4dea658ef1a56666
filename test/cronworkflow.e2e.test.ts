/**
 * CronWorkflows on a real server, with `@every` schedules so runs come within seconds:
 * concurrencyPolicy Forbid and Replace, and the history limits.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Drover, sleep } from './drover.js';

let d: Drover;
before(async () => {
  d = await Drover.start({ cpus: '8', memory: '8Gi' });
});
after(async () => {
  await d?.stop();
});

interface Wf {
  metadata: { name: string; annotations?: Record<string, string> };
  status?: { phase?: string; message?: string };
}

const cron = (name: string, extra: string, command: string) => `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: { name: ${name} }
spec:
  schedules: ["@every 1s"]
${extra}
  workflowSpec:
    entrypoint: main
    templates:
      - name: main
        container: { image: busybox, command: [sh, -c, '${command}'] }
`;

const runsOf = async (name: string) => (await d.json<{ items: Wf[] }>(['get', 'workflows', '-l', `workflows.argoproj.io/cron-workflow=${name}`])).items;
const done = (w: Wf) => ['Succeeded', 'Failed', 'Error'].includes(w.status?.phase ?? '');

test('concurrencyPolicy Forbid: a run due while the last one still runs is skipped, never two at once', async () => {
  await d.ok(['create', '-f', '-'], cron('forbid', '  concurrencyPolicy: Forbid', 'sleep 2.5'));
  let most = 0;
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    most = Math.max(most, (await runsOf('forbid')).filter((w) => !done(w)).length);
    await sleep(150);
  }
  await d.ok(['delete', 'cronworkflow', 'forbid']);
  assert.equal(most, 1);
});

test('concurrencyPolicy Replace: a new run stops the one still running', async () => {
  await d.ok(['create', '-f', '-'], cron('replace', '  concurrencyPolicy: Replace', 'sleep 30'));
  await sleep(3500);
  const runs = await runsOf('replace');
  await d.ok(['delete', 'cronworkflow', 'replace']);
  assert.ok(runs.length >= 2, `runs: ${runs.map((w) => `${w.metadata.name}:${w.status?.phase}`).join(', ')}`);
  const running = runs.filter((w) => !done(w));
  assert.ok(running.length <= 1, `at most one running, got ${running.length}`);
  const replaced = runs.filter(done);
  assert.ok(replaced.length >= 1);
  for (const w of replaced) assert.match(w.status?.message ?? '', /Stopped with strategy 'Terminate'/);
});

test('history limits keep the newest successful runs only, and each run records its scheduled time', async () => {
  await d.ok(['create', '-f', '-'], cron('history', '  successfulJobsHistoryLimit: 1\n  failedJobsHistoryLimit: 0', 'true'));
  // Runs come every second and end at once: after a few, only the newest success may remain.
  await sleep(4500);
  // Suspend it so no new run starts, then let the last run's end be collected: a run that has just
  // succeeded is kept beside the one before until the controller hears of its end, as in Argo.
  const res = await d.api('/apis/argoproj.io/v1alpha1/namespaces/default/cronworkflows/history', {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ spec: { suspend: true } }),
  });
  assert.equal(res.status, 200);
  let runs = await runsOf('history');
  const settled = Date.now() + 10_000;
  while ((runs.some((w) => !done(w)) || runs.filter((w) => w.status?.phase === 'Succeeded').length > 1) && Date.now() < settled) {
    await sleep(200);
    runs = await runsOf('history');
  }
  const cronStatus = (await d.json<{ status?: { lastScheduledTime?: string; succeeded?: number } }>(['get', 'cronworkflow', 'history'])).status;
  assert.ok(cronStatus?.lastScheduledTime, 'lastScheduledTime recorded');
  await d.ok(['delete', 'cronworkflow', 'history']);
  assert.ok(runs.length >= 1, 'at least one run kept');
  assert.ok(runs.filter((w) => w.status?.phase === 'Succeeded').length <= 1, `kept: ${runs.map((w) => `${w.metadata.name}:${w.status?.phase}`).join(', ')}`);
  for (const w of runs) assert.match(w.metadata.annotations?.['workflows.argoproj.io/scheduled-time'] ?? '', /^\d{4}-\d\d-\d\dT/);
});
