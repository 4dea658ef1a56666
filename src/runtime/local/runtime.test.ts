/**
 * The local runtime driven through a real store: real bubblewrap sandboxes, real cgroups, real
 * processes. Each test gets its own home and cgroup parent and checks that nothing leaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../api/index.js';
import { detectCgroups } from './cgroups.js';
import { harness, processesMatching, waitUntil } from './testkit.js';

const sh = (script: string) => ({ name: 'main', image: 'busybox', command: ['sh', '-c', script] });
const term = (p: { status?: { containerStatuses?: { state?: { terminated?: unknown } }[] } }, i = 0) =>
  p.status?.containerStatuses?.[i]?.state?.terminated as { exitCode: number; reason: string; message?: string; startedAt?: string; finishedAt?: string; containerID?: string } | undefined;

test('a pod runs to Succeeded with its output in the log, kubelet-style status and a Started event', async () => {
  const h = await harness();
  try {
    await h.pod('hello', { containers: [sh('echo out; echo err >&2; echo "host=$HOSTNAME home=$HOME gpus=[$CUDA_VISIBLE_DEVICES]"; sleep 0.4; echo done')] });
    const running = await h.waitPhase('hello', 'Running');
    const cs = running.status?.containerStatuses?.[0];
    assert.ok(cs?.state?.running?.startedAt, 'running.startedAt');
    assert.equal(cs?.ready, true);
    assert.equal(cs?.restartCount, 0);
    assert.match(cs?.containerID ?? '', /^drover:\/\/\d+$/);
    // Its own address on the bridge under a root server, else the host's network.
    assert.match(running.status?.podIP ?? '', process.getuid?.() === 0 ? /^10\.88\.\d+\.\d+$/ : /^127\.0\.0\.1$/);
    assert.ok(running.status?.hostIP);
    assert.ok(running.status?.startTime);
    assert.deepEqual(
      running.status?.conditions?.filter((c) => ['Initialized', 'ContainersReady', 'Ready'].includes(c.type)).map((c) => `${c.type}=${c.status}`),
      ['Initialized=True', 'Ready=True', 'ContainersReady=True'],
    );
    const done = await h.waitPhase('hello', 'Succeeded');
    const t = term(done);
    assert.equal(t?.exitCode, 0);
    assert.equal(t?.reason, 'Completed');
    assert.ok(t?.startedAt && t.finishedAt);
    assert.equal(await h.logs(done), 'out\nerr\nhost=hello home=/tmp gpus=[]\ndone\n');
    assert.ok((await h.events('hello')).some((e) => e.type === 'Normal' && e.reason === 'Started' && e.message === 'Started container main'));
  } finally {
    await h.close();
  }
});

test('a failing command ends Failed with reason Error and its exit code; unrunnable ones end ContainerCannotRun', async () => {
  const h = await harness();
  try {
    await Promise.all([
      h.pod('fails', { containers: [sh('echo bad >&2; exit 3')] }),
      h.pod('noexec', { containers: [{ name: 'main', image: 'x', command: ['no-such-program-xyz'] }] }),
      h.pod('nocmd', { containers: [{ name: 'main', image: 'python:3.11' }] }),
    ]);
    const fails = await h.waitPhase('fails', 'Failed');
    assert.deepEqual([term(fails)?.exitCode, term(fails)?.reason], [3, 'Error']);
    const noexec = await h.waitPhase('noexec', 'Failed');
    assert.deepEqual([term(noexec)?.exitCode, term(noexec)?.reason, term(noexec)?.message], [128, 'ContainerCannotRun', 'exec: "no-such-program-xyz": executable file not found in $PATH']);
    const nocmd = await h.waitPhase('nocmd', 'Failed');
    assert.equal(term(nocmd)?.reason, 'ContainerCannotRun');
    assert.match(term(nocmd)?.message ?? '', /neither command nor args.*no image entrypoint/);
  } finally {
    await h.close();
  }
});

test('a pod over its memory limit ends OOMKilled with exit code 137', async () => {
  const h = await harness();
  try {
    await h.pod('hog', {
      containers: [{ name: 'main', image: 'python', command: ['python3', '-c', 'x = b"x" * (256 << 20); print(len(x))'], resources: { limits: { memory: '64Mi' } } }],
    });
    const p = await h.waitPhase('hog', 'Failed', 30000);
    assert.deepEqual([term(p)?.exitCode, term(p)?.reason], [137, 'OOMKilled']);
    assert.ok((await h.events('hog')).some((e) => e.type === 'Warning' && e.reason === 'OOMKilled'));
  } finally {
    await h.close();
  }
});

test('CPU and memory limits become the cgroup quota and limit, and usage reports the throttled CPU', async () => {
  const h = await harness();
  try {
    await h.pod('busy', { containers: [{ ...sh('while :; do :; done'), resources: { limits: { cpu: '250m', memory: '100Mi' } } }] });
    const p = await h.waitPhase('busy', 'Running');
    const layout = detectCgroups()!;
    const uid = p.metadata.uid!;
    if (layout.version === 1) {
      assert.equal(readFileSync(join(layout.cpuRoot, h.cgroupParent, `pod${uid}`, 'main', 'cpu.cfs_quota_us'), 'utf8').trim(), '25000');
      assert.equal(readFileSync(join(layout.memoryRoot, h.cgroupParent, `pod${uid}`, 'main', 'memory.limit_in_bytes'), 'utf8').trim(), String(100 * 2 ** 20));
    } else {
      assert.equal(readFileSync(join(layout.memoryRoot, h.cgroupParent, `pod${uid}`, 'main', 'cpu.max'), 'utf8').trim(), '25000 100000');
      assert.equal(readFileSync(join(layout.memoryRoot, h.cgroupParent, `pod${uid}`, 'main', 'memory.max'), 'utf8').trim(), String(100 * 2 ** 20));
    }
    await h.runtime.usage(p);
    await new Promise((r) => setTimeout(r, 1000));
    const u = await h.runtime.usage(p);
    assert.ok(u, 'usage of a running pod');
    assert.ok(u.cpuMillicores > 30 && u.cpuMillicores < 350, `a busy loop limited to 250m uses at most about 250m, not a whole core (got ${u.cpuMillicores})`);
    assert.ok(u.memoryBytes > 0);
  } finally {
    await h.close();
  }
});

test("the container's root is a private copy: writes succeed inside and never reach the host", async () => {
  const h = await harness();
  // /var/tmp: a directory the pod's unprivileged user may write to; the write lands in the overlay.
  const marker = `/var/tmp/drover-test-${process.pid}`;
  try {
    await h.pod('writer', { containers: [sh(`echo hi > ${marker} && cat ${marker} && touch /tmp/x && echo $$$$`)] });
    const p = await h.waitPhase('writer', 'Succeeded');
    const out = await h.logs(p);
    assert.match(out, /^hi\n/);
    assert.equal(out.split('\n')[1], '2', 'own pid namespace: the command is pid 2 under bwrap');
    assert.equal(existsSync(marker), false);
  } finally {
    await h.close();
  }
});

test('a claim directory persists after its pods and is shared by every pod that mounts it; a missing claim keeps the pod Pending', async () => {
  const h = await harness();
  try {
    await h.store.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'shared', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    const vol = { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'shared' } }] };
    const mount = { volumeMounts: [{ name: 'data', mountPath: '/mnt/data' }] };
    await h.pod('a', { ...vol, containers: [{ ...sh('echo from-a > /mnt/data/a.txt'), ...mount }] });
    await h.waitPhase('a', 'Succeeded');
    await h.pod('b', { ...vol, containers: [{ ...sh('cat /mnt/data/a.txt; echo from-b > /mnt/data/b.txt'), ...mount }] });
    const b = await h.waitPhase('b', 'Succeeded');
    assert.equal(await h.logs(b), 'from-a\n');
    await h.store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'a' });
    await h.store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'b' });
    const dir = join(h.home, 'claims', 'default', 'shared');
    await waitUntil(() => !existsSync(join(h.home, 'pods', b.metadata.uid!)), 5000, 'pod b removed');
    assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'from-a\n');
    assert.equal(readFileSync(join(dir, 'b.txt'), 'utf8'), 'from-b\n');

    await h.pod('later', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'later' } }], containers: [{ ...sh('ls /mnt/data && echo ok'), ...mount }] });
    const pending = await h.waitFor('later', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating', 5000, 'waiting');
    assert.equal(pending.status?.phase, 'Pending');
    await waitUntil(async () => (await h.events('later')).some((e) => e.reason === 'FailedMount' && e.message.includes('persistentvolumeclaim "later" not found')), 5000, 'FailedMount event');
    await h.store.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'later', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    const later = await h.waitPhase('later', 'Succeeded');
    assert.equal(await h.logs(later), 'ok\n');
  } finally {
    await h.close();
  }
});

test('a ConfigMap is mounted as files (items, modes, subPath) and a Secret decoded, both read-only', async () => {
  const h = await harness();
  try {
    await h.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'default' }, data: { 'config.yaml': 'lr: 0.1\n', other: 'x' } });
    await h.store.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'default' }, data: { token: Buffer.from('s3cret').toString('base64') } });
    await h.pod('cfg', {
      volumes: [
        { name: 'cfg', configMap: { name: 'app', items: [{ key: 'config.yaml', path: 'conf/app.yaml', mode: 0o600 }] } },
        { name: 'sec', secret: { secretName: 'creds', defaultMode: 0o400 } },
      ],
      containers: [
        {
          ...sh('cat /etc/app/conf/app.yaml; cat /opt/single.yaml; stat -c %a /etc/app/conf/app.yaml; ls /etc/app; cat /run/creds/token; echo; stat -c %a /run/creds/token; touch /etc/app/new 2>/dev/null || echo read-only'),
          volumeMounts: [
            { name: 'cfg', mountPath: '/etc/app' },
            { name: 'cfg', mountPath: '/opt/single.yaml', subPath: 'conf/app.yaml' },
            { name: 'sec', mountPath: '/run/creds' },
          ],
        },
      ],
    });
    const p = await h.waitPhase('cfg', 'Succeeded');
    assert.equal(await h.logs(p), 'lr: 0.1\nlr: 0.1\n600\nconf\ns3cret\n400\nread-only\n');
  } finally {
    await h.close();
  }
});

test('env comes from configMapKeyRef, secretKeyRef, fieldRef and resourceFieldRef, with $(VAR) expansion', async () => {
  const h = await harness();
  try {
    await h.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { mode: 'fast' } });
    await h.store.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'default' }, data: { token: Buffer.from('t0k').toString('base64') } });
    await h.pod(
      'envy',
      {
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', 'echo "$MODE $TOKEN $POD $NS $APP $MEM_MI $OUT $UID_LEN"', '$(POD)'],
            resources: { limits: { memory: '128Mi' } },
            env: [
              { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
              { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
              { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
              { name: 'OUT', value: '/out/$(POD)/$(MODE)' },
              { name: 'UID_LEN', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
            ],
          },
        ],
      },
      { labels: { app: 'trainer' } },
    );
    const p = await h.waitPhase('envy', 'Succeeded');
    assert.equal(await h.logs(p), `fast t0k envy default trainer 128 /out/envy/fast ${p.metadata.uid}\n`);
  } finally {
    await h.close();
  }
});

test('a missing ConfigMap keeps the container waiting with CreateContainerConfigError until it appears', async () => {
  const h = await harness();
  try {
    await h.pod('waits', { containers: [{ ...sh('echo $V'), env: [{ name: 'V', valueFrom: { configMapKeyRef: { name: 'late', key: 'v' } } }] }] });
    const w = await h.waitFor('waits', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError', 5000, 'config error');
    assert.equal(w.status?.phase, 'Pending');
    assert.equal(w.status?.containerStatuses?.[0]?.state?.waiting?.message, 'configmap "late" not found');
    await h.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late', namespace: 'default' }, data: { v: 'arrived' } });
    const p = await h.waitPhase('waits', 'Succeeded');
    assert.equal(await h.logs(p), 'arrived\n');
    assert.ok((await h.events('waits')).some((e) => e.type === 'Warning' && e.reason === 'Failed' && e.message === 'Error: configmap "late" not found'));
  } finally {
    await h.close();
  }
});

test('deleting a pod kills its whole process tree, SIGKILL after the grace period for what ignores SIGTERM', async () => {
  const h = await harness();
  const tag = `${process.pid}${Date.now() % 10000}`;
  try {
    // A long grace for the cooperative tree: were SIGTERM to miss a process, it would live 30 s, not die at once.
    await h.pod('tree', { terminationGracePeriodSeconds: 30, containers: [sh(`sleep 41${tag}.1 & (sleep 42${tag}.2 &) ; sh -c 'sleep 43${tag}.3' & wait`)] });
    const stubborn = await h.pod('stubborn', { terminationGracePeriodSeconds: 1, containers: [sh(`trap '' TERM; sleep 44${tag}.4 & wait`)] });
    await h.waitPhase('tree', 'Running');
    await h.waitPhase('stubborn', 'Running');
    // The sleeps themselves (the shell's and bwrap's command lines name them too).
    const sleeping = (n: string) =>
      processesMatching(`sleep ${n}${tag}`).filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep');
        } catch {
          return false;
        }
      });
    await waitUntil(() => ['41', '42', '43', '44'].every((n) => sleeping(n).length >= 1), 5000, 'grandchildren started');
    const t0 = Date.now();
    await h.store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'tree' });
    await h.store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'stubborn' });
    await waitUntil(() => ['41', '42', '43'].every((n) => processesMatching(`sleep ${n}${tag}`).length === 0), 10_000, 'tree killed');
    const treeMs = Date.now() - t0;
    await waitUntil(() => processesMatching(`sleep 44${tag}`).length === 0, 5000, 'stubborn killed');
    const stubbornMs = Date.now() - t0;
    assert.ok(treeMs < 10_000, `SIGTERM ends a cooperative tree at once, long before its 30 s grace period (${treeMs} ms)`);
    assert.ok(stubbornMs >= 900, `SIGKILL comes after the 1 s grace period (${stubbornMs} ms)`);
    await waitUntil(() => !existsSync(join(h.home, 'pods', stubborn.metadata.uid!)), 5000, 'pod directory removed');
    assert.ok((await h.events('tree')).some((e) => e.reason === 'Killing' && e.message === 'Stopping container main'));
  } finally {
    await h.close();
  }
});

test('under OnFailure a failed container restarts in place with back-off, restartCount and lastState', async () => {
  const h = await harness({ restartBackoffBaseMs: 300 });
  try {
    await h.pod('flaky', {
      restartPolicy: 'OnFailure',
      volumes: [{ name: 'state', emptyDir: {} }],
      containers: [{ ...sh('n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo attempt $n; [ $n -ge 3 ]'), volumeMounts: [{ name: 'state', mountPath: '/state' }] }],
    });
    const backoff = await h.waitFor('flaky', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff', 5000, 'CrashLoopBackOff');
    assert.equal(backoff.status?.phase, 'Running', 'a pod waiting to restart is Running, as in Kubernetes');
    assert.match(backoff.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '', /^back-off 300ms|^back-off 0.3s restarting failed container=main pod=flaky_default\(/);
    const p = await h.waitPhase('flaky', 'Succeeded', 10000);
    const cs = p.status?.containerStatuses?.[0];
    assert.equal(cs?.restartCount, 2);
    assert.equal(cs?.lastState?.terminated?.exitCode, 1);
    assert.equal(cs?.lastState?.terminated?.reason, 'Error');
    assert.equal(cs?.state?.terminated?.reason, 'Completed');
    assert.equal(await h.logs(p), 'attempt 3\n');
    assert.equal(await h.logs(p, { previous: true }), 'attempt 2\n');
    assert.ok((await h.events('flaky')).some((e) => e.type === 'Warning' && e.reason === 'BackOff' && e.message.startsWith('Back-off restarting failed container main in pod flaky_default')));
  } finally {
    await h.close();
  }
});

test('activeDeadlineSeconds kills the pod: Failed with reason DeadlineExceeded', async () => {
  const h = await harness();
  try {
    await h.pod('slow', { activeDeadlineSeconds: 1, terminationGracePeriodSeconds: 0, containers: [sh('sleep 30')] });
    const p = await h.waitPhase('slow', 'Failed', 5000);
    assert.equal(p.status?.reason, 'DeadlineExceeded');
    assert.equal(p.status?.message, 'Pod was active on the node longer than the specified deadline');
    await h.waitFor('slow', (x) => term(x)?.exitCode === 137, 3000, 'container killed');
  } finally {
    await h.close();
  }
});

test('GPU ids are handed out exclusively (configured capacity; no physical GPU here)', async () => {
  const h = await harness({ gpuIds: ['0', '1'] });
  try {
    const gpu = (n: number) => ({ resources: { limits: { 'nvidia.com/gpu': String(n) } } });
    await h.pod('g1', { containers: [{ ...sh('echo "[$CUDA_VISIBLE_DEVICES]"; sleep 0.5'), ...gpu(1) }] });
    await h.pod('g2', { containers: [{ ...sh('echo "[$CUDA_VISIBLE_DEVICES]"; sleep 0.5'), ...gpu(1) }] });
    await h.pod('cpu', { containers: [sh('echo "[$CUDA_VISIBLE_DEVICES]"')] });
    const [r1, r2] = [await h.waitPhase('g1', 'Running'), await h.waitPhase('g2', 'Running')];
    const ids = [r1, r2].map((p) => p.metadata.annotations?.['drover.dev/gpu-ids']);
    assert.deepEqual([...ids].sort(), ['0', '1'], 'each pod got its own GPU');
    // Both GPUs are taken: a third GPU pod waits (the scheduler would not bind it, but the runtime must not share).
    await h.pod('g3', { containers: [{ ...sh('echo "[$CUDA_VISIBLE_DEVICES]"'), ...gpu(2) }] });
    const waiting = await h.waitFor('g3', (p) => /nvidia.com\/gpu/.test(p.status?.containerStatuses?.[0]?.state?.waiting?.message ?? ''), 5000, 'waiting for GPUs');
    assert.equal(waiting.status?.phase, 'Pending');
    const [d1, d2] = [await h.waitPhase('g1', 'Succeeded'), await h.waitPhase('g2', 'Succeeded')];
    assert.equal(await h.logs(d1), `[${ids[0]}]\n`);
    assert.equal(await h.logs(d2), `[${ids[1]}]\n`);
    const g3 = await h.waitPhase('g3', 'Succeeded');
    assert.equal(await h.logs(g3), '[0,1]\n');
    assert.equal(g3.metadata.annotations?.['drover.dev/gpu-ids'], '0,1');
    assert.equal(await h.logs(await h.waitPhase('cpu', 'Succeeded')), '[]\n', 'a pod without a GPU limit sees no GPU');
  } finally {
    await h.close();
  }
});

test('logs: follow until the container ends, tailLines, timestamps, previous and container errors like kubectl', async () => {
  const h = await harness();
  try {
    await h.pod('talk', { containers: [sh('for i in 1 2 3 4 5; do echo line $i; sleep 0.1; done')] });
    const running = await h.waitPhase('talk', 'Running');
    const followed = await h.logs(running, { follow: true, timestamps: true });
    const lines = followed.trimEnd().split('\n');
    assert.equal(lines.length, 5);
    const times = lines.map((l) => {
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) line (\d)$/.exec(l);
      assert.ok(m, `timestamped line: ${l}`);
      return Date.parse(m[1]!);
    });
    assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]!), 'times do not go backwards');
    assert.ok(times[4]! - times[0]! >= 250, 'the index tells early lines from late ones');
    const done = await h.waitPhase('talk', 'Succeeded');
    assert.equal(await h.logs(done, { tailLines: 2 }), 'line 4\nline 5\n');
    await assert.rejects(h.logs(done, { previous: true }), /previous terminated container "main" in pod "talk" not found/);
    await h.pod('two', { containers: [{ ...sh('true'), name: 'a' }, { ...sh('true'), name: 'b' }] });
    const two = await h.waitPhase('two', 'Succeeded');
    await assert.rejects(h.logs(two), /a container name must be specified for pod two, choose one of: \[a b\]/);
    assert.equal(await h.logs(two, { container: 'b' }), '');
    const ac = new AbortController();
    await h.pod('forever', { containers: [sh('echo start; sleep 30')] });
    const fr = await h.waitPhase('forever', 'Running');
    setTimeout(() => ac.abort(), 300);
    assert.equal(await h.logs(fr, { follow: true, signal: ac.signal }), 'start\n', 'a follow ends when aborted');
  } finally {
    await h.close();
  }
});

test('working dir: workingDir is created, else the source-dir annotation; python resolves to Python 3', async () => {
  const h = await harness();
  const src = mkdtempSync(join(tmpdir(), 'drover-src-'));
  // The manifest's directory must be readable by the pod's user (mkdtemp makes it 0700).
  chmodSync(src, 0o755);
  try {
    writeFileSync(join(src, 'hello.py'), 'import os, sys\nprint(os.getcwd() == os.environ["SRC"], sys.version_info.major)\n');
    await h.pod('py', { containers: [{ name: 'main', image: 'python:3.11', command: ['python', 'hello.py'], env: [{ name: 'SRC', value: src }] }] }, { annotations: { 'drover.dev/source-dir': src } });
    await h.pod('wd', { containers: [{ ...sh('pwd'), workingDir: '/work/deep/dir' }] });
    assert.equal(await h.logs(await h.waitPhase('py', 'Succeeded', 20000)), 'True 3\n');
    assert.equal(await h.logs(await h.waitPhase('wd', 'Succeeded')), '/work/deep/dir\n');
  } finally {
    await h.close();
    rmSync(src, { recursive: true, force: true });
  }
});

test('the read-only root mode (no overlay) runs pods: / is read-only, /tmp and volumes are writable', async () => {
  const h = await harness({ rootfs: 'readonly' });
  try {
    assert.equal(h.runtime.rootMode, 'readonly');
    await h.pod('ro', {
      volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: [{ ...sh('touch /etc/x 2>/dev/null || echo ro-root; touch /tmp/y && echo tmp-ok; echo v > /scratch/v && echo vol-ok'), volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }],
    });
    assert.equal(await h.logs(await h.waitPhase('ro', 'Succeeded')), 'ro-root\ntmp-ok\nvol-ok\n');
  } finally {
    await h.close();
  }
});

test('the store sees every pod of a burst finish (50 trivial pods)', async () => {
  const h = await harness();
  try {
    const names = Array.from({ length: 50 }, (_, i) => `burst-${i}`);
    await Promise.all(names.map((n) => h.pod(n, { containers: [{ name: 'main', image: 'x', command: ['true'] }] })));
    for (const n of names) await h.waitPhase(n, 'Succeeded', 30000);
    const pods = await h.store.list<KubeObject>({ apiVersion: 'v1', kind: 'Pod' });
    assert.equal(pods.items.length, 50);
  } finally {
    await h.close();
  }
});

test('python resolves to Python 3 on a host that only has python3, with and without the overlay', async () => {
  const saved = process.env['PATH'];
  // A PATH without pyenv's shims: only /usr/bin/python3 is there.
  process.env['PATH'] = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const hs = [];
  try {
    for (const rootfs of ['overlay', 'readonly'] as const) {
      const h = await harness({ rootfs });
      hs.push(h);
      await h.pod('py', { containers: [{ name: 'main', image: 'python', command: ['python', '-c', 'import sys; print(sys.version_info.major)'] }] });
      assert.equal(await h.logs(await h.waitPhase('py', 'Succeeded', 20000)), '3\n', rootfs);
    }
  } finally {
    process.env['PATH'] = saved;
    for (const h of hs) await h.close();
  }
});

test("working dir: the image's workingDir, `/` for upstream tool images (a relative write lands in `/`), the manifest's directory otherwise; an image's entrypoint runs before args", async () => {
  const tools = mkdtempSync(join(tmpdir(), 'drover-shim-'));
  chmodSync(tools, 0o755);
  writeFileSync(join(tools, 'say'), '#!/bin/sh\necho "say: $*"\n');
  chmodSync(join(tools, 'say'), 0o755);
  const src = mkdtempSync(join(tmpdir(), 'drover-src-'));
  chmodSync(src, 0o755);
  const h = await harness({ images: { 'example/say': { entrypoint: ['say', '--loud'], pathPrepend: [tools] }, 'example/tool': { workingDir: '/opt/tool' } } });
  const inSrc = { annotations: { 'drover.dev/source-dir': src } };
  try {
    await Promise.all([
      // busybox starts in `/` upstream: a relative write lands in `/` (writable under the overlay).
      h.pod('busy', { containers: [{ ...sh('echo hi > hello.txt && pwd && cat /hello.txt'), image: 'docker.io/library/busybox:1.36' }] }, inSrc),
      h.pod('code', { containers: [{ ...sh('pwd'), image: 'python:3.12' }] }, inSrc),
      h.pod('tool', { containers: [{ ...sh('pwd'), image: 'example/tool:2' }] }, inSrc),
      h.pod('say', { containers: [{ name: 'main', image: 'example/say', args: ['hello', 'world'] }] }),
    ]);
    const overlay = h.runtime.rootMode === 'overlay';
    if (overlay) assert.equal(await h.logs(await h.waitPhase('busy', 'Succeeded')), '/\nhi\n');
    assert.equal(await h.logs(await h.waitPhase('code', 'Succeeded')), `${src}\n`);
    assert.equal(await h.logs(await h.waitPhase('tool', 'Succeeded')), '/opt/tool\n');
    assert.equal(await h.logs(await h.waitPhase('say', 'Succeeded')), 'say: --loud hello world\n');
  } finally {
    await h.close();
    rmSync(tools, { recursive: true, force: true });
    rmSync(src, { recursive: true, force: true });
  }
});

test('an image mapped to a local environment gets its env and PATH; the pod env still wins', async () => {
  const tools = mkdtempSync(join(tmpdir(), 'drover-venv-'));
  chmodSync(tools, 0o755);
  mkdirSync(join(tools, 'bin'));
  writeFileSync(join(tools, 'bin', 'mytool'), '#!/bin/sh\necho "mytool $GREETING $MODE"\n');
  chmodSync(join(tools, 'bin', 'mytool'), 0o755);
  const h = await harness({ images: { 'registry.example/trainer:1': { env: { GREETING: 'hello', MODE: 'image' }, pathPrepend: [join(tools, 'bin')] } } });
  try {
    await h.pod('img', { containers: [{ name: 'main', image: 'registry.example/trainer:1', command: ['mytool'], env: [{ name: 'MODE', value: 'pod' }] }] });
    assert.equal(await h.logs(await h.waitPhase('img', 'Succeeded')), 'mytool hello pod\n');
  } finally {
    await h.close();
    rmSync(tools, { recursive: true, force: true });
  }
});

test('containers are started by a spawner process; when it dies, running containers still end with their exit code and new ones start', async () => {
  const h = await harness();
  try {
    const tag = `${process.pid}${Date.now() % 1000}`;
    await h.pod('long', { containers: [sh(`sleep 1.${tag}; exit 3`)] });
    await h.waitPhase('long', 'Running');
    const helpers = processesMatching('spawner-process.js').filter((pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(process.pid));
    assert.equal(helpers.length, 1, 'one spawner helper, a child of this process');
    const container = processesMatching(`sleep 1.${tag}`);
    assert.ok(container.length > 0, 'the container runs');
    process.kill(helpers[0]!, 'SIGKILL');
    await waitUntil(() => processesMatching('spawner-process.js').every((pid) => pid !== helpers[0]), 5000, 'the helper gone');
    assert.ok(processesMatching(`sleep 1.${tag}`).length > 0, 'the container outlived its spawner');
    // Its end is now found by polling, as for a container adopted after a restart.
    const failed = await h.waitPhase('long', 'Failed', 15000);
    assert.equal(term(failed)?.exitCode, 3);
    await h.pod('after', { containers: [sh('echo again')] });
    assert.equal(await h.logs(await h.waitPhase('after', 'Succeeded')), 'again\n');
  } finally {
    await h.close();
  }
});
