/**
 * Workflow overhead, measured side by side in one run:
 *   1. a fan-out/fan-in DAG of N tasks running `true` (a loop over N items, then one task after
 *      all of them) at a workflow parallelism P, through Drover, against (a) the same N+1 `true`s
 *      started through the runtime's own launch of a step's container (cgroups, launcher, bwrap
 *      with the same flags and root mode, the pod's user, seccomp, a network namespace, the same
 *      mounts and environment: `sandboxSpawner`) without Drover at the same concurrency — the
 *      orchestration floor — and (b) plain spawns at the same concurrency; with the server's CPU
 *      time per pod (the server runs in this process: its CPU while the workflow runs, divided
 *      by the pods);
 *   2. a chain of sequential steps: the median time from one step's end to the next step's end,
 *      minus a bare `true`, is the overhead per step (controller hand-off, pod start, sandbox);
 *      beside it the floor's `true` started alone, one after another.
 * Drover runs in a server of its own and is driven through its HTTP API.
 *
 * With the chain it prints where a step's time goes: the median of each segment between the marks
 * the server leaves (src/util/steptrace.ts), and the store writes per step. For each fan-out it
 * prints the whole machine's CPU per pod (/proc/stat), the floor's and Drover's, split into this
 * process (the server), the pods' processes (their cgroups' CPU, from the launcher's join of them
 * to their end: the sandbox, whatever runs inside it, the command) and the rest (the process
 * helper, each launcher before it joins its cgroups, `ip`, kernel threads), and the
 * reconciles each controller ran.
 *
 *   npm run bench:workflows   [-- --runs 1000x2,1000x16,10000x16 --chain 30 --chains 3 --rounds 3]
 *   (--rounds N: each fan-out's floor and Drover run in turn N times; the medians are printed,
 *   with the spread of the ratios; --runs none: the chain alone; --parallel-starts N: container starts launching at once,
 *   pods.parallelStarts, default 1 per CPU; --starts-per-second N: a rate on top, default none)
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/index.js';
import { detectCgroups, Cgroups } from '../src/runtime/local/cgroups.js';
import { defaultCgroupParent } from '../src/runtime/local/index.js';
import { startControlPlane } from '../src/server/index.js';
import { silentLogger } from '../src/util/logger.js';
import { NETNS_DIR, SPARE_NAMESPACES, SPARE_TRIM_IDLE_MS } from '../src/runtime/local/network/bridge.js';
import { stepTrace } from '../src/util/steptrace.js';
import { applyManifests, FLOOR_NETNS_PREFIX, median, sandboxSpawner, spawnTrue, withConcurrency, api } from './common.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1000x2,1000x16,10000x16' }, chain: { type: 'string', default: '30' }, chains: { type: 'string', default: '1' }, rounds: { type: 'string', default: '1' }, 'parallel-starts': { type: 'string' }, 'starts-per-second': { type: 'string' } } });
/** Each run: tasks x parallelism. */
const RUNS = (values.runs === 'none' ? [] : values.runs.split(',')).map((r) => {
  const [tasks, parallelism] = r.split('x').map(Number);
  if (!tasks || !parallelism) throw new Error(`--runs: expected TASKSxPARALLELISM[,…], got "${r}"`);
  return { tasks, parallelism };
});
const CHAIN = Number(values.chain);
if (!Number.isInteger(CHAIN) || CHAIN < 2) throw new Error(`--chain: expected a whole number of steps, at least 2 (a step's time is the gap between two ends), got "${values.chain}"`);
const CHAINS = Math.max(1, Number(values.chains));
const ROUNDS = Math.max(1, Number(values.rounds));

