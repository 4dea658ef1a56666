/** What the benchmarks share: the bare-process baseline, a median, bounded concurrency and apply. */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import type { Pod } from '../src/api/index.js';
import type { DroverConfig } from '../src/config/index.js';

// A bench piped into `head` would die of EPIPE at its next line, before its cleanup (a server's
// pods, cgroups and network namespaces, its home): its output stops instead, and the cleanup runs.
process.stdout.on('error', () => undefined);

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

/** The floor's network namespaces are named `${FLOOR_NETNS_PREFIX}<pid>-<n>`. */
export const FLOOR_NETNS_PREFIX = 'drover-bench-floor-';

/**
 * Starts `true` exactly as the local runtime starts a workflow step's container (busybox, `true`),
 * through the runtime's own launch (src/runtime/local/launch.ts): its cgroups, the launcher, bwrap
 * with the same flags and root mode, the pod's user (setpriv), the seccomp filter, the pod's
 * network namespace (entered with nsenter), /etc/hosts, resolv.conf and the ServiceAccount token
 * mounted, the same environment; but with no store, controller, scheduler or pod object: the
 * orchestration floor. As in the runtime at steady state, network namespaces are kept and reused
 * (one per concurrent start) rather than made for each pod.
 */
export async function sandboxSpawner(config: DroverConfig): Promise<{ run(): Promise<void>; settle(): Promise<void>; stop(): Promise<void>; failedStarts(): number; podsCpuMs(): number }> {
  const { probeHost, which } = await import('../src/runtime/local/host.js');
  const { SERVICE_ACCOUNT_PATH } = await import('../src/runtime/local/worker.js');
  const { containerEnv, imageEnvironment, launchAttempt, pathView } = await import('../src/runtime/local/launch.js');
  const { resolveArgv } = await import('../src/runtime/local/env.js');
  const { Spawner } = await import('../src/runtime/local/spawner.js');
  const { containerSecurity } = await import('../src/api/index.js');
  const { NETNS_DIR } = await import('../src/runtime/local/network/bridge.js');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { rm } = await import('node:fs/promises');
  const { execFileSync } = await import('node:child_process');
  const { join } = await import('node:path');
  const home = join(config.home, 'floor');
  const parent = `drover-bench-floor-${process.pid}`;
  const facts = await probeHost({ home, cgroupParent: parent, rootfs: 'auto' });
  const spawner = new Spawner();
  const container = { name: 'main', image: 'busybox', command: ['true'] };
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'floor', namespace: 'default' }, spec: { containers: [container] } };
  const image = imageEnvironment(config.images, container.image);
  const security = containerSecurity(pod.spec, container, config.podSecurity);
  const view = pathView(facts, security);
  const env = containerEnv(facts, image, 'floor', new Map([['KUBERNETES_SERVICE_HOST', '10.88.0.1'], ['KUBERNETES_SERVICE_PORT', '443']]), [], security.uid, view);
  const argv = resolveArgv(container, new Map(), image?.entrypoint);
  const token = join(home, 'token');
  mkdirSync(token, { recursive: true, mode: 0o755 });
  writeFileSync(join(token, 'token'), 'x', { mode: 0o644 });
  const mounts = facts.rootMode === 'overlay' ? [{ source: token, dest: SERVICE_ACCOUNT_PATH, readOnly: true }] : [];
  // Network namespaces, one per concurrent start, as the runtime keeps them for its pods.
  const ip = facts.uid === 0 ? (which('ip') ?? which('ip', '/usr/sbin:/sbin:/usr/bin:/bin')) : undefined;
  const made: string[] = [];
  const idle: string[] = [];
  const takeNetns = (): string | undefined => {
    if (!ip) return undefined;
    const free = idle.pop();
    if (free) return free;
    const name = `${FLOOR_NETNS_PREFIX}${process.pid}-${made.length}`;
    execFileSync(ip, ['netns', 'add', name]);
    made.push(name);
    return join(NETNS_DIR, name);
  };
  let n = 0;
  let failed = 0;
  const removals = new Set<Promise<void>>();
  const once = async (): Promise<boolean> => {
    const uid = `floor-${n++}`;
    const podDir = join(home, uid);
    mkdirSync(podDir, { recursive: true });
    writeFileSync(join(podDir, '.hosts'), `${facts.hostsText}\n10.88.0.2\t${uid}\n`);
    const netns = takeNetns();
    if (netns) writeFileSync(join(podDir, '.resolv.conf'), 'nameserver 10.88.0.1\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
    try {
      const { proc } = await launchAttempt({
        facts,
        spawner,
        home: config.home,
        pod,
        podUid: uid,
        podDir,
        hostname: uid,
        container,
        image,
        attempt: 0,
        argv,
        env,
        mounts,
        gpus: [],
        podPidsLimit: config.pods.pidsLimit,
        defaultTmpBytes: config.pods.tmpBytes,
        security,
        view,
        ...(netns ? { netns, resolvFile: join(podDir, '.resolv.conf') } : {}),
        onLost: () => undefined,
      });
      const exit = await proc.exited;
      // As the runtime's cleanup: the pod's cgroups and files go after its end, beside the next start.
      const removal = facts.cgroups
        .removePod(uid)
        .then(() => rm(podDir, { recursive: true, force: true }))
        .finally(() => removals.delete(removal));
      removals.add(removal);
      return exit.status.exitCode === 0;
    } finally {
      if (netns) idle.push(netns);
    }
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
    /** Waits for the cleanups still under way: a run's cost includes its own. */
    async settle() {
      await Promise.all(removals);
    },
    failedStarts: () => failed,
    podsCpuMs: () => facts.cgroups.parentCpuNanos() / 1e6,
    async stop() {
      await Promise.all(removals);
      await spawner.stop();
      await facts.cgroups.removeParent();
      for (const name of made) execFileSync(ip!, ['netns', 'del', name]);
    },
  };
}
