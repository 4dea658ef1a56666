/**
 * GPU allocation through the whole stack. No GPU is installed here: the node's GPU capacity is
 * configured (`--gpus 2`), so this proves the scheduling and exclusive hand-out of device ids,
 * not that a CUDA program sees a device.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Drover, EXAMPLES, sleep } from './drover.js';

let d: Drover | undefined;
after(async () => {
  await d?.stop();
});

test('GPU Jobs get exclusive CUDA_VISIBLE_DEVICES and a third waits (configured GPU capacity; no physical GPU here)', async () => {
  d = await Drover.start({ gpus: 2, labels: ['role=train-gpu'] });
  const template = readFileSync(`${EXAMPLES}/job-gpu.yaml`, 'utf8')
    .replace('command: [python, gpu_info.py]', 'command: [sh, -c, "echo CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES; sleep 1.5"]')
    .replace('    spec:\n      restartPolicy', '    spec:\n      nodeSelector: { role: train-gpu }\n      restartPolicy');
  const docs = ['gpu-a', 'gpu-b', 'gpu-c'].map((n) => template.replace('name: gpu-job', `name: ${n}`));
  await d.ok(['apply', '-f', '-'], docs.join('\n---\n'));
  await sleep(700);
  const pods = (await d.json<{ items: { spec: { nodeName?: string }; status: { phase: string; conditions?: { type: string; message?: string }[] } }[] }>(['get', 'pods'])).items;
  // Two GPUs: two pods bound, the third waits unbound.
  assert.equal(pods.filter((p) => p.spec.nodeName).length, 2);
  const waiting = pods.find((p) => !p.spec.nodeName)!;
  assert.equal(waiting.status.phase, 'Pending');
  assert.equal(waiting.status.conditions!.find((c) => c.type === 'PodScheduled')!.message, '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.');
  for (const n of ['gpu-a', 'gpu-b', 'gpu-c']) await d.ok(['wait', `job/${n}`, '--for=condition=Complete', '--timeout=60s']);
  const devices = [];
  for (const n of ['gpu-a', 'gpu-b', 'gpu-c']) devices.push(/CUDA_VISIBLE_DEVICES=(\S*)/.exec(await d.ok(['logs', `job/${n}`]))![1]);
  // The first two ran at once, so they had different devices; the third reused a freed one.
  const firstTwo = devices.slice(0, 2).sort();
  assert.deepEqual(firstTwo, ['0', '1']);
  assert.ok(['0', '1'].includes(devices[2]!));
});
