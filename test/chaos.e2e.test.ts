/**
 * The reliability suite: floods, faults and hostile input against real `drover up` servers,
 * each case stating what must hold. At the end it prints one table: the load held, the faults
 * survived, the bad inputs tried, and the objects lost (which must be 0).
 *
 * `npm test` runs it bounded (DROVER_CHAOS_SCALE unset: hundreds of tasks); `npm run test:chaos`
 * runs it at full scale (10,000 tasks, 2,000 trials, 5,000 processes in one pod). One case alone:
 *   DROVER_CHAOS_SCALE=full node --test --test-name-pattern=fan-out dist/test/chaos.e2e.test.js
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Drover, REPO, sleep } from './drover.js';

const FULL = process.env['DROVER_CHAOS_SCALE'] === 'full';
const SCALE = {
  fanOut: FULL ? 10_000 : 300,
  trials: FULL ? 2_000 : 60,
  processes: FULL ? 5_000 : 600,
  /** The pod's pids limit: the default (4096) at full scale, smaller when bounded. */
  pidsLimit: FULL ? 4096 : 256,
  kills: FULL ? 5 : 2,
};

interface Row {
  kind: 'flood' | 'fault' | 'bad input';
  name: string;
  held: string;
  lost: number;
}
const rows: Row[] = [];

