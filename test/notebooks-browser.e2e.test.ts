/**
 * A notebook from the dashboard in a real browser (Debian's Chromium through playwright-core):
 * the launcher form creates it, the list shows it Ready, CONNECT opens JupyterLab through the
 * server's proxy in a new tab, and a cell run in JupyterLab's own UI shows 499999500000.
 *
 * Skipped without /usr/bin/chromium or without the JupyterLab environment (unless
 * DROVER_REQUIRE_JUPYTER is set). With DROVER_DASHBOARD_SCREENSHOTS=DIR each step is saved there.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Drover, REPO } from './drover.js';

const CHROMIUM = '/usr/bin/chromium';
const venv = execFileSync('bash', [join(REPO, 'scripts/jupyter-env.sh'), 'path'], { encoding: 'utf8' }).trim();
const haveJupyter = existsSync(join(venv, '.complete'));
const skip = !existsSync(CHROMIUM) ? `${CHROMIUM} is not installed (apt-get install chromium)` : !haveJupyter && !process.env['DROVER_REQUIRE_JUPYTER'] ? 'JupyterLab is not installed (scripts/jupyter-env.sh ensure)' : false;

let d: Drover;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  // A range of ClusterIPs of its own: suites run side by side on one machine, each server with its Services.
  d = await Drover.start({ cpus: '4', memory: '8Gi', gpus: 1, env: { DROVER_SERVICE_CIDR: '10.99.0.0/16' } });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

/**
 * Waits for JupyterLab's launcher. Chromium fails requests in flight with ERR_NETWORK_CHANGED when
 * the machine's interfaces change (every pod start adds a veth pair to the bridge, and other
 * servers' tests start pods on this machine); JupyterLab then shows an error dialog (a theme
 * stylesheet that failed to load) or never draws. The page is loaded again then, at most five
 * times, and each time is reported.
 */
async function launcher(lab: Page): Promise<void> {
  const card = lab.locator('.jp-LauncherCard[data-category="Notebook"]').first();
  const dialog = lab.locator('.jp-Dialog');
  let why = '';
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      await Promise.race([card.waitFor({ timeout: 120_000 }), dialog.first().waitFor({ timeout: 120_000 })]);
      if ((await dialog.count()) === 0) return;
      why = (await dialog.first().getAttribute('aria-label')) ?? (await dialog.first().innerText());
    } catch (err) {
      why = (err as Error).message.split('\n')[0]!;
    }
    console.log(`# browser: JupyterLab did not load (attempt ${attempt}): ${why}; loading the page again`);
    // The reload itself may meet the next network change.
    await lab.goto(`${d.url}/notebook/default/web-lab/lab`).catch((err: Error) => console.log(`# browser: reload failed: ${err.message.split('\n')[0]}`));
  }
  throw new Error(`JupyterLab kept failing to load: ${why}`);
}

async function screenshot(name: string, on: Page = page): Promise<void> {
  const to = process.env['DROVER_DASHBOARD_SCREENSHOTS'];
  if (to) await on.screenshot({ path: join(to, `${name}.png`), fullPage: true });
}

