/**
 * Training job overhead: a 3-replica PyTorchJob (1 master + 2 workers) from apply until all three
 * replicas run, through Drover, vs starting the same 3 processes directly until each has printed
 * that it is up, measured side by side in one run. Drover is driven through its HTTP API in a server
 * of its own; a replica counts as running when its pod's phase says so (the runtime writes it once
 * the container started).
 *
 *   npm run bench:training   [-- --runs 15]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/index.js';
import { startControlPlane } from '../src/server/index.js';
import { silentLogger } from '../src/util/logger.js';
import { api, applyManifests, median } from './common.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const RUNS = Number(values.runs);
const COMMAND = 'echo up; exec sleep 60';

const home = mkdtempSync(join(tmpdir(), 'drover-bench-'));
// Where the replicas start: anywhere but the server's home, which sandboxes hide.
const work = mkdtempSync(join(tmpdir(), 'drover-bench-work-'));
chmodSync(work, 0o755);
const cp = await startControlPlane(loadConfig({ home, port: 0, capacity: { cpu: '2', memory: '8Gi' } }, { ...process.env, DROVER_LOG_LEVEL: 'error' }), { logger: silentLogger });

const jobYaml = (name: string) => `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: { name: ${name} }
spec:
  pytorchReplicaSpecs:
    Master:
      template: { spec: { containers: [{ name: pytorch, image: x, command: [sh, -c, "${COMMAND}"], resources: { requests: { cpu: 100m } } }] } }
    Worker:
      replicas: 2
      template: { spec: { containers: [{ name: pytorch, image: x, command: [sh, -c, "${COMMAND}"], resources: { requests: { cpu: 100m } } }] } }
`;

/** Resolves when the job's three pods are Running, watching pods by the job's label. */
async function waitRunning(job: string): Promise<void> {
  const res = await api(cp, `/api/v1/namespaces/default/pods?watch=true&labelSelector=${encodeURIComponent(`training.kubeflow.org/job-name=${job}`)}`);
  const reader = res.body!.getReader();
  const running = new Set<string>();
  let buf = '';
  const decoder = new TextDecoder();
  while (running.size < 3) {
    const { value, done } = await reader.read();
    if (done) throw new Error('watch ended');
    buf += decoder.decode(value, { stream: true });
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const e = JSON.parse(l) as { object: { metadata: { name: string }; status?: { phase?: string } } };
      if (e.object.status?.phase === 'Running') running.add(e.object.metadata.name);
      if (e.object.status?.phase === 'Failed') throw new Error(`${e.object.metadata.name} failed`);
    }
  }
  await reader.cancel();
}

/** Starts the three processes directly; resolves when each has said it is up. */
async function bare(): Promise<ChildProcess[]> {
  const children = Array.from({ length: 3 }, () => spawn('sh', ['-c', COMMAND], { stdio: ['ignore', 'pipe', 'ignore'] }));
  await Promise.all(children.map((c) => new Promise<void>((resolve, reject) => {
    c.once('error', reject);
    c.stdout!.once('data', () => resolve());
  })));
  return children;
}

async function deleteJob(name: string): Promise<void> {
  await api(cp, `/apis/kubeflow.org/v1/namespaces/default/pytorchjobs/${name}`, { method: 'DELETE' });
}

try {
  for (const c of await bare()) c.kill();
  await applyManifests(cp, work, jobYaml('warm'));
  await waitRunning('warm');
  await deleteJob('warm');

  const direct: number[] = [];
  const drover: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const children = await bare();
    direct.push(performance.now() - t);
    for (const c of children) c.kill();
    const name = `job-${i}`;
    t = performance.now();
    const running = waitRunning(name);
    await applyManifests(cp, work, jobYaml(name));
    await running;
    drover.push(performance.now() - t);
    await deleteJob(name);
  }
  const row = (label: string, a: number, b: number) => `${label.padEnd(52)} ${a.toFixed(1).padStart(9)} ${b.toFixed(1).padStart(9)} ${(b / a).toFixed(1).padStart(7)}x`;
  console.log(`${'measurement (ms)'.padEnd(52)} ${'bare'.padStart(9)} ${'drover'.padStart(9)} ${'ratio'.padStart(8)}`);
  console.log(row(`3 replicas, apply→all running (median of ${RUNS})`, median(direct), median(drover)));
  console.log(`overhead per job: ${(median(drover) - median(direct)).toFixed(1)} ms (validation, store writes, gang scheduling, 3 sandboxes and cgroups)`);
} finally {
  await cp.stop();
  rmSync(home, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
