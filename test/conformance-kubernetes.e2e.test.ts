/**
 * The conformance scenarios (test/conformance.ts) on the Kubernetes runtime, against the private
 * test cluster (scripts/test-cluster.sh: real kube-apiserver, kube-scheduler and
 * kube-controller-manager; kwok's fake nodes). Drover runs with the namespaced ServiceAccount of
 * deploy/kubernetes/rbac.yaml, never as admin.
 */
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformance } from './conformance.js';
import * as k8s from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { Drover, REPO } from './drover.js';
import { clusterUnavailable, eventually, prepareNamespace, skipUnlessCluster, type TestCluster } from './cluster.js';

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

  test('Drover killed while its pods run resyncs from the cluster on restart: no duplicate pod, nothing lost', async () => {
    const d = await Drover.start({ kubernetes: { kubeconfig: cluster.droverKubeconfig, namespace: cluster.namespace } });
    try {
      const job = ['apiVersion: batch/v1', 'kind: Job', 'metadata: {name: survive}', 'spec:', '  completions: 4', '  parallelism: 4', '  template:',
        '    metadata: {annotations: {kwok.drover.dev/run-for: 3s}}', '    spec:', '      restartPolicy: Never', '      containers: [{name: w, image: busybox, command: [sleep, "3"]}]', ''].join('\n');
      await d.ok(['apply', '-f', '-'], job);
      const pods = async () => (await cluster.core.listNamespacedPod({ namespace: cluster.namespace, labelSelector: 'job-name=survive' })).items;
      await eventually('4 running cluster pods', async () => ((await pods()).filter((p) => p.status?.phase === 'Running').length === 4 ? true : undefined));
      const before = (await pods()).map((p) => p.metadata!.uid).sort();
      await d.kill9();
      await d.up();
      await d.ok(['wait', 'job/survive', '--for=condition=Complete', '--timeout=60s']);
      const after = await pods();
      assert.deepEqual(after.map((p) => p.metadata!.uid).sort(), before, 'the same 4 cluster pods, none made twice');
      assert.equal((await d.json<{ status: { succeeded: number } }>(['get', 'job', 'survive'])).status.succeeded, 4);
      const drover = (await d.json<{ items: { status?: { phase?: string } }[] }>(['get', 'pods', '-l', 'job-name=survive'])).items;
      assert.deepEqual(drover.map((p) => p.status?.phase), ['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded']);
    } finally {
      await d.stop();
    }
  });

  test('pods of the same name from two Drover namespaces: the second fails with NameConflict, naming the first', async () => {
    const d = await Drover.start({ kubernetes: { kubeconfig: cluster.droverKubeconfig, namespace: cluster.namespace } });
    try {
      const pod = (ns: string) => ['apiVersion: v1', 'kind: Pod', `metadata: {name: clash, namespace: ${ns}, annotations: {kwok.drover.dev/run-for: 20s}}`, 'spec:', '  restartPolicy: Never', '  containers: [{name: w, image: busybox, command: [sleep, "20"]}]', ''].join('\n');
      await d.ok(['apply', '-f', '-'], pod('default'));
      await eventually('the first pod to run', async () => ((await d.json<{ status?: { phase?: string } }>(['get', 'pod', 'clash'])).status?.phase === 'Running' ? true : undefined));
      await d.ok(['apply', '-f', '-'], ['apiVersion: v1', 'kind: Namespace', 'metadata: {name: team-b}', '---', pod('team-b')].join('\n'));
      const second = await eventually('the second pod to fail', async () => {
        const p = await d.json<{ status?: { phase?: string; reason?: string; message?: string } }>(['get', 'pod', 'clash', '-n', 'team-b']);
        return p.status?.phase === 'Failed' ? p.status : undefined;
      });
      assert.equal(second.reason, 'NameConflict');
      assert.match(second.message ?? '', /already taken in cluster namespace .* by Drover's pod default\/clash/);
      assert.equal((await d.json<{ status?: { phase?: string } }>(['get', 'pod', 'clash'])).status?.phase, 'Running', 'the first is untouched');
    } finally {
      await d.stop();
    }
  });

  test('a namespace outside the ServiceAccount\'s Role is refused at start, naming the missing permissions', async () => {
    const home = mkdtempSync(join(tmpdir(), 'drover-forbidden-'));
    try {
      const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(process.execPath, [join(REPO, 'bin', 'drover.js'), 'up', '--port', '0', '--home', home, '--runtime', 'kubernetes', '--kubeconfig', cluster.droverKubeconfig, '--namespace', 'default'], { env: { ...process.env, DROVER_SERVER: '' }, timeout: 30_000 }, (err, _out, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
        ),
      );
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`system:serviceaccount:${cluster.namespace}:drover`));
      assert.match(r.stderr, /may not create pods, delete pods, list pods, watch pods, get pods\/log, .* in namespace "default"/);
      assert.match(r.stderr, /deploy\/kubernetes\/rbac\.yaml/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('deploy/kubernetes applies as kustomize would: the server pod is placed with its ServiceAccount and a bound state claim', async () => {
    const dir = join(REPO, 'deploy', 'kubernetes');
    const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[]; images: { name: string; newName: string; newTag: string }[] };
    const objects = kustomization.resources.flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as k8s.KubernetesObject & Record<string, unknown>));
    const ns = `${cluster.namespace}-server`;
    await cluster.core.createNamespace({ body: { metadata: { name: ns } } });
    try {
      const api = k8s.KubernetesObjectApi.makeApiClient(cluster.admin);
      // What kustomize's namespace and images fields do.
      const text = JSON.stringify(objects).replaceAll('"namespace":"drover"', `"namespace":"${ns}"`).replaceAll('"image":"drover"', `"image":"${kustomization.images[0]!.newName}:${kustomization.images[0]!.newTag}"`);
      for (const o of JSON.parse(text) as k8s.KubernetesObject[]) await api.create({ ...o, metadata: { ...o.metadata, namespace: ns } });
      const pod = await eventually('the server pod to run', async () => (await cluster.core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/name=drover' })).items.find((p) => p.status?.phase === 'Running'), 60_000);
      assert.equal(pod.spec?.serviceAccountName, 'drover');
      assert.equal(pod.spec?.containers[0]?.image, 'drover:0.1.0');
      assert.deepEqual(pod.spec?.containers[0]?.args?.slice(0, 3), ['up', '--runtime', 'kubernetes']);
      const pvc = await cluster.core.readNamespacedPersistentVolumeClaim({ name: 'drover-state', namespace: ns });
      assert.equal(pvc.status?.phase, 'Bound');
      const rb = await cluster.admin.makeApiClient(k8s.RbacAuthorizationV1Api).readNamespacedRoleBinding({ name: 'drover', namespace: ns });
      assert.deepEqual(JSON.parse(JSON.stringify(rb.subjects)), [{ kind: 'ServiceAccount', name: 'drover', namespace: ns }]);
    } finally {
      await cluster.core.deleteNamespace({ name: ns }).catch(() => undefined);
    }
  });

  // Last: the restart slows the cluster down for a while.
  test('a kube-apiserver restart while a Job runs: the watch is re-established, the Job completes, later Jobs run', async () => {
    const d = await Drover.start({ kubernetes: { kubeconfig: cluster.droverKubeconfig, namespace: cluster.namespace } });
    try {
      const job = (name: string, runFor: string) => ['apiVersion: batch/v1', 'kind: Job', `metadata: {name: ${name}}`, 'spec:', '  template:', `    metadata: {annotations: {kwok.drover.dev/run-for: ${runFor}}}`, '    spec:', '      restartPolicy: Never', '      containers: [{name: w, image: busybox, command: ["true"]}]', ''].join('\n');
      await d.ok(['apply', '-f', '-'], job('across-restart', '6s'));
      await eventually('the pod to run', async () => ((await d.json<{ items: { status?: { phase?: string } }[] }>(['get', 'pods', '-l', 'job-name=across-restart'])).items[0]?.status?.phase === 'Running' ? true : undefined));
      await new Promise<void>((resolve, reject) =>
        execFile('bash', [join(REPO, 'scripts', 'test-cluster.sh'), 'restart-apiserver'], { timeout: 120_000 }, (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve())),
      );
      await d.ok(['wait', 'job/across-restart', '--for=condition=Complete', '--timeout=120s']);
      await d.ok(['apply', '-f', '-'], job('after-restart', '200ms'));
      await d.ok(['wait', 'job/after-restart', '--for=condition=Complete', '--timeout=120s']);
      assert.match(d.logs, /cluster pod watch ended; restarting it/, 'the runtime saw its watch end and started it again');
    } finally {
      await d.stop();
    }
  });
});
