/**
 * The search space: Katib parameters turned into dimensions that algorithms share.
 *
 * A point is a Float64Array with one coordinate per parameter: numeric parameters live in
 * u ∈ [0, 1] (log scale for logUniform/logNormal), categorical and discrete ones hold the
 * index into `list`. Stepped numbers (every int, doubles with `step`) are relaxed so that each
 * grid value owns an equal slice of [0, 1]; decoding rounds to the grid. Katib treats discrete
 * lists as categories, and so do we.
 */
import type { FieldIssue } from '../api/errors.js';
import { ValidationError } from '../api/errors.js';
import type { Rng } from './rng.js';
import type { Assignments, ParameterSpec } from './types.js';

export interface NumericDim {
  kind: 'numeric';
  name: string;
  isInt: boolean;
  log: boolean;
  /** Katib's normal/logNormal: random sampling centres on the middle with sd = range/6. */
  normalPrior: boolean;
  min: number;
  max: number;
  /** Grid step; ints default to 1 as in Katib. Undefined for continuous doubles. */
  step: number | undefined;
  /** Number of grid values; Infinity when continuous (1 when min = max). */
  count: number;
  /** Bounds of the relaxed coordinate in (log-)value space: u = (T(v) − lo) / (hi − lo). */
  lo: number;
  hi: number;
  decimals: number;
}

export interface CategoricalDim {
  kind: 'categorical';
  name: string;
  choices: string[];
}

export type Dim = NumericDim | CategoricalDim;

const KEY_SEP = '\u001f';

const bits = new Float64Array(1);
const bitWords = new Uint16Array(bits.buffer);
/**
 * A continuous number's part of a key: its IEEE-754 bits as four UTF-16 code units behind a
 * marker. The same double gives the same part however it was written ("0.5", "5e-1"), and it
 * costs a fraction of String(v), which dominated parsing a history of thousands of trials.
 */
function bitsOf(v: number): string {
  bits[0] = v + 0; // −0 and 0 are one point
  return String.fromCharCode(0x1e, bitWords[0]!, bitWords[1]!, bitWords[2]!, bitWords[3]!);
}
/** Keys of assignments outside the space (off-grid, out of range, unknown choice) start with this. */
export const FOREIGN = '!';

function decimalsOf(x: number): number {
  for (let d = 0; d <= 15; d++) {
    const s = x * 10 ** d;
    if (Math.abs(s - Math.round(s)) <= 1e-9 * Math.max(1, Math.abs(s))) return d;
  }
  return 15;
}

const isIntString = (s: string): boolean => /^[-+]?\d+$/.test(s.trim());
const num = (s: string | undefined): number => (s === undefined || s.trim() === '' ? NaN : Number(s));

