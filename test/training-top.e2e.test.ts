/**
 * `drover top` by job against a real server: a PyTorchJob's replicas as real processes (one of
 * them busy), their CPU and memory as the metrics API measures them, summed per job, and the GPUs
 * they hold. The machine's GPU is declared capacity only (`--gpus 1`): no physical GPU is used, the
 * replica only requests it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Drover } from './drover.js';

let d: Drover;
before(async () => {
  d = await Drover.start({ cpus: '2', memory: '4Gi', gpus: 1 });
});
after(async () => {
  await d?.stop();
});

const JOB = `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: busy}
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        spec:
          containers: [{name: pytorch, image: x, command: [/bin/sh, -c, 'while :; do :; done'], resources: {limits: {cpu: 500m, nvidia.com/gpu: 1}}}]
    Worker:
      replicas: 1
      template:
        spec:
          containers: [{name: pytorch, image: x, command: [sleep, '300'], resources: {limits: {cpu: 100m}}}]
`;

test('top pytorchjob (fake GPU: declared capacity, none used): running replicas, summed CPU and memory, held GPUs; --replicas per replica', async () => {
  await d.ok(['apply', '-f', '-'], JOB);
  // Until the runtime has measured both pods twice, use reads zero; on a busy machine a sample
  // may also catch the loop starved: wait for the busy master to show over 100m.
  let out = '';
  const deadline = Date.now() + 60_000;
  const cpuOf = (line: string | undefined) => Number(/\s(\d+)m\s/.exec(line ?? '')?.[1] ?? 0);
  for (;;) {
    out = await d.ok(['top', 'pytorchjob', 'busy', '--replicas']);
    const master = out.split('\n').find((l) => l.includes('busy-master-0'));
    if (master && /Running/.test(master) && cpuOf(master) > 100 && !/<unknown>/.test(out)) break;
    if (Date.now() > deadline) throw new Error(`no use measured in time:\n${out}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows[0], ['NAME', 'POD', 'REPLICA', 'STATUS', 'CPU(cores)', 'MEMORY(bytes)', 'GPUS']);
  assert.deepEqual(rows.slice(1).map((r) => [r[0], r[1], r[2], r[3], r[6]]), [['busy', 'busy-master-0', 'master-0', 'Running', '1'], ['busy', 'busy-worker-0', 'worker-0', 'Running', '0']]);
  const masterCpu = Number(rows[1]![4]!.replace(/m$/, ''));
  assert.ok(masterCpu > 100, `the busy master uses CPU (${rows[1]![4]})`);

  const sum = (await d.ok(['top', 'pytorchjobs'])).trim().split('\n').map((l) => l.trim().split(/\s+/));
  assert.deepEqual(sum[0], ['NAME', 'RUNNING', 'CPU(cores)', 'MEMORY(bytes)', 'GPUS']);
  assert.deepEqual([sum[1]![0], sum[1]![1], sum[1]![4]], ['busy', '2/2', '1']);
  assert.ok(Number(sum[1]![2]!.replace(/m$/, '')) > 0, `the job's CPU is summed (${sum[1]![2]})`);
  assert.match(sum[1]![3]!, /^\d+Mi$/);

  const r = await d.cli(['top', 'configmaps']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown resource for top: "configmaps" \(use node, pod, or a job kind/);
  await d.ok(['delete', 'pytorchjob', 'busy']);
});
