import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesUnder } from './files.js';

test('filesUnder lists regular files below a directory, sorted and relative, skips links, and stops past its limit', async () => {
  const root = mkdtempSync(join(tmpdir(), 'drover-files-'));
  try {
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    for (const f of ['z.txt', 'a/x.txt', 'a/b/y.txt']) writeFileSync(join(root, f), f);
    symlinkSync('/etc/passwd', join(root, 'link'));
    assert.deepEqual(await filesUnder(root, 3), ['a/b/y.txt', 'a/x.txt', 'z.txt']);
    assert.equal(await filesUnder(root, 2), undefined, 'more than the limit');
    assert.deepEqual(await filesUnder(join(root, 'missing'), 5), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
