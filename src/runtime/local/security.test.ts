/**
 * What a container can and cannot reach, tried from inside real sandboxes (real bwrap, setpriv,
 * seccomp, cgroups): ARCHITECTURE.md's table, as tests. Runs as root here, as the CI does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harness } from './testkit.js';

const sh = (script: string, extra: Record<string, unknown> = {}) => ({ name: 'main', image: 'busybox', command: ['sh', '-c', script], ...extra });
const lines = (s: string) => Object.fromEntries(s.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const isRoot = process.geteuid?.() === 0;

test('by default a container runs as uid 65534 with no capabilities, seccomp and no_new_privs, and reaches nothing of the host it should not', { skip: !isRoot && 'needs a root server' }, async () => {
  // A home outside /tmp (the sandbox's /tmp is its own anyway): the mask over it is what hides it.
  const h = await harness({ home: mkdtempSync('/var/tmp/drover-sec-') });
  // Another namespace's claim with data in it, and a file only root may read.
  mkdirSync(join(h.home, 'claims', 'other', 'private'), { recursive: true });
  writeFileSync(join(h.home, 'claims', 'other', 'private', 'data'), 'secret data');
  try {
    const H = h.home;
    const check = (name: string, cmd: string) => `if ${cmd} >/dev/null 2>&1; then echo ${name}=yes; else echo ${name}=no; fi`;
    await h.pod('probe', {
      containers: [
        sh(
          [
            'echo uid=$(id -u)',
            'echo gid=$(id -g)',
            'echo home=$HOME',
            "echo capeff=$(awk '/^CapEff/ {print $2}' /proc/self/status)",
            "echo capbnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)",
            "echo nnp=$(awk '/^NoNewPrivs/ {print $2}' /proc/self/status)",
            "echo seccomp=$(awk '/^Seccomp:/ {print $2}' /proc/self/status)",
            check('shadow', 'cat /etc/shadow'),
            check('roothome', 'ls /root'),
            check('statedb', `cat ${H}/state.db`),
            check('statedb_via_pid1', `cat /proc/1/root${H}/state.db`),
            `echo home_entries=$(ls -A ${H} | wc -l)`,
            `echo home_is_mount=$(grep -c " ${H} " /proc/self/mountinfo)`,
            check('otherclaim', `cat ${H}/claims/other/private/data`),
            check('umount_mask', `umount ${H}`),
            check('umount_lazy', `umount -l ${H}`),
            check('mount_tmpfs', 'mount -t tmpfs none /mnt'),
            check('proc_sys_write', 'sh -c "echo 1 > /proc/sys/kernel/ctrl-alt-del"'),
            check('sys_write', 'sh -c "echo 1 > /sys/kernel/profiling"'),
            check('userns', 'unshare -Ur true'),
            check('netns', 'unshare -n true'),
            check('dmesg', 'dmesg'),
            check('mknod', 'mknod /tmp/sda b 8 0'),
            check('tmp_write', 'touch /tmp/ok'),
            check('python_thread', `python3 -c "import threading; t = threading.Thread(target=print); t.start(); t.join()"`),
            `echo devices=$(ls /dev | tr '\\n' ' ')`,
            "echo pids=$(ls /proc | grep -c '^[0-9]')",
          ].join('\n'),
        ),
      ],
    });
    const p = await h.waitPhase('probe', 'Succeeded', 20000);
    const r = lines(await h.logs(p));
    assert.equal(r['uid'], '65534');
    assert.equal(r['gid'], '65534');
    assert.equal(r['home'], '/tmp', 'a writable HOME');
    assert.equal(r['capeff'], '0000000000000000', 'no effective capability');
    assert.equal(r['capbnd'], '00000000a80425fb', "containerd's default bounding set");
    assert.equal(r['nnp'], '1');
    assert.equal(r['seccomp'], '2', 'a seccomp filter');
    for (const denied of ['shadow', 'roothome', 'statedb', 'statedb_via_pid1', 'otherclaim', 'umount_mask', 'umount_lazy', 'mount_tmpfs', 'proc_sys_write', 'sys_write', 'userns', 'netns', 'dmesg', 'mknod']) {
      assert.equal(r[denied], 'no', `${denied} must be refused`);
    }
    assert.equal(r['home_entries'], '0', "Drover's home is an empty mask");
    assert.equal(r['home_is_mount'], '1', 'the mask is a mount the container could try to remove');
    assert.equal(r['tmp_write'], 'yes');
    assert.equal(r['python_thread'], 'yes', 'threads (clone without namespace flags) still work');
    const allowed = new Set(['console', 'core', 'fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
    const devices = (r['devices'] ?? '').trim().split(' ');
    assert.deepEqual(devices.filter((d) => !allowed.has(d)), [], `only the minimal /dev: ${r['devices']}`);
    assert.ok(Number(r['pids']) <= 6, `only the pod's own processes in /proc (${r['pids']})`);
  } finally {
    await h.close();
  }
});

test('runAsUser, runAsGroup and fsGroup are honoured (container wins over pod); emptyDir, claim and Secret files are usable by that user', { skip: !isRoot && 'needs a root server' }, async () => {
  const h = await harness();
  try {
    await h.store.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await h.store.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'default' }, data: { token: Buffer.from('s3cret').toString('base64') } });
    await h.pod('user', {
      securityContext: { runAsUser: 1000, runAsGroup: 2000, fsGroup: 3000, runAsNonRoot: true },
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'sec', secret: { secretName: 'creds' } },
        { name: 'key', secret: { secretName: 'creds', items: [{ key: 'token', path: 'k', mode: 0o640 }] } },
      ],
      containers: [
        sh(
          [
            'echo uid=$(id -u) gid=$(id -g) groups=$(id -G)',
            'echo hi > /scratch/f && echo scratch=$(stat -c "%u:%g" /scratch/f)',
            'echo hi > /data/f && echo claim=$(stat -c "%u:%g" /data/f)',
            'echo secret=$(cat /run/creds/token) $(stat -c "%u %a" /run/creds/token)',
            'echo key=$(cat /run/key/k) $(stat -c "%u:%g %a" /run/key/k)',
          ].join('; '),
          {
            securityContext: { runAsUser: 1234 },
            volumeMounts: [
              { name: 'scratch', mountPath: '/scratch' },
              { name: 'data', mountPath: '/data' },
              { name: 'sec', mountPath: '/run/creds' },
              { name: 'key', mountPath: '/run/key' },
            ],
          },
        ),
      ],
    });
    const p = await h.waitPhase('user', 'Succeeded', 20000);
    assert.equal(
      await h.logs(p),
      ['uid=1234 gid=2000 groups=2000 3000', 'scratch=1234:3000', 'claim=1234:3000', 'secret=s3cret 1000 440', 'key=s3cret 0:3000 640', ''].join('\n'),
      "the container's runAsUser wins; volumes are group-owned by fsGroup (setgid); Secret files are the pod uid's, group-readable with fsGroup; a mode that gives the group read stays root's and the group's",
    );
    // The claim outlives the pod, owned by the pod-level user and fsGroup.
    const st = statSync(join(h.home, 'claims', 'default', 'data'));
    assert.deepEqual([st.uid, st.gid], [1000, 3000]);
  } finally {
    await h.close();
  }
});

test('the runtime refuses what the policy forbids even in a pod that never passed admission; an admin-allowed namespace may run root with the default capabilities', { skip: !isRoot && 'needs a root server' }, async () => {
  const h = await harness({ podSecurity: { privilegedNamespaces: ['admins'] } });
  try {
    await h.pod('priv', { containers: [sh('id -u', { securityContext: { privileged: true } })] });
    await h.pod('hostpath', { volumes: [{ name: 'etc', hostPath: { path: '/etc' } }], containers: [sh('ls /host', { volumeMounts: [{ name: 'etc', mountPath: '/host' }] })] });
    const priv = await h.waitFor('priv', (p) => !!p.status?.containerStatuses?.[0]?.state?.waiting?.message?.includes('pod security'), 10000);
    assert.match(priv.status!.containerStatuses![0]!.state!.waiting!.message!, /spec\.containers\[0\]\.securityContext\.privileged: privileged containers are not allowed in namespace "default"/);
    const hp = await h.waitFor('hostpath', (p) => !!p.status?.containerStatuses?.[0]?.state?.waiting?.message?.includes('pod security'), 10000);
    assert.match(hp.status!.containerStatuses![0]!.state!.waiting!.message!, /spec\.volumes\[0\]\.hostPath\.path: hostPath volumes may only mount directories an admin allows/);
    assert.ok((await h.events('priv')).some((e) => e.type === 'Warning' && e.reason === 'FailedCreatePodSandBox'));
  } finally {
    await h.close();
  }
  const a = await harness({ podSecurity: { privilegedNamespaces: ['default'] } });
  try {
    await a.pod('root', { securityContext: { runAsUser: 0 }, containers: [sh("id -u; awk '/^CapEff/ {print $2}' /proc/self/status")] });
    assert.equal(await a.logs(await a.waitPhase('root', 'Succeeded', 20000)), '0\n00000000a80425fb\n', "root keeps containerd's default set, no more");
  } finally {
    await a.close();
  }
});

test("a manifest directory the pod's user cannot read keeps the container waiting with a message that says what to do", { skip: !isRoot && 'needs a root server' }, async () => {
  const h = await harness();
  const src = mkdtempSync(join(tmpdir(), 'drover-private-src-'));
  chmodSync(src, 0o700);
  try {
    // An image that starts in the manifest's directory (busybox would start in `/`).
    await h.pod('private', { containers: [{ ...sh('ls'), image: 'example/app' }] }, { annotations: { 'drover.dev/source-dir': src } });
    const p = await h.waitFor('private', (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError', 10000);
    assert.match(p.status!.containerStatuses![0]!.state!.waiting!.message!, /runs as uid 65534, which cannot read its working directory .*drover-private-src-.* \(the manifest's directory\): make it readable/);
  } finally {
    await h.close();
    rmSync(src, { recursive: true, force: true });
  }
});
