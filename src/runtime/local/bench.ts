/**
 * Spawn overhead of the local runtime, one container at a time, median of N:
 *
 *   bare      spawn('true') until its exit event
 *   executor  cgroup create + launcher (sh → [unshare → mount overlay →] bwrap, started by the
 *             spawner's helper process) + `true` until exit
 *   pod       store.create(Pod) until the store says Succeeded (status writes, events included)
 *
 *   node dist/src/runtime/local/bench.js [N]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject, Pod } from '../../api/index.js';
import { openSqliteStore } from '../../store/index.js';
import { systemClock } from '../../util/clock.js';
import { silentLogger } from '../../util/logger.js';
import { AttemptProcess, attemptPaths } from './executor.js';
import { probeHost } from './host.js';
import { bwrapArgs, launcher, type RootSpec } from './sandbox.js';
import { LocalPodRuntime } from './runtime.js';
import { Spawner } from './spawner.js';
import { KINDS } from '../../registry.js';

const N = Number(process.argv[2] ?? 50);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;

async function bare(): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await new Promise((r) => spawn('true', [], { stdio: 'ignore' }).once('exit', r));
    out.push(performance.now() - t);
  }
  return out;
}

async function executor(home: string, mode: 'overlay' | 'readonly'): Promise<number[]> {
  const parent = `drover-bench-${process.pid}`;
  const facts = await probeHost({ home, cgroupParent: parent, rootfs: mode });
  const podDir = join(home, 'pods', `bench-${mode}`);
  const spawner = new Spawner();
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const paths = attemptPaths(podDir, 'main', i);
    const root: RootSpec = mode === 'overlay' ? { mode, upper: join(paths.rootfs, 'upper'), work: join(paths.rootfs, 'work'), merged: join(paths.rootfs, 'merged') } : { mode, entries: facts.rootEntries };
    if (root.mode === 'overlay') for (const d of [root.upper, root.work, root.merged]) mkdirSync(d, { recursive: true });
    else mkdirSync(paths.dir, { recursive: true });
    const cg = facts.cgroups.create(`bench-${mode}`, 'main', { memoryBytes: 256 << 20, cpuMillis: 1000 });
    const args = bwrapArgs({ root, hostMounts: facts.hostMounts, masks: [home], hostname: 'bench', volumeMounts: [], devices: [], workingDir: '/', createWorkingDir: false, readOnlyPaths: [], statusFd: 3, argv: ['true'] });
    const l = launcher({ sh: facts.sh, bwrap: facts.bwrap, ...(facts.unshare ? { unshare: facts.unshare } : {}), ...(facts.mount ? { mount: facts.mount } : {}), cgroupJoinFiles: cg.joinFiles, root, bwrapArgs: args });
    const proc = await AttemptProcess.launch({ file: l.file, args: l.args, env: { PATH: facts.path }, paths }, cg, facts.cgroups, spawner, () => undefined);
    const exit = await proc.exited;
    out.push(performance.now() - t);
    if (exit.status.exitCode !== 0) throw new Error(`bench container failed: ${JSON.stringify(exit)}`);
  }
  await spawner.stop();
  await facts.cgroups.removePod(`bench-${mode}`);
  await facts.cgroups.removeParent();
  return out;
}

async function pods(home: string): Promise<number[]> {
  const store = await openSqliteStore(join(home, 'state.db'), { kinds: KINDS });
  const rt = new LocalPodRuntime({ home, gpuIds: [], cgroupParent: `drover-bench-pods-${process.pid}` });
  await rt.start({ store, nodeName: 'local', clock: systemClock, logger: silentLogger });
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const name = `p${i}`;
    const done = new Promise<void>((resolve) => {
      const stop = store.watch({ apiVersion: 'v1', kind: 'Pod' }, {}, (e) => {
        if (e.object.metadata.name === name && (e.object as Pod).status?.phase === 'Succeeded') {
          stop();
          resolve();
        }
      });
    });
    const t = performance.now();
    await store.create<Pod & KubeObject>({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: 'local', restartPolicy: 'Never', containers: [{ name: 'main', image: 'x', command: ['true'] }] } });
    await done;
    out.push(performance.now() - t);
  }
  for (let i = 0; i < N; i++) await store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: `p${i}` });
  await new Promise((r) => setTimeout(r, 500));
  await rt.stop();
  await store.close();
  return out;
}

const home = mkdtempSync(join(tmpdir(), 'drover-bench-'));
try {
  const rows: [string, number[]][] = [];
  rows.push(['bare spawn(true)', await bare()]);
  rows.push(['executor, overlay root', await executor(home, 'overlay')]);
  rows.push(['executor, read-only root', await executor(home, 'readonly')]);
  rows.push(['pod via store (overlay)', await pods(home)]);
  const base = median(rows[0]![1]);
  for (const [name, xs] of rows) {
    console.log(`${name.padEnd(28)} median ${median(xs).toFixed(2)} ms  p90 ${p90(xs).toFixed(2)} ms  (+${(median(xs) - base).toFixed(2)} ms over bare)`);
  }
} finally {
  await fsp.rm(home, { recursive: true, force: true });
}
