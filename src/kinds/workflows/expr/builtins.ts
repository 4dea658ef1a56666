/**
 * expr's builtin functions that take plain arguments (the ones taking a predicate, like
 * `filter`, live in the evaluator). Semantics follow expr's `builtin` package: Go string
 * functions (`split` is `strings.Split`, `indexOf` returns a byte offset), `int("1.5")` fails as
 * `strconv.Atoi` does, `string(x)` is `fmt.Sprint`, `toJSON` is indented `encoding/json`.
 * The clock functions (`now`, `date`, `duration`, `timezone`) are refused: Drover evaluates
 * expressions as pure functions of the workflow's variables.
 */
import { fail } from './errors.js';
import {
  compareStrings, deepEqual, goFormat, goJSON, hasKey, isInt, isMap, newMap, parseJSON, sortedKeys, typeName,
  utf8Length,
} from './values.js';

export type Builtin = (args: unknown[]) => unknown;

export function arity(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} or ${max}`;
    fail(`${name}() expects ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`);
  }
}

export function wantString(name: string, v: unknown): string {
  if (typeof v !== 'string') fail(`${name}() expects a string, not ${typeName(v)}`);
  return v;
}

export function wantInt(name: string, v: unknown): number {
  if (!isInt(v)) fail(`${name}() expects an int, not ${typeName(v)}`);
  return v;
}

export function wantNumber(name: string, v: unknown): number {
  if (typeof v !== 'number') fail(`${name}() expects a number, not ${typeName(v)}`);
  return v;
}

export function wantArray(name: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) fail(`${name}() expects an array, not ${typeName(v)}`);
  return v;
}

function wantMap(name: string, v: unknown): Record<string, unknown> {
  if (!isMap(v)) fail(`${name}() expects a map, not ${typeName(v)}`);
  return v;
}

const GO_SPACE = /^[\s\u0085]+|[\s\u0085]+$/gu;

/** Go's `strings.TrimSpace`. */
export function trimSpace(s: string): string {
  return s.replace(GO_SPACE, '');
}

/** Go's `strings.Trim(s, cutset)`: drops leading and trailing code points found in cutset. */
export function trimCutset(s: string, cutset: string, left = true, right = true): string {
  const cut = new Set(Array.from(cutset));
  const cs = Array.from(s);
  let a = 0;
  let b = cs.length;
  if (left) while (a < b && cut.has(cs[a]!)) a++;
  if (right) while (b > a && cut.has(cs[b - 1]!)) b--;
  return cs.slice(a, b).join('');
}

/** Go's `strings.SplitN` / `SplitAfterN` (n < 0: all pieces, n == 0: none). */
export function splitN(s: string, sep: string, n: number, after = false): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const chars = Array.from(s);
    if (n > 0 && n < chars.length) return [...chars.slice(0, n - 1), chars.slice(n - 1).join('')];
    return chars;
  }
  const parts: string[] = [];
  let i = 0;
  while (n < 0 || parts.length < n - 1) {
    const j = s.indexOf(sep, i);
    if (j < 0) break;
    parts.push(s.slice(i, after ? j + sep.length : j));
    i = j + sep.length;
  }
  parts.push(s.slice(i));
  return parts;
}

/** Go's `strings.Replace` (n < 0: all). */
export function replaceN(s: string, old: string, repl: string, n: number): string {
  if (n === 0 || old === repl) return s;
  if (old === '') {
    const chars = Array.from(s);
    let out = '';
    let done = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (n < 0 || done < n) { out += repl; done++; }
      if (i < chars.length) out += chars[i];
    }
    return out;
  }
  let out = '';
  let i = 0;
  let done = 0;
  while (n < 0 || done < n) {
    const j = s.indexOf(old, i);
    if (j < 0) break;
    out += s.slice(i, j) + repl;
    i = j + old.length;
    done++;
  }
  return out + s.slice(i);
}

/** Go's `strconv.Atoi`. */
export function atoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Math.abs(n) > 2 ** 63 ? undefined : n;
}

/** Go's `strconv.ParseFloat(s, 64)` for the decimal and special forms. */
export function parseGoFloat(s: string): number | undefined {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

export function toInt(name: string, v: unknown): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string') {
    const n = atoi(v);
    if (n === undefined) fail(`${name}(${JSON.stringify(v)}): not an integer`);
    return n;
  }
  return fail(`${name}() cannot convert ${typeName(v)} to int`);
}

export function toFloat(name: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = parseGoFloat(v);
    if (n === undefined) fail(`${name}(${JSON.stringify(v)}): not a number`);
    return n;
  }
  return fail(`${name}() cannot convert ${typeName(v)} to float`);
}

/** Go's `strings.Index` answers a byte offset; so do expr's `indexOf` and `lastIndexOf`. */
function byteIndex(s: string, i: number): number {
  return i < 0 ? -1 : utf8Length(s.slice(0, i));
}

function numbersIn(name: string, args: unknown[]): number[] {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'number') out.push(v);
    else fail(`invalid argument for ${name} (type ${typeName(v)})`);
  };
  args.forEach(walk);
  return out;
}

function minMax(name: string, args: unknown[], better: (a: number, b: number) => boolean): unknown {
  arity(name, args, 1, Infinity);
  if (args.length === 1 && !Array.isArray(args[0]) && typeof args[0] !== 'number') return args[0];
  let best: number | null = null;
  for (const n of numbersIn(name, args)) if (best === null || better(n, best)) best = n;
  return best;
}

function decodeBase64(s: string): string {
  const bad = /[^A-Za-z0-9+/=]/.exec(s);
  if (bad) fail(`illegal base64 data at input byte ${bad.index}`);
  const pad = s.indexOf('=');
  if (s.length % 4 !== 0 || (pad >= 0 && (pad < s.length - 2 || /=[^=]/.test(s.slice(pad))))) {
    fail(`illegal base64 data at input byte ${pad >= 0 ? pad : s.length - (s.length % 4)}`);
  }
  return Buffer.from(s, 'base64').toString('utf8');
}

function sortValues(name: string, list: unknown[], desc: boolean, key: (v: unknown) => unknown = (v) => v): unknown[] {
  const keyed = list.map((v) => ({ v, k: key(v) }));
  const allNumbers = keyed.every((e) => typeof e.k === 'number');
  const allStrings = keyed.every((e) => typeof e.k === 'string');
  if (!allNumbers && !allStrings) fail(`${name}() can only sort numbers or strings, not a mix`);
  keyed.sort((a, b) => {
    const c = allNumbers ? (a.k as number) - (b.k as number) : compareStrings(a.k as string, b.k as string);
    return desc ? -c : c;
  });
  return keyed.map((e) => e.v);
}

export function sortOrder(name: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (v !== 'asc' && v !== 'desc') fail(`${name}(): invalid order ${JSON.stringify(v)}, expected "asc" or "desc"`);
  return v === 'desc';
}

export { sortValues };

function bits(name: string, args: unknown[], op: (x: bigint, y: bigint) => bigint): number {
  arity(name, args, 2);
  const x = BigInt(wantInt(name, args[0]));
  const y = BigInt(wantInt(name, args[1]));
  return Number(BigInt.asIntN(64, op(x, y)));
}

function shiftCount(name: string, y: bigint): bigint {
  if (y < 0n) fail(`${name}(): negative shift count ${y}`);
  return y;
}

const noClock = (name: string): Builtin => () =>
  fail(`${name}() is not supported: Drover evaluates expressions without reading the clock`);

export const BUILTINS: Record<string, Builtin> = {
  len(args) {
    arity('len', args, 1);
    const v = args[0];
    if (typeof v === 'string') return Array.from(v).length;
    if (Array.isArray(v)) return v.length;
    if (isMap(v)) return Object.keys(v).length;
    return fail(`invalid argument for len (type ${typeName(v)})`);
  },
  type(args) {
    arity('type', args, 1);
    return typeName(args[0]);
  },
  abs(args) {
    arity('abs', args, 1);
    return Math.abs(wantNumber('abs', args[0]));
  },
  ceil(args) {
    arity('ceil', args, 1);
    return Math.ceil(wantNumber('ceil', args[0]));
  },
  floor(args) {
    arity('floor', args, 1);
    return Math.floor(wantNumber('floor', args[0]));
  },
  round(args) {
    arity('round', args, 1);
    const n = wantNumber('round', args[0]);
    return Math.sign(n) * Math.round(Math.abs(n));
  },
  int(args) {
    arity('int', args, 1);
    return toInt('int', args[0]);
  },
  float(args) {
    arity('float', args, 1);
    return toFloat('float', args[0]);
  },
  string(args) {
    arity('string', args, 1);
    return goFormat(args[0]);
  },
  trim(args) {
    arity('trim', args, 1, 2);
    const s = wantString('trim', args[0]);
    return args.length === 1 ? trimSpace(s) : trimCutset(s, wantString('trim', args[1]));
  },
  trimPrefix(args) {
    arity('trimPrefix', args, 1, 2);
    const s = wantString('trimPrefix', args[0]);
    const p = args.length === 2 ? wantString('trimPrefix', args[1]) : ' ';
    return s.startsWith(p) ? s.slice(p.length) : s;
  },
  trimSuffix(args) {
    arity('trimSuffix', args, 1, 2);
    const s = wantString('trimSuffix', args[0]);
    const p = args.length === 2 ? wantString('trimSuffix', args[1]) : ' ';
    return p && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  },
  upper(args) {
    arity('upper', args, 1);
    return wantString('upper', args[0]).toUpperCase();
  },
  lower(args) {
    arity('lower', args, 1);
    return wantString('lower', args[0]).toLowerCase();
  },
  split(args) {
    arity('split', args, 2, 3);
    const n = args.length === 3 ? wantInt('split', args[2]) : -1;
    return splitN(wantString('split', args[0]), wantString('split', args[1]), n);
  },
  splitAfter(args) {
    arity('splitAfter', args, 2, 3);
    const n = args.length === 3 ? wantInt('splitAfter', args[2]) : -1;
    return splitN(wantString('splitAfter', args[0]), wantString('splitAfter', args[1]), n, true);
  },
  replace(args) {
    arity('replace', args, 3, 4);
    const n = args.length === 4 ? wantInt('replace', args[3]) : -1;
    return replaceN(wantString('replace', args[0]), wantString('replace', args[1]), wantString('replace', args[2]), n);
  },
  repeat(args) {
    arity('repeat', args, 2);
    const s = wantString('repeat', args[0]);
    const n = wantInt('repeat', args[1]);
    if (n < 0) fail(`repeat(): expected a non-negative count, got ${n}`);
    if (n > 1e6 || s.length * n > 64e6) fail('repeat(): memory budget exceeded');
    return s.repeat(n);
  },
  join(args) {
    arity('join', args, 1, 2);
    const list = wantArray('join', args[0]);
    const glue = args.length === 2 ? wantString('join', args[1]) : '';
    return list.map((v) => (typeof v === 'string' ? v : fail(`join() expects an array of strings, found ${typeName(v)}`))).join(glue);
  },
  indexOf(args) {
    arity('indexOf', args, 2);
    const s = wantString('indexOf', args[0]);
    return byteIndex(s, s.indexOf(wantString('indexOf', args[1])));
  },
  lastIndexOf(args) {
    arity('lastIndexOf', args, 2);
    const s = wantString('lastIndexOf', args[0]);
    return byteIndex(s, s.lastIndexOf(wantString('lastIndexOf', args[1])));
  },
  hasPrefix(args) {
    arity('hasPrefix', args, 2);
    return wantString('hasPrefix', args[0]).startsWith(wantString('hasPrefix', args[1]));
  },
  hasSuffix(args) {
    arity('hasSuffix', args, 2);
    return wantString('hasSuffix', args[0]).endsWith(wantString('hasSuffix', args[1]));
  },
  max: (args) => minMax('max', args, (a, b) => a > b),
  min: (args) => minMax('min', args, (a, b) => a < b),
  mean(args) {
    arity('mean', args, 1, Infinity);
    const ns = numbersIn('mean', args);
    return ns.length === 0 ? 0 : ns.reduce((a, b) => a + b, 0) / ns.length;
  },
  median(args) {
    arity('median', args, 1, Infinity);
    const ns = numbersIn('median', args).sort((a, b) => a - b);
    if (ns.length === 0) return 0;
    const mid = Math.floor(ns.length / 2);
    return ns.length % 2 === 1 ? ns[mid]! : (ns[mid - 1]! + ns[mid]!) / 2;
  },
  toJSON(args) {
    arity('toJSON', args, 1);
    return goJSON(args[0], '  ');
  },
  fromJSON(args) {
    arity('fromJSON', args, 1);
    try {
      return parseJSON(wantString('fromJSON', args[0]));
    } catch (err) {
      return fail(`fromJSON(): ${(err as Error).message}`);
    }
  },
  toBase64(args) {
    arity('toBase64', args, 1);
    return Buffer.from(wantString('toBase64', args[0]), 'utf8').toString('base64');
  },
  fromBase64(args) {
    arity('fromBase64', args, 1);
    return decodeBase64(wantString('fromBase64', args[0]));
  },
  first(args) {
    arity('first', args, 1);
    return Array.isArray(args[0]) ? (args[0][0] ?? null) : null;
  },
  last(args) {
    arity('last', args, 1);
    return Array.isArray(args[0]) ? (args[0][args[0].length - 1] ?? null) : null;
  },
  get(args) {
    arity('get', args, 2);
    const [v, i] = args;
    if (Array.isArray(v) && isInt(i)) {
      const j = i < 0 ? v.length + i : i;
      return j >= 0 && j < v.length ? v[j] : null;
    }
    if (isMap(v) && typeof i === 'string') return hasKey(v, i) ? v[i] : null;
    return null;
  },
  take(args) {
    arity('take', args, 2);
    const list = wantArray('take', args[0]);
    const n = wantInt('take', args[1]);
    if (n < 0) fail(`take(): cannot take ${n} elements`);
    return list.slice(0, n);
  },
  keys(args) {
    arity('keys', args, 1);
    return sortedKeys(wantMap('keys', args[0]));
  },
  values(args) {
    arity('values', args, 1);
    const m = wantMap('values', args[0]);
    return sortedKeys(m).map((k) => m[k]);
  },
  toPairs(args) {
    arity('toPairs', args, 1);
    const m = wantMap('toPairs', args[0]);
    return sortedKeys(m).map((k) => [k, m[k]]);
  },
  fromPairs(args) {
    arity('fromPairs', args, 1);
    const out = newMap();
    for (const pair of wantArray('fromPairs', args[0])) {
      if (!Array.isArray(pair) || pair.length !== 2) fail(`fromPairs(): invalid pair ${goFormat(pair)}`);
      out[typeof pair[0] === 'string' ? pair[0] : goFormat(pair[0])] = pair[1];
    }
    return out;
  },
  reverse(args) {
    arity('reverse', args, 1);
    return [...wantArray('reverse', args[0])].reverse();
  },
  uniq(args) {
    arity('uniq', args, 1);
    const out: unknown[] = [];
    for (const v of wantArray('uniq', args[0])) if (!out.some((x) => deepEqual(x, v))) out.push(v);
    return out;
  },
  concat(args) {
    arity('concat', args, 1, Infinity);
    return args.flatMap((a) => wantArray('concat', a));
  },
  flatten(args) {
    arity('flatten', args, 1);
    const flat = (v: unknown[]): unknown[] => v.flatMap((x) => (Array.isArray(x) ? flat(x) : [x]));
    return flat(wantArray('flatten', args[0]));
  },
  sort(args) {
    arity('sort', args, 1, 2);
    return sortValues('sort', wantArray('sort', args[0]), sortOrder('sort', args[1]));
  },
  bitand: (args) => bits('bitand', args, (x, y) => x & y),
  bitor: (args) => bits('bitor', args, (x, y) => x | y),
  bitxor: (args) => bits('bitxor', args, (x, y) => x ^ y),
  bitnand: (args) => bits('bitnand', args, (x, y) => x & ~y),
  bitshl: (args) => bits('bitshl', args, (x, y) => x << shiftCount('bitshl', y)),
  bitshr: (args) => bits('bitshr', args, (x, y) => x >> shiftCount('bitshr', y)),
  bitushr: (args) => bits('bitushr', args, (x, y) => BigInt.asUintN(64, x) >> shiftCount('bitushr', y)),
  bitnot(args) {
    arity('bitnot', args, 1);
    return Number(BigInt.asIntN(64, ~BigInt(wantInt('bitnot', args[0]))));
  },
  now: noClock('now'),
  date: noClock('date'),
  duration: noClock('duration'),
  timezone: noClock('timezone'),
};

export const BUILTIN_NAMES: ReadonlySet<string> = new Set(Object.keys(BUILTINS));

