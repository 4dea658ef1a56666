import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateExpression, expressionEnv, formatValue, ExpressionError } from './index.js';

const env = expressionEnv(new Map([
  ['inputs.parameters.x', '41'],
  ['inputs.parameters.name', 'my-model'],
  ['inputs.parameters.my-param', 'hyphen'],
  ['inputs.parameters.json', '{"a": {"b": [1, 2, 3]}, "list": [{"n": "x"}, {"n": "y"}]}'],
  ['inputs.parameters.coin', 'heads'],
  ['steps.flip-coin.outputs.result', 'tails'],
  ['tasks.train.outputs.parameters.loss', '0.25'],
  ['workflow.name', 'wf-1'],
  ['item', '3'],
]));

const ev = (source: string): unknown => evaluateExpression(source, env);
/** What Argo writes in place of the tag. */
const tag = (source: string): string => formatValue(ev(source));

function throwsExpr(source: string, message: RegExp | string): void {
  assert.throws(() => ev(source), (err: unknown) => {
    assert.ok(err instanceof ExpressionError, `expected ExpressionError, got ${String(err)}`);
    assert.equal(err.code, 'EXPRESSION_INVALID');
    assert.equal(err.reason, 'Invalid');
    assert.equal(err.httpStatus, 422);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

// Examples from Argo's docs (variables.md, conditionals example).

test('asInt of a parameter plus one yields the integer, printed without a decimal point', () => {
  assert.equal(ev('asInt(inputs.parameters.x) + 1'), 42);
  assert.equal(tag('asInt(inputs.parameters.x) + 1'), '42');
});

test("sprig.replace takes old, new and then the string, as sprig's argument order says", () => {
  assert.equal(tag("sprig.replace('-', '_', inputs.parameters.name)"), 'my_model');
});

test('jsonpath extracts a sub-document from a JSON parameter', () => {
  assert.deepEqual(ev("jsonpath(inputs.parameters.json, '$.a')"), { b: [1, 2, 3] });
  assert.equal(tag("jsonpath(inputs.parameters.json, '$.a')"), '{"b":[1,2,3]}');
  assert.equal(tag("jsonpath(inputs.parameters.json, '$.a.b[0]')"), '1');
  assert.deepEqual(ev("jsonpath(inputs.parameters.json, '$.list[*].n')"), ['x', 'y']);
});

test('a ternary on a parameter comparison picks a branch', () => {
  assert.equal(ev("inputs.parameters.coin == 'heads' ? 'yes' : 'no'"), 'yes');
  assert.equal(ev(" inputs.parameters.x == 'heads' ? 'yes' : 'no' "), 'no');
});

test('toJson of a filtered list is compact JSON, ready for withParam', () => {
  assert.equal(tag('toJson(filter([1,2,3], {# > 1}))'), '[2,3]');
  assert.equal(tag('toJson([1, 2])'), '[1,2]');
  assert.equal(tag('map([1, 2], { # * 2 })'), '[2,4]');
  assert.equal(tag('[1, 2]'), '[1,2]');
});

test('asFloat, string(1) and sprig.trim from the docs work', () => {
  assert.equal(ev("asFloat(tasks.train.outputs.parameters.loss) * 4"), 1);
  assert.equal(ev('string(1)'), '1');
  assert.equal(ev("sprig.trim('  padded  ')"), 'padded');
});

test('hyphenated names are reached by indexing, as the docs advise', () => {
  assert.equal(ev("inputs.parameters['my-param']"), 'hyphen');
  assert.equal(ev("steps['flip-coin'].outputs.result"), 'tails');
  assert.equal(ev('inputs.parameters["name"]'), 'my-model');
});

// Literals and access.

test('literals: ints, floats, both quote styles with escapes, booleans, nil, arrays and maps', () => {
  assert.equal(ev('42'), 42);
  assert.equal(ev('0.5'), 0.5);
  assert.equal(ev('.5'), 0.5);
  assert.equal(ev('1_000'), 1000);
  assert.equal(ev('0x2A'), 42);
  assert.equal(ev('0o52'), 42);
  assert.equal(ev('0b101010'), 42);
  assert.equal(ev('1e3'), 1000);
  assert.equal(ev("'it\\'s'"), "it's");
  assert.equal(ev('"tab\\there\\n"'), 'tab\there\n');
  assert.equal(ev('"\\u00e9\\x41"'), 'éA');
  assert.equal(ev('`raw \\n`'), 'raw \\n');
  assert.equal(ev('true'), true);
  assert.equal(ev('nil ?? false'), false);
  assert.deepEqual(ev('[1, "a", [true]]'), [1, 'a', [true]]);
  assert.deepEqual(ev('{a: 1, "b-c": 2, 3: 4, ("k" + "2"): 5}'), { a: 1, 'b-c': 2, '3': 4, k2: 5 });
  assert.deepEqual(ev('[1, 2,]'), [1, 2]);
});

test('member access by dot and by brackets, with negative indexes', () => {
  assert.equal(ev('inputs.parameters.x'), '41');
  assert.equal(ev("inputs['parameters']['x']"), '41');
  assert.equal(ev('[10, 20, 30][0]'), 10);
  assert.equal(ev('[10, 20, 30][-1]'), 30);
  assert.equal(ev("{a: {b: 'deep'}}.a.b"), 'deep');
});

test('slices take [from:to] with omitted and negative bounds, on arrays and strings', () => {
  assert.deepEqual(ev('[1,2,3,4,5][1:4]'), [2, 3, 4]);
  assert.deepEqual(ev('[1,2,3,4,5][1:-1]'), [2, 3, 4]);
  assert.deepEqual(ev('[1,2,3,4,5][:3]'), [1, 2, 3]);
  assert.deepEqual(ev('[1,2,3,4,5][3:]'), [4, 5]);
  assert.deepEqual(ev('[1,2,3][:]'), [1, 2, 3]);
  assert.deepEqual(ev('[1,2,3][2:10]'), [3]);
  assert.equal(ev("'abcdef'[1:3]"), 'bc');
});

test('optional chaining yields nil through a missing map key instead of failing', () => {
  assert.equal(ev("inputs.parameters?.missing?.deeper ?? 'fallback'"), 'fallback');
  assert.equal(ev("{a: nil}.a?.b ?? 'x'"), 'x');
  assert.equal(ev("{a: nil}.a?.['b'] ?? 'y'"), 'y');
});

test('nil coalescing takes the right side only when the left is nil', () => {
  assert.equal(ev("inputs.parameters.nope ?? 'default'"), 'default');
  assert.equal(ev("inputs.parameters.x ?? 'default'"), '41');
  assert.equal(ev("nil ?? nil ?? 3"), 3);
});

test('?? cannot be mixed with other operators without parentheses', () => {
  throwsExpr("nil ?? 1 + 2", /nil coalescing \(\?\?\) cannot be mixed; add parentheses at column 10/);
  assert.equal(ev('(nil ?? 1) + 2'), 3);
});

// Arithmetic.

test('int + int stays an int; / always divides as floats', () => {
  assert.equal(ev('2 + 3'), 5);
  assert.equal(ev('7 / 2'), 3.5);
  assert.equal(ev('4 / 2'), 2);
  assert.equal(tag('4 / 2'), '2');
  assert.equal(ev('7 % 3'), 1);
  assert.equal(ev('-7 % 3'), -1);
  assert.equal(ev('2 ** 10'), 1024);
  assert.equal(ev('2 ^ 3'), 8);
  assert.equal(ev('1.5 + 1'), 2.5);
});

test('exponent binds tighter than unary minus and associates to the right', () => {
  assert.equal(ev('-2 ** 2'), -4);
  assert.equal(ev('2 ** 3 ** 2'), 512);
  assert.equal(ev('1 + 2 * 3'), 7);
  assert.equal(ev('(1 + 2) * 3'), 9);
  assert.equal(ev('10 - 4 - 3'), 3);
});

test('+ concatenates two strings but refuses a string and a number', () => {
  assert.equal(ev("'a' + 'b'"), 'ab');
  throwsExpr("'a' + 1", 'expression "\'a\' + 1": cannot add string and int at column 5');
  throwsExpr("'a' + {}", /cannot add string and map at column 5/);
});

test('% needs integers and refuses a zero divisor', () => {
  throwsExpr('1.5 % 2', /cannot take the remainder \(%\) of float and int/);
  throwsExpr('1 % 0', /integer divide by zero at column 3/);
});

test('ranges are inclusive integer lists', () => {
  assert.deepEqual(ev('1..3'), [1, 2, 3]);
  assert.deepEqual(ev('3..1'), []);
  assert.equal(ev('sum(1..100)'), 5050);
});

// Comparison and logic.

test('== is deep and compares numbers by value across int and float', () => {
  assert.equal(ev('1 == 1.0'), true);
  assert.equal(ev("[1, {a: 'x'}] == [1, {a: 'x'}]"), true);
  assert.equal(ev("{a: 1} != {a: 2}"), true);
  assert.equal(ev("'1' == 1"), false);
  assert.equal(ev('nil == nil'), true);
});

test('ordering compares numbers numerically and strings lexically, never a mix', () => {
  assert.equal(ev('10 > 9'), true);
  assert.equal(ev("'10' > '9'"), false);
  assert.equal(ev('asInt(inputs.parameters.x) >= 41'), true);
  throwsExpr("inputs.parameters.x > 5", /cannot compare \(>\) string and int at column 21/);
});

test('comparisons chain: 1 < x < 3 means 1 < x and x < 3', () => {
  assert.equal(ev('1 < 2 < 3'), true);
  assert.equal(ev('1 < 5 < 3'), false);
});

test('word and symbol logical operators short-circuit', () => {
  assert.equal(ev('true and false'), false);
  assert.equal(ev('true && true'), true);
  assert.equal(ev('false or true'), true);
  assert.equal(ev('not false'), true);
  assert.equal(ev('!true'), false);
  assert.equal(ev('false && (1 / 0 > "x")'), false);
  assert.equal(ev("true || (1 > 'never compared')"), true);
});

test('logical operators refuse non-bools', () => {
  throwsExpr("'yes' && true", /"&&" needs bools, not string at column 7/);
  throwsExpr('not 1', /"not" needs a bool, not int/);
});

test('in and not in look into arrays and map keys', () => {
  assert.equal(ev("'a' in ['a', 'b']"), true);
  assert.equal(ev("'c' not in ['a', 'b']"), true);
  assert.equal(ev("'x' in inputs.parameters"), true);
  assert.equal(ev("'nope' in inputs.parameters"), false);
  assert.equal(ev("'inputs' in $env"), true);
  assert.equal(ev('2 in 1..3'), true);
});

test('string operators: contains, startsWith, endsWith, matches and their negations', () => {
  assert.equal(ev("inputs.parameters.name contains 'mod'"), true);
  assert.equal(ev("inputs.parameters.name startsWith 'my'"), true);
  assert.equal(ev("inputs.parameters.name endsWith 'model'"), true);
  assert.equal(ev("inputs.parameters.name matches '^my-[a-z]+$'"), true);
  assert.equal(ev("inputs.parameters.name not matches '^x'"), true);
  assert.equal(ev("'Model' matches '(?i)^model$'"), true);
  assert.equal(ev("'2024-01' matches '^(?P<y>\\\\d{4})-'"), true);
  assert.equal(ev("'abc' not contains 'z'"), true);
});

test('a ternary chain and the if/else form pick branches', () => {
  assert.equal(ev("asInt(item) > 5 ? 'big' : asInt(item) > 1 ? 'medium' : 'small'"), 'medium');
  assert.equal(ev("if asInt(item) == 3 { 'three' } else { 'other' }"), 'three');
  throwsExpr("'x' ? 1 : 2", /the condition of "\?:" must be a bool, not string/);
});

// Closures and builtins.

test('closures with # run in all, any, none, one, filter, map and count', () => {
  assert.equal(ev('all([1, 2, 3], {# > 0})'), true);
  assert.equal(ev('any([1, 2, 3], # > 2)'), true);
  assert.equal(ev('none([1, 2, 3], {# > 3})'), true);
  assert.equal(ev('one([1, 2, 3], {# == 2})'), true);
  assert.deepEqual(ev('filter(1..6, {# % 2 == 0})'), [2, 4, 6]);
  assert.deepEqual(ev("map(['a', 'b'], {upper(#)})"), ['A', 'B']);
  assert.equal(ev('count(1..10, {# > 7})'), 3);
  assert.deepEqual(ev('map([10, 20], {#index})'), [0, 1]);
});

test('in a predicate, .field reads a field of the element', () => {
  const list = "[{name: 'a', size: 3}, {name: 'b', size: 9}]";
  assert.deepEqual(ev(`map(filter(${list}, {.size > 5}), {.name})`), ['b']);
  assert.deepEqual(ev(`map(${list}, #.name)`), ['a', 'b']);
  assert.equal(ev(`find(${list}, .size > 5).name`), 'b');
  assert.equal(ev(`findIndex(${list}, .name == 'b')`), 1);
  assert.equal(ev(`sum(${list}, .size)`), 12);
});

test('predicates nest, and # refers to the innermost element', () => {
  assert.deepEqual(ev('map([[1, 2], [3]], {len(filter(#, {# > 1}))})'), [1, 1]);
});

test('reduce, groupBy and sortBy', () => {
  assert.equal(ev('reduce(1..4, #acc * #, 1)'), 24);
  assert.equal(ev('reduce([1, 2, 3], #acc + #)'), 6);
  assert.deepEqual(ev("groupBy(1..5, # % 2 == 0 ? 'even' : 'odd')"), { odd: [1, 3, 5], even: [2, 4] });
  assert.deepEqual(ev("sortBy([{n: 2}, {n: 1}], .n)"), [{ n: 1 }, { n: 2 }]);
  assert.deepEqual(ev("sortBy([{n: 2}, {n: 1}], .n, 'desc')"), [{ n: 2 }, { n: 1 }]);
});

test('a predicate that answers a non-bool is an error', () => {
  throwsExpr('filter([1], {# + 1})', /the predicate of filter\(\) must answer a bool, not int at column 13/);
});

test('# outside a predicate is refused when parsing', () => {
  throwsExpr('# + 1', /"#" can only be used inside a predicate/);
});

test('string builtins follow Go: len, upper, lower, trim, trimPrefix, trimSuffix, split, join, replace', () => {
  assert.equal(ev("len('héllo')"), 5);
  assert.equal(ev('len([1, 2])'), 2);
  assert.equal(ev('len(inputs.parameters)'), 5);
  assert.equal(ev("upper('abc')"), 'ABC');
  assert.equal(ev("lower('ABC')"), 'abc');
  assert.equal(ev("trim('  x  ')"), 'x');
  assert.equal(ev("trim('__x__', '_')"), 'x');
  assert.equal(ev("trimPrefix('v1.2', 'v')"), '1.2');
  assert.equal(ev("trimSuffix('model.pt', '.pt')"), 'model');
  assert.deepEqual(ev("split('a,b,c', ',')"), ['a', 'b', 'c']);
  assert.deepEqual(ev("split('a,b,c', ',', 2)"), ['a', 'b,c']);
  assert.deepEqual(ev("splitAfter('a,b', ',')"), ['a,', 'b']);
  assert.equal(ev("join(['a', 'b'], '-')"), 'a-b');
  assert.equal(ev("join(['a', 'b'])"), 'ab');
  assert.equal(ev("replace('a-b-c', '-', '+')"), 'a+b+c');
  assert.equal(ev("repeat('ab', 3)"), 'ababab');
  assert.equal(ev("indexOf('héllo', 'l')"), 3);
  assert.equal(ev("hasPrefix('abc', 'ab') && hasSuffix('abc', 'bc')"), true);
});

test('number builtins: abs, int, float, max, min, sum, mean, median, ceil, floor, round', () => {
  assert.equal(ev('abs(-5)'), 5);
  assert.equal(ev("int('42')"), 42);
  assert.equal(ev('int(3.9)'), 3);
  assert.equal(ev("float('2.5')"), 2.5);
  assert.equal(ev('max(1, 7, 3)'), 7);
  assert.equal(ev('max([1, 7, 3])'), 7);
  assert.equal(ev('min(4, 2)'), 2);
  assert.equal(ev('sum([1, 2.5])'), 3.5);
  assert.equal(ev('mean([1, 2, 3, 4])'), 2.5);
  assert.equal(ev('median([3, 1, 2])'), 2);
  assert.equal(ev('ceil(1.2)'), 2);
  assert.equal(ev('floor(1.8)'), 1);
  assert.equal(ev('round(2.5)'), 3);
  assert.equal(ev('round(-2.5)'), -3);
});

test('int() of a decimal string fails, as strconv.Atoi does', () => {
  throwsExpr("asInt('1.5')", /asInt\("1.5"\): not an integer at column 1/);
  throwsExpr("int('abc')", /int\("abc"\): not an integer/);
  throwsExpr("float('x')", /float\("x"\): not a number/);
});

test('string() prints as Go fmt does: floats in %v form, lists with spaces, maps with sorted keys', () => {
  assert.equal(ev('string(3)'), '3');
  assert.equal(ev('string(2.5)'), '2.5');
  assert.equal(ev('string(1000000.5)'), '1.0000005e+06');
  assert.equal(ev('string(0.00001)'), '1e-05');
  assert.equal(ev('string([1, "a"])'), '[1 a]');
  assert.equal(ev("string({b: 1, a: true})"), 'map[a:true b:1]');
  assert.equal(ev('string(nil)'), '<nil>');
});

test('collection builtins: keys, values, first, last, get, take, reverse, uniq, concat, flatten, sort', () => {
  assert.deepEqual(ev("keys({b: 1, a: 2})"), ['a', 'b']);
  assert.deepEqual(ev("values({b: 1, a: 2})"), [2, 1]);
  assert.equal(ev('first([7, 8])'), 7);
  assert.equal(ev('last([7, 8])'), 8);
  assert.equal(ev('first([]) ?? "empty"'), 'empty');
  assert.equal(ev('get([1, 2], 5) ?? "none"'), 'none');
  assert.equal(ev("get({a: 1}, 'a')"), 1);
  assert.deepEqual(ev('take([1, 2, 3], 2)'), [1, 2]);
  assert.deepEqual(ev('reverse([1, 2, 3])'), [3, 2, 1]);
  assert.deepEqual(ev('uniq([1, 2, 1, 2])'), [1, 2]);
  assert.deepEqual(ev('concat([1], [2, 3])'), [1, 2, 3]);
  assert.deepEqual(ev('flatten([1, [2, [3]]])'), [1, 2, 3]);
  assert.deepEqual(ev('sort([3, 1, 2])'), [1, 2, 3]);
  assert.deepEqual(ev("sort(['b', 'a'], 'desc')"), ['b', 'a']);
  assert.deepEqual(ev("toPairs({a: 1})"), [['a', 1]]);
  assert.deepEqual(ev("fromPairs([['a', 1]])"), { a: 1 });
});

test('toJSON indents and fromJSON parses, as expr defines them', () => {
  assert.equal(ev('toJSON({"name": "John"})'), '{\n  "name": "John"\n}');
  assert.deepEqual(ev('fromJSON(\'{"name": "John"}\')'), { name: 'John' });
  assert.equal(ev("fromJSON(inputs.parameters.json).a.b[2]"), 3);
  assert.equal(ev("toBase64('Hello World')"), 'SGVsbG8gV29ybGQ=');
  assert.equal(ev("fromBase64('SGVsbG8gV29ybGQ=')"), 'Hello World');
  throwsExpr("fromBase64('@@')", /illegal base64 data at input byte 0/);
});

test('type() names the kinds of values', () => {
  assert.equal(ev('type(42)'), 'int');
  assert.equal(ev('type(4.2)'), 'float');
  assert.equal(ev("type('x')"), 'string');
  assert.equal(ev('type([1])'), 'array');
  assert.equal(ev('type({})'), 'map');
  assert.equal(ev('type(nil)'), 'nil');
  assert.equal(ev('type(true)'), 'bool');
});

test('the pipe passes the left side as the first argument', () => {
  assert.deepEqual(ev("'A B' | lower() | split(' ')"), ['a', 'b']);
  assert.deepEqual(ev('[3, 1, 2] | sort()'), [1, 2, 3]);
  assert.deepEqual(ev('1..4 | filter(# > 2)'), [3, 4]);
});

test('let binds a variable for the rest of the expression', () => {
  assert.equal(ev('let n = asInt(item); n * n'), 9);
  assert.equal(ev('let a = 1; let b = a + 1; a + b'), 3);
});

test('comments are ignored', () => {
  assert.equal(ev('1 + /* two */ 2 // three'), 3);
});

test('$env reaches every variable, including the dotted names whole', () => {
  assert.equal(ev("$env['inputs.parameters.x']"), '41');
  assert.equal(ev("$env.workflow.name"), 'wf-1');
});

test('expressions never read the clock', () => {
  throwsExpr('now()', /now\(\) is not supported: Drover evaluates expressions without reading the clock/);
  throwsExpr("date('2023-01-01')", /date\(\) is not supported/);
});

// Errors name the expression, the column and what was expected.

test('an unknown top-level name fails before evaluation, naming it', () => {
  throwsExpr('foo + 1', 'expression "foo + 1": unknown name "foo" at column 1');
  throwsExpr('true || foo', /unknown name "foo" at column 9/);
});

test('a missing parameter is named when its nil breaks the expression', () => {
  throwsExpr('inputs.parameters.foo', 'expression "inputs.parameters.foo": unknown name "inputs.parameters.foo" at column 1');
  throwsExpr('asInt(inputs.parameters.foo) + 1', /unknown name "inputs.parameters.foo" at column 7/);
  throwsExpr("inputs.parameters.foo + 'x'", /unknown name "inputs.parameters.foo"/);
  throwsExpr("steps['nope'].outputs.result", /unknown name "steps\['nope'\]"/);
});

test('an unknown-name error carries the name, so a caller can leave the tag unresolved', () => {
  try {
    ev('workflow.status');
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof ExpressionError);
    assert.equal(err.unknownName, 'workflow.status');
    assert.equal(err.column, 1);
  }
});

test('a nil result is refused, as Argo refuses it', () => {
  throwsExpr('nil', 'expression "nil": the expression evaluated to nil');
});

test('syntax errors say what was expected and where', () => {
  throwsExpr('1 +', 'expression "1 +": expected an operand but the expression ended at column 4');
  throwsExpr('(1 + 2', /expected "\)" but found the end of the expression at column 7/);
  throwsExpr('[1, 2', /expected "," but found the end of the expression at column 6/);
  throwsExpr('1 2', /unexpected "2" at column 3/);
  throwsExpr("'open", /literal not terminated at column 1/);
  throwsExpr('a.', /unknown name "a"|expected a name/);
  throwsExpr('inputs.parameters.', /expected a name after "." but found the end of the expression at column 19/);
  throwsExpr('1 @ 2', /unrecognized character "@" at column 3/);
  throwsExpr('filter([1])', /filter\(\) expects at least 2 arguments/);
});

test('runtime errors name the operation and the column', () => {
  throwsExpr('[1, 2][5]', /index out of range: 5 \(array length is 2\) at column 7/);
  throwsExpr("{a: 1}.a.b", /cannot read "b" from int at column 9/);
  throwsExpr("unknownFn(1)", /unknown function "unknownFn" at column 1/);
  throwsExpr("sprig.nothing('x')", /unknown function "sprig.nothing" at column 1/);
  throwsExpr("len(1)", /invalid argument for len \(type int\) at column 1/);
  throwsExpr("'x' matches '('", /error parsing regexp/);
});

test('a plain JavaScript function in the environment can be called', () => {
  const custom = { double: (n: unknown) => (n as number) * 2, items: ['a', 'b'] };
  assert.equal(evaluateExpression('double(21)', custom), 42);
  assert.equal(evaluateExpression("join(items, '+')", custom), 'a+b');
});

test('Argo functions are present even in a bare environment', () => {
  assert.equal(evaluateExpression("asInt('7') + 1", {}), 8);
  assert.equal(evaluateExpression("sprig.upper('x')", {}), 'X');
});

test('map keys named like Object.prototype members are ordinary missing keys', () => {
  assert.equal(ev("inputs.parameters.constructor ?? 'none'"), 'none');
  assert.equal(ev("{}['__proto__'] ?? 'none'"), 'none');
  assert.equal(ev("'toString' in {}"), false);
});

test('a pathologically nested expression fails as an ExpressionError with a shortened source', () => {
  const deep = '('.repeat(50000) + '1' + ')'.repeat(50000);
  assert.throws(() => ev(deep), (err: unknown) => {
    assert.ok(err instanceof ExpressionError);
    assert.match(err.message, /^expression "\(+…": cannot evaluate/);
    assert.equal(err.source, deep);
    return true;
  });
});

test('jsonpath filters: [?(…)] keeps the elements whose comparison holds (&&, ||, !, existence), and makes the path a list', async () => {
  const { queryJSONPath } = await import('./jsonpath.js');
  const doc = { employees: [{ name: 'Baris', age: 43, tags: ['lead'] }, { name: 'Mo', age: 42 }, { name: 'Jai', age: 44 }] };
  assert.deepEqual(queryJSONPath(doc, '$.employees[?(@.name=="Baris")].age'), [43]);
  assert.deepEqual(queryJSONPath(doc, '$.employees[?(@.age>42 && @.age<44)].age'), [43]);
  assert.deepEqual(queryJSONPath(doc, "$.employees[?(@.age >= 43 || @.name == 'Mo')].name"), ['Baris', 'Mo', 'Jai']);
  assert.deepEqual(queryJSONPath(doc, '$.employees[?(!(@.age > 42))].name'), ['Mo']);
  assert.deepEqual(queryJSONPath(doc, '$.employees[?(@.tags)].name'), ['Baris'], 'existence');
  assert.deepEqual(queryJSONPath(doc, "$.employees[?(@.tags[0] == 'lead')].name"), ['Baris'], 'a bracket inside the filter');
  assert.deepEqual(queryJSONPath(doc, '$.employees[?(@.age > "40")].name'), [], 'a number and a string do not order');
  assert.throws(() => queryJSONPath(doc, '$.employees[?(@.age >)]'), /expected @, a number, a string/);
  assert.throws(() => queryJSONPath(doc, '$.employees[(@.length-1)]'), /script expressions are not supported/);
  assert.throws(() => queryJSONPath(doc, `$.employees[?(${'('.repeat(5000)}@.age${')'.repeat(5000)})]`), /more than 64 levels/, 'deep nesting is refused, not a stack overflow');
});
