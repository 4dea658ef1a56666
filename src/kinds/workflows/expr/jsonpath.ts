/**
 * The JSONPath subset behind Argo's `jsonpath(json, path)`: `$`, `.key`, `['key']`, `[0]`,
 * `[-1]`, `[*]`/`.*`, unions `[0,2]`/`['a','b']`, slices `[1:3]`, recursive descent `..key` and
 * filters `[?(@.age > 42 && @.name != "Mo")]` (comparisons ==, !=, <, <=, >, >= of `@` paths and
 * literals; &&, ||, !, parentheses; `@.x` alone: it exists). A definite path (no wildcard, union,
 * slice, descent or filter) answers one value and fails on a missing key, as Argo's library does;
 * an indefinite one answers the list of what it found. Script expressions (`[(…)]`) are refused.
 */
import { fail } from './errors.js';
import { hasKey, isMap } from './values.js';

type Selector =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'union'; items: (string | number)[] }
  | { kind: 'slice'; start?: number; end?: number; step?: number }
  | { kind: 'descend'; then: Selector }
  | { kind: 'filter'; test: Filter };

/** A filter's expression over the element at hand (`@`). */
type Filter =
  | { op: 'and' | 'or'; left: Filter; right: Filter }
  | { op: 'not'; arg: Filter }
  | { op: 'cmp'; cmp: '==' | '!=' | '<' | '<=' | '>' | '>='; left: Operand; right: Operand }
  | { op: 'exists'; arg: Operand };
type Operand = { at: (string | number)[] } | { value: unknown };

const MAX_FILTER_DEPTH = 64;

