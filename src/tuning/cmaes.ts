/**
 * CMA-ES (Hansen's (μ/μ_w, λ) with rank-one and rank-μ updates, cumulative step-size
 * adaptation) with IPOP and BIPOP restarts, on the [0, 1] coordinates of the numeric
 * parameters. Categorical and discrete parameters are drawn at random, as Katib's goptuna
 * CMA-ES sampler does.
 *
 * There is no stored optimizer state. Each request replays the whole run: generation g's
 * members are sampled from seeded streams (run, g, member), looked up among the finished trials
 * by their assignments, and told when all λ are known; the first generation with members not
 * yet tried yields the suggestions. A member equal to a point tried before (ints and steps
 * make that common near convergence) reuses that trial's value instead of running it again.
 * A failed member is replaced by the next member of its generation. A generation's members
 * that are already running make the caller wait (fewer suggestions than asked).
 *
 * Restarts (ipop, bipop) start when a run stops: flat values over 10 + ⌈30n/λ⌉ generations
 * (tolfun 1e-12), a step size below tolx (1e-12, or a quarter of the grid spacing for stepped
 * parameters), a condition number above 1e14, or 10 generations in a row that only revisit
 * points. IPOP doubles λ each restart; BIPOP alternates large (doubling) and small (random λ
 * and σ) regimes by evaluations spent. New runs start at a random mean with σ = sigma.
 * Without restarts a stuck run hands over to random sampling.
 */
import type { History } from './history.js';
import { Batch } from './history.js';
import { Rng, Stream } from './rng.js';
import { symmetricEigen } from './linalg.js';
import type { NumericDim } from './space.js';
import { suggestPoints } from './suggest-points.js';
import type { SuggestResult } from './types.js';

export type RestartStrategy = 'none' | 'ipop' | 'bipop';

export interface CmaOptions {
  /** Initial step size on the [0, 1] coordinates (default 1/6, Optuna's range/6). */
  sigma0: number;
  restart: RestartStrategy;
}

const TOLFUN = 1e-12;
const TOLX = 1e-12;
const MAX_CONDITION = 1e14;
const STALE_LIMIT = 10;
const MAX_GENERATIONS = 100_000;
const MAX_RUNS = 12;

class Run {
  readonly n: number;
  readonly mu: number;
  readonly weights: Float64Array;
  readonly mueff: number;
  readonly cc: number;
  readonly cs: number;
  readonly c1: number;
  readonly cmu: number;
  readonly damps: number;
  readonly chiN: number;
  readonly pc: Float64Array;
  readonly ps: Float64Array;
  c: Float64Array;
  b: Float64Array;
  d: Float64Array;
  gen = 0;
  evaluations = 0;
  readonly bests: number[] = [];

  constructor(
    readonly index: number,
    readonly lambda: number,
    public mean: Float64Array,
    public sigma: number,
    readonly large: boolean,
  ) {
    const n = mean.length;
    this.n = n;
    this.mu = Math.floor(lambda / 2);
    const raw = Array.from({ length: this.mu }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
    const sum = raw.reduce((a, b) => a + b, 0);
    this.weights = Float64Array.from(raw, (w) => w / sum);
    this.mueff = 1 / this.weights.reduce((a, w) => a + w * w, 0);
    this.cc = (4 + this.mueff / n) / (n + 4 + (2 * this.mueff) / n);
    this.cs = (this.mueff + 2) / (n + this.mueff + 5);
    this.c1 = 2 / ((n + 1.3) ** 2 + this.mueff);
    this.cmu = Math.min(1 - this.c1, (2 * (this.mueff - 2 + 1 / this.mueff)) / ((n + 2) ** 2 + this.mueff));
    this.damps = 1 + 2 * Math.max(0, Math.sqrt((this.mueff - 1) / (n + 1)) - 1) + this.cs;
    this.chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    this.pc = new Float64Array(n);
    this.ps = new Float64Array(n);
    this.c = new Float64Array(n * n);
    this.b = new Float64Array(n * n);
    this.d = new Float64Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      this.c[i * n + i] = 1;
      this.b[i * n + i] = 1;
    }
  }

