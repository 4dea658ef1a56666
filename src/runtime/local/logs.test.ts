import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLog } from './logs.js';

/** A poll interval no test would wait for: only a wake-up can move these followers on. */
const NEVER_MS = 10 * 60_000;

function logFile(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, '0.log');
  writeFileSync(path, 'first\n');
  return path;
}

test('a follower sees lines appended while it waits, without waiting for its poll', { timeout: 20_000 }, async (t) => {
  const path = logFile(t);
  const chunks: string[] = [];
  for await (const chunk of readLog({ path, follow: true, timestamps: false, pollMs: NEVER_MS, finished: () => false, now: Date.now })) {
    chunks.push(chunk);
    if (chunks.length === 1) setTimeout(() => appendFileSync(path, 'second\n'), 50);
    else break;
  }
  assert.deepEqual(chunks, ['first\n', 'second\n']);
});

test('a follower ends as soon as the writer has ended, without waiting for its poll', { timeout: 20_000 }, async (t) => {
  const path = logFile(t);
  appendFileSync(path, 'last words\n');
  let ended = false;
  let end!: () => void;
  const endedPromise = new Promise<void>((r) => (end = r));
  let out = '';
  for await (const chunk of readLog({ path, follow: true, timestamps: false, pollMs: NEVER_MS, finished: () => ended, ended: endedPromise, now: Date.now })) {
    out += chunk;
    // The file does not change again: only the writer's end can wake the follower now.
    setTimeout(() => {
      ended = true;
      end();
    }, 50);
  }
  assert.equal(out, 'first\nlast words\n');
});

test('an aborted follower stops at once', { timeout: 20_000 }, async (t) => {
  const path = logFile(t);
  const abort = new AbortController();
  const chunks: string[] = [];
  setTimeout(() => abort.abort(), 50);
  for await (const chunk of readLog({ path, follow: true, timestamps: false, pollMs: NEVER_MS, finished: () => false, signal: abort.signal, now: Date.now })) chunks.push(chunk);
  assert.deepEqual(chunks, ['first\n']);
});
