/**
 * Test helpers: a real S3-compatible server (versitygw, built by scripts/s3-server.sh) on a free
 * loopback port, and the contract every ArtifactRepository must meet, run unchanged against each
 * kind. Not part of the door: tests only.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ArtifactRepository } from './types.js';

// dist/src/artifacts/testkit.js -> repository root
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface S3Server {
  endpoint: string; // host:port, as Argo writes it
  bucket: string;
  accessKey: string;
  secretKey: string;
  /** Where the posix backend keeps objects: `${dataDir}/${bucket}/${key}`. */
  dataDir: string;
  pid: number;
  stop(): Promise<void>;
}

/** The server binary; fails the test loudly when it has not been built (CI builds it first). */
export function s3ServerBinary(): string {
  try {
    return execFileSync('bash', [join(ROOT, 'scripts', 's3-server.sh'), 'path'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`the S3 test server is missing: ${stderr || String(e)}`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts versitygw on a free loopback port with a fresh data dir and one bucket. */
export async function startS3Server(bucket = 'drover-test'): Promise<S3Server> {
  const bin = s3ServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'drover-s3-'));
  const dataDir = join(dir, 'data');
  mkdirSync(join(dataDir, bucket), { recursive: true });
  const accessKey = 'drover-test';
  const secretKey = randomBytes(12).toString('hex');
  let lastOutput = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(bin, ['--port', `127.0.0.1:${port}`, '--quiet', 'posix', dataDir], {
      env: { ...process.env, ROOT_ACCESS_KEY_ID: accessKey, ROOT_SECRET_ACCESS_KEY: secretKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    const deadline = Date.now() + 15_000;
    while (child.exitCode === null && Date.now() < deadline && !(await canConnect(port))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    if (child.exitCode === null && (await canConnect(port))) {
      return {
        endpoint: `127.0.0.1:${port}`, bucket, accessKey, secretKey, dataDir, pid: child.pid!,
        async stop() {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited(child);
          clearTimeout(killer);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGKILL');
    await exited(child);
    lastOutput = output; // most likely the port was taken in between: try another
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`the S3 test server did not start: ${lastOutput.trim()}`);
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

/** Asserts a promise rejects with a DroverError of this code; returns the error. */
export async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<Error & { code: string; message: string; retryable: boolean }> {
  let err: unknown;
  await assert.rejects(p, (e: unknown) => { err = e; return true; });
  assert.equal((err as { code?: string }).code, code, `expected ${code}, got ${(err as Error).name}: ${(err as Error).message}`);
  return err as Error & { code: string; message: string; retryable: boolean };
}

/**
 * The behaviour every repository kind shares. `open` gives a fresh repository (its own root,
 * bucket or prefix) per suite; `close` tears it down.
 */
export function artifactRepositoryContract(name: string, open: () => Promise<{ repo: ArtifactRepository; close(): Promise<void> }>): void {
  describe(`${name} repository contract`, () => {
    let repo: ArtifactRepository;
    let close: () => Promise<void>;
    let work: string;
    const file = (rel: string, content: string | Buffer) => {
      const p = join(work, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
      return p;
    };

    before(async () => {
      work = mkdtempSync(join(tmpdir(), 'drover-artifacts-work-'));
      ({ repo, close } = await open());
    });
    after(async () => {
      repo.close();
      await close();
      rmSync(work, { recursive: true, force: true });
    });

    test('an artifact put under a key comes back byte for byte, into a destination whose folders are created', async () => {
      const src = file('out/message.txt', 'hello artifacts\n');
      await repo.put('default/wf/wf-step-1/message.tgz', src);
      assert.equal(await repo.exists('default/wf/wf-step-1/message.tgz'), true);
      const dest = join(work, 'in', 'deep', 'er', 'message.txt');
      await repo.get('default/wf/wf-step-1/message.tgz', dest);
      assert.equal(readFileSync(dest, 'utf8'), 'hello artifacts\n');
    });

    test('a put under an existing key replaces the object, and an empty file is a valid artifact', async () => {
      await repo.put('default/wf/n/a.tgz', file('v1', 'first version'));
      await repo.put('default/wf/n/a.tgz', file('v2', 'second'));
      await repo.get('default/wf/n/a.tgz', join(work, 'got-a'));
      assert.equal(readFileSync(join(work, 'got-a'), 'utf8'), 'second');
      await repo.put('default/wf/n/empty', file('empty', ''));
      await repo.get('default/wf/n/empty', join(work, 'got-empty'));
      assert.equal(readFileSync(join(work, 'got-empty'), 'utf8'), '');
    });

    test('a 20 MB artifact round-trips intact', async () => {
      const big = file('big.bin', randomBytes(20 * 1024 * 1024));
      await repo.put('default/wf/n/big.tgz', big);
      const back = join(work, 'big-back.bin');
      await repo.get('default/wf/n/big.tgz', back);
      assert.equal(await sha256File(back), await sha256File(big));
    });

    test('a missing key is ArtifactNotFoundError on get (leaving no file) and false on exists', async () => {
      const dest = join(work, 'never.txt');
      const err = await rejectsWithCode(repo.get('default/wf/n/never.tgz', dest), 'ARTIFACT_NOT_FOUND');
      assert.match(err.message, /default\/wf\/n\/never\.tgz/);
      assert.equal(existsSync(dest), false);
      assert.equal(await repo.exists('default/wf/n/never.tgz'), false);
      // A key that is only a folder of other keys is not an artifact either.
      await repo.put('default/wf/folder/inside', file('inside', 'x'));
      assert.equal(await repo.exists('default/wf/folder'), false);
      await rejectsWithCode(repo.get('default/wf/folder', dest), 'ARTIFACT_NOT_FOUND');
    });

    test('open streams an object with its length (what the server sends a download from); a missing key or a folder is ArtifactNotFoundError', async () => {
      const big = file('open.bin', randomBytes(3 * 1024 * 1024 + 17));
      await repo.put('default/wf/n/open.tgz', big);
      const { stream, length } = await repo.open('default/wf/n/open.tgz');
      assert.equal(length, 3 * 1024 * 1024 + 17);
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      assert.ok(Buffer.concat(chunks).equals(readFileSync(big)));
      await rejectsWithCode(repo.open('default/wf/n/no-such.tgz'), 'ARTIFACT_NOT_FOUND');
      await repo.put('default/wf/dir/inside', file('inside2', 'x'));
      await rejectsWithCode(repo.open('default/wf/dir'), 'ARTIFACT_NOT_FOUND');
    });

    test('delete removes an object and is quiet about missing ones', async () => {
      await repo.put('default/gc/n/x.tgz', file('x', 'x'));
      await repo.delete('default/gc/n/x.tgz');
      assert.equal(await repo.exists('default/gc/n/x.tgz'), false);
      await repo.delete('default/gc/n/x.tgz');
      await repo.delete('default/nothing/here.tgz');
    });

    test('deletePrefix removes the path and everything under it, counts them, and spares look-alike siblings', async () => {
      const src = file('p', 'p');
      for (const k of ['ns/wf/a/out.tgz', 'ns/wf/a/logs', 'ns/wf/b/out.tgz', 'ns/wf2/a/out.tgz', 'ns/wfx', 'other/wf/a/out.tgz']) await repo.put(k, src);
      assert.equal(await repo.deletePrefix('ns/wf'), 3);
      for (const k of ['ns/wf/a/out.tgz', 'ns/wf/a/logs', 'ns/wf/b/out.tgz']) assert.equal(await repo.exists(k), false, k);
      for (const k of ['ns/wf2/a/out.tgz', 'ns/wfx', 'other/wf/a/out.tgz']) assert.equal(await repo.exists(k), true, k);
      assert.equal(await repo.deletePrefix('ns/wf/'), 0);
      assert.equal(await repo.deletePrefix('ns/nothing'), 0);
      // A prefix naming a single object deletes just it.
      assert.equal(await repo.deletePrefix('ns/wfx'), 1);
      assert.equal(await repo.exists('ns/wfx'), false);
    });

    test('listPrefix names the keys under a path prefix, sorted, and no look-alike sibling; none under a missing one', async () => {
      const src = file('l', 'l');
      for (const k of ['ls/dir/b.txt', 'ls/dir/a/deep.txt', 'ls/dirx/c.txt', 'ls/dir']) await repo.put(k === 'ls/dir' ? 'ls/dirfile' : k, src);
      assert.deepEqual(await repo.listPrefix('ls/dir', 2), ['ls/dir/a/deep.txt', 'ls/dir/b.txt']);
      assert.deepEqual(await repo.listPrefix('ls/dir/', 2), ['ls/dir/a/deep.txt', 'ls/dir/b.txt']);
      assert.equal(await repo.listPrefix('ls/dir', 1), undefined, 'more keys than the limit');
      assert.deepEqual(await repo.listPrefix('ls/none', 2), []);
      for (const bad of ['', '/', '..', '../x']) await rejectsWithCode(repo.listPrefix(bad, 2), 'ARTIFACT_KEY_INVALID');
    });

    test('keys that are absolute, climb out with "..", or have empty or "." segments are rejected before any I/O', async () => {
      const src = file('k', 'k');
      for (const bad of ['', '/etc/passwd', '../escape', 'a/../../b', 'a//b', 'a/./b', 'a/', 'a/..', '.', 'a\0b', 'a/.drover-tmp-1234']) {
        await rejectsWithCode(repo.put(bad, src), 'ARTIFACT_KEY_INVALID');
        await rejectsWithCode(repo.get(bad, join(work, 'bad')), 'ARTIFACT_KEY_INVALID');
        await rejectsWithCode(repo.exists(bad), 'ARTIFACT_KEY_INVALID');
        await rejectsWithCode(repo.delete(bad), 'ARTIFACT_KEY_INVALID');
      }
      for (const bad of ['', '/', '..', '/abs', '../x', 'a//']) await rejectsWithCode(repo.deletePrefix(bad), 'ARTIFACT_KEY_INVALID');
      assert.equal(existsSync(join(work, 'bad')), false);
    });

    test('storing a file that does not exist fails with ArtifactSourceError and stores nothing', async () => {
      const err = await rejectsWithCode(repo.put('default/wf/n/ghost.tgz', join(work, 'no-such-file')), 'ARTIFACT_SOURCE_INVALID');
      assert.match(err.message, /no-such-file.*no such file/);
      assert.equal(await repo.exists('default/wf/n/ghost.tgz'), false);
      await rejectsWithCode(repo.put('default/wf/n/dir.tgz', work), 'ARTIFACT_SOURCE_INVALID');
    });
  });
}
