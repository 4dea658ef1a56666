/**
 * Search-algorithm benchmark: the median over seeds of the best value found after 50 and 200
 * trials, for every algorithm on four problems (five with --against optuna), and suggestion latency.
 *
 *   node dist/bench/tuning.js                 # 20 seeds (a few minutes on 2 cores)
 *   BENCH_QUICK=1 node dist/bench/tuning.js   # 4 seeds, 20/60 trials: a smoke run
 *   BENCH_WORKERS=1 node dist/bench/tuning.js # one thread (default: one per CPU, at most 4)
 *   node dist/bench/tuning.js --against optuna [--seeds N] [--first-seed K] [--problems branin,mixed]
 *       [--pairs multivariate,univariate,cmaes] [--no-latency] [--no-gp-latency] [--drover-settings k=v,…]
 *     Drover beside Optuna 5.1 (bench/optuna_side.py in the venv of scripts/python-clients.sh, or
 *     $DROVER_BENCH_PYTHON), adding ackley5 (x ∈ [−32.768, 32.768]⁵, minimum 0) and
 *     hartmann6-noisy (noise sd 0.1, scored at the incumbent's true value): median regret [IQR] at
 *     50 and 200 trials, win/tie/loss, latency beside Optuna (TPE) and scikit-optimize (GP).
 *   node dist/bench/tuning.js --parallel [--seeds N] [--trials N] [--problems …] [--algorithms …]
 *     regret at parallelTrialCount 1/4/8 with the running trials handed to the model and without.
 *
 * Problems (all minimised):
 * - branin: x1 ∈ [−5, 10], x2 ∈ [0, 15]; minimum 0.397887.
 * - hartmann6: x ∈ [0, 1]⁶; minimum −3.32237.
 * - rosenbrock4: x ∈ [−5, 10]⁴; minimum 0.
 * - mixed: a made-up training loss over optimizer (categorical sgd/adam/rmsprop),
 *   lr (double, logUniform 1e−5..1), layers (int 1..8), dropout (double 0..0.8) and batch_size
 *   (discrete 16..256):
 *     loss = offset[opt] + 0.4·(log10 lr − best_lr[opt])² + 0.05·(layers − 5)²
 *            + 2·(dropout − 0.25)² + 0.1·(log2 batch_size − 6)²
 *   with best_lr = {sgd −1.5, adam −3.3, rmsprop −2.7}, offset = {0.25, 0, 0.1}; minimum 0.
 *   Hyperband adds epochs (int 1..81, r_l=81, eta=3) and sees loss + 0.5·(1/epochs − 1/81):
 *   a config's value reaches its loss only at full resource. Its 206-trial schedule is cut at 200.
 * grid runs on branin with step 1.25 on both axes (169 points, shuffled by random_state).
 * tpe, multivariate-tpe and bayesianoptimization must beat random's median at 200 trials on
 * every problem (PASS/FAIL column); the process exits 1 when one does not.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os, { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { createAlgorithm, type Assignments, type Observation, type ParameterSpec } from '../src/tuning/index.js';

const QUICK = process.env.BENCH_QUICK === '1';
const SEEDS = QUICK ? 4 : 20;
const EARLY = QUICK ? 20 : 50;
const TRIALS = QUICK ? 60 : 200;

interface Problem {
  name: string;
  parameters: ParameterSpec[];
  f: (a: Assignments) => number;
  /** Standard deviation of Gaussian noise added to what the algorithm observes (regret uses f itself). */
  noise?: number;
}

const dbl = (name: string, min: number, max: number, extra: Partial<ParameterSpec['feasibleSpace']> = {}): ParameterSpec => ({
  name,
  parameterType: 'double',
  feasibleSpace: { min: String(min), max: String(max), ...extra },
});

