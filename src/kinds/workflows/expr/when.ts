/**
 * Argo's `when:` conditions, evaluated after the caller has substituted `{{…}}` tags.
 *
 * Argo (workflow/controller/steps.go `shouldExecute`) parses the text with govaluate
 * (github.com/Knetic/govaluate v3), turns every variable token into a string token and evaluates
 * with no parameters. So bare words are strings (`heads == heads`), numbers are float64 and
 * compare numerically (`10 > 5`), quoted strings compare as strings, `=~`/`!~` match Go regular
 * expressions, `in (a, b)` tests membership, and `&&`, `||`, `!`, `?:`, `??`, arithmetic and
 * bitwise operators keep govaluate's precedence. The result must be a bool.
 *
 * govaluate's lexer quirks are kept because they decide what users' conditions mean:
 * - a word runs over letters, digits, `_` and `.`, so `hello-world` is `hello - world` (an error:
 *   quote such values) and `v1.2` is a field access, which fails without parameters;
 * - an operator is a maximal run of symbol characters, so `a&&!b` lexes `&&!` (invalid token);
 * - `'…'` and `"…"` strings end at either quote, `\` escapes any character;
 * - a quoted string that parses as an ISO date or time is a time, compared as Unix seconds
 *   (zone-less times are read as UTC here; Go reads them in the controller's local zone);
 * - `[any text]` is a variable, hence a string;
 * - `!` or `-` before a bare word is refused (a prefix cannot apply to a string token).
 * Tokens left over after a complete expression (`(a) b`) are an error here; govaluate ignores them.
 */
import { fail, guard } from './errors.js';
import { compileGoRegex, GoRegex } from '../../../util/goregex.js';
import { deepEqual, goFloat } from './values.js';

type Kind =
  | 'NUMERIC' | 'BOOLEAN' | 'STRING' | 'TIME' | 'PATTERN' | 'VARIABLE' | 'ACCESSOR' | 'PREFIX' | 'MODIFIER'
  | 'LOGICALOP' | 'COMPARATOR' | 'TERNARY' | 'SEPARATOR' | 'CLAUSE' | 'CLAUSE_CLOSE';

interface Tok {
  kind: Kind;
  /** Operator symbol, string value, number, bool, or the accessor's text. */
  value: string | number | boolean;
  pos: number;
}

type State = Kind | 'START';

const OPERAND: Kind[] = ['NUMERIC', 'BOOLEAN', 'STRING', 'TIME', 'VARIABLE', 'ACCESSOR'];

