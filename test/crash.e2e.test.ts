/**
 * Crash safety: `kill -9` of the server while Jobs run, then a restart on the same
 * DROVER_HOME. Running containers are re-adopted, ones that finished meanwhile are recorded,
 * failures are retried per backoffLimit, and nothing that finished runs again.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Drover, sleep } from './drover.js';

let d: Drover | undefined;
after(async () => {
  await d?.stop();
});

const job = (name: string, script: string, backoffLimit = 0) => `
apiVersion: batch/v1
kind: Job
metadata: { name: ${name} }
spec:
  backoffLimit: ${backoffLimit}
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: busybox
          command: [sh, -c, '${script}']
          volumeMounts: [{ name: runs, mountPath: /runs }]
      volumes: [{ name: runs, persistentVolumeClaim: { claimName: runs } }]
`;

test('after kill -9 and a restart every Job reaches its final state and nothing finished runs again', async () => {
  d = await Drover.start();
  const manifests = [
    'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: runs }\nspec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }',
    // Still running when the server comes back: re-adopted.
    job('long', 'echo long >> /runs/log; sleep 4; echo long-done'),
    // Finishes while the server is down: its exit code is recorded on restart.
    job('short', 'echo short >> /runs/log; sleep 1; echo short-done'),
    // Fails once (exit 3) while the server is down, then succeeds on the retry.
    job('flaky', 'echo flaky >> /runs/log; sleep 1; if [ -e /runs/flaky-once ]; then exit 0; fi; touch /runs/flaky-once; exit 3', 2),
    // Finished before the crash: must not run again.
    job('done-before', 'echo done-before >> /runs/log'),
  ];
  await d.ok(['apply', '-f', '-'], manifests.join('\n---\n'));
  await d.ok(['wait', 'job/done-before', '--for=condition=Complete', '--timeout=30s']);
  // Wait until the others have started, then crash the server.
  for (let i = 0; i < 100; i++) {
    const pods = (await d.json<{ items: { status?: { phase?: string } }[] }>(['get', 'pods'])).items;
    if (pods.filter((p) => p.status?.phase === 'Running').length >= 3) break;
    await sleep(50);
  }
  await d.kill9();
  await sleep(2000);
  await d.up();

  for (const name of ['long', 'short', 'flaky', 'done-before']) {
    await d.ok(['wait', `job/${name}`, '--for=condition=Complete', '--timeout=60s']);
  }
  const log = readFileSync(join(d.home, 'claims', 'default', 'runs', 'log'), 'utf8').trim().split('\n').sort();
  assert.deepEqual(log, ['done-before', 'flaky', 'flaky', 'long', 'short']);
  const flaky = await d.json<{ status: { failed?: number; succeeded?: number } }>(['get', 'job', 'flaky']);
  assert.equal(flaky.status.failed, 1);
  assert.equal(flaky.status.succeeded, 1);
  assert.match(await d.ok(['logs', 'job/long']), /long-done/);
});

test('a second server on another home leaves the first one’s running pods alone', async () => {
  const a = await Drover.start();
  let b: Drover | undefined;
  try {
    await a.ok(['apply', '-f', '-'], job('survivor', 'sleep 1.5; echo survived').replace(/\n\s+volumeMounts.*\n/, '\n').replace(/\n\s+volumes:.*\n/, '\n'));
    for (let i = 0; i < 100; i++) {
      const pods = (await a.json<{ items: { status?: { phase?: string } }[] }>(['get', 'pods'])).items;
      if (pods[0]?.status?.phase === 'Running') break;
      await sleep(50);
    }
    // Starting a runtime sweeps leftovers of its own home only.
    b = await Drover.start();
    await a.ok(['wait', 'job/survivor', '--for=condition=Complete', '--timeout=30s']);
    assert.match(await a.ok(['logs', 'job/survivor']), /survived/);
  } finally {
    await b?.stop();
    await a.stop();
  }
});
