/**
 * Gaussian-process regression with a Matérn 5/2 kernel and one length scale per input (ARD):
 *   k(a, b) = σf²·(1 + √5·r + 5/3·r²)·exp(−√5·r),  r² = Σ ((a_d − b_d)/ℓ_d)²,
 * plus white noise σn². Inputs are in [0, 1], outputs standardised by the caller.
 * Hyperparameters maximise the log marginal likelihood (analytic gradient, L-BFGS on a
 * bounded reparametrisation, two starts).
 */
import { backSolve, choleskyInverse, choleskyJitter, forwardSolve } from './linalg.js';
import { lbfgs } from './lbfgs.js';

const SQRT5 = Math.sqrt(5);
const LOG_2PI = Math.log(2 * Math.PI);

export interface GpHyper {
  logLengthScales: Float64Array;
  logSignalVariance: number;
  logNoiseVariance: number;
}

/** Bounds of the log hyperparameters: length scales, signal variance, noise variance. */
const BOUNDS = {
  lengthScale: [Math.log(0.01), Math.log(10)],
  signal: [Math.log(0.05), Math.log(20)],
  noise: [Math.log(1e-6), Math.log(1)],
} as const;

function matern(r: number): number {
  return (1 + SQRT5 * r + (5 / 3) * r * r) * Math.exp(-SQRT5 * r);
}

/** (x_i[d] − x_j[d])² for every pair j < i, pair-major: they do not change while fitting. */
export function squaredDifferences(x: readonly Float64Array[], dims: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(((n * (n - 1)) / 2) * dims);
  let o = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      for (let d = 0; d < dims; d++) out[o++] = (x[i]![d]! - x[j]![d]!) ** 2;
    }
  }
  return out;
}

/** Negative log marginal likelihood and its gradient in (log ℓ…, log σf², log σn²). */
export function negativeLogLikelihood(
  x: readonly Float64Array[],
  y: Float64Array,
  theta: Float64Array,
  grad: Float64Array,
  sq: Float64Array = squaredDifferences(x, theta.length - 2),
): number {
  const n = x.length;
  const dims = theta.length - 2;
  const inv2 = new Float64Array(dims);
  for (let d = 0; d < dims; d++) inv2[d] = Math.exp(-2 * theta[d]!);
  const sf2 = Math.exp(theta[dims]!);
  const sn2 = Math.exp(theta[dims + 1]!);
  const k = new Float64Array(n * n);
  const pairs = (n * (n - 1)) / 2;
  const rs = new Float64Array(pairs);
  const es = new Float64Array(pairs);
  for (let i = 0, p = 0; i < n; i++) {
    k[i * n + i] = sf2 + sn2;
    for (let j = 0; j < i; j++, p++) {
      let r2 = 0;
      const o = p * dims;
      for (let d = 0; d < dims; d++) r2 += sq[o + d]! * inv2[d]!;
      const r = Math.sqrt(r2);
      const e = Math.exp(-SQRT5 * r);
      rs[p] = r;
      es[p] = e;
      const v = sf2 * (1 + SQRT5 * r + (5 / 3) * r2) * e;
      k[i * n + j] = v;
      k[j * n + i] = v;
    }
  }
  const l = choleskyJitter(k, n);
  if (!l) {
    grad.fill(0);
    return Infinity;
  }
  const alpha = backSolve(l, n, forwardSolve(l, n, Float64Array.from(y)));
  let nll = 0;
  for (let i = 0; i < n; i++) nll += 0.5 * y[i]! * alpha[i]! + Math.log(l[i * n + i]!);
  nll += 0.5 * n * LOG_2PI;
  const kinv = choleskyInverse(l, n);
  // d nll/dθ = −½·Σ_ij W_ij·∂K_ij/∂θ with W = ααᵀ − K⁻¹; off-diagonal pairs count twice.
  const acc = new Float64Array(dims);
  let gSignal = 0;
  let traceW = 0;
  for (let i = 0, p = 0; i < n; i++) {
    const wii = alpha[i]! * alpha[i]! - kinv[i * n + i]!;
    traceW += wii;
    gSignal -= 0.5 * wii * sf2;
    for (let j = 0; j < i; j++, p++) {
      const w = alpha[i]! * alpha[j]! - kinv[i * n + j]!;
      gSignal -= w * k[i * n + j]!;
      const common = w * (1 + SQRT5 * rs[p]!) * es[p]!;
      const o = p * dims;
      for (let d = 0; d < dims; d++) acc[d] = acc[d]! + common * sq[o + d]!;
    }
  }
  for (let d = 0; d < dims; d++) grad[d] = -sf2 * (5 / 3) * inv2[d]! * acc[d]!;
  grad[dims] = gSignal;
  grad[dims + 1] = -0.5 * sn2 * traceW;
  return nll;
}

const sigmoid = (u: number): number => 1 / (1 + Math.exp(-u));
const logit = (p: number): number => Math.log(p / (1 - p));