function branin(a: Assignments): number {
  const x1 = Number(a.x1);
  const x2 = Number(a.x2);
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
}

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
function hartmann6(a: Assignments): number {
  const x = [0, 1, 2, 3, 4, 5].map((i) => Number(a[`x${i}`]));
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += H_A[i]![j]! * (x[j]! - H_P[i]![j]! * 1e-4) ** 2;
    s -= H_ALPHA[i]! * Math.exp(-inner);
  }
  return s;
}

function rosenbrock4(a: Assignments): number {
  const x = [0, 1, 2, 3].map((i) => Number(a[`x${i}`]));
  let s = 0;
  for (let i = 0; i < 3; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
  return s;
}

const BEST_LR: Record<string, number> = { sgd: -1.5, adam: -3.3, rmsprop: -2.7 };
const OFFSET: Record<string, number> = { sgd: 0.25, adam: 0, rmsprop: 0.1 };
function ackley5(a: Assignments): number {
  const x = [0, 1, 2, 3, 4].map((i) => Number(a[`x${i}`]));
  const n = x.length;
  const squares = x.reduce((s, v) => s + v * v, 0) / n;
  const cosines = x.reduce((s, v) => s + Math.cos(2 * Math.PI * v), 0) / n;
  return -20 * Math.exp(-0.2 * Math.sqrt(squares)) - Math.exp(cosines) + 20 + Math.E;
}

function mixedLoss(a: Assignments): number {
  const opt = a.optimizer!;
  return (
    OFFSET[opt]! +
    0.4 * (Math.log10(Number(a.lr)) - BEST_LR[opt]!) ** 2 +
    0.05 * (Number(a.layers) - 5) ** 2 +
    2 * (Number(a.dropout) - 0.25) ** 2 +
    0.1 * (Math.log2(Number(a.batch_size)) - 6) ** 2
  );
}
const mixedParameters: ParameterSpec[] = [
  { name: 'optimizer', parameterType: 'categorical', feasibleSpace: { list: ['sgd', 'adam', 'rmsprop'] } },
  dbl('lr', 1e-5, 1, { distribution: 'logUniform' }),
  { name: 'layers', parameterType: 'int', feasibleSpace: { min: '1', max: '8' } },
  dbl('dropout', 0, 0.8),
  { name: 'batch_size', parameterType: 'discrete', feasibleSpace: { list: ['16', '32', '64', '128', '256'] } },
];

const ALL_PROBLEMS: (Problem & { minimum: number })[] = [
  { name: 'branin', parameters: [dbl('x1', -5, 10), dbl('x2', 0, 15)], f: branin, minimum: 0.397887 },
  { name: 'hartmann6', parameters: [0, 1, 2, 3, 4, 5].map((i) => dbl(`x${i}`, 0, 1)), f: hartmann6, minimum: -3.32237 },
  { name: 'rosenbrock4', parameters: [0, 1, 2, 3].map((i) => dbl(`x${i}`, -5, 10)), f: rosenbrock4, minimum: 0 },
  { name: 'ackley5', parameters: [0, 1, 2, 3, 4].map((i) => dbl(`x${i}`, -32.768, 32.768)), f: ackley5, minimum: 0 },
  { name: 'mixed', parameters: mixedParameters, f: mixedLoss, minimum: 0 },
  // Noise sd 0.1 is 3% of Hartmann-6's depth: the incumbent must be good, not a lucky draw.
  { name: 'hartmann6-noisy', parameters: [0, 1, 2, 3, 4, 5].map((i) => dbl(`x${i}`, 0, 1)), f: hartmann6, minimum: -3.32237, noise: 0.1 },
];
/** The default mode's problems (ackley5 is only in the side-by-side mode). */
const PROBLEMS = ALL_PROBLEMS.filter((p) => p.name !== 'ackley5' && p.noise === undefined);

/** Variants of a problem for algorithms that need a different space. */
function variant(problem: Problem, algorithm: string): Problem | undefined {
  if (algorithm === 'grid') {
    if (problem.name !== 'branin') return undefined;
    return { ...problem, parameters: [dbl('x1', -5, 10, { step: '1.25' }), dbl('x2', 0, 15, { step: '1.25' })] };
  }
  if (algorithm === 'hyperband') {
    if (problem.name !== 'mixed') return undefined;
    return {
      ...problem,
      parameters: [...mixedParameters, { name: 'epochs', parameterType: 'int', feasibleSpace: { min: '1', max: '81' } }],
      f: (a) => mixedLoss(a) + 0.5 * (1 / Number(a.epochs) - 1 / 81),
    };
  }
  return problem;
}

const ALGORITHMS = ['random', 'grid', 'sobol', 'tpe', 'multivariate-tpe', 'bayesianoptimization', 'cmaes', 'hyperband'];
const MUST_BEAT_RANDOM = new Set(['tpe', 'multivariate-tpe', 'bayesianoptimization']);

function extraSettings(algorithm: string): Record<string, string> {
  return algorithm === 'hyperband' ? { r_l: '81', eta: '3', resource_name: 'epochs' } : {};
}

interface Task {
  problem: string;
  algorithm: string;
  seed: number;
  /** Extra algorithm settings (--drover-settings k=v,…), for trying a variant against Optuna. */
  settings?: Record<string, string>;
  /** Trials running at once (parallelTrialCount); 1 = sequential ask/tell. */
  parallel?: number;
  /** false: the algorithm's models ignore running trials (see AlgorithmOptions.pendingAware). */
  pendingAware?: boolean;
  /** Trial budget when not the mode's default. */
  trials?: number;
}
interface Outcome extends Task {
  early: number;
  final: number;
  trials: number;
  ms: number;
}

/** A seeded uniform stream (mulberry32) for the noisy objective's noise. */
function noiseStream(seed: number): () => number {
  let a = (seed * 0x9e3779b1) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * One search: `parallel` trials run at once (the oldest finishes first, then its slot is refilled,
 * as an Experiment with parallelTrialCount does); the algorithm sees the running ones as pending.
 * The result is the true value of the incumbent (the trial with the best observed value): with
 * noise, a lucky draw does not count as found.
 */
function runTask(task: Task): Outcome {
  const problem = variant(ALL_PROBLEMS.find((p) => p.name === task.problem)!, task.algorithm)!;
  const algorithm = createAlgorithm(
    task.algorithm,
    { random_state: String(task.seed), ...extraSettings(task.algorithm), ...task.settings },
    { pendingAware: task.pendingAware ?? true },
  );
  const parallel = task.parallel ?? 1;
  const budget = task.trials ?? TRIALS;
  const early = Math.min(EARLY, budget);
  const uniform = noiseStream(task.seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const completed: Observation[] = [];
  const running: { a: Assignments; truth: number; observed: number }[] = [];
  let created = 0;
  let bestObserved = Infinity;
  let incumbent = Infinity;
  let atEarly = Infinity;
  const start = performance.now();
  for (;;) {
    while (running.length < parallel && created < budget) {
      const pending = running.map((r) => r.a);
      const a = algorithm.suggest({ parameters: problem.parameters, objectiveType: 'minimize', completed, pending, count: 1 }).assignments[0];
      if (!a) break;
      const truth = problem.f(a);
      running.push({ a, truth, observed: truth + (problem.noise ?? 0) * gaussian() });
      created++;
    }
    const done = running.shift();
    if (!done) break;
    completed.push({ assignments: done.a, value: done.observed });
    if (done.observed < bestObserved) {
      bestObserved = done.observed;
      incumbent = done.truth;
    }
    if (completed.length === early) atEarly = incumbent;
  }
  if (completed.length < early) atEarly = incumbent;
  return { ...task, early: atEarly, final: incumbent, trials: completed.length, ms: performance.now() - start };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toFixed(a < 1 ? 4 : a < 100 ? 3 : 1);
}

/**
 * Mean wall and CPU ms per suggestion over `repeat` calls, each with a fresh algorithm (no
 * cached fits) unless `warm`. CPU time is the steadier number on a shared machine.
 */
function latency(algorithm: string, observations: number, repeat: number, warm = false): { wall: number; cpu: number } {
  const problem = PROBLEMS.find((p) => p.name === 'hartmann6')!;
  const rng = createAlgorithm('random', { random_state: '99' });
  const completed: Observation[] = rng
    .suggest({ parameters: problem.parameters, objectiveType: 'minimize', completed: [], pending: [], count: observations })
    .assignments.map((a) => ({ assignments: a, value: problem.f(a) }));
  let total = 0;
  let cpu = 0;
  // One untimed call first: the timed ones measure the algorithm, not the JIT's first compile.
  createAlgorithm(algorithm, { random_state: '0' }).suggest({ parameters: problem.parameters, objectiveType: 'minimize', completed, pending: [], count: 1 });
  const shared = createAlgorithm(algorithm, { random_state: '1' });
  if (warm) shared.suggest({ parameters: problem.parameters, objectiveType: 'minimize', completed, pending: [], count: 1 });
  for (let i = 0; i < repeat; i++) {
    const alg = warm ? shared : createAlgorithm(algorithm, { random_state: String(i + 1) });
    // Vary the request a little: a running trial more each time (its fit data stay the same).
    const pending = completed.slice(0, i).map((o) => ({ ...o.assignments, x0: String(Number(o.assignments.x0) / 2) }));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    alg.suggest({ parameters: problem.parameters, objectiveType: 'minimize', completed, pending, count: 1 });
    total += performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1000;
  }
  return { wall: total / repeat, cpu: cpu / repeat };
}

function workerCount(): number {
  return Math.max(1, Number(process.env.BENCH_WORKERS ?? Math.min(4, os.cpus().length)));
}

/** Runs the tasks on `workers` threads (this module again, as a worker), or inline for one. */
async function runAll(tasks: readonly Task[], workers: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  if (workers === 1) {
    for (const t of tasks) outcomes.push(runTask(t));
    return outcomes;
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(fileURLToPath(import.meta.url), { workerData: { worker: true } });
        const feed = (): void => {
          if (next < tasks.length) w.postMessage(tasks[next++]);
          else void w.terminate().then(() => resolve());
        };
        w.on('message', (o: Outcome) => {
          outcomes.push(o);
          feed();
        });
        w.on('error', reject);
        feed();
      }),
    ),
  );
  return outcomes;
}