const home = mkdtempSync(join(tmpdir(), 'drover-bench-wf-'));
// Pods run as uid 65534 and start in the manifest's directory: one they can read (the home is private).
const sourceDir = mkdtempSync(join(tmpdir(), 'drover-bench-wf-src-'));
chmodSync(sourceDir, 0o755);
// The runtime's bounds on container starts (pods.parallelStarts, pods.startsPerSecond), else its defaults.
const pace = {
  ...(values['parallel-starts'] !== undefined ? { DROVER_POD_PARALLEL_STARTS: values['parallel-starts'] } : {}),
  ...(values['starts-per-second'] !== undefined ? { DROVER_POD_STARTS_PER_SECOND: values['starts-per-second'] } : {}),
};
const config = loadConfig({ home, port: 0, capacity: { cpu: '16', memory: '32Gi' } }, { ...process.env, DROVER_LOG_LEVEL: 'error', ...pace });
/** Network namespaces on the machine (each a mount every sandbox start copies) but the floor's own. */
const namespaces = () => {
  try {
    return readdirSync(NETNS_DIR).filter((n) => !n.startsWith(FLOOR_NETNS_PREFIX)).length;
  } catch {
    return 0;
  }
};
const namespacesBefore = namespaces();
const cp = await startControlPlane(config, { logger: silentLogger });
// The pods' cgroups: the runtime's parent for this home, read directly.
const droverCgroups = new Cgroups(detectCgroups()!, defaultCgroupParent(home));
const droverPodsCpuMs = () => droverCgroups.parentCpuNanos() / 1e6;

const fanOut = (name: string, tasks: number, parallelism: number) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: ${name} }
spec:
  entrypoint: main
  parallelism: ${parallelism}
  podGC: { strategy: OnPodSuccess }
  templates:
  - name: main
    dag:
      tasks:
      - { name: fan, template: noop, withSequence: { count: "${tasks}" } }
      - { name: collect, depends: fan, template: noop }
  - name: noop
    container: { image: busybox, command: ["true"] }
`;

const chain = (name: string) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: ${name} }
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
${Array.from({ length: CHAIN }, (_, i) => `    - - { name: s${i}, template: noop }`).join('\n')}
  - name: noop
    container: { image: busybox, command: ["true"] }
`;

const apply = (text: string) => applyManifests(cp, sourceDir, text);

/** CPU time the whole machine spent so far (all processes, the kernel's too), in ms, from /proc/stat. */
function machineCpuMs(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const v = fields.map(Number);
  const busy = v.reduce((a, b) => a + b, 0) - (v[3] ?? 0) - (v[4] ?? 0);
  return (busy * 1000) / 100; // USER_HZ is 100 on Linux
}

/** The server's reconcile counters by controller (from /metrics): runs and seconds. */
async function reconciles(): Promise<Map<string, { runs: number; seconds: number }>> {
  const text = await (await api(cp, '/metrics')).text();
  const out = new Map<string, { runs: number; seconds: number }>();
  for (const m of text.matchAll(/^drover_reconcile_(total|seconds_total)\{controller="([^"]+)"\} ([0-9.]+)$/gm)) {
    const e = out.get(m[2]!) ?? { runs: 0, seconds: 0 };
    if (m[1] === 'total') e.runs = Number(m[3]);
    else e.seconds = Number(m[3]);
    out.set(m[2]!, e);
  }
  return out;
}

