/**
 * The value model shared by the evaluators, and the Go formatting rules Argo's output follows.
 *
 * Values are JSON-like: `null` (expr's nil), booleans, numbers, strings, arrays, maps (objects
 * read through own properties only) and `ExprFunction`s. Go distinguishes int from float64; here a
 * number is an int when it is integral, which is what every observable rule below needs (an
 * integral float prints the same in JSON, and `/` always yields a float in expr anyway).
 *
 * Formatting mirrors Go because Argo writes results with Go: `%v` (`fmt.Sprint`) for expr's
 * `string()` and govaluate's string concatenation, `encoding/json` for tag results and `toJson`.
 */
import { fail } from './errors.js';

export type ExprMap = Record<string, unknown>;

/** A callable value: expr builtins, Argo's env functions, the `sprig` map's members. */
export class ExprFunction {
  constructor(
    readonly name: string,
    readonly impl: (args: unknown[]) => unknown,
  ) {}
}

export function isMap(v: unknown): v is ExprMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof ExprFunction);
}

/** A map without a prototype, so keys like `__proto__` and `constructor` are ordinary keys. */
export function newMap(): ExprMap {
  return Object.create(null) as ExprMap;
}

export function hasKey(m: ExprMap, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, key);
}

export function mapGet(m: ExprMap, key: string): unknown {
  return hasKey(m, key) ? m[key] : undefined;
}

export function isNil(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

export function isCallable(v: unknown): v is ExprFunction | ((...args: unknown[]) => unknown) {
  return v instanceof ExprFunction || typeof v === 'function';
}

/** Type names as expr's `type()` spells them; also used in error messages. */
export function typeName(v: unknown): string {
  if (isNil(v)) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  if (isCallable(v)) return 'func';
  if (isMap(v)) return 'map';
  return 'unknown';
}

/** expr's `==`: numbers compare by value whatever their Go type, everything else structurally. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b);
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a !== typeof b) return false;
  if (typeof a !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => hasKey(b, k) && deepEqual(a[k], b[k]));
  }
  return a === b;
}

/** Go's `%v` for a float64: shortest digits, exponent form below 1e-4 and from 1e+06 on (`1e+06`). */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mant, expText] = Math.abs(n).toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const digits = mant.replace('.', '');
  const sign = n < 0 ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e}`;
  }
  const dp = exp + 1;
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= digits.length) return sign + digits + '0'.repeat(dp - digits.length);
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

/** A number as Go prints it with `%v`: ints as digits, floats by `goFloat`. */
export function goNumber(n: number, asFloat = false): string {
  if (!asFloat && Number.isInteger(n) && Math.abs(n) < 2 ** 63) return Object.is(n, -0) ? '0' : BigInt(n).toString();
  return goFloat(n);
}

/** Go's `fmt.Sprint` of a value: `<nil>`, `[1 2]`, `map[a:1 b:x]` (keys sorted). */
export function goFormat(v: unknown): string {
  if (isNil(v)) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return goNumber(v);
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (isCallable(v)) return `<func ${v instanceof ExprFunction ? v.name : v.name || 'anonymous'}>`;
  if (isMap(v)) {
    return `map[${sortedKeys(v).map((k) => `${k}:${goFormat(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

export function sortedKeys(m: ExprMap): string[] {
  return Object.keys(m).sort(compareStrings);
}

/** Byte-wise comparison, as Go compares strings (UTF-8 order equals code point order). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ca = Array.from(a);
  const cb = Array.from(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i]!.codePointAt(0)!;
    const y = cb[i]!.codePointAt(0)!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}

const JSON_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    const named = JSON_ESCAPES[ch];
    if (named) out += named;
    else if (c < 0x20 || c === 0x2028 || c === 0x2029 || (escapeHTML && (ch === '<' || ch === '>' || ch === '&'))) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate is invalid UTF-8; Go's encoder writes the replacement character.
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += ch + s[i + 1]!;
        i++;
      } else out += '\\ufffd';
    } else out += ch;
  }
  return out + '"';
}

/**
 * Go's `encoding/json` output: map keys sorted, `<`, `>` and `&` escaped (unless `escapeHTML` is
 * off, as in sprig's `toRawJson`), and `indent` as `json.MarshalIndent` lays it out.
 */
export function goJSON(v: unknown, indent = '', escapeHTML = true): string {
  const walk = (x: unknown, depth: number): string => {
    if (isNil(x)) return 'null';
    if (typeof x === 'boolean') return x ? 'true' : 'false';
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) fail(`json: unsupported value: ${goFloat(x)}`);
      return JSON.stringify(x);
    }
    if (typeof x === 'string') return jsonString(x, escapeHTML);
    const pad = indent ? '\n' + indent.repeat(depth + 1) : '';
    const end = indent ? '\n' + indent.repeat(depth) : '';
    const colon = indent ? ': ' : ':';
    if (Array.isArray(x)) {
      if (x.length === 0) return '[]';
      return `[${x.map((e) => pad + walk(e, depth + 1)).join(',')}${end}]`;
    }
    if (isCallable(x)) fail('json: unsupported type: func');
    if (isMap(x)) {
      const keys = sortedKeys(x);
      if (keys.length === 0) return '{}';
      return `{${keys.map((k) => pad + jsonString(k, escapeHTML) + colon + walk(x[k], depth + 1)).join(',')}${end}}`;
    }
    return fail(`json: unsupported type: ${typeof x}`);
  };
  return walk(v, 0);
}

/** Parses JSON into the value model (maps without prototypes). */
export function parseJSON(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (isMap(value) && Object.getPrototypeOf(value) !== null) {
      const m = newMap();
      for (const [k, x] of Object.entries(value)) m[k] = x;
      return m;
    }
    return value;
  });
}

/** Go's `strconv.Quote` (sprig's `quote` uses `%q`). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad || c === 0x2028 || c === 0x2029 || c === 0xfeff || (c >= 0xd800 && c <= 0xdfff)) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

/** Byte length of a string's UTF-8 encoding, for Go's byte-indexed string functions. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
