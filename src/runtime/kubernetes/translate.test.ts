import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Pod, KubeObject } from '../../api/types.js';
import { clusterCopy, clusterIPToMirror, clusterPod, clusterService, droverPodOf, mirroredStatus, references, serviceReplacement, serviceUpToDate } from './translate.js';
import { REQUIRED_PERMISSIONS } from './permissions.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

const pod: Pod & KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'train-abcde', namespace: 'team-a', uid: 'u-1', resourceVersion: '7', labels: { 'job-name': 'train' }, annotations: { note: 'x' } },
  spec: {
    nodeName: 'local',
    restartPolicy: 'Never',
    nodeSelector: { role: 'train-gpu' },
    tolerations: [{ key: 'gpu', operator: 'Exists' }],
    containers: [
      {
        name: 'train',
        image: 'python:3.11',
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'hp', key: 'a' } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'tok', key: 'b', optional: true } } },
        ],
        envFrom: [{ configMapRef: { name: 'env' } }],
        resources: { limits: { memory: '1Gi', 'nvidia.com/gpu': '1' } },
      },
    ],
    volumes: [
      { name: 'hp', configMap: { name: 'hp', optional: true } },
      { name: 'models', persistentVolumeClaim: { claimName: 'models' } },
      { name: 'p', projected: { sources: [{ secret: { name: 'creds' } }] } },
    ],
  },
};

test('the cluster pod keeps the spec as written but nodeName, and is labelled and annotated as Drover-made', () => {
  const c = clusterPod(pod, 'ml');
  assert.equal(c.metadata.namespace, 'ml');
  assert.equal(c.metadata.name, 'train-abcde');
  assert.equal(c.spec?.nodeName, undefined);
  const { nodeName: _n, ...rest } = pod.spec!;
  assert.deepEqual(c.spec, rest);
  assert.deepEqual(c.metadata.labels, { 'job-name': 'train', 'app.kubernetes.io/managed-by': 'drover', 'drover.dev/namespace': 'team-a' });
  assert.deepEqual(c.metadata.annotations, { note: 'x', 'drover.dev/uid': 'u-1' });
  assert.equal(pod.spec?.nodeName, 'local', 'the input is not changed');
  assert.deepEqual(droverPodOf(c), { uid: 'u-1', namespace: 'team-a', name: 'train-abcde' });
  assert.equal(droverPodOf({ ...c, metadata: { ...c.metadata, labels: {} } }), undefined, 'not ours without the managed-by label');
});

test('references: ConfigMaps and Secrets from volumes, env and envFrom; required wins over optional; claims', () => {
  const r = references(pod);
  assert.deepEqual([...r.configMaps], [['hp', false], ['env', false]]);
  assert.deepEqual([...r.secrets], [['creds', false], ['tok', true]]);
  assert.deepEqual([...r.claims], ['models']);
});

