import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateExpression, ExpressionError } from './index.js';

const ev = (source: string, env: Record<string, unknown> = {}): unknown => evaluateExpression(source, env);

test('sprig string functions take the subject last', () => {
  assert.equal(ev("sprig.trim('  x ')"), 'x');
  assert.equal(ev("sprig.upper('ab')"), 'AB');
  assert.equal(ev("sprig.lower('AB')"), 'ab');
  assert.equal(ev("sprig.replace('a', 'o', 'banana')"), 'bonono');
  assert.equal(ev("sprig.contains('nan', 'banana')"), true);
  assert.equal(ev("sprig.contains('banana', 'nan')"), false);
  assert.equal(ev("sprig.hasPrefix('ba', 'banana')"), true);
  assert.equal(ev("sprig.hasSuffix('na', 'banana')"), true);
  assert.equal(ev("sprig.trimSuffix('.csv', 'data.csv')"), 'data');
  assert.equal(ev("sprig.trimPrefix('s3://', 's3://bucket')"), 'bucket');
  assert.equal(ev("sprig.trimAll('$', '$5.00$')"), '5.00');
  assert.equal(ev("sprig.repeat(2, 'ab')"), 'abab');
  assert.equal(ev("sprig.substr(1, 3, 'hello')"), 'el');
  assert.equal(ev("sprig.trunc(3, 'hello')"), 'hel');
  assert.equal(ev("sprig.trunc(-2, 'hello')"), 'lo');
  assert.equal(ev("sprig.abbrev(6, 'hello world')"), 'hel...');
  assert.equal(ev("sprig.nospace('a b\\tc')"), 'abc');
  assert.equal(ev("sprig.title('hello big world')"), 'Hello Big World');
  assert.equal(ev("sprig.indent(2, 'a\\nb')"), '  a\n  b');
  assert.equal(ev("sprig.nindent(2, 'a')"), '\n  a');
  assert.equal(ev("sprig.cat('a', 1, nil, true)"), 'a 1 true');
  assert.equal(ev("sprig.plural('file', 'files', 2)"), 'files');
});

test('sprig.splitList and sprig.join: separator first', () => {
  assert.deepEqual(ev("sprig.splitList(',', 'a,b,c')"), ['a', 'b', 'c']);
  assert.equal(ev("sprig.join('-', ['a', 1, nil, 'b'])"), 'a-1-b');
  assert.equal(ev("sprig.join('-', 'solo')"), 'solo');
  assert.deepEqual(ev("sprig.split('$', 'foo$bar$baz')"), { _0: 'foo', _1: 'bar', _2: 'baz' });
  assert.deepEqual(ev("sprig.splitn('$', 2, 'foo$bar$baz')"), { _0: 'foo', _1: 'bar$baz' });
});

test('sprig.quote and squote quote each argument, Go-style', () => {
  assert.equal(ev("sprig.quote('a\"b', 1)"), '"a\\"b" "1"');
  assert.equal(ev("sprig.quote('tab\\t')"), '"tab\\t"');
  assert.equal(ev("sprig.squote('x')"), "'x'");
});

test('sprig integer math coerces its arguments and answers ints', () => {
  assert.equal(ev("sprig.add(1, '2', 3.9)"), 6);
  assert.equal(ev('sprig.add1(41)'), 42);
  assert.equal(ev("sprig.sub('10', 4)"), 6);
  assert.equal(ev('sprig.mul(2, 3, 4)'), 24);
  assert.equal(ev('sprig.div(7, 2)'), 3);
  assert.equal(ev('sprig.div(-7, 2)'), -3);
  assert.equal(ev('sprig.mod(7, 3)'), 1);
  assert.equal(ev("sprig.max(1, '9', 3)"), 9);
  assert.equal(ev('sprig.min(4, 2, 8)'), 2);
  assert.throws(() => ev('sprig.div(1, 0)'), /integer divide by zero/);
});

test('sprig.int and friends fold bad input to 0 instead of failing, as the Argo docs warn', () => {
  assert.equal(ev("sprig.int('abc')"), 0);
  assert.equal(ev("sprig.int('42')"), 42);
  assert.equal(ev("sprig.int('1.0')"), 1);
  assert.equal(ev("sprig.int('1.5')"), 0);
  assert.equal(ev("sprig.int('0x10')"), 16);
  assert.equal(ev("sprig.int('010')"), 8);
  assert.equal(ev('sprig.int(3.99)'), 3);
  assert.equal(ev('sprig.int(true)'), 1);
  assert.equal(ev("sprig.int64('-5')"), -5);
  assert.equal(ev("sprig.float64('2.5')"), 2.5);
  assert.equal(ev("sprig.float64('x')"), 0);
  assert.equal(ev("sprig.atoi('12')"), 12);
  assert.equal(ev("sprig.atoi('12.0')"), 0);
});

