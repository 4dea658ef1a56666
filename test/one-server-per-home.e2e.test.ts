/** Two `drover up` started together on one home: one serves, the other refuses, saying why. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './drover.js';

const BIN = join(REPO, 'bin', 'drover.js');

function up(home: string): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'up', '--port', '0', '--home', home, '--cpus', '1', '--memory', '1Gi'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DROVER_SERVER: '' } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, exit: new Promise((r) => child.once('exit', (code) => r(code))) };
}

test('two servers started together on one home: exactly one runs, the other exits saying another server uses the home', async () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-two-'));
  const a = up(home);
  const b = up(home);
  try {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`both servers still run after 20 s:\n${a.output()}\n${b.output()}`)), 20_000).unref());
    const first = await Promise.race([a.exit.then(() => a), b.exit.then(() => b), timeout]);
    const other = first === a ? b : a;
    assert.notEqual(await first.exit, 0);
    assert.match(first.output(), /another Drover server .*is using/);
    assert.equal(other.child.exitCode, null, 'the other one is still serving');
  } finally {
    for (const s of [a, b]) if (s.child.exitCode === null) s.child.kill('SIGTERM');
    await Promise.all([a.exit, b.exit]);
    rmSync(home, { recursive: true, force: true });
  }
});

test("drover up -d on a port where another home's server listens refuses, instead of calling that server this home's", async () => {
  const homeA = mkdtempSync(join(tmpdir(), 'drover-a-'));
  const homeB = mkdtempSync(join(tmpdir(), 'drover-b-'));
  const a = up(homeA);
  try {
    let url = '';
    for (let i = 0; i < 200 && !url; i++) {
      url = /Drover is running at (\S+)/.exec(a.output())?.[1] ?? '';
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(url, `server A started:\n${a.output()}`);
    const port = new URL(url).port;
    const b = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'up', '-d', '--port', port, '--home', homeB], { env: { ...process.env, DROVER_SERVER: '' } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', (code) => resolve({ code, out }));
    });
    assert.notEqual(b.code, 0);
    assert.match(b.out, new RegExp(`another Drover server \\(not the one of ${homeB}\\) is listening at http://127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(b.out, /already running/);
  } finally {
    a.child.kill('SIGTERM');
    await a.exit;
    rmSync(homeA, { recursive: true, force: true });
    rmSync(homeB, { recursive: true, force: true });
  }
});
