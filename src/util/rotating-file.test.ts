import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RotatingFile } from './rotating-file.js';

test('a rotating file keeps at most maxFiles files of about maxBytes each, newest lines in the current one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-rotate-'));
  try {
    const f = new RotatingFile(join(dir, 'server.log'), { maxBytes: 1000, maxFiles: 3 });
    for (let i = 0; i < 200; i++) f.write(`line ${String(i).padStart(4, '0')} ${'x'.repeat(40)}\n`);
    f.close();
    assert.ok(existsSync(join(dir, 'server.log.1')) && existsSync(join(dir, 'server.log.2')));
    assert.ok(!existsSync(join(dir, 'server.log.3')));
    for (const n of ['server.log', 'server.log.1', 'server.log.2']) assert.ok(statSync(join(dir, n)).size <= 1000);
    assert.match(readFileSync(join(dir, 'server.log'), 'utf8').trimEnd().split('\n').at(-1)!, /^line 0199/);
    assert.equal(statSync(join(dir, 'server.log')).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write that fails is dropped, not thrown; once writing works again one line says how many were lost', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-rotate-'));
  try {
    const full = new RotatingFile('/dev/full', { maxBytes: 1 << 20, maxFiles: 2 });
    assert.doesNotThrow(() => full.write('lost\n'));
    const logs = join(dir, 'logs');
    const f = new RotatingFile(join(logs, 'server.log'), { maxBytes: 1 << 20, maxFiles: 2 });
    f.write('a\n'); // the directory does not exist: dropped
    f.write('b\n');
    mkdirSync(logs);
    f.write('c\n');
    f.close();
    const lines = readFileSync(join(logs, 'server.log'), 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /"msg":"2 log line\(s\) could not be written".*ENOENT/);
    assert.equal(lines[1], 'c');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
