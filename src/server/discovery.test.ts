import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, loadServerParts } from '../registry.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.js';

const parts = await loadServerParts();
const source = { kinds: KINDS, subresources: parts.subresources };

interface Resource {
  name: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  kind: string;
}

function resources(group: string, version: string): Map<string, Resource> {
  const list = apiResourceList(source, group, version) as { resources: Resource[] } | undefined;
  return new Map((list?.resources ?? []).map((r) => [r.name, r]));
}

test('the core group lists its kinds with short names, scope, the verbs served, and their subresources', () => {
  assert.deepEqual(apiVersions('127.0.0.1:7450'), { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:7450' }] });
  const core = resources('', 'v1');
  assert.deepEqual(core.get('pods'), { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['po'], categories: ['all'] });
  assert.deepEqual(core.get('pods/log')?.verbs, ['get']);
  // kubectl exec and port-forward find them here; Kubernetes names their options' kinds.
  assert.deepEqual(core.get('pods/exec'), { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] });
  assert.deepEqual(core.get('pods/portforward')?.verbs, ['create', 'get']);
  assert.deepEqual(core.get('pods/status')?.verbs, ['get', 'update']);
  assert.equal(core.get('namespaces')?.namespaced, false);
  assert.deepEqual(core.get('nodes')?.verbs, ['delete', 'get', 'list', 'watch'], 'Drover writes Nodes; users only read them');
  assert.equal(core.has('configmaps/status'), false, 'a ConfigMap has no status');
  assert.equal(core.has('jobs'), false);
});

test("named groups come in the registry's order, and a family's own subresources are listed with their verbs", () => {
  const groups = (apiGroupList(KINDS) as { groups: { name: string; preferredVersion: { groupVersion: string } }[] }).groups;
  assert.deepEqual(groups.map((g) => g.preferredVersion.groupVersion), ['batch/v1', 'argoproj.io/v1alpha1', 'kubeflow.org/v1', 'rbac.authorization.k8s.io/v1', 'trainer.kubeflow.org/v1alpha1', 'metrics.k8s.io/v1beta1']);
  // Katib (v1beta1), Profiles and the training jobs (v1) and the MPI Operator (v2beta1) share kubeflow.org: every
  // version is listed in Kubernetes' priority order (GA, then betas by major version), GA preferred, as on a cluster with all.
  assert.deepEqual((groups.find((g) => g.name === 'kubeflow.org') as unknown as { versions: { version: string }[] }).versions.map((v) => v.version), ['v1', 'v2beta1', 'v1beta1']);
  assert.deepEqual(apiGroup(KINDS, 'batch'), { kind: 'APIGroup', apiVersion: 'v1', name: 'batch', versions: [{ groupVersion: 'batch/v1', version: 'v1' }], preferredVersion: { groupVersion: 'batch/v1', version: 'v1' } });
  assert.equal(apiGroup(KINDS, 'apps'), undefined);
  const argo = resources('argoproj.io', 'v1alpha1');
  assert.deepEqual(argo.get('workflows')?.shortNames, ['wf']);
  assert.deepEqual(argo.get('workflows/retry')?.verbs, ['update']);
  assert.deepEqual(resources('kubeflow.org', 'v1beta1').get('trials/metrics')?.verbs, ['get', 'create']);
  assert.deepEqual(resources('batch', 'v1').get('jobs')?.categories, ['all']);
  assert.deepEqual([...resources('metrics.k8s.io', 'v1beta1').keys()], ['nodes', 'pods']);
  assert.equal(apiResourceList(source, 'batch', 'v2'), undefined);
});
