import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplyConflictError, fieldSet, formatFieldPath, fromFieldsV1, listKeysFor, readApplyRequest, serverSideApply, toFieldsV1 } from './apply.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const job = (spec: Obj, labels: Obj = {}): Obj => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'train', ...(Object.keys(labels).length ? { labels } : {}) }, spec });
const template = (containers: Obj[]) => ({ spec: { restartPolicy: 'Never', containers } });

function apply(live: Obj | undefined, applied: Obj, manager: string, force = false): Obj {
  return serverSideApply({ live: live as never, applied: applied as never, manager, force, now: '2026-01-01T00:00:00Z', group: 'batch', hasStatus: true }) as Obj;
}

test('the field set of a configuration has its leaves and the items of keyed lists, as fieldsV1 writes them', () => {
  const set = fieldSet(job({ backoffLimit: 2, template: template([{ name: 'main', image: 'busybox', command: ['sh'] }]) }, { team: 'ml' }) as never, listKeysFor('batch'), true);
  assert.deepEqual(toFieldsV1(set), {
    'f:metadata': { 'f:labels': { 'f:team': {} } },
    'f:spec': {
      'f:backoffLimit': {},
      'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"main"}': { '.': {}, 'f:command': {}, 'f:image': {}, 'f:name': {} } }, 'f:restartPolicy': {} } },
    },
  });
  assert.deepEqual(fromFieldsV1(toFieldsV1(set)), set);
  assert.equal(formatFieldPath(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"main"}', 'f:image'].join('\u0000')), '.spec.template.spec.containers[name="main"].image');
});

test('an apply creates the object with one Apply entry for its manager', () => {
  const out = apply(undefined, job({ backoffLimit: 2 }), 'ci');
  assert.equal(out['spec'].backoffLimit, 2);
  assert.deepEqual(out['metadata'].managedFields, [{ manager: 'ci', operation: 'Apply', apiVersion: 'batch/v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:backoffLimit': {} } } }]);
});

test('applying again changes what the manager owns and removes what it no longer applies; fields set by others stay', () => {
  let live = apply(undefined, job({ backoffLimit: 2, parallelism: 1 }, { a: '1', b: '2' }), 'ci');
  live['spec'].completions = 1; // set by someone else, owned by nobody
  live = apply(live, job({ backoffLimit: 3 }, { a: '1' }), 'ci');
  assert.equal(live['spec'].backoffLimit, 3);
  assert.equal(live['spec'].parallelism, undefined);
  assert.equal(live['spec'].completions, 1);
  assert.deepEqual(live['metadata'].labels, { a: '1' });
});

test("a field another manager applied with a different value is a 409 naming it and the manager, unless forced; the same value is shared", () => {
  const live = apply(undefined, job({ backoffLimit: 2, parallelism: 1 }), 'ci');
  assert.throws(
    () => apply(live, job({ backoffLimit: 5 }), 'ops'),
    (err: unknown) => err instanceof ApplyConflictError && err.message === 'Apply failed with 1 conflict: conflict with "ci": .spec.backoffLimit',
  );
  assert.throws(
    () => apply(live, job({ backoffLimit: 5, parallelism: 4 }), 'ops'),
    (err: unknown) => err instanceof ApplyConflictError && err.message === 'Apply failed with 2 conflicts: conflicts with "ci":\n- .spec.backoffLimit\n- .spec.parallelism',
  );
  const shared = apply(live, job({ parallelism: 1 }), 'ops');
  assert.deepEqual(shared['metadata'].managedFields.map((e: Obj) => e.manager), ['ci', 'ops']);
  const forced = apply(live, job({ backoffLimit: 5 }), 'ops', true);
  assert.equal(forced['spec'].backoffLimit, 5);
  const ci = forced['metadata'].managedFields.find((e: Obj) => e.manager === 'ci');
  assert.deepEqual(ci.fieldsV1, { 'f:spec': { 'f:parallelism': {} } });
  // ci no longer owns backoffLimit: its next apply without it leaves ops' value.
  assert.equal(apply(forced, job({ parallelism: 1 }), 'ci')['spec'].backoffLimit, 5);
});

test('containers merge by name: a manager adds its own container, and dropping it removes only that one', () => {
  const live = apply(undefined, job({ template: template([{ name: 'main', image: 'a' }]) }), 'ci');
  const both = apply(live, job({ template: { spec: { containers: [{ name: 'sidecar', image: 'b' }] } } }), 'ops');
  assert.deepEqual(both['spec'].template.spec.containers.map((c: Obj) => c.name), ['main', 'sidecar']);
  const back = apply(both, job({ template: { spec: { containers: [{ name: 'other', image: 'c' }] } } }), 'ops');
  assert.deepEqual(back['spec'].template.spec.containers.map((c: Obj) => c.name), ['main', 'other']);
});

test("a custom kind's lists are atomic: the applied list replaces the live one", () => {
  const wf = (templates: Obj[]) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'w' }, spec: { entrypoint: 'main', templates } });
  const run = (live: Obj | undefined, applied: Obj) => serverSideApply({ live: live as never, applied: applied as never, manager: 'ci', force: false, now: 'T', group: 'argoproj.io', hasStatus: true }) as Obj;
  const live = run(undefined, wf([{ name: 'main' }, { name: 'b' }]));
  assert.deepEqual(live['metadata'].managedFields[0].fieldsV1, { 'f:spec': { 'f:entrypoint': {}, 'f:templates': {} } });
  assert.deepEqual(run(live, wf([{ name: 'main' }]))['spec'].templates, [{ name: 'main' }]);
});

test('an apply request needs a field manager, the path kind and the path name', () => {
  const q = (s: string) => new URLSearchParams(s);
  const path = { apiVersion: 'batch/v1', kind: 'Job', name: 'train' };
  const body = 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: train}\nspec: {backoffLimit: 1}\n';
  assert.throws(() => readApplyRequest(body, q(''), path), /fieldManager: Required value: is required for apply patch|is required for apply patch/);
  assert.throws(() => readApplyRequest(body, q('fieldManager=x'), { ...path, name: 'other' }), /does not match the name on the URL/);
  assert.throws(() => readApplyRequest(body.replace('Job', 'Pod'), q('fieldManager=x'), path), /path is for Job/);
  const r = readApplyRequest(body, q('fieldManager=x&force=true'), path);
  assert.equal(r.manager, 'x');
  assert.equal(r.force, true);
  assert.deepEqual(r.applied['spec'], { backoffLimit: 1 });
});