/** Parses the body of `[?(…)]`. */
function parseFilter(text: string, path: string): Filter {
  let i = 0;
  const bad = (what: string): never => fail(`jsonpath ${JSON.stringify(path)}: filter ${JSON.stringify(text)}: ${what} at offset ${i}`);
  const ws = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const eat = (tok: string): boolean => {
    ws();
    if (!text.startsWith(tok, i)) return false;
    i += tok.length;
    return true;
  };
  const operand = (): Operand => {
    ws();
    if (text[i] === '@') {
      i++;
      const at: (string | number)[] = [];
      for (;;) {
        if (text[i] === '.') {
          i++;
          const m = /^[A-Za-z_$][\w$-]*/.exec(text.slice(i));
          if (!m) bad('expected a key after "."');
          at.push(m![0]);
          i += m![0].length;
        } else if (text[i] === '[') {
          const m = /^\[\s*(?:(-?\d+)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]/.exec(text.slice(i));
          if (!m) bad('expected [index] or [\'key\']');
          at.push(m![1] !== undefined ? Number(m![1]) : (m![2] ?? m![3])!.replace(/\\(.)/g, '$1'));
          i += m![0].length;
        } else break;
      }
      return { at };
    }
    const m = /^(?:(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(true|false|null)\b)/.exec(text.slice(i));
    if (!m) return bad('expected @, a number, a string, true, false or null');
    i += m[0].length;
    if (m[1] !== undefined) return { value: Number(m[1]) };
    if (m[4] !== undefined) return { value: m[4] === 'null' ? null : m[4] === 'true' };
    return { value: (m[2] ?? m[3])!.replace(/\\(.)/g, '$1') };
  };
  // Nesting is bounded: a filter of a thousand "(" or "!" would otherwise exhaust the stack.
  let depth = 0;
  const nested = <T>(f: () => T): T => {
    if (++depth > MAX_FILTER_DEPTH) bad(`more than ${MAX_FILTER_DEPTH} levels of "(" and "!"`);
    try {
      return f();
    } finally {
      depth--;
    }
  };
  const primary = (): Filter => {
    if (eat('!')) return nested(() => ({ op: 'not', arg: primary() }));
    if (eat('(')) {
      const f = nested(or);
      if (!eat(')')) bad('expected ")"');
      return f;
    }
    const left = operand();
    ws();
    const cmp = (['==', '!=', '<=', '>=', '<', '>'] as const).find((c) => text.startsWith(c, i));
    if (!cmp) return { op: 'exists', arg: left };
    i += cmp.length;
    return { op: 'cmp', cmp, left, right: operand() };
  };
  const and = (): Filter => {
    let f = primary();
    while (eat('&&')) f = { op: 'and', left: f, right: primary() };
    return f;
  };
  const or = (): Filter => {
    let f = and();
    while (eat('||')) f = { op: 'or', left: f, right: and() };
    return f;
  };
  const f = or();
  ws();
  if (i < text.length) bad(`unexpected ${JSON.stringify(text.slice(i))}`);
  return f;
}

const MISSING = Symbol('missing');

function valueOf(o: Operand, el: unknown): unknown {
  if ('value' in o) return o.value;
  let v: unknown = el;
  for (const k of o.at) {
    if (typeof k === 'number' ? Array.isArray(v) && k >= -v.length && k < v.length : isMap(v) && hasKey(v, k)) v = typeof k === 'number' ? (v as unknown[])[k < 0 ? (v as unknown[]).length + k : k] : (v as Record<string, unknown>)[k];
    else return MISSING;
  }
  return v;
}

function holds(f: Filter, el: unknown): boolean {
  switch (f.op) {
    case 'and':
      return holds(f.left, el) && holds(f.right, el);
    case 'or':
      return holds(f.left, el) || holds(f.right, el);
    case 'not':
      return !holds(f.arg, el);
    case 'exists':
      return valueOf(f.arg, el) !== MISSING;
    case 'cmp': {
      const a = valueOf(f.left, el);
      const b = valueOf(f.right, el);
      if (a === MISSING || b === MISSING) return f.cmp === '!=';
      if (f.cmp === '==') return a === b;
      if (f.cmp === '!=') return a !== b;
      // Order only between two numbers or two strings.
      if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) return false;
      return f.cmp === '<' ? a < b : f.cmp === '<=' ? a <= b : f.cmp === '>' ? a > b : a >= b;
    }
  }
}

function parsePath(path: string): Selector[] {
  const p = path.trim();
  if (!p.startsWith('$')) fail(`jsonpath ${JSON.stringify(path)} must start with "$"`);
  const out: Selector[] = [];
  let i = 1;
  const bad = (what: string): never => fail(`jsonpath ${JSON.stringify(path)}: ${what} at offset ${i}`);

  const readName = (): string => {
    const m = /^[^.[\]\s]+/.exec(p.slice(i));
    if (!m) bad('expected a key');
    i += m![0].length;
    return m![0];
  };

  const readBracket = (): Selector => {
    i++; // [
    const close = findClose(p, i);
    if (close < 0) bad('unclosed "["');
    const body = p.slice(i, close).trim();
    i = close + 1;
    if (body === '*') return { kind: 'wildcard' };
    if (body.startsWith('?')) {
      const inner = body.slice(1).trim();
      if (!inner.startsWith('(') || !inner.endsWith(')')) return bad('expected [?(…)]');
      return { kind: 'filter', test: parseFilter(inner.slice(1, -1), path) };
    }
    if (body.startsWith('(')) return fail(`jsonpath ${JSON.stringify(path)}: script expressions are not supported`);
    const slice = /^(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?)?$/.exec(body);
    if (slice) {
      return {
        kind: 'slice',
        ...(slice[1] !== undefined ? { start: Number(slice[1]) } : {}),
        ...(slice[2] !== undefined ? { end: Number(slice[2]) } : {}),
        ...(slice[3] !== undefined ? { step: Number(slice[3]) } : {}),
      };
    }
    const items = splitUnion(body).map((part): string | number => {
      const t = part.trim();
      if (/^-?\d+$/.test(t)) return Number(t);
      const q = /^(['"])(.*)\1$/s.exec(t);
      if (q) return q[2]!.replace(/\\(.)/g, '$1');
      return bad(`unexpected ${JSON.stringify(t)} in brackets`);
    });
    if (items.length === 1) return typeof items[0] === 'number' ? { kind: 'index', index: items[0] } : { kind: 'key', key: items[0]! };
    return { kind: 'union', items };
  };

  while (i < p.length) {
    if (p.startsWith('..', i)) {
      i += 2;
      const then: Selector = p[i] === '[' ? readBracket() : p[i] === '*' ? (i++, { kind: 'wildcard' }) : { kind: 'key', key: readName() };
      out.push({ kind: 'descend', then });
    } else if (p[i] === '.') {
      i++;
      if (p[i] === '*') {
        i++;
        out.push({ kind: 'wildcard' });
      } else out.push({ kind: 'key', key: readName() });
    } else if (p[i] === '[') {
      out.push(readBracket());
    } else bad(`unexpected ${JSON.stringify(p[i])}`);
  }
  return out;
}

/** The `]` closing the bracket opened before `from` (a filter may hold brackets of its own). */
function findClose(p: string, from: number): number {
  let quote = '';
  let depth = 0;
  for (let j = from; j < p.length; j++) {
    const c = p[j];
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && depth-- === 0) return j;
  }
  return -1;
}

function splitUnion(body: string): string[] {
  const parts: string[] = [];
  let quote = '';
  let cur = '';
  for (let j = 0; j < body.length; j++) {
    const c = body[j]!;
    if (quote) {
      if (c === '\\') { cur += c + (body[j + 1] ?? ''); j++; continue; }
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ',') { parts.push(cur); cur = ''; continue; }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isMap(v)) return Object.keys(v).map((k) => v[k]);
  return [];
}

function apply(sel: Selector, nodes: unknown[], definite: boolean, path: string): unknown[] {
  const out: unknown[] = [];
  for (const v of nodes) {
    switch (sel.kind) {
      case 'key':
        if (isMap(v) && hasKey(v, sel.key)) out.push(v[sel.key]);
        else if (definite) fail(`jsonpath ${JSON.stringify(path)}: key ${JSON.stringify(sel.key)} not found`);
        break;
      case 'index': {
        const n = Array.isArray(v) ? v.length : -1;
        const j = sel.index < 0 ? n + sel.index : sel.index;
        if (Array.isArray(v) && j >= 0 && j < n) out.push(v[j]);
        else if (definite) fail(`jsonpath ${JSON.stringify(path)}: index ${sel.index} out of range`);
        break;
      }
      case 'wildcard':
        out.push(...children(v));
        break;
      case 'union':
        for (const item of sel.items) out.push(...apply(typeof item === 'number' ? { kind: 'index', index: item } : { kind: 'key', key: item }, [v], false, path));
        break;
      case 'slice': {
        if (!Array.isArray(v)) break;
        const n = v.length;
        const step = sel.step ?? 1;
        if (step <= 0) fail(`jsonpath ${JSON.stringify(path)}: slice step must be positive`);
        const norm = (x: number): number => Math.min(Math.max(x < 0 ? n + x : x, 0), n);
        for (let j = norm(sel.start ?? 0); j < norm(sel.end ?? n); j += step) out.push(v[j]);
        break;
      }
      case 'filter':
        out.push(...children(v).filter((el) => holds(sel.test, el)));
        break;
      case 'descend': {
        const all: unknown[] = [];
        const walk = (x: unknown): void => {
          all.push(x);
          children(x).forEach(walk);
        };
        walk(v);
        out.push(...apply(sel.then, all, false, path));
        break;
      }
    }
  }
  return out;
}

/** Evaluates `path` against an already parsed JSON document. */
export function queryJSONPath(doc: unknown, path: string): unknown {
  const sels = parsePath(path);
  const definite = sels.every((s) => s.kind === 'key' || s.kind === 'index');
  let nodes = [doc];
  for (const sel of sels) nodes = apply(sel, nodes, definite, path);
  return definite ? nodes[0] : nodes;
}
