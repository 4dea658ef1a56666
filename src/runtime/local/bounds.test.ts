/**
 * Per-pod bounds with real processes, real cgroups and real files: the pod's pids limit, /tmp
 * sized to the container and an OOM kill reported as such, container log rotation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { detectCgroups } from './cgroups.js';
import { harness, waitUntil } from './testkit.js';

type Term = { exitCode: number; reason: string } | undefined;
const term = (p: { status?: { containerStatuses?: { state?: { terminated?: unknown } }[] } }) => p.status?.containerStatuses?.[0]?.state?.terminated as Term;
const sh = (script: string, limits?: Record<string, string>) => ({ name: 'main', image: 'busybox', command: ['sh', '-c', script], ...(limits ? { resources: { limits } } : {}) });

test('a pod forking past its pids limit gets EAGAIN while the host can still spawn', async () => {
  const layout = detectCgroups();
  if (!layout?.pidsRoot) return; // No pids controller on this host: nothing to enforce with.
  const h = await harness({ podPidsLimit: 32 });
  try {
    const fork = [
      'import os, errno, signal',
      'kids = []',
      'try:',
      '    while True:',
      '        pid = os.fork()',
      '        if pid == 0:',
      '            signal.pause()',
      '            os._exit(0)',
      '        kids.append(pid)',
      'except OSError as e:',
      '    print(f"forked={len(kids)} error={errno.errorcode[e.errno]}", flush=True)',
      'signal.pause()',
    ].join('\n');
    await h.pod('forker', { containers: [{ name: 'main', image: 'python', command: ['python3', '-c', fork] }] });
    const p = await h.waitPhase('forker', 'Running');
    let out = '';
    await waitUntil(async () => /forked=\d+ error=\w+/.test((out = await h.logs(p))), 15000, 'the pod to hit its pids limit');
    const m = /forked=(\d+) error=(\w+)/.exec(out)!;
    assert.equal(m[2], 'EAGAIN', 'a fork beyond the limit fails with EAGAIN');
    const forked = Number(m[1]);
    // The pod's other tasks (bwrap's monitor and pid 1, python) count against the same 32.
    assert.ok(forked < 32 && forked >= 25, `the pod forked ${forked} processes under a limit of 32`);
    const podDir = join(layout.pidsRoot, h.cgroupParent, `pod${p.metadata.uid}`);
    assert.equal(readFileSync(join(podDir, 'pids.max'), 'utf8').trim(), '32');
    assert.equal(readFileSync(join(podDir, 'pids.current'), 'utf8').trim(), '32', 'the pod holds exactly its limit');
    assert.equal(spawnSync('true').status, 0, 'the host still spawns processes');
    assert.equal((await h.get('forker')).status?.phase, 'Running');
  } finally {
    await h.close();
  }
});

test("a container's /tmp is sized to its memory or ephemeral-storage limit, and writing past the memory limit there ends OOMKilled", async () => {
  const h = await harness({ containerTmpBytes: 16 * 2 ** 20 });
  try {
    const df = 'df -k /tmp | tail -n 1 | awk "{print \\$2}"';
    await Promise.all([
      h.pod('sized', { containers: [sh(df, { memory: '48Mi' })] }),
      h.pod('unlimited', { containers: [sh(df)] }),
      h.pod('ephemeral', { containers: [sh(`${df}; dd if=/dev/zero of=/tmp/fill bs=1M count=20 2>/dev/null || echo full`, { memory: '48Mi', 'ephemeral-storage': '8Mi' })] }),
      // The shell outlives the killed dd: the whole container must go, and be reported OOMKilled.
      h.pod('filler', { containers: [sh('dd if=/dev/zero of=/tmp/fill bs=1M count=200; echo "dd exited $?"; sleep 60; echo survived', { memory: '32Mi' })] }),
    ]);
    const [sized, unlimited, ephemeral] = await Promise.all(['sized', 'unlimited', 'ephemeral'].map((n) => h.waitFor(n, (p) => ['Succeeded', 'Failed'].includes(p.status?.phase ?? ''), 20000, 'the end')));
    const facts = (h.runtime as unknown as { ctx?: { facts: { tmpfsSize: boolean } } }).ctx?.facts;
    if (facts?.tmpfsSize) {
      assert.equal((await h.logs(sized!)).trim(), String(48 * 1024), '/tmp is the memory limit');
      assert.equal((await h.logs(unlimited!)).trim(), String(16 * 1024), '/tmp without limits is the configured default');
      assert.equal((await h.logs(ephemeral!)).trim(), `${8 * 1024}\nfull`, 'the smaller ephemeral-storage limit bounds /tmp: ENOSPC, no OOM');
      assert.equal(term(ephemeral!)?.reason, 'Completed');
    }
    const filler = await h.waitPhase('filler', 'Failed', 20000);
    assert.deepEqual([term(filler)?.exitCode, term(filler)?.reason], [137, 'OOMKilled']);
    assert.doesNotMatch(await h.logs(filler), /survived/);
    assert.ok((await h.events('filler')).some((e) => e.type === 'Warning' && e.reason === 'OOMKilled'));
  } finally {
    await h.close();
  }
});

test('a container log is rotated at its max size, keeps at most max files, and reads across them in order', async () => {
  const maxBytes = 64 * 1024;
  const maxFiles = 3;
  const h = await harness({ containerLogMaxBytes: maxBytes, containerLogMaxFiles: maxFiles });
  try {
    // 100-byte numbered lines, 6 x the max size in 12 bursts, so rotation happens while a follower reads.
    const perBurst = Math.ceil(maxBytes / 2 / 100);
    const total = perBurst * 12;
    const py = [
      'import sys, time',
      `for b in range(12):`,
      `    sys.stdout.write("".join(("line %06d " % i).ljust(99, "x") + "\\n" for i in range(b * ${perBurst}, (b + 1) * ${perBurst})))`,
      '    sys.stdout.flush()',
      '    time.sleep(0.06)', // longer than the runtime's 50 ms poll, so rotations happen mid-run
    ].join('\n');
    const p = await h.pod('spam', { containers: [{ name: 'main', image: 'python', command: ['python3', '-c', py] }] });
    await h.waitPhase('spam', 'Running');
    const followed = await h.logs(p, { follow: true });
    const line = (i: number) => `line ${String(i).padStart(6, '0')} `.padEnd(99, 'x');
    // The follower kept up: every line once, in order, across the rotations.
    assert.deepEqual(followed.split('\n').filter(Boolean), Array.from({ length: total }, (_, i) => line(i)));

    const done = await h.waitPhase('spam', 'Succeeded');
    const log = join(h.home, 'pods', done.metadata.uid!, 'main', '0.log');
    // The last rotation runs as the container ends; then the dropped bytes are freed.
    await waitUntil(() => statSync(log).blocks * 512 <= maxFiles * maxBytes + 64 * 1024, 10000, 'rotated bytes freed');
    const starts = (JSON.parse(readFileSync(log + '.rot', 'utf8')) as { starts: number[] }).starts;
    assert.equal(starts.length, maxFiles, 'at most max files are kept');
    assert.equal(statSync(log).size, total * 100, 'offsets never move: the file keeps its length');

    const full = (await h.logs(done)).split('\n').filter(Boolean);
    const first = Number(/^line (\d+)/.exec(full[0]!)![1]);
    assert.deepEqual(full, Array.from({ length: total - first }, (_, i) => line(first + i)), 'what is kept reads in order, from a line start to the last line');
    const keptBytes = full.length * 100;
    assert.ok(keptBytes > (maxFiles - 1) * maxBytes && keptBytes <= maxFiles * maxBytes + 100, `kept ${keptBytes} bytes: between ${maxFiles - 1} and ${maxFiles} files`);
    assert.deepEqual((await h.logs(done, { tailLines: 3 })).split('\n').filter(Boolean), [line(total - 3), line(total - 2), line(total - 1)]);
    assert.equal((await h.logs(done, { tailLines: 10 * total })).split('\n').filter(Boolean)[0], line(first), 'a tail longer than what is kept starts where the log starts');
    const limited = await h.logs(done, { timestamps: true, limitBytes: 150 });
    assert.equal(Buffer.byteLength(limited), 150);
    assert.match(limited, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${line(first)}\\n\\d{4}-`));
    assert.equal(await h.logs(done, { sinceTime: new Date(Date.now() + 3600_000).toISOString() }), '', 'nothing is newer than the future');
    assert.equal((await h.logs(done, { sinceSeconds: 3600 })).split('\n').filter(Boolean).length, full.length);
  } finally {
    await h.close();
  }
});
