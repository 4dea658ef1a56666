/**
 * The part of GJSON path syntax (github.com/tidwall/gjson) that Katib users write in
 * `trialTemplate.successCondition` / `failureCondition`, evaluated over a parsed JSON value.
 *
 * Supported:
 * - dotted keys: `status.succeeded`, `metadata.labels.app`; `\` escapes a special character
 *   (`metadata.annotations.example\.com/x`); a number picks an array element (`conditions.0`)
 * - `#`: an array's length when it ends the path; with more path after it (`conditions.#.type`)
 *   the rest is taken from every element and the values that exist are collected
 * - `#(…)`: the first element that matches; `#(…)#`: every element that matches. A query is
 *   `path op value` with op one of `==` (or `=`), `!=`, `<`, `<=`, `>`, `>=`, or just `path`
 *   (the element has it). The value is compared as the element's JSON type: a string as a
 *   string, a number as a number, `true`/`false` by name; a quoted value may use JSON escapes.
 *   After `#(…)#`, `.rest` is taken from every match, `|rest` from the array of matches.
 * - `|`: the rest of the path applies to the result so far
 *
 * Everything else GJSON has (wildcards, modifiers such as `@this`, multipaths, `%` patterns,
 * `~` truthiness, the `#[…]` form, JSON lines) is refused by {@link gjsonSyntaxError} with a
 * message naming the part.
 */

interface KeyStep {
  type: 'key';
  key: string;
}
/** `#`: length at the end, or "for each element" before more path. */
interface EachStep {
  type: 'each';
}
interface QueryStep {
  type: 'query';
  /** Path inside the element; '' means the element itself. */
  path: string;
  /** '' is an existence test. */
  op: '' | '=' | '!=' | '<' | '<=' | '>' | '>=';
  value: string;
  all: boolean;
}
type Step = KeyStep | EachStep | QueryStep;
/** Steps joined by `.`; the path is sections joined by `|`. */
type Section = Step[];

class GjsonSyntaxError extends Error {}

function fail(path: string, message: string): never {
  throw new GjsonSyntaxError(`GJSON path ${JSON.stringify(path)}: ${message}`);
}

const UNSUPPORTED =
  'Drover evaluates dotted keys, array indexes, #, #(…) and #(…)# queries with ==, !=, <, <=, >, >= and the | pipe';

/** Index just past the `)` that closes the `(` at `open`, skipping quoted strings and escapes. */
function closingParen(path: string, open: number): number {
  let depth = 0;
  for (let i = open; i < path.length; i++) {
    const c = path[i];
    if (c === '\\') {
      i++;
    } else if (c === '"') {
      for (i++; i < path.length && path[i] !== '"'; i++) if (path[i] === '\\') i++;
      if (i >= path.length) fail(path, `unterminated string in the query starting at ${JSON.stringify(path.slice(open - 1))}`);
    } else if (c === '(' || c === '[') {
      depth++;
    } else if (c === ')' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return fail(path, `no closing ")" for the query starting at ${JSON.stringify(path.slice(open - 1))}`);
}

function parseQuery(path: string, inner: string, whole: string): Omit<QueryStep, 'all' | 'type'> {
  // The operator is the first of ! = < > % outside strings and nested brackets.
  let depth = 0;
  let at = -1;
  for (let i = 0; i < inner.length && at < 0; i++) {
    const c = inner[i];
    if (c === '\\') i++;
    else if (c === '"') {
      for (i++; i < inner.length && inner[i] !== '"'; i++) if (inner[i] === '\\') i++;
    } else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && (c === '!' || c === '=' || c === '<' || c === '>' || c === '%')) at = i;
  }
  if (at < 0) {
    const sub = inner.trim();
    if (sub !== '') checkPath(sub, path);
    return { path: sub, op: '', value: '' };
  }
  const sub = inner.slice(0, at).trim();
  const rest = inner.slice(at);
  let op: QueryStep['op'];
  let len: number;
  if (rest.startsWith('==')) [op, len] = ['=', 2];
  else if (rest.startsWith('!=')) [op, len] = ['!=', 2];
  else if (rest.startsWith('<=')) [op, len] = ['<=', 2];
  else if (rest.startsWith('>=')) [op, len] = ['>=', 2];
  else if (rest.startsWith('!%') || rest.startsWith('%')) {
    return fail(path, `the pattern operator in ${JSON.stringify(whole)} is not supported; ${UNSUPPORTED}`);
  } else if (rest[0] === '<' || rest[0] === '>' || rest[0] === '=') [op, len] = [rest[0], 1];
  else return fail(path, `unknown operator in ${JSON.stringify(whole)}; ${UNSUPPORTED}`);
  let value = rest.slice(len).trim();
  if (value.startsWith('~')) {
    return fail(path, `the ~ truthiness value in ${JSON.stringify(whole)} is not supported; ${UNSUPPORTED}`);
  }
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    try {
      value = JSON.parse(value) as string;
    } catch {
      return fail(path, `the quoted value in ${JSON.stringify(whole)} is not a valid JSON string`);
    }
  } else if (value.startsWith('"')) {
    return fail(path, `the quoted value in ${JSON.stringify(whole)} is not closed`);
  }
  if (sub !== '') checkPath(sub, path);
  return { path: sub, op, value };
}

