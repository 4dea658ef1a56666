/**
 * Go regular expressions (RE2 syntax) on JavaScript's engine. Argo's `matches`, `=~` and sprig's
 * `regex*` functions use Go's `regexp`; the common syntax is shared, and the differences users
 * meet are translated here: leading `(?i)`-style flags, `(?P<name>…)`, `\A`, `\z`, `\Q…\E` and
 * POSIX classes such as `[[:alpha:]]`.
 */
import { fail } from './errors.js';

const POSIX: Record<string, string> = {
  alnum: 'a-zA-Z0-9', alpha: 'a-zA-Z', ascii: '\\x00-\\x7f', blank: '\\t ', cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: 'A-Za-z0-9_', xdigit: '0-9A-Fa-f',
};

/** Compiles a Go pattern; `global` for find-all and replace. Throws a Failure Go would also report. */
export function goRegExp(pattern: string, global = false): RegExp {
  let src = pattern;
  let flags = global ? 'g' : '';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    if (lead[1]!.includes('U')) fail(`regular expression ${JSON.stringify(pattern)}: the ungreedy flag (?U) is not supported`);
    for (const f of lead[1]!) if (!flags.includes(f)) flags += f;
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === '\\') {
      const next = src[i + 1];
      if (next === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const literal = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        out += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? src.length : end + 1;
        continue;
      }
      if (!inClass && next === 'A') { out += '(?<![\\s\\S])'; i++; continue; }
      if (!inClass && next === 'z') { out += '(?![\\s\\S])'; i++; continue; }
      out += ch + (next ?? '');
      i++;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
      if (posix) {
        const cls = POSIX[posix[2]!];
        if (!cls || posix[1]) fail(`regular expression ${JSON.stringify(pattern)}: unsupported character class ${posix[0]}`);
        out += cls;
        i += posix[0].length - 1;
        continue;
      }
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      // A `]` right after `[` or `[^` is a literal in RE2.
      if (src[i + 1] === '^') { out += '^'; i++; }
      if (src[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (ch === '(' && src.startsWith('(?P<', i)) { out += '(?<'; i += 3; continue; }
    if (ch === '(' && /^\(\?[imsU-]+[:)]/.test(src.slice(i))) {
      fail(`regular expression ${JSON.stringify(pattern)}: flag groups such as (?i:…) are only supported at the start of the pattern`);
    }
    out += ch;
  }
  let re: RegExp;
  try {
    re = new RegExp(out, flags);
  } catch (err) {
    return fail(`error parsing regexp ${JSON.stringify(pattern)}: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
  return re;
}

/** Go's `Regexp.Expand` template: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
export function expandGoTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '$') { out += ch; continue; }
    if (template[i + 1] === '$') { out += '$'; i++; continue; }
    let name: string | undefined;
    let end = i;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (/^\w+$/.test(inner)) { name = inner; end = close; }
    } else {
      const m = /^\w+/.exec(template.slice(i + 1));
      if (m) { name = m[0]; end = i + m[0].length; }
    }
    if (name === undefined) { out += '$'; continue; }
    const value = /^\d+$/.test(name) ? match[Number(name)] : match.groups?.[name];
    out += value ?? '';
    i = end;
  }
  return out;
}
