/**
 * The `sprig` map Argo puts in the expression environment (Masterminds/sprig's generic function
 * map). Sprig's conventions are kept: the subject string comes last (`sprig.replace(old, new, s)`,
 * `sprig.contains(sub, s)`), numbers are coerced leniently (`sprig.int("x")` is 0, as spf13/cast
 * does), `sprig.default(d, v)` answers `d` when `v` is empty, and functions typed with Go `string`
 * or `int` parameters refuse other types, as a Go call through reflection would.
 * Functions that read the clock, randomness or the host are refused with a message.
 */
import { createHash } from 'node:crypto';
import { fail } from './errors.js';
import { compileGoRegex, GoRegexSyntaxError, quoteGoMeta, type GoRegex } from '../../../util/goregex.js';
import { atoi, parseGoFloat, replaceN, splitN, trimCutset, trimSpace } from './builtins.js';
import {
  compareStrings, deepEqual, ExprFunction, goFormat, goJSON, goQuote, hasKey, isInt, isMap, isNil, newMap, parseJSON,
  typeName, type ExprMap,
} from './values.js';

type Impl = (args: unknown[]) => unknown;

function count(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    fail(`sprig.${name}() expects ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`);
  }
}

/** A Go pattern, compiled once; invalid syntax fails the expression with Go's message. */
function goRegex(pattern: string): GoRegex {
  try {
    return compileGoRegex(pattern);
  } catch (err) {
    if (err instanceof GoRegexSyntaxError) fail(err.message);
    throw err;
  }
}

function s(name: string, v: unknown): string {
  if (typeof v !== 'string') fail(`sprig.${name}(): cannot use ${typeName(v)} as a string argument`);
  return v;
}

function i(name: string, v: unknown): number {
  if (!isInt(v)) fail(`sprig.${name}(): cannot use ${typeName(v)} as an int argument`);
  return v;
}

function list(name: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) fail(`sprig.${name}(): cannot use ${typeName(v)} as a list`);
  return v;
}

function dictArg(name: string, v: unknown): ExprMap {
  if (!isMap(v)) fail(`sprig.${name}(): cannot use ${typeName(v)} as a dict`);
  return v;
}

/** sprig's `strval`: strings as they are, anything else through `fmt.Sprint`. */
export function strval(v: unknown): string {
  return typeof v === 'string' ? v : goFormat(v);
}

/** sprig's `strslice`: a list becomes its non-nil members as strings; a scalar a one-item list. */
function strslice(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x) => !isNil(x)).map(strval);
  if (isNil(v)) return [];
  return [strval(v)];
}

/** spf13/cast's trimZeroDecimal: `"1.00"` parses as an int, `"1.5"` does not. */
function trimZeroDecimal(t: string): string {
  let foundZero = false;
  for (let k = t.length; k > 0; k--) {
    const c = t[k - 1];
    if (c === '.') { if (foundZero) return t.slice(0, k - 1); }
    else if (c === '0') foundZero = true;
    else return t;
  }
  return t;
}

/** Go's `strconv.ParseInt(s, 0, 64)`: sign, then 0x/0o/0b or a leading-0 octal prefix. */
function parseIntBase0(t: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[oO][0-7](?:_?[0-7])*|0[bB][01](?:_?[01])*|0(?:_?[0-7])*|[1-9]\d*)$/.exec(t);
  if (!m) return undefined;
  const body = m[2]!.replace(/_/g, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (body.length > 1 && body.startsWith('0')) n = parseInt(body.slice(1), 8);
  else n = Number(body);
  if (n > 2 ** 63) return undefined;
  return m[1] === '-' ? -n : n;
}

/** spf13/cast `ToInt64`, errors folded to 0 as sprig does. */
export function toInt64(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parseIntBase0(trimZeroDecimal(v)) ?? 0;
  return 0;
}

/** spf13/cast `ToFloat64`, errors folded to 0. */
export function toFloat64(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parseGoFloat(v) ?? 0;
  return 0;
}

/** sprig's `empty`: nil, false, 0, "" and empty collections. */
export function empty(v: unknown): boolean {
  if (isNil(v)) return true;
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'number') return v === 0;
  if (typeof v === 'string') return v.length === 0;
  if (Array.isArray(v)) return v.length === 0;
  if (isMap(v)) return Object.keys(v).length === 0;
  return false;
}

