/**
 * Experiment overhead, measured side by side in one run:
 *   1. a Katib Experiment of TRIALS trivial trials (algorithm random, one double parameter,
 *      objective `loss` minimised, each trial a batch/v1 Job running `sh -c 'echo loss=<x>'`, the
 *      metric read from stdout) at parallelTrialCount PARALLEL, from apply to its Succeeded
 *      condition, vs spawning the same TRIALS `sh -c 'echo loss=<x>'` processes directly, PARALLEL
 *      at a time;
 *   2. while the experiment runs, about once a second, from a separate process (bench/probe.ts,
 *      so that this process's busy event loop does not delay the timings): the real CLI (`node
 *      bin/drover.js get experiment NAME`, a new process each time, as a user types it) and the
 *      raw HTTP GET, with `node -e ''`, `drover version` and the smallest Node program that
 *      fetches the experiment as baselines; idle, also `drover version --client`, so that Node's
 *      start-up, the CLI's own loading and Drover's server part can be told apart;
 *   3. where a trial's time goes, from in-process store watches and wrappers around this
 *      process's store and runtime (no HTTP, no serialisation, no src change): trial created → Job
 *      → Pod → Running → stdout follower → Pod Succeeded → Job Complete → log drained → metrics
 *      stored → Trial Succeeded, a trial's end → the next trial's creation; the server's CPU per
 *      trial (early and late in the run: does it grow with the trials?) and its event-loop delay.
 * Drover runs in this process (as the other benches) and writes $DROVER_HOME/server.json, which
 * the CLI reads to find it.
 *
 *   npm run bench:experiments                       # 2,000 trials at parallelTrialCount 8
 *   BENCH_QUICK=1 node dist/bench/experiment-overhead.js   # 200 trials: a smoke run
 *   BENCH_PARALLEL=8,2 node dist/bench/experiment-overhead.js   # also at 2 (slower)
 *   BENCH_TRIALS=500 node dist/bench/experiment-overhead.js
 *   BENCH_PROBE=0 node dist/bench/experiment-overhead.js   # no CLI/HTTP probes during the run
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { startControlPlane } from '../src/server/index.js';
import { silentLogger } from '../src/util/logger.js';
import type { KubeObject } from '../src/api/types.js';
import { MANIFEST_DIR, applyManifests, median, withConcurrency, api } from './common.js';
import type { ProbeKind } from './probe.js';

const QUICK = process.env.BENCH_QUICK === '1';
const TRIALS = Number(process.env.BENCH_TRIALS ?? (QUICK ? 200 : 2000));
/** parallelTrialCount of the headline run; BENCH_PARALLEL=8,2 adds rows. */
const PARALLEL = 8;
const PARALLELS = (process.env.BENCH_PARALLEL ?? String(PARALLEL)).split(',').map(Number);
/** BENCH_PROBE=0 runs without the probes (to see what they cost the experiment). */
const PROBE = process.env.BENCH_PROBE !== '0';
const GOAL_CLI_MS = 100;
/** An experiment that has not ended by then fails the bench. */
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_S ?? 900) * 1000;

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(REPO, 'bin', 'drover.js');
const API = '/apis/kubeflow.org/v1beta1/namespaces/default/experiments';

const home = mkdtempSync(join(tmpdir(), 'drover-bench-exp-'));
const cp = await startControlPlane(loadConfig({ home, port: 0, capacity: { cpu: '16', memory: '32Gi' } }, { ...process.env, DROVER_LOG_LEVEL: 'error' }), { logger: silentLogger });
// The CLI finds the server through $DROVER_HOME/server.json, as after `drover up`.
const cliEnv: NodeJS.ProcessEnv = { ...process.env, DROVER_HOME: home, ...(cp.token ? { DROVER_TOKEN: cp.token } : {}) };
delete cliEnv.DROVER_SERVER;
delete cliEnv.DROVER_PORT;

