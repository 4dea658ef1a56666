/**
 * The reader's side of bench/experiment-overhead.ts, in a process of its own, as a user at a
 * terminal is: it times commands with its own clock, so the server's busy event loop (the bench
 * runs the server in-process) neither spawns them nor notices their end late.
 *
 * Every PROBE_EVERY_MS it times `node bin/drover.js get experiment NAME` and the raw GET of the
 * experiment; every third time also `drover version`, `node -e ""` and the smallest Node program
 * that fetches the experiment (the floor for any Node CLI on this machine). Each sample is one
 * JSON line on stdout, `{"what":…,"ms":…}`. It stops when its stdin closes.
 *
 *   node dist/bench/probe.js URL NAME     (with DROVER_HOME set for the CLI)
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ProbeKind = 'cli' | 'http' | 'version' | 'node' | 'floor';
export const PROBE_EVERY_MS = 1000;

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(REPO, 'bin', 'drover.js');
const [url, name] = process.argv.slice(2);
if (!url || !name) throw new Error('usage: probe.js URL NAME');
const path = `${url}/apis/kubeflow.org/v1beta1/namespaces/default/experiments/${name}`;
// The admin's token, as every client sends it (the CLI reads it from $DROVER_HOME itself).
const headers: Record<string, string> = process.env['DROVER_TOKEN'] ? { authorization: `Bearer ${process.env['DROVER_TOKEN']}` } : {};
const FLOOR = `require('node:http').get(${JSON.stringify(path)}, { headers: ${JSON.stringify(headers)} }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => process.stdout.write(JSON.parse(b).metadata.name + '\\n')); });`;

function run(argv: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.once('error', fail);
    c.once('close', (code) => (code === 0 ? ok() : fail(new Error(`${argv.join(' ')} exited ${code}: ${err}`))));
  });
}

async function sample(what: ProbeKind, f: () => Promise<unknown>): Promise<void> {
  const t = performance.now();
  await f();
  if (!stopped) process.stdout.write(JSON.stringify({ what, ms: performance.now() - t }) + '\n');
}

let stopped = false;
process.stdin.resume();
process.stdin.on('end', () => (stopped = true));

for (let tick = 0; !stopped; tick++) {
  const start = performance.now();
  await sample('cli', () => run([process.execPath, BIN, 'get', 'experiment', name]));
  await sample('http', async () => {
    const r = await fetch(path, { headers });
    if (!r.ok) throw new Error(`GET ${name}: ${r.status}`);
    await r.arrayBuffer();
  });
  if (tick % 3 === 2) {
    await sample('version', () => run([process.execPath, BIN, 'version']));
    await sample('node', () => run([process.execPath, '-e', '']));
    await sample('floor', () => run([process.execPath, '-e', FLOOR]));
  }
  const wait = PROBE_EVERY_MS - (performance.now() - start);
  if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait));
}
process.exit(0);