/** govaluate's lexer states: which token kinds may follow which, and where an expression may end. */
const NEXT: Record<State, { next: Kind[]; end: boolean }> = {
  START: { next: ['PREFIX', 'NUMERIC', 'BOOLEAN', 'VARIABLE', 'PATTERN', 'ACCESSOR', 'STRING', 'TIME', 'CLAUSE'], end: false },
  CLAUSE: { next: ['PREFIX', 'NUMERIC', 'BOOLEAN', 'VARIABLE', 'PATTERN', 'ACCESSOR', 'STRING', 'TIME', 'CLAUSE', 'CLAUSE_CLOSE'], end: false },
  CLAUSE_CLOSE: { next: ['COMPARATOR', 'MODIFIER', 'NUMERIC', 'BOOLEAN', 'VARIABLE', 'STRING', 'PATTERN', 'TIME', 'CLAUSE', 'CLAUSE_CLOSE', 'LOGICALOP', 'TERNARY', 'SEPARATOR'], end: true },
  NUMERIC: { next: ['MODIFIER', 'COMPARATOR', 'LOGICALOP', 'CLAUSE_CLOSE', 'TERNARY', 'SEPARATOR'], end: true },
  BOOLEAN: { next: ['MODIFIER', 'COMPARATOR', 'LOGICALOP', 'CLAUSE_CLOSE', 'TERNARY', 'SEPARATOR'], end: true },
  STRING: { next: ['MODIFIER', 'COMPARATOR', 'LOGICALOP', 'CLAUSE_CLOSE', 'TERNARY', 'SEPARATOR'], end: true },
  TIME: { next: ['MODIFIER', 'COMPARATOR', 'LOGICALOP', 'CLAUSE_CLOSE', 'SEPARATOR'], end: true },
  PATTERN: { next: ['MODIFIER', 'COMPARATOR', 'LOGICALOP', 'CLAUSE_CLOSE', 'SEPARATOR'], end: true },
  VARIABLE: { next: ['MODIFIER', 'COMPARATOR', 'LOGICALOP', 'CLAUSE_CLOSE', 'TERNARY', 'SEPARATOR'], end: true },
  MODIFIER: { next: ['PREFIX', 'NUMERIC', 'VARIABLE', 'ACCESSOR', 'STRING', 'BOOLEAN', 'CLAUSE', 'CLAUSE_CLOSE'], end: false },
  COMPARATOR: { next: ['PREFIX', 'NUMERIC', 'BOOLEAN', 'VARIABLE', 'ACCESSOR', 'STRING', 'TIME', 'CLAUSE', 'CLAUSE_CLOSE', 'PATTERN'], end: false },
  LOGICALOP: { next: ['PREFIX', 'NUMERIC', 'BOOLEAN', 'VARIABLE', 'ACCESSOR', 'STRING', 'TIME', 'CLAUSE', 'CLAUSE_CLOSE'], end: false },
  PREFIX: { next: ['NUMERIC', 'BOOLEAN', 'VARIABLE', 'ACCESSOR', 'CLAUSE', 'CLAUSE_CLOSE'], end: false },
  TERNARY: { next: ['PREFIX', 'NUMERIC', 'BOOLEAN', 'STRING', 'TIME', 'VARIABLE', 'ACCESSOR', 'CLAUSE', 'SEPARATOR'], end: false },
  ACCESSOR: { next: ['CLAUSE', 'MODIFIER', 'COMPARATOR', 'LOGICALOP', 'CLAUSE_CLOSE', 'TERNARY', 'SEPARATOR'], end: true },
  SEPARATOR: { next: ['PREFIX', 'NUMERIC', 'BOOLEAN', 'STRING', 'TIME', 'VARIABLE', 'ACCESSOR', 'CLAUSE'], end: false },
};

const PREFIXES = new Set(['-', '!', '~']);
const MODIFIERS = new Set(['+', '-', '*', '/', '%', '**', '&', '|', '^', '>>', '<<']);
const LOGICAL = new Set(['&&', '||']);
const COMPARATORS = new Set(['==', '!=', '>', '>=', '<', '<=', '=~', '!~', 'in']);
const TERNARIES = new Set(['?', ':', '??']);

const isLetter = (c: string): boolean => /\p{L}/u.test(c);
const isDigit = (c: string): boolean => /\p{Nd}/u.test(c);
const isSpace = (c: string): boolean => /\p{White_Space}/u.test(c);
const isQuote = (c: string): boolean => c === "'" || c === '"';

/** Evaluates a substituted `when:` condition. An empty condition is true, as in Argo. */
export function evaluateWhen(source: string): boolean {
  if (source === '') return true;
  return guard('when', source, () => {
    const tokens = tokenize(source);
    checkBalance(tokens);
    checkSyntax(tokens, source, false);
    // Argo turns variables into strings before evaluating; check again with the new kinds.
    const converted = tokens.map((t): Tok => (t.kind === 'VARIABLE' ? { ...t, kind: 'STRING' } : t));
    checkSyntax(converted, source, true);
    const tree = new Parser(promotePatterns(converted)).parseAll();
    const v = evaluate(tree);
    if (typeof v !== 'boolean') fail(`expected a boolean result, got ${describeValue(v)}`);
    return v;
  });
}