const experiment = (name: string, parallel: number, trials: number) => `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: { name: ${name} }
spec:
  objective: { type: minimize, objectiveMetricName: loss }
  algorithm:
    algorithmName: random
    algorithmSettings: [{ name: random_state, value: "1" }]
  parallelTrialCount: ${parallel}
  maxTrialCount: ${trials}
  parameters:
    - name: x
      parameterType: double
      feasibleSpace: { min: "0.0", max: "1.0" }
  trialTemplate:
    primaryContainerName: main
    trialParameters: [{ name: x, reference: x }]
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        backoffLimit: 0
        template:
          spec:
            restartPolicy: Never
            containers:
              - name: main
                image: busybox
                command: [sh, -c, "echo loss=\${trialParameters.x}"]
`;

const apply = (text: string) => applyManifests(cp, MANIFEST_DIR, text);

/** Spawns `argv` and waits for it; rejects on a non-zero exit. Returns its stdout. */
function exec(argv: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((ok, fail) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.once('error', fail);
    c.once('close', (code) => (code === 0 ? ok(out) : fail(new Error(`${argv.join(' ')} exited ${code}: ${err}`))));
  });
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

const cli = (...args: string[]) => exec([process.execPath, BIN, ...args], cliEnv);

interface Condition {
  type: string;
  status: string;
  reason?: string;
}
interface ExperimentObject extends KubeObject {
  status?: { conditions?: Condition[]; trials?: number; trialsSucceeded?: number; trialsFailed?: number; trialMetricsUnavailable?: number };
}
const holds = (o: { status?: { conditions?: Condition[] } } | undefined, type: string) => o?.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** Per-trial milestones (ms since the experiment was applied), from in-process watches. */
interface Milestones {
  trialAdded?: number;
  jobAdded?: number;
  podAdded?: number;
  podRunning?: number;
  followStart?: number;
  lineRead?: number;
  podDone?: number;
  jobComplete?: number;
  followEnd?: number;
  metricsStored?: number;
  trialDone?: number;
}

/** A trial's milestones in the order they usually come, and who moves it there. */
const TIMELINE: [keyof Milestones, string][] = [
  ['trialAdded', 'Trial created (experiment controller)'],
  ['jobAdded', 'its Job created (trial controller)'],
  ['podAdded', 'its Pod created (job controller)'],
  ['podRunning', 'Pod Running (scheduler, runtime, sandbox start)'],
  ['followStart', 'stdout follower started (metrics collector)'],
  ['lineRead', 'loss=… line read by the follower'],
  ['podDone', 'Pod Succeeded (process exit noticed)'],
  ['jobComplete', 'Job Complete (job controller)'],
  ['followEnd', 'stdout follower ended (log drained)'],
  ['metricsStored', 'metrics stored in the observation log'],
  ['trialDone', 'Trial Succeeded (trial controller)'],
];

interface RunResult {
  ms: number;
  exp: ExperimentObject;
  milestones: Map<string, Milestones>;
  /** Read while it ran, by bench/probe.ts. */
  probes: Record<ProbeKind, number[]>;
  idle: { cli: number[]; http: number[] };
  /** CPU time of this process (the server) and of the whole machine during the run, ms. */
  serverCpuMs: number;
  machineCpuMs: number;
  /** Wall and server CPU time per trial over the second and the second to last tenth of the trials. */
  tenths?: { n: number; firstWallMs: number; firstCpuMs: number; lastWallMs: number; lastCpuMs: number };
  /** The server's event-loop delay during the run, ms. */
  loop: { p50: number; p99: number; max: number };
}

