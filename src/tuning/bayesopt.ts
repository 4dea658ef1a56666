/**
 * Bayesian optimisation with a Gaussian process, after Katib's skopt service
 * (base_estimator=GP, n_initial_points=10, acq_func, acq_optimizer).
 *
 * - Inputs: numeric parameters on their [0, 1] coordinate (log scale where asked), categorical
 *   and discrete ones one-hot; outputs (losses) standardised.
 * - Hyperparameters (ARD length scales, signal and noise variance) maximise the marginal
 *   likelihood on at most 64 trials (the best half and an even spread of the rest), refitted
 *   when the trial count reaches the next step of a schedule (every 2 trials up to 20, 5 up to
 *   60, then 10). Each fit is a pure function of its data, so the algorithm keeps fits in a
 *   small cache: a request's answer never depends on the cache, only its speed.
 * - Running trials (and a batch's earlier picks) are "kriging believers": told the posterior
 *   mean at their point, which keeps the surface and removes the uncertainty there, so the
 *   acquisition moves elsewhere (see believerGp).
 * - Acquisition: EI (ξ = 0.01), PI (ξ = 0.01), LCB (κ = 1.96). gp_hedge, Katib's default, is
 *   a stateless hedge: each of the three nominates its best point and one is drawn with
 *   probability ∝ exp(−μ(nominee)) — skopt's gains rule without the history of past gains.
 * - The acquisition is maximised over 160 random points and 48 points near the best trials,
 *   then (acq_optimizer auto/lbfgs) the top points are refined by a short stochastic
 *   hill-climb on feasible values; `sampling` skips the refinement.
 */
import { Gp, fitHyper, type GpHyper } from './gp.js';
import type { Batch, History, Told } from './history.js';
import { Stream, type Rng } from './rng.js';
import type { Space } from './space.js';
import { LOG_SQRT_2PI, logNormCdf, normCdf, normPdf } from './stats.js';
import { suggestPoints } from './suggest-points.js';
import type { SuggestResult } from './types.js';

export type Acquisition = 'gp_hedge' | 'EI' | 'LCB' | 'PI';

export interface BayesOptions {
  nInitial: number;
  acquisition: Acquisition;
  refine: boolean;
}

const FIT_MAX = 64;
const RANDOM_CANDIDATES = 160;
const LOCAL_CANDIDATES = 48;
const REFINE_STEPS = 12;
const XI = 0.01;
const KAPPA = 1.96;

/** Fits already computed, by their data; bounded. */
export class FitCache {
  private readonly fits = new Map<string, GpHyper>();
  constructor(private readonly capacity = 16) {}

  get(key: string, compute: () => GpHyper): GpHyper {
    const hit = this.fits.get(key);
    if (hit) return hit;
    const fit = compute();
    this.fits.set(key, fit);
    if (this.fits.size > this.capacity) this.fits.delete(this.fits.keys().next().value as string);
    return fit;
  }
}

/** Trial count whose data the hyperparameters are fitted on: the last step of the schedule ≤ n. */
export function fitCheckpoint(n: number): number {
  if (n <= 20) return n - (n % 2);
  if (n <= 60) return n - (n % 5);
  return n - (n % 10);
}

function featureEncoder(space: Space): { dims: number; encode: (p: Float64Array) => Float64Array } {
  let dims = 0;
  const offsets = space.dims.map((d) => {
    const o = dims;
    dims += d.kind === 'categorical' ? d.choices.length : 1;
    return o;
  });
  return {
    dims,
    encode: (p) => {
      const f = new Float64Array(dims);
      space.dims.forEach((d, i) => {
        if (d.kind === 'categorical') f[offsets[i]! + Math.round(p[i]!)] = 1;
        else f[offsets[i]!] = p[i]!;
      });
      return f;
    },
  };
}

function standardise(values: readonly number[]): { y: Float64Array; mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  const sd = variance > 1e-24 ? Math.sqrt(variance) : 1;
  return { y: Float64Array.from(values, (v) => (v - mean) / sd), mean, sd };
}

/** The trials the hyperparameters are fitted on: the best half and an even spread of the others. */
function fitSubset(told: readonly Told[]): Told[] {
  if (told.length <= FIT_MAX) return [...told];
  const ranked = [...told].sort((a, b) => a.loss - b.loss || a.order - b.order);
  const best = ranked.slice(0, FIT_MAX / 2);
  const rest = ranked.slice(FIT_MAX / 2).sort((a, b) => a.order - b.order);
  const spread: Told[] = [];
  const want = FIT_MAX - best.length;
  for (let i = 0; i < want; i++) spread.push(rest[Math.floor((i * rest.length) / want)]!);
  return [...best, ...spread];
}

function hyperFor(told: readonly Told[], encode: (p: Float64Array) => Float64Array, dims: number, cache: FitCache): GpHyper {
  const ordered = [...told].sort((a, b) => a.order - b.order);
  const data = fitSubset(ordered.slice(0, Math.max(2, fitCheckpoint(ordered.length))));
  // The data themselves are the key: a hash collision could hand one request another's fit.
  const key = `${dims}|` + data.map((t) => `${t.loss}:${t.point.join(',')}`).join(';');
  return cache.get(key, () => {
    const { y } = standardise(data.map((t) => t.loss));
    return fitHyper(data.map((t) => encode(t.point)), y, dims, 20);
  });
}

interface Scored {
  p: Float64Array;
  mean: number;
  sd: number;
  ei: number;
  pi: number;
  lcb: number;
}