function tokenize(source: string): Tok[] {
  const cs = Array.from(source);
  const out: Tok[] = [];
  let i = 0;
  let state: State = 'START';

  /** govaluate's readUntilFalse: `\` escapes anything; a run optionally stops at whitespace. */
  const readWhile = (from: number, ok: (c: string) => boolean, stopAtSpace: boolean): { text: string; end: number; closed: boolean } => {
    let text = '';
    let j = from;
    while (j < cs.length) {
      const c = cs[j]!;
      if (c === '\\') {
        text += cs[j + 1] ?? '';
        j += 2;
        continue;
      }
      if (stopAtSpace && isSpace(c)) return { text, end: j, closed: true };
      if (!ok(c)) return { text, end: j, closed: true };
      text += c;
      j++;
    }
    return { text, end: j, closed: false };
  };

  while (i < cs.length) {
    const c = cs[i]!;
    if (isSpace(c)) { i++; continue; }
    const pos = i;
    let tok: Tok;
    if (isDigit(c) || c === '.') {
      if (c === '0' && cs[i + 1] === 'x' && i + 2 < cs.length) {
        const r = readWhile(i + 2, (x) => /[0-9a-fA-F]/.test(x), true);
        if (!r.text) fail(`invalid hex number ${JSON.stringify(cs.slice(i, r.end + 1).join(''))}`, pos);
        tok = { kind: 'NUMERIC', value: parseInt(r.text, 16), pos };
        i = r.end;
      } else {
        const r = readWhile(i, (x) => isDigit(x) || x === '.', true);
        if (!/^(\d+\.?\d*|\.\d+)$/.test(r.text)) fail(`invalid number ${JSON.stringify(r.text)}`, pos);
        tok = { kind: 'NUMERIC', value: Number(r.text), pos };
        i = r.end;
      }
    } else if (c === ',') {
      tok = { kind: 'SEPARATOR', value: ',', pos };
      i++;
    } else if (c === '[') {
      const r = readWhile(i + 1, (x) => x !== ']', false);
      if (!r.closed) fail('unclosed "[" (a bracketed name needs a closing "]")', pos);
      tok = { kind: 'VARIABLE', value: r.text, pos };
      i = r.end + 1;
    } else if (isLetter(c)) {
      const r = readWhile(i, (x) => isLetter(x) || isDigit(x) || x === '_' || x === '.', true);
      i = r.end;
      const w = r.text;
      if (w === 'true' || w === 'false') tok = { kind: 'BOOLEAN', value: w === 'true', pos };
      else if (w === 'in' || w === 'IN') tok = { kind: 'COMPARATOR', value: 'in', pos };
      else if (w.includes('.')) {
        if (w.endsWith('.')) fail(`hanging accessor on ${JSON.stringify(w)} (quote values that contain dots)`, pos);
        const lower = w.split('.').slice(1).find((p) => p !== '' && p[0]!.toUpperCase() !== p[0]);
        if (lower !== undefined) {
          fail(`unable to access unexported field ${JSON.stringify(lower)} in ${JSON.stringify(w)} (quote values that contain dots)`, pos);
        }
        tok = { kind: 'ACCESSOR', value: w, pos };
      } else tok = { kind: 'VARIABLE', value: w, pos };
    } else if (isQuote(c)) {
      const r = readWhile(i + 1, (x) => !isQuote(x), false);
      if (!r.closed) fail('unclosed string literal', pos);
      i = r.end + 1;
      const time = parseGoTime(r.text);
      tok = time === undefined ? { kind: 'STRING', value: r.text, pos } : { kind: 'TIME', value: time, pos };
    } else if (c === '(') {
      tok = { kind: 'CLAUSE', value: '(', pos };
      i++;
    } else if (c === ')') {
      tok = { kind: 'CLAUSE_CLOSE', value: ')', pos };
      i++;
    } else {
      const r = readWhile(i, (x) => !(isLetter(x) || isDigit(x) || x === '(' || x === ')' || x === '[' || x === ']' || isQuote(x)), true);
      i = r.end;
      const sym = r.text;
      let kind: Kind | undefined;
      if (PREFIXES.has(sym) && NEXT[state].next.includes('PREFIX')) kind = 'PREFIX';
      else if (MODIFIERS.has(sym)) kind = 'MODIFIER';
      else if (LOGICAL.has(sym)) kind = 'LOGICALOP';
      else if (COMPARATORS.has(sym)) kind = 'COMPARATOR';
      else if (TERNARIES.has(sym)) kind = 'TERNARY';
      if (!kind) {
        const hint = sym.startsWith('{{') ? ' (a template tag was not substituted)' : ' (quote values that contain special characters)';
        fail(`invalid token ${JSON.stringify(sym)}${hint}`, pos);
      }
      tok = { kind, value: sym, pos };
    }
    out.push(tok);
    state = tok.kind;
  }
  return out;
}

function checkBalance(tokens: Tok[]): void {
  const open: number[] = [];
  for (const t of tokens) {
    if (t.kind === 'CLAUSE') open.push(t.pos);
    else if (t.kind === 'CLAUSE_CLOSE' && open.pop() === undefined) fail('unbalanced parenthesis: ")" without "("', t.pos);
  }
  if (open.length > 0) fail('unbalanced parenthesis: "(" is not closed', open[open.length - 1]);
}