/** Fits the hyperparameters to (x, y) by maximum marginal likelihood from two starting points. */
export function fitHyper(x: readonly Float64Array[], y: Float64Array, dims: number, maxIterations = 30): GpHyper {
  const lo = new Float64Array(dims + 2);
  const hi = new Float64Array(dims + 2);
  for (let d = 0; d < dims; d++) {
    lo[d] = BOUNDS.lengthScale[0];
    hi[d] = BOUNDS.lengthScale[1];
  }
  lo[dims] = BOUNDS.signal[0];
  hi[dims] = BOUNDS.signal[1];
  lo[dims + 1] = BOUNDS.noise[0];
  hi[dims + 1] = BOUNDS.noise[1];
  const theta = new Float64Array(dims + 2);
  const g = new Float64Array(dims + 2);
  const sq = squaredDifferences(x, dims);
  const objective = (u: Float64Array, gu: Float64Array): number => {
    for (let i = 0; i < u.length; i++) theta[i] = lo[i]! + (hi[i]! - lo[i]!) * sigmoid(u[i]!);
    const v = negativeLogLikelihood(x, y, theta, g, sq);
    for (let i = 0; i < u.length; i++) {
      const s = sigmoid(u[i]!);
      gu[i] = g[i]! * (hi[i]! - lo[i]!) * s * (1 - s);
    }
    return v;
  };
  const toU = (logLs: number, logSf2: number, logSn2: number): Float64Array => {
    const u = new Float64Array(dims + 2);
    const t = (v: number, i: number): number => logit(Math.min(0.999, Math.max(0.001, (v - lo[i]!) / (hi[i]! - lo[i]!))));
    for (let d = 0; d < dims; d++) u[d] = t(logLs, d);
    u[dims] = t(logSf2, dims);
    u[dims + 1] = t(logSn2, dims + 1);
    return u;
  };
  let best: { x: Float64Array; value: number } | undefined;
  for (const start of [toU(Math.log(0.3), 0, Math.log(1e-4)), toU(Math.log(1), 0, Math.log(1e-2))]) {
    const r = lbfgs(objective, start, { maxIterations });
    if (!best || r.value < best.value) best = r;
  }
  const u = best!.x;
  const t = Array.from(u, (v, i) => lo[i]! + (hi[i]! - lo[i]!) * sigmoid(v));
  return {
    logLengthScales: Float64Array.from(t.slice(0, dims)),
    logSignalVariance: t[dims]!,
    logNoiseVariance: t[dims + 1]!,
  };
}

/** A fitted GP: posterior mean and variance of the latent function at new inputs. */
export class Gp {
  private readonly n: number;
  private readonly dims: number;
  private readonly inv2: Float64Array;
  private readonly sf2: number;
  private readonly l: Float64Array;
  private readonly alpha: Float64Array;
  private readonly ks: Float64Array;

  private constructor(private readonly x: readonly Float64Array[], hyper: GpHyper, l: Float64Array, alpha: Float64Array) {
    this.n = x.length;
    this.dims = hyper.logLengthScales.length;
    this.inv2 = hyper.logLengthScales.map((v) => Math.exp(-2 * v));
    this.sf2 = Math.exp(hyper.logSignalVariance);
    this.l = l;
    this.alpha = alpha;
    this.ks = new Float64Array(this.n);
  }

  /** Conditions on (x, y); undefined when the kernel matrix cannot be factored. */
  static fit(x: readonly Float64Array[], y: Float64Array, hyper: GpHyper): Gp | undefined {
    const n = x.length;
    const dims = hyper.logLengthScales.length;
    const inv2 = hyper.logLengthScales.map((v) => Math.exp(-2 * v));
    const sf2 = Math.exp(hyper.logSignalVariance);
    const sn2 = Math.exp(hyper.logNoiseVariance);
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      k[i * n + i] = sf2 + sn2;
      for (let j = 0; j < i; j++) {
        let r2 = 0;
        for (let d = 0; d < dims; d++) {
          const diff = x[i]![d]! - x[j]![d]!;
          r2 += diff * diff * inv2[d]!;
        }
        const v = sf2 * matern(Math.sqrt(r2));
        k[i * n + j] = v;
        k[j * n + i] = v;
      }
    }
    const l = choleskyJitter(k, n);
    if (!l) return undefined;
    const alpha = backSolve(l, n, forwardSolve(l, n, Float64Array.from(y)));
    return new Gp(x, hyper, l, alpha);
  }

  /** Posterior mean and standard deviation at `p`. */
  predict(p: Float64Array): { mean: number; sd: number } {
    const { n, dims, inv2, ks } = this;
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const xi = this.x[i]!;
      let r2 = 0;
      for (let d = 0; d < dims; d++) {
        const diff = p[d]! - xi[d]!;
        r2 += diff * diff * inv2[d]!;
      }
      ks[i] = this.sf2 * matern(Math.sqrt(r2));
      mean += ks[i]! * this.alpha[i]!;
    }
    forwardSolve(this.l, n, ks);
    let v = this.sf2;
    for (let i = 0; i < n; i++) v -= ks[i]! * ks[i]!;
    return { mean, sd: Math.sqrt(Math.max(v, 1e-12)) };
  }
}
