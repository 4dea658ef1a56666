/**
 * Disk full, with real parts: Drover's home on a small tmpfs, a detached server (`up -d`, its
 * log a rotating file), the disk filled past the pressure threshold and then to the last byte.
 * The server stays up throughout (same pid), reports DiskPressure with the kubelet's reason and
 * taint, keeps a new Job's pod Pending saying why, refuses writes it cannot make with a message,
 * and runs the pod by itself once space returns. Needs root (mount); skipped otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './drover.js';

const BIN = join(REPO, 'bin', 'drover.js');
const MiB = 2 ** 20;

function drover(home: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: { ...process.env, DROVER_HOME: home, DROVER_SERVER: '', DROVER_DISK_PRESSURE_AVAILABLE: '12Mi', DROVER_DISK_CHECK_INTERVAL: '200ms' }, cwd: REPO }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000, lastSeen?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}${lastSeen ? `\nlast seen:\n${lastSeen()}` : ''}`);
}

/** Writes zeros into `path` until `leaveBytes` are left on its file system (or until ENOSPC when 0). */
function fill(path: string, home: string, leaveBytes: number): void {
  const fd = openSync(path, 'a');
  const chunk = Buffer.alloc(256 * 1024);
  try {
    for (;;) {
      const avail = Number(execFileSync('df', ['-B1', '--output=avail', home], { encoding: 'utf8' }).trim().split('\n').pop());
      if (avail <= leaveBytes) return;
      writeSync(fd, chunk, 0, Math.min(chunk.length, Math.max(4096, avail - leaveBytes)));
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

const JOB = `apiVersion: batch/v1
kind: Job
metadata: { name: after-space }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - { name: c, image: busybox, workingDir: /, command: [sh, -c, "echo ran"] }
`;

const root = process.getuid?.() === 0;

test('disk full: the server survives, reports DiskPressure, keeps a new pod Pending saying why, and runs it once space returns, with no restart', { skip: !root && 'needs root to mount a tmpfs', timeout: 120_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m,mode=0700', 'tmpfs', home]);
  try {
    const up = await drover(home, ['up', '-d', '--port', '0', '--cpus', '1', '--memory', '1Gi']);
    assert.equal(up.code, 0, up.stderr);
    const pid = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')).pid as number;

    // Past the threshold (12Mi), with room left for the store to write the node's condition.
    fill(join(home, 'filler-1'), home, 6 * MiB);
    const described = await until('DiskPressure True on the node', async () => {
      const r = await drover(home, ['describe', 'node']);
      return /DiskPressure\s+True\s.*KubeletHasDiskPressure/.test(r.stdout) ? r.stdout : undefined;
    });
    assert.match(described, /Taints:\s+node\.kubernetes\.io\/disk-pressure:NoSchedule/);
    assert.match(described, /kubelet has disk pressure: .* available on the file system holding .* threshold nodefs\.available<12Mi/);
    assert.match(described, /NodeHasDiskPressure/);
    assert.match(described, /Store:\s*\n\s+Path:\s+.*state\.db\n\s+Size on disk:\s+\S+ \(database/);

    const applied = await drover(home, ['apply', '-f', '-'], JOB);
    assert.equal(applied.code, 0, applied.stderr);
    const pending = await until('the pod Pending with the taint as the reason', async () => {
      const r = await drover(home, ['describe', 'pods', '-l', 'job-name=after-space']);
      return r.stdout.includes('untolerated taint') ? r.stdout : undefined;
    });
    assert.match(pending, /Status:\s+Pending/);
    assert.match(pending, /0\/1 nodes are available: 1 node\(s\) had untolerated taint \{node\.kubernetes\.io\/disk-pressure: \}/);

    // To the last byte: writes fail, the server does not die of it.
    fill(join(home, 'filler-2'), home, 0);
    const refused = await drover(home, ['apply', '-f', '-'], `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: while-full }\ndata: { k: "${'x'.repeat(200_000)}" }\n`);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /store could not save the change \(SQLITE_FULL|disk is full/i);
    const listed = await drover(home, ['get', 'pods']);
    assert.equal(listed.code, 0, `the server still answers: ${listed.stderr}`);
    process.kill(pid, 0);

    rmSync(join(home, 'filler-2'));
    rmSync(join(home, 'filler-1'));
    await until('the job complete without a restart', async () => {
      const r = await drover(home, ['get', 'job', 'after-space', '-o', 'json']);
      return r.code === 0 && (JSON.parse(r.stdout) as { status?: { succeeded?: number } }).status?.succeeded === 1 ? true : undefined;
    });
    assert.equal(JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')).pid, pid, 'the same server');
    assert.match((await drover(home, ['logs', 'job/after-space'])).stdout, /ran/);
    const after = (await drover(home, ['describe', 'node'])).stdout;
    assert.match(after, /DiskPressure\s+False\s.*KubeletHasNoDiskPressure/);
    assert.match(after, /Taints:\s+<none>/);
    // A container that fills the disk itself and fails: an event says the disk was full.
    const filler = JOB.replace('after-space', 'fills-disk').replace('"echo ran"', '"dd if=/dev/zero of=/var/tmp/fill bs=1M count=200"');
    assert.equal((await drover(home, ['apply', '-f', '-'], filler)).code, 0);
    let seen = '';
    const failed = await until('the filling container failed with an event saying why', async () => {
      const r = await drover(home, ['describe', 'pods', '-l', 'job-name=fills-disk']);
      seen = `${r.stdout}${r.stderr}\n${(await drover(home, ['describe', 'node'])).stdout}`;
      // The event and the pod's Failed status are two writes: wait for both.
      return /DiskPressure\s.*Container c ended with exit code 1 while the node's disk was full/.test(r.stdout) && /Status:\s+Failed/.test(r.stdout) ? r.stdout : undefined;
    }, 30_000, () => seen);
    assert.match(failed, /Status:\s+Failed/);
    // The detached server's own log: written to a file it rotates, and it says what happened.
    const log = readFileSync(join(home, 'server.log'), 'utf8');
    assert.match(log, /disk pressure: new pods wait until space returns/);
    assert.match(log, /disk pressure is over/);
    const down = await drover(home, ['down']);
    assert.equal(down.code, 0, down.stderr);
  } finally {
    try {
      const info = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as { pid: number };
      process.kill(info.pid, 'SIGKILL');
    } catch {
      // Stopped already.
    }
    await new Promise((r) => setTimeout(r, 200));
    try {
      execFileSync('umount', ['-l', home]);
    } catch {
      // Not mounted.
    }
    rmSync(home, { recursive: true, force: true });
  }
});

test('the server log of drover up -d is bounded: rotated by size, older files dropped', { timeout: 60_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-log-'));
  try {
    // Each start writes a few hundred bytes: three starts fill more than two files of 300 bytes.
    writeFileSync(join(home, 'config.yaml'), 'serverLog: { maxSize: 300, maxFiles: 2 }\n');
    for (let i = 0; i < 3; i++) {
      const up = await drover(home, ['up', '-d', '--port', '0', '--cpus', '1', '--memory', '1Gi']);
      assert.equal(up.code, 0, up.stderr);
      await drover(home, ['down']);
    }
    assert.ok(existsSync(join(home, 'server.log.1')), 'rotated');
    assert.ok(!existsSync(join(home, 'server.log.2')), 'two files at most');
    assert.match(readFileSync(join(home, 'server.log'), 'utf8'), /"level"/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