/** Every problem with `spec.parameters`, each with its field path. */
export function validateSearchSpace(parameters: readonly ParameterSpec[] | undefined, basePath = 'spec.parameters'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!Array.isArray(parameters) || parameters.length === 0) {
    issues.push({ path: basePath, message: 'at least one parameter is required' });
    return issues;
  }
  const names = new Set<string>();
  parameters.forEach((p, i) => {
    const at = `${basePath}[${i}]`;
    const fs = p.feasibleSpace ?? {};
    if (!p.name) issues.push({ path: `${at}.name`, message: 'name is required' });
    else if (names.has(p.name)) issues.push({ path: `${at}.name`, message: `duplicate parameter name "${p.name}"` });
    else names.add(p.name);
    const dist = fs.distribution ?? '';
    if (!['', 'uniform', 'logUniform', 'normal', 'logNormal'].includes(dist)) {
      issues.push({ path: `${at}.feasibleSpace.distribution`, message: `unknown distribution "${dist}"; accepted: uniform, logUniform, normal, logNormal` });
    }
    if (p.parameterType === 'int' || p.parameterType === 'double') {
      if (fs.list !== undefined && fs.list.length > 0) {
        issues.push({ path: `${at}.feasibleSpace.list`, message: `list is not allowed for a parameter of type ${p.parameterType}; use min and max` });
      }
      const isInt = p.parameterType === 'int';
      const bad = (v: string | undefined): boolean =>
        v === undefined || (isInt ? !isIntString(v) : !Number.isFinite(num(v)));
      for (const field of ['min', 'max'] as const) {
        if (fs[field] === undefined || fs[field] === '') issues.push({ path: `${at}.feasibleSpace.${field}`, message: `${field} is required for a parameter of type ${p.parameterType}` });
        else if (bad(fs[field])) issues.push({ path: `${at}.feasibleSpace.${field}`, message: `${field} must be ${isInt ? 'an integer' : 'a number'}, got "${fs[field]}"` });
      }
      const min = num(fs.min);
      const max = num(fs.max);
      if (Number.isFinite(min) && Number.isFinite(max) && min > max) {
        issues.push({ path: `${at}.feasibleSpace.min`, message: `min (${fs.min}) must not be greater than max (${fs.max})` });
      }
      if (fs.step !== undefined && fs.step !== '') {
        if (bad(fs.step) || !(num(fs.step) > 0)) issues.push({ path: `${at}.feasibleSpace.step`, message: `step must be a positive ${isInt ? 'integer' : 'number'}, got "${fs.step}"` });
      }
      if ((dist === 'logUniform' || dist === 'logNormal') && Number.isFinite(min) && !(min > 0)) {
        issues.push({ path: `${at}.feasibleSpace.min`, message: `min must be greater than 0 for distribution ${dist}, got "${fs.min}"` });
      }
    } else if (p.parameterType === 'discrete' || p.parameterType === 'categorical') {
      for (const field of ['min', 'max', 'step'] as const) {
        if (fs[field] !== undefined && fs[field] !== '') issues.push({ path: `${at}.feasibleSpace.${field}`, message: `${field} is not allowed for a parameter of type ${p.parameterType}; use list` });
      }
      if (dist !== '') issues.push({ path: `${at}.feasibleSpace.distribution`, message: `distribution is not allowed for a parameter of type ${p.parameterType}` });
      if (!Array.isArray(fs.list) || fs.list.length === 0) {
        issues.push({ path: `${at}.feasibleSpace.list`, message: `list is required for a parameter of type ${p.parameterType}` });
      } else {
        const seen = new Set<string>();
        (fs.list as unknown[]).forEach((v, j) => {
          if (typeof v !== 'string') issues.push({ path: `${at}.feasibleSpace.list[${j}]`, message: 'list values must be strings' });
          else if (seen.has(v)) issues.push({ path: `${at}.feasibleSpace.list[${j}]`, message: `duplicate value "${v}"` });
          else if (p.parameterType === 'discrete' && !Number.isFinite(num(v))) issues.push({ path: `${at}.feasibleSpace.list[${j}]`, message: `discrete values must be numbers, got "${v}"` });
          seen.add(String(v));
        });
      }
    } else {
      issues.push({ path: `${at}.parameterType`, message: `unknown parameterType "${String(p.parameterType)}"; accepted: int, double, discrete, categorical` });
    }
  });
  return issues;
}

function numericDim(p: ParameterSpec): NumericDim {
  const fs = p.feasibleSpace;
  const isInt = p.parameterType === 'int';
  const min = Number(fs.min);
  const max = Number(fs.max);
  const dist = fs.distribution || 'uniform';
  const log = dist === 'logUniform' || dist === 'logNormal';
  const normalPrior = dist === 'normal' || dist === 'logNormal';
  const stepText = fs.step && fs.step.trim() !== '' ? Number(fs.step) : undefined;
  const step = stepText ?? (isInt ? 1 : undefined);
  const T = (v: number): number => (log ? Math.log(v) : v);
  let count: number;
  let lo: number;
  let hi: number;
  if (step !== undefined) {
    count = Math.floor((max - min) / step + 1e-9) + 1;
    const first = min;
    const last = min + (count - 1) * step;
    if (count === 1) {
      lo = T(first) - 0.5;
      hi = T(first) + 0.5;
    } else if (log) {
      lo = T(first) - (T(first + step) - T(first)) / 2;
      hi = T(last) + (T(last) - T(last - step)) / 2;
    } else {
      lo = first - step / 2;
      hi = last + step / 2;
    }
  } else {
    count = min === max ? 1 : Infinity;
    lo = T(min);
    hi = min === max ? lo + 1 : T(max);
  }
  const decimals = isInt ? 0 : Math.max(decimalsOf(min), step !== undefined ? decimalsOf(step) : 0);
  return { kind: 'numeric', name: p.name, isInt, log, normalPrior, min, max, step, count, lo, hi, decimals };
}

