/**
 * batch/v1 Job semantics on the local runtime: completions and parallelism, Indexed mode,
 * backoffLimit, deadlines, OnFailure restarts, podFailurePolicy, TTL and suspend.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Drover, sleep } from './drover.js';

interface Cond { type: string; status: string; reason?: string; message?: string }
interface Job { status?: { succeeded?: number; failed?: number; active?: number; completedIndexes?: string; conditions?: Cond[] } }

let d: Drover;
before(async () => {
  d = await Drover.start({ cpus: '2', memory: '8Gi' });
});
after(async () => {
  await d?.stop();
});

function job(name: string, script: string, spec: Record<string, unknown> = {}, restartPolicy = 'Never'): string {
  const extra = Object.entries(spec).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`).join('\n');
  return `apiVersion: batch/v1
kind: Job
metadata: { name: ${name} }
spec:
${extra}
  template:
    spec:
      restartPolicy: ${restartPolicy}
      containers:
        - name: main
          image: busybox
          command: [sh, -c, ${JSON.stringify(script)}]
`;
}

const getJob = (name: string) => d.json<Job>(['get', 'job', name]);
const cond = (j: Job, type: string) => j.status?.conditions?.find((c) => c.type === type && c.status === 'True');

test('completions and parallelism: 4 completions, 2 at a time', async () => {
  await d.ok(['apply', '-f', '-'], job('four', 'sleep 0.2', { completions: 4, parallelism: 2 }));
  await d.ok(['wait', 'job/four', '--for=condition=Complete', '--timeout=60s']);
  const j = await getJob('four');
  assert.equal(j.status?.succeeded, 4);
  assert.equal(cond(j, 'Complete')?.reason, 'CompletionsReached');
});

test('Indexed completion mode gives each pod its JOB_COMPLETION_INDEX', async () => {
  await d.ok(['apply', '-f', '-'], job('indexed', 'echo index=$JOB_COMPLETION_INDEX', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
  await d.ok(['wait', 'job/indexed', '--for=condition=Complete', '--timeout=60s']);
  const j = await getJob('indexed');
  assert.equal(j.status?.completedIndexes, '0-2');
  const pods = (await d.json<{ items: { metadata: { name: string; annotations: Record<string, string> } }[] }>(['get', 'pods', '-l', 'job-name=indexed'])).items;
  const seen = [];
  for (const p of pods) {
    const logs = await d.ok(['logs', `pod/${p.metadata.name}`]);
    seen.push(logs.trim());
    assert.equal(logs.trim(), `index=${p.metadata.annotations['batch.kubernetes.io/job-completion-index']}`);
  }
  assert.deepEqual(seen.sort(), ['index=0', 'index=1', 'index=2']);
});

test('a failing Job is retried backoffLimit times, then Failed with BackoffLimitExceeded', async () => {
  await d.ok(['apply', '-f', '-'], job('always-fails', 'exit 1', { backoffLimit: 2 }));
  await d.ok(['wait', 'job/always-fails', '--for=condition=Failed', '--timeout=60s']);
  const j = await getJob('always-fails');
  assert.equal(cond(j, 'Failed')?.reason, 'BackoffLimitExceeded');
  assert.equal(j.status?.failed, 3);
  const pods = (await d.json<{ items: unknown[] }>(['get', 'pods', '-l', 'job-name=always-fails'])).items;
  assert.equal(pods.length, 3);
});

test('activeDeadlineSeconds ends a Job with DeadlineExceeded and kills its pod', async () => {
  await d.ok(['apply', '-f', '-'], job('too-slow', 'sleep 30', { activeDeadlineSeconds: 1 }));
  await d.ok(['wait', 'job/too-slow', '--for=condition=Failed', '--timeout=30s']);
  const j = await getJob('too-slow');
  assert.equal(cond(j, 'Failed')?.reason, 'DeadlineExceeded');
  await sleep(200);
  const pods = (await d.json<{ items: { status?: { phase?: string } }[] }>(['get', 'pods', '-l', 'job-name=too-slow'])).items;
  assert.ok(pods.every((p) => p.status?.phase !== 'Running'));
});

test('restartPolicy OnFailure restarts the container in place and --previous shows the failed attempt', async () => {
  // A restarted container gets a fresh root, as in Kubernetes; an emptyDir lives as long as the pod.
  const manifest = job('on-failure', 'if [ -e /scratch/ran ]; then echo second; exit 0; fi; touch /scratch/ran; echo first; exit 1', { backoffLimit: 3 }, 'OnFailure')
    .replace('          command:', '          volumeMounts: [{ name: scratch, mountPath: /scratch }]\n          command:')
    .concat('      volumes: [{ name: scratch, emptyDir: {} }]\n');
  await d.ok(['apply', '-f', '-'], manifest);
  await d.ok(['wait', 'job/on-failure', '--for=condition=Complete', '--timeout=60s']);
  const pods = (await d.json<{ items: { metadata: { name: string }; status: { containerStatuses: { restartCount: number }[] } }[] }>(['get', 'pods', '-l', 'job-name=on-failure'])).items;
  assert.equal(pods.length, 1);
  assert.equal(pods[0]!.status.containerStatuses[0]!.restartCount, 1);
  assert.match(await d.ok(['logs', `pod/${pods[0]!.metadata.name}`]), /second/);
  assert.match(await d.ok(['logs', `pod/${pods[0]!.metadata.name}`, '--previous']), /first/);
});

test('podFailurePolicy FailJob on an exit code fails the Job at once with reason PodFailurePolicy', async () => {
  await d.ok(['apply', '-f', '-'], job('policy', 'exit 42', { backoffLimit: 5, podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } }));
  await d.ok(['wait', 'job/policy', '--for=condition=Failed', '--timeout=30s']);
  const j = await getJob('policy');
  assert.equal(cond(j, 'Failed')?.reason, 'PodFailurePolicy');
  assert.match(cond(j, 'Failed')!.message!, /exit code 42 matching FailJob rule at index 0/);
});

test('ttlSecondsAfterFinished deletes the finished Job and its pods', async () => {
  await d.ok(['apply', '-f', '-'], job('short-lived', 'true', { ttlSecondsAfterFinished: 1 }));
  await d.ok(['wait', 'job/short-lived', '--for=delete', '--timeout=30s']);
  const pods = (await d.json<{ items: unknown[] }>(['get', 'pods', '-l', 'job-name=short-lived'])).items;
  assert.equal(pods.length, 0);
});

test('a suspended Job creates no pods until resumed', async () => {
  await d.ok(['apply', '-f', '-'], job('later', 'true', { suspend: true }));
  await sleep(300);
  assert.equal((await d.json<{ items: unknown[] }>(['get', 'pods', '-l', 'job-name=later'])).items.length, 0);
  assert.ok(cond(await getJob('later'), 'Suspended'));
  await d.ok(['apply', '-f', '-'], job('later', 'true', { suspend: false }));
  await d.ok(['wait', 'job/later', '--for=condition=Complete', '--timeout=30s']);
});

test('deleting a running Job kills its whole process tree', async () => {
  // Durations no other test uses: the count below is of the whole machine's processes.
  await d.ok(['apply', '-f', '-'], job('tree', 'sleep 317 & sleep 318 & wait'));
  for (let i = 0; i < 100; i++) {
    const pods = (await d.json<{ items: { status?: { phase?: string } }[] }>(['get', 'pods', '-l', 'job-name=tree'])).items;
    if (pods[0]?.status?.phase === 'Running') break;
    await sleep(50);
  }
  const { execFileSync } = await import('node:child_process');
  const count = () => execFileSync('sh', ['-c', 'pgrep -fc "^sleep 31[78]$" || true'], { encoding: 'utf8' }).trim();
  assert.equal(count(), '2');
  await d.ok(['delete', 'job', 'tree']);
  for (let i = 0; i < 100 && count() !== '0'; i++) await sleep(50);
  assert.equal(count(), '0');
});
