/** Dense symmetric linear algebra on row-major Float64Arrays, enough for Gaussian processes. */

/** In-place Cholesky: the lower triangle of `a` becomes L (A = L·Lᵀ). False when A is not positive definite. */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    const d = a[rj + j]! - dot(a, rj, a, rj, j);
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      a[ri + j] = (a[ri + j]! - dot(a, ri, a, rj, j)) / ljj;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = 0;
  return true;
}

/** Σ_{k<len} x[xo+k]·y[yo+k], four accumulators so the additions do not wait on each other. */
export function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += x[xo + k]! * y[yo + k]!;
    s1 += x[xo + k + 1]! * y[yo + k + 1]!;
    s2 += x[xo + k + 2]! * y[yo + k + 2]!;
    s3 += x[xo + k + 3]! * y[yo + k + 3]!;
  }
  for (; k < len; k++) s0 += x[xo + k]! * y[yo + k]!;
  return s0 + s1 + s2 + s3;
}

/**
 * Cholesky of K, adding jitter to the diagonal (1e-10 of its mean, ×10 each try) until it
 * factors. Undefined when even a large jitter fails.
 */
export function choleskyJitter(k: Float64Array, n: number): Float64Array | undefined {
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += k[i * n + i]!;
  meanDiag = n > 0 ? meanDiag / n : 1;
  for (let jitter = 0, tries = 0; tries < 9; tries++, jitter = jitter === 0 ? 1e-10 * meanDiag : jitter * 10) {
    const l = Float64Array.from(k);
    if (jitter > 0) for (let i = 0; i < n; i++) l[i * n + i] = l[i * n + i]! + jitter;
    if (choleskyInPlace(l, n)) return l;
  }
  return undefined;
}

/** Solves L·x = b in place (L lower triangular). */
export function forwardSolve(l: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    b[i] = (b[i]! - dot(l, ri, b, 0, i)) / l[ri + i]!;
  }
  return b;
}

/** Solves Lᵀ·x = b in place. */
export function backSolve(l: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
  return b;
}

/** A⁻¹ from A's Cholesky factor: L⁻¹ (kept transposed so every inner loop is contiguous), then L⁻ᵀ·L⁻¹. */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  const mt = new Float64Array(n * n); // mt[j][i] = (L⁻¹)[i][j], non-zero for i ≥ j
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    mt[rj + j] = 1 / l[rj + j]!;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      mt[rj + i] = -dot(l, ri + j, mt, rj + j, i - j) / l[ri + i]!;
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const s = dot(mt, i * n + i, mt, j * n + i, n - i);
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: A = V·diag(values)·Vᵀ, V's columns the vectors. */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i]!;
  return { values, vectors: v };
}
