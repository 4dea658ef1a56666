/**
 * Parser for the expr language: precedence climbing with expr's operator table, so the tree has
 * the shape expr gives it (`-2 ** 2` is `-(2 ** 2)`, `**` is right-associative, `??` cannot mix
 * with other operators unparenthesised, `1 < x < 3` means `1 < x && x < 3`). Predicates (`{# > 1}`,
 * or the same without braces) are parsed only as arguments of the builtins that take them.
 */
import { fail } from './errors.js';
import { lex, isIdentChar, type Token } from './lexer.js';

export type Node =
  | { type: 'nil'; pos: number }
  | { type: 'bool'; value: boolean; pos: number }
  | { type: 'number'; value: number; pos: number }
  | { type: 'string'; value: string; pos: number }
  | { type: 'array'; items: Node[]; pos: number }
  | { type: 'map'; entries: { key: Node; value: Node }[]; pos: number }
  | { type: 'ident'; name: string; pos: number }
  /** `#` (name ''), `#index`, `#acc`; `.Field` inside a predicate is `#.Field`. */
  | { type: 'pointer'; name: string; pos: number }
  /** `a.b`, `a?.b`, `a[b]`; `end` closes the source text of the whole path, for messages. */
  | { type: 'member'; object: Node; property: Node; optional: boolean; pos: number; end: number }
  | { type: 'slice'; object: Node; from?: Node; to?: Node; pos: number }
  /** Wraps a postfix chain that holds `?.`: a nil before `?.` makes the whole chain nil. */
  | { type: 'chain'; node: Node; pos: number }
  | { type: 'unary'; op: string; operand: Node; pos: number }
  | { type: 'binary'; op: string; left: Node; right: Node; pos: number }
  | { type: 'conditional'; cond: Node; then: Node; else: Node; pos: number }
  | { type: 'call'; callee: Node; args: Node[]; pos: number }
  | { type: 'builtin'; name: string; args: Node[]; pos: number }
  | { type: 'predicate'; body: Node; pos: number }
  | { type: 'let'; name: string; value: Node; body: Node; pos: number };

interface Operator {
  prec: number;
  right?: boolean;
}

const UNARY: Record<string, number> = { not: 50, '!': 50, '-': 90, '+': 90 };

const BINARY: Record<string, Operator> = {
  '|': { prec: 0 },
  or: { prec: 10 }, '||': { prec: 10 },
  and: { prec: 15 }, '&&': { prec: 15 },
  '==': { prec: 20 }, '!=': { prec: 20 }, '<': { prec: 20 }, '>': { prec: 20 }, '>=': { prec: 20 }, '<=': { prec: 20 },
  in: { prec: 20 }, matches: { prec: 20 }, contains: { prec: 20 }, startsWith: { prec: 20 }, endsWith: { prec: 20 },
  '..': { prec: 25 },
  '+': { prec: 30 }, '-': { prec: 30 },
  '*': { prec: 60 }, '/': { prec: 60 }, '%': { prec: 60 },
  '**': { prec: 100, right: true }, '^': { prec: 100, right: true },
  '??': { prec: 500 },
};

const NEGATABLE = new Set(['in', 'matches', 'contains', 'startsWith', 'endsWith']);

/** Builtins that take a predicate, and the shape of their arguments (`?` marks optional). */
const PREDICATES: Record<string, ('expr' | 'pred' | 'pred?' | 'expr?')[]> = {
  all: ['expr', 'pred'], none: ['expr', 'pred'], any: ['expr', 'pred'], one: ['expr', 'pred'],
  filter: ['expr', 'pred'], map: ['expr', 'pred'], count: ['expr', 'pred?'], sum: ['expr', 'pred?'],
  find: ['expr', 'pred'], findIndex: ['expr', 'pred'], findLast: ['expr', 'pred'], findLastIndex: ['expr', 'pred'],
  groupBy: ['expr', 'pred'], sortBy: ['expr', 'pred', 'expr?'], reduce: ['expr', 'pred', 'expr?'],
};

export function isPredicateBuiltin(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(PREDICATES, name);
}

/** Where a node's source text starts (a member path starts at its root). */
export function nodeStart(n: Node): number {
  switch (n.type) {
    case 'member':
    case 'slice':
      return nodeStart(n.object);
    case 'chain':
      return nodeStart(n.node);
    case 'call':
      return nodeStart(n.callee);
    case 'binary':
      return nodeStart(n.left);
    default:
      return n.pos;
  }
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'the end of the expression';
  if (t.kind === 'string') return `string ${JSON.stringify(t.value)}`;
  return JSON.stringify(t.value);
}

