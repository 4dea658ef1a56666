/**
 * The `drover` CLI end to end: the real binary against a real `drover up` server (its own
 * DROVER_HOME, a free port), checking what a kubectl user sees: lines, tables, exit codes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Drover, REPO, sleep, type CliResult } from './drover.js';

const BIN = join(REPO, 'bin', 'drover.js');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, cwd: REPO }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const configMap = (name: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n`;

const job = (name: string, script: string, extra = '') => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
  backoffLimit: 0
${extra}  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox
        command: [sh, -c, ${JSON.stringify(script)}]
        env:
        - name: GREETING
          valueFrom:
            configMapKeyRef: {name: greeting, key: text}
`;

let d: Drover;
before(async () => {
  d = await Drover.start({ cpus: '2', memory: '4Gi' });
});
after(async () => {
  await d?.stop();
});

test('up -d starts a detached server once, reports it when already up, and down stops it', async () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-cli-up-'));
  const env = { ...process.env, DROVER_HOME: home, DROVER_SERVER: '' };
  try {
    const up = await run(['up', '-d', '--port', '0', '--cpus', '1', '--memory', '1Gi'], env);
    assert.equal(up.code, 0, up.stderr);
    const m = /^Drover is running at (http:\/\/127\.0\.0\.1:\d+) \(logs: (.+)\)\nFor the Kubernetes client libraries: export KUBECONFIG=(.+)\/kubeconfig \(kubectl sends its token over TLS only: start Drover with --tls on, or DROVER_TLS=on, to use kubectl\)\nThe dashboard: \1\/ \(sign in with the token of the kubeconfig, or one from drover token create\)\n$/.exec(up.stdout);
    assert.ok(m, up.stdout);
    assert.equal(m[2], join(home, 'server.log'));
    const again = await run(['up', '-d'], env);
    assert.deepEqual(again, { code: 0, stdout: `Drover is already running at ${m[1]}\n`, stderr: '' });
    const version = await run(['version'], env);
    assert.match(version.stdout, /^Client Version: v\d+\.\d+\.\d+\nServer Version: v\d+\.\d+\.\d+\n$/);
    const down = await run(['down'], env);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(down.stdout, `Drover stopped (was running at ${m[1]})\n`);
    assert.ok(!existsSync(join(home, 'server.json')));
    assert.match((await run(['down'], env)).stdout, /^Drover is not running/);
    const gone = await run(['get', 'pods'], { ...env, DROVER_SERVER: m[1] });
    assert.deepEqual(gone, { code: 1, stdout: '', stderr: `error: cannot reach the Drover server at ${m[1]}: is it running? Start it with "drover up -d"\n` });
  } finally {
    await run(['down'], env);
    rmSync(home, { recursive: true, force: true });
  }
});

test('apply, get, wait, logs, describe and delete a ConfigMap and a Job', async () => {
  const manifests = `${configMap('greeting', { text: 'hello from a config map' })}---\n${job('hi', 'echo "$GREETING"; echo second line')}`;
  assert.equal(await d.ok(['apply', '-f', '-'], manifests), 'configmap/greeting created\njob.batch/hi created\n');

  assert.equal(await d.ok(['wait', '--for=condition=Complete', 'job/hi', '--timeout=60s']), 'job.batch/hi condition met\n');
  assert.equal(await d.ok(['logs', 'job/hi']), 'hello from a config map\nsecond line\n');
  assert.equal(await d.ok(['apply', '-f', '-'], manifests), 'configmap/greeting unchanged\njob.batch/hi unchanged\n');

  assert.match(await d.ok(['get', 'configmaps']), /^NAME\s+DATA\s+AGE\ngreeting\s+1\s+\d+s\n$/);
  assert.match(await d.ok(['get', 'jobs']), /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\nhi\s+Complete\s+1\/1\s+\d+s\s+\d+s\n$/);
  assert.match(await d.ok(['get', 'pods', '-l', 'job-name=hi']), /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nhi-[a-z0-9]{5}\s+0\/1\s+Completed\s+0\s+\d+s\n$/);
  assert.equal(await d.ok(['get', 'job/hi', 'cm/greeting', '-o', 'name']), 'job.batch/hi\nconfigmap/greeting\n');
  assert.match(await d.ok(['get', 'cm', 'greeting', '-o', 'yaml']), /^apiVersion: v1\nkind: ConfigMap\n[\s\S]*text: hello from a config map\n/);
  const list = await d.json<{ kind: string; items: unknown[] }>(['get', 'all']);
  assert.equal(list.kind, 'List');
  assert.equal(list.items.length, 2);
  assert.match(await d.ok(['get', 'all']), /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\npod\/hi-[a-z0-9]{5}\s+0\/1\s+Completed[\s\S]*\n\nNAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\njob\.batch\/hi\s+Complete\s+1\/1/);

  const describedJob = await d.ok(['describe', 'job', 'hi']);
  assert.match(describedJob, /^Name:\s+hi\nNamespace:\s+default\n/);
  assert.match(describedJob, /\nPods Statuses:\s+0 Active (\(0 Ready\) )?\/ 1 Succeeded \/ 0 Failed\n/);
  assert.match(describedJob, /\n {2}Complete\s+True\s/);
  assert.match(describedJob, /\nEvents:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n[\s\S]*SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: hi-[a-z0-9]{5}\n/);
  const describedPod = await d.ok(['describe', 'pod', '-l', 'job-name=hi']);
  assert.match(describedPod, /\n {4}State:\s+Terminated\n {6}Reason:\s+Completed\n {6}Exit Code:\s+0\n/);
  assert.match(describedPod, /\n {4}Restart Count:\s+0\n/);
  assert.match(describedPod, /\n {6}GREETING:\s+<set to the key 'text' of config map 'greeting'>/);
  assert.match(describedPod, /\nControlled By:\s+Job\/hi\n/);

  assert.equal(await d.ok(['delete', 'job', 'hi']), 'job.batch "hi" deleted\n');
  const pods = await d.cli(['get', 'pods', '-l', 'job-name=hi']);
  assert.deepEqual(pods, { code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
  assert.equal(await d.ok(['delete', 'cm/greeting']), 'configmap "greeting" deleted\n');
});

test('errors: a missing object, a failing job, a timeout, an invalid manifest', async () => {
  const missing = await d.cli(['get', 'job', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error from server \(NotFound\): jobs\.batch "nope" not found/);
  const del = await d.cli(['delete', 'configmap', 'nope']);
  assert.equal(del.code, 1);
  // The server words delete's NotFound as `ConfigMap "nope" not found in namespace "default"`.
  assert.match(del.stderr, /^Error from server \(NotFound\): .*"nope" not found/);

  await d.ok(['apply', '-f', '-'], `${configMap('greeting', { text: 'x' })}---\n${job('fails', 'exit 3')}`);
  const failed = await d.cli(['wait', '--for=condition=Complete', 'job/fails', '--timeout=60s']);
  assert.deepEqual(failed, { code: 1, stdout: '', stderr: 'error: job.batch/fails failed: BackoffLimitExceeded: Job has reached the specified backoff limit\n' });
  assert.match(await d.ok(['get', 'pods', '-l', 'job-name=fails']), /\s0\/1\s+Error\s+0\s/);
  assert.match(await d.ok(['describe', 'pods', '-l', 'job-name=fails']), /\n {6}Reason:\s+Error\n {6}Exit Code:\s+3\n/);

  await d.ok(['apply', '-f', '-'], job('sleeper', 'sleep 30'));
  const timedOut = await d.cli(['wait', '--for=condition=Complete', 'job/sleeper', '--timeout=300ms']);
  assert.deepEqual(timedOut, { code: 1, stdout: '', stderr: 'error: timed out waiting for the condition on jobs/sleeper\n' });
  assert.equal(await d.ok(['delete', 'job/sleeper', 'job/fails']), 'job.batch "sleeper" deleted\njob.batch "fails" deleted\n');
  assert.equal(await d.ok(['wait', '--for=delete', 'job/sleeper', '--timeout=10s']), 'job.batch/sleeper condition met\n');

  const dir = mkdtempSync(join(tmpdir(), 'drover-cli-bad-'));
  try {
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: bad\nspec:\n  parallelism: many\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: busybox\n');
    const bad = await d.cli(['apply', '-f', join(dir, 'bad.yaml')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Error from server \(Invalid\): .*bad\.yaml:6:\d+: spec\.parallelism: .+\n$/);
    const usage = await d.cli(['apply']);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /^error: .+\nSee 'drover apply --help' for usage\.\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('logs -f waits for a job that has no running pod yet, then streams it to the end', async () => {
  await d.ok(['apply', '-f', '-'], configMap('greeting', { text: 'late hello' }) + '---\n' + job('later', 'sleep 0.3; echo "$GREETING"; sleep 0.3; echo bye', '  suspend: true\n'));
  const child = spawn(process.execPath, [BIN, 'logs', '-f', 'job/later'], { env: d.env, cwd: REPO });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await sleep(500);
  assert.equal(out, '', 'nothing to show while the job is suspended');
  await d.ok(['apply', '-f', '-'], configMap('greeting', { text: 'late hello' }) + '---\n' + job('later', 'sleep 0.3; echo "$GREETING"; sleep 0.3; echo bye', '  suspend: false\n'));
  assert.equal(await exited, 0, err);
  assert.equal(out, 'late hello\nbye\n');
  assert.equal(err, '', 'no spinner on a pipe');
  await d.ok(['delete', 'job/later', 'cm/greeting']);
});

test('top node shows usage and what pods have been allocated', async () => {
  const top = await d.ok(['top', 'node']);
  assert.match(top, /^NAME\s+CPU\(cores\)\s+CPU%\s+MEMORY\(bytes\)\s+MEMORY%\s+CPU-ALLOCATED\/CAPACITY\s+MEMORY-ALLOCATED\/CAPACITY\s+GPU-ALLOCATED\/CAPACITY\n\S+\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\s+0\/2\s+0\/4Gi\s+0\/\d+\n$/);
});