/** A nested path (inside a query) must itself be in the subset. */
function checkPath(sub: string, outer: string): void {
  try {
    parsePath(sub);
  } catch (e) {
    if (e instanceof GjsonSyntaxError) fail(outer, `in the query path ${JSON.stringify(sub)}: ${e.message.replace(/^GJSON path "(?:[^"\\]|\\.)*": /, '')}`);
    throw e;
  }
}

const cache = new Map<string, Section[]>();

function parsePath(path: string): Section[] {
  const hit = cache.get(path);
  if (hit) return hit;
  if (path === '') fail(path, 'the path is empty');
  const sections: Section[] = [];
  let steps: Step[] = [];
  let i = 0;
  for (;;) {
    // One component starts at i.
    const c = path[i];
    const start = i;
    if (c === undefined || c === '.' || c === '|') {
      fail(path, `empty component at offset ${i}${i > 0 ? ` (after ${JSON.stringify(path.slice(0, i))})` : ''}`);
    }
    if (c === '@') fail(path, `modifiers such as ${JSON.stringify(path.slice(i).split(/[.|]/)[0])} are not supported; ${UNSUPPORTED}`);
    if (c === '[' || c === '{') fail(path, `multipaths (${JSON.stringify(path.slice(i))}) are not supported; ${UNSUPPORTED}`);
    if (c === '#' && path[i + 1] === '[') fail(path, `the old #[…] query form is not supported; write #(…) instead`);
    if (c === '#' && path[i + 1] === '(') {
      const end = closingParen(path, i + 1);
      const whole = path.slice(i, end);
      const q = parseQuery(path, path.slice(i + 2, end - 1), whole);
      i = end;
      const all = path[i] === '#';
      if (all) i++;
      steps.push({ type: 'query', ...q, all });
    } else if (c === '#' && (i + 1 === path.length || path[i + 1] === '.' || path[i + 1] === '|')) {
      steps.push({ type: 'each' });
      i++;
    } else {
      let key = '';
      for (; i < path.length && path[i] !== '.' && path[i] !== '|'; i++) {
        const ch = path[i]!;
        if (ch === '\\') {
          i++;
          if (i >= path.length) fail(path, 'the path ends with a lone "\\"');
          key += path[i];
        } else if (ch === '*' || ch === '?') {
          const part = path.slice(start).split(/(?<!\\)[.|]/)[0];
          fail(path, `wildcard ${JSON.stringify(ch)} in ${JSON.stringify(part)} is not supported (escape it as \\${ch} to mean the character); ${UNSUPPORTED}`);
        } else {
          key += ch;
        }
      }
      steps.push({ type: 'key', key });
    }
    if (i === path.length) break;
    const sep = path[i];
    if (sep === '.') {
      i++;
    } else if (sep === '|') {
      sections.push(steps);
      steps = [];
      i++;
    } else {
      fail(path, `unexpected ${JSON.stringify(path.slice(i))} after ${JSON.stringify(path.slice(start, i))}; a component ends at "." or "|"`);
    }
  }
  sections.push(steps);
  if (cache.size > 256) cache.clear();
  cache.set(path, sections);
  return sections;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's strconv.ParseFloat as GJSON uses it on the query value: anything unparsable reads as 0. */
function queryNumber(s: string): number {
  const t = s.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  return 0;
}

function matches(step: QueryStep, element: unknown): boolean {
  let v: unknown;
  if (step.path === '') v = element;
  else if (typeof element === 'object' && element !== null) v = gjsonGet(element, step.path);
  else return false; // a path into a scalar finds nothing
  if (v === undefined) return false;
  if (step.op === '') return true;
  const want = step.value;
  if (typeof v === 'string') {
    switch (step.op) {
      case '=': return v === want;
      case '!=': return v !== want;
      case '<': return v < want;
      case '<=': return v <= want;
      case '>': return v > want;
      case '>=': return v >= want;
    }
  }
  if (typeof v === 'number') {
    const n = queryNumber(want);
    switch (step.op) {
      case '=': return v === n;
      case '!=': return v !== n;
      case '<': return v < n;
      case '<=': return v <= n;
      case '>': return v > n;
      case '>=': return v >= n;
    }
  }
  // Booleans order false < true, as GJSON does.
  if (v === true) {
    switch (step.op) {
      case '=': return want === 'true';
      case '!=': return want !== 'true';
      case '>': return want === 'false';
      case '>=': return true;
      default: return false;
    }
  }
  if (v === false) {
    switch (step.op) {
      case '=': return want === 'false';
      case '!=': return want !== 'false';
      case '<': return want === 'true';
      case '<=': return true;
      default: return false;
    }
  }
  return false; // null, objects and arrays match no comparison
}

function evalSteps(value: unknown, steps: Section, from: number): unknown {
  let cur = value;
  for (let i = from; i < steps.length; i++) {
    const step = steps[i]!;
    const last = i === steps.length - 1;
    if (step.type === 'key') {
      if (Array.isArray(cur)) {
        if (!/^\d+$/.test(step.key)) return undefined;
        cur = cur[Number(step.key)];
      } else if (isObject(cur)) {
        cur = Object.prototype.hasOwnProperty.call(cur, step.key) ? cur[step.key] : undefined;
      } else {
        return undefined;
      }
      if (cur === undefined) return undefined;
    } else if (step.type === 'each') {
      if (!Array.isArray(cur)) return undefined;
      if (last) return cur.length;
      const out: unknown[] = [];
      for (const el of cur) {
        const r = evalSteps(el, steps, i + 1);
        if (r !== undefined) out.push(r);
      }
      return out;
    } else {
      if (!Array.isArray(cur)) return undefined;
      if (!step.all) {
        const found = cur.find((el) => matches(step, el));
        if (found === undefined) return undefined;
        cur = found;
        continue;
      }
      // GJSON gives no result (rather than []) when the array itself is empty.
      if (cur.length === 0) return undefined;
      const out: unknown[] = [];
      for (const el of cur) {
        if (!matches(step, el)) continue;
        const r = last ? el : evalSteps(el, steps, i + 1);
        if (r !== undefined) out.push(r);
      }
      return out;
    }
  }
  return cur;
}

/**
 * The value at `path` in `obj` (a parsed JSON value), or undefined when there is none.
 * Throws for a path outside the supported subset; check it first with {@link gjsonSyntaxError}.
 */
export function gjsonGet(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const section of parsePath(path)) {
    cur = evalSteps(cur, section, 0);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Why `path` is outside the supported GJSON subset, or undefined when it is fine. */
export function gjsonSyntaxError(path: string): string | undefined {
  try {
    parsePath(path);
    return undefined;
  } catch (e) {
    if (e instanceof GjsonSyntaxError) return e.message;
    throw e;
  }
}

/**
 * Whether a Katib success/failure condition holds on a run object: as Katib's trial controller
 * reads `gjson.Get`, the result must be an object or a non-empty array. A scalar result (even
 * `true` or a positive count) does not hold. Katib checks the failure condition first.
 */
export function conditionHolds(obj: unknown, path: string): boolean {
  const r = gjsonGet(obj, path);
  return isObject(r) || (Array.isArray(r) && r.length > 0);
}

/**
 * The `reason` and `message` Katib copies into the trial's condition when `path` holds: those of
 * the resulting object, or of the first element when the result is an array. Undefined when the
 * condition does not hold.
 */
export function conditionDetail(obj: unknown, path: string): { reason?: string; message?: string } | undefined {
  const r = gjsonGet(obj, path);
  let first: unknown;
  if (isObject(r)) first = r;
  else if (Array.isArray(r) && r.length > 0) first = r[0];
  else return undefined;
  const out: { reason?: string; message?: string } = {};
  if (isObject(first)) {
    if (typeof first.reason === 'string' && first.reason !== '') out.reason = first.reason;
    if (typeof first.message === 'string' && first.message !== '') out.message = first.message;
  }
  return out;
}
