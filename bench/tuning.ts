/**
 * Search-algorithm benchmark: the median over seeds of the best value found after 50 and 200
 * trials, for every algorithm on four problems, and suggestion latency.
 *
 *   node dist/bench/tuning.js                 # 20 seeds (a few minutes on 2 cores)
 *   BENCH_QUICK=1 node dist/bench/tuning.js   # 4 seeds, 20/60 trials: a smoke run
 *   BENCH_WORKERS=1 node dist/bench/tuning.js # one thread (default: one per CPU, at most 4)
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
import os from 'node:os';
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

const PROBLEMS: Problem[] = [
  { name: 'branin', parameters: [dbl('x1', -5, 10), dbl('x2', 0, 15)], f: branin },
  { name: 'hartmann6', parameters: [0, 1, 2, 3, 4, 5].map((i) => dbl(`x${i}`, 0, 1)), f: hartmann6 },
  { name: 'rosenbrock4', parameters: [0, 1, 2, 3].map((i) => dbl(`x${i}`, -5, 10)), f: rosenbrock4 },
  { name: 'mixed', parameters: mixedParameters, f: mixedLoss },
];

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
  const problem = variant(PROBLEMS.find((p) => p.name === task.problem)!, task.algorithm)!;
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
  const workers = Math.max(1, Number(process.env.BENCH_WORKERS ?? Math.min(4, os.cpus().length)));
  const outcomes: Outcome[] = [];
  if (workers === 1) {
    for (const t of tasks) outcomes.push(runTask(t));
  } else {
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
  }
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

if (isMainThread) {
  await main();
} else if ((workerData as { worker?: boolean } | undefined)?.worker) {
  parentPort!.on('message', (t: Task) => parentPort!.postMessage(runTask(t)));
}
