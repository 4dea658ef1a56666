/**
 * Kubernetes runtime overhead: N pods submitted as Jobs through Drover to the private test
 * cluster vs the same Pods created directly with @kubernetes/client-node, at the same client
 * QPS, side by side in one run. The time is from the first request until every pod is bound by
 * kube-scheduler and finished (kwok ends each pod after a short run), read from a watch on the
 * cluster in both cases.
 *
 *   npm run test-cluster -- up && npm run test-cluster -- nodes 100
 *   npm run bench:kubernetes [-- --pods 1000 --qps 100]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { loadConfig } from '../src/config/index.js';
import { startControlPlane } from '../src/server/index.js';
import { silentLogger } from '../src/util/logger.js';
import { TokenBucket } from '../src/util/ratelimit.js';
import { api } from './common.js';

const { values } = parseArgs({ options: { pods: { type: 'string', default: '1000' }, qps: { type: 'string', default: '100' } } });
const PODS = Number(values.pods);
const QPS = Number(values.qps);
const STATE = process.env.DROVER_TEST_CLUSTER_DIR ?? join(homedir(), '.local', 'state', 'drover', 'test-cluster');
const KUBECONFIG = join(STATE, 'admin.kubeconfig');

const kc = new k8s.KubeConfig();
kc.loadFromFile(KUBECONFIG);
const core = kc.makeApiClient(k8s.CoreV1Api);

const benchNodes = (await core.listNode({ labelSelector: 'role=bench' })).items.length;
if (benchNodes === 0) {
  console.error('no role=bench nodes in the test cluster: run `npm run test-cluster -- nodes 100` first');
  process.exit(1);
}

/** The pod both sides run: 100m CPU on a bench node, ended by kwok 200 ms after it starts. */
const podSpec = (): k8s.V1PodSpec => ({
  restartPolicy: 'Never',
  nodeSelector: { role: 'bench' },
  containers: [{ name: 'main', image: 'busybox', command: ['true'], resources: { requests: { cpu: '100m' } } }],
});
const podAnnotations = { 'kwok.drover.dev/run-for': '200ms' };

interface Times {
  bound: number;
  finished: number;
}

/** Follows a namespace's pods (an informer: it lists again if its watch ends) until `n` have finished. */
async function watchUntilDone(namespace: string, n: number, t0: () => number): Promise<{ done: Promise<Times>; stop: () => void }> {
  const bound = new Set<string>();
  const finished = new Set<string>();
  let times: Times = { bound: 0, finished: 0 };
  let resolve!: (t: Times) => void;
  const done = new Promise<Times>((r) => (resolve = r));
  const informer = k8s.makeInformer<k8s.V1Pod>(kc, `/api/v1/namespaces/${namespace}/pods`, () => core.listNamespacedPod({ namespace }));
  const seen = (pod: k8s.V1Pod) => {
    const name = pod.metadata!.name!;
    if (pod.spec?.nodeName && !bound.has(name)) {
      bound.add(name);
      if (bound.size === n) times = { ...times, bound: performance.now() - t0() };
    }
    if ((pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') && !finished.has(name)) {
      finished.add(name);
      if (finished.size === n) {
        times = { ...times, finished: performance.now() - t0() };
        resolve(times);
      }
    }
  };
  let stopped = false;
  informer.on('add', seen);
  informer.on('update', seen);
  informer.on('error', () => {
    if (!stopped) setTimeout(() => void informer.start(), 100);
  });
  await informer.start();
  return {
    done,
    stop: () => {
      stopped = true;
      void informer.stop();
    },
  };
}

async function freshNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  for (let i = 0; i < 100; i++) {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
      return name;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return name;
}

async function direct(PODS: number): Promise<Times> {
  const ns = await freshNamespace('bench-direct');
  let start = 0;
  const w = await watchUntilDone(ns, PODS, () => start);
  const bucket = new TokenBucket(QPS, 2 * QPS);
  start = performance.now();
  await Promise.all(
    Array.from({ length: PODS }, async (_, i) => {
      await bucket.take();
      await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: `direct-${i}`, annotations: podAnnotations }, spec: podSpec() } });
    }),
  );
  const t = await w.done;
  w.stop();
  await core.deleteNamespace({ name: ns });
  return t;
}

async function throughDrover(PODS: number): Promise<Times> {
  const ns = await freshNamespace('bench-drover');
  const home = mkdtempSync(join(tmpdir(), 'drover-bench-k8s-'));
  const config = loadConfig({ home, port: 0, runtime: { kind: 'kubernetes', kubeconfig: KUBECONFIG, namespace: ns, qps: QPS } }, { ...process.env, DROVER_LOG_LEVEL: 'error' });
  const cp = await startControlPlane(config, { logger: silentLogger });
  try {
    let start = 0;
    const w = await watchUntilDone(ns, PODS, () => start);
    const jobs = Array.from({ length: PODS }, (_, i) =>
      JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `job-${i}` }, spec: { backoffLimit: 0, template: { metadata: { annotations: podAnnotations }, spec: podSpec() } } }),
    ).join('\n---\n');
    start = performance.now();
    const r = await api(cp, `/apis/drover.dev/v1/namespaces/default/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ documents: [{ file: 'bench.yaml', text: jobs, sourceDir: home }] }),
    });
    if (!r.ok) throw new Error(await r.text());
    const t = await w.done;
    w.stop();
    return t;
  } finally {
    await cp.stop();
    rmSync(home, { recursive: true, force: true });
    await core.deleteNamespace({ name: ns });
  }
}

console.log(`${PODS} pods on ${benchNodes} fake nodes (kwok), client QPS ${QPS} (burst ${2 * QPS}) on both sides`);
// A small round of each first, so neither pays for a cold cache or fresh nodes.
await direct(20);
await throughDrover(20);
const d = await direct(PODS);
const v = await throughDrover(PODS);
const row = (label: string, a: number, b: number) => `${label.padEnd(40)} ${(a / 1000).toFixed(2).padStart(9)} ${(b / 1000).toFixed(2).padStart(9)} ${(b / a).toFixed(2).padStart(7)}x`;
console.log(`${'measurement (s)'.padEnd(40)} ${'direct'.padStart(9)} ${'drover'.padStart(9)} ${'ratio'.padStart(8)}`);
console.log(row('all pods bound by kube-scheduler', d.bound, v.bound));
console.log(row('all pods finished', d.finished, v.finished));
console.log(`Drover's overhead: ${((v.finished - d.finished) / PODS).toFixed(2)} ms per pod (Jobs admitted, stored, turned into pods, pods mirrored back)`);
