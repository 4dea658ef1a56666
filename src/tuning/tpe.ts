/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), with Optuna's defaults:
 * 10 random start-up trials, 24 EI candidates (36 for the multivariate variant, measured better), the best γ(n) = min(⌈0.1·n⌉, 25) trials form
 * the "good" density l(x) and the rest the "bad" density g(x); candidates drawn from l are
 * ranked by log l(x) − log g(x).
 *
 * - Numeric parameters: truncated Gaussian kernels on the [0, 1] coordinate (log scale for
 *   logUniform/logNormal), plus a prior kernel N(0.5, 1). Bandwidths, per dimension in both
 *   variants as in Optuna 5: the larger gap to a neighbouring observation (the range's ends
 *   count, the prior does not; the outermost kernels use their inner gap), clipped to
 *   [1/min(100, n+2), 1] — Optuna's "magic clip". A single width from n alone, 0.2·n^(−1/(d+4)),
 *   kept the multivariate kernels wide where good points cluster (issue 18).
 * - Categorical/discrete: each observation is a categorical kernel, its choice plus
 *   prior_weight/(n+1) smoothing on every choice; the prior kernel is uniform.
 * - Weights: older trials fade when a group has more than 25 (Optuna's default_weights).
 * - Parallel trials: the constant liar — running trials (and this batch's earlier picks) join
 *   the bad group as if they had the worst value, so l/g steers away from them.
 * - Failed trials are ignored. Katib's hyperopt-style `gamma` setting, when given, makes the
 *   good group ⌈gamma·√n⌉ trials, as hyperopt does.
 * `multivariate-tpe` draws whole points from one kernel of the joint product mixture.
 */
import type { History, Told } from './history.js';
import type { Rng } from './rng.js';
import { Stream } from './rng.js';
import type { CategoricalDim, Space } from './space.js';
import { LOG_SQRT_2PI, normCdf, normInv } from './stats.js';
import { suggestPoints } from './suggest-points.js';
import type { SuggestResult } from './types.js';

export interface TpeOptions {
  nStartup: number;
  nCandidates: number;
  /** hyperopt's γ; undefined uses Optuna's γ(n). */
  gamma: number | undefined;
  priorWeight: number;
  multivariate: boolean;
}

export function goodCount(n: number, gamma: number | undefined): number {
  return gamma !== undefined ? Math.ceil(gamma * Math.sqrt(n)) : Math.min(Math.ceil(0.1 * n), 25);
}

/** Optuna's default_weights: flat for the newest 25, a ramp from 1/n for older ones. */
export function recencyWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  for (let i = 0; i < ramp; i++) out.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

/** Kernels of one numeric coordinate: means, bandwidths, mixture weights, and per kernel the constant of its log density. */
interface NumericKernels {
  mu: Float64Array;
  sigma: Float64Array;
  invSigma: Float64Array;
  /** log w − log σ − log √(2π) − log Z (Z: the kernel's mass inside [0, 1]). */
  logC: Float64Array;
  w: Float64Array;
  /** Univariate only: the observation kernels sorted by mean, and their largest bandwidth. */
  sorted?: { mu: Float64Array; invSigma: Float64Array; logC: Float64Array; maxSigma: number };
}

/** Kernels further than this many (largest) bandwidths from x add under e^−45 of the density: skipped. */
const WINDOW_SIGMAS = 10;

/**
 * Bandwidths of kernels at `xs` (in [0, 1]), Optuna 5's rule for both TPE variants: each kernel
 * is as wide as the larger gap to its neighbours, the range's ends counting as neighbours, so
 * kernels narrow where good points cluster, per dimension. The outermost kernels look only
 * inwards (Optuna's consider_endpoints=False: a point near an edge does not get a wide kernel
 * from the empty strip beside it). Then the "magic clip" to [1/min(100, n+2), 1] keeps a kernel
 * from collapsing onto a point. `order` is xs's ascending order.
 */
export function neighbourBandwidths(xs: ArrayLike<number>, order: readonly number[]): Float64Array {
  const n = xs.length;
  const sigma = new Float64Array(n);
  const at = (p: number): number => (p < 0 ? 0 : p >= n ? 1 : xs[order[p]!]!);
  for (let p = 0; p < n; p++) {
    const here = at(p);
    let width = Math.max(here - at(p - 1), at(p + 1) - here);
    if (n >= 2 && p === 0) width = at(1) - here;
    else if (n >= 2 && p === n - 1) width = here - at(n - 2);
    sigma[order[p]!] = width;
  }
  // n observations and the prior make n+1 kernels: Optuna's clip uses 1/min(100, 1 + kernels).
  const minSigma = 1 / Math.min(100, n + 2);
  for (let i = 0; i < n; i++) sigma[i] = Math.min(1, Math.max(minSigma, sigma[i]!));
  return sigma;
}

/**
 * The kernels at `xs` and the prior N(0.5, 1) last. `windowed` also keeps them sorted by mean so
 * that one-dimensional densities can skip far kernels (numericLogPdf).
 */
function numericKernels(xs: readonly number[], weights: readonly number[], priorWeight: number, windowed: boolean): NumericKernels {
  const n = xs.length;
  const k = n + 1;
  const mu = new Float64Array(k);
  for (let i = 0; i < n; i++) mu[i] = xs[i]!;
  mu[n] = 0.5;
  const order = sortedOrder(mu.subarray(0, n));
  const sigma = new Float64Array(k);
  sigma.set(neighbourBandwidths(mu.subarray(0, n), order));
  sigma[n] = 1;
  const w = new Float64Array(k);
  let total = priorWeight;
  for (let i = 0; i < n; i++) total += weights[i]!;
  for (let i = 0; i < n; i++) w[i] = weights[i]! / total;
  w[n] = priorWeight / total;
  const invSigma = new Float64Array(k);
  const logC = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const m = mu[i]!;
    const sd = sigma[i]!;
    invSigma[i] = 1 / sd;
    // Both tails beyond 8 sd lose under 1e−15 of the mass: skip the two CDFs.
    const z = m / sd > 8 && (1 - m) / sd > 8 ? 1 : normCdf((1 - m) / sd) - normCdf(-m / sd);
    logC[i] = Math.log(w[i]!) - Math.log(sd) - LOG_SQRT_2PI - Math.log(Math.max(1e-300, z));
  }
  let sorted: NumericKernels['sorted'];
  if (windowed) {
    sorted = { mu: new Float64Array(n), invSigma: new Float64Array(n), logC: new Float64Array(n), maxSigma: 0 };
    let p = 0;
    for (const i of order) {
      sorted.mu[p] = mu[i]!;
      sorted.invSigma[p] = invSigma[i]!;
      sorted.logC[p] = logC[i]!;
      sorted.maxSigma = Math.max(sorted.maxSigma, sigma[i]!);
      p++;
    }
  }
  return { mu, sigma, invSigma, logC, w, sorted };
}

/**
 * Indices of `values` (all in [0, 1]) in ascending order. Packs value and index into one double
 * so the engine's native numeric sort does the work (a comparator is several times slower at
 * thousands of trials); values closer than 2⁻³⁰ may swap, which bandwidths do not notice.
 */
function sortedOrder(values: Float64Array): number[] {
  const n = values.length;
  if (n >= 1 << 17) return Array.from(values.keys()).sort((a, b) => values[a]! - values[b]!);
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) packed[i] = Math.floor(values[i]! * 2 ** 30) * 2 ** 17 + i;
  packed.sort();
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = packed[i]! % 2 ** 17;
  return order;
}

