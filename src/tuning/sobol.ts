/**
 * Sobol' quasi-random search. Direction numbers are the published Joe–Kuo table
 * (new-joe-kuo-6.21201) for dimensions 2–40; the first dimension is van der Corput. Points are
 * taken in Gray-code order (Antonov–Saleev), 32 bits.
 *
 * Without random_state the plain sequence is used, skipping its all-zero first point, as Katib's
 * goptuna sampler gives a plain sequence. With random_state it is scrambled by a random digital
 * shift (each coordinate XOR-ed with a seeded 32-bit mask), which keeps the net's balance and
 * makes seeds differ. Parameters beyond the 40th are drawn at random. A point that repeats a
 * tried one (small discrete spaces) is replaced by a random unseen point.
 */
import type { History } from './history.js';
import { Rng, Stream } from './rng.js';
import { suggestPoints } from './suggest-points.js';
import type { SuggestResult } from './types.js';

/** Joe–Kuo: for dimension 2, 3, …: degree s, polynomial a, initial m_1..m_s. */
const JOE_KUO: readonly (readonly number[])[] = [
  [1, 0, 1], [2, 1, 1, 3], [3, 1, 1, 3, 1], [3, 2, 1, 1, 1], [4, 1, 1, 1, 3, 3], [4, 4, 1, 3, 5, 13],
  [5, 2, 1, 1, 5, 5, 17], [5, 4, 1, 1, 5, 5, 5], [5, 7, 1, 1, 7, 11, 19], [5, 11, 1, 1, 5, 1, 1],
  [5, 13, 1, 1, 1, 3, 11], [5, 14, 1, 3, 5, 5, 31], [6, 1, 1, 3, 3, 9, 7, 49], [6, 13, 1, 1, 1, 15, 21, 21],
  [6, 16, 1, 3, 1, 13, 27, 49], [6, 19, 1, 1, 1, 15, 7, 5], [6, 22, 1, 3, 1, 15, 13, 25], [6, 25, 1, 1, 5, 5, 19, 61],
  [7, 1, 1, 3, 7, 11, 23, 15, 103], [7, 4, 1, 3, 7, 13, 13, 15, 69], [7, 7, 1, 1, 3, 13, 7, 35, 63],
  [7, 8, 1, 3, 5, 9, 1, 25, 53], [7, 14, 1, 3, 1, 13, 9, 35, 107], [7, 19, 1, 3, 1, 5, 27, 61, 31],
  [7, 21, 1, 1, 5, 11, 19, 41, 61], [7, 28, 1, 3, 5, 3, 3, 13, 69], [7, 31, 1, 1, 7, 13, 1, 19, 1],
  [7, 32, 1, 3, 7, 5, 13, 19, 59], [7, 37, 1, 1, 3, 9, 25, 29, 41], [7, 41, 1, 3, 5, 13, 23, 1, 55],
  [7, 42, 1, 3, 7, 3, 13, 59, 17], [7, 50, 1, 3, 1, 3, 5, 53, 69], [7, 55, 1, 1, 5, 5, 23, 33, 13],
  [7, 56, 1, 1, 7, 7, 1, 61, 123], [7, 59, 1, 1, 7, 9, 13, 61, 49], [7, 62, 1, 3, 3, 5, 3, 55, 33],
  [8, 14, 1, 3, 1, 15, 31, 13, 49, 245], [8, 21, 1, 3, 5, 15, 31, 59, 63, 97], [8, 22, 1, 3, 1, 11, 11, 11, 77, 249],
];

const BITS = 32;
export const SOBOL_MAX_DIMS = JOE_KUO.length + 1;

function directions(dim: number): Uint32Array {
  const v = new Uint32Array(BITS);
  if (dim === 0) {
    for (let k = 0; k < BITS; k++) v[k] = 2 ** (BITS - 1 - k);
    return v;
  }
  const row = JOE_KUO[dim - 1]!;
  const s = row[0]!;
  const a = row[1]!;
  for (let k = 0; k < BITS; k++) {
    if (k < s) {
      v[k] = row[2 + k]! * 2 ** (BITS - 1 - k);
      continue;
    }
    let x = (v[k - s]! ^ (v[k - s]! >>> s)) >>> 0;
    for (let l = 1; l < s; l++) if ((a >>> (s - 1 - l)) & 1) x = (x ^ v[k - l]!) >>> 0;
    v[k] = x;
  }
  return v;
}

const TABLE: Uint32Array[] = Array.from({ length: SOBOL_MAX_DIMS }, (_, d) => directions(d));

/** The n-th point (n ≥ 0) of the unscrambled sequence as 32-bit integers, one per dimension. */
export function sobolInts(n: number, dims: number): Uint32Array {
  const out = new Uint32Array(Math.min(dims, SOBOL_MAX_DIMS));
  let g = (n ^ (n >>> 1)) >>> 0;
  for (let k = 0; g !== 0; k++, g >>>= 1) {
    if (g & 1) for (let d = 0; d < out.length; d++) out[d] = (out[d]! ^ TABLE[d]![k]!) >>> 0;
  }
  return out;
}

/** The n-th point in [0, 1)^dims (unscrambled). */
export function sobolPoint(n: number, dims: number): number[] {
  return Array.from(sobolInts(n, dims), (x) => x / 2 ** BITS);
}

export function suggestSobol(history: History, count: number, seed: number, scrambled: boolean): SuggestResult {
  const space = history.space;
  const dims = space.dims.length;
  const masks = new Uint32Array(dims);
  if (scrambled) {
    const rng = Rng.stream(seed, Stream.sobol);
    for (let d = 0; d < dims; d++) masks[d] = rng.nextU32();
  }
  let j = 0;
  return suggestPoints(history, count, seed, Stream.sobol, function* (rng) {
    const n = history.next + j++ + (scrambled ? 0 : 1);
    const ints = sobolInts(n, dims);
    const p = new Float64Array(dims);
    space.dims.forEach((d, i) => {
      const u = i < ints.length ? ((ints[i]! ^ masks[i]!) >>> 0) / 2 ** BITS : rng.float();
      p[i] = d.kind === 'categorical' ? Math.min(d.choices.length - 1, Math.floor(u * d.choices.length)) : u;
    });
    yield p;
  });
}