test('sprig float math uses decimal arithmetic, so 0.1 + 0.2 is 0.3', () => {
  assert.equal(ev('sprig.addf(0.1, 0.2)'), 0.3);
  assert.equal(ev("sprig.mulf('1.5', 2)"), 3);
  assert.equal(ev('sprig.divf(1, 4)'), 0.25);
  assert.equal(ev('sprig.subf(1, 0.9)'), 0.1);
  assert.equal(ev('sprig.floor(2.7)'), 2);
  assert.equal(ev('sprig.ceil(2.1)'), 3);
  assert.equal(ev('sprig.round(3.14159, 2)'), 3.14);
  assert.equal(ev('sprig.maxf(1.5, 2.5)'), 2.5);
});

test('sprig.toString prints like fmt and toJson writes compact JSON', () => {
  assert.equal(ev('sprig.toString(42)'), '42');
  assert.equal(ev('sprig.toString([1, 2])'), '[1 2]');
  assert.equal(ev("sprig.toJson({b: [1], a: 'x'})"), '{"a":"x","b":[1]}');
  assert.equal(ev("sprig.toPrettyJson({a: 1})"), '{\n  "a": 1\n}');
  assert.equal(ev("sprig.toJson('<tag>')"), '"\\u003ctag\\u003e"');
  assert.equal(ev("sprig.toRawJson('<tag>')"), '"<tag>"');
});

test('sprig.fromJson answers nil on bad JSON while mustFromJson fails', () => {
  assert.deepEqual(ev('sprig.fromJson(\'{"a": [1]}\')'), { a: [1] });
  assert.equal(ev("sprig.fromJson('{bad') ?? 'nil'"), 'nil');
  assert.throws(() => ev("sprig.mustFromJson('{bad')"), /sprig.mustFromJson\(\)/);
});

test('sprig.default takes the default first and uses it for empty values', () => {
  assert.equal(ev("sprig.default('dflt', '')"), 'dflt');
  assert.equal(ev("sprig.default('dflt', 'given')"), 'given');
  assert.equal(ev("sprig.default('dflt', 0)"), 'dflt');
  assert.equal(ev("sprig.default('dflt', [])"), 'dflt');
  assert.equal(ev("sprig.default('dflt')"), 'dflt');
  assert.equal(ev("sprig.default('dflt', p)", { p: 'set' }), 'set');
});

test('sprig.empty, coalesce, ternary, all and any', () => {
  assert.equal(ev("sprig.empty('')"), true);
  assert.equal(ev('sprig.empty(false)'), true);
  assert.equal(ev('sprig.empty({})'), true);
  assert.equal(ev("sprig.empty('x')"), false);
  assert.equal(ev("sprig.coalesce('', nil, 'third')"), 'third');
  assert.equal(ev("sprig.ternary('yes', 'no', 1 > 0)"), 'yes');
  assert.equal(ev("sprig.all('a', 1, true)"), true);
  assert.equal(ev("sprig.any('', 0, 'x')"), true);
  assert.throws(() => ev("sprig.ternary('a', 'b', 'true')"), /cannot use string as a bool argument/);
});

test('sprig lists: list, first, last, rest, initial, append, prepend, concat, uniq, without, has, compact, slice', () => {
  assert.deepEqual(ev('sprig.list(1, "a", nil)'), [1, 'a', null]);
  assert.equal(ev('sprig.first([5, 6])'), 5);
  assert.equal(ev('sprig.last([5, 6])'), 6);
  assert.deepEqual(ev('sprig.rest([1, 2, 3])'), [2, 3]);
  assert.deepEqual(ev('sprig.initial([1, 2, 3])'), [1, 2]);
  assert.deepEqual(ev('sprig.append([1], 2)'), [1, 2]);
  assert.deepEqual(ev('sprig.prepend([1], 0)'), [0, 1]);
  assert.deepEqual(ev('sprig.concat([1], [2], [3, 4])'), [1, 2, 3, 4]);
  assert.deepEqual(ev('sprig.uniq([1, 1, 2])'), [1, 2]);
  assert.deepEqual(ev('sprig.without([1, 2, 3, 2], 2)'), [1, 3]);
  assert.equal(ev('sprig.has(2, [1, 2])'), true);
  assert.deepEqual(ev("sprig.compact(['a', '', 0, 'b'])"), ['a', 'b']);
  assert.deepEqual(ev('sprig.slice([1, 2, 3, 4], 1, 3)'), [2, 3]);
  assert.deepEqual(ev("sprig.sortAlpha(['b', 'a', 'c'])"), ['a', 'b', 'c']);
  assert.deepEqual(ev('sprig.reverse([1, 2])'), [2, 1]);
});