async function until(done: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error('the server did not settle in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Until workflow `name`'s pods are deleted (podGC), the runtime has removed every pod's cgroups,
 * and the namespaces kept through the run are given back (SPARE_TRIM_IDLE_MS after the last
 * pod's): a floor run after it must not copy Drover's leftover mounts into each of its sandboxes.
 */
async function quiet(name: string): Promise<void> {
  await until(async () => {
    const list = (await (await api(cp, `/api/v1/namespaces/default/pods?labelSelector=workflows.argoproj.io/workflow%3D${name}&limit=1`)).json()) as { items: unknown[] };
    return list.items.length === 0 && (await droverCgroups.listPods()).length === 0 && namespaces() <= namespacesBefore + SPARE_NAMESPACES;
  }, 120_000 + SPARE_TRIM_IDLE_MS);
}

interface WatchedPod {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { phase?: string };
}

/**
 * Submits a workflow and resolves when it ends, with (`podTimes`) the time each of its pods was
 * first seen Succeeded (ms since submission), read from a pod watch. The fan-outs go without that
 * watch: the client's side of it (parsing every pod event) runs in this process, and would be
 * counted as the server's CPU.
 */
async function run(name: string, text: string, podTimes = false): Promise<{ ms: number; cpuMs: number; podDone: number[]; podNames: string[] }> {
  const podDone = new Map<string, number>();
  const ac = new AbortController();
  const pods = podTimes ? await api(cp, `/api/v1/namespaces/default/pods?watch=true&labelSelector=workflows.argoproj.io/workflow%3D${name}`, { signal: ac.signal }) : undefined;
  // Only the end matters here: a watch of every status write would cost the server (and this
  // process) a serialization of the whole status per write.
  const wfs = await api(cp, `/apis/argoproj.io/v1alpha1/namespaces/default/workflows?watch=true&labelSelector=workflows.argoproj.io/completed%3Dtrue`, { signal: ac.signal });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let finished: (phase: string) => void;
  const ended = new Promise<string>((r) => (finished = r));
  const follow = async (res: Response, onEvent: (e: { type: string; object: never }) => void): Promise<void> => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) if (l) onEvent(JSON.parse(l) as { type: string; object: never });
      }
    } catch {
      /* aborted */
    }
  };
  if (pods) void follow(pods, (e) => {
    const p = e.object as WatchedPod;
    if (p.status?.phase === 'Succeeded' && !podDone.has(p.metadata.name)) podDone.set(p.metadata.name, performance.now() - t0);
  });
  void follow(wfs, (e) => {
    const w = e.object as { metadata: { name: string }; status?: { phase?: string } };
    const phase = w.status?.phase;
    if (w.metadata.name === name && (phase === 'Succeeded' || phase === 'Failed' || phase === 'Error')) finished(phase);
  });
  await apply(text);
  const phase = await ended;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  ac.abort();
  // A run that ended otherwise is still timed, and says so (a sandbox that failed to start on a
  // loaded machine fails its step, as it would in any workflow).
  if (phase !== 'Succeeded') console.log(`workflow ${name} ended ${phase}`);
  const order = [...podDone.entries()].sort((a, b) => a[1] - b[1]);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, podDone: order.map((e) => e[1]), podNames: order.map((e) => e[0]) };
}

/**
 * A step's segments, from the previous step's end to this one's: [label, from mark, to mark];
 * `prev:` marks are the previous step's pod's. The marks are set where the server does the work.
 */
const STEP_SEGMENTS: [string, string, string][] = [
  ['command ended → runtime sees the exit', 'prev:proc.end', 'prev:rt.exit'],
  ['exit seen → pod status Succeeded written', 'prev:rt.exit', 'prev:rt.final'],
  ['status written → controller pass starts', 'prev:rt.final', 'wf.pass'],
  ['pass: read outputs, runPass', 'wf.pass', 'wf.passed'],
  ['workflow status write', 'wf.passed', 'wf.status'],
  ['staging files', 'wf.status', 'wf.staged'],
  ['pod built and created', 'wf.staged', 'wf.created'],
  ['scheduler binds', 'wf.created', 'sched.bound'],
  ['runtime sees the bound pod', 'sched.bound', 'rt.seen'],
  ['prepare: volumes planned', 'rt.seen', 'rt.planned'],
  ['prepare: waiting for the network', 'rt.planned', 'rt.files'],
  ['prepare: volumes written', 'rt.files', 'rt.prepared'],
  ['start turn, environment', 'rt.prepared', 'rt.launch'],
  ['attempt dirs, cgroups, argv', 'rt.launch', 'rt.spawn'],
  ['spawned: helper forks, pid back', 'rt.spawn', 'rt.spawned'],
  ['sandbox + wrapper + command, to its end', 'rt.spawned', 'proc.end'],
];

