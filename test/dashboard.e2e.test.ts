/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core against a real
 * `drover up` and real pods. A token login; a Job seen live from start to Complete and its log
 * streamed; a workflow's graph recolouring its nodes as their pods finish; an experiment's chart
 * gaining points; and nothing without a token.
 *
 * Skipped when /usr/bin/chromium is absent (`.ci/run` installs it; Playwright's own browser
 * download is not reachable here).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Drover } from './drover.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`;

let d: Drover;
let browser: Browser;
let page: Page;
let dir: string;

before(async () => {
  if (skip) return;
  d = await Drover.start({ cpus: '2', memory: '4Gi', gpus: 1 });
  dir = mkdtempSync(join(tmpdir(), 'drover-dashboard-e2e-'));
  chmodSync(dir, 0o755);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage();
});

after(async () => {
  await browser?.close();
  await d?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** With DROVER_DASHBOARD_SCREENSHOTS=DIR, each page the suite checks is saved there as NAME.png. */
async function screenshot(name: string, on: Page = page): Promise<void> {
  const to = process.env['DROVER_DASHBOARD_SCREENSHOTS'];
  if (to) await on.screenshot({ path: join(to, `${name}.png`), fullPage: true });
}

async function apply(file: string, yaml: string): Promise<void> {
  const path = join(dir, file);
  writeFileSync(path, yaml);
  await d.ok(['create', '-f', path]);
}

test('the page loads from the server alone under a strict Content-Security-Policy, and the API answers 401 to the page without a token', { skip }, async () => {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const res = await page.goto(`${d.url}/`);
  assert.equal(res?.status(), 200);
  const csp = res?.headers()['content-security-policy'] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  await page.getByPlaceholder('token').waitFor();
  // The same origin's fetch without a token: refused.
  const status = await page.evaluate(async () => (await fetch('/api/v1/namespaces/default/pods')).status);
  assert.equal(status, 401);
  // A wrong token: the login page says why and stays.
  await page.getByPlaceholder('token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('login-error').waitFor();
  assert.match(await page.getByTestId('login-error').innerText(), /not one this server knows/);
  assert.deepEqual(errors.filter((e) => /Content Security Policy|Refused to/.test(e)), [], 'no CSP violation');
  await screenshot('login');
});

test('signed in with the kubeconfig token, the Overview shows the node’s capacity and who holds its (configured, not physical) GPU, a pending pod’s reason, and a Job appears live, completes, and its log streams', { skip }, async () => {
  await page.getByPlaceholder('token').fill(d.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('user').waitFor();
  await page.locator('[data-node] [data-resource="CPU"]').waitFor();
  assert.match(await page.locator('[data-node] [data-resource="GPU"]').innerText(), /0 \/ 1/);
  // The GPU is configured (--gpus 1; no physical GPU here): the Overview says who holds it.
  await apply('gpu-pod.yaml', `apiVersion: v1
kind: Pod
metadata: { name: gpu-holder }
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'sleep 3']
      resources: { limits: { nvidia.com/gpu: 1 } }
`);
  await page.locator('tr', { hasText: 'GPU 0' }).filter({ hasText: 'default/gpu-holder' }).waitFor({ timeout: 15_000 });
  assert.match(await page.locator('[data-node] [data-resource="GPU"]').innerText(), /1 \/ 1/);
  await screenshot('overview');
  await page.locator('tr', { hasText: 'GPU 0' }).filter({ hasText: 'free' }).waitFor({ timeout: 15_000 });
  // A pod that fits nowhere is listed as pending with the scheduler's reason.
  await apply('big-pod.yaml', `apiVersion: v1
kind: Pod
metadata: { name: too-big }
spec:
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'true']
      resources: { requests: { memory: 100Gi } }
`);
  await page.locator('tr', { hasText: 'default/too-big' }).filter({ hasText: /Insufficient memory/ }).waitFor({ timeout: 15_000 });
  await d.ok(['delete', 'pod', 'too-big']);
  await page.getByText('No pod is waiting.').waitFor();

  await page.goto(`${d.url}/#/jobs`);
  await page.getByText('No jobs.').waitFor();
  await apply('job.yaml', `apiVersion: batch/v1
kind: Job
metadata: { name: hello-dash }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: busybox
          command: [sh, -c, 'for i in 1 2 3 4; do echo "line $i of hello-dash"; sleep 1; done']
`);
  // Appears without a reload (the list is a watch).
  await page.locator('a[data-job="hello-dash"]').waitFor({ timeout: 15_000 });
  await page.locator('a[data-job="hello-dash"]').click();
  await page.getByRole('heading', { name: /Job default\/hello-dash/ }).waitFor();
  // The log streams while the pod runs: an early line shows before the Job completes.
  const log = page.getByTestId('log');
  await log.filter({ hasText: 'line 1 of hello-dash' }).waitFor({ timeout: 20_000 });
  const completeEarly = await page.locator('h1 [data-status="Complete"]').count();
  assert.equal(completeEarly, 0, 'the first line came while the job ran');
  await page.locator('h1 [data-status="Complete"]').waitFor({ timeout: 20_000 });
  await log.filter({ hasText: 'line 4 of hello-dash' }).waitFor();
  await screenshot('job');
  // The pod's own page: its container terminated with exit code 0.
  await page.locator('a[href^="#/pods/default/hello-dash-"]').first().click();
  await page.locator('h1 [data-status="Succeeded"]').waitFor();
  await screenshot('pod');
  await page.goto(`${d.url}/#/jobs`);
  await page.locator('a[data-job="hello-dash"]').waitFor();
  await screenshot('jobs');
});

test('a workflow’s DAG is drawn from its status and each node turns from running to succeeded, in dependency order; a click shows its outputs and log', { skip }, async (t) => {
  await apply('wf.yaml', `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: diamond }
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - { name: first, template: work }
          - { name: left, template: work, dependencies: [first] }
          - { name: right, template: work, dependencies: [first] }
          - { name: last, template: work, dependencies: [left, right] }
    - name: work
      container:
        image: busybox
        command: [sh, -c, 'sleep 1.5; echo done-{{pod.name}}']
`);
  await page.goto(`${d.url}/#/workflows/default/diamond`);
  const node = (name: string) => page.locator(`[data-testid="workflow-graph"] g[data-node="${name}"]`);
  // Record, in the page, when each node's phase attribute changes (a pod finishing recolours it).
  await node('first').waitFor({ timeout: 15_000 });
  // Beside the page's own watches, the page's clock notes when each pod's phase changes on a
  // watch of the pods: from there to the node's new colour is the graph's lag.
  await page.evaluate(async (token) => {
    const pods: { node: string; phase: string; at: number }[] = [];
    (window as unknown as { pods: typeof pods }).pods = pods;
    const res = await fetch('/api/v1/namespaces/default/pods?watch=true&labelSelector=workflows.argoproj.io%2Fworkflow%3Ddiamond', { headers: { authorization: `Bearer ${token}` } });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const last = new Map<string, string>();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const e = JSON.parse(buffer.slice(0, nl)) as { object: { metadata: { annotations?: Record<string, string> }; status?: { phase?: string } } };
          buffer = buffer.slice(nl + 1);
          const name = (e.object.metadata.annotations?.['workflows.argoproj.io/node-name'] ?? '').replace(/^diamond\./, '');
          const phase = e.object.status?.phase ?? 'Pending';
          if (last.get(name) !== phase) pods.push({ node: name, phase, at: Date.now() });
          last.set(name, phase);
        }
      }
    })();
  }, d.token);
  await page.evaluate(() => {
    const seen: { node: string; phase: string; at: number }[] = [];
    (window as unknown as { phases: typeof seen }).phases = seen;
    const graph = document.querySelector('[data-testid="workflow-graph"]')!;
    const note = (g: Element) => seen.push({ node: g.getAttribute('data-node')!, phase: g.getAttribute('data-phase')!, at: Date.now() });
    graph.querySelectorAll('g[data-node]').forEach(note);
    new MutationObserver((ms) => ms.forEach((m) => {
      if (m.type === 'attributes' && m.attributeName === 'data-phase') note(m.target as Element);
      m.addedNodes.forEach((n) => { if (n instanceof Element && n.matches('g[data-node]')) note(n); });
    })).observe(graph, { attributes: true, subtree: true, childList: true, attributeFilter: ['data-phase'] });
  });
  await node('last').and(page.locator('[data-phase="Succeeded"]')).waitFor({ timeout: 30_000 });
  const seen = await page.evaluate(() => (window as unknown as { phases: { node: string; phase: string; at: number }[] }).phases);
  const at = (n: string, phase: string) => seen.find((s) => s.node === n && s.phase === phase)?.at;
  for (const n of ['first', 'left', 'right', 'last']) assert.ok(at(n, 'Succeeded'), `${n} turned Succeeded: ${JSON.stringify(seen)}`);
  assert.ok(seen.some((s) => s.node === 'first' && s.phase !== 'Succeeded'), `first was seen before it succeeded: ${JSON.stringify(seen)}`);
  assert.ok(at('first', 'Succeeded')! <= at('left', 'Succeeded')! && at('left', 'Succeeded')! <= at('last', 'Succeeded')!, JSON.stringify(seen));
  // Drawn in the order they run: each task below the tasks it depends on.
  const y = async (n: string) => Number(/translate\([^,]+,([^)]+)\)/.exec((await node(n).getAttribute('transform')) ?? '')?.[1]);
  assert.ok((await y('first')) < (await y('left')) && (await y('left')) === (await y('right')) && (await y('right')) < (await y('last')), 'first above left and right, above last');
  const pods = await page.evaluate(() => (window as unknown as { pods: { node: string; phase: string; at: number }[] }).pods);
  const lags = pods.filter((p) => p.phase === 'Succeeded' && at(p.node, 'Succeeded') !== undefined).map((p) => at(p.node, 'Succeeded')! - p.at).sort((a, b) => a - b);
  t.diagnostic(`pod phase Succeeded → node green in the graph: median ${lags[Math.floor(lags.length / 2)]} ms over ${lags.length} pods (${lags.join(', ')} ms)`);
  const fill = await node('last').locator('rect').evaluate((r) => getComputedStyle(r).fill);
  assert.equal(fill, 'rgb(227, 243, 221)', 'a succeeded node is green');
  await node('left').click();
  const panel = page.getByTestId('node-panel');
  await panel.getByText('exitCode').waitFor();
  await panel.getByTestId('log').filter({ hasText: 'done-diamond-work-' }).waitFor({ timeout: 10_000 });
  await screenshot('workflow');
});

