/**
 * The core issue's scenarios, end to end: the real CLI against a real `drover up` server
 * running the examples' Jobs in bubblewrap with real cgroup limits.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Drover, EXAMPLES, sleep } from './drover.js';

interface Job {
  status?: { succeeded?: number; failed?: number; active?: number; conditions?: { type: string; status: string; reason?: string }[] };
}
interface Pod {
  metadata: { name: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { state?: { terminated?: { exitCode: number; reason: string; startedAt: string; finishedAt: string } } }[];
  };
}

let d: Drover;
before(async () => {
  d = await Drover.start({ cpus: '2', memory: '8Gi' });
});
after(async () => {
  await d?.stop();
});

const ex = (f: string) => join(EXAMPLES, f);
const podsOf = async (job: string) => (await d.json<{ items: Pod[] }>(['get', 'pods', '-l', `job-name=${job}`])).items;

test('a basic training Job completes; logs show the training; status has succeeded 1 and a Complete condition', async () => {
  assert.match(await d.ok(['apply', '-f', ex('job-train.yaml')]), /job\.batch\/train created/);
  await d.ok(['wait', 'job/train', '--for=condition=Complete', '--timeout=60s']);
  const logs = await d.ok(['logs', 'job/train']);
  assert.match(logs, /^accuracy=0\.\d+$/m);
  const job = await d.json<Job>(['get', 'job', 'train']);
  assert.equal(job.status?.succeeded, 1);
  assert.ok(job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'));
});

test('a model saved on a claim by one Job is read by another and outlives both', async () => {
  await d.ok(['apply', '-f', ex('job-model-storage.yaml')]);
  await d.ok(['wait', 'job/train-save', '--for=condition=Complete', '--timeout=60s']);
  await d.ok(['apply', '-f', ex('job-evaluate.yaml')]);
  await d.ok(['wait', 'job/evaluate', '--for=condition=Complete', '--timeout=60s']);
  assert.match(await d.ok(['logs', 'job/evaluate']), /accuracy=0\.\d+/);
  await d.ok(['delete', 'job', 'train-save']);
  await d.ok(['delete', 'job', 'evaluate']);
  assert.ok(existsSync(join(d.home, 'claims', 'default', 'model-storage', 'model.json')), 'model.json kept on the claim');
});

test('a Job over its memory limit ends Failed with OOMKilled / exit 137 while a Job beside it completes', async () => {
  await d.ok(['apply', '-f', ex('job-oom.yaml')]);
  await d.ok(['wait', 'job/oom', '--for=condition=Failed', '--timeout=90s']);
  await d.ok(['wait', 'job/beside-oom', '--for=condition=Complete', '--timeout=90s']);
  const [pod] = await podsOf('oom');
  const term = pod!.status!.containerStatuses![0]!.state!.terminated!;
  assert.equal(term.reason, 'OOMKilled');
  assert.equal(term.exitCode, 137);
  const described = await d.ok(['describe', 'pod', pod!.metadata.name]);
  assert.match(described, /OOMKilled/);
  assert.match(described, /137/);
  assert.equal(await (await fetch(`${d.url}/healthz`)).text(), 'ok');
});

test('hyperparameters reach the script from a mounted ConfigMap file, ConfigMap and Secret keys and fieldRefs', async () => {
  await d.ok(['apply', '-f', ex('job-hp.yaml')]);
  await d.ok(['wait', 'job/train-hp', '--for=condition=Complete', '--timeout=60s']);
  const logs = await d.ok(['logs', 'job/train-hp']);
  assert.match(logs, /epochs: 8\s+\(file \/model_hp\/exp\.yaml\)/);
  assert.match(logs, /API_TOKEN=s3cr3t-token/);
  assert.match(logs, /TRAIN_SEED=7/);
  assert.match(logs, /POD_NAMESPACE=default/);
  assert.match(logs, /POD_NAME=train-hp-[a-z0-9]{5}/);
});

test('15 Jobs asking 1.2 CPUs each on a 2-CPU node run one at a time; waiting ones say Insufficient cpu', async () => {
  const template = readFileSync(ex('job-cpu.yaml'), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'drover-many-'));
  chmodSync(dir, 0o755); // pods start here as uid 65534
  const docs = Array.from({ length: 15 }, (_, i) => template.replace('name: cpu-job', `name: cpu-job-${i}`));
  writeFileSync(join(dir, 'jobs.yaml'), docs.join('\n---\n'));
  // The scripts live in examples/: keep that the working directory.
  const yaml = readFileSync(join(dir, 'jobs.yaml'), 'utf8');
  await d.ok(['apply', '-f', '-'], yaml.replaceAll('command: [python, sleep_cpu.py, "1"]', `command: [python, ${ex('sleep_cpu.py')}, "0.3"]`));
  await sleep(300);
  // A pod just bound is still Pending for a moment: only unbound ones wait for room.
  const pending = (await d.json<{ items: Pod[] }>(['get', 'pods'])).items.filter((p) => p.status?.phase === 'Pending' && !p.spec?.nodeName);
  assert.ok(pending.length > 0, 'some pods wait');
  const cond = pending[0]!.status!.conditions!.find((c) => c.type === 'PodScheduled')!;
  assert.equal(cond.status, 'False');
  assert.equal(cond.reason, 'Unschedulable');
  assert.equal(cond.message, '0/1 nodes are available: 1 Insufficient cpu.');
  // One pod holds 1.2 CPUs at a time; between one's end and the next one's bind there is none,
  // so look a few times rather than once.
  let top = '';
  for (let i = 0; i < 40 && !/1200m\/2|1\.2\/2/.test(top); i++) top = await d.ok(['top', 'node']);
  assert.match(top, /1200m\/2|1\.2\/2/);
  assert.doesNotMatch(top, /2400m\/2|2\.4\/2/, 'never two at once');
  for (let i = 0; i < 15; i++) await d.ok(['wait', `job/cpu-job-${i}`, '--for=condition=Complete', '--timeout=120s']);
  // The scripts print their own start= and end= times (sub-second): no two runs may overlap.
  const spans: [number, number][] = [];
  for (let i = 0; i < 15; i++) {
    const logs = await d.ok(['logs', `job/cpu-job-${i}`]);
    spans.push([Number(/^start=([\d.]+)$/m.exec(logs)![1]), Number(/^end=([\d.]+)$/m.exec(logs)![1])]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `run ${i} started before run ${i - 1} ended`);
  const jobs = await d.ok(['get', 'jobs']);
  assert.match(jobs, /cpu-job-14\s+Complete\s+1\/1/);
});

test('a GPU Job on a machine without GPUs stays Pending with Insufficient nvidia.com/gpu', async () => {
  await d.ok(['apply', '-f', ex('job-gpu.yaml')]);
  await sleep(300);
  const [pod] = await podsOf('gpu-job');
  assert.equal(pod!.status!.phase, 'Pending');
  assert.equal(pod!.status!.conditions!.find((c) => c.type === 'PodScheduled')!.message, '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.');
  await d.ok(['delete', 'job', 'gpu-job']);
});

for (const [file, pattern] of [
  ['job-bad-yaml.yaml', /job-bad-yaml\.yaml:\d+:\d+/],
  ['job-bad-kind.yaml', /job-bad-kind\.yaml:\d+:\d+: kind: unknown kind "Jobs"/],
  ['job-bad-type.yaml', /job-bad-type\.yaml:\d+:\d+: spec\.parallelism: /],
  ['job-bad-missing-name.yaml', /job-bad-missing-name\.yaml:\d+:\d+: spec\.template\.spec\.containers\[0\]/],
  ['job-bad-unsupported.yaml', /job-bad-unsupported\.yaml:\d+:\d+: .*lifecycle/],
] as const) {
  test(`bad input (${file}) is a one-line error with file:line:col and the field; nothing is stored`, async () => {
    const before = (await d.json<{ items: unknown[] }>(['get', 'jobs'])).items.length;
    const r = await d.cli(['apply', '-f', ex(file)]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, pattern);
    const after = (await d.json<{ items: unknown[] }>(['get', 'jobs'])).items.length;
    assert.equal(after, before);
  });
}