/** Busy CPU time of the whole machine so far (all cores, ms), from /proc/stat. */
function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: busy = all but idle and iowait.
  const busy = f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3]! - f[4]!;
  return (busy * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Applies one experiment and waits for its end, probing the CLI and the API meanwhile. */
async function runExperiment(name: string, parallel: number, probe: boolean): Promise<RunResult> {
  const milestones = new Map<string, Milestones>();
  const m = (trial: string | undefined) => {
    if (!trial) return undefined;
    let x = milestones.get(trial);
    if (!x) milestones.set(trial, (x = {}));
    return x;
  };
  const label = (o: KubeObject) => (o.metadata.labels?.['katib.kubeflow.org/experiment'] === name ? o.metadata.labels['katib.kubeflow.org/trial'] : undefined);
  let done: (e: ExperimentObject) => void;
  const ended = new Promise<ExperimentObject>((r) => (done = r));
  let t0 = 0;
  const now = () => performance.now() - t0;
  const cpuMs = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const tenth = Math.max(1, Math.floor(TRIALS / 10));
  let doneCount = 0;
  const marks: { at: number; cpuMs: number }[] = [];
  // The collector appends a trial's values to its observation log: wrap the store's method (this
  // process's store, no src change) to see when a trial's metrics were stored.
  const uidToTrial = new Map<string, string>();
  const store = cp.store;
  const append = store.appendObservationLog;
  // And the runtime's log reader, which the collector follows each trial's stdout with.
  const runtime = cp.runtime;
  const logs = runtime.logs;
  runtime.logs = (pod, opts) => {
    const x = opts.follow ? m(label(pod as KubeObject)) : undefined;
    const inner = logs.call(runtime, pod, opts);
    if (!x) return inner;
    x.followStart ??= now();
    return (async function* () {
      try {
        for await (const chunk of inner) {
          x.lineRead ??= now();
          yield chunk;
        }
      } finally {
        x.followEnd = now();
      }
    })();
  };
  store.appendObservationLog = async (uid, entries) => {
    const added = await append.call(store, uid, entries);
    const x = m(uidToTrial.get(uid));
    if (x) x.metricsStored = now();
    return added;
  };
  const stops = [
    cp.store.watch({ apiVersion: 'kubeflow.org/v1beta1', kind: 'Trial' }, {}, (e) => {
      const x = m(label(e.object));
      if (!x) return;
      uidToTrial.set(e.object.metadata.uid!, e.object.metadata.name!);
      x.trialAdded ??= now();
      if (holds(e.object as ExperimentObject, 'Succeeded') && x.trialDone === undefined) {
        x.trialDone = now();
        // Does a trial cost more as trials pile up? Compare the second tenth of the trials with the
        // second to last (the first has the pipeline filling, the last its draining).
        if ([tenth, 2 * tenth, TRIALS - 2 * tenth, TRIALS - tenth].includes(++doneCount)) marks.push({ at: x.trialDone, cpuMs: cpuMs() });
      }
    }),
    cp.store.watch({ apiVersion: 'batch/v1', kind: 'Job' }, {}, (e) => {
      const x = m(label(e.object));
      if (!x) return;
      x.jobAdded ??= now();
      if (holds(e.object as ExperimentObject, 'Complete')) x.jobComplete ??= now();
    }),
    cp.store.watch({ apiVersion: 'v1', kind: 'Pod' }, {}, (e) => {
      const x = m(label(e.object));
      if (!x) return;
      x.podAdded ??= now();
      const phase = (e.object as { status?: { phase?: string } }).status?.phase;
      if (phase === 'Running') x.podRunning ??= now();
      if (phase === 'Succeeded') {
        x.podRunning ??= now();
        x.podDone ??= now();
      }
    }),
    cp.store.watch({ apiVersion: 'kubeflow.org/v1beta1', kind: 'Experiment' }, {}, (e) => {
      const exp = e.object as ExperimentObject;
      if (exp.metadata.name === name && (holds(exp, 'Succeeded') || holds(exp, 'Failed'))) done(exp);
    }),
  ];
  let finished = false;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const machine0 = machineBusyMs();
  t0 = performance.now();
  await apply(experiment(name, parallel, TRIALS));
  // The reads a user makes while it runs, timed from a process of its own (bench/probe.ts).
  const probes: Record<ProbeKind, number[]> = { cli: [], http: [], version: [], node: [], floor: [] };
  let probeError: unknown;
  const prober = probe ? spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'probe.js'), cp.url, name], { stdio: ['pipe', 'pipe', 'pipe'], env: cliEnv }) : undefined;
  const proberDone = prober
    ? new Promise<void>((ok) => {
        let err = '';
        createInterface({ input: prober.stdout }).on('line', (line) => {
          const { what, ms } = JSON.parse(line) as { what: ProbeKind; ms: number };
          if (!finished) probes[what].push(ms);
        });
        prober.stderr.on('data', (d: Buffer) => (err += d.toString()));
        prober.once('close', (code) => {
          if (code !== 0) probeError = new Error(`the prober exited ${code}: ${err}`);
          ok();
        });
      })
    : Promise.resolve();
  let deadline: NodeJS.Timeout | undefined;
  const watched = await Promise.race([
    ended,
    new Promise<never>((_, fail) => {
      deadline = setTimeout(async () => {
        const cur = (await (await api(cp, `${API}/${name}`)).json()) as ExperimentObject;
        fail(new Error(`experiment ${name} has not ended after ${DEADLINE_MS / 1000} s: ${JSON.stringify({ conditions: cur.status?.conditions, trials: cur.status?.trials, succeeded: cur.status?.trialsSucceeded })}`));
      }, DEADLINE_MS);
    }),
  ]).finally(() => {
    clearTimeout(deadline);
    finished = true;
  });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const machineCpuMs = machineBusyMs() - machine0;
  loop.disable();
  prober?.stdin.end();
  await proberDone;
  if (probeError) throw probeError;
  for (const s of stops) s();
  store.appendObservationLog = append;
  runtime.logs = logs;
  // Read it back over the API, as a client sees it.
  const r = await api(cp, `${API}/${name}`);
  const exp = (await r.json()) as ExperimentObject;
  const ok = holds(exp, 'Succeeded');
  if (!holds(watched, 'Succeeded') || ok?.reason !== 'ExperimentMaxTrialsReached' || exp.status?.trials !== TRIALS || exp.status?.trialsSucceeded !== TRIALS) {
    throw new Error(`experiment ${name} did not end with ${TRIALS} succeeded trials and ExperimentMaxTrialsReached:\n${JSON.stringify({ conditions: exp.status?.conditions, trials: exp.status?.trials, succeeded: exp.status?.trialsSucceeded, failed: exp.status?.trialsFailed, metricsUnavailable: exp.status?.trialMetricsUnavailable }, null, 1)}`);
  }
  // The same reads with the experiment finished and the machine otherwise idle.
  const idle = { cli: [] as number[], http: [] as number[] };
  if (probe) {
    for (let i = 0; i < 10; i++) {
      idle.cli.push(await timed(() => cli('get', 'experiment', name)));
      idle.http.push(await timed(async () => (await api(cp, `${API}/${name}`)).arrayBuffer()));
    }
  }
  return {
    ms,
    exp,
    milestones,
    probes,
    idle,
    serverCpuMs: (cpu.user + cpu.system) / 1000,
    tenths:
      marks.length === 4
        ? {
            n: tenth,
            firstWallMs: (marks[1]!.at - marks[0]!.at) / tenth,
            firstCpuMs: (marks[1]!.cpuMs - marks[0]!.cpuMs) / tenth,
            lastWallMs: (marks[3]!.at - marks[2]!.at) / tenth,
            lastCpuMs: (marks[3]!.cpuMs - marks[2]!.cpuMs) / tenth,
          }
        : undefined,
    machineCpuMs,
    loop: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
  };
}