/** First index whose value is ≥ x in an ascending array. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * log Σ_i w_i·k_i(x), one exponential per kernel (running maximum). With many observations only
 * the kernels within WINDOW_SIGMAS bandwidths of x are summed, plus the prior: the rest cannot
 * move the sum (each adds under e^−45 while the prior alone gives more than e^−10 at n ≤ 10⁴).
 */
function numericLogPdf(kn: NumericKernels, x: number): number {
  let m = -Infinity;
  let s = 0;
  const add = (v: number): void => {
    if (v <= m) s += Math.exp(v - m);
    else {
      s = s * Math.exp(m - v) + 1;
      m = v;
    }
  };
  const sk = kn.sorted;
  if (sk && sk.mu.length > 64) {
    const r = WINDOW_SIGMAS * sk.maxSigma;
    const end = lowerBound(sk.mu, x + r);
    for (let i = lowerBound(sk.mu, x - r); i < end; i++) {
      const z = (x - sk.mu[i]!) * sk.invSigma[i]!;
      add(sk.logC[i]! - 0.5 * z * z);
    }
    const p = kn.mu.length - 1;
    const z = (x - kn.mu[p]!) * kn.invSigma[p]!;
    add(kn.logC[p]! - 0.5 * z * z);
    return m + Math.log(s);
  }
  const { mu, invSigma, logC } = kn;
  for (let i = 0; i < mu.length; i++) {
    const z = (x - mu[i]!) * invSigma[i]!;
    add(logC[i]! - 0.5 * z * z);
  }
  return m + Math.log(s);
}