/** shopspring/decimal arithmetic as sprig's `addf` family uses it, approximated to 15 digits. */
function decimal(n: number): number {
  return Number.isFinite(n) ? Number(n.toPrecision(15)) : n;
}

function goKind(v: unknown): string {
  if (isNil(v)) return 'invalid';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'slice';
  if (isMap(v)) return 'map';
  return 'func';
}

function goType(v: unknown): string {
  if (isNil(v)) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isMap(v)) return 'map[string]interface {}';
  const k = goKind(v);
  return k === 'func' ? 'func(...interface {}) interface {}' : k;
}

function untilStep(start: number, stop: number, step: number): number[] {
  const out: number[] = [];
  if (step === 0) return out;
  if (stop < start) {
    if (step >= 0) return out;
    for (let k = start; k > stop; k += step) out.push(k);
    return out;
  }
  if (step <= 0) return out;
  if ((stop - start) / step > 1e6) fail('sprig: sequence too long');
  for (let k = start; k < stop; k += step) out.push(k);
  return out;
}

function seq(args: number[]): string {
  const [a, b, c] = args;
  let out: number[] = [];
  if (args.length === 1) out = untilStep(1, a! + (a! < 1 ? -1 : 1), a! < 1 ? -1 : 1);
  else if (args.length === 2) out = untilStep(a!, b! + (b! < a! ? -1 : 1), b! < a! ? -1 : 1);
  else if (args.length === 3) {
    if (c! < a! && b! > 0) return '';
    out = untilStep(a!, c! + (c! < a! ? -1 : 1), b!);
  }
  return out.join(' ');
}

function titleCase(t: string, upper: boolean): string {
  let prevSep = true;
  let out = '';
  for (const ch of t) {
    out += prevSep ? (upper ? ch.toUpperCase() : ch.toLowerCase()) : ch;
    prevSep = !/[\p{L}\p{Nd}_]/u.test(ch);
  }
  return out;
}

function b64decode(t: string): string {
  const bad = /[^A-Za-z0-9+/=]/.exec(t);
  const pad = t.indexOf('=');
  if (bad) return `illegal base64 data at input byte ${bad.index}`;
  if (t.length % 4 !== 0 || (pad >= 0 && (pad < t.length - 2 || /=[^=]/.test(t.slice(pad))))) {
    return `illegal base64 data at input byte ${pad >= 0 ? pad : t.length - (t.length % 4)}`;
  }
  return Buffer.from(t, 'base64').toString('utf8');
}

function jsonOrEmpty(v: unknown, indent: string, escapeHTML: boolean): string {
  try {
    return goJSON(v, indent, escapeHTML);
  } catch {
    return '';
  }
}

function splitMap(parts: string[]): ExprMap {
  const m = newMap();
  parts.forEach((p, k) => { m[`_${k}`] = p; });
  return m;
}

function copyMap(m: ExprMap): ExprMap {
  const out = newMap();
  for (const k of Object.keys(m)) out[k] = m[k];
  return out;
}

