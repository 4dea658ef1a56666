import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from './api/types.js';
import { DEFAULT_PRINTER } from './print/columns.js';
import { genericDescriber } from './print/describe.js';
import { Admission } from './server/admission.js';
import { describerFor, FAMILIES, KINDS, loadServerParts, printerFor, waitFor } from './registry.js';

const parts = await loadServerParts();

test('every kind belongs to one family, and every kind users create is validated by its family', () => {
  const declared = FAMILIES.flatMap((f) => f.kinds.map((k) => `${k.info.apiVersion}/${k.info.kind}`));
  assert.equal(new Set(declared).size, declared.length);
  assert.equal(KINDS.all.length, declared.length);
  for (const info of KINDS.all.filter((k) => k.userCreatable)) assert.ok(parts.validation(info), `${info.kind} has no validation`);
});

test("a family's server half is found by kind: admission hooks, subresources", () => {
  const admission = new Admission(KINDS, parts.admission);
  const job = admission.admit({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } } as KubeObject, { namespace: 'ml', sourceDir: '/work' });
  assert.equal(job.metadata.namespace, 'ml');
  assert.equal(job.metadata.annotations?.['drover.dev/source-dir'], '/work');
  assert.equal((job.spec as { backoffLimit?: number }).backoffLimit, 6);
  const secret = admission.admit({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' } } as KubeObject, { namespace: 'ml', sourceDir: '/work' });
  assert.deepEqual(secret['data'], { k: 'dg==' });
  assert.equal(secret.metadata.annotations, undefined, 'a Secret runs no container, so it gets no source directory');
  const ns = admission.admit({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ml', namespace: 'x' } } as KubeObject, { namespace: 'other' });
  assert.equal(ns.metadata.namespace, undefined, 'cluster-scoped');
  assert.ok(parts.subresource('Workflow', 'retry'));
  assert.ok(parts.subresource('Trial', 'metrics'));
  assert.equal(parts.subresource('Job', 'retry'), undefined);
});

test('a kind without columns, describer or wait hooks of its own gets the generic ones', () => {
  assert.notEqual(printerFor('Job'), DEFAULT_PRINTER);
  assert.equal(printerFor('Gadget'), DEFAULT_PRINTER);
  assert.equal(printerFor('WorkflowTemplate'), DEFAULT_PRINTER);
  assert.notEqual(describerFor('Pod'), genericDescriber);
  assert.equal(describerFor('ConfigMap') === genericDescriber, false);
  assert.equal(describerFor('WorkflowTemplate'), genericDescriber);
  assert.ok(waitFor('Job')?.unreachable);
  assert.equal(waitFor('ConfigMap'), undefined);
});

test('an object that needs what the runtime cannot give is refused by name: workflows and File collectors on a cluster', () => {
  const onCluster = new Admission(KINDS, parts.admission, { name: 'kubernetes', gives: new Set() });
  const workflow = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'w' }, spec: { entrypoint: 'main', templates: [] } } as KubeObject;
  assert.throws(() => onCluster.admit(workflow, { namespace: 'ml' }), {
    code: 'UNSUPPORTED',
    message: /^Workflow "w" cannot run on the kubernetes runtime yet: workflow steps stage their inputs and outputs in directories of the server's machine/,
  });
  assert.doesNotThrow(() => onCluster.admit({ ...workflow, kind: 'WorkflowTemplate' }, { namespace: 'ml' }), 'a template runs nothing');
  const experiment = (collector: string) =>
    ({ apiVersion: 'kubeflow.org/v1beta1', kind: 'Experiment', metadata: { name: 'e' }, spec: { metricsCollectorSpec: { collector: { kind: collector } } } }) as KubeObject;
  assert.doesNotThrow(() => onCluster.admit(experiment('StdOut'), { namespace: 'ml' }));
  assert.throws(() => onCluster.admit(experiment('File'), { namespace: 'ml' }), /File metrics collector/);
  const local = new Admission(KINDS, parts.admission);
  assert.doesNotThrow(() => local.admit(workflow, { namespace: 'ml' }));
  assert.doesNotThrow(() => local.admit(experiment('File'), { namespace: 'ml' }));
});