test('copies drop status, resourceVersion and uid, and a claim its volumeName', () => {
  const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'models', namespace: 'team-a', uid: 'u-2', resourceVersion: '3' }, spec: { accessModes: ['ReadWriteOnce'], volumeName: 'x', resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Bound' } } as KubeObject;
  const c = clusterCopy(pvc, 'ml') as KubeObject & { spec: Record<string, unknown>; status?: unknown };
  assert.deepEqual(c.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
  assert.equal(c.status, undefined);
  assert.equal(c.metadata.resourceVersion, undefined);
  assert.equal(c.metadata.uid, undefined);
  assert.equal(c.metadata.annotations?.['drover.dev/uid'], 'u-2');
  const cm = clusterCopy({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hp', namespace: 'team-a' }, data: { a: '1' } } as KubeObject, 'ml') as KubeObject & { data?: unknown };
  assert.deepEqual(cm.data, { a: '1' });
});

test("mirrored status is the kubelet's, with the scheduler's node", () => {
  const status = {
    phase: 'Failed',
    hostIP: '10.0.0.2',
    startTime: '2026-01-01T00:00:00Z',
    conditions: [{ type: 'Ready', status: 'False' }],
    containerStatuses: [{ name: 'train', image: 'python:3.11', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
  };
  const m = mirroredStatus({ ...pod, spec: { ...pod.spec!, nodeName: 'train-gpu-1' }, status });
  assert.equal(m.nodeName, 'train-gpu-1');
  assert.deepEqual(m.status, status);
});

test('deploy/kubernetes/rbac.yaml grants exactly the permissions the runtime uses', () => {
  const docs = parseAllDocuments(readFileSync(join(REPO, 'deploy', 'kubernetes', 'rbac.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[] });
  const role = docs.find((d) => d.kind === 'Role')!;
  const granted = role.rules!.flatMap((r) => r.resources.flatMap((res) => r.verbs.map((v) => `${r.apiGroups.join(',')}/${res}:${v}`))).sort();
  const needed = REQUIRED_PERMISSIONS.flatMap((p) => p.verbs.map((v) => `/${p.resource}:${v}`)).sort();
  assert.deepEqual(granted, needed);
  assert.deepEqual(docs.map((d) => d.kind).sort(), ['Role', 'RoleBinding', 'ServiceAccount']);
});

test('a cluster Service: selector scoped to its Drover namespace, ClusterIP left to the cluster, headless kept; a digest says when it changed', () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'team-a', uid: 's-1', resourceVersion: '4', labels: { tier: 'front' } }, spec: { clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'], selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] }, status: { loadBalancer: {} } } as KubeObject;
  const c = clusterService(svc, 'ml') as KubeObject & { spec: Record<string, unknown>; status?: unknown };
  assert.deepEqual(c.spec, { selector: { app: 'web', 'drover.dev/namespace': 'team-a' }, ports: [{ port: 80, targetPort: 8080 }] });
  assert.equal(c.status, undefined);
  assert.equal(c.metadata.namespace, 'ml');
  assert.deepEqual(droverPodOf(c), { uid: 's-1', namespace: 'team-a', name: 'web' });
  const headless = clusterService({ ...svc, spec: { clusterIP: 'None', clusterIPs: ['None'], selector: { app: 'web' } } } as KubeObject, 'ml') as KubeObject & { spec: Record<string, unknown> };
  assert.equal(headless.spec['clusterIP'], 'None');
  assert.equal(headless.spec['clusterIPs'], undefined);

  // The cluster's defaults and a different ClusterIP do not read as a change; a new port does.
  const inCluster = { ...c, metadata: { ...c.metadata, uid: 'k-1', resourceVersion: '99' }, spec: { ...c.spec, clusterIP: '10.0.0.7', clusterIPs: ['10.0.0.7'], sessionAffinity: 'None', type: 'ClusterIP' } } as KubeObject;
  assert.ok(serviceUpToDate(inCluster, clusterService({ ...svc, spec: { ...(svc as unknown as { spec: object }).spec, clusterIP: '10.0.0.7' } } as KubeObject, 'ml')));
  const changed = clusterService({ ...svc, spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { port: 81 }] } } as KubeObject, 'ml');
  assert.ok(!serviceUpToDate(inCluster, changed));
  const body = serviceReplacement(inCluster, changed) as KubeObject & { spec: Record<string, unknown> };
  assert.equal(body.metadata.resourceVersion, '99');
  assert.deepEqual([body.spec['clusterIP'], body.spec['clusterIPs']], ['10.0.0.7', ['10.0.0.7']], 'the immutable address is kept');

  assert.deepEqual(clusterIPToMirror(svc, inCluster), { clusterIP: '10.0.0.7', clusterIPs: ['10.0.0.7'] });
  assert.equal(clusterIPToMirror({ ...svc, spec: { clusterIP: '10.0.0.7' } } as KubeObject, inCluster), undefined, 'already the same');
  assert.equal(clusterIPToMirror(svc, headless), undefined, 'headless: no address to take');
});
