/**
 * Tokenizer for the expr language (github.com/expr-lang/expr) that Argo evaluates inside
 * `{{=…}}`. Follows expr's lexer: identifiers may hold letters, digits, `_` and `$`; word
 * operators (`and`, `in`, `matches`…) are operators; `not` followed by `in`/`matches`/`contains`/
 * `startsWith`/`endsWith` is a negated operator; numbers take `_` separators, hex/octal/binary and
 * exponents; `1..3` lexes as a range; `//` and `/* *\/` are comments; backticks are raw strings.
 * Positions are indexes into the source's code points.
 */
import { fail } from './errors.js';

export type TokenKind = 'number' | 'string' | 'ident' | 'op' | 'bracket' | 'eof';

export interface Token {
  kind: TokenKind;
  value: string;
  pos: number;
}

const WORD_OPERATORS = new Set(['in', 'or', 'and', 'matches', 'contains', 'startsWith', 'endsWith', 'let', 'if', 'else']);
const NEGATABLE = new Set(['in', 'matches', 'contains', 'startsWith', 'endsWith']);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isSpace = (c: string): boolean => /\s/u.test(c);
export const isIdentChar = (c: string | undefined): boolean => c !== undefined && (c === '_' || c === '$' || /[\p{L}\p{Nd}]/u.test(c));

export function lex(source: string): Token[] {
  const cs = Array.from(source);
  const tokens: Token[] = [];
  let i = 0;
  const peek = (k = 0): string | undefined => cs[i + k];
  const push = (kind: TokenKind, value: string, pos: number): void => {
    tokens.push({ kind, value, pos });
  };
  const word = (start: number): string => {
    let j = start;
    while (isIdentChar(cs[j])) j++;
    return cs.slice(start, j).join('');
  };

  while (i < cs.length) {
    const c = cs[i]!;
    const start = i;
    if (isSpace(c)) { i++; continue; }
    if (c === '/' && peek(1) === '/') {
      while (i < cs.length && cs[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && peek(1) === '*') {
      const end = findSeq(cs, i + 2, '*/');
      if (end < 0) fail('unclosed comment', start);
      i = end + 2;
      continue;
    }
    if (c === '/') {
      push('op', '/', start);
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      i++;
      let raw = '';
      while (i < cs.length && cs[i] !== c) {
        if (cs[i] === '\\') { raw += cs[i]! + (cs[i + 1] ?? ''); i += 2; continue; }
        if (cs[i] === '\n') fail('literal not terminated', start);
        raw += cs[i];
        i++;
      }
      if (i >= cs.length) fail('literal not terminated', start);
      i++;
      push('string', unescape(raw, c, start), start);
      continue;
    }
    if (c === '`') {
      const end = cs.indexOf('`', i + 1);
      if (end < 0) fail('literal not terminated', start);
      push('string', cs.slice(i + 1, end).join(''), start);
      i = end + 1;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(peek(1)))) {
      i = scanNumber(cs, i);
      if (isIdentChar(cs[i])) fail(`bad number syntax: ${JSON.stringify(cs.slice(start, i + 1).join(''))}`, start);
      push('number', cs.slice(start, i).join(''), start);
      continue;
    }
    if (c === '?') {
      const n = peek(1);
      if (n === '.' || n === '?') { push('op', c + n, start); i += 2; } else { push('op', '?', start); i++; }
      continue;
    }
    if (c === '#') {
      push('op', '#', start);
      i++;
      const w = word(i);
      if (w) { push('ident', w, i); i += Array.from(w).length; }
      continue;
    }
    if (c === '|' || c === ':') {
      if (peek(1) === c) { push('op', c + c, start); i += 2; } else { push('op', c, start); i++; }
      continue;
    }
    if ('([{'.includes(c) || ')]}'.includes(c)) { push('bracket', c, start); i++; continue; }
    if (',;%+-^'.includes(c)) { push('op', c, start); i++; continue; }
    if ('&!=*<>'.includes(c)) {
      const n = peek(1);
      if (n !== undefined && '&=*'.includes(n)) { push('op', c + n, start); i += 2; } else { push('op', c, start); i++; }
      continue;
    }
    if (c === '.') {
      if (peek(1) === '.') { push('op', '..', start); i += 2; } else { push('op', '.', start); i++; }
      continue;
    }
    if (isIdentChar(c)) {
      const w = word(i);
      i += Array.from(w).length;
      if (w === 'not') {
        push('op', 'not', start);
        let j = i;
        while (j < cs.length && isSpace(cs[j]!)) j++;
        const next = word(j);
        if (NEGATABLE.has(next)) { push('op', next, j); i = j + Array.from(next).length; }
        continue;
      }
      push(WORD_OPERATORS.has(w) ? 'op' : 'ident', w, start);
      continue;
    }
    fail(`unrecognized character ${JSON.stringify(c)}`, start);
  }
  push('eof', '', cs.length);
  return tokens;
}

function findSeq(cs: string[], from: number, seq: string): number {
  for (let j = from; j < cs.length - 1; j++) if (cs[j] === seq[0] && cs[j + 1] === seq[1]) return j;
  return -1;
}

function scanNumber(cs: string[], i: number): number {
  let digits = /[0-9_]/;
  if (cs[i] === '0') {
    const p = cs[i + 1];
    if (p === 'x' || p === 'X') { digits = /[0-9a-fA-F_]/; i += 2; }
    else if (p === 'o' || p === 'O') { digits = /[0-7_]/; i += 2; }
    else if (p === 'b' || p === 'B') { digits = /[01_]/; i += 2; }
  }
  while (cs[i] !== undefined && digits.test(cs[i]!)) i++;
  if (cs[i] === '.' && cs[i + 1] !== '.') {
    i++;
    while (cs[i] !== undefined && digits.test(cs[i]!)) i++;
  }
  if ((cs[i] === 'e' || cs[i] === 'E') && digits.source === '[0-9_]') {
    i++;
    if (cs[i] === '+' || cs[i] === '-') i++;
    while (cs[i] !== undefined && digits.test(cs[i]!)) i++;
  }
  return i;
}

/** Go's string unescaping as expr applies it: `\n`, `\t`, `\xHH`, `\uHHHH`, `\UHHHHHHHH`, octal. */
function unescape(raw: string, quote: string, pos: number): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  const cs = Array.from(raw);
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (c !== '\\') { out += c; continue; }
    const e = cs[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
    if (e !== undefined && simple[e] !== undefined) { out += simple[e]; continue; }
    if (e === quote) { out += e; continue; }
    const hex = (len: number): number => {
      const h = cs.slice(i + 1, i + 1 + len).join('');
      if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) fail('invalid char escape', pos);
      i += len;
      return parseInt(h, 16);
    };
    if (e === 'x') { out += String.fromCharCode(hex(2)); continue; }
    if (e === 'u' || e === 'U') {
      const cp = hex(e === 'u' ? 4 : 8);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail('invalid char escape', pos);
      out += String.fromCodePoint(cp);
      continue;
    }
    if (e !== undefined && e >= '0' && e <= '7') {
      const o = cs.slice(i, i + 3).join('');
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) fail('invalid char escape', pos);
      out += String.fromCharCode(parseInt(o, 8));
      i += 2;
      continue;
    }
    fail('invalid char escape', pos);
  }
  return out;
}
