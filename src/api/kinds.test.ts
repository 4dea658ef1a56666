import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineKind, kindKey, KindTable } from './kinds.js';

const JOB = defineKind('batch/v1', 'Job', 'jobs');
const POD = defineKind('v1', 'Pod', 'pods', { shortNames: ['po'] });
const NODE = defineKind('v1', 'Node', 'nodes', { shortNames: ['no'], namespaced: false, userCreatable: false });

test('a kind is found by any name a user types, and by its group when the name is qualified', () => {
  const kinds = new KindTable([POD, JOB, NODE]);
  for (const name of ['jobs', 'job', 'Job', 'JOBS', 'jobs.batch']) assert.equal(kinds.lookup(name), JOB, name);
  assert.equal(kinds.lookup('po'), POD);
  assert.equal(kinds.lookup('jobs.apps'), undefined);
  assert.equal(kinds.of('batch/v1', 'Job'), JOB);
  assert.equal(kinds.of('batch/v2', 'Job'), undefined);
  assert.equal(kinds.byPlural('', 'nodes'), NODE);
  assert.equal(kinds.byPlural('batch', 'jobs', 'v2'), undefined);
  assert.equal(kinds.named('Pod'), POD);
});

test('defineKind fills in group, version, singular and the defaults', () => {
  assert.deepEqual(JOB, { apiVersion: 'batch/v1', group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', singular: 'job', shortNames: [], namespaced: true, userCreatable: true, categories: [], hasStatus: true });
  assert.equal(NODE.group, '');
  assert.equal(NODE.namespaced, false);
  assert.equal(kindKey(JOB), 'Job.batch');
  assert.equal(kindKey(POD), 'Pod');
});

test('a kind declared twice is refused when the table is made', () => {
  assert.throws(() => new KindTable([JOB, POD, { ...JOB }]), /kind batch\/v1\/Job is declared twice/);
});