/** The bare baseline: the same processes, `parallel` at a time. */
async function bare(parallel: number): Promise<number> {
  let i = 0;
  return timed(() => withConcurrency(parallel, TRIALS, () => exec(['sh', '-c', `echo loss=${(i++ / TRIALS).toFixed(6)}`]).then(() => undefined)));
}

const fmtMs = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
const fmtS = (x: number) => `${(x / 1000).toFixed(2)} s`;
const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), -Infinity);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

try {
  // Warm both paths once (and the CLI's module cache on disk).
  await exec(['sh', '-c', 'echo loss=0']);
  await cli('version');

  // CLI baselines, with the server idle: Node alone, the CLI without a server, one round trip.
  const base = { node: [] as number[], client: [] as number[], version: [] as number[] };
  for (let i = 0; i < 10; i++) {
    base.node.push(await timed(() => exec([process.execPath, '-e', ''])));
    base.client.push(await timed(() => cli('version', '--client')));
    base.version.push(await timed(() => cli('version')));
  }

  const rows: string[][] = [];
  const results: { parallel: number; run: RunResult; bareMs: number }[] = [];
  for (const parallel of PARALLELS) {
    const bareMs = await bare(parallel);
    const name = `bench-p${parallel}`;
    const run = await runExperiment(name, parallel, PROBE && parallel === PARALLELS[0]);
    results.push({ parallel, run, bareMs });
    // Per-trial latency overhead at this concurrency: with `parallel` trials in flight the whole
    // time, each trial's slot is held total × parallel / trials; the difference of that between
    // Drover and bare processes is what Drover adds to one trial's latency.
    const overhead = ((run.ms - bareMs) / TRIALS) * parallel;
    rows.push([`${TRIALS} trials, parallelTrialCount ${parallel}`, fmtS(run.ms), fmtS(bareMs), `${(run.ms / bareMs).toFixed(1)}x`, fmtMs(overhead), `${(TRIALS / (run.ms / 1000)).toFixed(1)}/s`]);
    const del = await api(cp, `${API}/${name}`, { method: 'DELETE' });
    if (!del.ok) throw new Error(`DELETE ${name}: ${del.status} ${await del.text()}`);
  }

  console.log(`\nKatib Experiment, random search, trivial trials (sh -c 'echo loss=<x>'), apply → Succeeded (ExperimentMaxTrialsReached, all ${TRIALS} trials Succeeded)`);
  table(['scenario', 'drover', 'bare processes', 'ratio', 'overhead per trial*', 'drover trials/s'], rows);
  console.log(`* per-trial latency overhead at that concurrency = (drover − bare) / trials × parallelTrialCount`);

  for (const { parallel, run } of results) {
    const ms = [...run.milestones.values()];
    const complete = ms.filter((x) => TIMELINE.every(([k]) => x[k] !== undefined));
    console.log(`\nwhere a trial's time goes, parallelTrialCount ${parallel} (${complete.length} of ${ms.length} trials with every milestone; from in-process store watches and wrappers, no HTTP)`);
    const stepRows = TIMELINE.map(([k, label], i) => {
      const since = complete.map((x) => x[k]! - x.trialAdded!);
      const prev = i === 0 ? undefined : complete.map((x) => x[k]! - x[TIMELINE[i - 1]![0]]!);
      return [label, fmtMs(median(since)), fmtMs(pct(since, 0.9)), prev ? fmtMs(median(prev)) : ''];
    });
    const lat = complete.map((x) => x.trialDone! - x.trialAdded!);
    // A slot freed by a trial's end is refilled by the next trial the experiment creates.
    const ends = complete.map((x) => x.trialDone!).sort((a, b) => a - b);
    const starts = ms.map((x) => x.trialAdded!).filter((x) => x !== undefined).sort((a, b) => a - b).slice(parallel);
    const refill = starts.map((s, i) => s - ends[i]!).filter((x) => x >= 0);
    table(['milestone', 'median since Trial created', 'p90', 'median since the row above'], stepRows);
    console.log('(a negative step: that milestone usually comes before the one above it)');
    console.log(`server-side latency of a trial, created → Succeeded: median ${fmtMs(median(lat))}, p90 ${fmtMs(pct(lat, 0.9))}, max ${fmtMs(max(lat))}`);
    const first = ms.map((x) => x.trialAdded!).filter((x) => x !== undefined);
    console.log(`a trial's end → the next trial created (experiment controller): median ${fmtMs(median(refill))}, p90 ${fmtMs(pct(refill, 0.9))}; apply → first trial ${fmtMs(Math.min(...first))}; last trial Succeeded → Experiment Succeeded ${fmtMs(run.ms - max(ends))}`);
    console.log(`wall time per trial: ${fmtMs(run.ms / TRIALS)} (total / ${TRIALS}); at parallelTrialCount ${parallel} a trial holds its slot ≈ ${fmtMs((run.ms / TRIALS) * parallel)}`);
    console.log(
      `CPU per trial: server process ${fmtMs(run.serverCpuMs / TRIALS)}, whole machine ${fmtMs(run.machineCpuMs / TRIALS)} (busy ${((run.machineCpuMs / run.ms / cpus().length) * 100).toFixed(0)}% of ${cpus().length} cores during the run, the CLI probes and anything else running included); server event-loop delay p50 ${fmtMs(run.loop.p50)}, p99 ${fmtMs(run.loop.p99)}, max ${fmtMs(run.loop.max)}`,
    );
    const t = run.tenths;
    if (t) {
      console.log(
        `as trials pile up: trials ${t.n + 1}–${2 * t.n} took ${fmtMs(t.firstWallMs)} of wall time and ${fmtMs(t.firstCpuMs)} of server CPU each, trials ${TRIALS - 2 * t.n + 1}–${TRIALS - t.n} ${fmtMs(t.lastWallMs)} and ${fmtMs(t.lastCpuMs)}`,
      );
    }
  }

  const { run } = results[0]!;
  if (PROBE) {
    const goal = (xs: number[]) => (median(xs) < GOAL_CLI_MS ? 'goal met' : 'GOAL MISSED');
    console.log(`\nreading the experiment (parallelTrialCount ${results[0]!.parallel}); goal: drover get experiment < ${GOAL_CLI_MS} ms`);
    table(
      ['command', 'when', 'samples', 'median', 'max', ''],
      [
        ['node bin/drover.js get experiment NAME (new process)', 'while it runs', String(run.probes.cli.length), fmtMs(median(run.probes.cli)), fmtMs(max(run.probes.cli)), goal(run.probes.cli)],
        ['GET /apis/kubeflow.org/v1beta1/…/experiments/NAME', 'while it runs', String(run.probes.http.length), fmtMs(median(run.probes.http)), fmtMs(max(run.probes.http)), ''],
        ['node bin/drover.js version', 'while it runs', String(run.probes.version.length), fmtMs(median(run.probes.version)), fmtMs(max(run.probes.version)), ''],
        ['node -e "" (Node alone)', 'while it runs', String(run.probes.node.length), fmtMs(median(run.probes.node)), fmtMs(max(run.probes.node)), ''],
        ['node -e "<http.get of it, print its name>" (the floor)', 'while it runs', String(run.probes.floor.length), fmtMs(median(run.probes.floor)), fmtMs(max(run.probes.floor)), goal(run.probes.floor)],
        ['node bin/drover.js get experiment NAME (new process)', `idle, ${TRIALS} trials done`, String(run.idle.cli.length), fmtMs(median(run.idle.cli)), fmtMs(max(run.idle.cli)), goal(run.idle.cli)],
        ['GET /apis/kubeflow.org/v1beta1/…/experiments/NAME', `idle, ${TRIALS} trials done`, String(run.idle.http.length), fmtMs(median(run.idle.http)), fmtMs(max(run.idle.http)), ''],
        ['node -e ""', 'idle, before', String(base.node.length), fmtMs(median(base.node)), fmtMs(max(base.node)), ''],
        ['node bin/drover.js version --client (no server call)', 'idle, before', String(base.client.length), fmtMs(median(base.client)), fmtMs(max(base.client)), ''],
        ['node bin/drover.js version', 'idle, before', String(base.version.length), fmtMs(median(base.version)), fmtMs(max(base.version)), ''],
      ],
    );
    console.log(
      `idle, the CLI's ${fmtMs(median(run.idle.cli))} for get experiment is: Node's start ${fmtMs(median(base.node))}, loading the CLI ${fmtMs(median(base.client) - median(base.node))} (version --client − node -e), the request and printing ${fmtMs(median(run.idle.cli) - median(base.client))} (get experiment − version --client)`,
    );
    console.log(
      `while it runs (timed by a separate process): Node alone ${fmtMs(median(run.probes.node))}, the smallest Node program that fetches the experiment ${fmtMs(median(run.probes.floor))}, drover get experiment ${fmtMs(median(run.probes.cli))} (${fmtMs(median(run.probes.cli) - median(run.probes.floor))} over that floor); the server answers the GET in ${fmtMs(median(run.probes.http))}; the rest is waiting for CPU on a machine the trials keep busy`,
    );
  }
  const body = JSON.stringify(run.exp);
  console.log(`the experiment object at the end: ${(body.length / 1024).toFixed(0)} kB of JSON (status lists every trial by name)`);
} finally {
  await cp.stop();
  rmSync(home, { recursive: true, force: true });
}