test('a node’s output artifacts are listed in its panel and download from the server through one-time links (authorized as get of the workflow): an archived one as .tgz, one with archive none as itself', { skip }, async () => {
  await apply('artifacts.yaml', `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: with-artifacts }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: make, template: make }
    - name: make
      container:
        image: busybox
        command: [sh, -c, 'mkdir -p /tmp/out && echo "weights 0.25 0.75" > /tmp/out/model.txt && echo "plain report" > /tmp/report.txt']
      outputs:
        artifacts:
          - { name: model, path: /tmp/out }
          - { name: report, path: /tmp/report.txt, archive: { none: {} } }
`);
  await page.goto(`${d.url}/#/workflows/default/with-artifacts`);
  const node = page.locator('[data-testid="workflow-graph"] g[data-node="make"]');
  await node.and(page.locator('[data-phase="Succeeded"]')).waitFor({ timeout: 30_000 });
  await node.click();
  const list = page.getByTestId('output-artifacts');
  await list.waitFor();
  assert.deepEqual(await list.locator('dt').allTextContents(), ['model', 'report']);
  const [plain] = await Promise.all([page.waitForEvent('download'), list.locator('button[data-artifact="report"]').click()]);
  assert.equal(plain.suggestedFilename(), 'report');
  assert.equal(readFileSync((await plain.path())!, 'utf8'), 'plain report\n');
  const [archived] = await Promise.all([page.waitForEvent('download'), list.locator('button[data-artifact="model"]').click()]);
  assert.equal(archived.suggestedFilename(), 'model.tgz');
  const tgz = readFileSync((await archived.path())!);
  assert.match(gunzipSync(tgz).toString('latin1'), /model\.txt[\s\S]*weights 0\.25 0\.75/, 'a gzipped tar holding the file');
  await screenshot('workflow-artifacts');
  // Through the API: the same bytes with their length; a name the node does not record is 404;
  // a user who may not get the workflow is refused before anything is read.
  const wf = await d.json<{ status: { nodes: Record<string, { displayName: string }> } }>(['get', 'workflow', 'with-artifacts']);
  const id = Object.entries(wf.status.nodes).find(([, n]) => n.displayName === 'make')![0];
  const direct = await d.api(`/artifacts/default/with-artifacts/${id}/model`);
  assert.equal(direct.status, 200);
  assert.equal(direct.headers.get('content-length'), String(tgz.length));
  assert.deepEqual(Buffer.from(await direct.arrayBuffer()), tgz);
  assert.equal((await d.api(`/artifacts/default/with-artifacts/${id}/nothing`)).status, 404);
  assert.equal((await d.api(`/artifacts/default/with-artifacts/${id}/..%2F..%2Fetc`)).status, 404);
  const bob = (await d.ok(['token', 'create', 'artifact-bob'])).trim();
  const refused = await fetch(`${d.url}/artifacts/default/with-artifacts/${id}/model`, { headers: { authorization: `Bearer ${bob}` } });
  assert.equal(refused.status, 403);
  assert.equal((await fetch(`${d.url}/artifacts/default/with-artifacts/${id}/model`)).status, 401);
  // The browser's link: a ticket for one artifact, good once, for the user who asked.
  const ticketPath = `/apis/drover.dev/v1/namespaces/default/workflows/with-artifacts/artifacts/${id}/model/ticket`;
  const issued = await d.api(ticketPath, { method: 'POST' });
  assert.equal(issued.status, 201);
  const { url } = (await issued.json()) as { url: string };
  assert.match(url, new RegExp(`^/artifacts/default/with-artifacts/${id}/model\\?drover-ticket=[A-Za-z0-9_-]{32}$`));
  const other = url.replace('/model?', '/report?');
  assert.equal((await fetch(d.url + other)).status, 401, 'a ticket is for its own artifact only (and is spent trying)');
  const again = (await (await d.api(ticketPath, { method: 'POST' })).json()) as { url: string };
  const viaLink = await fetch(d.url + again.url);
  assert.equal(viaLink.status, 200);
  assert.equal(viaLink.headers.get('referrer-policy'), 'no-referrer');
  assert.deepEqual(Buffer.from(await viaLink.arrayBuffer()), tgz);
  assert.equal((await fetch(d.url + again.url)).status, 401, 'spent by its first use');
  assert.equal((await fetch(`${d.url}${ticketPath}`, { method: 'POST', headers: { authorization: `Bearer ${bob}` } })).status, 403);
  assert.equal((await d.api(ticketPath.replace('/model/', '/nothing/'), { method: 'POST' })).status, 404);
});

