/** Small numeric helpers: the normal distribution, log-sum-exp, medians. */

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT2 = Math.SQRT2;
export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** erf(x) for |x| < 3 by the everywhere-positive series 2/√π·e^{−x²}·Σ 2ⁿx^{2n+1}/(2n+1)!!. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return ((2 / SQRT_PI) * Math.exp(-x2)) * sum;
}

/** The continued fraction x + (1/2)/(x + 1/(x + (3/2)/(x + …))) with erfc(x) = e^{−x²}/(√π·cf), for x ≥ 3. */
function erfcFraction(x: number): number {
  let f = x;
  for (let k = 80; k >= 1; k--) f = x + k / 2 / f;
  return f;
}

export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) return 1 - erfSeries(x);
  if (x > 27) return 0;
  return Math.exp(-x * x) / (SQRT_PI * erfcFraction(x));
}

/** log(erfc(x)), finite far into the tail. */
export function logErfc(x: number): number {
  if (x < 3) return Math.log(erfc(x));
  return -x * x - Math.log(SQRT_PI * erfcFraction(x));
}

/** Standard normal CDF Φ(z). */
export function normCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/** log Φ(z), accurate for very negative z. */
export function logNormCdf(z: number): number {
  if (z > -3) return Math.log(normCdf(z));
  return Math.log(0.5) + logErfc(-z / SQRT2);
}

export function normPdf(z: number): number {
  return Math.exp(-0.5 * z * z - LOG_SQRT_2PI);
}

/** Inverse of Φ: a rational first guess (Abramowitz–Stegun 26.2.23) polished by Halley steps. */
export function normInv(p: number): number {
  if (!(p > 0)) return -Infinity;
  if (!(p < 1)) return Infinity;
  if (p > 0.5) return -normInv(1 - p);
  const t = Math.sqrt(-2 * Math.log(p));
  let x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  for (let i = 0; i < 3; i++) {
    const e = normCdf(x) - p;
    const u = e * Math.sqrt(2 * Math.PI) * Math.exp(0.5 * x * x);
    x -= u / (1 + 0.5 * x * u);
  }
  return x;
}

/** log Σ exp(a_i), stable. */
export function logSumExp(a: ArrayLike<number>, n = a.length): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (a[i]! > m) m = a[i]!;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(a[i]! - m);
  return m + Math.log(s);
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}
