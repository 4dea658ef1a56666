/** The local directory repository: the shared contract plus what only a directory can show (layout, atomic writes). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watch, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArtifactRepository } from './index.js';
import { artifactRepositoryContract, rejectsWithCode } from './testkit.js';

function home() {
  return mkdtempSync(join(tmpdir(), 'drover-artifacts-home-'));
}

artifactRepositoryContract('local', async () => {
  const h = home();
  return { repo: openArtifactRepository({ kind: 'local' }, { home: h }), close: async () => rmSync(h, { recursive: true, force: true }) };
});

test('the local repository keeps artifacts as plain files under $home/artifacts by default, or under a path relative to home', async () => {
  const h = home();
  try {
    writeFileSync(join(h, 'src'), 'payload');
    const repo = openArtifactRepository({ kind: 'local' }, { home: h });
    assert.equal(repo.kind, 'local');
    assert.deepEqual(await repo.put('default/wf/wf-step-1/out.tgz', join(h, 'src')), { key: 'default/wf/wf-step-1/out.tgz' });
    assert.equal(readFileSync(join(h, 'artifacts', 'default', 'wf', 'wf-step-1', 'out.tgz'), 'utf8'), 'payload');
    const custom = openArtifactRepository({ kind: 'local', path: 'store/arts' }, { home: h });
    await custom.put('k', join(h, 'src'));
    assert.equal(readFileSync(join(h, 'store', 'arts', 'k'), 'utf8'), 'payload');
  } finally {
    rmSync(h, { recursive: true, force: true });
  }
});

test('a put whose source shrinks mid-copy fails, leaves no object or temp file, and keeps the previous version', async () => {
  const h = home();
  const repo = openArtifactRepository({ kind: 'local' }, { home: h });
  const dir = join(h, 'artifacts', 'ns', 'wf', 'n');
  try {
    writeFileSync(join(h, 'old'), 'previous version');
    await repo.put('ns/wf/n/out.tgz', join(h, 'old'));
    // A sparse 256 MiB source: the copy takes long enough that the truncation lands mid-way.
    const src = join(h, 'big');
    writeFileSync(src, '');
    truncateSync(src, 256 * 1024 * 1024);
    // The temp file appearing in the key's directory means the copy has begun.
    const watcher = watch(dir, (_event, name) => {
      if (name?.startsWith('.drover-tmp-')) {
        watcher.close();
        truncateSync(src, 0);
      }
    });
    try {
      const err = await rejectsWithCode(repo.put('ns/wf/n/out.tgz', src), 'ARTIFACT_SOURCE_INVALID');
      assert.match(err.message, /changed while being stored/);
    } finally {
      watcher.close();
    }
    assert.equal(readFileSync(join(dir, 'out.tgz'), 'utf8'), 'previous version');
    assert.deepEqual(readdirSync(dir), ['out.tgz']);
    // And with no previous version, nothing at all under the key.
    truncateSync(src, 256 * 1024 * 1024);
    const watcher2 = watch(dir, (_event, name) => {
      if (name?.startsWith('.drover-tmp-')) {
        watcher2.close();
        truncateSync(src, 0);
      }
    });
    try {
      await rejectsWithCode(repo.put('ns/wf/n/fresh.tgz', src), 'ARTIFACT_SOURCE_INVALID');
    } finally {
      watcher2.close();
    }
    assert.equal(await repo.exists('ns/wf/n/fresh.tgz'), false);
    assert.deepEqual(readdirSync(dir), ['out.tgz']);
  } finally {
    rmSync(h, { recursive: true, force: true });
  }
});

test('deleting the last artifacts of a workflow removes its now-empty folders but never the root', async () => {
  const h = home();
  try {
    const repo = openArtifactRepository({ kind: 'local' }, { home: h });
    writeFileSync(join(h, 'src'), 'x');
    await repo.put('ns/wf/a/out.tgz', join(h, 'src'));
    await repo.put('ns/other/a/out.tgz', join(h, 'src'));
    await repo.delete('ns/wf/a/out.tgz');
    assert.deepEqual(readdirSync(join(h, 'artifacts', 'ns')), ['other']);
    assert.equal(await repo.deletePrefix('ns'), 1);
    assert.deepEqual(readdirSync(join(h, 'artifacts')), []);
  } finally {
    rmSync(h, { recursive: true, force: true });
  }
});

test('a key that would need a file to also be a folder is rejected with ARTIFACT_KEY_INVALID', async () => {
  const h = home();
  try {
    const repo = openArtifactRepository({ kind: 'local' }, { home: h });
    writeFileSync(join(h, 'src'), 'x');
    await repo.put('ns/wf/a', join(h, 'src'));
    await rejectsWithCode(repo.put('ns/wf/a/b', join(h, 'src')), 'ARTIFACT_KEY_INVALID');
    await repo.put('ns/wf2/a/b', join(h, 'src'));
    await rejectsWithCode(repo.put('ns/wf2/a', join(h, 'src')), 'ARTIFACT_KEY_INVALID');
    assert.equal(await repo.exists('ns/wf2/a/b'), true);
    assert.deepEqual(readdirSync(join(h, 'artifacts', 'ns', 'wf2')), ['a']);
  } finally {
    rmSync(h, { recursive: true, force: true });
  }
});

test('get replaces an existing destination file whole', async () => {
  const h = home();
  try {
    const repo = openArtifactRepository({ kind: 'local' }, { home: h });
    writeFileSync(join(h, 'src'), 'new');
    await repo.put('k', join(h, 'src'));
    mkdirSync(join(h, 'in'));
    writeFileSync(join(h, 'in', 'dest'), 'an older, longer content');
    await repo.get('k', join(h, 'in', 'dest'));
    assert.equal(readFileSync(join(h, 'in', 'dest'), 'utf8'), 'new');
    assert.deepEqual(readdirSync(join(h, 'in')), ['dest']);
    assert.equal(existsSync(join(h, 'in', 'dest')), true);
  } finally {
    rmSync(h, { recursive: true, force: true });
  }
});
