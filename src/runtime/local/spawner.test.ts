import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spawner, SpawnError } from './spawner.js';

test('a spawn still unanswered when the spawner stops is refused, so the runtime can stop', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-spawner-'));
  try {
    const sp = new Spawner();
    const started = sp.spawn({ file: 'true', args: [], env: {}, log: join(dir, 'log'), status: join(dir, 'status') }, { onExit: () => undefined, onLost: () => undefined });
    // Stopped before the helper could answer: the request must settle, not wait forever.
    await sp.stop();
    await assert.rejects(started, SpawnError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a short command runs to its end in the helper, its stdin given, its output and exit code returned; once stopped, in the server", { timeout: 20_000 }, async () => {
  const sp = new Spawner();
  try {
    const ok = await sp.run('sh', ['-c', 'cat; echo err >&2'], 'in\n');
    assert.deepEqual({ code: ok.code, stdout: ok.stdout, stderr: ok.stderr }, { code: 0, stdout: 'in\n', stderr: 'err\n' });
    const failed = await sp.run('sh', ['-c', 'exit 3']);
    assert.equal(failed.code, 3);
    assert.ok(failed.message);
    assert.equal((await sp.run('/nonexistent/program', [])).code, -1);
  } finally {
    await sp.stop();
  }
  // Stopped (the runtime's network teardown comes after): run without the helper.
  assert.equal((await sp.run('sh', ['-c', 'echo here'])).stdout, 'here\n');
});
