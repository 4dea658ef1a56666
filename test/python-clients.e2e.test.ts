/**
 * The real Python clients (scripts/python-clients.sh installs them into a cached virtual
 * environment: the kubernetes client, Hera, Katib's SDK) against a fresh Drover, with only the
 * kubeconfig Drover wrote.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Drover, REPO } from './drover.js';
import { skipUnlessCluster } from './cluster.js';

const PYTHON = execFileSync('bash', [join(REPO, 'scripts', 'python-clients.sh'), 'path'], { encoding: 'utf8' }).trim();
const skip = skipUnlessCluster(existsSync(PYTHON) ? undefined : `no Python clients at ${PYTHON}; install them with: bash scripts/python-clients.sh ensure`);

let d: Drover;
let workdir: string;

before(async () => {
  if (skip) return;
  workdir = execFileSync('mktemp', ['-d', '/tmp/drover-workdir-XXXXXX'], { encoding: 'utf8' }).trim();
  // Pods run as an unprivileged user: the directory they start in must be readable to it (mktemp makes it 0700).
  chmodSync(workdir, 0o755);
  writeFileSync(join(workdir, 'hello.sh'), 'echo from the server workdir\n');
  // A short change log, so a watch from an old resourceVersion can be shown its 410.
  d = await Drover.start({ cpus: '2', memory: '2Gi', env: { DROVER_WORKDIR: workdir, DROVER_CHANGE_LOG_SIZE: '20' } });
});

after(async () => {
  await d?.stop();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

function python(script: string, ...args: string[]): Promise<Record<string, unknown>> {
  const env = { PATH: process.env['PATH'] ?? '', HOME: d.home, KUBECONFIG: join(d.home, 'kubeconfig') };
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [join(REPO, 'test', 'python', script), ...args], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script} failed: ${err.message}\n${stderr}\n${stdout}\nserver:\n${d.logs.slice(-3000)}`));
      // The last line: some SDKs print on their own as they go.
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>);
    });
  });
}

test('the kubernetes Python client: discovery, a Job created without apiVersion/kind, dry runs that store nothing, list, logs, patches, a stale replace refused, delete', { skip }, async () => {
  const out = await python('kubernetes_client.py');
  assert.equal(out['version'], '35');
  assert.deepEqual(out['groups'], ['batch/v1', 'argoproj.io/v1alpha1', 'kubeflow.org/v1', 'rbac.authorization.k8s.io/v1', 'trainer.kubeflow.org/v1alpha1', 'metrics.k8s.io/v1beta1']);
  assert.ok((out['core_resources'] as string[]).includes('pods/log'));
  assert.equal(out['dry_run_returned'], 'dry');
  assert.equal(out['dry_run_stored'], 404, 'dry_run=All stores nothing');
  assert.deepEqual(out['created'], { apiVersion: 'batch/v1', kind: 'Job', uid: true, backoffLimit: 6 });
  assert.equal(out['succeeded'], 1);
  assert.deepEqual(out['listed'], ['py']);
  assert.equal(out['log'], 'hi from python\n');
  assert.deepEqual(out['patched'], ['dict', 'list']);
  assert.equal(out['stale_replace'], 409, 'a replace at a stale resourceVersion conflicts');
  assert.equal(out['after_dry_delete'], 200, 'a dry-run delete deletes nothing');
  assert.equal(out['after_delete'], 404);
  assert.equal(out['missing'], 404);
});

test('Hera: a two-step workflow created through the Argo Server API runs to Succeeded, is listed and deleted', { skip }, async () => {
  const out = await python('hera_client.py', d.url, d.token);
  assert.match(String(out['version']), /^v3\./);
  assert.equal(out['generated_name'], true);
  assert.equal(out['phase'], 'Succeeded');
  assert.deepEqual(out['steps'], ['bye', 'hello']);
  assert.equal(out['listed'], true);
  assert.deepEqual(out['after_delete'], []);
});

test("a Job from the Python client runs its command in its namespace's drover.dev/source-dir, else in the server's workdir", { skip }, async () => {
  const teamDir = join(workdir, 'team');
  mkdirSync(teamDir);
  writeFileSync(join(teamDir, 'hello.sh'), 'echo from the team directory\n');
  const out = await python('workdir_client.py', teamDir);
  assert.deepEqual(out, { team: 'from the team directory\n', default: 'from the server workdir\n' });
});

test("Katib's KatibClient: create_experiment, wait_for_experiment_condition, get_optimal_hyperparameters, edit_experiment_budget, get_suggestion, get_job_logs, and tune() with a Python objective", { skip }, async () => {
  const out = await python('katib_client.py');
  assert.equal(out['succeeded'], true);
  assert.equal(out['trials'], 3);
  assert.deepEqual(out['best'], { x: '3' }, 'grid search over 1..5 finds the minimum of (x-3)^2');
  assert.equal(out['best_loss'], '0');
  assert.equal(out['trials_after_budget'], 5, 'a raised maxTrialCount resumes the experiment');
  assert.deepEqual(out['best_after_budget'], { x: '3' });
  const suggestion = out['suggestion'] as { algorithm: string; requests: number; count: number; names: string[]; trials: string[]; conditions: string[] };
  assert.equal(suggestion.algorithm, 'grid');
  assert.equal(suggestion.count, 5, 'get_suggestion: one assignment per trial');
  assert.equal(suggestion.requests, 5);
  assert.deepEqual(suggestion.names, suggestion.trials, 'each assignment is named after its trial');
  assert.ok(suggestion.conditions.includes('Succeeded'), `the experiment is done, so is its suggestion: ${suggestion.conditions.join(',')}`);
  assert.equal((out['log'] as string[]).length, 1);
  assert.match((out['log'] as string[])[0]!, /^loss=\d+$/);
  // tune(): the objective ran in each trial and its printed metric was collected.
  assert.equal(out['tune_trials'], 4);
  const x = out['tune_best_x'] as number;
  assert.ok(Math.abs((out['tune_best_loss'] as number) - (x - 3) ** 2) < 1e-6, 'the best loss is the objective at the best x');
});

test('a watch with the Python client resumes from its last resourceVersion, one older than the history kept gets 410 Gone, and lists page with limit and continue', { skip }, async () => {
  const out = await python('watch_client.py');
  assert.deepEqual(out['resumed'], [['ADDED', 'second'], ['MODIFIED', 'first'], ['DELETED', 'second']]);
  assert.equal(out['expired'], 410);
  assert.deepEqual(out['pages'], [['first'], ['third']], 'limit=1 pages with continue tokens');
});