test('an experiment’s chart gains a point per finished trial, its parallel coordinates a line per trial, and the optimal trial is named', { skip }, async () => {
  await apply('exp.yaml', `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: { name: tiny }
spec:
  objective: { type: maximize, objectiveMetricName: score }
  algorithm: { algorithmName: random, algorithmSettings: [{ name: random_state, value: "3" }] }
  parallelTrialCount: 2
  maxTrialCount: 4
  maxFailedTrialCount: 1
  parameters:
    - name: x
      parameterType: double
      feasibleSpace: { min: "0", max: "1" }
    - name: kind
      parameterType: categorical
      feasibleSpace: { list: [small, large] }
  trialTemplate:
    primaryContainerName: main
    trialParameters: [{ name: x, reference: x }, { name: kind, reference: kind }]
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        backoffLimit: 0
        template:
          spec:
            restartPolicy: Never
            containers:
              - name: main
                image: busybox
                command: [sh, -c, 'echo "\${trialParameters.kind} score=\${trialParameters.x}"']
`);
  await page.goto(`${d.url}/#/experiments`);
  await page.getByRole('link', { name: 'tiny' }).click();
  const chart = page.getByTestId('objective-chart');
  await chart.waitFor();
  await page.locator('[data-testid="objective-chart"][data-points="4"]').waitFor({ timeout: 60_000 });
  await page.getByTestId('optimal').waitFor({ timeout: 15_000 });
  assert.match(await page.getByTestId('optimal').innerText(), /x=.*score=/);
  assert.equal(await chart.locator('canvas').count(), 1, 'uPlot drew on a canvas');
  await page.locator('[data-testid="parallel"][data-lines="4"]').waitFor();
  assert.deepEqual(await page.locator('[data-testid="parallel"] .axis-name').allTextContents(), ['x', 'kind', 'score']);
  await screenshot('experiment');
});

