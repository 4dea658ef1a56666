/**
 * The pod-runtime conformance suite: the core scenarios written once, run against the local
 * runtime (conformance-local.e2e.test.ts) and the private test cluster
 * (conformance-kubernetes.e2e.test.ts). Each scenario asserts what Drover shows, the same on
 * both; on the cluster it also reads the real objects from the apiserver (binding, requests,
 * env, mounts, copies of ConfigMaps and claims).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { Drover, EXAMPLES, REPO, type DroverOptions } from './drover.js';
import { eventually, type TestCluster } from './cluster.js';

export const MANIFESTS = join(REPO, 'test', 'conformance');
const manifest = (f: string) => join(MANIFESTS, f);

export interface Target {
  kind: 'local' | 'kubernetes';
  /** A fresh Drover server for one scenario; the node options shape the local machine's node. */
  drover(node: Pick<DroverOptions, 'labels' | 'gpus' | 'cpus' | 'memory'>): Promise<Drover>;
  /** Set on the Kubernetes target: the namespace Drover runs in, read with admin rights. */
  cluster?: TestCluster;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface Job {
  status?: { succeeded?: number; failed?: number; active?: number; conditions?: Condition[] };
}
interface Pod {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: Condition[];
    containerStatuses?: { state?: { terminated?: { exitCode: number; reason: string } } }[];
  };
}

const podsOf = async (d: Drover, job: string) => (await d.json<{ items: Pod[] }>(['get', 'pods', '-l', `job-name=${job}`])).items;
const jobOf = (d: Drover, job: string) => d.json<Job>(['get', 'job', job]);
const condition = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** The real pods of a Job in the test namespace. */
async function clusterPods(c: TestCluster, job: string): Promise<k8s.V1Pod[]> {
  return (await c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: `job-name=${job}` })).items;
}

/** client-node's objects are class instances; compare them as the JSON the apiserver sent. */
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** The first container of the first Job in a manifest file, as written. */
function writtenContainer(file: string): Record<string, unknown> {
  const docs = readFileSync(manifest(file), 'utf8').split(/^---$/m).map((t) => parse(t) as { kind: string; spec: { template: { spec: { containers: Record<string, unknown>[] } } } });
  return docs.find((d) => d.kind === 'Job')!.spec.template.spec.containers[0]!;
}

/**
 * Applies a manifest as if it sat in examples/, where the scripts its commands name live (a
 * manifest's directory is its pods' working directory, and the local sandbox sees only that).
 */
async function apply(d: Drover, file: string, text = readFileSync(manifest(file), 'utf8')): Promise<void> {
  await d.ok(['apply', '-f', '-'], text, EXAMPLES);
}

/** Applies `n` copies of a one-Job manifest, named NAME-0…. */
async function applyCopies(d: Drover, file: string, name: string, n: number): Promise<void> {
  const one = readFileSync(manifest(file), 'utf8');
  await apply(d, file, Array.from({ length: n }, (_, i) => one.replace(`name: ${name}\n`, `name: ${name}-${i}\n`)).join('\n---\n'));
}

/**
 * How a pod was told to wait for `why`: its PodScheduled=False condition while it waits, or the
 * scheduler's FailedScheduling event once it no longer does (pods that end in a second free the
 * room before a poll of `get pods`, a CLI start each, may see one wait).
 */
