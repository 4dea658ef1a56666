/**
 * The conformance scenarios (test/conformance.ts) on the Kubernetes runtime, against the private
 * test cluster (scripts/test-cluster.sh: real kube-apiserver, kube-scheduler and
 * kube-controller-manager; kwok's fake nodes). Drover runs with the namespaced ServiceAccount of
 * deploy/kubernetes/rbac.yaml, never as admin.
 */
import { before, after, describe } from 'node:test';
import { conformance } from './conformance.js';
import { Drover } from './drover.js';
import { clusterUnavailable, prepareNamespace, skipUnlessCluster, type TestCluster } from './cluster.js';

const skip = skipUnlessCluster(await clusterUnavailable());

describe('kubernetes runtime', { skip }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await prepareNamespace('drover-conformance');
  });
  after(async () => {
    await cluster?.dispose();
  });
  conformance(() => ({
    kind: 'kubernetes',
    cluster,
    drover: () => Drover.start({ kubernetes: { kubeconfig: cluster.droverKubeconfig, namespace: cluster.namespace } }),
  }));
});
