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