async function main(): Promise<void> {
  const started = performance.now();
  const tasks: Task[] = [];
  for (const problem of PROBLEMS) {
    for (const algorithm of ALGORITHMS) {
      if (!variant(problem, algorithm)) continue;
      for (let seed = 1; seed <= SEEDS; seed++) tasks.push({ problem: problem.name, algorithm, seed });
    }
  }
  // Slow tasks first so the workers finish together.
  tasks.sort((a, b) => Number(b.algorithm === 'bayesianoptimization') - Number(a.algorithm === 'bayesianoptimization'));
  const workers = workerCount();
  const outcomes = await runAll(tasks, workers);
  const searchSeconds = (performance.now() - started) / 1000;

  const rows: string[][] = [['function', 'algorithm', `best@${EARLY}`, `best@${TRIALS}`, 'trials', 's/run', `vs random@${TRIALS}`]];
  let failed = false;
  for (const problem of PROBLEMS) {
    const of = (alg: string): Outcome[] => outcomes.filter((o) => o.problem === problem.name && o.algorithm === alg);
    const randomFinal = median(of('random').map((o) => o.final));
    for (const algorithm of ALGORITHMS) {
      const os_ = of(algorithm);
      if (os_.length === 0) continue;
      const final = median(os_.map((o) => o.final));
      let verdict = '';
      if (MUST_BEAT_RANDOM.has(algorithm)) {
        const pass = final < randomFinal;
        if (!pass) failed = true;
        verdict = pass ? 'PASS' : 'FAIL';
      } else if (algorithm !== 'random') verdict = final < randomFinal ? 'better' : 'not better';
      rows.push([
        problem.name,
        algorithm,
        fmt(median(os_.map((o) => o.early))),
        fmt(final),
        String(Math.round(median(os_.map((o) => o.trials)))),
        (median(os_.map((o) => o.ms)) / 1000).toFixed(2),
        verdict,
      ]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Tuning benchmark: median over ${SEEDS} seeds of the best value (minimised), ${os.cpus().length} × ${cpu}, ${workers} worker thread(s)`);
  for (const r of rows) console.log(r.map((v, c) => (c < 2 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  '));
  console.log(`search runs: ${searchSeconds.toFixed(1)} s wall`);

  console.log('\nSuggestion latency on a Hartmann-6 history, per suggestion: wall ms (CPU ms), a fresh algorithm each call:');
  const lat: [string, number, number][] = QUICK
    ? [['tpe', 1000, 5], ['multivariate-tpe', 1000, 5], ['bayesianoptimization', 200, 2]]
    : [['tpe', 1000, 20], ['tpe', 5000, 10], ['multivariate-tpe', 1000, 20], ['multivariate-tpe', 5000, 10], ['bayesianoptimization', 200, 5], ['bayesianoptimization', 500, 3]];
  const show = (l: { wall: number; cpu: number }): string => `${l.wall.toFixed(1).padStart(6)} ms (${l.cpu.toFixed(1)})`;
  for (const [alg, n, repeat] of lat) {
    const warm = alg === 'bayesianoptimization' ? `   hyperparameters already fitted: ${show(latency(alg, n, repeat, true))}` : '';
    console.log(`  ${alg.padEnd(21)} ${String(n).padStart(5)} observations: ${show(latency(alg, n, repeat))}${warm}`);
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (failed) {
    console.log('FAIL: a model-based algorithm did not beat random search');
    process.exitCode = 1;
  }
}

/** Quantile with linear interpolation between order statistics (numpy's default). */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = q * (s.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (at - lo) * (s[hi]! - s[lo]!);
}

interface Spread {
  median: number;
  q1: number;
  q3: number;
}
const spread = (xs: readonly number[]): Spread => ({ median: quantile(xs, 0.5), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75) });

/** Tie when each median lies inside the other's interquartile range; otherwise the lower median wins. */
function verdict(ours: Spread, theirs: Spread): 'win' | 'tie' | 'loss' {
  const inside = (v: number, s: Spread): boolean => v >= s.q1 && v <= s.q3;
  if (inside(ours.median, theirs) && inside(theirs.median, ours)) return 'tie';
  return ours.median < theirs.median ? 'win' : ours.median > theirs.median ? 'loss' : 'tie';
}

/**
 * The bench's Python: $DROVER_BENCH_PYTHON, else the project's client venv
 * (scripts/python-clients.sh ensure, which installs optuna and scikit-optimize from PyPI once,
 * pinned in test/python/requirements.txt).
 */
function benchPython(): string {
  const given = process.env.DROVER_BENCH_PYTHON;
  let python: string;
  if (given) python = given;
  else {
    const script = fileURLToPath(new URL('../../scripts/python-clients.sh', import.meta.url));
    const r = spawnSync('bash', [script, 'ensure'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scripts/python-clients.sh ensure failed (exit ${r.status ?? r.signal})`);
    python = r.stdout.trim().split('\n').pop()!;
  }
  if (!existsSync(python) || spawnSync(python, ['-c', 'import optuna'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`optuna is not importable from ${python}`);
  }
  return python;
}

interface OptunaResult {
  version: string;
  runs: { sampler: string; problem: string; seed: number; best: number[] }[];
  latency: { sampler: string; observations: number; cpu_ms: number; wall_ms: number }[];
}

/** Runs bench/optuna_side.py with a JSON spec on stdin; resolves with its JSON. */
/**
 * Optuna's side. Its regret runs are deterministic (seeded samplers, the same script), so without
 * latency runs (which are measurements of this run, never reused) they are cached by the hash of
 * the request, the script and the interpreter: trying Drover variants then costs Drover's side only.
 */
async function runOptuna(python: string, spec: { latency: unknown[]; [key: string]: unknown }): Promise<OptunaResult> {
  const script = fileURLToPath(new URL('../../bench/optuna_side.py', import.meta.url));
  const cacheable = spec.latency.length === 0 && !process.argv.includes('--no-cache');
  const key = createHash('sha256').update(JSON.stringify(spec)).update(readFileSync(script)).update(python).digest('hex').slice(0, 16);
  const cached = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'drover', 'bench-optuna', `${key}.json`);
  if (cacheable && existsSync(cached)) {
    console.error(`Optuna's runs: from ${cached} (--no-cache to run them again)`);
    return JSON.parse(readFileSync(cached, 'utf8')) as OptunaResult;
  }
  const result = await spawnOptuna(python, script, spec);
  if (cacheable) {
    mkdirSync(dirname(cached), { recursive: true });
    writeFileSync(cached, JSON.stringify(result));
  }
  return result;
}

function spawnOptuna(python: string, script: string, spec: object): Promise<OptunaResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as OptunaResult) : reject(new Error(`optuna_side.py exited ${code}`))));
    child.stdin.end(JSON.stringify(spec));
  });
}