test('the launcher form creates a notebook (with a workspace claim and a configured GPU), the list shows it Ready, CONNECT opens JupyterLab through the proxy, and a cell run there shows 499999500000', { skip, timeout: 600_000 }, async () => {
  await page.goto(`${d.url}/`);
  await page.getByPlaceholder('token').fill(d.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('user').waitFor();
  await page.getByRole('link', { name: 'Notebooks' }).click();
  await page.getByText('No notebooks.').waitFor();
  await page.getByTestId('new-notebook').click();
  const form = page.getByTestId('notebook-form');
  await form.locator('input[name="name"]').fill('web-lab');
  await form.locator('input[name="cpu"]').fill('1');
  await form.locator('input[name="memory"]').fill('2Gi');
  // The GPU is configured (--gpus 1), not physical: the pod is given its index, nothing more.
  await form.locator('input[name="gpus"]').fill('1');
  await form.locator('input[name="workspace"]').fill('1');
  await screenshot('notebook-form');
  const t0 = Date.now();
  await form.getByRole('button', { name: 'Launch' }).click();
  const row = page.locator('tr', { has: page.locator('[data-notebook="web-lab"]') });
  await row.locator('[data-status="Ready"]').waitFor({ timeout: 120_000 });
  console.log(`# browser: Launch → Ready in the list ${Date.now() - t0} ms`);
  const claim = await d.api('/api/v1/namespaces/default/persistentvolumeclaims/web-lab-workspace');
  assert.equal(claim.status, 200, 'the form made the workspace claim');
  const pod = (await (await d.api('/api/v1/namespaces/default/pods/web-lab-0')).json()) as { spec: { containers: { resources: { limits: Record<string, string> } }[] } };
  assert.equal(pod.spec.containers[0]!.resources.limits['nvidia.com/gpu'], '1');
  assert.match(await row.innerText(), /1 CPU · 2Gi · 1 GPU/);
  await screenshot('notebooks-list');

  const [lab] = await Promise.all([page.context().waitForEvent('page', { timeout: 30_000 }), page.getByTestId('connect-web-lab').click()]);
  const t1 = Date.now();
  // Requests the browser gave up on, with its reason (ERR_NETWORK_CHANGED: see launcher()).
  lab.on('requestfailed', (r) => console.log(`# browser: request failed: ${r.failure()?.errorText} ${new URL(r.url()).pathname}`));
  lab.on('response', (r) => { if (r.status() >= 500) console.log(`# browser: ${r.status()} ${new URL(r.url()).pathname}`); });
  // Through the proxy: the ticket was traded for the cookie and the URL cleaned.
  await lab.waitForURL(/\/notebook\/default\/web-lab\/lab/, { timeout: 60_000 }).catch((err: Error) => console.log(`# browser: the first load did not reach /lab: ${err.message.split('\n')[0]} (${lab.url()})`));
  assert.ok(!lab.url().includes('drover-ticket'), lab.url());
  assert.equal(await lab.evaluate(() => window.opener), null, 'the notebook tab cannot reach the dashboard');
  // JupyterLab's launcher, then a new Python notebook.
  await launcher(lab);
  console.log(`# browser: CONNECT → JupyterLab's launcher drawn ${Date.now() - t1} ms`);
  await screenshot('jupyterlab-launcher', lab);
  await lab.locator('.jp-LauncherCard[data-category="Notebook"]').first().click();
  const cell = lab.locator('.jp-NotebookPanel .jp-Cell .cm-content').first();
  await cell.waitFor({ timeout: 60_000 });
  // A cell run before the kernel is connected is dropped (no execution count): wait for the status bar's "Idle".
  await lab.getByText(/Python 3 \(ipykernel\) \| Idle/).first().waitFor({ timeout: 120_000 });
  await cell.click();
  await lab.keyboard.type('sum(range(10**6))');
  const t2 = Date.now();
  await lab.keyboard.press('Shift+Enter');
  const out = lab.locator('.jp-OutputArea-output', { hasText: '499999500000' });
  // What the page showed, when it did not: the report needs the picture.
  await out.first().waitFor({ timeout: 120_000 }).catch(async (err: Error) => {
    await screenshot('jupyterlab-failed', lab);
    throw err;
  });
  console.log(`# browser: Shift+Enter → 499999500000 shown ${Date.now() - t2} ms`);
  await screenshot('jupyterlab-cell', lab);
  // The next cell uses the API as the notebook's ServiceAccount (default-editor), as a user's
  // code does: the Kubernetes client's in-cluster config, a Job in the notebook's namespace.
  await lab.keyboard.type(`from kubernetes import client, config; config.load_incluster_config(); print('created job', client.BatchV1Api().create_namespaced_job('default', {'apiVersion': 'batch/v1', 'kind': 'Job', 'metadata': {'name': 'from-lab'}, 'spec': {'backoffLimit': 0, 'template': {'spec': {'restartPolicy': 'Never', 'containers': [{'name': 'c', 'image': 'busybox', 'command': ['echo', 'hello from the notebook']}]}}}}).metadata.name)`);
  await lab.keyboard.press('Shift+Enter');
  await lab.locator('.jp-OutputArea-output', { hasText: 'created job from-lab' }).first().waitFor({ timeout: 60_000 }).catch(async (err: Error) => {
    await screenshot('jupyterlab-failed', lab);
    throw err;
  });
  await screenshot('jupyterlab-in-cluster', lab);
  await d.ok(['wait', 'job/from-lab', '--for=condition=Complete', '--timeout=60s']);
  await lab.close();
  // The proxy itself never failed to reach the running notebook (it warns each time it does; a
  // refused connection while JupyterLab starts is only a debug line).
  assert.doesNotMatch(d.logs, /did not answer through the proxy/);
});