function sampleKernel(kn: NumericKernels, i: number, rng: Rng): number {
  const m = kn.mu[i]!;
  const s = kn.sigma[i]!;
  const pa = normCdf(-m / s);
  const pb = normCdf((1 - m) / s);
  const x = m + s * normInv(pa + rng.float() * (pb - pa));
  return Math.min(1, Math.max(0, x));
}

/** Categorical kernels as rows of probabilities, the uniform prior last. */
interface CategoricalKernels {
  rows: Float64Array[];
  w: Float64Array;
}

function categoricalKernels(cs: readonly number[], weights: readonly number[], priorWeight: number, choices: number): CategoricalKernels {
  const n = cs.length;
  const base = priorWeight / (n + 1);
  const rows: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const row = new Float64Array(choices).fill(base / (choices * base + 1));
    row[cs[i]!] = (base + 1) / (choices * base + 1);
    rows.push(row);
  }
  rows.push(new Float64Array(choices).fill(1 / choices));
  const w = new Float64Array(n + 1);
  let total = priorWeight;
  for (let i = 0; i < n; i++) total += weights[i]!;
  for (let i = 0; i < n; i++) w[i] = weights[i]! / total;
  w[n] = priorWeight / total;
  return { rows, w };
}

function categoricalMixture(ck: CategoricalKernels): Float64Array {
  const p = new Float64Array(ck.rows[0]!.length);
  ck.rows.forEach((row, i) => row.forEach((v, c) => (p[c] = p[c]! + ck.w[i]! * v)));
  return p;
}

interface Groups {
  good: Float64Array[];
  goodWeights: number[];
  bad: Float64Array[];
  badWeights: number[];
}

function split(told: readonly Told[], liars: readonly Float64Array[], opts: TpeOptions): Groups {
  const n = told.length + liars.length;
  const nGood = Math.max(1, Math.min(told.length, goodCount(n, opts.gamma)));
  const ranked = [...told].sort((a, b) => a.loss - b.loss || a.order - b.order);
  const byOrder = (a: Told, b: Told): number => a.order - b.order;
  const good = ranked.slice(0, nGood).sort(byOrder).map((t) => t.point);
  const bad = [...ranked.slice(nGood).sort(byOrder).map((t) => t.point), ...liars];
  return { good, goodWeights: recencyWeights(good.length), bad, badWeights: recencyWeights(bad.length) };
}