after(() => {
  const header = ['KIND', 'CASE', 'WHAT HELD', 'LOST'];
  const table = [header, ...rows.map((r) => [r.kind, r.name, r.held, String(r.lost)])];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const lines = table.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  const lost = rows.reduce((n, r) => n + r.lost, 0);
  const summary = `${rows.filter((r) => r.kind === 'flood').length} floods held, ${rows.filter((r) => r.kind === 'fault').length} faults survived, ${rows.filter((r) => r.kind === 'bad input').length} bad inputs refused, ${lost} objects lost (scale: ${FULL ? 'full' : 'bounded'})`;
  process.stdout.write(`\n# reliability suite\n${lines.map((l) => `# ${l}`).join('\n')}\n# ${summary}\n`);
});

/** Samples the 1-minute load average and the CLI's latency (a real `drover get nodes`) while `work` runs. */
async function underWatch<T>(d: Drover, work: () => Promise<T>): Promise<{ result: T; maxLoad: number; p99Ms: number; calls: number }> {
  let done = false;
  let maxLoad = loadavg()[0]!;
  const latencies: number[] = [];
  const sampler = (async () => {
    while (!done) {
      maxLoad = Math.max(maxLoad, loadavg()[0]!);
      const t0 = performance.now();
      const r = await d.cli(['get', 'nodes']);
      if (r.code === 0) latencies.push(performance.now() - t0);
      else latencies.push(Infinity);
      await sleep(250);
    }
  })();
  try {
    const result = await work();
    return { result, maxLoad, p99Ms: percentile(latencies, 0.99), calls: latencies.length };
  } finally {
    done = true;
    await sampler;
  }
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

interface Wf {
  status?: { phase?: string; progress?: string; nodes?: Record<string, { type: string; phase: string; message?: string }> };
}

/** The cgroups of pods under the runtime's parent for `home` (none may remain after `down`). */
function podCgroups(home: string): string[] {
  const parent = `drover-${createHash('sha256').update(resolve(home)).digest('hex').slice(0, 12)}`;
  const out: string[] = [];
  for (const root of ['/sys/fs/cgroup', ...['memory', 'cpu', 'pids'].map((c) => `/sys/fs/cgroup/${c}`)]) {
    const dir = join(root, parent);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    for (const e of readdirSync(dir)) if (e.startsWith('pod')) out.push(join(dir, e));
  }
  return out;
}

/** Mount points under `home` (overlays, volumes, /etc/hosts binds) still in the host's mount table. */
function mountsUnder(home: string): string[] {
  const root = resolve(home);
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === root || m.startsWith(`${root}/`));
}

/** Processes (other than this one) whose command line names `home`: containers, launchers, a server. */
function processesOf(home: string): string[] {
  const root = resolve(home);
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(root)) out.push(`${pid} ${cmd.slice(0, 120)}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** The store's bytes on disk: the database, its WAL and shared memory. */
function storeBytes(home: string): number {
  return ['state.db', 'state.db-wal', 'state.db-shm'].reduce((n, f) => n + (existsSync(join(home, f)) ? statSync(join(home, f)).size : 0), 0);
}

/** The store's size once its database file has stopped shrinking for three seconds (the collector's beats and the vacuum rounds done). */
async function settledStoreBytes(home: string): Promise<number> {
  const db = () => statSync(join(home, 'state.db')).size;
  let last = db();
  for (let still = 0, waited = 0; still < 3 && waited < 120; waited++) {
    await sleep(1000);
    const now = db();
    still = now < last ? 0 : still + 1;
    last = Math.min(last, now);
  }
  return storeBytes(home);
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const fanOut = (name: string, count: number, command: string) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: ${name} }
spec:
  entrypoint: fan
  templates:
  - name: fan
    steps:
    - - { name: task, template: one, withSequence: { count: "${count}" } }
  - name: one
    container: { image: busybox, command: [sh, -c, "${command}"] }
`;

test(`flood: a ${SCALE.fanOut}-task fan-out completes with the machine responsive; terminate stops new pods at once; down leaves no cgroup, mount or process`, { timeout: FULL ? 3_600_000 : 300_000 }, async () => {
  const d = await Drover.start({ cpus: '2', memory: '4Gi' });
  try {
    const sizeAtStart = storeBytes(d.home);
    await d.ok(['create', '-f', '-'], fanOut('flood', SCALE.fanOut, 'true'));
    const watched = await underWatch(d, () =>
      until('the fan-out to finish', async () => {
        const wf = await d.json<Wf>(['get', 'workflow', 'flood']);
        return wf.status?.phase && wf.status.phase !== 'Running' && wf.status.phase !== 'Pending' ? wf : undefined;
      }, FULL ? 3_000_000 : 240_000),
    );
    const pods = Object.values(watched.result.status?.nodes ?? {}).filter((n) => n.type === 'Pod');
    const failed = Object.values(watched.result.status?.nodes ?? {}).filter((n) => n.phase !== 'Succeeded').map((n) => `${n.type} ${n.phase}: ${n.message ?? ''}`);
    assert.equal(watched.result.status?.phase, 'Succeeded', `nodes not Succeeded:\n${failed.slice(0, 10).join('\n')}`);
    assert.equal(pods.length, SCALE.fanOut, 'one pod node per task');
    const lost = SCALE.fanOut - pods.filter((n) => n.phase === 'Succeeded').length;

    // A second fan-out of sleeps, terminated once it runs: no pod may be created a second later.
    await d.ok(['create', '-f', '-'], fanOut('stopped', SCALE.fanOut, 'sleep 2'));
    await until('pods of the second fan-out running', async () => ((await d.json<{ items: unknown[] }>(['get', 'pods', '-l', 'workflows.argoproj.io/workflow=stopped'])).items.length > 4 ? true : undefined), 60_000);
    await d.ok(['terminate', 'stopped']);
    const terminatedAt = Date.now();
    await sleep(1000);
    const podsAfter = async () => (await d.json<{ items: { metadata: { creationTimestamp: string } }[] }>(['get', 'pods', '-l', 'workflows.argoproj.io/workflow=stopped'])).items;
    const late = (await podsAfter()).filter((p) => Date.parse(p.metadata.creationTimestamp) > terminatedAt + 1000);
    assert.deepEqual(late, [], 'no pod created later than a second after terminate');
    await sleep(1500);
    const lateLater = (await podsAfter()).filter((p) => Date.parse(p.metadata.creationTimestamp) > terminatedAt + 1000);
    assert.deepEqual(lateLater, [], 'none either after the running ones ended');
    const ended = await until('the terminated workflow to end', async () => {
      const w = await d.json<Wf>(['get', 'workflow', 'stopped']);
      return w.status?.phase === 'Failed' || w.status?.phase === 'Error' ? w : undefined;
    }, 60_000);
    assert.equal(ended.status?.phase, 'Failed', 'terminated: Failed, as Argo ends it');

    // The store's growth: after the runs, then after they are deleted and space is reclaimed.
    const sizeAfterRuns = storeBytes(d.home);
    // Deleting both (their pods and events with them), the CLI answering meanwhile.
    const deletion = await underWatch(d, async () => {
      const t0 = performance.now();
      await d.ok(['delete', 'workflow', 'flood', 'stopped', '--timeout', '300s']);
      return performance.now() - t0;
    });
    await sleep(12_000); // one incremental-vacuum period (10 s) and the checkpoint
    const sizeAfterDelete = storeBytes(d.home);
    const down = await d.cli(['down']);
    assert.equal(down.code, 0, down.stderr);
    // A full collection cycle: restarted with retention of a second standing in for the hour
    // (events) and ten minutes (change log) that would otherwise pass, until the size settles.
    await d.up({ DROVER_EVENT_TTL: '1s', DROVER_CHANGE_LOG_MAX_AGE: '1s', DROVER_GC_INTERVAL: '1s' });
    await until('the collector to delete the events of the runs', async () => ((await d.json<{ items: unknown[] }>(['get', 'events', '-A'])).items.length < 50 ? true : undefined), 60_000);
    const sizeAfterGc = await settledStoreBytes(d.home);
    const wal = existsSync(join(d.home, 'state.db-wal')) ? statSync(join(d.home, 'state.db-wal')).size : 0;
    const events = await d.json<{ items: unknown[] }>(['get', 'events', '-A']);
    assert.equal((await d.cli(['down'])).code, 0);
    await until('no pod cgroup left after down', async () => (podCgroups(d.home).length === 0 ? true : undefined), 20_000);
    assert.deepEqual(mountsUnder(d.home), [], 'no mount left under the home after down');
    assert.deepEqual(processesOf(d.home), [], 'no process of the home left after down');
    rows.push({
      kind: 'flood',
      name: `${SCALE.fanOut}-task workflow fan-out`,
      held: `Succeeded; max load ${watched.maxLoad.toFixed(1)}, CLI p99 ${Math.round(watched.p99Ms)} ms over ${watched.calls} calls; terminate: 0 pods after 1 s; delete of both in ${(deletion.result / 1000).toFixed(1)} s (CLI p99 ${Math.round(deletion.p99Ms)} ms meanwhile); after down 0 cgroups, 0 mounts, 0 processes; store ${mib(sizeAtStart)} → ${mib(sizeAfterRuns)} after the runs → ${mib(sizeAfterDelete)} after deleting them → ${mib(sizeAfterGc)} after a full GC cycle (of it the write-ahead log ${mib(wal)}; ${events.items.length} events left)`,
      lost,
    });
    assert.equal(lost, 0);
  } finally {
    await d.stop();
  }
});

test(`flood: a pod starting ${SCALE.processes} processes meets its pids limit (${SCALE.pidsLimit}); the server answers throughout`, { timeout: 180_000 }, async () => {
  const d = await Drover.start({ cpus: '2', memory: '4Gi', env: { DROVER_POD_PIDS_LIMIT: String(SCALE.pidsLimit) } });
  try {
    const job = `apiVersion: batch/v1
kind: Job
metadata: { name: forks }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
        workingDir: /
        resources: { limits: { memory: 1Gi } }
        # A shell gives up at its first refused fork; this keeps count and holds what it got.
        command: [python3, -c, "import os, time\\nok = refused = 0\\nfor i in range(${SCALE.processes}):\\n  try:\\n    if os.fork() == 0:\\n      time.sleep(20); os._exit(0)\\n    ok += 1\\n  except OSError:\\n    refused += 1\\nprint('forked', ok, 'refused', refused, flush=True)\\ntime.sleep(20)"]
`;
    await d.ok(['apply', '-f', '-'], job);
    // The pod's own pids cgroup (v1 here; v2 keeps pids.* beside memory.*), watched while it forks.
    const pidsDirs = () => podCgroups(d.home).filter((p) => existsSync(join(p, 'pids.max')));
    let peak = 0;
    let max = '';
    const watched = await underWatch(d, () =>
      until('the forking pod to reach its limit', async () => {
        for (const dir of pidsDirs()) {
          try {
            peak = Math.max(peak, Number(readFileSync(join(dir, 'pids.current'), 'utf8')));
            max = readFileSync(join(dir, 'pids.max'), 'utf8').trim();
          } catch {
            // The pod ended meanwhile.
          }
        }
        return peak >= SCALE.pidsLimit - 8 ? true : undefined;
      }, 120_000),
    );
    const said = await until('the pod to say what it forked', async () => /forked (\d+) refused (\d+)/.exec((await d.cli(['logs', 'job/forks'])).stdout) ?? undefined, 60_000);
    assert.ok(Number(said[1]) < SCALE.pidsLimit && Number(said[2]) > 0, `the pod saw its forks refused: ${said[0]}`);
    assert.equal(max, String(SCALE.pidsLimit), "the pod cgroup's pids.max is the configured limit");
    assert.ok(peak <= SCALE.pidsLimit, `never more than the limit: ${peak}`);
    await d.ok(['delete', 'job', 'forks']);
    await until('the forking pod gone with all its processes', async () => (pidsDirs().length === 0 ? true : undefined), 60_000);
    rows.push({ kind: 'flood', name: `${SCALE.processes} processes in one pod`, held: `peak ${peak} of pids.max ${max}; the pod: ${said[0]}; max load ${watched.maxLoad.toFixed(1)}, CLI p99 ${Math.round(watched.p99Ms)} ms`, lost: 0 });
  } finally {
    await d.stop();
  }
});

test(`flood: an experiment of ${SCALE.trials} trials at parallelTrialCount 8 accounts for every trial`, { timeout: FULL ? 3_600_000 : 300_000 }, async () => {
  const d = await Drover.start({ cpus: '2', memory: '4Gi' });
  try {
    const experiment = `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: { name: many }
spec:
  objective: { type: minimize, objectiveMetricName: loss }
  algorithm: { algorithmName: random }
  parallelTrialCount: 8
  maxTrialCount: ${SCALE.trials}
  maxFailedTrialCount: ${SCALE.trials}
  parameters:
  - { name: x, parameterType: double, feasibleSpace: { min: "0", max: "1" } }
  trialTemplate:
    primaryContainerName: main
    trialParameters: [{ name: x, reference: x }]
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            restartPolicy: Never
            containers: [{ name: main, image: busybox, workingDir: /, command: [sh, -c, "echo loss=\${trialParameters.x}"] }]
`;
    await d.ok(['apply', '-f', '-'], experiment);
    const watched = await underWatch(d, () =>
      until('the experiment to finish', async () => {
        const e = await d.json<{ status?: { conditions?: { type: string; status: string }[]; trialsSucceeded?: number; trials?: number } }>(['get', 'experiment', 'many']);
        return e.status?.conditions?.some((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True') ? e : undefined;
      }, FULL ? 3_000_000 : 240_000),
    );
    const trials = (await d.json<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'trials', '-l', 'katib.kubeflow.org/experiment=many'])).items;
    const succeeded = trials.filter((t) => t.status?.conditions?.some((c) => c.type === 'Succeeded' && c.status === 'True')).length;
    assert.equal(trials.length, SCALE.trials, 'exactly maxTrialCount trials, none twice');
    const lost = SCALE.trials - succeeded;
    rows.push({ kind: 'flood', name: `${SCALE.trials}-trial experiment`, held: `${succeeded}/${trials.length} trials Succeeded; max load ${watched.maxLoad.toFixed(1)}, CLI p99 ${Math.round(watched.p99Ms)} ms`, lost });
    assert.equal(lost, 0);
  } finally {
    await d.stop();
  }
});

test(`fault: kill -9 of the server at ${SCALE.kills} random points across a long workflow; every step runs exactly once`, { timeout: 300_000 }, async () => {
  const d = await Drover.start({ cpus: '2', memory: '4Gi' });
  try {
    const steps = 24;
    await d.ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: runs }\nspec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }');
    const wf = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: long }
spec:
  entrypoint: main
  parallelism: 3
  volumes: [{ name: runs, persistentVolumeClaim: { claimName: runs } }]
  templates:
  - name: main
    steps:
    - - { name: a, template: log, arguments: { parameters: [{ name: id, value: "a-{{item}}" }] }, withSequence: { count: "${steps / 2}" } }
    - - { name: b, template: log, arguments: { parameters: [{ name: id, value: "b-{{item}}" }] }, withSequence: { count: "${steps / 2}" } }
  - name: log
    inputs: { parameters: [{ name: id }] }
    container:
      image: busybox
      command: [sh, -c, 'echo {{inputs.parameters.id}} >> /runs/log; sleep 0.4']
      volumeMounts: [{ name: runs, mountPath: /runs }]
`;
    await d.ok(['create', '-f', '-'], wf);
    const logFile = join(d.home, 'claims', 'default', 'runs', 'log');
    const ran = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []);
    // Seeded points, spread over the run: after this many steps have started.
    let seed = 7;
    const points = Array.from({ length: SCALE.kills }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    })
      .map((r, i) => Math.floor(((i + (r % 1000) / 1000) * steps) / (SCALE.kills + 1)) + 1)
      .sort((a, b) => a - b);
    for (const at of points) {
      await until(`${at} steps to start`, async () => (ran().length >= at ? true : undefined), 120_000);
      await d.kill9();
      await sleep(300);
      await d.up();
    }
    const done = await until('the workflow to finish', async () => {
      const w = await d.json<Wf>(['get', 'workflow', 'long']);
      return w.status?.phase === 'Succeeded' || w.status?.phase === 'Failed' || w.status?.phase === 'Error' ? w : undefined;
    }, 180_000);
    assert.equal(done.status?.phase, 'Succeeded');
    const lines = ran();
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([l]) => l);
    const lost = steps - counts.size;
    assert.deepEqual(twice, [], 'no step ran twice');
    rows.push({ kind: 'fault', name: `kill -9 at steps ${points.join(', ')} of ${steps}`, held: `Succeeded; ${counts.size}/${steps} steps, none twice`, lost });
    assert.equal(lost, 0);
  } finally {
    await d.stop();
  }
});

test('fault: a truncated store is refused at start saying how to recover; restore from a backup brings back every object', { timeout: 120_000 }, async () => {
  const d = await Drover.start();
  try {
    const names = Array.from({ length: 20 }, (_, i) => `cm-${i}`);
    await d.ok(['apply', '-f', '-'], names.map((n) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${n} }\ndata: { k: v }\n`).join('---\n'));
    const backup = `${d.home}.backup.db`;
    await d.ok(['backup', backup]);
    await d.ok(['down']);
    const db = join(d.home, 'state.db');
    truncateSync(db, Math.floor(statSync(db).size / 2));
    const refused = await d.up().then(
      () => undefined,
      (err: Error) => err.message,
    );
    assert.ok(refused, 'the server refuses a truncated store');
    assert.match(refused!, /drover restore/);
    const restored = await d.cli(['restore', backup]);
    assert.equal(restored.code, 0, restored.stderr);
    await d.up();
    const back = (await d.json<{ items: { metadata: { name: string } }[] }>(['get', 'configmaps'])).items.map((c) => c.metadata.name).filter((n) => n.startsWith('cm-'));
    const lost = names.filter((n) => !back.includes(n)).length;
    rows.push({ kind: 'fault', name: 'store truncated to half', held: 'start refused naming `drover restore`; restore brought back 20/20 objects', lost });
    assert.equal(lost, 0);
  } finally {
    await d.stop();
  }
});

