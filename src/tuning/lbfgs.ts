/** Limited-memory BFGS with a backtracking (Armijo) line search, for smooth minimisation. */

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
}

/** Minimises f; `f(x, grad)` returns the value and writes the gradient into `grad`. */
export function lbfgs(
  f: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  { maxIterations = 50, memory = 7, gradientTolerance = 1e-6 } = {},
): LbfgsResult {
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const rhos: number[] = [];
  const dot = (a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
    return s;
  };
  let it = 0;
  for (; it < maxIterations && Number.isFinite(fx); it++) {
    let gmax = 0;
    for (let i = 0; i < n; i++) gmax = Math.max(gmax, Math.abs(g[i]!));
    if (gmax < gradientTolerance) break;
    // Two-loop recursion: d = −H·g.
    const q = Float64Array.from(g);
    const alphas: number[] = [];
    for (let k = ss.length - 1; k >= 0; k--) {
      const a = rhos[k]! * dot(ss[k]!, q);
      alphas[k] = a;
      for (let i = 0; i < n; i++) q[i] = q[i]! - a * ys[k]![i]!;
    }
    const last = ss.length - 1;
    const scale = last >= 0 ? dot(ss[last]!, ys[last]!) / dot(ys[last]!, ys[last]!) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let i = 0; i < n; i++) q[i] = q[i]! * scale;
    for (let k = 0; k < ss.length; k++) {
      const b = rhos[k]! * dot(ys[k]!, q);
      for (let i = 0; i < n; i++) q[i] = q[i]! + (alphas[k]! - b) * ss[k]![i]!;
    }
    let d = q.map((v) => -v);
    let slope = dot(d, g);
    if (!(slope < 0)) {
      d = g.map((v) => -v);
      slope = -dot(g, g);
      ss.length = ys.length = rhos.length = 0;
    }
    let t = 1;
    let xNew = new Float64Array(n);
    let gNew = new Float64Array(n);
    let fNew = Infinity;
    for (let ls = 0; ls < 30; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + t * d[i]!;
      fNew = f(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * t * slope) break;
      t *= 0.5;
      fNew = Infinity;
    }
    if (!Number.isFinite(fNew)) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      ss.push(s);
      ys.push(y);
      rhos.push(1 / sy);
      if (ss.length > memory) {
        ss.shift();
        ys.shift();
        rhos.shift();
      }
    }
    const improvement = fx - fNew;
    x = xNew;
    g = gNew;
    fx = fNew;
    if (improvement < 1e-10 * Math.max(1, Math.abs(fx))) break;
  }
  return { x, value: fx, iterations: it };
}
