/**
 * Test harness for the local runtime: a real SQLite store in a temp home, a real runtime with its
 * own cgroup parent, helpers to create pods and wait for them, and a leak check (no child process,
 * no cgroup, no mount left behind) run when the harness closes.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject, Pod } from '../../api/index.js';
import { openSqliteStore, type Store } from '../../store/index.js';
import { systemClock } from '../../util/clock.js';
import { silentLogger, jsonLogger, type Logger } from '../../util/logger.js';
import { cgroupRoots, detectCgroups } from './cgroups.js';
import type { LocalRuntimeOptions } from './context.js';
import { LocalPodRuntime } from './runtime.js';
import { CLAIMS_ROOT, SPARE_PREFIX, readClaimSync } from './network/bridge.js';
import { KINDS } from '../../registry.js';

export const NODE = 'local';
let seq = 0;

export interface Harness {
  home: string;
  store: Store;
  runtime: LocalPodRuntime;
  cgroupParent: string;
  options: LocalRuntimeOptions;
  /** A new runtime on the same home and cgroup parent (a server restart). */
  restart(extra?: Partial<LocalRuntimeOptions>): Promise<LocalPodRuntime>;
  pod(name: string, spec: Pod['spec'], meta?: Partial<NonNullable<Pod['metadata']>>): Promise<Pod & KubeObject>;
  get(name: string): Promise<Pod & KubeObject>;
  waitFor(name: string, pred: (p: Pod) => boolean, timeoutMs?: number, what?: string): Promise<Pod & KubeObject>;
  waitPhase(name: string, phase: string, timeoutMs?: number): Promise<Pod & KubeObject>;
  logs(pod: Pod, opts?: Parameters<LocalPodRuntime['logs']>[1]): Promise<string>;
  events(name: string): Promise<{ type: string; reason: string; message: string }[]>;
  close(): Promise<void>;
}

export function logger(): Logger {
  return process.env['DROVER_TEST_LOG'] ? jsonLogger('debug') : silentLogger;
}

/** `extra.home`: reuse a home (a server that crashed there); otherwise a fresh temp dir. */
export async function harness(extra: Partial<LocalRuntimeOptions> = {}): Promise<Harness> {
  const home = extra.home ?? mkdtempSync(join(tmpdir(), 'drover-rt-'));
  const store = await openSqliteStore(join(home, 'state.db'), { kinds: KINDS });
  const cgroupParent = extra.cgroupParent ?? testCgroupParent();
  const options: LocalRuntimeOptions = { home, gpuIds: [], cgroupParent, restartBackoffBaseMs: 100, pollIntervalMs: 50, ...extra };
  const host = { store, nodeName: NODE, clock: systemClock, logger: logger() };
  let runtime = new LocalPodRuntime(options);
  await runtime.start(host);
  const h: Harness = {
    home,
    store,
    get runtime() {
      return runtime;
    },
    cgroupParent,
    options,
    async restart(more = {}) {
      await runtime.stop();
      runtime = new LocalPodRuntime({ ...options, ...more });
      await runtime.start(host);
      return runtime;
    },
    async pod(name, spec, meta = {}) {
      return store.create<Pod & KubeObject>({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...meta }, spec: { nodeName: NODE, restartPolicy: 'Never', ...spec } as Pod['spec'] });
    },
    async get(name) {
      const p = await store.get<Pod & KubeObject>({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name });
      assert.ok(p, `pod ${name} exists`);
      return p;
    },
    async waitFor(name, pred, timeoutMs = 15000, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      let last: (Pod & KubeObject) | undefined;
      while (Date.now() < deadline) {
        last = await store.get<Pod & KubeObject>({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name });
        if (last && pred(last)) return last;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.fail(`pod ${name}: timed out waiting for ${what}; status: ${JSON.stringify(last?.status, null, 1)}`);
    },
    waitPhase(name, phase, timeoutMs) {
      return h.waitFor(name, (p) => p.status?.phase === phase, timeoutMs, `phase ${phase}`);
    },
    async logs(pod, opts = {}) {
      let out = '';
      for await (const chunk of runtime.logs(pod, opts)) out += chunk;
      return out;
    },
    async events(name) {
      const list = await store.list<KubeObject & { involvedObject?: { name?: string }; type: string; reason: string; message: string }>({ apiVersion: 'v1', kind: 'Event' });
      return list.items.filter((e) => e.involvedObject?.name === name).map((e) => ({ type: e.type, reason: e.reason, message: e.message }));
    },
    async close() {
      // A test that stopped the runtime: a new one cleans up (as a restarted server would).
      if (!runtime.started) await h.restart();
      const pods = await store.list<Pod & KubeObject>({ apiVersion: 'v1', kind: 'Pod' });
      for (const p of pods.items) await store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: p.metadata.namespace ?? 'default', name: p.metadata.name ?? '' });
      // Deletion kills asynchronously; wait until the pods' cgroups are gone.
      await waitUntil(() => podCgroups(cgroupParent).length === 0, 15000, 'pod cgroups removed').catch((err: unknown) => {
        throw new Error(`${(err as Error).message}: ${describeCgroups(cgroupParent)}`);
      });
      // A pod that never started a container has no cgroups to wait for: its network says when it
      // is torn down (its namespace gone, or kept as a spare: its claim no longer names the pod).
      const uids = pods.items.map((p) => p.metadata.uid ?? '');
      const heldByPod = (u: string) => existsSync(`/run/netns/drover-${u}`) && !sparesKept().has(u);
      await waitUntil(() => !uids.some(heldByPod), 15000, 'pod network namespaces released');
      await runtime.stop();
      // The runtime's stop frees its spares, kept namespaces included.
      await waitUntil(() => uids.every((u) => !existsSync(`/run/netns/drover-${u}`)), 15000, 'pod network namespaces removed');
      await store.close();
      await assertNoLeaks(cgroupParent, home);
      await fsp.rm(home, { recursive: true, force: true });
    },
  };
  return h;
}

