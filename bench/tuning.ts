/**
 * Search-algorithm benchmark: the median over seeds of the best value found after 50 and 200
 * trials, for every algorithm on four problems (five with --against optuna), and suggestion latency.
 *
 *   node dist/bench/tuning.js                 # 20 seeds (a few minutes on 2 cores)
 *   BENCH_QUICK=1 node dist/bench/tuning.js   # 4 seeds, 20/60 trials: a smoke run
 *   BENCH_WORKERS=1 node dist/bench/tuning.js # one thread (default: one per CPU, at most 4)
 *   node dist/bench/tuning.js --against optuna [--seeds N] [--problems branin,mixed] [--pairs multivariate] [--no-latency]
 *     Drover's TPEs side by side with Optuna's (PyPI, run by bench/optuna_side.py in a venv at
 *     ~/.cache/drover/venv-bench, or $DROVER_BENCH_VENV, created when missing), adding
 *     ackley5 (x ∈ [−32.768, 32.768]⁵, minimum 0): median regret [IQR] at 50 and 200 trials.
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
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
];
/** The default mode's problems (ackley5 is only in the side-by-side mode). */
const PROBLEMS = ALL_PROBLEMS.filter((p) => p.name !== 'ackley5');

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
}
interface Outcome extends Task {
  early: number;
  final: number;
  trials: number;
  ms: number;
}

function runTask(task: Task): Outcome {
  const problem = variant(ALL_PROBLEMS.find((p) => p.name === task.problem)!, task.algorithm)!;
  const algorithm = createAlgorithm(task.algorithm, { random_state: String(task.seed), ...extraSettings(task.algorithm) });
  const completed: Observation[] = [];
  let best = Infinity;
  let early = Infinity;
  const start = performance.now();
  for (let t = 0; t < TRIALS; t++) {
    const { assignments } = algorithm.suggest({ parameters: problem.parameters, objectiveType: 'minimize', completed, pending: [], count: 1 });
    const a = assignments[0];
    if (!a) break;
    const value = problem.f(a);
    completed.push({ assignments: a, value });
    best = Math.min(best, value);
    if (t + 1 === EARLY) early = best;
  }
  if (completed.length < EARLY) early = best;
  return { ...task, early, final: best, trials: completed.length, ms: performance.now() - start };
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

const VENV = process.env.DROVER_BENCH_VENV ?? path.join(os.homedir(), '.cache', 'drover', 'venv-bench');

/** The bench's Python, with Optuna from PyPI; creates the venv (outside the repository) when missing. */
function benchPython(): string {
  const python = path.join(VENV, 'bin', 'python');
  const ready = (): boolean => existsSync(python) && spawnSync(python, ['-c', 'import optuna'], { stdio: 'ignore' }).status === 0;
  if (ready()) return python;
  console.log(`creating a Python venv at ${VENV} and installing optuna from PyPI (once)…`);
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', VENV]],
    [python, ['-m', 'pip', 'install', '--quiet', 'optuna']],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
  }
  if (!ready()) throw new Error(`optuna is not importable from ${python}`);
  return python;
}

interface OptunaResult {
  version: string;
  runs: { sampler: string; problem: string; seed: number; best: number[] }[];
  latency: { sampler: string; observations: number; cpu_ms: number; wall_ms: number }[];
}

/** Runs bench/optuna_side.py with a JSON spec on stdin; resolves with its JSON. */
function runOptuna(python: string, spec: object): Promise<OptunaResult> {
  const script = fileURLToPath(new URL('../../bench/optuna_side.py', import.meta.url));
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
  const seeds = Array.from({ length: Number(flag(args, '--seeds') ?? (QUICK ? 4 : 10)) }, (_, i) => i + 1);
  const wanted = flag(args, '--problems')?.split(',');
  const problems = ALL_PROBLEMS.filter((p) => !wanted || wanted.includes(p.name));
  const pairFilter = flag(args, '--pairs');
  const pairs = PAIRS.filter((p) => !pairFilter || p.label.startsWith(pairFilter));
  const withLatency = !args.includes('--no-latency');
  const latencySizes: [number, number][] = QUICK ? [[1000, 3]] : [[1000, 10], [5000, 3]];
  const python = benchPython();
  // Optuna runs in its own process while Drover's runs use the worker threads.
  const optuna = runOptuna(python, {
    samplers: pairs.map((p) => p.optuna),
    problems: problems.map((p) => p.name),
    seeds,
    checkpoints: [EARLY, TRIALS],
    latency: withLatency ? latencySizes : [],
  });
  const tasks = pairs.flatMap((pair) => problems.flatMap((p) => seeds.map((seed) => ({ problem: p.name, algorithm: pair.drover, seed }))));
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
  if (withLatency) {
    console.log('\nSuggestion latency on a Hartmann-6 history (random points), one suggestion, CPU ms (wall ms):');
    for (const pair of pairs) {
      for (const [n, repeat] of latencySizes) {
        const d = latency(pair.drover, n, repeat);
        const o = theirs.latency.find((l) => l.sampler === pair.optuna && l.observations === n);
        console.log(`  ${pair.label.padEnd(17)} ${String(n).padStart(5)} observations: Drover ${d.cpu.toFixed(1)} (${d.wall.toFixed(1)})  Optuna ${o ? `${o.cpu_ms.toFixed(1)} (${o.wall_ms.toFixed(1)})` : '—'}`);
      }
    }
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (isMainThread) {
  const args = process.argv.slice(2);
  const against = flag(args, '--against');
  if (against === undefined) await main();
  else if (against === 'optuna') await againstOptuna(args);
  else throw new Error(`--against ${against}: only optuna is supported`);
} else if ((workerData as { worker?: boolean } | undefined)?.worker) {
  parentPort!.on('message', (t: Task) => parentPort!.postMessage(runTask(t)));
}
