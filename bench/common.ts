/** What the benchmarks share: the bare-process baseline, a median, bounded concurrency and apply. */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Spawns `true` and waits for it: what a step would cost without Drover. */
export function spawnTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn('true', [], { stdio: 'ignore' });
    c.once('error', reject);
    c.once('exit', () => resolve());
  });
}

/** Runs `task` `total` times, at most `n` at once. */
export async function withConcurrency(n: number, total: number, task: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next++ < total) await task();
    }),
  );
}

/** A control plane as the benches reach it: its URL and the admin's bearer token. */
export interface Server {
  url: string;
  token: string | undefined;
}

/** `fetch` of a path of `server`, with its token, as any client would send it. */
export function api(server: Server, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...(server.token ? { authorization: `Bearer ${server.token}` } : {}) } });
}

/**
 * The directory the benches' inline manifests claim to come from (their containers' working
 * directory). Not the server's home: that is 0700, and pods run as an unprivileged user.
 */
export const MANIFEST_DIR = tmpdir();

/** Applies `text` through the server's apply endpoint (what `drover apply -f` does), as if read from `sourceDir`. */
export async function applyManifests(server: Server, sourceDir: string, text: string): Promise<void> {
  const r = await api(server, '/apis/drover.dev/v1/namespaces/default/apply', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ documents: [{ file: 'bench.yaml', text, sourceDir }] }),
  });
  if (!r.ok) throw new Error(await r.text());
}

/**
 * Starts `true` the way the local runtime starts a container (its cgroup, the launcher, bwrap with
 * the same flags and root mode) but with no store, controller or pod: the orchestration floor.
 */
export async function sandboxSpawner(home: string): Promise<{ run(): Promise<void>; stop(): Promise<void>; failedStarts(): number; podsCpuMs(): number }> {
  const { probeHost } = await import('../src/runtime/local/host.js');
  const { bwrapArgs, launcher } = await import('../src/runtime/local/sandbox.js');
  const { AttemptProcess, attemptPaths } = await import('../src/runtime/local/executor.js');
  const { Spawner } = await import('../src/runtime/local/spawner.js');
  const { mkdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const parent = `drover-bench-floor-${process.pid}`;
  const facts = await probeHost({ home, cgroupParent: parent, rootfs: 'auto' });
  const spawner = new Spawner();
  let n = 0;
  let failed = 0;
  const once = async (): Promise<boolean> => {
    const i = n++;
    const pod = `floor-${i}`;
    const paths = attemptPaths(join(home, 'floor', pod), 'main', 0);
    const root =
      facts.rootMode === 'overlay'
        ? { mode: 'overlay' as const, upper: join(paths.rootfs, 'upper'), work: join(paths.rootfs, 'work'), merged: join(paths.rootfs, 'merged') }
        : { mode: 'readonly' as const, entries: facts.rootEntries };
    if (root.mode === 'overlay') for (const d of [root.upper, root.work, root.merged]) mkdirSync(d, { recursive: true });
    else mkdirSync(paths.dir, { recursive: true });
    const cg = facts.cgroups.create(pod, 'main', { memoryBytes: 256 << 20, cpuMillis: 1000 });
    const args = bwrapArgs({ root, hostMounts: facts.hostMounts, masks: [home], hostname: pod, volumeMounts: [], devices: [], workingDir: '/', createWorkingDir: false, readOnlyPaths: [], statusFd: 3, argv: ['true'] });
    const l = launcher({ sh: facts.sh, bwrap: facts.bwrap, ...(facts.unshare ? { unshare: facts.unshare } : {}), ...(facts.mount ? { mount: facts.mount } : {}), cgroupProcFiles: cg.procFiles, root, bwrapArgs: args });
    const proc = await AttemptProcess.launch({ file: l.file, args: l.args, env: { PATH: facts.path }, paths }, cg, facts.cgroups, spawner, () => undefined);
    const exit = await proc.exited;
    await facts.cgroups.removePod(pod);
    return exit.status.exitCode === 0;
  };
  return {
    // A start that fails now and then on a loaded machine is tried again (and counted), as the
    // runtime would restart it; one that keeps failing is a broken sandbox.
    async run() {
      for (let attempt = 0; attempt < 3; attempt++) {
        if (await once()) return;
        failed++;
      }
      throw new Error('sandboxed `true` failed three times in a row');
    },
    failedStarts: () => failed,
    podsCpuMs: () => facts.cgroups.parentCpuNanos() / 1e6,
    async stop() {
      await spawner.stop();
      await facts.cgroups.removeParent();
    },
  };
}
