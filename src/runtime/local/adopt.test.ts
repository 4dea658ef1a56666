/**
 * Server restarts: containers outlive the runtime (stop() leaves them running, as a kill -9 of the
 * server would) and a new runtime on the same home adopts them instead of starting them again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostRequirementError } from '../../api/index.js';
import { BWRAP_MISSING } from './host.js';
import { LocalPodRuntime } from './runtime.js';
import { harness, processesMatching, testCgroupParent, waitUntil } from './testkit.js';

const sh = (script: string) => ({ name: 'main', image: 'busybox', command: ['sh', '-c', script] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type T = { exitCode: number; reason: string; message?: string; containerID?: string; finishedAt?: string };
const term = (p: { status?: { containerStatuses?: { state?: { terminated?: unknown } }[] } }) => p.status?.containerStatuses?.[0]?.state?.terminated as T | undefined;

test('containers survive a runtime restart and are adopted with their real exit codes, including ones that finished while it was down', async () => {
  const h = await harness();
  try {
    await h.pod('quick', { containers: [sh('echo quick; sleep 0.5; exit 3')] });
    await h.pod('oom-down', { containers: [{ name: 'main', image: 'py', command: ['sh', '-c', 'sleep 0.5; exec python3 -c "x = b\'x\' * (256 << 20)"'], resources: { limits: { memory: '48Mi' } } }] });
    await h.pod('long', { containers: [sh('echo long; sleep 2.5; echo bye; exit 7')] });
    await h.pod('ok', { containers: [sh('sleep 2.5; echo fine')] });
    const before = new Map<string, string | undefined>();
    for (const n of ['quick', 'oom-down', 'long', 'ok']) before.set(n, (await h.waitPhase(n, 'Running')).status?.containerStatuses?.[0]?.containerID);

    // The server goes away; 'quick' and 'oom-down' end while nobody watches.
    await h.runtime.stop();
    await sleep(1500);
    assert.equal((await h.get('quick')).status?.phase, 'Running', 'nobody recorded the exit while down');
    await h.restart();

    const quick = await h.waitPhase('quick', 'Failed', 5000);
    assert.deepEqual([term(quick)?.exitCode, term(quick)?.reason], [3, 'Error']);
    assert.equal(await h.logs(quick), 'quick\n');
    const oom = await h.waitPhase('oom-down', 'Failed', 5000);
    assert.deepEqual([term(oom)?.exitCode, term(oom)?.reason], [137, 'OOMKilled'], 'the OOM kill is read from the cgroup after the restart');

    const long = await h.waitPhase('long', 'Failed', 10000);
    assert.deepEqual([term(long)?.exitCode, term(long)?.reason], [7, 'Error']);
    assert.equal(term(long)?.containerID, before.get('long'), 'the same process, adopted, not restarted');
    assert.equal(await h.logs(long), 'long\nbye\n', 'ran once');
    const ok = await h.waitPhase('ok', 'Succeeded', 10000);
    assert.equal(ok.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(term(ok)?.containerID, before.get('ok'));
  } finally {
    await h.close();
  }
});

test('after a kill -9 of the server process, a new server adopts its running containers and records their exits', async () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-crash-'));
  const cgroupParent = testCgroupParent();
  const pod = (name: string, script: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: 'local', restartPolicy: 'Never', containers: [sh(script)] } });
  const server = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'crash-server.js'), home, cgroupParent, JSON.stringify([pod('early', 'echo early; sleep 0.4; exit 4'), pod('late', 'echo late; sleep 2; echo end')])], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (d: Buffer) => d.toString().includes('running') && resolve());
    server.once('exit', (code) => reject(new Error(`crash server exited ${code}`)));
  });
  server.kill('SIGKILL');
  await new Promise((r) => server.once('exit', r));
  await sleep(800); // 'early' ends while no server runs.
  const h = await harness({ home, cgroupParent });
  try {
    const early = await h.waitPhase('early', 'Failed', 5000);
    assert.deepEqual([term(early)?.exitCode, term(early)?.reason], [4, 'Error']);
    const late = await h.waitPhase('late', 'Succeeded', 10000);
    assert.equal(late.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(await h.logs(late), 'late\nend\n', 'ran once, adopted');
  } finally {
    await h.close();
  }
});

test('a pod deleted while the server was down has its processes killed when the runtime starts', async () => {
  const h = await harness();
  const tag = `77${process.pid}`;
  try {
    const p = await h.pod('orphan', { containers: [sh(`sleep ${tag}.5 & wait`)] });
    await h.waitPhase('orphan', 'Running');
    await waitUntil(() => processesMatching(`sleep ${tag}.5`).length > 0, 5000, 'sleep started');
    await h.runtime.stop();
    await h.store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'orphan' });
    assert.ok(processesMatching(`sleep ${tag}.5`).length > 0, 'still running while the server is down');
    await h.restart();
    // Killed during start; the kernel finishes the kill of a sandbox's processes a moment later.
    await waitUntil(() => processesMatching(`sleep ${tag}.5`).length === 0, 5000, 'the orphan killed');
    assert.equal(existsSync(join(h.home, 'pods', p.metadata.uid!)), false, 'its directory removed');
  } finally {
    await h.close();
  }
});

test('a container whose exit status was never recorded ends ContainerStatusUnknown after a restart', async () => {
  const h = await harness();
  try {
    const p = await h.pod('lost', { containers: [sh('sleep 30')] });
    await h.waitPhase('lost', 'Running');
    await h.runtime.stop();
    // The monitor dies first (so nothing writes an exit code), then the sandbox.
    const dir = join(h.home, 'pods', p.metadata.uid!, 'main');
    await waitUntil(() => existsSync(join(dir, '0.json')) && readFileSync(join(dir, '0.status'), 'utf8').includes('child-pid'), 5000, 'sandbox started');
    const rec = JSON.parse(readFileSync(join(dir, '0.json'), 'utf8')) as { pid: number };
    const status = readFileSync(join(dir, '0.status'), 'utf8');
    const child = Number(/"child-pid": (\d+)/.exec(status)?.[1]);
    process.kill(rec.pid, 'SIGKILL');
    await sleep(50);
    process.kill(child, 'SIGKILL');
    await sleep(100);
    await h.restart();
    const lost = await h.waitPhase('lost', 'Failed', 5000);
    assert.equal(term(lost)?.reason, 'ContainerStatusUnknown');
    assert.equal(term(lost)?.exitCode, 137);
  } finally {
    await h.close();
  }
});

test('a container in back-off when the server stopped is restarted by the next runtime', async () => {
  const h = await harness({ restartBackoffBaseMs: 400 });
  try {
    await h.pod('again', {
      restartPolicy: 'OnFailure',
      volumes: [{ name: 's', emptyDir: {} }],
      containers: [{ ...sh('n=$(cat /s/n 2>/dev/null || echo 0); echo $((n+1)) > /s/n; echo try $((n+1)); [ $n -ge 1 ]'), volumeMounts: [{ name: 's', mountPath: '/s' }] }],
    });
    await h.waitFor('again', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff', 5000, 'back-off');
    await h.restart();
    const p = await h.waitPhase('again', 'Succeeded', 5000);
    assert.equal(p.status?.containerStatuses?.[0]?.restartCount, 1);
    assert.equal(p.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 1);
    assert.equal(await h.logs(p), 'try 2\n');
  } finally {
    await h.close();
  }
});

test('missing bwrap gives a clear error naming the package to install', async () => {
  const saved = process.env['PATH'];
  process.env['PATH'] = '/nonexistent';
  try {
    const rt = new LocalPodRuntime({ home: '/nonexistent-home', gpuIds: [] });
    await assert.rejects(rt.checkHost(), (e: unknown) => e instanceof HostRequirementError && e.message === BWRAP_MISSING);
    assert.match(BWRAP_MISSING, /apt-get install bubblewrap/);
  } finally {
    process.env['PATH'] = saved;
  }
});