export class Space {
  readonly dims: Dim[];
  /** Number of distinct points; Infinity when a continuous double is present. */
  readonly size: number;
  private readonly indexByName: Map<string, number>;

  private constructor(parameters: readonly ParameterSpec[]) {
    this.dims = parameters.map((p): Dim =>
      p.parameterType === 'int' || p.parameterType === 'double'
        ? numericDim(p)
        : { kind: 'categorical', name: p.name, choices: [...(p.feasibleSpace.list ?? [])] },
    );
    this.indexByName = new Map(this.dims.map((d, i) => [d.name, i]));
    this.size = this.dims.reduce((n, d) => n * (d.kind === 'numeric' ? d.count : d.choices.length), 1);
  }

  /** Parses and validates; throws a ValidationError naming every bad field. */
  static of(parameters: readonly ParameterSpec[]): Space {
    const issues = validateSearchSpace(parameters);
    if (issues.length > 0) throw new ValidationError(issues);
    return new Space(parameters);
  }

  indexOf(name: string): number | undefined {
    return this.indexByName.get(name);
  }

  /** The value a numeric coordinate decodes to (snapped to the grid, clamped to [min, max]). */
  numericValue(d: NumericDim, u: number): number {
    const t = d.lo + Math.min(1, Math.max(0, u)) * (d.hi - d.lo);
    const v = d.log ? Math.exp(t) : t;
    if (d.step !== undefined) {
      const k = Math.min(d.count - 1, Math.max(0, Math.round((v - d.min) / d.step)));
      return d.isInt ? Math.round(d.min + k * d.step) : d.min + k * d.step;
    }
    return Math.min(d.max, Math.max(d.min, v));
  }

  /** u of a numeric value. */
  encodeNumber(d: NumericDim, v: number): number {
    if (d.count === 1) return 0.5;
    return ((d.log ? Math.log(v) : v) - d.lo) / (d.hi - d.lo);
  }

  formatNumber(d: NumericDim, v: number): string {
    if (d.isInt) return String(Math.round(v));
    if (d.step !== undefined) return String(Number(v.toFixed(d.decimals)));
    return String(v);
  }

  /** Assignments for a point. */
  toAssignments(p: ArrayLike<number>): Assignments {
    const out: Assignments = {};
    this.dims.forEach((d, i) => {
      const x = p[i]!;
      out[d.name] = d.kind === 'numeric' ? this.formatNumber(d, this.numericValue(d, x)) : d.choices[Math.min(d.choices.length - 1, Math.max(0, Math.round(x)))]!;
    });
    return out;
  }

  /** The point of assignments, or undefined when a value is missing, unparsable or outside the space. */
  fromAssignments(a: Assignments): Float64Array | undefined {
    return this.parse(a).point;
  }

  /** Moves a point onto the values it decodes to (grid cell centres, chosen categories). */
  snap(p: Float64Array): Float64Array {
    const q = new Float64Array(p.length);
    this.dims.forEach((d, i) => {
      if (d.kind === 'categorical') q[i] = Math.min(d.choices.length - 1, Math.max(0, Math.round(p[i]!)));
      else if (d.step !== undefined || d.count === 1) q[i] = this.encodeNumber(d, this.numericValue(d, p[i]!));
      else q[i] = Math.min(1, Math.max(0, p[i]!));
    });
    return q;
  }

