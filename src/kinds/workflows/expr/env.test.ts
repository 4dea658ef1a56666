import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateExpression, expressionEnv, formatValue, ExpressionError } from './index.js';
import { queryJSONPath } from './jsonpath.js';
import { goFloat, goFormat, goJSON } from './values.js';

test('dotted variable names nest into maps, read by dot or by index', () => {
  const env = expressionEnv({ 'inputs.parameters.lr': '0.1', 'workflow.name': 'wf' });
  assert.equal(evaluateExpression('inputs.parameters.lr', env), '0.1');
  assert.equal(evaluateExpression("inputs.parameters['lr']", env), '0.1');
  assert.deepEqual(evaluateExpression('inputs.parameters', env), { lr: '0.1' });
  assert.equal(evaluateExpression('workflow.name', env), 'wf');
});

test('a Map and a plain record build the same environment', () => {
  const fromMap = expressionEnv(new Map([['a.b', '1'], ['c', '2']]));
  const fromRecord = expressionEnv({ 'a.b': '1', c: '2' });
  assert.deepEqual(JSON.parse(JSON.stringify(fromMap)), JSON.parse(JSON.stringify(fromRecord)));
});

test('when a name is also the prefix of deeper names, the deeper keys win the nesting', () => {
  // Argo sets inputs.parameters to the JSON of all parameters, next to each parameter.
  const env = expressionEnv(new Map([
    ['inputs.parameters', '{"lr":"0.1","x":"2"}'],
    ['inputs.parameters.lr', '0.1'],
    ['inputs.parameters.x', '2'],
    ['a.b', 'value'],
    ['a.b.c', 'deeper'],
  ]));
  assert.equal(evaluateExpression('inputs.parameters.lr', env), '0.1');
  assert.deepEqual(evaluateExpression('keys(inputs.parameters)', env), ['lr', 'x']);
  assert.equal(evaluateExpression('a.b.c', env), 'deeper');
  // The less specific value stays readable under its whole name.
  assert.equal(evaluateExpression("$env['a.b']", env), 'value');
  assert.equal(evaluateExpression("fromJSON($env['inputs.parameters']).x", env), '2');
});

test('every dotted name is also kept whole at the top of the environment', () => {
  const env = expressionEnv({ 'steps.train.outputs.result': 'done', item: 'x' });
  assert.equal(env['steps.train.outputs.result'], 'done');
  assert.equal(env.item, 'x');
  assert.equal(evaluateExpression("$env['steps.train.outputs.result']", env), 'done');
});

test('hyphenated step names nest like any other segment', () => {
  const env = expressionEnv({ 'steps.flip-coin.outputs.result': 'heads' });
  assert.equal(evaluateExpression("steps['flip-coin'].outputs.result == 'heads'", env), true);
});

test('a loop item that is a map reads as one through its fields', () => {
  const env = expressionEnv({ item: '{"a":"1","b":"2"}', 'item.a': '1', 'item.b': '2' });
  assert.equal(evaluateExpression('item.a + item.b', env), '12');
});

test('Argo functions win over variables of the same name, as in Argo', () => {
  const env = expressionEnv({ asInt: 'shadow', 'sprig.x': 'y' });
  assert.equal(evaluateExpression("asInt('3')", env), 3);
  assert.equal(evaluateExpression("sprig.upper('q')", env), 'Q');
});

// formatValue: what Argo writes in place of the tag.

test('formatValue writes strings raw and integers without a decimal point', () => {
  assert.equal(formatValue('plain "text"'), 'plain "text"');
  assert.equal(formatValue(1), '1');
  assert.equal(formatValue(2.0), '2');
  assert.equal(formatValue(-3), '-3');
  assert.equal(formatValue(1.5), '1.5');
  assert.equal(formatValue(0.1 + 0.2), '0.30000000000000004');
  assert.equal(formatValue(1e21), '1e+21');
  assert.equal(formatValue(123456789), '123456789');
});

test('formatValue writes booleans, lists and maps as Go JSON with sorted keys and escaped HTML', () => {
  assert.equal(formatValue(true), 'true');
  assert.equal(formatValue([1, 'a', null]), '[1,"a",null]');
  assert.equal(formatValue({ b: 1, a: { d: [], c: {} } }), '{"a":{"c":{},"d":[]},"b":1}');
  assert.equal(formatValue(['<a&b>']), '["\\u003ca\\u0026b\\u003e"]');
});

test('formatValue refuses nil, infinities and functions', () => {
  assert.throws(() => formatValue(null), (err: unknown) => err instanceof ExpressionError && /nil has no text form/.test(err.message));
  assert.throws(() => formatValue(Infinity), /json: unsupported value: \+Inf/);
  assert.throws(() => formatValue(evaluateExpression('sprig.trim', {})), /unsupported type: func/);
});

