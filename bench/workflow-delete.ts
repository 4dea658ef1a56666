/**
 * Deleting a finished wide workflow: how long `drover delete workflow` takes, until its pods are
 * gone from the API, and until the runtime has removed their files, with the CLI's latency
 * sampled meanwhile.
 *
 *   node dist/bench/workflow-delete.js [--pods 2000,10000] [--real]
 *
 * Running 10,000 real containers first would take many minutes, so the finished workflow is
 * written into the store while the server is down: a real two-task workflow is run, its pod and
 * its pod node are copied N times (each copy its own name, uid and a pod directory with a log,
 * as a finished step leaves it), and the server is started again. For the deletion path that is
 * the state a real run leaves: finished pods bound to this node, owned by the workflow, whose
 * cgroups went when they ended and whose logs stay until they are deleted. `--real` runs the N
 * steps for real instead (minutes at 10,000).
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Drover, sleep } from '../test/drover.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { KINDS } from '../src/registry.js';
import type { KubeObject } from '../src/api/types.js';
import type { WriteOp } from '../src/store/types.js';

const { values } = parseArgs({ options: { pods: { type: 'string', default: '2000,10000' }, real: { type: 'boolean', default: false } } });
const sizes = values.pods!.split(',').map(Number);

interface Node {
  id: string;
  name: string;
  displayName: string;
  type: string;
  children?: string[];
  [k: string]: unknown;
}
type Wf = KubeObject & { status: { phase?: string; nodes: Record<string, Node> } };

const seedManifest = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: seed }
spec:
  entrypoint: fan
  templates:
  - name: fan
    steps:
    - - { name: task, template: one, withSequence: { count: "2" } }
  - name: one
    container: { image: busybox, command: [sh, -c, "echo done"] }
`;

async function one(n: number): Promise<string> {
  const d = await Drover.start({ cpus: '2', memory: '4Gi' });
  try {
    if (values.real) {
      const t = performance.now();
      await d.ok(['create', '-f', '-'], seedManifest.replace('name: seed', 'name: big').replace('count: "2"', `count: "${n}"`).replace('echo done', 'true'));
      for (;;) {
        const wf = await d.json<Wf>(['get', 'workflow', 'big']);
        if (wf.status?.phase === 'Succeeded') break;
        if (wf.status?.phase === 'Failed' || wf.status?.phase === 'Error') throw new Error(`workflow ${wf.status.phase}`);
        await sleep(1000);
      }
      console.log(`  ran ${n} real steps in ${((performance.now() - t) / 1000).toFixed(0)} s`);
      return await measure(d, n, 'real run');
    }
    await d.ok(['create', '-f', '-'], seedManifest);
    for (;;) {
      const wf = await d.json<Wf>(['get', 'workflow', 'seed']);
      if (wf.status?.phase === 'Succeeded') break;
      if (wf.status?.phase === 'Failed' || wf.status?.phase === 'Error') throw new Error(`seed workflow ${wf.status.phase}`);
      await sleep(200);
    }
    const seed = await d.json<Wf>(['get', 'workflow', 'seed']);
    const seedPods = (await d.json<{ items: KubeObject[] }>(['get', 'pods', '-l', 'workflows.argoproj.io/workflow=seed'])).items;
    const podTemplate = seedPods[0]!;
    type Ev = { involvedObject: { uid: string }; type: 'Normal' | 'Warning'; reason: string; message: string; source?: { component?: string } };
    const seedEvents = (await d.json<{ items: Ev[] }>(['get', 'events'])).items.filter((e) => e.involvedObject.uid === podTemplate.metadata.uid);
    await d.ok(['down']);

    // The copy: a workflow `big` whose loop has n pod nodes, and n finished pods it owns.
    const podsDir = join(d.home, 'pods');
    const seedPodDir = join(podsDir, podTemplate.metadata.uid!);
    const wfUid = randomUUID();
    const nodes: Record<string, Node> = {};
    const podNode = Object.values(seed.status.nodes).find((x) => x.type === 'Pod')!;
    const loop = Object.values(seed.status.nodes).find((x) => (x.children ?? []).includes(podNode.id))!;
    for (const [id, node] of Object.entries(seed.status.nodes)) {
      if (node.type === 'Pod') continue;
      nodes[id] = { ...structuredClone(node), name: node.name.replace(/^seed/, 'big') };
    }
    const ops: WriteOp[] = [];
    const podNames: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `big-one-${i.toString(36).padStart(6, '0')}`;
      podNames.push(name);
      nodes[name] = { ...structuredClone(podNode), id: name, name: `big[0].task(${i}:${i})`, displayName: `task(${i}:${i})` };
      const pod = structuredClone(podTemplate);
      const uid = randomUUID();
      pod.metadata = {
        ...pod.metadata,
        name,
        uid,
        labels: { ...pod.metadata.labels, 'workflows.argoproj.io/workflow': 'big' },
        ownerReferences: [{ ...pod.metadata.ownerReferences![0]!, name: 'big', uid: wfUid }],
      };
      delete pod.metadata.resourceVersion;
      ops.push({ op: 'create', object: pod });
      if (existsSync(seedPodDir)) cpSync(seedPodDir, join(podsDir, uid), { recursive: true });
      else mkdirSync(join(podsDir, uid), { recursive: true });
    }
    nodes[loop.id]!.children = podNames;
    const wf: Wf = { ...structuredClone(seed), metadata: { ...seed.metadata, name: 'big', uid: wfUid, labels: { ...seed.metadata.labels } }, status: { ...seed.status, nodes } };
    delete wf.metadata.resourceVersion;
    const store = new SqliteStore(join(d.home, 'state.db'), { kinds: KINDS });
    await store.writeAll([{ op: 'create', object: wf }]);
    for (let i = 0; i < ops.length; i += 1000) {
      for (const pod of await store.writeAll(ops.slice(i, i + 1000))) {
        for (const e of seedEvents) await store.recordEvent({ involved: pod, type: e.type, reason: e.reason, message: e.message.replaceAll(podTemplate.metadata.name!, pod.metadata.name!), source: e.source?.component ?? 'kubelet' });
      }
    }
    await store.close();
    console.log(`  store before: ${storeFiles(d.home)}`);
    await d.up();
    // Let the start settle (informers listed, the runtime's adoption done).
    await d.ok(['get', 'workflow', 'big']);
    await sleep(2000);
    return await measure(d, n, `copied, ${seedEvents.length} events each`);
  } finally {
    await d.stop();
  }
}

/** The store's database and write-ahead log, in MiB. */
function storeFiles(home: string): string {
  return ['state.db', 'state.db-wal'].map((f) => `${f} ${((existsSync(join(home, f)) ? statSync(join(home, f)).size : 0) / 2 ** 20).toFixed(1)} MiB`).join(', ');
}