/**
 * Parses an expr program. `builtins` names the non-predicate builtins, which are called as
 * `len(x)` but are not values.
 */
export function parse(source: string, builtins: ReadonlySet<string>): Node {
  const tokens = lex(source);
  let at = 0;
  let depth = 0;
  let cur: Token = tokens[0]!;

  const next = (): void => {
    if (at < tokens.length - 1) at++;
    cur = tokens[at]!;
  };
  const is = (kind: Token['kind'], value?: string): boolean => cur.kind === kind && (value === undefined || cur.value === value);
  const expect = (kind: Token['kind'], value: string): Token => {
    const t = cur;
    if (!is(kind, value)) fail(`expected ${JSON.stringify(value)} but found ${describe(cur)}`, cur.pos);
    next();
    return t;
  };
  const tokenEnd = (t: Token): number => t.pos + (t.kind === 'string' ? 0 : Array.from(t.value).length);

  function parseExpression(prec: number): Node {
    if (prec === 0 && is('op', 'let')) return parseLet();
    let left = parsePrimary();
    let prevOp = '';
    let opTok = cur;
    while (opTok.kind === 'op') {
      let negate = false;
      if (opTok.value === 'not') {
        const save = at;
        next();
        const op = BINARY[cur.value];
        if (!(cur.kind === 'op' && NEGATABLE.has(cur.value))) fail(`unexpected ${describe(cur)} after "not"`, cur.pos);
        if (op!.prec < prec) {
          at = save;
          cur = tokens[at]!;
          break;
        }
        negate = true;
        opTok = cur;
      }
      const op = Object.prototype.hasOwnProperty.call(BINARY, opTok.value) ? BINARY[opTok.value] : undefined;
      if (!op || op.prec < prec) break;
      next();
      if (opTok.value === '|') {
        const name = cur;
        if (name.kind !== 'ident') fail(`expected a function name after "|" but found ${describe(name)}`, name.pos);
        next();
        left = parseCall(name, [left]);
      } else {
        if (prevOp === '??' && opTok.value !== '??') {
          fail(`operator ${JSON.stringify(opTok.value)} and nil coalescing (??) cannot be mixed; add parentheses`, opTok.pos);
        }
        if (op.prec === 20) {
          left = parseComparison(left, opTok, negate);
        } else {
          const right = parseExpression(op.right ? op.prec : op.prec + 1);
          left = { type: 'binary', op: opTok.value, left, right, pos: opTok.pos };
          if (negate) left = { type: 'unary', op: 'not', operand: left, pos: opTok.pos };
        }
      }
      prevOp = opTok.value;
      opTok = cur;
    }
    if (prec === 0) left = parseConditional(left);
    return left;
  }

  function parseComparison(left: Node, opTok: Token, negate: boolean): Node {
    let root: Node | undefined;
    let lhs = left;
    let tok = opTok;
    let neg = negate;
    for (;;) {
      const rhs = parseExpression(21);
      let cmp: Node = { type: 'binary', op: tok.value, left: lhs, right: rhs, pos: tok.pos };
      if (neg) cmp = { type: 'unary', op: 'not', operand: cmp, pos: tok.pos };
      root = root ? { type: 'binary', op: '&&', left: root, right: cmp, pos: tok.pos } : cmp;
      lhs = rhs;
      if (!(cur.kind === 'op' && BINARY[cur.value]?.prec === 20)) break;
      tok = cur;
      neg = false;
      next();
    }
    return root;
  }

  function parseConditional(node: Node): Node {
    while (is('op', '?')) {
      const pos = cur.pos;
      next();
      let then: Node;
      let otherwise: Node;
      if (is('op', ':')) {
        next();
        then = node;
        otherwise = parseExpression(0);
      } else {
        then = parseExpression(0);
        expect('op', ':');
        otherwise = parseExpression(0);
      }
      node = { type: 'conditional', cond: node, then, else: otherwise, pos };
    }
    return node;
  }

  function parseLet(): Node {
    const pos = cur.pos;
    expect('op', 'let');
    const name = cur;
    if (name.kind !== 'ident') fail(`expected a variable name after "let" but found ${describe(name)}`, name.pos);
    next();
    expect('op', '=');
    const value = parseExpression(0);
    expect('op', ';');
    const body = parseExpression(0);
    return { type: 'let', name: name.value, value, body, pos };
  }

  function parseIf(): Node {
    const pos = cur.pos;
    expect('op', 'if');
    const cond = parseExpression(0);
    expect('bracket', '{');
    const then = parseExpression(0);
    expect('bracket', '}');
    expect('op', 'else');
    let otherwise: Node;
    if (is('op', 'if')) otherwise = parseIf();
    else {
      expect('bracket', '{');
      otherwise = parseExpression(0);
      expect('bracket', '}');
    }
    return { type: 'conditional', cond, then, else: otherwise, pos };
  }

  function parsePrimary(): Node {
    const tok = cur;
    if (tok.kind === 'op' && Object.prototype.hasOwnProperty.call(UNARY, tok.value)) {
      next();
      const operand = parseExpression(UNARY[tok.value]!);
      return parsePostfix({ type: 'unary', op: tok.value === '!' ? 'not' : tok.value, operand, pos: tok.pos });
    }
    if (is('bracket', '(')) {
      next();
      const inner = parseExpression(0);
      expect('bracket', ')');
      return parsePostfix(inner);
    }
    if (is('op', '#') || is('op', '.')) {
      if (depth === 0) fail(`${tok.value === '#' ? '"#"' : 'a leading "."'} can only be used inside a predicate such as filter(list, {# > 1})`, tok.pos);
      if (tok.value === '.') return parsePostfix({ type: 'pointer', name: '', pos: tok.pos });
      next();
      let name = '';
      if (cur.kind === 'ident' && cur.pos === tok.pos + 1) {
        name = cur.value;
        if (name !== 'index' && name !== 'acc') fail(`unknown pointer "#${name}" (expected #, #index or #acc)`, tok.pos);
        next();
      }
      return parsePostfix({ type: 'pointer', name, pos: tok.pos });
    }
    if (is('op', 'if')) return parseIf();
    return parseSecondary();
  }

  function parseSecondary(): Node {
    const tok = cur;
    switch (tok.kind) {
      case 'ident': {
        next();
        if (tok.value === 'true' || tok.value === 'false') return { type: 'bool', value: tok.value === 'true', pos: tok.pos };
        if (tok.value === 'nil') return { type: 'nil', pos: tok.pos };
        if (is('bracket', '(')) return parsePostfix(parseCall(tok, []));
        return parsePostfix({ type: 'ident', name: tok.value, pos: tok.pos });
      }
      case 'number':
        next();
        return { type: 'number', value: parseNumber(tok), pos: tok.pos };
      case 'string':
        next();
        return parsePostfix({ type: 'string', value: tok.value, pos: tok.pos });
      case 'eof':
        return fail('expected an operand but the expression ended', tok.pos);
      default:
        if (is('bracket', '[')) return parsePostfix(parseArray());
        if (is('bracket', '{')) return parsePostfix(parseMap());
        return fail(`expected an operand but found ${describe(tok)}`, tok.pos);
    }
  }

  function parseCall(name: Token, args: Node[]): Node {
    const shape = Object.prototype.hasOwnProperty.call(PREDICATES, name.value) ? PREDICATES[name.value] : undefined;
    if (shape) {
      expect('bracket', '(');
      const rest = shape.slice(args.length);
      const required = shape.filter((s) => !s.endsWith('?')).length;
      for (let i = 0; i < rest.length; i++) {
        const spec = rest[i]!;
        if (is('bracket', ')')) {
          if (spec.endsWith('?')) break;
          fail(`${name.value}() expects at least ${required} arguments`, cur.pos);
        }
        if (i > 0) expect('op', ',');
        args.push(spec.startsWith('pred') ? parsePredicate() : parseExpression(0));
      }
      if (is('op', ',')) next();
      expect('bracket', ')');
      return { type: 'builtin', name: name.value, args, pos: name.pos };
    }
    const parsed = parseArguments(args);
    if (builtins.has(name.value)) return { type: 'builtin', name: name.value, args: parsed, pos: name.pos };
    return { type: 'call', callee: { type: 'ident', name: name.value, pos: name.pos }, args: parsed, pos: name.pos };
  }

  function parseArguments(args: Node[]): Node[] {
    const offset = args.length;
    expect('bracket', '(');
    while (!is('bracket', ')')) {
      if (args.length > offset) {
        expect('op', ',');
        if (is('bracket', ')')) break;
      }
      args.push(parseExpression(0));
    }
    expect('bracket', ')');
    return args;
  }

  function parsePredicate(): Node {
    const pos = cur.pos;
    const braces = is('bracket', '{');
    if (braces) next();
    depth++;
    const body = parseExpression(0);
    depth--;
    if (braces) expect('bracket', '}');
    return { type: 'predicate', body, pos };
  }

  function parseArray(): Node {
    const pos = cur.pos;
    expect('bracket', '[');
    const items: Node[] = [];
    while (!is('bracket', ']')) {
      if (items.length > 0) {
        expect('op', ',');
        if (is('bracket', ']')) break;
      }
      items.push(parseExpression(0));
    }
    expect('bracket', ']');
    return { type: 'array', items, pos };
  }

  function parseMap(): Node {
    const pos = cur.pos;
    expect('bracket', '{');
    const entries: { key: Node; value: Node }[] = [];
    while (!is('bracket', '}')) {
      if (entries.length > 0) {
        expect('op', ',');
        if (is('bracket', '}')) break;
      }
      let key: Node;
      if (cur.kind === 'number' || cur.kind === 'string' || cur.kind === 'ident') {
        key = { type: 'string', value: cur.value, pos: cur.pos };
        next();
      } else if (is('bracket', '(')) {
        key = parseExpression(0);
      } else {
        return fail(`a map key must be a name, a quoted string, a number or a parenthesised expression, not ${describe(cur)}`, cur.pos);
      }
      expect('op', ':');
      entries.push({ key, value: parseExpression(0) });
    }
    expect('bracket', '}');
    return { type: 'map', entries, pos };
  }

  function parsePostfix(start: Node): Node {
    let node = start;
    let chained = false;
    for (;;) {
      const tok = cur;
      if (tok.kind === 'op' && (tok.value === '.' || tok.value === '?.')) {
        const optional = tok.value === '?.';
        next();
        if (optional && is('bracket', '[')) {
          node = parseIndex(node, true);
          chained = true;
          continue;
        }
        const prop = cur;
        const valid = prop.kind === 'ident' || (prop.kind === 'op' && Array.from(prop.value).every((c) => isIdentChar(c)));
        if (!valid) fail(`expected a name after ${JSON.stringify(tok.value)} but found ${describe(prop)}`, prop.pos);
        next();
        const member: Node = {
          type: 'member', object: node, property: { type: 'string', value: prop.value, pos: prop.pos },
          optional, pos: tok.pos, end: tokenEnd(prop),
        };
        node = is('bracket', '(') ? { type: 'call', callee: member, args: parseArguments([]), pos: prop.pos } : member;
        if (optional) chained = true;
        continue;
      }
      if (tok.kind === 'bracket' && tok.value === '[') {
        node = parseIndex(node, false);
        continue;
      }
      break;
    }
    return chained ? { type: 'chain', node, pos: node.pos } : node;
  }

  function parseIndex(object: Node, optional: boolean): Node {
    const open = expect('bracket', '[');
    if (is('op', ':')) {
      next();
      const to = is('bracket', ']') ? undefined : parseExpression(0);
      expect('bracket', ']');
      return { type: 'slice', object, ...(to ? { to } : {}), pos: open.pos };
    }
    const from = parseExpression(0);
    if (is('op', ':')) {
      next();
      const to = is('bracket', ']') ? undefined : parseExpression(0);
      expect('bracket', ']');
      return { type: 'slice', object, from, ...(to ? { to } : {}), pos: open.pos };
    }
    const close = expect('bracket', ']');
    return { type: 'member', object, property: from, optional, pos: open.pos, end: close.pos + 1 };
  }

  const root = parseExpression(0);
  if (cur.kind !== 'eof') fail(`unexpected ${describe(cur)}`, cur.pos);
  return root;
}

function parseNumber(tok: Token): number {
  const text = tok.value.replace(/_/g, '');
  const lower = text.toLowerCase();
  let n: number;
  if (/^0[xob]/.test(lower)) {
    const radix = lower[1] === 'x' ? 16 : lower[1] === 'o' ? 8 : 2;
    const body = text.slice(2);
    n = body && new RegExp(`^[${radix === 16 ? '0-9a-f' : radix === 8 ? '0-7' : '01'}]+$`, 'i').test(body) ? parseInt(body, radix) : NaN;
  } else if (/[.e]/.test(lower)) {
    n = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(lower) ? Number(text) : NaN;
  } else {
    n = /^\d+$/.test(text) ? Number(text) : NaN;
  }
  if (Number.isNaN(n)) fail(`invalid number literal ${JSON.stringify(tok.value)}`, tok.pos);
  const isFloat = !/^0[xob]/.test(lower) && /[.e]/.test(lower);
  if (!isFloat && n > 2 ** 63 - 1) fail('integer literal is too large', tok.pos);
  return n;
}
