/**
 * The Kubeflow Training SDK (`kubeflow-training`'s TrainingClient, from the Python clients'
 * environment) against a fresh Drover with only the kubeconfig Drover wrote: create_job from a
 * Python function (a PyTorchJob whose replicas run it under torchrun: a real gloo all-reduce),
 * get_job, list_jobs, wait_for_job_conditions, get_job_pod_names, get_job_logs with events,
 * delete_job. Needs scripts/python-clients.sh's and scripts/torch-env.sh's environments; skipped,
 * saying why, when either is absent and neither DROVER_REQUIRE_TORCH nor DROVER_REQUIRE_TEST_CLUSTER
 * (CI) is set.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Drover, REPO } from './drover.js';

const PYTHON = execFileSync('bash', [join(REPO, 'scripts', 'python-clients.sh'), 'path'], { encoding: 'utf8' }).trim();
const TORCH = execFileSync('bash', [join(REPO, 'scripts', 'torch-env.sh'), 'path'], { encoding: 'utf8' }).trim();
const why = !existsSync(PYTHON) ? `no Python clients at ${PYTHON} (bash scripts/python-clients.sh ensure)` : !existsSync(TORCH) ? `no torch environment at ${TORCH} (bash scripts/torch-env.sh ensure)` : undefined;
if (why && (process.env['DROVER_REQUIRE_TORCH'] || process.env['DROVER_REQUIRE_TEST_CLUSTER'])) throw new Error(`the Training SDK test is required here but ${why}`);
const skip = why ?? false;

let d: Drover;
before(async () => {
  if (skip) return;
  d = await Drover.start({ cpus: '2', memory: '8Gi' });
});
after(async () => {
  await d?.stop();
});

function python(script: string, ...args: string[]): Promise<Record<string, unknown>> {
  const env = { PATH: process.env['PATH'] ?? '', HOME: d.home, KUBECONFIG: join(d.home, 'kubeconfig') };
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [join(REPO, 'test', 'python', script), ...args], { env, timeout: 360_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script} failed: ${err.message}\n${stderr}\n${stdout}\nserver:\n${d.logs.slice(-3000)}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>);
    });
  });
}

test('the Training SDK: a PyTorchJob from a Python function runs real DDP (torchrun, gloo) across two pods; get, list, wait, pod names, logs, events and delete work', { skip }, async () => {
  // The pods' PATH: the torch environment, and a torchrun for torch wheels that ship none.
  const out = await python('training_client.py', dirname(TORCH), join(REPO, 'test', 'python', 'torch-bin'));
  assert.equal(out['kind'], 'PyTorchJob');
  assert.deepEqual(out['replica_types'], ['Master', 'Worker']);
  assert.deepEqual(out['listed'], ['sdk-ddp']);
  assert.deepEqual(out['conditions'], ['Created', 'Succeeded']);
  assert.equal(out['succeeded'], true);
  assert.deepEqual(out['master_replicas'], { Master: 1, Worker: 1 });
  assert.deepEqual(out['pods'], ['sdk-ddp-master-0', 'sdk-ddp-worker-0']);
  // Each replica ran the function with its parameters; the ranks' sum 1 + 2 went through gloo.
  // (torch may add warnings of its own, e.g. about slow name lookups on a loaded machine.)
  const logs = out['logs'] as Record<string, string>;
  assert.deepEqual(Object.keys(logs), ['sdk-ddp-master-0', 'sdk-ddp-worker-0']);
  assert.match(logs['sdk-ddp-master-0']!, /^sdk rank 0\/2 sum 3$/m);
  assert.match(logs['sdk-ddp-worker-0']!, /^sdk rank 1\/2 sum 3$/m);
  assert.ok((out['events'] as string[]).some((k) => /pytorchjob.*sdk-ddp/i.test(k)), JSON.stringify(out['events']));
  assert.deepEqual(out['after_delete'], []);
});