/** Drover's algorithm and the Optuna sampler it is compared with. */
const PAIRS: { drover: string; optuna: string; label: string }[] = [
  { drover: 'multivariate-tpe', optuna: 'tpe-multivariate', label: 'multivariate TPE' },
  { drover: 'tpe', optuna: 'tpe-univariate', label: 'univariate TPE' },
  { drover: 'cmaes', optuna: 'cmaes', label: 'CMA-ES' },
];

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * `--against optuna`: Drover's TPEs and Optuna's on the same five functions, seeds and budgets,
 * sequential ask/tell; median final regret [interquartile range], a verdict per cell, and the
 * goal of issue 18 (Drover's multivariate TPE ≤ Optuna's median at the full budget, within its
 * IQR at the early one). Options: --seeds N (10), --problems a,b, --pairs multivariate|univariate,
 * --no-latency.
 */
async function againstOptuna(args: readonly string[]): Promise<void> {
  const started = performance.now();
  const firstSeed = Number(flag(args, '--first-seed') ?? 1);
  const seeds = Array.from({ length: Number(flag(args, '--seeds') ?? (QUICK ? 4 : 10)) }, (_, i) => i + firstSeed);
  const wanted = flag(args, '--problems')?.split(',');
  const problems = ALL_PROBLEMS.filter((p) => !wanted || wanted.includes(p.name));
  const pairFilter = flag(args, '--pairs')?.split(',');
  const pairs = PAIRS.filter((p) => !pairFilter || pairFilter.some((f) => p.label.toLowerCase().startsWith(f.toLowerCase())));
  const withLatency = !args.includes('--no-latency');
  // [Drover's algorithm, the Python side's sampler, observations, repeats]: TPEs at 1,000/5,000,
  // the GP beside scikit-optimize's gp_minimize (Optuna's GPSampler needs PyTorch) at 200/500.
  const latencyRuns: [string, string, number, number][] = withLatency
    ? [
        ...pairs.filter((p) => p.drover.includes('tpe')).flatMap((p): [string, string, number, number][] => [[p.drover, p.optuna, 1000, QUICK ? 3 : 10], ...(QUICK ? [] : [[p.drover, p.optuna, 5000, 3] as [string, string, number, number]])]),
        // skopt takes seconds to tens of seconds per suggestion here: one timed call each.
        ...(args.includes('--no-gp-latency') ? [] : ([['bayesianoptimization', 'skopt-gp', 200, 1], ...(QUICK ? [] : [['bayesianoptimization', 'skopt-gp', 500, 1]])] as [string, string, number, number][])),
      ]
    : [];
  const python = benchPython();
  // Optuna runs in its own process while Drover's runs use the worker threads.
  const optuna = runOptuna(python, {
    samplers: pairs.map((p) => p.optuna),
    problems: problems.map((p) => p.name),
    seeds,
    checkpoints: [EARLY, TRIALS],
    latency: latencyRuns.map(([, sampler, n, repeat]) => [sampler, n, repeat]),
  });
  const settings = Object.fromEntries((flag(args, '--drover-settings') ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
  const tasks = pairs.flatMap((pair) => problems.flatMap((p) => seeds.map((seed) => ({ problem: p.name, algorithm: pair.drover, seed, settings }))));
  const ours = await runAll(tasks, workerCount());
  const theirs = await optuna;

  console.log(`Drover vs Optuna ${theirs.version}: final regret (best value − minimum), median [IQR] over ${seeds.length} seeds, sequential ask/tell`);
  console.log('verdict: tie when each median lies inside the other\'s IQR, else the lower median wins');
  const rows: string[][] = [['pair', 'function', 'trials', 'Drover', 'Optuna', 'verdict']];
  const tally = new Map<string, Record<'win' | 'tie' | 'loss', number>>();
  const goalMisses: string[] = [];
  const cell = (s: Spread): string => `${fmt(s.median)} [${fmt(s.q1)}, ${fmt(s.q3)}]`;
  for (const pair of pairs) {
    const t = { win: 0, tie: 0, loss: 0 };
    tally.set(pair.label, t);
    for (const problem of problems) {
      for (const [k, budget] of [EARLY, TRIALS].entries()) {
        const d = spread(ours.filter((o) => o.algorithm === pair.drover && o.problem === problem.name).map((o) => (k === 0 ? o.early : o.final) - problem.minimum));
        const o = spread(theirs.runs.filter((r) => r.sampler === pair.optuna && r.problem === problem.name).map((r) => r.best[k]! - problem.minimum));
        const v = verdict(d, o);
        t[v]++;
        rows.push([pair.label, problem.name, String(budget), cell(d), cell(o), v]);
        if (pair.drover === 'multivariate-tpe' && (k === 0 ? d.median > o.q3 : d.median > o.median)) goalMisses.push(`${problem.name}@${budget}`);
      }
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((v, c) => (c < 2 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  '));
  for (const [label, t] of tally) console.log(`${label}: ${t.win} win, ${t.tie} tie, ${t.loss} loss (Drover vs Optuna)`);
  if (pairs.some((p) => p.drover === 'multivariate-tpe')) {
    console.log(
      goalMisses.length === 0
        ? `goal met: Drover's multivariate TPE ≤ Optuna's median at ${TRIALS} trials and within its IQR at ${EARLY}`
        : `goal missed at ${goalMisses.join(', ')} (needs ≤ Optuna's median at ${TRIALS}, ≤ its upper quartile at ${EARLY})`,
    );
  }
  if (latencyRuns.length > 0) {
    console.log('\nSuggestion latency on a Hartmann-6 history (random points), one suggestion from a fresh sampler, CPU ms (wall ms):');
    const lrows: string[][] = [['algorithm', 'observations', 'Drover', 'Python', 'Drover/Python (CPU)']];
    for (const [drover, sampler, n, repeat] of latencyRuns) {
      const d = latency(drover, n, repeat);
      const o = theirs.latency.find((l) => l.sampler === sampler && l.observations === n);
      const label = PAIRS.find((p) => p.drover === drover)?.label ?? 'GP (bayesianoptimization)';
      lrows.push([
        label,
        String(n),
        `${d.cpu.toFixed(1)} (${d.wall.toFixed(1)})`,
        o ? `${sampler === 'skopt-gp' ? 'skopt' : 'Optuna'} ${o.cpu_ms.toFixed(1)} (${o.wall_ms.toFixed(1)})` : '—',
        o ? (d.cpu / o.cpu_ms).toPrecision(2) : '—',
      ]);
    }
    const lw = lrows[0]!.map((_, c) => Math.max(...lrows.map((r) => r[c]!.length)));
    for (const r of lrows) console.log('  ' + r.map((v, c) => (c < 1 ? v.padEnd(lw[c]!) : v.padStart(lw[c]!))).join('  '));
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * `--parallel`: regret when trials run in parallel (parallelTrialCount 1, 4, 8) for the same
 * budget, with the running trials handed to the models (constant liar: TPE puts them in the bad
 * group, the GP at the worst loss seen) and without (the models ignore them, as Optuna's
 * constant_liar=False; they are still never suggested twice). CMA-ES has no liar: it hands out
 * the members of its current generation and waits for them, so it has one row per level.
 * Options: --seeds N (10), --trials N (100), --problems a,b (branin,hartmann6,mixed),
 * --algorithms a,b (multivariate-tpe,tpe,bayesianoptimization,cmaes).
 */
async function parallelMode(args: readonly string[]): Promise<void> {
  const started = performance.now();
  const seeds = Array.from({ length: Number(flag(args, '--seeds') ?? (QUICK ? 4 : 10)) }, (_, i) => i + 1);
  const trials = Number(flag(args, '--trials') ?? (QUICK ? 40 : 100));
  const problems = (flag(args, '--problems') ?? 'branin,hartmann6,mixed').split(',');
  const algorithms = (flag(args, '--algorithms') ?? 'multivariate-tpe,tpe,bayesianoptimization,cmaes').split(',');
  const levels = [1, 4, 8];
  const tasks: Task[] = [];
  for (const algorithm of algorithms) {
    for (const problem of problems) {
      for (const parallel of levels) {
        for (const aware of algorithm === 'cmaes' || parallel === 1 ? [true] : [true, false]) {
          for (const seed of seeds) tasks.push({ problem, algorithm, seed, parallel, pendingAware: aware, trials });
        }
      }
    }
  }
  tasks.sort((a, b) => Number(b.algorithm === 'bayesianoptimization') - Number(a.algorithm === 'bayesianoptimization'));
  const outcomes = await runAll(tasks, workerCount());
  console.log(`Regret at parallelTrialCount 1/4/8, ${trials} trials in all, median [IQR] over ${seeds.length} seeds (the oldest running trial finishes first)`);
  console.log('"liar": running trials are handed to the model; "ignored": the model leaves them out (never suggested twice either way)');
  const rows: string[][] = [['algorithm', 'function', 'parallel 1', 'parallel 4 liar', 'parallel 4 ignored', 'parallel 8 liar', 'parallel 8 ignored']];
  const cell = (xs: number[]): string => {
    if (xs.length === 0) return '—';
    const s = spread(xs);
    return `${fmt(s.median)} [${fmt(s.q1)}, ${fmt(s.q3)}]`;
  };
  for (const algorithm of algorithms) {
    for (const name of problems) {
      const minimum = ALL_PROBLEMS.find((p) => p.name === name)!.minimum;
      const of = (parallel: number, aware: boolean): number[] =>
        outcomes.filter((o) => o.algorithm === algorithm && o.problem === name && o.parallel === parallel && o.pendingAware === aware).map((o) => o.final - minimum);
      rows.push([algorithm, name, cell(of(1, true)), cell(of(4, true)), cell(of(4, false)), cell(of(8, true)), cell(of(8, false))]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((v, c) => (c < 2 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  '));
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (isMainThread) {
  const args = process.argv.slice(2);
  const against = flag(args, '--against');
  if (args.includes('--parallel')) await parallelMode(args);
  else if (against === undefined) await main();
  else if (against === 'optuna') await againstOptuna(args);
  else throw new Error(`--against ${against}: only optuna is supported`);
} else if ((workerData as { worker?: boolean } | undefined)?.worker) {
  parentPort!.on('message', (t: Task) => parentPort!.postMessage(runTask(t)));
}