function describe(t: Tok): string {
  switch (t.kind) {
    case 'VARIABLE':
      return `word ${JSON.stringify(t.value)}`;
    case 'STRING':
      return `string ${JSON.stringify(t.value)}`;
    case 'NUMERIC':
      return `number ${goFloat(t.value as number)}`;
    case 'TIME':
      return 'time';
    case 'BOOLEAN':
      return String(t.value);
    default:
      return JSON.stringify(String(t.value));
  }
}

function checkSyntax(tokens: Tok[], source: string, converted: boolean): void {
  let state: State = 'START';
  let last: Tok | undefined;
  for (const t of tokens) {
    if (!NEXT[state].next.includes(t.kind)) {
      if (last && (last.kind === 'VARIABLE' || last.kind === 'STRING') && t.kind === 'CLAUSE') {
        fail(`undefined function ${JSON.stringify(last.value)}`, last.pos);
      }
      if (last?.kind === 'PREFIX' && converted) {
        fail(`${JSON.stringify(last.value)} cannot apply to the bare word ${JSON.stringify(t.value)}, which is a string`, last.pos);
      }
      if (!last) fail(`expected an operand but found ${describe(t)}`, t.pos);
      let hint = '';
      if (OPERAND.includes(t.kind) && OPERAND.includes(last.kind)) {
        const spaced = isSpace(Array.from(source)[t.pos - 1] ?? '');
        if (spaced) hint = ' (quote values that contain spaces)';
        else if (last.kind === 'NUMERIC') hint = ' (quote values that start with a digit)';
        else if (last.kind === 'STRING' || last.kind === 'TIME') hint = ' (a string ends at either kind of quote; escape quotes inside it with a backslash)';
      }
      fail(`unexpected ${describe(t)} after ${describe(last)}${hint}`, t.pos);
    }
    state = t.kind;
    last = t;
  }
  if (!NEXT[state].end) fail(tokens.length === 0 ? 'expected an expression' : 'expected an operand', Array.from(source).length);
}

/** govaluate compiles a quoted string right of `=~`/`!~` once, at parse time. */
function promotePatterns(tokens: Tok[]): (Tok | { kind: 'PATTERN'; value: GoRegex; pos: number })[] {
  return tokens.map((t, i) => {
    const prev = tokens[i - 1];
    if (t.kind === 'STRING' && prev?.kind === 'COMPARATOR' && (prev.value === '=~' || prev.value === '!~')) {
      return { kind: 'PATTERN' as const, value: compile(t.value as string, t.pos), pos: t.pos };
    }
    return t;
  });
}

function compile(pattern: string, pos: number): GoRegex {
  try {
    return compileGoRegex(pattern);
  } catch (err) {
    return fail((err as Error).message, pos);
  }
}

type Value = number | string | boolean | GoRegex | null | Value[];

type Expr =
  | { type: 'lit'; value: Value; pos: number }
  | { type: 'accessor'; name: string; pos: number }
  | { type: 'prefix'; op: string; operand: Expr; pos: number }
  | { type: 'binary'; op: string; left: Expr; right: Expr; pos: number };

type PTok = Tok | { kind: 'PATTERN'; value: GoRegex; pos: number };

/** Levels from loosest to tightest, as govaluate's stage planner orders them. */
const LEVELS: { kinds: Kind[]; ops: Set<string> }[] = [
  { kinds: ['SEPARATOR'], ops: new Set([',']) },
  { kinds: ['TERNARY'], ops: TERNARIES },
  { kinds: ['LOGICALOP'], ops: new Set(['||']) },
  { kinds: ['LOGICALOP'], ops: new Set(['&&']) },
  { kinds: ['COMPARATOR'], ops: COMPARATORS },
  { kinds: ['MODIFIER'], ops: new Set(['&', '|', '^']) },
  { kinds: ['MODIFIER'], ops: new Set(['<<', '>>']) },
  { kinds: ['MODIFIER'], ops: new Set(['+', '-']) },
  { kinds: ['MODIFIER'], ops: new Set(['*', '/', '%']) },
  { kinds: ['MODIFIER'], ops: new Set(['**']) },
];

class Parser {
  private at = 0;
  constructor(private readonly tokens: PTok[]) {}