/** Univariate TPE: every parameter picks its own best candidate. */
function univariatePoint(space: Space, g: Groups, rng: Rng, opts: TpeOptions): Float64Array {
  const p = new Float64Array(space.dims.length);
  space.dims.forEach((d, j) => {
    const goodX = g.good.map((q) => q[j]!);
    const badX = g.bad.map((q) => q[j]!);
    if (d.kind === 'categorical') {
      const l = categoricalMixture(categoricalKernels(goodX, g.goodWeights, opts.priorWeight, d.choices.length));
      const b = categoricalMixture(categoricalKernels(badX, g.badWeights, opts.priorWeight, d.choices.length));
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < opts.nCandidates; c++) {
        const x = rng.pick(l);
        const score = Math.log(l[x]!) - Math.log(b[x]!);
        if (score > bestScore) {
          bestScore = score;
          best = x;
        }
      }
      p[j] = best;
      return;
    }
    const l = numericKernels(goodX, g.goodWeights, opts.priorWeight, true);
    const b = numericKernels(badX, g.badWeights, opts.priorWeight, true);
    let best = 0.5;
    let bestScore = -Infinity;
    for (let c = 0; c < opts.nCandidates; c++) {
      const drawn = sampleKernel(l, rng.pick(l.w, 1), rng);
      const x = d.step !== undefined || d.count === 1 ? space.encodeNumber(d, space.numericValue(d, drawn)) : drawn;
      const score = numericLogPdf(l, x) - numericLogPdf(b, x);
      if (score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    p[j] = best;
  });
  return p;
}

/** The joint mixture Σ_i w_i·Π_d k_{i,d}(x_d) of multivariate TPE. */
interface JointKernels {
  dims: ({ kind: 'numeric'; j: number; k: NumericKernels } | { kind: 'categorical'; j: number; k: CategoricalKernels; logRows: Float64Array[] })[];
  w: Float64Array;
  /** Per kernel: log w_i + Σ over numeric dimensions of their log normalising constants. */
  c: Float64Array;
}

function jointKernels(space: Space, points: readonly Float64Array[], weights: readonly number[], opts: TpeOptions): JointKernels {
  const dims = space.dims.map((d, j): JointKernels['dims'][number] => {
    const xs = points.map((q) => q[j]!);
    if (d.kind === 'categorical') {
      const k = categoricalKernels(xs, weights, opts.priorWeight, (d as CategoricalDim).choices.length);
      return { kind: 'categorical', j, k, logRows: k.rows.map((r) => r.map(Math.log)) };
    }
    return { kind: 'numeric', j, k: numericKernels(xs, weights, opts.priorWeight, false) };
  });
  const first = dims[0]!;
  const w = first.k.w;
  const c = w.map(Math.log);
  for (const d of dims) if (d.kind === 'numeric') d.k.logC.forEach((v, i) => (c[i] = c[i]! + v - Math.log(w[i]!)));
  return { dims, w, c };
}

function jointLogPdf(jk: JointKernels, x: Float64Array): number {
  let m = -Infinity;
  let s = 0;
  for (let i = 0; i < jk.c.length; i++) {
    let v = jk.c[i]!;
    for (const d of jk.dims) {
      if (d.kind === 'numeric') {
        const z = (x[d.j]! - d.k.mu[i]!) * d.k.invSigma[i]!;
        v -= 0.5 * z * z;
      } else v += d.logRows[i]![x[d.j]!]!;
    }
    if (v <= m) s += Math.exp(v - m);
    else {
      s = s * Math.exp(m - v) + 1;
      m = v;
    }
  }
  return m + Math.log(s);
}

/** Multivariate TPE: candidates are whole points from one kernel of l; ranked best first. */
function multivariateCandidates(space: Space, g: Groups, rng: Rng, opts: TpeOptions): Float64Array[] {
  const l = jointKernels(space, g.good, g.goodWeights, opts);
  const b = jointKernels(space, g.bad, g.badWeights, opts);
  const scored: { p: Float64Array; score: number }[] = [];
  for (let c = 0; c < opts.nCandidates; c++) {
    const i = rng.pick(l.w, 1);
    const p = new Float64Array(space.dims.length);
    for (const d of l.dims) p[d.j] = d.kind === 'numeric' ? sampleKernel(d.k, i, rng) : rng.pick(d.k.rows[i]!, 1);
    // Score the point that would run: ints and stepped numbers on their grid, as Optuna rounds before scoring.
    const q = space.snap(p);
    scored.push({ p: q, score: jointLogPdf(l, q) - jointLogPdf(b, q) });
  }
  return scored.sort((x, y) => y.score - x.score).map((s) => s.p);
}

export function suggestTpe(history: History, count: number, seed: number, opts: TpeOptions): SuggestResult {
  const space = history.space;
  return suggestPoints(history, count, seed, Stream.tpe, function* (rng, batch) {
    if (history.told.length < Math.max(1, opts.nStartup)) {
      for (let i = 0; i < 8; i++) yield space.sample(rng);
      return;
    }
    const groups = split(history.told, history.liars(batch), opts);
    for (let round = 0; round < 4; round++) {
      if (opts.multivariate) yield* multivariateCandidates(space, groups, rng, opts);
      else yield univariatePoint(space, groups, rng, opts);
    }
  });
}

/**
 * log l(x) and log g(x) of multivariate TPE's estimators for a history, at points on the [0, 1]
 * coordinates: the quantities its candidates are ranked by (for the test that holds them equal
 * to Optuna's).
 */
export function parzenLogDensities(history: History, opts: TpeOptions, points: readonly Float64Array[]): { good: number[]; bad: number[] } {
  const g = split(history.told, [], opts);
  const l = jointKernels(history.space, g.good, g.goodWeights, opts);
  const b = jointKernels(history.space, g.bad, g.badWeights, opts);
  return { good: points.map((p) => jointLogPdf(l, p)), bad: points.map((p) => jointLogPdf(b, p)) };
}
