import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockHome } from './home-lock.js';

test('one server per home: a second lock on the same home is refused until the first is released', () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-lock-'));
  try {
    const first = lockHome(home);
    assert.ok(first);
    assert.equal(lockHome(home), undefined);
    first.release();
    const again = lockHome(home);
    assert.ok(again, 'free once released');
    again.release();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a server that dies, even by SIGKILL, leaves its home free; one alive in another process keeps it', async () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-lock-'));
  const holder = join(import.meta.dirname, 'home-lock.js');
  const child = spawn(process.execPath, ['--input-type=module', '-e', `import { lockHome } from ${JSON.stringify(holder)}; globalThis.lock = lockHome(${JSON.stringify(home)}); console.log('locked'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    assert.equal(lockHome(home), undefined, 'held by the other process');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const mine = lockHome(home);
    assert.ok(mine, 'the killed process held it no more');
    mine.release();
  } finally {
    child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
});
