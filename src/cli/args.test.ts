import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError, type FlagSpec } from './args.js';

const specs: FlagSpec[] = [
  { name: 'namespace', short: 'n', type: 'string', description: '' },
  { name: 'output', short: 'o', type: 'string', description: '' },
  { name: 'all-namespaces', short: 'A', type: 'boolean', description: '' },
  { name: 'watch', short: 'w', type: 'boolean', description: '' },
  { name: 'wait', type: 'boolean', default: true, description: '' },
  { name: 'filename', short: 'f', type: 'strings', description: '' },
  { name: 'timeout', type: 'string', default: '30s', description: '' },
];

test('long flags take their value after = or as the next argument', () => {
  const a = parseArgs(['get', '--namespace', 'ml', '--output=json', 'jobs'], specs);
  assert.deepEqual(a.positionals, ['get', 'jobs']);
  assert.equal(a.string('namespace'), 'ml');
  assert.equal(a.string('output'), 'json');
});

test('short flags take -n VALUE, -nVALUE and -n=VALUE', () => {
  assert.equal(parseArgs(['-n', 'a'], specs).string('namespace'), 'a');
  assert.equal(parseArgs(['-nb'], specs).string('namespace'), 'b');
  assert.equal(parseArgs(['-n=c'], specs).string('namespace'), 'c');
});

test('booleans accept --flag, --flag=false and grouped short forms', () => {
  const a = parseArgs(['-Aw', '--wait=false'], specs);
  assert.equal(a.bool('all-namespaces'), true);
  assert.equal(a.bool('watch'), true);
  assert.equal(a.bool('wait'), false);
  assert.equal(parseArgs([], specs).bool('wait'), true, 'default applies when not given');
  assert.equal(parseArgs([], specs).bool('watch'), false);
});

test('a boolean does not swallow the next argument', () => {
  const a = parseArgs(['-w', 'pods'], specs);
  assert.equal(a.bool('watch'), true);
  assert.deepEqual(a.positionals, ['pods']);
});

test('grouped short flags end at the first flag that takes a value', () => {
  const a = parseArgs(['-Anml'], specs);
  assert.equal(a.bool('all-namespaces'), true);
  assert.equal(a.string('namespace'), 'ml');
});

test('repeated string-list flags accumulate in order', () => {
  const a = parseArgs(['-f', 'a.yaml', '--filename=b.yaml', '-fc.yaml'], specs);
  assert.deepEqual(a.strings('filename'), ['a.yaml', 'b.yaml', 'c.yaml']);
  assert.deepEqual(parseArgs([], specs).strings('filename'), []);
});

test('string defaults apply and given records what the user set', () => {
  const a = parseArgs(['--namespace=x'], specs);
  assert.equal(a.string('timeout'), '30s');
  assert.equal(a.string('output'), undefined);
  assert.ok(a.given.has('namespace'));
  assert.ok(!a.given.has('timeout'));
});

test('-- ends flag parsing', () => {
  const a = parseArgs(['-n', 'x', '--', '-w', '--output'], specs);
  assert.deepEqual(a.positionals, ['-w', '--output']);
  assert.equal(a.bool('watch'), false);
});

test('a lone dash is a positional (stdin)', () => {
  assert.deepEqual(parseArgs(['-'], specs).positionals, ['-']);
  assert.deepEqual(parseArgs(['-f', '-'], specs).strings('filename'), ['-']);
});

test('unknown flags, missing values and bad booleans are usage errors', () => {
  assert.throws(() => parseArgs(['--nope'], specs, 'get'), (e: unknown) => e instanceof UsageError && e.message === 'unknown flag: --nope' && e.command === 'get');
  assert.throws(() => parseArgs(['-z'], specs), /unknown shorthand flag: 'z' in -z/);
  assert.throws(() => parseArgs(['--namespace'], specs), /flag needs an argument: --namespace/);
  assert.throws(() => parseArgs(['-n'], specs), /flag needs an argument/);
  assert.throws(() => parseArgs(['--wait=maybe'], specs), /invalid argument "maybe" for "--wait" flag/);
});

test('global flags may come before the command, as with kubectl', async () => {
  const { commandFirst } = await import('./main.js');
  assert.deepEqual(commandFirst(['-n', 'ml', 'get', 'jobs']), ['get', '-n', 'ml', 'jobs']);
  assert.deepEqual(commandFirst(['--namespace=ml', '-v', 'get', 'jobs']), ['get', '--namespace=ml', '-v', 'jobs']);
  assert.deepEqual(commandFirst(['get', '-n', 'ml']), ['get', '-n', 'ml']);
  assert.deepEqual(commandFirst(['--help']), ['--help']);
});