test('an experiment created from the form: the server’s error shown beside the field and under its YAML line, then created, its trials appearing', { skip }, async () => {
  await page.goto(`${d.url}/#/experiments`);
  await page.getByTestId('new-experiment').click();
  const form = page.getByTestId('experiment-form');
  await form.locator('input[name="name"]').fill('from-form');
  await form.locator('input[name="metric"]').fill('score');
  await form.locator('select[name="type"]').selectOption('minimize');
  await form.locator('select[name="algorithm"]').selectOption('sobol');
  await form.locator('input[name="param-name-0"]').fill('x');
  await form.locator('input[name="param-min-0"]').fill('-1');
  await form.locator('input[name="param-max-0"]').fill('1');
  await form.getByRole('button', { name: 'Add a parameter' }).click();
  await form.locator('input[name="param-name-1"]').fill('size');
  await form.locator('select[name="param-type-1"]').selectOption('categorical');
  await form.locator('input[name="param-list-1"]').fill('small, large');
  // More in parallel than in all: the server refuses, and says where.
  await form.locator('input[name="max-trials"]').fill('3');
  await form.locator('input[name="parallel"]').fill('5');
  await form.locator('input[name="command"]').fill('echo "size=${trialParameters.size} score=${trialParameters.x}"');
  await form.getByRole('button', { name: 'Create' }).click();
  const budget = form.getByTestId('error-budget');
  await budget.waitFor();
  assert.match(await budget.innerText(), /spec\.parallelTrialCount: must not be greater than spec\.maxTrialCount \(3\), got 5/);
  assert.equal((await d.api('/apis/kubeflow.org/v1beta1/namespaces/default/experiments/from-form')).status, 404, 'nothing stored');
  await screenshot('experiment-form-error');
  // The YAML tab: the same error under the line it names.
  await form.getByTestId('yaml-tab').click();
  const yaml = await form.getByTestId('experiment-yaml').inputValue();
  const line = yaml.split('\n').findIndex((l) => l.includes('parallelTrialCount')) + 1;
  assert.ok(line > 0, yaml);
  await form.locator(`[data-error-line="${line}"]`).waitFor();
  assert.match(await form.locator(`[data-error-line="${line}"]`).innerText(), /must not be greater than spec\.maxTrialCount/);
  await screenshot('experiment-form-yaml');
  // Fixed in the YAML itself and created from there.
  await form.getByTestId('experiment-yaml').fill(yaml.replace('parallelTrialCount: 5', 'parallelTrialCount: 2'));
  await form.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/#\/experiments\/default\/from-form$/);
  const exp = await d.json<{ spec: { objective: { type: string; objectiveMetricName: string }; algorithm: { algorithmName: string }; parameters: { name: string; parameterType: string; feasibleSpace: Record<string, unknown> }[]; trialTemplate: { trialParameters: { name: string; reference: string }[] } } }>(['get', 'experiment', 'from-form']);
  assert.deepEqual([exp.spec.objective.type, exp.spec.objective.objectiveMetricName, exp.spec.algorithm.algorithmName], ['minimize', 'score', 'sobol']);
  assert.deepEqual(exp.spec.parameters.map((p) => [p.name, p.parameterType, p.feasibleSpace['min'] ?? p.feasibleSpace['list'], p.feasibleSpace['max']]), [['x', 'double', '-1', '1'], ['size', 'categorical', ['small', 'large'], undefined]]);
  // Its trials appear and finish: three points on the chart, the optimal trial named.
  await page.locator('[data-testid="objective-chart"][data-points="3"]').waitFor({ timeout: 90_000 });
  await page.getByTestId('optimal').waitFor({ timeout: 15_000 });
  assert.match(await page.getByTestId('optimal').innerText(), /x=.*size=.*score=/);
  await screenshot('experiment-from-form');
  await d.ok(['delete', 'experiment', 'from-form']);
});

