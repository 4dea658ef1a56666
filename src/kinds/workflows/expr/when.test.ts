import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateWhen, ExpressionError } from './index.js';
import { parseGoTime } from './when.js';

function whenFails(source: string, message: RegExp | string): void {
  assert.throws(() => evaluateWhen(source), (err: unknown) => {
    assert.ok(err instanceof ExpressionError, `expected ExpressionError, got ${String(err)}`);
    assert.equal(err.code, 'EXPRESSION_INVALID');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

// Argo's examples (coinflip, conditionals): the tags are already substituted.

test('a substituted step result compares with a bare word as strings', () => {
  assert.equal(evaluateWhen('heads == heads'), true);
  assert.equal(evaluateWhen('tails == heads'), false);
  assert.equal(evaluateWhen('tails != heads'), true);
});

test('numbers compare numerically, so 10 > 5 although "10" < "5" as text', () => {
  assert.equal(evaluateWhen('10 > 5'), true);
  assert.equal(evaluateWhen('9 > 10'), false);
  assert.equal(evaluateWhen('5 == 5.0'), true);
  assert.equal(evaluateWhen('0.5 <= 1'), true);
  assert.equal(evaluateWhen('-5 < 0'), true);
});

test('quoted strings compare as strings', () => {
  assert.equal(evaluateWhen('"9" > "10"'), true);
  assert.equal(evaluateWhen("'hello-world' == 'hello-world'"), true);
  assert.equal(evaluateWhen('"5" == 5'), false);
  assert.equal(evaluateWhen('"a b" == \'a b\''), true);
});

test('a condition that is exactly true or false, and the empty condition', () => {
  assert.equal(evaluateWhen('true'), true);
  assert.equal(evaluateWhen('false'), false);
  assert.equal(evaluateWhen(''), true);
  assert.equal(evaluateWhen('true == true'), true);
  assert.equal(evaluateWhen('false == false'), true);
});

test('a bare word that merely looks like a boolean is a string, not a bool', () => {
  whenFails('True', 'when "True": expected a boolean result, got string "True"');
  whenFails('yes', /expected a boolean result, got string "yes"/);
  whenFails('1', /expected a boolean result, got number 1/);
});

test('&&, || and ! with parentheses', () => {
  assert.equal(evaluateWhen('a == a && b == b'), true);
  assert.equal(evaluateWhen('a == b || b == b'), true);
  assert.equal(evaluateWhen('!(a == b)'), true);
  assert.equal(evaluateWhen('(a == b || c == c) && 2 > 1'), true);
  assert.equal(evaluateWhen('!false && !(1 > 2)'), true);
});

test('&& binds tighter than ||', () => {
  assert.equal(evaluateWhen('true || false && false'), true);
  assert.equal(evaluateWhen('(true || false) && false'), false);
});

test('logical operators short-circuit before checking the other side', () => {
  assert.equal(evaluateWhen('false && abc > 5'), false);
  assert.equal(evaluateWhen('true || abc > 5'), true);
});

test('=~ and !~ match Go regular expressions, unanchored', () => {
  assert.equal(evaluateWhen("'v1.2.3-rc1' =~ '-rc[0-9]+$'"), true);
  assert.equal(evaluateWhen("release !~ '^feature/'"), true);
  assert.equal(evaluateWhen("Model =~ '(?i)^model$'"), true);
  whenFails("x =~ '('", /error parsing regexp/);
});

test('in tests membership of a parenthesised list', () => {
  assert.equal(evaluateWhen('a in (a, b)'), true);
  assert.equal(evaluateWhen('c in (a, b)'), false);
  assert.equal(evaluateWhen('2 IN (1, 2, 3)'), true);
  assert.equal(evaluateWhen('"2" in (1, 2)'), false);
});

test('in with a single value is refused, as govaluate wants a list', () => {
  whenFails('a in (a)', /"in" needs a list such as \(a, b\) on its right, not string "a" at column 3/);
});

test('arithmetic follows govaluate precedence and float math', () => {
  assert.equal(evaluateWhen('(1 + 2) * 3 == 9'), true);
  assert.equal(evaluateWhen('1 + 2 * 3 == 7'), true);
  assert.equal(evaluateWhen('7 / 2 == 3.5'), true);
  assert.equal(evaluateWhen('7 % 4 == 3'), true);
  assert.equal(evaluateWhen('2 ** 3 == 8'), true);
  assert.equal(evaluateWhen('10 - 4 - 3 == 3'), true);
  assert.equal(evaluateWhen('0x10 == 16'), true);
  assert.equal(evaluateWhen('6 & 3 == 2'), true);
});

test('+ concatenates when either side is a string', () => {
  assert.equal(evaluateWhen('a + 1 == a1'), true);
  assert.equal(evaluateWhen("'x' + 1000000 == 'x1e+06'"), true);
});

test('ternary and nil coalescing as govaluate evaluates them', () => {
  assert.equal(evaluateWhen('(1 > 0 ? a : b) == a'), true);
  assert.equal(evaluateWhen('(1 < 0 ? a : b) == b'), true);
  assert.equal(evaluateWhen('true ? false : true'), false);
});

test('[bracketed text] is a variable, hence a string', () => {
  assert.equal(evaluateWhen('[a b] == "a b"'), true);
});

test('a backslash escapes the next character in words and strings', () => {
  assert.equal(evaluateWhen('hello\\-world == "hello-world"'), true);
  assert.equal(evaluateWhen('"say \\"hi\\"" == \'say \\"hi\\"\''), true);
});

test('a string ends at either kind of quote, as in govaluate', () => {
  whenFails(`'say "hi"' == x`, /unexpected word "hi" after string "say " \(a string ends at either kind of quote; escape quotes inside it with a backslash\) at column 7/);
});

test('quoted ISO dates are times and compare as instants', () => {
  assert.equal(evaluateWhen("'2021-01-01' == '2021-01-01T00:00:00Z'"), true);
  assert.equal(evaluateWhen("'2021-01-01' < '2021-06-01'"), true);
  assert.equal(evaluateWhen("'2021-01-01T02:00:00+02:00' == '2021-01-01'"), true);
  assert.equal(parseGoTime('2021-02-30'), undefined);
  assert.equal(parseGoTime('2020-02-29'), 1582934400);
  assert.equal(parseGoTime('1970-01-01 00:01'), 60);
  assert.equal(parseGoTime('1970-01-01T00:00:10.5Z'), 10);
  assert.equal(parseGoTime('1970-01-01T01+0100'), 0);
  assert.equal(parseGoTime('not a date'), undefined);
});

// The quirks users meet, each with a message that says what to do.

test('an unquoted hyphenated value is a subtraction of strings, which fails: quote it', () => {
  whenFails('hello-world == hello-world', 'when "hello-world == hello-world": string "hello" cannot be used with the modifier "-": it is not a number at column 6');
});

test('an unquoted value with spaces is two words in a row', () => {
  whenFails('hello world == x', 'when "hello world == x": unexpected word "world" after word "hello" (quote values that contain spaces) at column 7');
});

test('an unquoted value that starts with digits splits into a number and a word', () => {
  whenFails('3f2a == 3f2a', /unexpected word "f2a" after number 3 \(quote values that start with a digit\) at column 2/);
});

test('an unquoted dotted word is a field access, and fails without parameters', () => {
  whenFails('v1.2 == v1.2', /no parameter "v1" for "v1.2"/);
  whenFails('model.pt == x', /unable to access unexported field "pt" in "model.pt"/);
  whenFails('1.2.3 == x', /invalid number "1.2.3" at column 1/);
});

test('operators glued together lex as one invalid token', () => {
  whenFails('a&&!b', 'when "a&&!b": invalid token "&&!" (quote values that contain special characters) at column 2');
});

test('an unsubstituted template tag is reported as such', () => {
  whenFails('{{steps.a.outputs.result}} == x', /invalid token "\{\{" \(a template tag was not substituted\) at column 1/);
});

test('! cannot apply to a bare word, which is a string', () => {
  whenFails('!foo', /"!" cannot apply to the bare word "foo", which is a string at column 1/);
});

test('ordering between a string and a number fails', () => {
  whenFails('abc > 5', 'when "abc > 5": cannot compare string "abc" with number 5 using ">": both must be numbers or both strings at column 5');
});

test('incomplete and unbalanced conditions say what is missing and where', () => {
  whenFails('x >', 'when "x >": expected an operand at column 4');
  whenFails('x == 1 &&', /expected an operand at column 10/);
  whenFails('   ', /expected an expression at column 4/);
  whenFails('(a == a', /unbalanced parenthesis: "\(" is not closed at column 1/);
  whenFails('a == a)', /unbalanced parenthesis: "\)" without "\(" at column 7/);
  whenFails('== a', /expected an operand but found "==" at column 1/);
  whenFails("'open", /unclosed string literal at column 1/);
  whenFails('foo(1)', /undefined function "foo" at column 1/);
  whenFails('(a == a) b', /unexpected word "b"|unexpected string "b"/);
});

test('logical operators refuse non-bools', () => {
  whenFails('a && true', /string "a" cannot be used with "&&": it is not a bool/);
});