  /** One member: x = m + σ·B·D·z, redrawn up to 10 times when outside [0, 1], then clipped. */
  sample(rng: Rng): Float64Array {
    const { n } = this;
    const x = new Float64Array(n);
    for (let tries = 0; tries < 10; tries++) {
      const z = Array.from({ length: n }, () => rng.normal());
      let inside = true;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += this.b[i * n + k]! * this.d[k]! * z[k]!;
        x[i] = this.mean[i]! + this.sigma * s;
        if (x[i]! < 0 || x[i]! > 1) inside = false;
      }
      if (inside) return x;
    }
    for (let i = 0; i < n; i++) x[i] = Math.min(1, Math.max(0, x[i]!));
    return x;
  }

  tell(xs: readonly Float64Array[], losses: readonly number[]): void {
    const { n, mu, weights } = this;
    const order = losses.map((_, i) => i).sort((a, b) => losses[a]! - losses[b]! || a - b);
    const ys = order.slice(0, mu).map((i) => xs[i]!.map((v, k) => (v - this.mean[k]!) / this.sigma));
    const yw = new Float64Array(n);
    ys.forEach((y, i) => y.forEach((v, k) => (yw[k] = yw[k]! + weights[i]! * v)));
    for (let k = 0; k < n; k++) this.mean[k] = this.mean[k]! + this.sigma * yw[k]!;
    // C^(−1/2)·y_w = B·D⁻¹·Bᵀ·y_w
    const bty = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += this.b[i * n + k]! * yw[i]!;
      bty[k] = s / this.d[k]!;
    }
    const csN = Math.sqrt(this.cs * (2 - this.cs) * this.mueff);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += this.b[i * n + k]! * bty[k]!;
      this.ps[i] = (1 - this.cs) * this.ps[i]! + csN * s;
    }
    const psNorm = Math.sqrt(this.ps.reduce((a, v) => a + v * v, 0));
    const hsig = psNorm / Math.sqrt(1 - (1 - this.cs) ** (2 * (this.gen + 1))) < (1.4 + 2 / (n + 1)) * this.chiN ? 1 : 0;
    const ccN = Math.sqrt(this.cc * (2 - this.cc) * this.mueff);
    for (let i = 0; i < n; i++) this.pc[i] = (1 - this.cc) * this.pc[i]! + hsig * ccN * yw[i]!;
    const keep = 1 - this.c1 - this.cmu + (1 - hsig) * this.c1 * this.cc * (2 - this.cc);
    const c = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let rankMu = 0;
        ys.forEach((y, k) => (rankMu += weights[k]! * y[i]! * y[j]!));
        const v = keep * this.c[i * n + j]! + this.c1 * this.pc[i]! * this.pc[j]! + this.cmu * rankMu;
        c[i * n + j] = v;
        c[j * n + i] = v;
      }
    }
    this.c = c;
    this.sigma *= Math.exp((this.cs / this.damps) * (psNorm / this.chiN - 1));
    this.sigma = Math.min(this.sigma, 1e3);
    const { values, vectors } = symmetricEigen(c, n);
    this.b = vectors;
    this.d = values.map((v) => Math.sqrt(Math.max(v, 1e-30)));
    this.gen++;
    this.evaluations += xs.length;
    let best = Infinity;
    for (const l of losses) if (l < best) best = l;
    if (Number.isFinite(best)) this.bests.push(best);
  }

  /** Whether the run has converged or degenerated (see the module comment). */
  shouldStop(generationLosses: readonly number[], cells: Float64Array): boolean {
    const { n } = this;
    const window = 10 + Math.ceil((30 * n) / this.lambda);
    if (this.bests.length >= window) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of [...this.bests.slice(-window), ...generationLosses]) {
        if (!Number.isFinite(v)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      if (hi - lo < TOLFUN) return true;
    }
    let small = true;
    for (let i = 0; i < n; i++) {
      const tol = Math.max(TOLX, cells[i]! / 4);
      if (this.sigma * Math.sqrt(this.c[i * n + i]!) >= tol || this.sigma * Math.abs(this.pc[i]!) >= tol) small = false;
    }
    if (small) return true;
    const dmax = Math.max(...this.d);
    const dmin = Math.min(...this.d);
    return (dmax / dmin) ** 2 > MAX_CONDITION;
  }
}

export interface CmaTrace {
  /** Population size of each run, the first included. */
  populations: number[];
  /** Generations told, over all runs. */
  generations: number;
}

interface Replay {
  need: Float64Array[];
  waiting: boolean;
  stuck: boolean;
  trace: CmaTrace;
}

