import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRunSpec, trialName, trialParametersUsed, type RunSpecMeta } from './template.js';
import type { TrialParameterSpec } from './types.js';

// The shape of Katib's random-search example, with metadata references added.
const trialSpec = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { labels: { team: 'vision' }, annotations: { 'example.com/owner': 'ana' } },
  spec: {
    template: {
      metadata: { labels: { 'example.com/${trialParameters.optimizer}': 'yes' } },
      spec: {
        containers: [
          {
            name: 'training-container',
            image: 'python:3.12',
            command: [
              'python3',
              '/opt/train.py',
              '--lr=${trialParameters.learningRate}',
              '--layers=${trialParameters.numberLayers}',
              '--optimizer=${trialParameters.optimizer}',
              '--tag=${trialParameters.optimizer}-${trialParameters.learningRate}',
            ],
            env: [
              { name: 'TRIAL', value: '${trialParameters.trial}' },
              { name: 'NS', value: '${trialParameters.ns}' },
              { name: 'WHAT', value: '${trialParameters.kind} ${trialParameters.apiVersion}' },
              { name: 'TEAM', value: '${trialParameters.team}' },
              { name: 'OWNER', value: '${trialParameters.owner}' },
              { name: 'PLAIN', value: '$HOME and ${other.thing}' },
            ],
            resources: { limits: { cpu: 1 } },
          },
        ],
        restartPolicy: 'Never',
      },
    },
    backoffLimit: 0,
  },
};

const trialParameters: TrialParameterSpec[] = [
  { name: 'learningRate', description: 'Learning rate', reference: 'lr' },
  { name: 'numberLayers', reference: 'num-layers' },
  { name: 'optimizer', reference: 'optimizer' },
  { name: 'trial', reference: '${trialSpec.Name}' },
  { name: 'ns', reference: '${trialSpec.Namespace}' },
  { name: 'kind', reference: '${trialSpec.Kind}' },
  { name: 'apiVersion', reference: '${trialSpec.APIVersion}' },
  { name: 'team', reference: '${trialSpec.Labels[team]}' },
  { name: 'owner', reference: '${trialSpec.Annotations[example.com/owner]}' },
];

const assignments = [
  { name: 'lr', value: '0.01' },
  { name: 'num-layers', value: '3' },
  { name: 'optimizer', value: 'sgd' },
];

const meta: RunSpecMeta = {
  name: 'random-abc12345',
  namespace: 'team-a',
  kind: 'Job',
  apiVersion: 'batch/v1',
  labels: { team: 'vision' },
  annotations: { 'example.com/owner': 'ana' },
};

test('renderRunSpec substitutes parameters and trial metadata everywhere, names the run after the trial', () => {
  const before = structuredClone(trialSpec);
  const run = renderRunSpec(trialSpec, trialParameters, assignments, meta) as typeof trialSpec & { metadata: Record<string, unknown> };
  assert.deepEqual(trialSpec, before, 'the template is not changed');
  assert.deepEqual(run.metadata, { labels: { team: 'vision' }, annotations: { 'example.com/owner': 'ana' }, name: 'random-abc12345', namespace: 'team-a' });
  const c = run.spec.template.spec.containers[0]!;
  assert.deepEqual(c.command, ['python3', '/opt/train.py', '--lr=0.01', '--layers=3', '--optimizer=sgd', '--tag=sgd-0.01']);
  assert.deepEqual(c.env, [
    { name: 'TRIAL', value: 'random-abc12345' },
    { name: 'NS', value: 'team-a' },
    { name: 'WHAT', value: 'Job batch/v1' },
    { name: 'TEAM', value: 'vision' },
    { name: 'OWNER', value: 'ana' },
    { name: 'PLAIN', value: '$HOME and ${other.thing}' },
  ]);
  assert.deepEqual(run.spec.template.metadata.labels, { 'example.com/sgd': 'yes' }, 'keys are substituted too, as in the JSON text');
  assert.deepEqual(c.resources, { limits: { cpu: 1 } }, 'numbers are kept');
  assert.equal(run.spec.backoffLimit, 0);
  assert.notEqual(run.spec, trialSpec.spec, 'a deep copy');
});

