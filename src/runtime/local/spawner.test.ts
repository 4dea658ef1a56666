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