/** log EI, finite when EI underflows (then EI ≈ sd·φ(z)/z²). */
function logExpectedImprovement(best: number, mean: number, sd: number): number {
  const imp = best - mean - XI;
  const z = imp / sd;
  if (z > -6) return Math.log(Math.max(1e-300, imp * normCdf(z) + sd * normPdf(z)));
  return Math.log(sd) - 0.5 * z * z - LOG_SQRT_2PI - 2 * Math.log(-z);
}

export function suggestBayes(history: History, count: number, seed: number, opts: BayesOptions, cache: FitCache): SuggestResult {
  const space = history.space;
  const { dims, encode } = featureEncoder(space);
  return suggestPoints(history, count, seed, Stream.gp, function* (rng: Rng, batch: Batch) {
    const started = history.next + batch.points.length;
    if (started < opts.nInitial || history.told.length < 2) {
      for (let i = 0; i < 8; i++) yield space.sample(rng);
      return;
    }
    const hyper = hyperFor(history.told, encode, dims, cache);
    const gp = believerGp(history.told.map((t) => encode(t.point)), standardise(history.told.map((t) => t.loss)).y, history.liars(batch).map(encode), hyper);
    const { mean: yMean, sd: ySd } = standardise(history.told.map((t) => t.loss));
    if (!gp) {
      for (let i = 0; i < 8; i++) yield space.sample(rng);
      return;
    }
    let best = Infinity;
    for (const t of history.told) best = Math.min(best, (t.loss - yMean) / ySd);

    const score = (p: Float64Array): Scored => {
      const { mean, sd } = gp.predict(encode(p));
      const z = (best - mean - XI) / sd;
      return { p, mean, sd, ei: logExpectedImprovement(best, mean, sd), pi: logNormCdf(z), lcb: -(mean - KAPPA * sd) };
    };
    const value = (s: Scored, a: Exclude<Acquisition, 'gp_hedge'>): number => (a === 'EI' ? s.ei : a === 'PI' ? s.pi : s.lcb);

    const candidates: Scored[] = [];
    for (let i = 0; i < RANDOM_CANDIDATES; i++) candidates.push(score(space.snap(space.sample(rng, false))));
    const elite = [...history.told].sort((a, b) => a.loss - b.loss).slice(0, 5);
    const widths = [0.01, 0.05, 0.15];
    for (let i = 0; i < LOCAL_CANDIDATES && elite.length > 0; i++) {
      candidates.push(score(perturb(space, elite[i % elite.length]!.point, widths[i % widths.length]!, 0.2, rng)));
    }

    const refine = (start: Scored, a: Exclude<Acquisition, 'gp_hedge'>): Scored => {
      let cur = start;
      let step = 0.05;
      for (let it = 0; it < REFINE_STEPS; it++) {
        const next = score(perturb(space, cur.p, step, 0.1, rng));
        if (value(next, a) > value(cur, a)) {
          cur = next;
          step = Math.min(0.2, step * 1.3);
        } else step = Math.max(1e-3, step * 0.7);
      }
      return cur;
    };
    const nominate = (a: Exclude<Acquisition, 'gp_hedge'>): Scored[] => {
      const ranked = [...candidates].sort((s, t) => value(t, a) - value(s, a));
      if (!opts.refine) return ranked;
      const refined = ranked.slice(0, opts.acquisition === 'gp_hedge' ? 1 : 2).map((s) => refine(s, a));
      return [...refined, ...ranked].sort((s, t) => value(t, a) - value(s, a));
    };

    if (opts.acquisition !== 'gp_hedge') {
      for (const s of nominate(opts.acquisition)) yield s.p;
      return;
    }
    const lists = (['EI', 'LCB', 'PI'] as const).map(nominate);
    const nominees = lists.map((l) => l[0]!);
    const gains = nominees.map((s) => -s.mean);
    const top = Math.max(...gains);
    const chosen = rng.pick(gains.map((g) => Math.exp(g - top)));
    yield nominees[chosen]!.p;
    for (const s of lists[chosen]!) yield s.p;
  });
}

/**
 * The GP on the finished trials and, for running ones, the "kriging believer": each running
 * point is told the posterior mean there. The mean surface stays as the finished trials make it
 * while the uncertainty around running points collapses, so the acquisition looks elsewhere.
 * (A constant liar at the worst loss, tried first, planted false peaks beside the best trials:
 * at parallelTrialCount 4 it was thousands of times worse on Branin than ignoring them.)
 */
function believerGp(xs: Float64Array[], y: Float64Array, running: Float64Array[], hyper: GpHyper): Gp | undefined {
  const gp = Gp.fit(xs, y, hyper);
  if (!gp || running.length === 0) return gp;
  const lies = running.map((x) => gp.predict(x).mean);
  return Gp.fit([...xs, ...running], Float64Array.from([...y, ...lies]), hyper) ?? gp;
}

/** A feasible point near `p`: numeric coordinates moved by N(0, width), categories redrawn with probability `flip`. */
function perturb(space: Space, p: Float64Array, width: number, flip: number, rng: Rng): Float64Array {
  const q = new Float64Array(p.length);
  space.dims.forEach((d, i) => {
    if (d.kind === 'categorical') q[i] = rng.float() < flip ? rng.int(d.choices.length) : p[i]!;
    else q[i] = Math.min(1, Math.max(0, p[i]! + width * rng.normal()));
  });
  return space.snap(q);
}
