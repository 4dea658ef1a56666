import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../registry.js';

const lookupKind = (name: string) => KINDS.lookup(name);
import { UsageError } from './args.js';
import { CliError } from './context.js';
import { collectionPath, objectPath, parseResourceArgs, qualifiedName, qualifiedNameOf, resolveKind, resourceName } from './resources.js';

const job = lookupKind('job')!;
const pod = lookupKind('po')!;
const node = lookupKind('no')!;

test('every kubectl name and short name finds its kind', () => {
  const names: [string, string][] = [
    ['job', 'Job'], ['jobs', 'Job'], ['jobs.batch', 'Job'], ['po', 'Pod'], ['pod', 'Pod'], ['pods', 'Pod'], ['cm', 'ConfigMap'], ['configmap', 'ConfigMap'],
    ['configmaps', 'ConfigMap'], ['pvc', 'PersistentVolumeClaim'], ['persistentvolumeclaims', 'PersistentVolumeClaim'], ['secret', 'Secret'],
    ['secrets', 'Secret'], ['ns', 'Namespace'], ['namespaces', 'Namespace'], ['no', 'Node'], ['nodes', 'Node'], ['ev', 'Event'], ['events', 'Event'],
    ['Job', 'Job'],
  ];
  for (const [typed, kind] of names) assert.equal(resolveKind(typed).kind, kind, typed);
  assert.throws(() => resolveKind('deployments'), (e: unknown) => e instanceof CliError && e.message === 'the server doesn\'t have a resource type "deployments"');
});

test('API paths follow the Kubernetes layout', () => {
  assert.equal(collectionPath(job, 'default'), '/apis/batch/v1/namespaces/default/jobs');
  assert.equal(objectPath(job, 'default', 'train'), '/apis/batch/v1/namespaces/default/jobs/train');
  assert.equal(collectionPath(job, undefined), '/apis/batch/v1/jobs');
  assert.equal(objectPath(pod, 'ml', 'p'), '/api/v1/namespaces/ml/pods/p');
  assert.equal(collectionPath(node, 'default'), '/api/v1/nodes', 'cluster-scoped kinds ignore the namespace');
  assert.equal(objectPath(node, 'default', 'local'), '/api/v1/nodes/local');
});

test('kinds are named as kubectl names them in output and messages', () => {
  assert.equal(qualifiedName(job), 'job.batch');
  assert.equal(qualifiedName(pod), 'pod');
  assert.equal(resourceName(job), 'jobs.batch');
  assert.equal(qualifiedNameOf('v1', 'ConfigMap'), 'configmap');
  assert.equal(qualifiedNameOf('kubeflow.org/v1beta1', 'Experiment'), 'experiment.kubeflow.org');
});

test('TYPE NAME..., TYPE,TYPE and TYPE/NAME forms', () => {
  assert.deepEqual(parseResourceArgs(['jobs', 'a', 'b'], 'get').map((r) => [r.kind.kind, r.names]), [['Job', ['a', 'b']]]);
  assert.deepEqual(parseResourceArgs(['jobs,po'], 'get').map((r) => [r.kind.kind, r.names]), [['Job', []], ['Pod', []]]);
  assert.deepEqual(parseResourceArgs(['all'], 'get').map((r) => r.kind.kind), ['Pod', 'Service', 'Job']);
  assert.deepEqual(parseResourceArgs(['job/a', 'pod/p', 'job/b'], 'get').map((r) => [r.kind.kind, r.names]), [['Job', ['a', 'b']], ['Pod', ['p']]]);
  assert.throws(() => parseResourceArgs(['jobs', 'job/a'], 'get'), UsageError);
  assert.throws(() => parseResourceArgs(['job/'], 'get'), UsageError);
  assert.throws(() => parseResourceArgs([], 'get'), UsageError);
  assert.throws(() => parseResourceArgs(['widgets'], 'get'), CliError);
});
