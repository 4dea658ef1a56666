/**
 * Evaluates Argo's `{{=…}}` expressions with expr's semantics.
 *
 * As in expr compiled against Argo's environment: a top-level name the environment does not hold
 * is an error before anything runs, while a missing key inside a map reads as nil (so `??` and
 * `?.` work). When such a nil then breaks an operation, or is the final result (Argo refuses a nil
 * result), the error names the missing path — `unknown name "inputs.parameters.foo"` — rather
 * than the operation that tripped on it.
 */
import { Failure, fail, guard } from './errors.js';
import { BUILTINS, BUILTIN_NAMES, sortOrder, sortValues } from './builtins.js';
import { ARGO_GLOBALS } from './env.js';
import { compileGoRegex, GoRegexSyntaxError } from '../../../util/goregex.js';
import { parse, nodeStart, isPredicateBuiltin, type Node } from './parser.js';
import {
  compareStrings, deepEqual, ExprFunction, goFormat, hasKey, isCallable, isInt, isMap, isNil, newMap, typeName,
  type ExprMap,
} from './values.js';

/** Marks a `?.` chain cut short by nil; the enclosing chain node turns it into nil. */
const SHORT: unique symbol = Symbol('short');

interface Frame {
  item: unknown;
  index: number;
  acc: unknown;
  hasAcc: boolean;
}

interface Ctx {
  cps: string[];
  env: ExprMap;
  frames: Frame[];
  vars: Map<string, unknown>[];
  /** The last map lookup that found nothing, for naming it when its nil causes trouble. */
  missing: { path: string; pos: number } | undefined;
}

/** Evaluates `source` (the text inside `{{=` and `}}`) against `env`. */
export function evaluateExpression(source: string, env: Record<string, unknown>): unknown {
  return guard('expression', source, () => {
    const root = parse(source, BUILTIN_NAMES);
    const c: Ctx = { cps: Array.from(source), env, frames: [], vars: [], missing: undefined };
    checkNames(root, c, new Set());
    const v = ev(root, c);
    if (isNil(v) || v === SHORT) {
      if (c.missing) throw unknownName(c);
      return fail('the expression evaluated to nil');
    }
    return toPlain(v);
  });
}