test('values are inserted as written, once', () => {
  const spec = { kind: 'Job', apiVersion: 'batch/v1', spec: { args: ['${trialParameters.a}', '${trialParameters.b}'] } };
  const params = [
    { name: 'a', reference: 'x' },
    { name: 'b', reference: 'y' },
  ];
  const run = renderRunSpec(spec, params, [{ name: 'x', value: 'say "hi" \\ ${trialParameters.b}' }, { name: 'y', value: '' }], meta);
  assert.deepEqual((run.spec as { args: string[] }).args, ['say "hi" \\ ${trialParameters.b}', '']);
  // No metadata in the template: it is created.
  assert.deepEqual(run.metadata, { name: meta.name, namespace: meta.namespace });
});

test('renderRunSpec refuses what Katib cannot generate, saying why', () => {
  const spec = { kind: 'Job', apiVersion: 'batch/v1', spec: { args: ['${trialParameters.learningRate}'] } };
  const lr = [{ name: 'learningRate', reference: 'lr' }];
  assert.throws(
    () => renderRunSpec({ ...spec, x: '${trialParameters.momentum}' }, lr, [{ name: 'lr', value: '1' }], meta),
    /uses \$\{trialParameters\.momentum\}, but "momentum" is not in spec\.trialTemplate\.trialParameters \(declared: learningRate\)/,
  );
  assert.throws(() => renderRunSpec(spec, lr, [{ name: 'momentum', value: '1' }], meta), /trialParameter "learningRate" references "lr", which has no value in the trial's parameter assignments \(momentum\)/);
  assert.throws(() => renderRunSpec(spec, lr, [], meta), /\(none\)/);
  assert.throws(
    () => renderRunSpec(spec, lr, [{ name: 'lr', value: '1' }, { name: 'momentum', value: '0.9' }], meta),
    /parameter assignment\(s\) "momentum" are not referenced by any trialParameter/,
  );
  const withMeta = (reference: string) => [...lr, { name: 'm', reference }];
  assert.throws(() => renderRunSpec(spec, withMeta('${trialSpec.Labels[nope]}'), [{ name: 'lr', value: '1' }], meta), /has no label "nope"/);
  assert.throws(() => renderRunSpec(spec, withMeta('${trialSpec.Annotations[nope]}'), [{ name: 'lr', value: '1' }], meta), /has no annotation "nope"/);
  assert.throws(() => renderRunSpec(spec, withMeta('${trialSpec.UID}'), [{ name: 'lr', value: '1' }], meta), /"\$\{trialSpec\.UID\}": known are Name, Namespace/);
  assert.throws(() => renderRunSpec(spec, withMeta('${trialSpec.Env[x]}'), [{ name: 'lr', value: '1' }], meta), /only Labels\[…\] and Annotations\[…\] take a key/);
});

test('trialParametersUsed lists placeholders once, in order, keys included', () => {
  assert.deepEqual(trialParametersUsed(trialSpec), ['optimizer', 'learningRate', 'numberLayers', 'trial', 'ns', 'kind', 'apiVersion', 'team', 'owner']);
  assert.deepEqual(trialParametersUsed({ a: ['${trialParameters.x}${trialParameters.y}', { '${trialParameters.z}': 1 }], b: '${trialParameters.x}' }), ['x', 'y', 'z']);
  assert.deepEqual(trialParametersUsed({ a: '${trialParameters.}', b: '${trialParameters.open', c: 42, d: null }), []);
});

test('trialName is deterministic, distinct per index and experiment, and a DNS label', () => {
  const uid = '6f1c2a8e-1b7d-4c39-9a55-0f3e2d1c4b5a';
  const a = trialName('random', uid, 0);
  assert.match(a, /^random-[bcdfghjklmnpqrstvwxz2456789]{8}$/);
  assert.equal(trialName('random', uid, 0), a, 'same inputs, same name');
  const names = new Set(Array.from({ length: 2000 }, (_, i) => trialName('random', uid, i)));
  assert.equal(names.size, 2000, 'no collisions among 2000 trials');
  assert.notEqual(trialName('random', 'another-uid', 0), a);
  const long = trialName('a'.repeat(80), uid, 3);
  assert.equal(long.length, 63);
  assert.match(long, /^a{54}-[a-z0-9]{8}$/);
  // Trimming never leaves a dash before the suffix; characters a label cannot hold are replaced.
  const dashy = trialName(`${'b'.repeat(53)}-x`, uid, 1);
  assert.match(dashy, /^b{53}-[a-z0-9]{8}$/);
  assert.match(trialName('My.Exp', uid, 0), /^my-exp-[a-z0-9]{8}$/);
  for (const n of [a, long, dashy]) assert.match(n, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
});
