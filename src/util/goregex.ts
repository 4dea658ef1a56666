/**
 * Go regular expressions (RE2 syntax and semantics) for everything Drover runs on a user's
 * pattern: Katib's metrics filters and Argo's sprig `regex*` functions. Matching is RE2's
 * (the `re2js` port), linear in the input, so a pattern such as `(a+)+$` cannot stall the event
 * loop; the syntax is Go's, so what Go rejects (backreferences, lookaround) is rejected here with
 * Go's message and a hint.
 *
 *   const re = compileGoRegex('(?P<key>\\w+)=(\\d+)');   // cached; throws GoRegexSyntaxError
 *   re.findAll('a=1 b=2').map((m) => m.groups[2]);        // ['1', '2']
 */
import { createRequire } from 'node:module';
import type * as Re2js from 're2js';

// Loaded on first use: the CLI imports this module (metrics.ts) on every start, and re2js takes
// about 10 ms to load.
let re2js: typeof Re2js | undefined;
function engine(): typeof Re2js {
  return (re2js ??= createRequire(import.meta.url)('re2js') as typeof Re2js);
}

/** A pattern Go's regexp.Compile refuses. `message` is Go's own text, plus a hint where one helps. */
export class GoRegexSyntaxError extends Error {
  override readonly name = 'GoRegexSyntaxError';
  constructor(
    readonly pattern: string,
    /** RE2's error code, e.g. `missing closing )`. */
    readonly code: string,
    /** The part of the pattern at fault. */
    readonly fragment: string,
  ) {
    const hint = syntaxHint(code, fragment);
    super(`error parsing regexp: ${code}: \`${fragment}\`${hint ? ` (${hint})` : ''}`);
  }
}

