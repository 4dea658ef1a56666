/**
 * Seeded randomness: xoshiro128** (Blackman & Vigna), seeded through a 32-bit mixer.
 *
 * Algorithms never keep a generator between calls. Each draw site derives a fresh stream from
 * (seed, purpose, indexes…) — e.g. the k-th suggestion of an experiment — so a suggestion does
 * not depend on how many calls came before it, only on the request.
 */

/** murmur3's finalizer: a bijective avalanche on 32 bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Folds integers (any safe integer, negative too) into one 32-bit hash. */
export function hashInts(values: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    const lo = v >>> 0;
    const hi = Math.floor(v / 4294967296) >>> 0;
    h = fmix32((h ^ fmix32(lo + 0x7f4a7c15)) + 0x165667b1);
    h = fmix32((h ^ fmix32(hi + 0x2545f491)) + 0x27d4eb2f);
  }
  return h;
}

/** Hash of a string (FNV-1a then mixed), for stream tags and cache keys. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h >>> 0);
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  private constructor(seed32: number) {
    // Four distinct words from one seed; xoshiro only forbids the all-zero state.
    this.s0 = fmix32(seed32 + 0x9e3779b9);
    this.s1 = fmix32(seed32 + 0x3c6ef372);
    this.s2 = fmix32(seed32 + 0xdaa66d2b);
    this.s3 = fmix32(seed32 + 0x78dde6e4);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator for one purpose: `Rng.stream(seed, TAG, k)` gives the same numbers for the same arguments. */
  static stream(...parts: number[]): Rng {
    return new Rng(hashInts(parts));
  }

  /** Next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits. */
  float(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.float() * n));
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Index drawn with probability proportional to `weights` (non-negative, not all zero). */
  pick(weights: ArrayLike<number>, total?: number): number {
    let sum = total ?? 0;
    if (total === undefined) for (let i = 0; i < weights.length; i++) sum += weights[i]!;
    let x = this.float() * sum;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }
}

/** Stream tags: one per purpose, so streams of different algorithms never coincide. */
export const Stream = {
  random: 1,
  grid: 2,
  sobol: 3,
  tpe: 4,
  gp: 5,
  cmaes: 6,
  cmaesRestart: 7,
  hyperband: 8,
  fallback: 9,
} as const;