  parseAll(): Expr {
    const e = this.level(0);
    const left = this.tokens[this.at];
    if (left) fail(`unexpected ${describe(left as Tok)}`, left.pos);
    return e;
  }

  private level(l: number): Expr {
    if (l >= LEVELS.length) return this.value();
    const { kinds, ops } = LEVELS[l]!;
    let left = this.level(l + 1);
    for (;;) {
      const t = this.tokens[this.at];
      if (!t || !kinds.includes(t.kind as Kind) || !ops.has(String(t.value))) return left;
      this.at++;
      const right = this.level(l + 1);
      left = { type: 'binary', op: String(t.value), left, right, pos: t.pos };
    }
  }

  private value(): Expr {
    const t = this.tokens[this.at++];
    if (!t) return fail('expected an operand');
    switch (t.kind) {
      case 'CLAUSE': {
        const inner = this.level(0);
        this.at++; // the balanced ")"
        return inner;
      }
      case 'PREFIX':
        return { type: 'prefix', op: String(t.value), operand: this.value(), pos: t.pos };
      case 'ACCESSOR':
        // Method-call arguments are parsed and never used: there are no parameters to call on.
        if (this.tokens[this.at]?.kind === 'CLAUSE') this.value();
        return { type: 'accessor', name: String(t.value), pos: t.pos };
      case 'NUMERIC':
      case 'STRING':
      case 'BOOLEAN':
      case 'TIME':
      case 'PATTERN':
        return { type: 'lit', value: t.value, pos: t.pos };
      default:
        return fail(`expected an operand but found ${describe(t as Tok)}`, t.pos);
    }
  }
}

function describeValue(v: Value): string {
  if (v === null) return 'nil';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return `number ${goFloat(v)}`;
  if (Array.isArray(v)) return `list ${formatValue(v)}`;
  if (v instanceof GoRegex) return 'a regular expression';
  return String(v);
}

