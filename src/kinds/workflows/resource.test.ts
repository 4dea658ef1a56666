/** Resource templates' pure parts: conditions in Argo's selector grammar, kubectl's jsonpath template, jq's simple filters. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionMet, jqFilter, jsonPathTemplate, parseCondition } from './resource.js';

const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'train-x', labels: { team: 'ml' } }, status: { succeeded: 3, failed: 0, phase: 'Succeeded', conditions: [{ type: 'Complete', status: 'True' }] } };

test('conditions: comparisons, sets, existence and AND by comma, on paths into the object', () => {
  const holds = (c: string) => conditionMet(parseCondition(c), job);
  assert.equal(holds('status.succeeded > 2'), true);
  assert.equal(holds('status.succeeded > 3'), false);
  assert.equal(holds('status.failed < 1'), true);
  assert.equal(holds('status.phase == Succeeded'), true);
  assert.equal(holds('status.phase = Succeeded'), true);
  assert.equal(holds('status.phase != Succeeded'), false);
  assert.equal(holds('status.phase in (Failed, Error)'), false);
  assert.equal(holds('status.phase notin (Failed, Error)'), true);
  assert.equal(holds('status.succeeded > 2, status.phase == Succeeded'), true);
  assert.equal(holds('status.succeeded > 2, status.phase == Failed'), false);
  assert.equal(holds('metadata.labels.team'), true);
  assert.equal(holds('!status.active'), true);
  assert.equal(holds('status.active > 0'), false, 'a missing field compares false');
  assert.throws(() => parseCondition('status.phase ~~ x'), /cannot parse the condition "status.phase ~~ x"/);
  assert.throws(() => parseCondition('status.succeeded > many'), /> needs a number/);
});

test('jsonPath is kubectl\'s template (text around {…} kept); jqFilter takes "." and plain paths, and refuses more', () => {
  assert.equal(jsonPathTemplate(job, '{.metadata.name}'), 'train-x');
  assert.equal(jsonPathTemplate(job, 'job {.metadata.name} ran {.status.succeeded} pods'), 'job train-x ran 3 pods');
  assert.equal(jsonPathTemplate(job, '{.status.conditions[0].type}'), 'Complete');
  assert.equal(jqFilter(job, '.'), JSON.stringify(job));
  assert.equal(jqFilter(job, '.metadata.name'), 'train-x');
  assert.throws(() => jqFilter(job, '.status | keys'), /only "\." and paths such as "\.metadata\.name" are supported/);
});
