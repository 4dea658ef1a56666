/**
 * Job overhead: a trivial Job (`true`) from apply to Complete through Drover vs spawning
 * `true` directly, one at a time and as 200 with parallelism 2, measured side by side in one
 * run. Drover is driven through its HTTP API (what the CLI calls), in a server of its own.
 *
 *   npm run bench   [-- --runs 30 --batch 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/index.js';
import { startControlPlane } from '../src/server/index.js';
import { silentLogger } from '../src/util/logger.js';
import { MANIFEST_DIR, applyManifests, median, spawnTrue, withConcurrency, api } from './common.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' }, batch: { type: 'string', default: '200' } } });
const RUNS = Number(values.runs);
const BATCH = Number(values.batch);

const home = mkdtempSync(join(tmpdir(), 'drover-bench-'));
const cp = await startControlPlane(loadConfig({ home, port: 0, capacity: { cpu: '2', memory: '8Gi' } }, { ...process.env, DROVER_LOG_LEVEL: 'error' }), { logger: silentLogger });

const jobYaml = (name: string, cpu: string) => `apiVersion: batch/v1
kind: Job
metadata: { name: ${name} }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: main, image: busybox, command: ["true"], resources: { requests: { cpu: "${cpu}" } } }]
`;

/** Resolves when every named Job is Complete, watching the Job collection. */
async function waitComplete(names: Set<string>): Promise<void> {
  const res = await api(cp, `/apis/batch/v1/namespaces/default/jobs?watch=true`);
  const reader = res.body!.getReader();
  const left = new Set(names);
  let buf = '';
  const decoder = new TextDecoder();
  while (left.size) {
    const { value, done } = await reader.read();
    if (done) throw new Error('watch ended');
    buf += decoder.decode(value, { stream: true });
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const e = JSON.parse(l) as { object: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } } };
      const c = e.object.status?.conditions ?? [];
      if (c.some((x) => x.type === 'Failed' && x.status === 'True')) throw new Error(`job ${e.object.metadata.name} failed`);
      if (c.some((x) => x.type === 'Complete' && x.status === 'True')) left.delete(e.object.metadata.name);
    }
  }
  await reader.cancel();
}

const apply = (text: string) => applyManifests(cp, MANIFEST_DIR, text);

async function deleteJobs(names: string[]): Promise<void> {
  for (const n of names) await api(cp, `/apis/batch/v1/namespaces/default/jobs/${n}`, { method: 'DELETE' });
}

try {
  // Warm both paths once.
  await spawnTrue();
  await apply(jobYaml('warm', '100m'));
  await waitComplete(new Set(['warm']));
  await deleteJobs(['warm']);

  const bare: number[] = [];
  const drover: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    await spawnTrue();
    bare.push(performance.now() - t);
    const name = `single-${i}`;
    t = performance.now();
    const done = waitComplete(new Set([name]));
    await apply(jobYaml(name, '100m'));
    await done;
    drover.push(performance.now() - t);
    await deleteJobs([name]);
  }

  let t = performance.now();
  await withConcurrency(2, BATCH, spawnTrue);
  const bareBatch = performance.now() - t;
  // 1 CPU each on a 2-CPU node: the scheduler runs two at a time.
  const names = Array.from({ length: BATCH }, (_, i) => `batch-${i}`);
  t = performance.now();
  const all = waitComplete(new Set(names));
  await apply(names.map((n) => jobYaml(n, '1')).join('---\n'));
  await all;
  const droverBatch = performance.now() - t;
  await deleteJobs(names);

  const row = (label: string, a: number, b: number) => `${label.padEnd(44)} ${a.toFixed(1).padStart(9)} ${b.toFixed(1).padStart(9)} ${(b / a).toFixed(1).padStart(7)}x`;
  console.log(`${'measurement (ms)'.padEnd(44)} ${'bare'.padStart(9)} ${'drover'.padStart(9)} ${'ratio'.padStart(8)}`);
  console.log(row(`one trivial Job, apply→Complete (median of ${RUNS})`, median(bare), median(drover)));
  console.log(row(`${BATCH} trivial Jobs, parallelism 2 (total)`, bareBatch, droverBatch));
  console.log(row(`${BATCH} trivial Jobs, parallelism 2 (per job)`, bareBatch / BATCH, droverBatch / BATCH));
  console.log(`overhead per Job: ${(median(drover) - median(bare)).toFixed(1)} ms single, ${((droverBatch - bareBatch) / BATCH).toFixed(1)} ms in the batch (sandbox, cgroups, store writes, scheduling)`);
} finally {
  await cp.stop();
  rmSync(home, { recursive: true, force: true });
}