let floor: Awaited<ReturnType<typeof sandboxSpawner>> | undefined;
try {
  await spawnTrue();
  await run('warm', chain('warm'));

  // Bare `true` for the per-step baseline.
  const bare: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await spawnTrue();
    bare.push(performance.now() - t);
  }
  const bareMs = median(bare);

  const sandboxed = await sandboxSpawner(config);
  floor = sandboxed;
  const rows: string[][] = [];
  const reconcileLines: string[] = [];
  const machineLines: string[] = [];
  const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  for (const { tasks, parallelism } of RUNS) {
    const pods = tasks + 1;
    let t = performance.now();
    await withConcurrency(parallelism, pods, spawnTrue);
    const bareTotal = performance.now() - t;
    // The floor and Drover in turn, ROUNDS times: on a machine shared with other work its speed
    // drifts over minutes, and a ratio of two runs minutes apart moves with it.
    const floorTimes: number[] = [];
    const droverTimes: number[] = [];
    const ratios: number[] = [];
    const serverCpu: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      t = performance.now();
      let m = machineCpuMs();
      let c = sandboxed.podsCpuMs();
      const own = process.cpuUsage();
      await withConcurrency(parallelism, pods, () => sandboxed.run());
      const floorTotal = performance.now() - t;
      await sandboxed.settle();
      const floorMachine = machineCpuMs() - m;
      const floorPods = sandboxed.podsCpuMs() - c;
      const ownUsage = process.cpuUsage(own);
      const floorOwn = (ownUsage.user + ownUsage.system) / 1000;
      const name = `fan-${tasks}-${parallelism}${ROUNDS > 1 ? `-${round}` : ''}`;
      const before = await reconciles();
      m = machineCpuMs();
      c = droverPodsCpuMs();
      const cpu0 = process.cpuUsage();
      const { ms } = await run(name, fanOut(name, tasks, parallelism));
      // The pods' cleanup after the workflow's end is Drover's cost too, and must not land on the next round.
      await quiet(name);
      const cpuUsage = process.cpuUsage(cpu0);
      const cpuMs = (cpuUsage.user + cpuUsage.system) / 1000;
      const droverMachine = machineCpuMs() - m;
      const droverPods = droverPodsCpuMs() - c;
      const after = await reconciles();
      const per = (x: number) => `${(x / pods).toFixed(1)} ms`;
      const split = (u: NodeJS.CpuUsage) => `(${(u.user / 1000 / pods).toFixed(1)} user, ${(u.system / 1000 / pods).toFixed(1)} system)`;
      machineLines.push(`  ${name}: floor ${per(floorMachine)}: this process ${per(floorOwn)} ${split(ownUsage)}, the pods' processes ${per(floorPods)}, the rest ${per(floorMachine - floorOwn - floorPods)}`);
      machineLines.push(`  ${name}: drover ${per(droverMachine)}: the server ${per(cpuMs)} ${split(cpuUsage)}, the pods' processes ${per(droverPods)}, the rest ${per(droverMachine - cpuMs - droverPods)}`);
      const busy = [...after]
        .map(([c, a]) => ({ c, runs: a.runs - (before.get(c)?.runs ?? 0), ms: (a.seconds - (before.get(c)?.seconds ?? 0)) * 1000 }))
        .filter((x) => x.runs > 0)
        .sort((a, b) => b.ms - a.ms);
      reconcileLines.push(`  ${name}: ${busy.map((x) => `${x.c} ${x.runs} runs, ${(x.ms / pods).toFixed(2)} ms/pod`).join('; ')}`);
      floorTimes.push(floorTotal);
      droverTimes.push(ms);
      ratios.push(ms / floorTotal);
      serverCpu.push(cpuMs / pods);
      // The next run starts from an empty store of pods and a quiet server.
      await api(cp, `/apis/argoproj.io/v1alpha1/namespaces/default/workflows/${name}`, { method: 'DELETE' });
      await until(async () => (await api(cp, `/apis/argoproj.io/v1alpha1/namespaces/default/workflows/${name}`)).status === 404);
    }
    const spread = ROUNDS > 1 ? ` (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})` : '';
    rows.push([
      `fan-out/fan-in, ${tasks} tasks, parallelism ${parallelism}`,
      secs(median(droverTimes)),
      secs(median(floorTimes)),
      secs(bareTotal),
      `${median(ratios).toFixed(2)}x${spread}`,
      `${(median(droverTimes) / bareTotal).toFixed(1)}x`,
      `${median(serverCpu).toFixed(1)} ms`,
    ]);
  }
  // The chain's floor: the same sandboxed `true`, one after another.
  const floorSteps: number[] = [];
  for (let i = 0; i < CHAIN; i++) {
    const t = performance.now();
    await sandboxed.run();
    floorSteps.push(performance.now() - t);
  }
  const floorStepMs = median(floorSteps);
  if (sandboxed.failedStarts()) console.log(`(the sandbox floor had ${sandboxed.failedStarts()} failed starts, each tried again)`);
  await sandboxed.stop();
  floor = undefined;

  // The chain, CHAINS times, with the server's marks on: each segment's median over all steps.
  stepTrace.enable();
  const gaps: number[] = [];
  const perChain: number[] = [];
  const segments = new Map<string, number[]>();
  let chainCpu = 0;
  let writes = 0;
  const runtimeWrites: number[] = [];
  const rvNow = async () => Number(((await (await api(cp, '/api/v1/namespaces/default/pods?limit=1')).json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
  for (let r = 0; r < CHAINS; r++) {
    const rv0 = await rvNow();
    const c = await run(`chain-${r}`, chain(`chain-${r}`), true);
    writes += (await rvNow()) - rv0;
    chainCpu += c.cpuMs;
    const g = c.podDone.slice(1).map((v, i) => v - c.podDone[i]!);
    gaps.push(...g);
    perChain.push(median(g));
    const marks = c.podNames.map((n) => stepTrace.get(`default/${n}`) ?? new Map<string, number>());
    for (const m of marks) if (m.has('rt.writes')) runtimeWrites.push(m.get('rt.writes')!);
    for (let i = 1; i < marks.length; i++) {
      const prev = marks[i - 1]!;
      const cur = marks[i]!;
      for (const [label, a, b] of STEP_SEGMENTS) {
        const from = (a.startsWith('prev:') ? prev : cur).get(a.replace(/^prev:/, ''));
        const to = (b.startsWith('prev:') ? prev : cur).get(b.replace(/^prev:/, ''));
        if (from === undefined || to === undefined) continue;
        let list = segments.get(label);
        if (!list) segments.set(label, (list = []));
        list.push(to - from);
      }
    }
    stepTrace.clear();
  }
  const perStep = median(gaps);
  rows.push([`sequential chain, ${CHAIN} steps x ${CHAINS} (median per step)`, `${perStep.toFixed(1)} ms`, `${floorStepMs.toFixed(1)} ms`, `${bareMs.toFixed(1)} ms`, `${(perStep / floorStepMs).toFixed(2)}x`, `${(perStep / bareMs).toFixed(1)}x`, `${(chainCpu / (CHAIN * CHAINS)).toFixed(1)} ms`]);

  const head = ['scenario', 'drover', 'sandbox floor', 'plain spawns', 'vs floor', 'vs plain', 'server CPU per pod'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  if (machineLines.length) console.log(`\nthe machine's CPU per pod (every process and the kernel, from /proc/stat):\n${machineLines.join('\n')}`);
  if (reconcileLines.length) console.log(`\nreconciles during each fan-out, by controller (runs; time in them per pod):\n${reconcileLines.join('\n')}`);
  console.log(`\nmedian overhead per workflow step: ${(perStep - bareMs).toFixed(1)} ms (a step = a sandboxed pod: controller hand-off, scheduling, bwrap, output collection); per chain: ${perChain.map((v) => (v - bareMs).toFixed(1)).join(', ')} ms; over the same sandboxed \`true\` started alone (the floor): ${(perStep - floorStepMs).toFixed(1)} ms`);
  console.log(`store writes per step: ${(writes / (CHAIN * CHAINS)).toFixed(1)} (resourceVersions used, events included); pod status writes by the runtime: ${median(runtimeWrites)}`);
  console.log('\nwhere a step goes (median of each segment, ms; segments overlap nowhere, so their medians add up to about the step):');
  let sum = 0;
  for (const [label] of STEP_SEGMENTS) {
    const list = segments.get(label);
    if (!list?.length) continue;
    const m = median(list);
    sum += m;
    console.log(`  ${label.padEnd(48)} ${m.toFixed(2).padStart(7)}`);
  }
  console.log(`  ${'sum'.padEnd(48)} ${sum.toFixed(2).padStart(7)}`);
} finally {
  // Its cgroups go even when a run failed.
  await floor?.stop();
  await cp.stop();
  rmSync(home, { recursive: true, force: true });
  rmSync(sourceDir, { recursive: true, force: true });
}
