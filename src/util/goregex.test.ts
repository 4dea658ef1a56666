import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGoRegex, GoRegexSyntaxError, quoteGoMeta } from './goregex.js';

const all = (pattern: string, s: string, n = -1) => compileGoRegex(pattern).findAll(s, n).map((m) => m.groups[0]);

test('named groups (?P<name>…) and (?<name>…) are captured and expand by name', () => {
  const re = compileGoRegex('(?P<key>[a-z]+)=(?<value>\\d+)');
  assert.equal(re.groupCount, 2);
  assert.deepEqual(re.find('x a=12')?.groups, ['a=12', 'a', '12']);
  assert.equal(re.groupIndex('value'), 2);
  assert.equal(re.replaceAll('a=1 b=2', '${value}:$key'), '1:a 2:b');
});

test('\\A and \\z anchor the whole text even where $ would match before a final newline', () => {
  assert.equal(compileGoRegex('a\\z').test('a\n'), false);
  assert.equal(compileGoRegex('a\\z').test('ba'), true);
  assert.equal(compileGoRegex('\\Ab').test('ab'), false);
  // Go's $ without (?m) is the end of the text, unlike a trailing-newline-tolerant $.
  assert.equal(compileGoRegex('a$').test('a\n'), false);
});

test('flags: (?i) anywhere, (?s), (?m) and (?U), as Go reads them', () => {
  assert.equal(compileGoRegex('(?i)model').test('MODEL'), true);
  assert.equal(compileGoRegex('x(?i:ab)c').test('xABc'), true);
  assert.equal(compileGoRegex('x(?i:ab)c').test('xABC'), false);
  assert.equal(compileGoRegex('a.b').test('a\nb'), false);
  assert.equal(compileGoRegex('(?s)a.b').test('a\nb'), true);
  assert.deepEqual(all('(?m)^\\w+$', 'one\ntwo'), ['one', 'two']);
  assert.deepEqual(all('(?U)a+', 'aaa'), ['a', 'a', 'a'], 'ungreedy');
});

test('Go-only syntax: POSIX classes, \\Q…\\E, \\pN, a ] first in a class', () => {
  assert.deepEqual(all('[[:digit:]]+', 'a12b3'), ['12', '3']);
  assert.deepEqual(all('[[:^alpha:]]+', 'ab12cd'), ['12']);
  assert.equal(compileGoRegex('\\Qa.b*\\E').test('a.b*'), true);
  assert.equal(compileGoRegex('\\Qa.b*\\E').test('axb'), false);
  assert.deepEqual(all('\\pN+', 'x٣4'), ['٣4']);
  assert.deepEqual(all('[]a]+', 'a]b'), ['a]']);
});

test('a pathological pattern for backtracking engines finishes with the right answer', () => {
  const long = 'a'.repeat(50_000) + 'b';
  assert.equal(compileGoRegex('(a+)+$').test(long), false);
  assert.equal(compileGoRegex('(a|aa)*c').test(long), false);
  assert.equal(compileGoRegex('(a+)+b$').find(long)?.index, 0);
});

test("syntax Go rejects is rejected with Go's message and a hint", () => {
  const error = (p: string) => {
    try {
      compileGoRegex(p);
    } catch (e) {
      assert.ok(e instanceof GoRegexSyntaxError);
      assert.equal(e.pattern, p);
      return e.message;
    }
    return assert.fail(`${p} compiled`);
  };
  assert.match(error('(a)\\1'), /^error parsing regexp: invalid escape sequence: `\\1` \(backreferences are not supported/);
  assert.match(error('a(?=b)'), /^error parsing regexp: invalid or unsupported Perl syntax: `\(\?=` \(lookahead and lookbehind/);
  assert.match(error('(?<=a)b'), /lookahead and lookbehind are not supported/);
  assert.match(error('(?!a)'), /lookahead and lookbehind are not supported/);
  assert.equal(error('(a'), 'error parsing regexp: missing closing ): `(a` (Unterminated group)');
  assert.equal(error('a**'), 'error parsing regexp: invalid nested repetition operator: `**`');
  assert.equal(error('x{1001}'), 'error parsing regexp: invalid repeat count: `{1001}`');
});

test("find-all, replace and split skip an empty match right after a match, as Go's do", () => {
  assert.deepEqual(all('a*', 'baaac'), ['', 'aaa', '']);
  assert.deepEqual(all('a*', 'baaa'), ['', 'aaa']);
  assert.deepEqual(all('\\d+', 'a1b22c333', 2), ['1', '22']);
  assert.deepEqual(all('x*', '😀'), ['', ''], 'an empty match steps over a whole character');
  assert.equal(compileGoRegex('a*').replaceAll('baaac', '-'), '-b-c-');
  assert.equal(compileGoRegex('a(x*)b').replaceAll('-ab-axxb-', '$1W'), '---', '$1W is the group named 1W');
  assert.equal(compileGoRegex('a(x*)b').replaceAll('-ab-axxb-', '${1}W'), '-W-xxW-');
  assert.equal(compileGoRegex('a(x*)b').replaceAll('-ab-', '$$ ${1} $', true), '-$$ ${1} $-');
  assert.equal(compileGoRegex('b').replaceAll('abc', '$'), 'a$c', 'a lone $ stays');
  assert.deepEqual(compileGoRegex('a').split('banana', -1), ['b', 'n', 'n', '']);
  assert.deepEqual(compileGoRegex('a').split('banana', 2), ['b', 'nana']);
  assert.deepEqual(compileGoRegex('').split('abc', -1), ['a', 'b', 'c']);
  assert.deepEqual(compileGoRegex('x*').split('axbc', -1), ['a', 'b', 'c']);
  assert.deepEqual(compileGoRegex('a').split('', -1), ['']);
  assert.deepEqual(compileGoRegex('a').split('abc', 0), []);
});

test('find from a position still sees the text before it', () => {
  const re = compileGoRegex('\\bb');
  assert.equal(re.find('ab b', 1)?.index, 3);
  assert.equal(compileGoRegex('^b').find('ab', 1), undefined);
});

test('patterns are compiled once', () => {
  assert.equal(compileGoRegex('(x)+'), compileGoRegex('(x)+'));
});

test('quoteGoMeta escapes what Go escapes', () => {
  const meta = 'a.b+c*d?e(f)g|h[i]j{k}l^m$n\\o';
  assert.equal(compileGoRegex(`^${quoteGoMeta(meta)}$`).test(meta), true);
  assert.equal(quoteGoMeta('a-b/c'), 'a-b/c');
});