test('fault: two servers started together on one home: exactly one serves', { timeout: 60_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-chaos-two-'));
  const up = () => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'drover.js'), 'up', '--port', '0', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DROVER_SERVER: '' } });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    return { child, out: () => out, exit: new Promise<number | null>((r) => child.once('exit', (code) => r(code))) };
  };
  const servers = [up(), up()];
  try {
    const first = await Promise.race(servers.map((s) => s.exit.then(() => s)));
    const other = servers.find((s) => s !== first)!;
    await sleep(1000);
    assert.equal(other.child.exitCode, null, 'the other still serves');
    assert.match(first.out(), /another Drover server .*is using/);
    rows.push({ kind: 'fault', name: 'two servers on one home', held: `one serves; the other: ${first.out().trim().split('\n').pop()!.slice(0, 80)}`, lost: 0 });
  } finally {
    for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => s.exit));
    rmSync(home, { recursive: true, force: true });
  }
});

test('fault: a full disk under the home: writes are refused saying so, the server lives, and takes writes again once space returns', { skip: process.getuid?.() !== 0 && 'needs root to mount a small tmpfs', timeout: 120_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-chaos-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m,mode=0700', 'tmpfs', home]);
  const env = { ...process.env, DROVER_HOME: home, DROVER_SERVER: '' };
  const cli = (args: string[], input?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      const c = execFile(process.execPath, [join(REPO, 'bin', 'drover.js'), ...args], { env }, (err, stdout, stderr) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
      if (input !== undefined) c.stdin!.end(input);
    });
  try {
    assert.equal((await cli(['up', '-d', '--port', '0'])).code, 0);
    const names = Array.from({ length: 10 }, (_, i) => `kept-${i}`);
    assert.equal((await cli(['apply', '-f', '-'], names.map((n) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${n} }\ndata: { k: v }\n`).join('---\n'))).code, 0);
    const filler = join(home, 'filler');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M', 'count=64'], { stdio: 'ignore' });
    } catch {
      // dd stops at ENOSPC, as intended.
    }
    const refused = await cli(['apply', '-f', '-'], `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: while-full }\ndata: { k: "${'x'.repeat(300_000)}" }\n`);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /SQLITE_FULL|disk is full|no space/i);
    assert.equal((await cli(['get', 'configmaps'])).code, 0, 'the server still answers');
    rmSync(filler);
    const after = await cli(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: after-space }\ndata: { k: v }\n');
    assert.equal(after.code, 0, after.stderr);
    const listed = (JSON.parse((await cli(['get', 'configmaps', '-o', 'json'])).stdout) as { items: { metadata: { name: string } }[] }).items.map((c) => c.metadata.name);
    const lost = names.filter((n) => !listed.includes(n)).length;
    rows.push({ kind: 'fault', name: 'disk full under the home', held: `write refused (${refused.stderr.trim().split('\n')[0]!.slice(0, 60)}); server lived; writes resumed`, lost });
    assert.equal(lost, 0);
    await cli(['down']);
  } finally {
    try {
      process.kill((JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as { pid: number }).pid, 'SIGKILL');
    } catch {
      // Already down.
    }
    execFileSync('umount', ['-l', home]);
    rmSync(home, { recursive: true, force: true });
  }
});

/** Manifests a careless or hostile user might send; each must be refused whole, with a message. */
const BAD_INPUTS: { name: string; manifest: string; expect: RegExp }[] = [
  { name: 'negative CPU request', manifest: podJob('neg-cpu', 'resources: { requests: { cpu: "-1" } }'), expect: /cpu|quantity|negative/i },
  { name: 'malformed memory quantity', manifest: podJob('bad-mem', 'resources: { limits: { memory: "1.5.5Gi" } }'), expect: /quantity|memory/i },
  { name: 'ConfigMap over 1 MiB', manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: huge }\ndata: { k: "${'x'.repeat(1_100_000)}" }\n`, expect: /1048576|1 ?MiB|too long|too large/i },
  { name: 'YAML alias bomb', manifest: aliasBomb(), expect: /alias|too many|excessive|limit/i },
  { name: 'nesting 10,000 deep', manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: deep }\ndata: { k: ${'['.repeat(10_000)}${']'.repeat(10_000)} }\n`, expect: /deep|nest|depth|string|expected/i },
  { name: 'upper-case name', manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: Bad_Name }\ndata: { k: v }\n`, expect: /RFC 1123|lowercase|Invalid value/i },
  { name: 'unknown field', manifest: podJob('unknown-field', 'imagePullPolicyy: Always'), expect: /imagePullPolicyy|unknown field/i },
  { name: 'negative backoffLimit', manifest: podJob('neg-backoff', '').replace('spec:\n  template', 'spec:\n  backoffLimit: -3\n  template'), expect: /backoffLimit|greater than or equal to 0/i },
  { name: 'half a batch invalid', manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: half-ok }\ndata: { k: v }\n---\n${podJob('half-bad', 'resources: { requests: { cpu: "-1" } }')}`, expect: /cpu|quantity/i },
];

function podJob(name: string, containerExtra: string): string {
  return `apiVersion: batch/v1
kind: Job
metadata: { name: ${name} }
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
        command: ["true"]
${containerExtra ? `        ${containerExtra}\n` : ''}`;
}

function aliasBomb(): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: { name: bomb }', 'x0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 12; i++) lines.push(`x${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(',')}]`);
  lines.push('data: { k: *a11 }');
  return lines.join('\n') + '\n';
}

test(`bad input: ${BAD_INPUTS.length} malformed and hostile manifests are each refused with a message and store nothing`, { timeout: 120_000 }, async () => {
  const d = await Drover.start();
  try {
    const before = (await (await d.api('/api/v1/namespaces/default/configmaps')).json()) as { items: unknown[] };
    const jobsBefore = (await (await d.api('/apis/batch/v1/namespaces/default/jobs')).json()) as { items: unknown[] };
    for (const c of BAD_INPUTS) {
      const t0 = performance.now();
      const r = await d.cli(['apply', '-f', '-'], c.manifest);
      const ms = performance.now() - t0;
      assert.notEqual(r.code, 0, `${c.name}: refused`);
      assert.match(r.stderr, c.expect, `${c.name}: the message says why:\n${r.stderr.slice(0, 2000)}`);
      rows.push({ kind: 'bad input', name: c.name, held: `refused in ${Math.round(ms)} ms: ${r.stderr.trim().split('\n')[0]!.slice(0, 90)}`, lost: 0 });
    }
    // A body past the API server's limit, sent raw: answered 413 while it is still being sent
    // (the server drops the rest rather than reset the connection under the answer).
    const big = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${d.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${d.token}` } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 'y');
      let sent = 0;
      const pump = (): void => {
        while (sent < 40 && !req.destroyed) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      req.write('{"x":"');
      pump();
    });
    assert.equal(big.status, 413);
    assert.match(big.body, /Request entity too large: limit is \d+/);
    const still = await d.cli(['get', 'configmaps']);
    assert.equal(still.code, 0, `the server still answers: ${still.stderr}\n${d.logs.slice(-3000)}`);
    rows.push({ kind: 'bad input', name: '40 MiB request body', held: `refused: ${big.status} ${(JSON.parse(big.body) as { message?: string }).message ?? ''}`, lost: 0 });
    const gone = await d.cli(['delete', 'namespace', 'default']);
    assert.notEqual(gone.code, 0);
    rows.push({ kind: 'bad input', name: 'delete namespace default', held: `refused: ${gone.stderr.trim().split('\n')[0]!.slice(0, 90)}`, lost: 0 });
    const after = (await (await d.api('/api/v1/namespaces/default/configmaps')).json()) as { items: unknown[] };
    const jobsAfter = (await (await d.api('/apis/batch/v1/namespaces/default/jobs')).json()) as { items: unknown[] };
    assert.equal(after.items.length, before.items.length, 'no ConfigMap stored, not even the valid half of a batch');
    assert.equal(jobsAfter.items.length, jobsBefore.items.length, 'no Job stored');
  } finally {
    await d.stop();
  }
});