const IMPLS: Record<string, Impl> = {
  // Strings: the subject comes last.
  trim: (a) => (count('trim', a, 1), trimSpace(s('trim', a[0]))),
  trimAll: (a) => (count('trimAll', a, 2), trimCutset(s('trimAll', a[1]), s('trimAll', a[0]))),
  trimPrefix: (a) => {
    count('trimPrefix', a, 2);
    const p = s('trimPrefix', a[0]);
    const t = s('trimPrefix', a[1]);
    return t.startsWith(p) ? t.slice(p.length) : t;
  },
  trimSuffix: (a) => {
    count('trimSuffix', a, 2);
    const p = s('trimSuffix', a[0]);
    const t = s('trimSuffix', a[1]);
    return p && t.endsWith(p) ? t.slice(0, t.length - p.length) : t;
  },
  upper: (a) => (count('upper', a, 1), s('upper', a[0]).toUpperCase()),
  lower: (a) => (count('lower', a, 1), s('lower', a[0]).toLowerCase()),
  title: (a) => (count('title', a, 1), titleCase(s('title', a[0]), true)),
  untitle: (a) => (count('untitle', a, 1), titleCase(s('untitle', a[0]), false)),
  repeat: (a) => {
    count('repeat', a, 2);
    const n = i('repeat', a[0]);
    if (n < 0) fail('sprig.repeat(): negative count');
    if (n > 1e6) fail('sprig.repeat(): count too large');
    return s('repeat', a[1]).repeat(n);
  },
  substr: (a) => {
    count('substr', a, 3);
    const start = i('substr', a[0]);
    const end = i('substr', a[1]);
    const t = s('substr', a[2]);
    if (start < 0) return t.slice(0, Math.max(0, end));
    if (end < 0 || end > t.length) return t.slice(start);
    return t.slice(start, end);
  },
  nospace: (a) => (count('nospace', a, 1), s('nospace', a[0]).replace(/[\s\u0085]/gu, '')),
  trunc: (a) => {
    count('trunc', a, 2);
    const c = i('trunc', a[0]);
    const t = s('trunc', a[1]);
    if (c < 0 && t.length + c > 0) return t.slice(t.length + c);
    if (c >= 0 && t.length > c) return t.slice(0, c);
    return t;
  },
  abbrev: (a) => {
    count('abbrev', a, 2);
    const w = i('abbrev', a[0]);
    const t = s('abbrev', a[1]);
    if (w < 4 || t.length <= w) return t;
    return t.slice(0, w - 3) + '...';
  },
  contains: (a) => (count('contains', a, 2), s('contains', a[1]).includes(s('contains', a[0]))),
  hasPrefix: (a) => (count('hasPrefix', a, 2), s('hasPrefix', a[1]).startsWith(s('hasPrefix', a[0]))),
  hasSuffix: (a) => (count('hasSuffix', a, 2), s('hasSuffix', a[1]).endsWith(s('hasSuffix', a[0]))),
  replace: (a) => (count('replace', a, 3), replaceN(s('replace', a[2]), s('replace', a[0]), s('replace', a[1]), -1)),
  cat: (a) => a.filter((x) => !isNil(x)).map(strval).join(' '),
  indent: (a) => {
    count('indent', a, 2);
    const pad = ' '.repeat(Math.max(0, i('indent', a[0])));
    return pad + s('indent', a[1]).split('\n').join('\n' + pad);
  },
  nindent: (a) => {
    count('nindent', a, 2);
    const pad = ' '.repeat(Math.max(0, i('nindent', a[0])));
    return '\n' + pad + s('nindent', a[1]).split('\n').join('\n' + pad);
  },
  quote: (a) => a.filter((x) => !isNil(x)).map((x) => goQuote(strval(x))).join(' '),
  squote: (a) => a.filter((x) => !isNil(x)).map((x) => `'${strval(x)}'`).join(' '),
  splitList: (a) => (count('splitList', a, 2), splitN(s('splitList', a[1]), s('splitList', a[0]), -1)),
  split: (a) => (count('split', a, 2), splitMap(splitN(s('split', a[1]), s('split', a[0]), -1))),
  splitn: (a) => (count('splitn', a, 3), splitMap(splitN(s('splitn', a[2]), s('splitn', a[0]), i('splitn', a[1])))),
  join: (a) => (count('join', a, 2), strslice(a[1]).join(s('join', a[0]))),
  toString: (a: unknown[]) => (count('toString', a, 1), strval(a[0])),
  toStrings: (a) => (count('toStrings', a, 1), strslice(a[0])),
  b64enc: (a) => (count('b64enc', a, 1), Buffer.from(s('b64enc', a[0]), 'utf8').toString('base64')),
  b64dec: (a) => (count('b64dec', a, 1), b64decode(s('b64dec', a[0]))),
  sha1sum: (a) => (count('sha1sum', a, 1), createHash('sha1').update(s('sha1sum', a[0]), 'utf8').digest('hex')),
  sha256sum: (a) => (count('sha256sum', a, 1), createHash('sha256').update(s('sha256sum', a[0]), 'utf8').digest('hex')),
  plural: (a) => (count('plural', a, 3), i('plural', a[2]) === 1 ? s('plural', a[0]) : s('plural', a[1])),

  // Regular expressions (Go RE2 syntax): the pattern first, the subject second.
  regexMatch: (a) => {
    count('regexMatch', a, 2);
    const t = s('regexMatch', a[1]);
    try {
      return goRegex(s('regexMatch', a[0])).test(t);
    } catch {
      return false;
    }
  },
  mustRegexMatch: (a) => (count('mustRegexMatch', a, 2), goRegex(s('mustRegexMatch', a[0])).test(s('mustRegexMatch', a[1]))),
  regexFind: (a) => (count('regexFind', a, 2), goRegex(s('regexFind', a[0])).find(s('regexFind', a[1]))?.groups[0] ?? ''),
  regexFindAll: (a) => {
    count('regexFindAll', a, 3);
    return goRegex(s('regexFindAll', a[0])).findAll(s('regexFindAll', a[1]), i('regexFindAll', a[2])).map((m) => m.groups[0] ?? '');
  },
  regexReplaceAll: (a) => (count('regexReplaceAll', a, 3), goRegex(s('regexReplaceAll', a[0])).replaceAll(s('regexReplaceAll', a[1]), s('regexReplaceAll', a[2]))),
  regexReplaceAllLiteral: (a) => {
    count('regexReplaceAllLiteral', a, 3);
    return goRegex(s('regexReplaceAllLiteral', a[0])).replaceAll(s('regexReplaceAllLiteral', a[1]), s('regexReplaceAllLiteral', a[2]), true);
  },
  regexSplit: (a) => (count('regexSplit', a, 3), goRegex(s('regexSplit', a[0])).split(s('regexSplit', a[1]), i('regexSplit', a[2]))),
  regexQuoteMeta: (a) => (count('regexQuoteMeta', a, 1), quoteGoMeta(s('regexQuoteMeta', a[0]))),

  // Integer math on cast-coerced values.
  add: (a) => a.reduce<number>((acc, x) => acc + toInt64(x), 0),
  add1: (a) => (count('add1', a, 1), toInt64(a[0]) + 1),
  sub: (a) => (count('sub', a, 2), toInt64(a[0]) - toInt64(a[1])),
  mul: (a) => (count('mul', a, 1, Infinity), a.reduce<number>((acc, x) => acc * toInt64(x), 1)),
  div: (a) => {
    count('div', a, 2);
    const d = toInt64(a[1]);
    if (d === 0) fail('sprig.div(): integer divide by zero');
    return Math.trunc(toInt64(a[0]) / d);
  },
  mod: (a) => {
    count('mod', a, 2);
    const d = toInt64(a[1]);
    if (d === 0) fail('sprig.mod(): integer divide by zero');
    return toInt64(a[0]) % d;
  },
  max: (a) => (count('max', a, 1, Infinity), Math.max(...a.map(toInt64))),
  biggest: (a) => (count('biggest', a, 1, Infinity), Math.max(...a.map(toInt64))),
  min: (a) => (count('min', a, 1, Infinity), Math.min(...a.map(toInt64))),
  floor: (a) => (count('floor', a, 1), Math.floor(toFloat64(a[0]))),
  ceil: (a) => (count('ceil', a, 1), Math.ceil(toFloat64(a[0]))),
  round: (a) => {
    count('round', a, 2, 3);
    const roundOn = a.length === 3 ? toFloat64(a[2]) : 0.5;
    const pow = 10 ** i('round', a[1]);
    const digit = toFloat64(a[0]) * pow;
    const frac = digit - Math.trunc(digit);
    return (frac >= roundOn ? Math.ceil(digit) : Math.floor(digit)) / pow;
  },
  // Float math (sprig uses decimal arithmetic, so 0.1 + 0.2 is 0.3).
  addf: (a) => decimal(a.reduce<number>((acc, x) => acc + toFloat64(x), 0)),
  add1f: (a) => (count('add1f', a, 1), decimal(toFloat64(a[0]) + 1)),
  subf: (a) => (count('subf', a, 1, Infinity), decimal(a.slice(1).reduce<number>((acc, x) => acc - toFloat64(x), toFloat64(a[0])))),
  mulf: (a) => (count('mulf', a, 1, Infinity), decimal(a.slice(1).reduce<number>((acc, x) => acc * toFloat64(x), toFloat64(a[0])))),
  divf: (a) => {
    count('divf', a, 1, Infinity);
    return decimal(a.slice(1).reduce<number>((acc, x) => {
      const d = toFloat64(x);
      if (d === 0) fail('sprig.divf(): division by zero');
      return acc / d;
    }, toFloat64(a[0])));
  },
  maxf: (a) => (count('maxf', a, 1, Infinity), Math.max(...a.map(toFloat64))),
  minf: (a) => (count('minf', a, 1, Infinity), Math.min(...a.map(toFloat64))),

  // Conversions.
  atoi: (a) => (count('atoi', a, 1), atoi(s('atoi', a[0])) ?? 0),
  int: (a) => (count('int', a, 1), toInt64(a[0])),
  int64: (a) => (count('int64', a, 1), toInt64(a[0])),
  float64: (a) => (count('float64', a, 1), toFloat64(a[0])),
  toJson: (a) => (count('toJson', a, 1), jsonOrEmpty(a[0], '', true)),
  mustToJson: (a) => (count('mustToJson', a, 1), goJSON(a[0])),
  toPrettyJson: (a) => (count('toPrettyJson', a, 1), jsonOrEmpty(a[0], '  ', true)),
  mustToPrettyJson: (a) => (count('mustToPrettyJson', a, 1), goJSON(a[0], '  ')),
  toRawJson: (a) => (count('toRawJson', a, 1), jsonOrEmpty(a[0], '', false)),
  mustToRawJson: (a) => (count('mustToRawJson', a, 1), goJSON(a[0], '', false)),
  fromJson: (a) => {
    count('fromJson', a, 1);
    try {
      return parseJSON(s('fromJson', a[0]));
    } catch {
      return null;
    }
  },
  mustFromJson: (a) => {
    count('mustFromJson', a, 1);
    try {
      return parseJSON(s('mustFromJson', a[0]));
    } catch (err) {
      return fail(`sprig.mustFromJson(): ${(err as Error).message}`);
    }
  },

  // Defaults and logic.
  default: (a) => (count('default', a, 1, Infinity), a.length < 2 || empty(a[1]) ? a[0] : a[1]),
  empty: (a) => (count('empty', a, 1), empty(a[0])),
  coalesce: (a) => a.find((x) => !empty(x)) ?? null,
  all: (a) => a.every((x) => !empty(x)),
  any: (a) => a.some((x) => !empty(x)),
  ternary: (a) => {
    count('ternary', a, 3);
    if (typeof a[2] !== 'boolean') fail(`sprig.ternary(): cannot use ${typeName(a[2])} as a bool argument`);
    return a[2] ? a[0] : a[1];
  },
  fail: (a) => (count('fail', a, 1), fail(s('fail', a[0]))),

  // Lists.
  list: (a) => [...a],
  first: (a) => (count('first', a, 1), list('first', a[0])[0] ?? null),
  last: (a) => {
    count('last', a, 1);
    const l = list('last', a[0]);
    return l[l.length - 1] ?? null;
  },
  rest: (a) => (count('rest', a, 1), list('rest', a[0]).slice(1)),
  initial: (a) => (count('initial', a, 1), list('initial', a[0]).slice(0, -1)),
  append: (a) => (count('append', a, 2), [...list('append', a[0]), a[1]]),
  push: (a) => (count('push', a, 2), [...list('push', a[0]), a[1]]),
  prepend: (a) => (count('prepend', a, 2), [a[1], ...list('prepend', a[0])]),
  concat: (a) => a.flatMap((x) => list('concat', x)),
  reverse: (a) => (count('reverse', a, 1), [...list('reverse', a[0])].reverse()),
  uniq: (a) => {
    count('uniq', a, 1);
    const out: unknown[] = [];
    for (const v of list('uniq', a[0])) if (!out.some((x) => deepEqual(x, v))) out.push(v);
    return out;
  },
  without: (a) => (count('without', a, 1, Infinity), list('without', a[0]).filter((v) => !a.slice(1).some((x) => deepEqual(x, v)))),
  has: (a) => (count('has', a, 2), isNil(a[1]) ? false : list('has', a[1]).some((x) => deepEqual(x, a[0]))),
  compact: (a) => (count('compact', a, 1), list('compact', a[0]).filter((v) => !empty(v))),
  slice: (a) => {
    count('slice', a, 1, 3);
    const l = list('slice', a[0]);
    const from = a.length > 1 ? toInt64(a[1]) : 0;
    const to = a.length > 2 ? toInt64(a[2]) : l.length;
    if (from < 0 || to > l.length || from > to) fail(`sprig.slice(): indexes [${from}:${to}] out of range for a list of ${l.length}`);
    return l.slice(from, to);
  },
  sortAlpha: (a) => (count('sortAlpha', a, 1), Array.isArray(a[0]) ? strslice(a[0]).sort(compareStrings) : [strval(a[0])]),
  until: (a) => {
    count('until', a, 1);
    const n = i('until', a[0]);
    return untilStep(0, n, n < 0 ? -1 : 1);
  },
  untilStep: (a) => (count('untilStep', a, 3), untilStep(i('untilStep', a[0]), i('untilStep', a[1]), i('untilStep', a[2]))),
  seq: (a) => seq(a.map((x) => i('seq', x))),

  // Dicts.
  dict: (a) => {
    const m = newMap();
    for (let k = 0; k < a.length; k += 2) m[strval(a[k])] = k + 1 < a.length ? a[k + 1] : '';
    return m;
  },
  get: (a) => {
    count('get', a, 2);
    const m = dictArg('get', a[0]);
    const key = s('get', a[1]);
    return hasKey(m, key) ? m[key] : '';
  },
  set: (a) => {
    count('set', a, 3);
    const m = copyMap(dictArg('set', a[0]));
    m[s('set', a[1])] = a[2];
    return m;
  },
  unset: (a) => {
    count('unset', a, 2);
    const m = copyMap(dictArg('unset', a[0]));
    delete m[s('unset', a[1])];
    return m;
  },
  hasKey: (a) => (count('hasKey', a, 2), hasKey(dictArg('hasKey', a[0]), s('hasKey', a[1]))),
  keys: (a) => a.flatMap((m) => Object.keys(dictArg('keys', m))),
  values: (a) => {
    count('values', a, 1);
    const m = dictArg('values', a[0]);
    return Object.keys(m).map((k) => m[k]);
  },
  pluck: (a) => {
    count('pluck', a, 1, Infinity);
    const key = s('pluck', a[0]);
    return a.slice(1).map((m) => dictArg('pluck', m)).filter((m) => hasKey(m, key)).map((m) => m[key]);
  },
  pick: (a) => {
    count('pick', a, 1, Infinity);
    const m = dictArg('pick', a[0]);
    const out = newMap();
    for (const k of a.slice(1).map((x) => s('pick', x))) if (hasKey(m, k)) out[k] = m[k];
    return out;
  },
  omit: (a) => {
    count('omit', a, 1, Infinity);
    const m = dictArg('omit', a[0]);
    const drop = new Set(a.slice(1).map((x) => s('omit', x)));
    const out = newMap();
    for (const k of Object.keys(m)) if (!drop.has(k)) out[k] = m[k];
    return out;
  },

  // Types.
  kindOf: (a) => (count('kindOf', a, 1), goKind(a[0])),
  typeOf: (a) => (count('typeOf', a, 1), goType(a[0])),
  kindIs: (a) => (count('kindIs', a, 2), s('kindIs', a[0]) === goKind(a[1])),
  typeIs: (a) => (count('typeIs', a, 2), s('typeIs', a[0]) === goType(a[1])),
  deepEqual: (a) => (count('deepEqual', a, 2), deepEqual(a[0], a[1])),
};