test('an expression result round-trips to the tag text Argo would write', () => {
  const env = expressionEnv({ 'inputs.parameters.n': '3' });
  const tag = (s: string): string => formatValue(evaluateExpression(s, env));
  assert.equal(tag('asInt(inputs.parameters.n) * 2'), '6');
  assert.equal(tag('asInt(inputs.parameters.n) / 2'), '1.5');
  assert.equal(tag('asInt(inputs.parameters.n) > 2'), 'true');
  assert.equal(tag("{'n': asInt(inputs.parameters.n)}"), '{"n":3}');
  assert.equal(tag('inputs.parameters.n'), '3');
});

// Go formatting helpers.

test('Go %v floats switch to exponent form from 1e+06 and below 1e-04', () => {
  assert.equal(goFloat(100000), '100000');
  assert.equal(goFloat(1000000), '1e+06');
  assert.equal(goFloat(123456789), '1.23456789e+08');
  assert.equal(goFloat(0.0001), '0.0001');
  assert.equal(goFloat(0.00001), '1e-05');
  assert.equal(goFloat(-2.5), '-2.5');
  assert.equal(goFloat(1e100), '1e+100');
  assert.equal(goFloat(NaN), 'NaN');
  assert.equal(goFloat(-Infinity), '-Inf');
});

test('Go %v of values: nil, lists and maps', () => {
  assert.equal(goFormat(null), '<nil>');
  assert.equal(goFormat([1, [2, 'x']]), '[1 [2 x]]');
  assert.equal(goFormat({ z: 1, a: [true] }), 'map[a:[true] z:1]');
});

test('Go JSON indents like MarshalIndent', () => {
  assert.equal(goJSON({ a: [1, 2], b: {} }, '  '), '{\n  "a": [\n    1,\n    2\n  ],\n  "b": {}\n}');
  assert.equal(goJSON('line\nbreak\u2028'), '"line\\nbreak\\u2028"');
});

// jsonpath

const doc = {
  store: {
    book: [
      { category: 'reference', author: 'Nigel Rees', price: 8.95 },
      { category: 'fiction', author: 'Evelyn Waugh', price: 12.99 },
    ],
    bicycle: { color: 'red', price: 19.95 },
    'odd key': 1,
  },
  expensive: 10,
};

test('jsonpath follows keys and indexes to a single value', () => {
  assert.equal(queryJSONPath(doc, '$.store.bicycle.color'), 'red');
  assert.equal(queryJSONPath(doc, '$.store.book[1].price'), 12.99);
  assert.equal(queryJSONPath(doc, '$.store.book[-1].author'), 'Evelyn Waugh');
  assert.equal(queryJSONPath(doc, "$['store']['odd key']"), 1);
  assert.equal(queryJSONPath(doc, '$["expensive"]'), 10);
  assert.deepEqual(queryJSONPath(doc, '$.store.book[0]'), doc.store.book[0]);
  assert.deepEqual(queryJSONPath(doc, '$'), doc);
});

test('jsonpath wildcards, unions, slices and descent answer lists', () => {
  assert.deepEqual(queryJSONPath(doc, '$.store.book[*].author'), ['Nigel Rees', 'Evelyn Waugh']);
  assert.deepEqual(queryJSONPath(doc, '$.store.book.*.category'), ['reference', 'fiction']);
  assert.deepEqual(queryJSONPath(doc, '$.store.book[0,1].price'), [8.95, 12.99]);
  assert.deepEqual(queryJSONPath(doc, '$.store.book[0:1].price'), [8.95]);
  assert.deepEqual(queryJSONPath(doc, "$.store.bicycle['color','price']"), ['red', 19.95]);
  assert.deepEqual(queryJSONPath(doc, '$..price'), [8.95, 12.99, 19.95]);
});

test('jsonpath fails on a missing key of a definite path, and on script expressions', () => {
  assert.throws(() => queryJSONPath(doc, '$.invalid.path'), /key "invalid" not found/);
  assert.throws(() => queryJSONPath(doc, '$.store.book[5]'), /index 5 out of range/);
  assert.throws(() => queryJSONPath(doc, '$.store.book[(@.length-1)]'), /script expressions are not supported/);
  assert.throws(() => queryJSONPath(doc, 'store'), /must start with "\$"/);
});

test('jsonpath() in an expression parses its JSON and reports bad JSON', () => {
  const env = expressionEnv({ 'workflow.parameters.json': '[{"value": "true"}]' });
  assert.equal(evaluateExpression("jsonpath(workflow.parameters.json, '$[0].value') == 'true'", env), true);
  assert.throws(() => evaluateExpression("jsonpath('{bad', '$.a')", env), /jsonpath\(\): invalid JSON/);
});