  /**
   * Key and point of assignments in one pass (see `key` and `fromAssignments`): the history of
   * a large experiment is parsed on every request, so each value is read once.
   */
  parse(a: Assignments): { key: string | undefined; point: Float64Array | undefined } {
    let point: Float64Array | undefined = new Float64Array(this.dims.length);
    let key = '';
    let foreign = false;
    for (let i = 0; i < this.dims.length; i++) {
      const d = this.dims[i]!;
      const s = a[d.name];
      if (s === undefined) return { key: undefined, point: undefined };
      let part: string;
      if (d.kind === 'categorical') {
        const j = d.choices.indexOf(s);
        if (j < 0) {
          foreign = true;
          point = undefined;
          part = s;
        } else {
          if (point) point[i] = j;
          part = s;
        }
      } else {
        const v = Number(s);
        const tol = 1e-9 * Math.max(1, Math.abs(d.max), Math.abs(d.min));
        const inRange = Number.isFinite(v) && v >= d.min - tol && v <= d.max + tol;
        if (!inRange) point = undefined;
        else if (point) point[i] = Math.min(1, Math.max(0, this.encodeNumber(d, v)));
        if (!Number.isFinite(v)) {
          foreign = true;
          part = s;
        } else if (d.step !== undefined) {
          const k = Math.round((v - d.min) / d.step);
          const g = d.min + k * d.step;
          if (k >= 0 && k < d.count && Math.abs(g - v) <= 1e-9 * Math.max(1, Math.abs(v))) part = this.formatNumber(d, g);
          else {
            foreign = true;
            part = String(v);
          }
        } else {
          if (!(v >= d.min && v <= d.max)) foreign = true;
          part = bitsOf(v);
        }
      }
      key = i === 0 ? part : key + KEY_SEP + part;
    }
    return { key: (foreign ? FOREIGN : '') + key, point };
  }

  /**
   * Canonical identity of assignments ("1" and "1.0" of an int are the same point).
   * Undefined when a parameter is missing; starts with FOREIGN when some value lies outside the space.
   */
  key(a: Assignments): string | undefined {
    return this.parse(a).key;
  }

  /**
   * A random point. With `prior`, Katib's normal/logNormal distributions centre the draw on the
   * middle of the range (sd = range/6, truncated to it); otherwise every dimension is uniform.
   */
  sample(rng: Rng, prior = true, skip?: number): Float64Array {
    const p = new Float64Array(this.dims.length);
    this.dims.forEach((d, i) => {
      if (i === skip) return;
      if (d.kind === 'categorical') {
        p[i] = rng.int(d.choices.length);
        return;
      }
      if (prior && d.normalPrior && d.count !== 1) {
        const a = d.log ? Math.log(d.min) : d.min;
        const b = d.log ? Math.log(d.max) : d.max;
        for (let tries = 0; tries < 32; tries++) {
          const t = (a + b) / 2 + ((b - a) / 6) * rng.normal();
          if (t >= a && t <= b) {
            p[i] = (t - d.lo) / (d.hi - d.lo);
            return;
          }
        }
      }
      p[i] = rng.float();
    });
    return p;
  }

  /** Values a finite dimension takes, in order. */
  dimValues(d: Dim): string[] {
    if (d.kind === 'categorical') return d.choices;
    if (d.count === Infinity) throw new Error(`parameter ${d.name} is continuous`);
    const out: string[] = [];
    for (let k = 0; k < d.count; k++) out.push(this.formatNumber(d, d.step === undefined ? d.min : d.min + k * d.step));
    return out;
  }

  /** The index-th point of the full grid (last parameter varies fastest), as assignments. */
  gridPoint(index: number, values: string[][]): Assignments {
    const digits = new Array<number>(this.dims.length);
    for (let i = this.dims.length - 1; i >= 0; i--) {
      const n = values[i]!.length;
      digits[i] = index % n;
      index = Math.floor(index / n);
    }
    const out: Assignments = {};
    this.dims.forEach((d, i) => (out[d.name] = values[i]![digits[i]!]!));
    return out;
  }
}
