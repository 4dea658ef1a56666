/**
 * The S3 repository against a real S3-compatible server (versitygw, which checks SigV4
 * signatures) started here on a free loopback port. A missing server binary fails these tests:
 * `bash scripts/s3-server.sh ensure` builds it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArtifactRepository, type S3RepositoryConfig } from './index.js';
import { S3ArtifactRepository } from './s3.js';
import { artifactRepositoryContract, rejectsWithCode, sha256File, startS3Server, type S3Server } from './testkit.js';

let server: S3Server;
let work: string;
const config = (over: Partial<S3RepositoryConfig> = {}): S3RepositoryConfig => ({
  kind: 's3', bucket: server.bucket, endpoint: server.endpoint, insecure: true,
  accessKey: server.accessKey, secretKey: server.secretKey, ...over,
});

before(async () => {
  server = await startS3Server();
  work = mkdtempSync(join(tmpdir(), 'drover-s3-work-'));
});
after(async () => {
  const pid = server?.pid;
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
  if (pid) assert.throws(() => process.kill(pid, 0), 'the S3 server process is gone');
});

// Each suite gets its own keyPrefix, so the contract runs against a clean namespace of the bucket.
let suite = 0;
artifactRepositoryContract('s3', async () => ({
  repo: openArtifactRepository(config({ keyPrefix: `contract-${++suite}` }), { home: work }),
  close: async () => {},
}));

test('an S3 put records Argo\'s s3 location, keyPrefix included, and the object lands at bucket/prefix/key', async () => {
  const repo = openArtifactRepository(config({ keyPrefix: 'argo-artifacts/' }), { home: work });
  try {
    assert.equal(repo.kind, 's3');
    writeFileSync(join(work, 'loc'), 'where am I');
    const loc = await repo.put('default/wf/wf-step-1/out.tgz', join(work, 'loc'));
    assert.deepEqual(loc, { s3: { endpoint: server.endpoint, bucket: server.bucket, key: 'argo-artifacts/default/wf/wf-step-1/out.tgz' } });
    // versitygw's posix backend stores objects as files: the bytes really went to the server.
    assert.equal(readFileSync(join(server.dataDir, server.bucket, 'argo-artifacts', 'default', 'wf', 'wf-step-1', 'out.tgz'), 'utf8'), 'where am I');
  } finally {
    repo.close();
  }
});

test('a recorded location (its key holding the keyPrefix) reads back through keyOfLocation, not with the prefix twice', async () => {
  const repo = openArtifactRepository(config({ keyPrefix: 'argo-artifacts' }), { home: work });
  try {
    writeFileSync(join(work, 'rec'), 'read me back');
    const loc = await repo.put('default/wf/wf-a/out.tgz', join(work, 'rec'));
    const recorded = (loc as { s3: { key: string } }).s3.key;
    assert.equal(recorded, 'argo-artifacts/default/wf/wf-a/out.tgz');
    assert.equal(await repo.exists(recorded), false, 'the recorded key is the full object key');
    assert.equal(repo.keyOfLocation(recorded), 'default/wf/wf-a/out.tgz');
    assert.equal(await repo.exists(repo.keyOfLocation(recorded)), true);
    await repo.get(repo.keyOfLocation(recorded), join(work, 'rec-back'));
    assert.equal(readFileSync(join(work, 'rec-back'), 'utf8'), 'read me back');
    assert.equal(repo.keyOfLocation('elsewhere/x.tgz'), 'elsewhere/x.tgz', 'a key outside the prefix is left as it is');
  } finally {
    repo.close();
  }
});

test('a 100 MB artifact is streamed both ways without holding it in memory', async () => {
  const repo = openArtifactRepository(config({ keyPrefix: 'large' }), { home: work });
  const src = join(work, 'large.bin');
  const back = join(work, 'large-back.bin');
  try {
    // Mostly sparse, with real bytes at both ends so a truncated or shifted copy shows.
    writeFileSync(src, 'head-marker');
    truncateSync(src, 100 * 1024 * 1024);
    const fd = await import('node:fs').then((fs) => fs.openSync(src, 'r+'));
    (await import('node:fs')).writeSync(fd, 'tail-marker', 100 * 1024 * 1024 - 11);
    (await import('node:fs')).closeSync(fd);

    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
    try {
      await repo.put('big/model.tgz', src);
      await repo.get('big/model.tgz', back);
    } finally {
      clearInterval(sampler);
    }
    assert.equal(await sha256File(back), await sha256File(src));
    assert.ok(peak - base < 64 * 1024 * 1024, `RSS grew by ${Math.round((peak - base) / 1048576)} MiB while moving 100 MiB`);
  } finally {
    repo.close();
    rmSync(src, { force: true });
    rmSync(back, { force: true });
    await repo.deletePrefix('big').catch(() => {});
  }
});

test('an upload whose source shrinks mid-way fails with ARTIFACT_SOURCE_INVALID and the previous object survives whole', async () => {
  const repo = openArtifactRepository(config({ keyPrefix: 'shrink' }), { home: work });
  const src = join(work, 'shrinking.bin');
  try {
    writeFileSync(join(work, 'prev'), 'previous version');
    await repo.put('ns/wf/n/out.tgz', join(work, 'prev'));
    writeFileSync(src, '');
    truncateSync(src, 256 * 1024 * 1024);
    // The size is taken when the put opens the file. The truncation lands while the file is
    // hashed or, more often, while it is sent; either way the put must fail and store nothing.
    const shrink = setTimeout(() => truncateSync(src, 1024), 300);
    try {
      const err = await rejectsWithCode(repo.put('ns/wf/n/out.tgz', src), 'ARTIFACT_SOURCE_INVALID');
      assert.match(err.message, /changed while being stored/);
    } finally {
      clearTimeout(shrink);
    }
    await repo.get('ns/wf/n/out.tgz', join(work, 'prev-back'));
    assert.equal(readFileSync(join(work, 'prev-back'), 'utf8'), 'previous version');
  } finally {
    repo.close();
    rmSync(src, { force: true });
  }
});

test('deletePrefix pages through more than one listing and one multi-delete batch (1,000 keys each)', async () => {
  // Objects placed straight into the posix backend's directory: the server lists them as keys.
  const dir = join(server.dataDir, server.bucket, 'many', 'ns', 'wf');
  for (let i = 0; i < 1205; i++) {
    mkdirSync(join(dir, `node-${i % 7}`), { recursive: true });
    writeFileSync(join(dir, `node-${i % 7}`, `art-${i}.tgz`), '');
  }
  mkdirSync(join(server.dataDir, server.bucket, 'many', 'ns', 'wf-keep'), { recursive: true });
  writeFileSync(join(server.dataDir, server.bucket, 'many', 'ns', 'wf-keep', 'a.tgz'), 'keep');
  const repo = openArtifactRepository(config({ keyPrefix: 'many' }), { home: work });
  try {
    assert.equal(await repo.deletePrefix('ns/wf'), 1205);
    assert.equal(await repo.exists('ns/wf/node-0/art-0.tgz'), false);
    assert.equal(await repo.exists('ns/wf-keep/a.tgz'), true);
  } finally {
    repo.close();
  }
});

test('an endpoint nobody listens on is ARTIFACT_REPOSITORY_UNREACHABLE naming the endpoint, and retryable', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const repo = new S3ArtifactRepository(config({ endpoint: `127.0.0.1:${port}` }), { maxAttempts: 1 });
  try {
    writeFileSync(join(work, 'u'), 'u');
    const calls = [() => repo.put('a/b', join(work, 'u')), () => repo.get('a/b', join(work, 'u2')), () => repo.exists('a/b'), () => repo.delete('a/b'), () => repo.deletePrefix('a')];
    for (const call of calls) {
      const err = await rejectsWithCode(call(), 'ARTIFACT_REPOSITORY_UNREACHABLE');
      assert.match(err.message, new RegExp(`http://127\\.0\\.0\\.1:${port}.*unreachable.*ECONNREFUSED`));
      assert.equal(err.retryable, true);
    }
    assert.equal(existsSync(join(work, 'u2')), false);
  } finally {
    repo.close();
  }
  // The default repository retries before giving up, and still says where it tried.
  const patient = openArtifactRepository(config({ endpoint: `127.0.0.1:${port}` }), { home: work });
  try {
    const err = await rejectsWithCode(patient.exists('a/b'), 'ARTIFACT_REPOSITORY_UNREACHABLE');
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  } finally {
    patient.close();
  }
});

test('a wrong secret key is a repository error carrying S3\'s code, not "unreachable", even when it cuts an upload short', async () => {
  const repo = openArtifactRepository(config({ secretKey: 'not-the-secret' }), { home: work });
  try {
    writeFileSync(join(work, 'w'), Buffer.alloc(4 * 1024 * 1024, 1));
    for (const call of [() => repo.put('a/b', join(work, 'w')), () => repo.get('a/b', join(work, 'w2')), () => repo.exists('a/b')]) {
      const err = await rejectsWithCode(call(), 'ARTIFACT_REPOSITORY_FAILED');
      assert.match(err.message, /SignatureDoesNotMatch|InvalidAccessKeyId|HTTP 403/);
      assert.match(err.message, /check accessKey and secretKey/);
      assert.match(err.message, new RegExp(server.endpoint.replace(/\./g, '\\.')));
    }
  } finally {
    repo.close();
  }
});

test('a bucket that does not exist is named in the error', async () => {
  const repo = openArtifactRepository(config({ bucket: 'no-such-bucket' }), { home: work });
  try {
    writeFileSync(join(work, 'nb'), 'x');
    const err = await rejectsWithCode(repo.get('a/b', join(work, 'nb2')), 'ARTIFACT_REPOSITORY_FAILED');
    assert.match(err.message, /bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1/);
    const put = await rejectsWithCode(repo.put('a/b', join(work, 'nb')), 'ARTIFACT_REPOSITORY_FAILED');
    assert.match(put.message, /no-such-bucket/);
  } finally {
    repo.close();
  }
});