test('a PyTorchJob on the Training page: listed live, its replica statuses, conditions and pods, each pod linked to its page with the log', { skip }, async () => {
  await page.goto(`${d.url}/#/training`);
  await page.getByText('No PyTorchJobs.').waitFor();
  await apply('pytorchjob.yaml', `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: { name: tiny-torch }
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: Never
      template:
        spec:
          containers: [{ name: pytorch, image: busybox, command: [sh, -c, 'echo "ok from rank $RANK of $WORLD_SIZE"'] }]
    Worker:
      replicas: 1
      restartPolicy: Never
      template:
        spec:
          containers: [{ name: pytorch, image: busybox, command: [sh, -c, 'echo "ok from rank $RANK of $WORLD_SIZE"'] }]
`);
  const row = page.locator('tr', { hasText: 'tiny-torch' });
  await row.waitFor({ timeout: 15_000 });
  assert.match(await row.innerText(), /Master ×1, Worker ×1/);
  await row.locator('[data-status="Succeeded"]').waitFor({ timeout: 60_000 });
  await screenshot('training-list');
  await row.getByRole('link', { name: 'tiny-torch' }).click();
  await page.waitForURL(/#\/training\/PyTorchJob\/default\/tiny-torch$/);
  const replicas = page.locator('section', { hasText: 'Replicas' });
  // Cells: replica, active, succeeded, failed.
  const cells = (name: string) => replicas.locator('tr', { hasText: name }).locator('td').allTextContents();
  await replicas.locator('tr', { hasText: 'Worker' }).waitFor({ timeout: 15_000 });
  assert.deepEqual(await cells('Master'), ['Master', '0', '1', '0']);
  assert.deepEqual(await cells('Worker'), ['Worker', '0', '1', '0']);
  await page.locator('section', { hasText: 'Conditions' }).locator('tr', { hasText: 'Succeeded' }).waitFor();
  const pods = page.locator('section', { hasText: 'Pods (each with its log)' });
  await pods.locator('[data-pod="tiny-torch-master-0"]').waitFor();
  await pods.locator('[data-pod="tiny-torch-worker-0"]').waitFor();
  assert.match(await pods.locator('tr', { hasText: 'tiny-torch-worker-0' }).innerText(), /worker\s+0\s+Succeeded/);
  await screenshot('training-detail');
  await pods.locator('[data-pod="tiny-torch-master-0"]').click();
  await page.getByTestId('log').filter({ hasText: 'ok from rank 0 of 2' }).waitFor({ timeout: 15_000 });
  // The other training kinds have their tabs.
  await page.goto(`${d.url}/#/training/TrainJob`);
  await page.getByText('No TrainJobs.').waitFor();
  assert.deepEqual(await page.getByTestId('training-kinds').locator('a').allTextContents(), ['PyTorchJob', 'TFJob', 'XGBoostJob', 'JAXJob', 'PaddleJob', 'MPIJob', 'TrainJob']);
});

test('a bad YAML applied from the browser shows the server’s error under the line it names and stores nothing; a good one is created and linked', { skip }, async () => {
  await page.goto(`${d.url}/#/apply`);
  const bad = ['apiVersion: batch/v1', 'kind: Job', 'metadata: { name: from-browser }', 'spec:', '  parallelism: "two"', '  template:', '    spec:', '      restartPolicy: Never', '      containers: [{ name: main, image: busybox, command: [sh, -c, "echo from the browser"] }]'].join('\n');
  await page.getByTestId('yaml').fill(bad);
  await page.getByRole('button', { name: 'Apply' }).click();
  const error = page.locator('[data-error-line="5"]');
  await error.waitFor();
  assert.match(await error.innerText(), /spec\.parallelism/);
  assert.equal(await page.locator('.line.bad').getAttribute('data-line'), '5');
  await screenshot('apply-error');
  assert.equal((await d.api('/apis/batch/v1/namespaces/default/jobs/from-browser')).status, 404, 'nothing stored');
  await page.getByTestId('yaml').fill(bad.replace('"two"', '1'));
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByTestId('apply-results').getByRole('link', { name: 'job/from-browser created' }).click();
  await page.locator('h1 [data-status="Complete"]').waitFor({ timeout: 20_000 });
  await page.getByText('YAML', { exact: true }).click();
  assert.match(await page.getByTestId('object-yaml').innerText(), /kind: Job\n[\s\S]*name: from-browser/);
});

test('a 10,000-task workflow’s page draws a summarised graph and stays interactive (its status written whole: 10,000 pods are not run here)', { skip }, async (t) => {
  await apply('big.yaml', `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: big }
spec:
  entrypoint: main
  templates:
    - name: main
      suspend: {}
`);
  // What the controller would have written after a 10,000-item loop and a step after it.
  const at = new Date().toISOString();
  const items = Array.from({ length: 10_000 }, (_, i) => [`big-${i}`, { id: `big-${i}`, name: `big.loop(${i}:${i})`, displayName: `loop(${i}:${i})`, type: 'Pod', templateName: 'work', phase: i % 1000 === 7 ? 'Failed' : 'Succeeded', startedAt: at, finishedAt: at, children: ['big-after'], outputs: { exitCode: '0', result: `item ${i}` } }]);
  const nodes = Object.fromEntries([
    ['big', { id: 'big', name: 'big', displayName: 'big', type: 'DAG', templateName: 'main', phase: 'Failed', startedAt: at, finishedAt: at, children: ['big-loop', 'big-after'] }],
    ['big-loop', { id: 'big-loop', name: 'big.loop', displayName: 'loop', type: 'TaskGroup', phase: 'Failed', startedAt: at, finishedAt: at, children: items.map(([id]) => id) }],
    ...items,
    ['big-after', { id: 'big-after', name: 'big.report', displayName: 'report', type: 'Pod', phase: 'Omitted', startedAt: at, finishedAt: at }],
  ]);
  const current = (await (await d.api('/apis/argoproj.io/v1alpha1/namespaces/default/workflows/big')).json()) as Record<string, unknown>;
  const res = await d.api('/apis/argoproj.io/v1alpha1/namespaces/default/workflows/big/status', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...current, metadata: { ...(current['metadata'] as object), resourceVersion: undefined }, status: { phase: 'Failed', startedAt: at, finishedAt: at, nodes } }),
  });
  assert.equal(res.status, 200, await res.text());
  const started = Date.now();
  await page.goto(`${d.url}/#/workflows/default/big`);
  const more = page.locator('[data-testid="workflow-graph"] g[data-node="+9988 more"]');
  await more.waitFor({ timeout: 30_000 });
  const firstRender = Date.now() - started;
  assert.equal(await more.getAttribute('data-phase'), 'Failed', 'the summary shows the failures it hides');
  assert.ok((await page.locator('[data-testid="workflow-graph"] g[data-node]').count()) <= 20, 'a few dozen nodes drawn, not 10,000');
  const clicked = Date.now();
  await page.locator('[data-testid="workflow-graph"] g[data-node="loop(3:3)"]').click();
  await page.getByTestId('node-panel').getByText('item 3').waitFor();
  t.diagnostic(`10,000-task workflow: first render ${firstRender} ms after navigation; a node's panel ${Date.now() - clicked} ms after its click`);
  await screenshot('workflow-large');
  // The summary opens the 9,988 items it hides, 50 a page, and filters them by phase.
  const opened = Date.now();
  await more.click();
  const list = page.getByTestId('summary-panel');
  await list.getByTestId('summary-page').filter({ hasText: 'page 1 of 200' }).waitFor();
  const summaryMs = Date.now() - opened;
  assert.equal(await list.locator('tr[data-item]').count(), 50);
  assert.equal(await list.locator('tr[data-item]').first().getAttribute('data-item'), 'loop(12:12)');
  await list.getByRole('button', { name: 'Next' }).click();
  await list.locator('tr[data-item="loop(62:62)"]').waitFor();
  await list.locator('[data-phase-filter="Failed"]').click();
  await list.getByTestId('summary-page').filter({ hasText: 'page 1 of 1' }).waitFor();
  assert.deepEqual(await list.locator('tr[data-item]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-item'))), [1007, 2007, 3007, 4007, 5007, 6007, 7007, 8007, 9007].map((i) => `loop(${i}:${i})`));
  await screenshot('workflow-large-summary');
  await list.locator('tr[data-item="loop(5007:5007)"]').getByRole('button').click();
  await page.getByTestId('node-panel').getByText('item 5007').waitFor();
  t.diagnostic(`10,000-task workflow: the summary's list of 9,988 items ${summaryMs} ms after its click`);
});