/** Go's `%v`, as govaluate's string concatenation uses it. */
function formatValue(v: Value): string {
  if (v === null) return '<nil>';
  if (typeof v === 'number') return goFloat(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (v instanceof GoRegex) return v.pattern;
  return String(v);
}

function evaluate(e: Expr): Value {
  switch (e.type) {
    case 'lit':
      return e.value;
    case 'accessor':
      return fail(`no parameter ${JSON.stringify(e.name.split('.')[0])} for ${JSON.stringify(e.name)} (when conditions have no parameters; quote values that contain dots)`, e.pos);
    case 'prefix': {
      const v = evaluate(e.operand);
      if (e.op === '!') {
        if (typeof v !== 'boolean') fail(`"!" needs a bool, not ${describeValue(v)}`, e.pos);
        return !v;
      }
      if (typeof v !== 'number') fail(`${JSON.stringify(e.op)} needs a number, not ${describeValue(v)}`, e.pos);
      return e.op === '-' ? -v : Number(~BigInt.asIntN(64, BigInt(Math.trunc(v))));
    }
    case 'binary':
      return binary(e);
  }
}

function binary(e: Extract<Expr, { type: 'binary' }>): Value {
  const { op, pos } = e;
  const left = evaluate(e.left);
  // Short-circuits, as govaluate does before type checks.
  if (op === '&&' && left === false) return false;
  if (op === '||' && left === true) return true;
  if ((op === '??' || op === ':') && left !== null) {
    return left;
  }
  if (op === '?' && left === false) return null;
  const right = evaluate(e.right);
  const num = (v: Value, role: string): number => {
    if (typeof v !== 'number') fail(`${describeValue(v)} cannot be used with ${role} ${JSON.stringify(op)}: it is not a number`, pos);
    return v as number;
  };
  const bool = (v: Value): boolean => {
    if (typeof v !== 'boolean') fail(`${describeValue(v)} cannot be used with ${JSON.stringify(op)}: it is not a bool`, pos);
    return v as boolean;
  };
  const int64 = (v: Value): bigint => BigInt.asIntN(64, BigInt(Math.trunc(num(v, 'the operator'))));
  switch (op) {
    case ',':
      return Array.isArray(left) ? [...left, right] : [left, right];
    case '?':
      bool(left);
      return right;
    case ':':
    case '??':
      return right;
    case '&&':
    case '||':
      bool(left);
      return bool(right);
    case '==':
      return deepEqual(left, right);
    case '!=':
      return !deepEqual(left, right);
    case '>':
    case '>=':
    case '<':
    case '<=': {
      let cmp: number;
      if (typeof left === 'number' && typeof right === 'number') cmp = left - right;
      else if (typeof left === 'string' && typeof right === 'string') cmp = left < right ? -1 : left > right ? 1 : 0;
      else {
        return fail(`cannot compare ${describeValue(left)} with ${describeValue(right)} using ${JSON.stringify(op)}: both must be numbers or both strings`, pos);
      }
      return op === '>' ? cmp > 0 : op === '>=' ? cmp >= 0 : op === '<' ? cmp < 0 : cmp <= 0;
    }
    case '=~':
    case '!~': {
      if (typeof left !== 'string') fail(`${describeValue(left)} cannot be matched with ${JSON.stringify(op)}: it is not a string`, pos);
      let re: GoRegex;
      if (right instanceof GoRegex) re = right;
      else if (typeof right === 'string') re = compile(right, pos);
      else return fail(`${describeValue(right)} is not a regular expression`, pos);
      const hit = re.test(left as string);
      return op === '=~' ? hit : !hit;
    }
    case 'in':
      if (!Array.isArray(right)) return fail(`"in" needs a list such as (a, b) on its right, not ${describeValue(right)}`, pos);
      return right.some((x) => deepEqual(left, x));
    case '+':
      if (typeof left === 'string' || typeof right === 'string') return formatValue(left) + formatValue(right);
      return num(left, 'the modifier') + num(right, 'the modifier');
    case '-':
      return num(left, 'the modifier') - num(right, 'the modifier');
    case '*':
      return num(left, 'the modifier') * num(right, 'the modifier');
    case '/':
      return num(left, 'the modifier') / num(right, 'the modifier');
    case '%': {
      const a = num(left, 'the modifier');
      const b = num(right, 'the modifier');
      return a % b;
    }
    case '**':
      return num(left, 'the modifier') ** num(right, 'the modifier');
    case '&':
      return Number(BigInt.asIntN(64, int64(left) & int64(right)));
    case '|':
      return Number(BigInt.asIntN(64, int64(left) | int64(right)));
    case '^':
      return Number(BigInt.asIntN(64, int64(left) ^ int64(right)));
    case '<<':
      return Number(BigInt.asUintN(64, BigInt.asUintN(64, int64(left)) << BigInt.asUintN(64, int64(right))));
    case '>>':
      return Number(BigInt.asUintN(64, int64(left)) >> BigInt.asUintN(64, int64(right)));
  }
  return fail(`unknown operator ${JSON.stringify(op)}`, pos);
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function utcSeconds(y: number, mo: number, d: number, h: number, mi: number, s: number, offsetMinutes: number): number | undefined {
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = mo === 2 && leap ? 29 : MONTH_DAYS[mo - 1];
  if (days === undefined || d < 1 || d > days || h > 23 || mi > 59 || s > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return Math.floor(date.getTime() / 1000) - offsetMinutes * 60;
}

function zoneMinutes(z: string | undefined): number {
  if (!z || z === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(z)!;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/**
 * govaluate's tryParseTime for the ISO-8601 and RFC 3339 layouts and Go's Kitchen (`3:04PM`),
 * answering Unix seconds as govaluate's planner does. Go's ANSIC, UnixDate and RubyDate layouts
 * are not recognised.
 */
export function parseGoTime(s: string): number | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{1,2}):(\d{2})(?::(\d{2})([+-]\d{2}:\d{2})?)?)?$/.exec(s);
  if (m && !(m[7] && !m[6])) {
    return utcSeconds(+m[1]!, +m[2]!, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), zoneMinutes(m[7]));
  }
  m = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (m) return utcSeconds(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, zoneMinutes(m[7]));
  m = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2})(?::(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?(Z|[+-]\d{4})$/.exec(s);
  if (m) return utcSeconds(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +(m[5] ?? 0), +(m[6] ?? 0), zoneMinutes(m[7]));
  m = /^(\d{1,2}):(\d{2})(AM|PM)$/.exec(s);
  if (m) {
    const h = +m[1]!;
    const mi = +m[2]!;
    if (h > 12 || mi > 59) return undefined;
    const hour = (h % 12) + (m[3] === 'PM' ? 12 : 0);
    return utcSeconds(0, 1, 1, hour, mi, 0, 0);
  }
  return undefined;
}