test('sprig.seq answers a space-separated string; until and untilStep answer lists', () => {
  assert.equal(ev('sprig.seq(5)'), '1 2 3 4 5');
  assert.equal(ev('sprig.seq(2, 4)'), '2 3 4');
  assert.equal(ev('sprig.seq(5, 3)'), '5 4 3');
  assert.equal(ev('sprig.seq(0, 2, 6)'), '0 2 4 6');
  assert.equal(ev('sprig.seq(0)'), '1 0');
  assert.deepEqual(ev('sprig.until(3)'), [0, 1, 2]);
  assert.deepEqual(ev('sprig.untilStep(0, 10, 4)'), [0, 4, 8]);
});

test('sprig dicts: dict, get, set, hasKey, keys, values, pluck, pick, omit', () => {
  assert.deepEqual(ev("sprig.dict('a', 1, 'b', 'two')"), { a: 1, b: 'two' });
  assert.deepEqual(ev("sprig.dict('odd')"), { odd: '' });
  assert.equal(ev("sprig.get({a: 1}, 'a')"), 1);
  assert.equal(ev("sprig.get({a: 1}, 'missing')"), '');
  assert.deepEqual(ev("sprig.set({a: 1}, 'b', 2)"), { a: 1, b: 2 });
  assert.equal(ev("sprig.hasKey({a: 1}, 'a')"), true);
  assert.deepEqual(ev('sprig.keys({a: 1}, {b: 2})'), ['a', 'b']);
  assert.deepEqual(ev("sprig.pluck('n', {n: 1}, {m: 2}, {n: 3})"), [1, 3]);
  assert.deepEqual(ev("sprig.pick({a: 1, b: 2}, 'a')"), { a: 1 });
  assert.deepEqual(ev("sprig.omit({a: 1, b: 2}, 'a')"), { b: 2 });
});

test('sprig base64 and hashes', () => {
  assert.equal(ev("sprig.b64enc('hello')"), 'aGVsbG8=');
  assert.equal(ev("sprig.b64dec('aGVsbG8=')"), 'hello');
  // sprig answers the decoder's error text instead of failing.
  assert.equal(ev("sprig.b64dec('a$')"), 'illegal base64 data at input byte 1');
  assert.equal(ev("sprig.sha256sum('abc')"), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('sprig regular expressions use Go syntax and Go replacement templates', () => {
  assert.equal(ev("sprig.regexMatch('^[a-z]+-\\\\d+$', 'run-12')"), true);
  assert.equal(ev("sprig.regexMatch('(', 'x')"), false);
  assert.equal(ev("sprig.regexFind('\\\\d+', 'abc123def456')"), '123');
  assert.deepEqual(ev("sprig.regexFindAll('\\\\d+', 'a1b22c333', -1)"), ['1', '22', '333']);
  assert.deepEqual(ev("sprig.regexFindAll('\\\\d+', 'a1b22c333', 2)"), ['1', '22']);
  assert.equal(ev("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')"), '-W-xxW-');
  assert.equal(ev("sprig.regexReplaceAll('(?P<first>\\\\w+) (?P<last>\\\\w+)', 'Ada Lovelace', '$last, $first')"), 'Lovelace, Ada');
  assert.equal(ev("sprig.regexReplaceAllLiteral('a(x*)b', '-ab-', '${1}')"), '-${1}-');
  assert.deepEqual(ev("sprig.regexSplit('z+', 'pizza', -1)"), ['pi', 'a']);
});

test('sprig types: kindOf, typeOf, kindIs, deepEqual', () => {
  assert.equal(ev("sprig.kindOf('x')"), 'string');
  assert.equal(ev('sprig.kindOf([1])'), 'slice');
  assert.equal(ev('sprig.typeOf({})'), 'map[string]interface {}');
  assert.equal(ev("sprig.kindIs('int', 3)"), true);
  assert.equal(ev('sprig.deepEqual([1, {a: 2}], [1, {a: 2}])'), true);
});

test('a sprig function typed with a Go string parameter refuses other types, as a reflective call does', () => {
  assert.throws(() => ev('sprig.trim(1)'), (err: unknown) => {
    assert.ok(err instanceof ExpressionError);
    assert.match(err.message, /sprig.trim\(\): cannot use int as a string argument at column 7/);
    return true;
  });
  assert.throws(() => ev("sprig.repeat('2', 'ab')"), /cannot use string as an int argument/);
  assert.throws(() => ev("sprig.trim('a', 'b')"), /sprig.trim\(\) expects 1 argument, got 2/);
});

test('sprig functions that read the clock or randomness are refused by name', () => {
  assert.throws(() => ev('sprig.now()'), /sprig.now\(\) is not supported: it reads the clock/);
  assert.throws(() => ev('sprig.uuidv4()'), /sprig.uuidv4\(\) is not supported: it is random/);
  assert.throws(() => ev("sprig.env('HOME')"), /unknown function "sprig.env"/);
});

test('sprig.fail stops the evaluation with its message', () => {
  assert.throws(() => ev("sprig.fail('bad input')"), /bad input/);
});