function unschedulable(d: Drover, why: string): Promise<{ reason?: string; message?: string }> {
  return eventually(`a pod waiting (${why})`, async () => {
    const pods = (await d.json<{ items: Pod[] }>(['get', 'pods'])).items;
    const waiting = pods.map((p) => p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')).find((c) => c?.message?.includes(why));
    if (waiting) return waiting;
    const events = (await d.json<{ items: { type?: string; reason?: string; message?: string; involvedObject?: { kind?: string } }[] }>(['get', 'events'])).items;
    return events.find((e) => e.involvedObject?.kind === 'Pod' && e.type === 'Warning' && e.reason === 'FailedScheduling' && e.message?.includes(why));
  });
}

/** The reason a pod waited with, as its condition or the scheduler's event says it. */
const WAITED = ['Unschedulable', 'FailedScheduling'];

async function withDrover(target: Target, node: Parameters<Target['drover']>[0], body: (d: Drover) => Promise<void>): Promise<void> {
  const d = await target.drover(node);
  try {
    await body(d);
  } finally {
    await d.stop();
  }
}

export function conformance(target: () => Target): void {
  const t = () => target();

  test('conformance: a basic Job completes with succeeded 1 and a Complete condition', async () => {
    await withDrover(t(), { cpus: '2', memory: '4Gi' }, async (d) => {
      await apply(d, 'basic.yaml');
      await d.ok(['wait', 'job/basic', '--for=condition=Complete', '--timeout=60s']);
      const job = await jobOf(d, 'basic');
      assert.equal(job.status?.succeeded, 1);
      const [pod] = await podsOf(d, 'basic');
      assert.equal(pod!.status?.phase, 'Succeeded');
      assert.equal(pod!.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
      assert.ok(pod!.spec?.nodeName, 'the pod was bound to a node');
      // On the cluster the log comes through pods/log from kwok, which serves the same lines for every container.
      assert.match(await d.ok(['logs', 'job/basic']), /^accuracy=0\.\d+$/m);
      const c = t().cluster;
      if (!c) return;
      // The real Pod: placed by kube-scheduler on a real Node, with the container as written.
      const [real] = await clusterPods(c, 'basic');
      assert.ok(real, 'the Pod exists in the cluster');
      assert.equal(real.spec?.nodeName, pod!.spec?.nodeName, "Drover shows the cluster's binding");
      await c.core.readNode({ name: real.spec!.nodeName! });
      assert.equal(real.metadata?.labels?.['app.kubernetes.io/managed-by'], 'drover');
      const written = writtenContainer('basic.yaml');
      const got = real.spec!.containers[0]!;
      assert.deepEqual(got.command, written.command);
      assert.deepEqual(plain(got.env), written.env);
      assert.deepEqual(plain({ requests: got.resources?.requests, limits: got.resources?.limits }), written.resources);
      for (const m of written.volumeMounts as k8s.V1VolumeMount[]) assert.ok(got.volumeMounts?.some((g) => g.name === m.name && g.mountPath === m.mountPath), `mount ${m.mountPath}`);
      assert.deepEqual(plain(real.spec?.volumes?.find((v) => v.name === 'scratch')?.emptyDir), {});
    });
  });

  test('conformance: a model saved on a claim by one Job is read by the next', async () => {
    await withDrover(t(), { cpus: '2', memory: '4Gi' }, async (d) => {
      await apply(d, 'model-storage.yaml');
      await d.ok(['wait', 'job/save-model', '--for=condition=Complete', '--timeout=60s']);
      await apply(d, 'evaluate.yaml');
      await d.ok(['wait', 'job/evaluate-model', '--for=condition=Complete', '--timeout=60s']);
      const c = t().cluster;
      if (!c) {
        assert.match(await d.ok(['logs', 'job/evaluate-model']), /accuracy=0\.\d+/);
        return;
      }
      const pvc = await c.core.readNamespacedPersistentVolumeClaim({ name: 'conformance-models', namespace: c.namespace });
      assert.equal(pvc.metadata?.labels?.['app.kubernetes.io/managed-by'], 'drover');
      assert.equal(pvc.status?.phase, 'Bound', 'the claim got a volume from the cluster');
      assert.equal(pvc.spec?.resources?.requests?.storage, '1Gi');
      for (const job of ['save-model', 'evaluate-model']) {
        const [real] = await clusterPods(c, job);
        assert.equal(real!.spec?.volumes?.find((v) => v.name === 'models')?.persistentVolumeClaim?.claimName, 'conformance-models');
      }
    });
  });

  test('conformance: hyperparameters reach the Job from a ConfigMap file, a ConfigMap key and a Secret key', async () => {
    await withDrover(t(), { cpus: '2', memory: '4Gi' }, async (d) => {
      await apply(d, 'hyperparameters.yaml');
      await d.ok(['wait', 'job/hyperparameters', '--for=condition=Complete', '--timeout=60s']);
      const c = t().cluster;
      if (!c) {
        const logs = await d.ok(['logs', 'job/hyperparameters']);
        assert.match(logs, /epochs: 4\s+\(file \/model_hp\/exp\.yaml\)/);
        assert.match(logs, /API_TOKEN=s3cr3t-token/);
        assert.match(logs, /TRAIN_SEED=7/);
        return;
      }
      const cm = await c.core.readNamespacedConfigMap({ name: 'conformance-hp', namespace: c.namespace });
      assert.equal(cm.data?.seed, '7');
      assert.match(cm.data?.['exp.yaml'] ?? '', /epochs: 4/);
      const secret = await c.core.readNamespacedSecret({ name: 'conformance-token', namespace: c.namespace });
      assert.equal(Buffer.from(secret.data?.token ?? '', 'base64').toString(), 's3cr3t-token');
      const [real] = await clusterPods(c, 'hyperparameters');
      assert.deepEqual(plain(real!.spec!.containers[0]!.env), writtenContainer('hyperparameters.yaml').env);
      assert.deepEqual(plain(real!.spec?.volumes?.find((v) => v.name === 'hp')?.configMap?.items), [{ key: 'exp.yaml', path: 'exp.yaml' }]);
    });
  });

  test('conformance: a Job over its memory limit fails with OOMKilled and exit code 137', async () => {
    await withDrover(t(), { cpus: '2', memory: '4Gi' }, async (d) => {
      await apply(d, 'oom.yaml');
      await d.ok(['wait', 'job/oom', '--for=condition=Failed', '--timeout=90s']);
      const [pod] = await podsOf(d, 'oom');
      const term = pod!.status!.containerStatuses![0]!.state!.terminated!;
      assert.equal(term.reason, 'OOMKilled');
      assert.equal(term.exitCode, 137);
      assert.equal(pod!.status?.phase, 'Failed');
      assert.match(await d.ok(['describe', 'pod', pod!.metadata.name]), /OOMKilled/);
    });
  });

  test('conformance: Jobs asking 1.5 CPUs wait for room on 2-CPU train-cpu nodes (Insufficient cpu) and all complete', async () => {
    const n = t().kind === 'local' ? 3 : 6;
    await withDrover(t(), { cpus: '2', memory: '4Gi', labels: ['role=train-cpu'] }, async (d) => {
      await applyCopies(d, 'cpu-jobs.yaml', 'cpu-job', n);
      const waiting = await unschedulable(d, 'Insufficient cpu');
      assert.ok(WAITED.includes(waiting.reason ?? ''), `waited with ${waiting.reason}`);
      for (let i = 0; i < n; i++) await d.ok(['wait', `job/cpu-job-${i}`, '--for=condition=Complete', '--timeout=120s']);
      const c = t().cluster;
      if (!c) return;
      const nodes = new Set<string>();
      for (let i = 0; i < n; i++) {
        const [real] = await clusterPods(c, `cpu-job-${i}`);
        const node: k8s.V1Node = await c.core.readNode({ name: real!.spec!.nodeName! });
        assert.equal(node.metadata?.labels?.role, 'train-cpu', `cpu-job-${i} ran on ${node.metadata?.name}`);
        assert.equal(real!.spec!.containers[0]!.resources?.requests?.cpu, '1500m');
        nodes.add(node.metadata!.name!);
      }
      assert.ok(nodes.size > 1, 'the cluster spread the Jobs over its nodes');
    });
  });

  test('conformance: GPU Jobs with nodeSelector role=train-gpu run only where a GPU is free (local: GPU capacity declared, no physical GPU)', async () => {
    await withDrover(t(), { cpus: '2', memory: '4Gi', gpus: 1, labels: ['role=train-gpu'] }, async (d) => {
      const n = 3;
      await applyCopies(d, 'gpu.yaml', 'gpu', n);
      const waiting = await unschedulable(d, 'Insufficient nvidia.com/gpu');
      assert.ok(WAITED.includes(waiting.reason ?? ''), `waited with ${waiting.reason}`);
      for (let i = 0; i < n; i++) await d.ok(['wait', `job/gpu-${i}`, '--for=condition=Complete', '--timeout=120s']);
      const c = t().cluster;
      if (!c) {
        assert.match(await d.ok(['logs', 'job/gpu-0']), /CUDA_VISIBLE_DEVICES=0/);
        return;
      }
      for (let i = 0; i < n; i++) {
        const [real] = await clusterPods(c, `gpu-${i}`);
        const node: k8s.V1Node = await c.core.readNode({ name: real!.spec!.nodeName! });
        assert.equal(node.metadata?.labels?.role, 'train-gpu');
        assert.equal(node.status?.allocatable?.['nvidia.com/gpu'], '1');
        assert.equal(real!.spec!.containers[0]!.resources?.limits?.['nvidia.com/gpu'], '1');
      }
    });
  });

  test('conformance: a failing Job is retried backoffLimit times, then fails with BackoffLimitExceeded', async () => {
    await withDrover(t(), { cpus: '2', memory: '4Gi' }, async (d) => {
      await apply(d, 'backoff.yaml');
      await d.ok(['wait', 'job/backoff', '--for=condition=Failed', '--timeout=90s']);
      const job = await jobOf(d, 'backoff');
      assert.equal(condition(job, 'Failed')?.reason, 'BackoffLimitExceeded');
      assert.equal(job.status?.failed, 3);
      const pods = await podsOf(d, 'backoff');
      assert.equal(pods.length, 3);
      for (const p of pods) assert.equal(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 3);
      const c = t().cluster;
      if (c) assert.equal((await clusterPods(c, 'backoff')).length, 3, 'one cluster Pod per attempt');
    });
  });

  test('conformance: a Job past activeDeadlineSeconds fails with DeadlineExceeded and its pods are removed', async () => {
    await withDrover(t(), { cpus: '2', memory: '4Gi' }, async (d) => {
      await apply(d, 'deadline.yaml');
      await d.ok(['wait', 'job/deadline', '--for=condition=Failed', '--timeout=60s']);
      assert.equal(condition(await jobOf(d, 'deadline'), 'Failed')?.reason, 'DeadlineExceeded');
      const c = t().cluster;
      if (c) await eventually('the cluster pod to be deleted', async () => ((await clusterPods(c, 'deadline')).length === 0 ? true : undefined));
      else await eventually('the pod to be gone', async () => ((await podsOf(d, 'deadline')).every((p) => p.status?.phase !== 'Running') ? true : undefined));
    });
  });

  test('conformance: a 1 master + 2 worker PyTorchJob gets upstream pod names, environment and headless Services, and succeeds with its master', async () => {
    await withDrover(t(), { cpus: '2', memory: '4Gi' }, async (d) => {
      await apply(d, 'pytorchjob.yaml');
      await d.ok(['wait', 'pytorchjob/ddp', '--for=condition=Succeeded', '--timeout=90s']);
      const pods = (await d.json<{ items: Pod[] }>(['get', 'pods', '-l', 'training.kubeflow.org/job-name=ddp'])).items;
      assert.deepEqual(pods.map((p) => p.metadata.name).sort(), ['ddp-master-0', 'ddp-worker-0', 'ddp-worker-1']);
      assert.ok(pods.every((p) => p.spec?.nodeName), 'every replica was bound to a node');
      const services = (await d.json<{ items: { metadata: { name: string }; spec: { clusterIP?: string } }[] }>(['get', 'svc', '-l', 'training.kubeflow.org/job-name=ddp'])).items;
      assert.deepEqual(services.map((s) => [s.metadata.name, s.spec.clusterIP]).sort(), [['ddp-master-0', 'None'], ['ddp-worker-0', 'None'], ['ddp-worker-1', 'None']]);
      const c = t().cluster;
      if (!c) {
        // Each replica really ran with the operator's variables.
        assert.match(await d.ok(['logs', 'ddp-master-0']), /^rank=0 world=3 master=ddp-master-0:23456$/m);
        assert.match(await d.ok(['logs', 'ddp-worker-1']), /^rank=2 world=3 master=ddp-master-0:23456$/m);
        return;
      }
      // The real Pods, placed by kube-scheduler, and the operator's headless Services beside them.
      const real = (await c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: 'training.kubeflow.org/job-name=ddp' })).items;
      const env = (p: k8s.V1Pod) => Object.fromEntries((p.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
      assert.deepEqual(real.map((p) => [p.metadata!.name, p.spec?.hostname, p.spec?.subdomain, env(p)['RANK'], env(p)['MASTER_ADDR']]).sort(), [
        ['ddp-master-0', 'ddp-master-0', 'ddp', '0', 'ddp-master-0'],
        ['ddp-worker-0', 'ddp-worker-0', 'ddp', '1', 'ddp-master-0'],
        ['ddp-worker-1', 'ddp-worker-1', 'ddp', '2', 'ddp-master-0'],
      ]);
      for (const p of real) await c.core.readNode({ name: p.spec!.nodeName! });
      const svc = await c.core.readNamespacedService({ name: 'ddp-master-0', namespace: c.namespace });
      assert.equal(svc.spec?.clusterIP, 'None');
      assert.deepEqual(svc.spec?.ports?.map((p) => p.port), [23456]);
    });
  });

  test('conformance: an Indexed Job runs one pod per completion index and completes', async () => {
    await withDrover(t(), { cpus: '2', memory: '4Gi' }, async (d) => {
      await apply(d, 'indexed.yaml');
      await d.ok(['wait', 'job/indexed', '--for=condition=Complete', '--timeout=60s']);
      assert.equal((await jobOf(d, 'indexed')).status?.succeeded, 3);
      const indexes = (await podsOf(d, 'indexed')).map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort();
      assert.deepEqual(indexes, ['0', '1', '2']);
      const c = t().cluster;
      if (!c) {
        const logs = await d.ok(['logs', '-l', 'job-name=indexed']);
        for (const i of [0, 1, 2]) assert.match(logs, new RegExp(`shard ${i}`));
        return;
      }
      const real = await clusterPods(c, 'indexed');
      assert.deepEqual(real.map((p) => p.spec!.containers[0]!.env?.find((e) => e.name === 'JOB_COMPLETION_INDEX')?.value).sort(), ['0', '1', '2']);
    });
  });

}
