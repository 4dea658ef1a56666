/**
 * The conformance scenarios (test/conformance.ts) on the Kubernetes runtime, against the private
 * test cluster (scripts/test-cluster.sh: real kube-apiserver, kube-scheduler and
 * kube-controller-manager; kwok's fake nodes). Drover runs with the namespaced ServiceAccount of
 * deploy/kubernetes/rbac.yaml, never as admin.
 */
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformance } from './conformance.js';
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
});