/** Results leave as ordinary objects (maps are prototype-less inside, to keep keys like `constructor` plain). */
function toPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toPlain);
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: toPlain(v[k]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

function unknownName(c: Ctx): Failure {
  const m = c.missing!;
  return new Failure(`unknown name ${JSON.stringify(m.path)}`, m.pos, m.path);
}

function resolvable(name: string, c: Ctx): boolean {
  return name === '$env' || hasKey(ARGO_GLOBALS, name) || hasKey(c.env, name);
}

/** expr's compile-time check: every free name must be in the environment. */
function checkNames(n: Node, c: Ctx, bound: Set<string>): void {
  const walk = (x: Node): void => checkNames(x, c, bound);
  switch (n.type) {
    case 'ident':
      if (!bound.has(n.name) && !resolvable(n.name, c)) {
        throw new Failure(`unknown name ${JSON.stringify(n.name)}`, n.pos, n.name);
      }
      return;
    case 'call':
      if (n.callee.type === 'ident' && !bound.has(n.callee.name) && !resolvable(n.callee.name, c)) {
        fail(`unknown function ${JSON.stringify(n.callee.name)}`, n.callee.pos);
      }
      if (n.callee.type !== 'ident') walk(n.callee);
      n.args.forEach(walk);
      return;
    case 'array':
      n.items.forEach(walk);
      return;
    case 'map':
      n.entries.forEach((e) => { walk(e.key); walk(e.value); });
      return;
    case 'member':
      walk(n.object);
      walk(n.property);
      return;
    case 'slice':
      walk(n.object);
      if (n.from) walk(n.from);
      if (n.to) walk(n.to);
      return;
    case 'chain':
      walk(n.node);
      return;
    case 'unary':
      walk(n.operand);
      return;
    case 'binary':
      walk(n.left);
      walk(n.right);
      return;
    case 'conditional':
      walk(n.cond);
      walk(n.then);
      walk(n.else);
      return;
    case 'builtin':
      n.args.forEach(walk);
      return;
    case 'predicate':
      walk(n.body);
      return;
    case 'let': {
      walk(n.value);
      const inner = new Set(bound);
      inner.add(n.name);
      checkNames(n.body, c, inner);
      return;
    }
    default:
      return;
  }
}

/** `inputs.parameters.foo`, `steps['a'].outputs`: a path from a name, worth calling a name when missing. */
function rootedAtName(n: Node): boolean {
  let x: Node = n;
  while (x.type === 'member' || x.type === 'chain') x = x.type === 'member' ? x.object : x.node;
  return x.type === 'ident';
}

function text(n: Node & { end: number }, c: Ctx): string {
  return c.cps.slice(nodeStart(n), n.end).join('');
}

/** A type error; when one of the culprits is nil from a missing key, names that key instead. */
function typeError(c: Ctx, problem: string, pos: number, ...values: unknown[]): never {
  if (c.missing && values.some(isNil)) throw unknownName(c);
  return fail(problem, pos);
}

function ev(n: Node, c: Ctx): unknown {
  switch (n.type) {
    case 'nil':
      return null;
    case 'bool':
    case 'number':
    case 'string':
      return n.value;
    case 'array':
      return n.items.map((x) => ev(x, c));
    case 'map': {
      const m = newMap();
      for (const e of n.entries) {
        const k = ev(e.key, c);
        m[typeof k === 'string' ? k : goFormat(k)] = ev(e.value, c);
      }
      return m;
    }
    case 'ident':
      return lookup(n.name, n.pos, c);
    case 'pointer':
      return pointer(n.name, n.pos, c);
    case 'member':
      return member(n, c);
    case 'slice':
      return slice(n, c);
    case 'chain': {
      const v = ev(n.node, c);
      return v === SHORT ? null : v;
    }
    case 'unary':
      return unary(n.op, ev(n.operand, c), n.pos, c);
    case 'binary':
      return binary(n, c);
    case 'conditional': {
      const cond = ev(n.cond, c);
      if (typeof cond !== 'boolean') typeError(c, `the condition of "?:" must be a bool, not ${typeName(cond)}`, n.pos, cond);
      return ev(cond ? n.then : n.else, c);
    }
    case 'call':
      return call(n, c);
    case 'builtin':
      return isPredicateBuiltin(n.name) ? predicate(n.name, n.args, n.pos, c) : invoke(c, BUILTINS[n.name]!, n.name, n.args.map((a) => ev(a, c)), n.pos);
    case 'let': {
      c.vars.push(new Map([[n.name, ev(n.value, c)]]));
      try {
        return ev(n.body, c);
      } finally {
        c.vars.pop();
      }
    }
    case 'predicate':
      return fail('a predicate can only be an argument of all, any, filter, map and the like', n.pos);
  }
}

function lookup(name: string, pos: number, c: Ctx): unknown {
  for (let i = c.vars.length - 1; i >= 0; i--) if (c.vars[i]!.has(name)) return c.vars[i]!.get(name);
  if (hasKey(ARGO_GLOBALS, name)) return ARGO_GLOBALS[name];
  if (hasKey(c.env, name)) return c.env[name] ?? null;
  if (name === '$env') {
    const all = newMap();
    for (const k of Object.keys(c.env)) all[k] = c.env[k];
    for (const k of Object.keys(ARGO_GLOBALS)) all[k] = ARGO_GLOBALS[k];
    return all;
  }
  throw new Failure(`unknown name ${JSON.stringify(name)}`, pos, name);
}

function pointer(name: string, pos: number, c: Ctx): unknown {
  const f = c.frames[c.frames.length - 1];
  if (!f) return fail('"#" can only be used inside a predicate', pos);
  if (name === 'index') return f.index;
  if (name === 'acc') return f.hasAcc ? f.acc : fail('#acc is only available in reduce()', pos);
  return f.item;
}

function member(n: Extract<Node, { type: 'member' }>, c: Ctx): unknown {
  const obj = ev(n.object, c);
  if (obj === SHORT) return SHORT;
  const key = ev(n.property, c);
  if (isNil(obj)) {
    if (n.optional) return SHORT;
    return typeError(c, `cannot read ${JSON.stringify(key)} from nil`, n.pos, obj);
  }
  if (isMap(obj)) {
    if (typeof key !== 'string') return fail(`cannot use ${typeName(key)} as a map key`, n.pos);
    if (hasKey(obj, key)) return obj[key] ?? null;
    if (rootedAtName(n)) c.missing = { path: text(n, c), pos: nodeStart(n) };
    return null;
  }
  if (Array.isArray(obj) || typeof obj === 'string') {
    const items = Array.isArray(obj) ? obj : Array.from(obj);
    if (!isInt(key)) return typeError(c, `cannot index ${typeName(obj)} with ${typeName(key)} ${JSON.stringify(key)}`, n.pos, key);
    const i = key < 0 ? items.length + key : key;
    if (i < 0 || i >= items.length) return fail(`index out of range: ${key} (${typeName(obj)} length is ${items.length})`, n.pos);
    return items[i] ?? null;
  }
  return fail(`cannot read ${JSON.stringify(key)} from ${typeName(obj)}`, n.pos);
}

function slice(n: Extract<Node, { type: 'slice' }>, c: Ctx): unknown {
  const obj = ev(n.object, c);
  if (obj === SHORT) return SHORT;
  if (!Array.isArray(obj) && typeof obj !== 'string') return typeError(c, `cannot slice ${typeName(obj)}`, n.pos, obj);
  const items = Array.isArray(obj) ? obj : Array.from(obj);
  const len = items.length;
  const bound = (node: Node | undefined, dflt: number): number => {
    if (!node) return dflt;
    const v = ev(node, c);
    if (!isInt(v)) return typeError(c, `slice bounds must be ints, not ${typeName(v)}`, n.pos, v);
    return v;
  };
  let a = bound(n.from, 0);
  let b = bound(n.to, len);
  if (a < 0) a = Math.max(len + a, 0);
  if (b < 0) b = Math.max(len + b, 0);
  if (b > len) b = len;
  if (a > b) a = b;
  const part = items.slice(a, b);
  return Array.isArray(obj) ? part : (part as string[]).join('');
}

function unary(op: string, v: unknown, pos: number, c: Ctx): unknown {
  if (op === 'not') {
    if (typeof v !== 'boolean') typeError(c, `"not" needs a bool, not ${typeName(v)}`, pos, v);
    return !v;
  }
  if (typeof v !== 'number') return typeError(c, `unary "${op}" needs a number, not ${typeName(v)}`, pos, v);
  return op === '-' ? (v === 0 ? 0 : -v) : v;
}

function wantBool(c: Ctx, op: string, v: unknown, pos: number): boolean {
  if (typeof v !== 'boolean') typeError(c, `"${op}" needs bools, not ${typeName(v)}`, pos, v);
  return v as boolean;
}

function binary(n: Extract<Node, { type: 'binary' }>, c: Ctx): unknown {
  const { op, pos } = n;
  switch (op) {
    case '??': {
      const l = ev(n.left, c);
      return isNil(l) ? ev(n.right, c) : l;
    }
    case 'and':
    case '&&':
      if (!wantBool(c, op, ev(n.left, c), pos)) return false;
      return wantBool(c, op, ev(n.right, c), pos);
    case 'or':
    case '||':
      if (wantBool(c, op, ev(n.left, c), pos)) return true;
      return wantBool(c, op, ev(n.right, c), pos);
  }
  const l = ev(n.left, c);
  const r = ev(n.right, c);
  const mismatch = (verb: string): never =>
    typeError(c, `cannot ${verb} ${typeName(l)} and ${typeName(r)}`, pos, l, r);
  switch (op) {
    case '==':
      return deepEqual(l, r);
    case '!=':
      return !deepEqual(l, r);
    case '<':
    case '>':
    case '<=':
    case '>=': {
      let cmp: number;
      if (typeof l === 'number' && typeof r === 'number') cmp = l - r;
      else if (typeof l === 'string' && typeof r === 'string') cmp = compareStrings(l, r);
      else return mismatch(`compare (${op})`);
      return op === '<' ? cmp < 0 : op === '>' ? cmp > 0 : op === '<=' ? cmp <= 0 : cmp >= 0;
    }
    case '+':
      if (typeof l === 'number' && typeof r === 'number') return l + r;
      if (typeof l === 'string' && typeof r === 'string') return l + r;
      return mismatch('add');
    case '-':
      if (typeof l === 'number' && typeof r === 'number') return l - r;
      return mismatch('subtract');
    case '*':
      if (typeof l === 'number' && typeof r === 'number') return l * r;
      return mismatch('multiply');
    case '/':
      if (typeof l === 'number' && typeof r === 'number') return l / r;
      return mismatch('divide');
    case '%':
      if (isInt(l) && isInt(r)) {
        if (r === 0) return fail('integer divide by zero', pos);
        const m = l % r;
        return m === 0 ? 0 : m;
      }
      return mismatch('take the remainder (%) of');
    case '**':
    case '^':
      if (typeof l === 'number' && typeof r === 'number') return l ** r;
      return mismatch('raise to a power');
    case '..': {
      if (!isInt(l) || !isInt(r)) return mismatch('make a range of');
      if (r - l > 1e6) return fail(`range ${l}..${r} is too large`, pos);
      const out: number[] = [];
      for (let i = l; i <= r; i++) out.push(i);
      return out;
    }
    case 'in':
      if (Array.isArray(r)) return r.some((x) => deepEqual(l, x));
      if (isMap(r)) {
        if (typeof l !== 'string') return typeError(c, `cannot look up ${typeName(l)} in a map`, pos, l);
        return hasKey(r, l);
      }
      return typeError(c, `"in" needs an array or a map on its right, not ${typeName(r)}`, pos, r);
    case 'matches':
      if (typeof l !== 'string' || typeof r !== 'string') return mismatch('match (matches)');
      try {
        return compileGoRegex(r).test(l);
      } catch (err) {
        if (err instanceof GoRegexSyntaxError) return fail(err.message, pos);
        throw err;
      }
    case 'contains':
      if (typeof l !== 'string' || typeof r !== 'string') return mismatch('test "contains" on');
      return l.includes(r);
    case 'startsWith':
      if (typeof l !== 'string' || typeof r !== 'string') return mismatch('test "startsWith" on');
      return l.startsWith(r);
    case 'endsWith':
      if (typeof l !== 'string' || typeof r !== 'string') return mismatch('test "endsWith" on');
      return l.endsWith(r);
  }
  return fail(`unknown operator ${JSON.stringify(op)}`, pos);
}

function call(n: Extract<Node, { type: 'call' }>, c: Ctx): unknown {
  let fn: unknown;
  let name: string;
  if (n.callee.type === 'ident') {
    name = n.callee.name;
    fn = lookup(name, n.callee.pos, c);
  } else {
    name = n.callee.type === 'member' ? text(n.callee, c) : 'function';
    const missingBefore = c.missing;
    fn = ev(n.callee, c);
    if (fn === SHORT) return SHORT;
    if (isNil(fn) && c.missing !== missingBefore) {
      c.missing = missingBefore;
      return fail(`unknown function ${JSON.stringify(name)}`, nodeStart(n.callee));
    }
  }
  if (!isCallable(fn)) return typeError(c, `${name} is not a function (it is ${typeName(fn)})`, n.pos, fn);
  const impl = fn instanceof ExprFunction ? fn.impl : (a: unknown[]): unknown => fn(...a);
  return invoke(c, impl, name, n.args.map((a) => ev(a, c)), n.pos);
}

function invoke(c: Ctx, impl: (args: unknown[]) => unknown, name: string, args: unknown[], pos: number): unknown {
  try {
    const v = impl(args);
    return v === undefined ? null : v;
  } catch (err) {
    if (err instanceof Failure) {
      if (c.missing && args.some(isNil)) throw unknownName(c);
      if (err.pos === undefined) throw new Failure(err.problem, pos, err.unknownName);
      throw err;
    }
    if (err instanceof Error && !(err instanceof RangeError)) throw new Failure(`${name}(): ${err.message}`, pos);
    throw err;
  }
}

function predicate(name: string, args: Node[], pos: number, c: Ctx): unknown {
  const list = ev(args[0]!, c);
  if (!Array.isArray(list)) return typeError(c, `${name}() expects an array, not ${typeName(list)}`, pos, list);
  const pred = args[1]?.type === 'predicate' ? args[1].body : undefined;
  const predPos = args[1]?.pos ?? pos;
  const run = (item: unknown, index: number, acc?: { value: unknown }): unknown => {
    if (!pred) return item;
    c.frames.push({ item, index, acc: acc?.value, hasAcc: acc !== undefined });
    try {
      return ev(pred, c);
    } finally {
      c.frames.pop();
    }
  };
  const truth = (v: unknown): boolean => {
    if (typeof v !== 'boolean') typeError(c, `the predicate of ${name}() must answer a bool, not ${typeName(v)}`, predPos, v);
    return v as boolean;
  };
  switch (name) {
    case 'all':
      return list.every((x, i) => truth(run(x, i)));
    case 'any':
      return list.some((x, i) => truth(run(x, i)));
    case 'none':
      return !list.some((x, i) => truth(run(x, i)));
    case 'one': {
      let hits = 0;
      for (let i = 0; i < list.length && hits < 2; i++) if (truth(run(list[i], i))) hits++;
      return hits === 1;
    }
    case 'filter':
      return list.filter((x, i) => truth(run(x, i)));
    case 'map':
      return list.map((x, i) => run(x, i) ?? null);
    case 'count':
      return list.filter((x, i) => truth(run(x, i))).length;
    case 'sum':
      return list.reduce<number>((acc, x, i) => {
        const v = run(x, i);
        if (typeof v !== 'number') typeError(c, `sum() adds numbers, not ${typeName(v)}`, predPos, v);
        return acc + (v as number);
      }, 0);
    case 'find':
      return list.find((x, i) => truth(run(x, i))) ?? null;
    case 'findIndex':
      return list.findIndex((x, i) => truth(run(x, i)));
    case 'findLast':
      for (let i = list.length - 1; i >= 0; i--) if (truth(run(list[i], i))) return list[i];
      return null;
    case 'findLastIndex':
      for (let i = list.length - 1; i >= 0; i--) if (truth(run(list[i], i))) return i;
      return -1;
    case 'groupBy': {
      const out = newMap();
      list.forEach((x, i) => {
        const k = run(x, i);
        const key = typeof k === 'string' ? k : goFormat(k);
        ((out[key] ??= []) as unknown[]).push(x);
      });
      return out;
    }
    case 'sortBy': {
      const desc = sortOrder('sortBy', args[2] ? ev(args[2], c) : undefined);
      const keys = new Map<unknown, unknown>();
      list.forEach((x, i) => keys.set(x, run(x, i)));
      try {
        return sortValues('sortBy', list, desc, (x) => keys.get(x));
      } catch (err) {
        if (err instanceof Failure) return fail(err.problem, pos);
        throw err;
      }
    }
    case 'reduce': {
      let acc: unknown;
      let start = 0;
      if (args[2]) acc = ev(args[2], c);
      else {
        if (list.length === 0) return fail('reduce() of an empty array needs an initial value', pos);
        acc = list[0];
        start = 1;
      }
      for (let i = start; i < list.length; i++) acc = run(list[i], i, { value: acc });
      return acc ?? null;
    }
  }
  return fail(`unknown builtin ${name}`, pos);
}