test('a kind without a page of its own is listed and shown through the generic view (kinds from discovery)', { skip }, async () => {
  await apply('cm.yaml', `apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { learning_rate: "0.01" }
`);
  await page.goto(`${d.url}/#/kinds`);
  await page.getByTestId('kind').selectOption('v1.configmaps');
  await page.getByRole('link', { name: 'settings', exact: true }).waitFor();
  const kinds = await page.getByTestId('kind').locator('option').allTextContents();
  for (const k of ['Workflow (argoproj.io.v1alpha1.workflows)', 'Experiment (kubeflow.org.v1beta1.experiments)', 'Job (batch.v1.jobs)']) assert.ok(kinds.includes(k), `${k} in ${kinds.join(', ')}`);
  await page.getByRole('link', { name: 'settings', exact: true }).click();
  await page.getByRole('heading', { name: 'ConfigMap default/settings' }).waitFor();
  await page.getByText('YAML', { exact: true }).click();
  assert.match(await page.getByTestId('object-yaml').innerText(), /learning_rate: "0\.01"/);
  await screenshot('kind-object');
});

test('a user bound to one namespace is offered that namespace only, and sees its jobs but not the node', { skip }, async () => {
  const bob = (await d.ok(['token', 'create', 'bob'])).trim();
  await apply('team.yaml', `apiVersion: v1
kind: Namespace
metadata: { name: team-b }
---
apiVersion: v1
kind: Namespace
metadata: { name: team-c }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: bob-edit, namespace: team-b }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit }
subjects: [{ kind: User, name: bob, apiGroup: rbac.authorization.k8s.io }]
`);
  const context = await browser.newContext();
  const other = await context.newPage();
  try {
    await other.goto(`${d.url}/`);
    await other.getByPlaceholder('token').fill(bob);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByTestId('user').filter({ hasText: 'bob' }).waitFor();
    const offered = await other.getByTestId('namespace').locator('option').allInnerTexts();
    assert.deepEqual(offered, ['team-b']);
    // Nodes are cluster-wide: bob may not read them, and the page says so instead of failing.
    await other.getByText(/Nodes: .*forbidden/i).waitFor();
    await screenshot('one-namespace-user', other);
    await other.goto(`${d.url}/#/jobs`);
    await other.getByText('No jobs.').waitFor();
  } finally {
    await context.close();
  }
});