export function testCgroupParent(): string {
  return `drover-test-${process.pid}-${++seq}`;
}

export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** What is left under the parent: each cgroup and the processes in it (for a failure's message). */
function describeCgroups(parent: string): string {
  const layout = detectCgroups();
  if (!layout) return '';
  const walk = (dir: string): string[] => {
    const out: string[] = [];
    let procs = '';
    try {
      procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((pid) => {
          try {
            return `${pid}:${readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim().slice(-60)}`;
          } catch {
            return pid;
          }
        })
        .join(', ');
    } catch {
      // gone meanwhile
    }
    out.push(`${dir} [${procs}]`);
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...walk(join(dir, e.name)));
    } catch {
      // gone meanwhile
    }
    return out;
  };
  return walk(join(layout.memoryRoot, parent)).join('; ');
}

/** Pod cgroups left under `parent`, in any hierarchy. */
function podCgroups(parent: string): string[] {
  const layout = detectCgroups();
  if (!layout) return [];
  return cgroupRoots(layout).flatMap((r) => {
    try {
      return readdirSync(join(r, parent)).filter((n) => n.startsWith('pod')).map((n) => join(r, parent, n));
    } catch {
      return [];
    }
  });
}

/**
 * Live processes this test process started: its children and, through the runtimes' spawner
 * helpers (which start the containers), theirs. The helpers themselves are left out: each
 * runtime's stop() waits for its own to exit, and another harness's may still be running.
 */
export function liveChildren(): number[] {
  const parentOf = new Map<number, number>();
  const helpers = new Set<number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z') continue;
      parentOf.set(Number(name), Number(f[1]));
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('spawner-process.js')) helpers.add(Number(name));
    } catch {
      // Gone.
    }
  }
  const out: number[] = [];
  for (const [pid, ppid] of parentOf) {
    const viaHelper = helpers.has(ppid) && parentOf.get(ppid) === process.pid;
    if ((ppid === process.pid && !helpers.has(pid)) || viaHelper) out.push(pid);
  }
  return out;
}

/** Processes whose command line mentions `needle` (host-wide). */
export function processesMatching(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (cmd.includes(needle) && state !== 'Z') out.push(Number(name));
    } catch {
      // Gone.
    }
  }
  return out;
}

/** Fails when processes, cgroups or mounts of this harness remain, its cgroup parent included (the runtime's stop removes it). */
export async function assertNoLeaks(cgroupParent: string, home: string): Promise<void> {
  await waitUntil(() => liveChildren().length === 0, 5000, 'child processes to exit').catch(() => undefined);
  assert.deepEqual(liveChildren(), [], 'no child processes remain');
  assert.deepEqual(podCgroups(cgroupParent), [], 'no pod cgroups remain');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(home));
  assert.deepEqual(mounts, [], 'no mounts remain');
  const layout = detectCgroups();
  if (layout) assert.deepEqual(cgroupRoots(layout).filter((r) => existsSync(join(r, cgroupParent))), [], 'the cgroup parent is removed');
}

/** Namespaces of ended pods kept as spares by any server on this machine (their claims name them). */
function sparesKept(): Set<string> {
  const out = new Set<string>();
  const dir = join(CLAIMS_ROOT, 'drover0');
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    // A directory (svc) reads as no claim.
    const c = readClaimSync(join(dir, f));
    if (c?.owner.startsWith(SPARE_PREFIX) && c.netns) out.add(c.netns);
  }
  return out;
}