async function measure(d: Drover, n: number, how: string): Promise<string> {
  const podsDir = join(d.home, 'pods');
  const dirsBefore = readdirSync(podsDir).length;
  let done = false;
  const latencies: number[] = [];
  const sampler = (async () => {
    while (!done) {
      const t = performance.now();
      await d.cli(['get', 'nodes']);
      latencies.push(performance.now() - t);
      await sleep(100);
    }
  })();
  const t0 = performance.now();
  const r = await d.cli(['delete', 'workflow', 'big', '--timeout', '600s']);
  const tCli = performance.now() - t0;
  if (r.code !== 0) throw new Error(`delete failed: ${r.stderr}`);
  let tPods = 0;
  for (;;) {
    const left = (await (await d.api('/api/v1/namespaces/default/pods?labelSelector=workflows.argoproj.io/workflow%3Dbig')).json()) as { items: unknown[] };
    if (left.items.length === 0) {
      tPods = performance.now() - t0;
      break;
    }
    await sleep(50);
  }
  let tFiles = 0;
  for (;;) {
    if (readdirSync(podsDir).length <= dirsBefore - n) {
      tFiles = performance.now() - t0;
      break;
    }
    if (performance.now() - t0 > 600_000) throw new Error('pod directories still there after 10 minutes');
    await sleep(50);
  }
  done = true;
  await sampler;
  console.log(`  store after the delete: ${storeFiles(d.home)}`);
  await sleep(12_000);
  console.log(`  12 s later: ${storeFiles(d.home)}`);
  const sorted = [...latencies].sort((a, b) => a - b);
  const max = sorted[sorted.length - 1] ?? 0;
  const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] ?? 0;
  return `${String(n).padStart(6)} pods (${how})  delete returned ${(tCli / 1000).toFixed(1).padStart(6)} s  pods gone ${(tPods / 1000).toFixed(1).padStart(6)} s  files gone ${(tFiles / 1000).toFixed(1).padStart(6)} s  CLI p99 ${Math.round(p99)} ms, max ${Math.round(max)} ms (${latencies.length} calls)`;
}

console.log('Deleting a finished workflow of N pods (drover delete workflow, waiting as kubectl does):');
for (const n of sizes) console.log(await one(n));