/** Sprig functions Argo offers but Drover refuses, because their answer is not a function of the workflow. */
const REFUSED: Record<string, string> = {
  now: 'reads the clock', date: 'reads the clock', dateInZone: 'reads the clock', date_in_zone: 'reads the clock',
  dateModify: 'reads the clock', date_modify: 'reads the clock', ago: 'reads the clock', toDate: 'reads the clock',
  mustToDate: 'reads the clock', unixEpoch: 'reads the clock', duration: 'reads the clock', durationRound: 'reads the clock',
  htmlDate: 'reads the clock', htmlDateInZone: 'reads the clock', mustDateModify: 'reads the clock',
  uuidv4: 'is random', randAlpha: 'is random', randAlphaNum: 'is random', randNumeric: 'is random', randAscii: 'is random',
  randBytes: 'is random', randInt: 'is random', shuffle: 'is random', genPrivateKey: 'is random', genCA: 'is random',
  genSelfSignedCert: 'is random', genSignedCert: 'is random', derivePassword: 'is not supported',
  getHostByName: 'reads the network',
};

/** A fresh `sprig` map of `ExprFunction`s. */
export function sprigFunctions(): ExprMap {
  const m = newMap();
  for (const [name, impl] of Object.entries(IMPLS)) m[name] = new ExprFunction(`sprig.${name}`, impl);
  for (const [name, why] of Object.entries(REFUSED)) {
    m[name] = new ExprFunction(`sprig.${name}`, () => fail(`sprig.${name}() is not supported: it ${why}, and Drover evaluates expressions as pure functions of the workflow`));
  }
  return m;
}