/** Plain words for the errors people coming from JavaScript or PCRE meet most. */
function syntaxHint(code: string, fragment: string): string | undefined {
  if (/^\(\?<?[=!]/.test(fragment)) return 'lookahead and lookbehind are not supported by Go regular expressions';
  if (code === 'invalid escape sequence' && /^\\[1-9]/.test(fragment)) return 'backreferences are not supported by Go regular expressions';
  if (code === 'missing closing )') return 'Unterminated group';
  return undefined;
}

/** One match: `groups[0]` is the whole match, `groups[i]` the i-th capture (undefined when it took no part). */
export interface GoMatch {
  readonly index: number;
  readonly end: number;
  readonly groups: readonly (string | undefined)[];
}

export class GoRegex {
  readonly groupCount: number;
  /** Named groups `(?P<name>…)` and their indexes. */
  readonly groupNames: Readonly<Record<string, number>>;
  private readonly re: Re2js.RE2JS;

  /** Prefer {@link compileGoRegex}, which caches. */
  constructor(readonly pattern: string) {
    const { RE2JS, RE2JSSyntaxException } = engine();
    try {
      this.re = RE2JS.compile(pattern);
    } catch (err) {
      if (err instanceof RE2JSSyntaxException) throw new GoRegexSyntaxError(pattern, err.error, err.input ?? pattern);
      throw err;
    }
    this.groupCount = this.re.groupCount();
    this.groupNames = this.re.namedGroups();
  }

  /** The index of a named group `(?P<name>…)`, or undefined. */
  groupIndex(name: string): number | undefined {
    return Object.prototype.hasOwnProperty.call(this.groupNames, name) ? this.groupNames[name] : undefined;
  }

  /** Whether the pattern matches anywhere in `s` (Go's MatchString). */
  test(s: string): boolean {
    return this.re.test(s);
  }

  /**
   * The leftmost match (Go's FindStringSubmatchIndex), or undefined; with `from`, the leftmost
   * that starts there or later (`^` and `\b` still see the text before `from`).
   */
  find(s: string, from = 0): GoMatch | undefined {
    const m = this.re.matcher(s);
    return m.find(from) ? this.matchOf(m) : undefined;
  }

  /**
   * Successive non-overlapping matches, at most `n` when `n >= 0` (Go's FindAllStringSubmatch):
   * as in Go, an empty match right after the previous match is skipped, so `a*` finds
   * `"", "aaa", ""` in `baaac` where JavaScript finds four.
   */
  findAll(s: string, n = -1): GoMatch[] {
    const out: GoMatch[] = [];
    const m = this.re.matcher(s);
    let prevEnd = -1;
    for (let pos = 0; (n < 0 || out.length < n) && pos <= s.length && m.find(pos); ) {
      const start = m.start();
      const end = m.end();
      if (end === start) {
        if (start !== prevEnd) out.push(this.matchOf(m));
        pos = start + charWidth(s, start);
      } else {
        out.push(this.matchOf(m));
        pos = end;
      }
      prevEnd = end;
    }
    return out;
  }

  /**
   * `s` with every match replaced (Go's ReplaceAllString and ReplaceAllLiteralString): a string
   * is a template (`$1`, `${name}`, `$$`) unless `literal`; a function gets each match.
   */
  replaceAll(s: string, repl: string | ((m: GoMatch) => string), literal = false): string {
    const replace = typeof repl === 'function' ? repl : literal ? () => repl : (m: GoMatch) => this.expand(repl, m);
    const m = this.re.matcher(s);
    let out = '';
    let lastEnd = 0;
    // Go's loop: an empty match right after a replaced one is not replaced again.
    for (let pos = 0; pos <= s.length && m.find(pos); ) {
      const start = m.start();
      const end = m.end();
      out += s.slice(lastEnd, start);
      if (end > lastEnd || start === 0) out += replace(this.matchOf(m));
      lastEnd = end;
      const width = charWidth(s, pos);
      pos = pos + width > end ? pos + width : end;
    }
    return out + s.slice(lastEnd);
  }

  /** Go's Regexp.Split: at most `n` pieces when `n > 0`, none when 0, all when negative. */
  split(s: string, n: number): string[] {
    if (n === 0) return [];
    if (this.pattern !== '' && s === '') return [''];
    const out: string[] = [];
    let beg = 0;
    let end = 0;
    for (const match of this.findAll(s, n)) {
      if (n > 0 && out.length === n - 1) break;
      end = match.index;
      if (match.end !== 0) out.push(s.slice(beg, end));
      beg = match.end;
    }
    if (end !== s.length) out.push(s.slice(beg));
    return out;
  }

  /** Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; an unknown group is empty, a bad `$` kept. */
  expand(template: string, m: GoMatch): string {
    let out = '';
    for (let i = 0; i < template.length; i++) {
      const ch = template[i]!;
      if (ch !== '$') {
        out += ch;
        continue;
      }
      if (template[i + 1] === '$') {
        out += '$';
        i++;
        continue;
      }
      const ref = /^(?:\{(\w+)\}|(\w+))/.exec(template.slice(i + 1));
      const name = ref?.[1] ?? ref?.[2];
      if (ref === null || name === undefined) {
        out += '$';
        continue;
      }
      const index = /^\d+$/.test(name) ? Number(name) : this.groupIndex(name);
      out += (index === undefined ? undefined : m.groups[index]) ?? '';
      i += ref[0].length;
    }
    return out;
  }

  private matchOf(m: Re2js.Matcher): GoMatch {
    const groups: (string | undefined)[] = [];
    for (let g = 0; g <= this.groupCount; g++) groups.push(m.group(g) ?? undefined);
    return { index: m.start(), end: m.end(), groups };
  }
}

/** Code units of the character at `i` (2 for a surrogate pair), 1 at the end. */
function charWidth(s: string, i: number): number {
  const c = s.codePointAt(i);
  return c !== undefined && c > 0xffff ? 2 : 1;
}

const cache = new Map<string, GoRegex>();
const CACHE_LIMIT = 256;

/** The compiled pattern, from a small cache (patterns come from manifests and repeat). Throws GoRegexSyntaxError. */
export function compileGoRegex(pattern: string): GoRegex {
  let re = cache.get(pattern);
  if (!re) {
    re = new GoRegex(pattern);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}

/** Go's regexp.QuoteMeta: a pattern that matches `s` literally. */
export function quoteGoMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