function replay(history: History, seed: number, opts: CmaOptions, count: number): Replay {
  const space = history.space;
  const numeric = space.dims.map((d, i) => [d, i] as const).filter((e): e is readonly [NumericDim, number] => e[0].kind === 'numeric');
  const n = numeric.length;
  const cells = Float64Array.from(numeric, ([d]) => (d.count === Infinity ? 0 : 1 / d.count));
  const lambda0 = 4 + Math.floor(3 * Math.log(n));
  const trace: CmaTrace = { populations: [lambda0], generations: 0 };
  let run = new Run(0, lambda0, new Float64Array(n).fill(0.5), opts.sigma0, true);
  let largeRestarts = 0;
  let evalsLarge = 0;
  let evalsSmall = 0;
  let stale = 0;
  let freshInRun = 0;
  let barrenRuns = 0;
  const visited = new Set<string>();

  const restart = (): void => {
    if (run.large) evalsLarge += run.evaluations;
    else evalsSmall += run.evaluations;
    const rng = Rng.stream(seed, Stream.cmaesRestart, run.index + 1);
    const mean = Float64Array.from({ length: n }, () => rng.float());
    let lambda: number;
    let sigma = opts.sigma0;
    let large = true;
    if (opts.restart === 'bipop' && evalsSmall < evalsLarge) {
      // Small populations range up to half the next large one.
      const lambdaLarge = lambda0 * 2 ** (largeRestarts + 1);
      const u = rng.float();
      lambda = Math.max(lambda0, Math.floor(lambda0 * (0.5 * lambdaLarge / lambda0) ** (u * u)));
      sigma = opts.sigma0 * 10 ** (-2 * rng.float());
      large = false;
    } else {
      largeRestarts++;
      lambda = lambda0 * 2 ** largeRestarts;
    }
    run = new Run(run.index + 1, lambda, mean, sigma, large);
    trace.populations.push(lambda);
    stale = 0;
  };

  for (let g = 0; g < MAX_GENERATIONS; g++) {
    const xs: Float64Array[] = [];
    const losses: number[] = [];
    const need: Float64Array[] = [];
    const needKeys = new Set<string>();
    const keys: string[] = [];
    let waiting = false;
    let counted = 0;
    for (let m = 0; counted < run.lambda; m++) {
      const rng = Rng.stream(seed, Stream.cmaes, run.index, run.gen, m);
      const x = run.sample(rng);
      const p = new Float64Array(space.dims.length);
      space.dims.forEach((d, i) => {
        if (d.kind === 'categorical') p[i] = rng.int(d.choices.length);
      });
      numeric.forEach(([, i], k) => (p[i] = x[k]!));
      const key = space.key(space.toAssignments(p))!;
      if (m >= 4 * run.lambda) {
        // Too many failures: count the rest as the worst so the run can move on.
        xs.push(x);
        losses.push(Infinity);
        counted++;
        continue;
      }
      if (history.lossByKey.has(key)) {
        const loss = history.lossByKey.get(key);
        if (loss === undefined) continue;
        xs.push(x);
        losses.push(loss);
        keys.push(key);
      } else if (history.pendingKeys.has(key) || needKeys.has(key)) {
        waiting = true;
      } else {
        needKeys.add(key);
        need.push(p);
      }
      counted++;
    }
    if (need.length > 0 || waiting) return { need: need.slice(0, count), waiting, stuck: false, trace };
    const fresh = keys.filter((k) => !visited.has(k)).length;
    stale = fresh === 0 ? stale + 1 : 0;
    freshInRun += fresh;
    for (const k of keys) visited.add(k);
    run.tell(xs, losses);
    trace.generations++;
    const stop = run.shouldStop(losses, cells) || stale >= STALE_LIMIT;
    if (!stop) continue;
    // Runs that find nothing new, or too many restarts, mean the space is (nearly) used up.
    barrenRuns = freshInRun === 0 ? barrenRuns + 1 : 0;
    freshInRun = 0;
    if (opts.restart === 'none' || barrenRuns >= 3 || trace.populations.length > MAX_RUNS) return { need: [], waiting: false, stuck: true, trace };
    restart();
  }
  return { need: [], waiting: false, stuck: true, trace };
}

/** The replayed state of a CMA-ES experiment (for tests and status displays). */
export function cmaesTrace(history: History, seed: number, opts: CmaOptions): CmaTrace {
  return replay(history, seed, opts, 0).trace;
}

export function suggestCmaes(history: History, count: number, seed: number, opts: CmaOptions): SuggestResult {
  const space = history.space;
  if (!space.dims.some((d) => d.kind === 'numeric')) {
    return suggestPoints(history, count, seed, Stream.random, function* (rng) {
      for (let i = 0; i < 8; i++) yield space.sample(rng);
    });
  }
  if (space.size !== Infinity && history.seen.used >= space.size) return { assignments: [], exhausted: true };
  const r = replay(history, seed, opts, count);
  if (r.stuck) {
    return suggestPoints(history, count, seed, Stream.fallback, function* (rng) {
      for (let i = 0; i < 8; i++) yield space.sample(rng);
    });
  }
  const batch = new Batch(space, history.seen);
  for (const p of r.need) batch.add(p);
  return { assignments: batch.assignments, exhausted: batch.exhausted };
}
