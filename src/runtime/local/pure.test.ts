/** Unit tests of the local runtime's pure parts: no processes, no store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from '../../api/index.js';
import { expandVars } from './expand.js';
import { ContainerCannotRunError, ContainerConfigError, resolveArgv, resolveUserEnv, type EnvContext } from './env.js';
import { bwrapArgs, launcher, setprivArgs, type SandboxSpec } from './sandbox.js';
import { seccompProgram } from './seccomp.js';
import { pathView, sandboxUser } from './launch.js';
import { classifyExit, parseBwrapStatus } from './executor.js';
import { buildPodStatus, podPhase } from './status.js';
import { podContainerName, podRequests, qosClass } from '../../api/pods.js';
import { containerGpus, podGpuCount } from './gpus.js';
import { nextStarts, parseTsIndex, rfc3339NanoFixed, sinceOffset, timeAt } from './logs.js';
import { tmpSizeBytes } from './launch.js';
import { planVolumes, throughLinks, VolumeError } from './volumes.js';
import { topLevelMounts } from './host.js';
import { Cgroups, detectCgroups, forgetParentHome, reclaimGoneHomes, recordParentHome } from './cgroups.js';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const lookup = (m: Record<string, string>) => (n: string) => m[n];

test('$(VAR) expansion follows Kubernetes: known names replaced, $$ escapes, unknown and unclosed left as written', () => {
  const vars = lookup({ A: 'x', B: 'y z', EMPTY: '' });
  assert.equal(expandVars('$(A)-$(B)', vars), 'x-y z');
  assert.equal(expandVars('$$(A)', vars), '$(A)');
  assert.equal(expandVars('$$$(A)', vars), '$x');
  assert.equal(expandVars('$(UNKNOWN)', vars), '$(UNKNOWN)');
  assert.equal(expandVars('$(A', vars), '$(A');
  assert.equal(expandVars('$A $ trailing$', vars), '$A $ trailing$');
  assert.equal(expandVars('[$(EMPTY)]', vars), '[]');
  assert.equal(expandVars('$()', vars), '$()');
  assert.equal(expandVars('no refs', vars), 'no refs');
});

function envCtx(container: Container, extra: Partial<EnvContext> = {}): EnvContext {
  const pod: Pod = {
    metadata: { name: 'p1', namespace: 'ns1', uid: 'u-1', labels: { app: 'web', tier: 'a' }, annotations: { note: 'hi' } },
    spec: { nodeName: 'local', containers: [container, { name: 'side', resources: { limits: { cpu: '250m', memory: '64Mi' } } }] },
  };
  return {
    pod,
    container,
    nodeName: 'local',
    hostIP: '127.0.0.1',
    podIP: '127.0.0.1',
    nodeAllocatable: { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30 },
    configMap: (n) => (n === 'cfg' ? { data: { MODE: 'fast', LR: '0.1', 'bad=key': 'x' } } : undefined),
    secret: (n) => (n === 'creds' ? { data: { TOKEN: Buffer.from('s3cret').toString('base64') } } : undefined),
    ...extra,
  };
}

test('env resolves envFrom, then env in order with $(VAR) over earlier values, plus every valueFrom kind', () => {
  const c: Container = {
    name: 'main',
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }],
    env: [
      { name: 'BASE', value: '/data' },
      { name: 'OUT', value: '$(BASE)/out $(NOPE) $$(BASE)' },
      { name: 'CM', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } },
      { name: 'SEC', valueFrom: { secretKeyRef: { name: 'creds', key: 'TOKEN' } } },
      { name: 'OPT', valueFrom: { secretKeyRef: { name: 'missing', key: 'x', optional: true } } },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
      { name: 'SIDE_MEM_MI', valueFrom: { resourceFieldRef: { containerName: 'side', resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'SIDE_CPU', valueFrom: { resourceFieldRef: { containerName: 'side', resource: 'limits.cpu' } } },
    ],
  };
  const env = resolveUserEnv(envCtx(c));
  assert.equal(env.get('CFG_MODE'), 'fast');
  assert.equal(env.has('CFG_bad=key'), false, 'keys that cannot be names are skipped');
  assert.equal(env.get('TOKEN'), 's3cret');
  assert.equal(env.get('OUT'), '/data/out $(NOPE) $(BASE)');
  assert.equal(env.get('CM'), 'fast');
  assert.equal(env.get('SEC'), 's3cret');
  assert.equal(env.has('OPT'), false);
  assert.equal(env.get('POD'), 'p1');
  assert.equal(env.get('NS'), 'ns1');
  assert.equal(env.get('UID'), 'u-1');
  assert.equal(env.get('APP'), 'web');
  assert.equal(env.get('NOTE'), 'hi');
  assert.equal(env.get('NODE'), 'local');
  assert.equal(env.get('IP'), '127.0.0.1');
  assert.equal(env.get('CPU'), '4', 'no limit → node allocatable');
  assert.equal(env.get('CPU_M'), '4000');
  assert.equal(env.get('SIDE_MEM_MI'), '64');
  assert.equal(env.get('SIDE_CPU'), '1', '250m rounds up to 1 core');
});

test('a missing ConfigMap, Secret or key gives the kubelet message; optional ones are skipped', () => {
  const run = (env: Container['env'], envFrom?: Container['envFrom']) => () => resolveUserEnv(envCtx({ name: 'm', env, ...(envFrom ? { envFrom } : {}) }));
  assert.throws(run([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }]), (e: unknown) => e instanceof ContainerConfigError && e.message === 'configmap "nope" not found');
  assert.throws(run([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }]), /^ContainerConfigError: couldn't find key k in ConfigMap ns1\/cfg$/);
  assert.throws(run([{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }]), /secret "nope" not found/);
  assert.throws(run([{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }]), /couldn't find key k in Secret ns1\/creds/);
  assert.throws(run([], [{ configMapRef: { name: 'nope' } }]), /configmap "nope" not found/);
  assert.doesNotThrow(run([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k', optional: true } } }], [{ secretRef: { name: 'nope', optional: true } }]));
});

test('argv: command then args with $(VAR); args alone run as the command; neither cannot run', () => {
  const env = new Map([['LR', '0.1']]);
  assert.deepEqual(resolveArgv({ name: 'm', command: ['python', 'train.py'], args: ['--lr', '$(LR)', '$$(LR)'] }, env), ['python', 'train.py', '--lr', '0.1', '$(LR)']);
  assert.deepEqual(resolveArgv({ name: 'm', args: ['echo', '$(LR)'] }, env), ['echo', '0.1']);
  assert.throws(() => resolveArgv({ name: 'm', image: 'busybox' }, env), (e: unknown) => e instanceof ContainerCannotRunError && /neither command nor args/.test(e.message));
});

const baseSpec: SandboxSpec = {
  root: { mode: 'overlay', upper: '/h/pods/u/c/0.rootfs/upper', work: '/h/pods/u/c/0.rootfs/work', merged: '/h/pods/u/c/0.rootfs/merged' },
  hostMounts: ['/home', '/proc/sys/fs/binfmt_misc', '/run'],
  masks: ['/h'],
  hostsFile: '/h/pods/u/.hosts',
  hostname: 'p1',
  volumeMounts: [
    { source: '/h/claims/ns/data/sub', dest: '/data/sub', readOnly: false },
    { source: '/h/claims/ns/data', dest: '/data', readOnly: false },
    { source: '/h/pods/u/.volumes/cfg', dest: '/etc/cfg', readOnly: true },
  ],
  devices: ['/dev/nvidia0'],
  workingDir: '/work',
  createWorkingDir: true,
  readOnlyPaths: [],
  pythonLink: '/usr/bin/python3',
  statusFd: 3,
  argv: ['python', 'train.py'],
};

test('bwrap argv: overlay root, own pid/ipc/uts namespaces, volumes parents-first, no --die-with-parent', () => {
  const a = bwrapArgs(baseSpec);
  const s = a.join(' ');
  assert.ok(s.startsWith('--bind /h/pods/u/c/0.rootfs/merged / --proc /proc --dev /dev --ro-bind /sys /sys --perms 1777 --tmpfs /tmp'));
  assert.ok(s.includes('--ro-bind /home /home --ro-bind /run /run'));
  assert.ok(!s.includes('binfmt_misc'), 'mounts under /proc are made by --proc');
  assert.ok(s.includes('--tmpfs /h'), "Drover's home is hidden");
  assert.ok(s.includes('--dev-bind /dev/nvidia0 /dev/nvidia0'));
  assert.ok(s.includes('--ro-bind /h/pods/u/.hosts /etc/hosts'));
  assert.ok(s.includes('--symlink /usr/bin/python3 /usr/local/bin/python'));
  assert.ok(s.includes('--dir /work'));
  assert.ok(s.indexOf('--bind /h/claims/ns/data /data') < s.indexOf('--bind /h/claims/ns/data/sub /data/sub'));
  assert.ok(s.includes('--ro-bind /h/pods/u/.volumes/cfg /etc/cfg'));
  assert.ok(s.includes('--unshare-pid --unshare-ipc --unshare-uts --hostname p1'));
  assert.ok(s.endsWith('--chdir /work --json-status-fd 3 -- python train.py'));
  assert.ok(!a.includes('--die-with-parent'), 'the sandbox must outlive the server');
  assert.ok(!a.includes('--unshare-net'), 'pods use the host network');
});

test('bwrap argv: read-only root binds top-level dirs, keeps symlinks, and runs python3 for python', () => {
  const a = bwrapArgs({
    ...baseSpec,
    root: { mode: 'readonly', entries: [{ name: 'usr', type: 'dir' }, { name: 'bin', type: 'symlink', target: 'usr/bin' }, { name: 'proc', type: 'dir' }, { name: 'tmp', type: 'dir' }] },
    workingDir: '/tmp/src',
    createWorkingDir: false,
    readOnlyPaths: ['/tmp/src'],
  });
  const s = a.join(' ');
  assert.ok(s.startsWith('--ro-bind /usr /usr --symlink usr/bin /bin --proc /proc'));
  assert.ok(!s.includes('/usr/local/bin/python'));
  assert.ok(s.includes('--ro-bind /tmp/src /tmp/src'), 'a source dir under /tmp is bound over the private /tmp');
  assert.ok(s.endsWith('-- /usr/bin/python3 train.py'));
});

test('launcher: sh joins the cgroups, mounts the overlay in a private mount namespace, execs bwrap', () => {
  const l = launcher({
    sh: '/bin/sh',
    bwrap: '/usr/bin/bwrap',
    unshare: '/usr/bin/unshare',
    mount: '/usr/bin/mount',
    cgroupJoinFiles: ['/sys/fs/cgroup/memory/d/pod1/c/tasks', "/x/it's/tasks"],
    root: baseSpec.root,
    bwrapArgs: ['--', 'true'],
  });
  assert.equal(l.file, '/usr/bin/unshare');
  assert.deepEqual(l.args.slice(0, 5), ['--mount', '--propagation', 'private', '/bin/sh', '-c']);
  assert.equal(
    l.args[5],
    `echo 0 > /sys/fs/cgroup/memory/d/pod1/c/tasks && echo 0 > '/x/it'\\''s/tasks' && /usr/bin/mount -t overlay overlay -o 'lowerdir=/,upperdir=/h/pods/u/c/0.rootfs/upper,workdir=/h/pods/u/c/0.rootfs/work' /h/pods/u/c/0.rootfs/merged && exec "$@"`,
  );
  assert.deepEqual(l.args.slice(6), ['drover-launch', '/usr/bin/bwrap', '--', 'true']);
  const ro = launcher({ sh: '/bin/sh', bwrap: 'bwrap', cgroupJoinFiles: ['/cg/tasks'], root: { mode: 'readonly', entries: [] }, bwrapArgs: ['x'] });
  assert.equal(ro.file, '/bin/sh');
  assert.equal(ro.args[1], 'echo 0 > /cg/tasks && exec "$@"');
});

test("the pod's user: a root server starts the command through setpriv and env(1); any other maps its uid in a user namespace", () => {
  const setpriv = bwrapArgs({ ...baseSpec, seccompFd: 4, user: { mode: 'setpriv', setpriv: '/usr/bin/setpriv', env: '/usr/bin/env', uid: 1234, gid: 2000, groups: [3000], capabilities: ['CHOWN', 'NET_BIND_SERVICE'] } }).join(' ');
  assert.ok(setpriv.endsWith('--seccomp 4 --chdir /work --json-status-fd 3 -- /usr/bin/setpriv --reuid=1234 --regid=2000 --groups=3000 --inh-caps=-all --bounding-set=-all,+chown,+net_bind_service -- /usr/bin/env -- python train.py'), setpriv);
  assert.ok(!setpriv.includes('--unshare-user'));
  // A command named by its absolute path (a workflow step's wrapper) is looked up nowhere: no env(1).
  const absolute = bwrapArgs({ ...baseSpec, argv: ['/bin/sh', '-c', 'true'], user: { mode: 'setpriv', setpriv: '/usr/bin/setpriv', env: '/usr/bin/env', uid: 1234, gid: 2000, groups: [], capabilities: [] } }).join(' ');
  assert.ok(absolute.endsWith('--bounding-set=-all -- /bin/sh -c true'), absolute);
  const noGroups = setprivArgs({ mode: 'setpriv', setpriv: 'setpriv', env: 'env', uid: 0, gid: 0, groups: [], capabilities: 'all' });
  assert.deepEqual(noGroups, ['setpriv', '--reuid=0', '--regid=0', '--clear-groups', '--', 'env', '--'], 'privileged keeps every capability');
  const userns = bwrapArgs({ ...baseSpec, user: { mode: 'userns', uid: 65534, gid: 65534 } }).join(' ');
  assert.ok(userns.includes('--unshare-user --uid 65534 --gid 65534 --disable-userns --chdir /work'), userns);
  assert.ok(userns.endsWith('-- python train.py'));
  assert.deepEqual(sandboxUser({ uid: 1000 }, { uid: 0, gid: 0, groups: [], privileged: true, capabilities: ['ALL'], noNewPrivs: false, seccomp: 'Unconfined' }), { mode: 'userns', uid: 0, gid: 0 });
  assert.equal(sandboxUser({ uid: 0 }, { uid: 0, gid: 0, groups: [], privileged: true, capabilities: ['ALL'], noNewPrivs: false, seccomp: 'Unconfined' }), undefined, 'privileged root: as bwrap starts it');
});

test('launcher: the seccomp program is opened on its fd for bwrap', () => {
  const l = launcher({ sh: '/bin/sh', bwrap: 'bwrap', cgroupJoinFiles: ['/cg/tasks'], root: { mode: 'readonly', entries: [] }, bwrapArgs: ['x'], seccomp: { file: '/h/seccomp.bpf', fd: 4 } });
  assert.equal(l.args[1], 'echo 0 > /cg/tasks && exec "$@" 4< /h/seccomp.bpf');
});

test('the seccomp program: checks the architecture, denies mount, unshare and clone with namespace flags, ENOSYS for clone3, allows the rest', () => {
  const prog = seccompProgram('x64')!;
  assert.equal(prog.length % 8, 0);
  // A tiny classic-BPF interpreter over seccomp_data, enough for this program.
  const run = (nr: number, arg0 = 0, arch = 0xc000003e): number => {
    const data = Buffer.alloc(64);
    data.writeInt32LE(nr, 0);
    data.writeUInt32LE(arch, 4);
    data.writeUInt32LE(arg0 >>> 0, 16);
    let acc = 0;
    for (let pc = 0; pc < prog.length / 8; ) {
      const code = prog.readUInt16LE(pc * 8), jt = prog.readUInt8(pc * 8 + 2), jf = prog.readUInt8(pc * 8 + 3), k = prog.readUInt32LE(pc * 8 + 4);
      if (code === 0x20) acc = data.readUInt32LE(k);
      else if (code === 0x06) return k;
      else if (code === 0x15) pc += acc === k ? jt : jf;
      else if (code === 0x35) pc += acc >= k ? jt : jf;
      else if (code === 0x45) pc += (acc & k) !== 0 ? jt : jf;
      else throw new Error(`unknown op ${code}`);
      pc++;
    }
    throw new Error('fell off the program');
  };
  const ALLOW = 0x7fff0000, EPERM = 0x50001, ENOSYS = 0x50026;
  assert.equal(run(0), ALLOW, 'read');
  assert.equal(run(165), EPERM, 'mount');
  assert.equal(run(166), EPERM, 'umount2');
  assert.equal(run(155), EPERM, 'pivot_root');
  assert.equal(run(246), EPERM, 'kexec_load');
  assert.equal(run(250), EPERM, 'keyctl');
  assert.equal(run(272, 0x10000000), EPERM, 'unshare(CLONE_NEWUSER)');
  assert.equal(run(272, 0x00000200), ALLOW, 'unshare(CLONE_FS)');
  assert.equal(run(56, 0x003d0f00), ALLOW, 'clone for a thread');
  assert.equal(run(56, 0x20000000 | 17), EPERM, 'clone(CLONE_NEWPID)');
  assert.equal(run(435), ENOSYS, 'clone3');
  assert.equal(run(0x40000000 + 165), EPERM, 'x32 ABI');
  assert.equal(run(0, 0, 0x40000003), EPERM, 'i386 compat');
  assert.ok(seccompProgram('arm64'));
  assert.equal(seccompProgram('s390x'), undefined);
});

test("bwrap's json status is parsed, including a torn last line", () => {
  assert.deepEqual(parseBwrapStatus('{ "child-pid": 12, "mnt-namespace": 1 }\n{ "exit-code": 137 }\n'), { childPid: 12, exitCode: 137 });
  assert.deepEqual(parseBwrapStatus('{ "child-pid": 12 }\n{ "exit-co'), { childPid: 12 });
  assert.deepEqual(parseBwrapStatus(''), {});
});

test('exit classification matches the kubelet: Completed, Error, OOMKilled only with an OOM kill, cannot-run, unknown', () => {
  const st = (exitCode?: number) => ({ status: { childPid: 5, ...(exitCode !== undefined ? { exitCode } : {}) } });
  assert.deepEqual(classifyExit(st(0), 0, ''), { exitCode: 0, reason: 'Completed' });
  assert.deepEqual(classifyExit(st(3), 0, ''), { exitCode: 3, reason: 'Error' });
  assert.deepEqual(classifyExit(st(137), 1, ''), { exitCode: 137, reason: 'OOMKilled' });
  assert.deepEqual(classifyExit(st(137), 0, ''), { exitCode: 137, reason: 'Error' }, 'SIGKILL without an OOM kill is an Error');
  assert.deepEqual(classifyExit(st(1), 0, 'bwrap: execvp nope: No such file or directory\n'), { exitCode: 128, reason: 'ContainerCannotRun', message: 'exec: "nope": executable file not found in $PATH' });
  assert.equal(classifyExit(st(1), 0, 'bwrap: Can\'t find source path /x: No such file or directory\n').reason, 'ContainerCannotRun');
  assert.equal(classifyExit(st(1), 0, 'Traceback...\nValueError\n').reason, 'Error');
  assert.equal(classifyExit({ status: {}, code: 2 }, 0, 'sh: cannot create cgroup.procs').reason, 'ContainerCannotRun');
  assert.deepEqual(classifyExit({ status: { childPid: 5 } }, 0, ''), { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the runtime restarted: its exit status was not recorded' });
  assert.equal(classifyExit({ status: { childPid: 5 }, code: null, signal: 'SIGKILL' }, 0, '').exitCode, 137);
});

test('pod phase follows the kubelet for each restartPolicy', () => {
  const term = (exitCode: number) => ({ name: 'c', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode } } });
  const run = { name: 'r', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } };
  const wait = { name: 'w', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } };
  const backoff = { ...wait, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } };
  assert.equal(podPhase('Never', [term(0), term(0)]), 'Succeeded');
  assert.equal(podPhase('Never', [term(0), term(1)]), 'Failed');
  assert.equal(podPhase('Never', [term(1), run]), 'Running');
  assert.equal(podPhase('Never', [run, wait]), 'Pending');
  assert.equal(podPhase('OnFailure', [backoff]), 'Running');
  assert.equal(podPhase('OnFailure', [term(0)]), 'Succeeded');
  assert.equal(podPhase('Always', [term(0)]), 'Running');
});

test('pod status keeps other conditions and transition times, sets IPs and QoS', () => {
  const pod: Pod = { spec: { containers: [{ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' } } }], restartPolicy: 'Never' } };
  const running = [{ name: 'c', image: '', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: 't' } } }];
  const s1 = buildPodStatus({ conditions: [{ type: 'PodScheduled', status: 'True' }] }, { pod, containerStatuses: running, startTime: 'T0', now: 'T1', podIP: '10.88.0.3', hostIP: '10.88.0.2' });
  assert.equal(s1.phase, 'Running');
  assert.equal(s1.podIP, '10.88.0.3');
  assert.deepEqual(s1.podIPs, [{ ip: '10.88.0.3' }]);
  assert.equal(s1.hostIP, '10.88.0.2');
  assert.equal(buildPodStatus(undefined, { pod, containerStatuses: running, now: 'T1' }).podIP, undefined, 'no address before the sandbox has one');
  assert.equal(s1.qosClass, 'Guaranteed');
  assert.deepEqual(s1.conditions?.map((c) => `${c.type}=${c.status}`), ['PodScheduled=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True']);
  const s2 = buildPodStatus(s1, { pod, containerStatuses: running, startTime: 'T0', now: 'T2' });
  assert.equal(s2.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime, 'T1');
  const s3 = buildPodStatus(s2, { pod, containerStatuses: running, failed: { reason: 'DeadlineExceeded', message: 'm' }, now: 'T3' });
  assert.equal(s3.phase, 'Failed');
  assert.equal(s3.reason, 'DeadlineExceeded');
  assert.equal(qosClass({ spec: { containers: [{ name: 'a' }] } }), 'BestEffort');
  assert.equal(qosClass({ spec: { containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }] } }), 'Burstable');
});

test('log timestamps: an index of (end offset, first seen) maps each byte to the time it was first seen', () => {
  const idx = parseTsIndex('10 1000\n25 2000\ngarbage\n');
  assert.deepEqual(idx, [{ offset: 10, ms: 1000 }, { offset: 25, ms: 2000 }]);
  assert.equal(timeAt(idx, 0, 9), 1000);
  assert.equal(timeAt(idx, 9, 9), 1000);
  assert.equal(timeAt(idx, 10, 9), 2000);
  assert.equal(timeAt(idx, 25, 9), 9, 'bytes not seen yet get the fallback (now)');
  assert.equal(rfc3339NanoFixed(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), '2024-01-02T03:04:05.678000000Z');
});

test('volumes: claims map to the claim directory, ConfigMap items and modes, missing sources fail like FailedMount', () => {
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'team', uid: 'u1' },
    spec: {
      containers: [],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: 'shared' } },
        { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'dir/a.txt', mode: 0o600 }], defaultMode: 0o640 } },
        { name: 'all', configMap: { name: 'cfg' } },
        { name: 'tok', secret: { secretName: 's' } },
        { name: 'scratch', emptyDir: {} },
        { name: 'fast', emptyDir: { medium: 'Memory' } },
        { name: 'host', hostPath: { path: '/var/x', type: 'DirectoryOrCreate' } },
      ],
    },
  };
  const src = {
    claim: (n: string) => (n === 'shared' ? {} : undefined),
    configMap: (n: string) => (n === 'cfg' ? { data: { a: 'A', b: 'B' } } : undefined),
    secret: (n: string) => (n === 's' ? { data: { t: Buffer.from('tok').toString('base64') } } : undefined),
  };
  const plan = planVolumes(pod, { home: '/h', podDir: '/h/pods/u1', podUid: 'u1', shmDir: '/dev/shm' }, src);
  const by = Object.fromEntries(plan.map((v) => [v.name, v]));
  assert.equal(by['data']?.hostPath, '/h/claims/team/shared');
  assert.deepEqual(by['cfg']?.files?.map((f) => [f.path, f.data.toString(), f.mode]), [['dir/a.txt', 'A', 0o600]]);
  assert.deepEqual(by['all']?.files?.map((f) => [f.path, f.mode]), [['a', 0o644], ['b', 0o644]]);
  assert.equal(by['all']?.readOnly, true);
  assert.equal(by['tok']?.files?.[0]?.data.toString(), 'tok');
  assert.equal(by['scratch']?.hostPath, '/h/pods/u1/.volumes/scratch');
  assert.equal(by['fast']?.hostPath, '/dev/shm/drover-u1-fast');
  assert.equal(by['host']?.create, 'dir');
  const missing = (volumes: NonNullable<Pod['spec']>['volumes']) => () => planVolumes({ ...pod, spec: { containers: [], volumes } }, { home: '/h', podDir: '/p', podUid: 'u' }, src);
  assert.throws(missing([{ name: 'd', persistentVolumeClaim: { claimName: 'nope' } }]), (e: unknown) => e instanceof VolumeError && e.message === 'MountVolume.SetUp failed for volume "d" : persistentvolumeclaim "nope" not found');
  assert.throws(missing([{ name: 'c', configMap: { name: 'nope' } }]), /configmap "nope" not found/);
  assert.throws(missing([{ name: 'c', configMap: { name: 'cfg', items: [{ key: 'zz', path: 'z' }] } }]), /configmap references non-existent config key: zz/);
  assert.doesNotThrow(missing([{ name: 'c', configMap: { name: 'nope', optional: true } }]));
});

test('host mounts: only filesystems mounted directly on /, not the ones the sandbox makes', () => {
  const mi = [
    '22 27 0:21 / /proc rw - proc proc rw',
    '27 1 254:0 / / rw - ext4 /dev/vda rw',
    '28 27 0:25 / /home rw - ext4 /dev/vdb rw',
    '29 28 0:26 / /home/x rw - ext4 /dev/vdc rw',
    '30 27 0:27 / /tmp rw - tmpfs tmpfs rw',
    '31 27 0:28 / /my\\040disk rw - ext4 /dev/vdd rw',
  ].join('\n');
  assert.deepEqual(topLevelMounts(mi), ['/home', '/my disk']);
});

test('cgroup detection prefers v2 with controllers, else v1 hierarchies (hybrid hosts)', () => {
  const hybrid = [
    '32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu',
    '33 31 0:30 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct',
    '35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
    '41 31 0:38 / /nonexistent/unified rw - cgroup2 cgroup2 rw',
  ].join('\n');
  const l = detectCgroups(hybrid);
  assert.equal(l?.version, 1);
  assert.equal(l?.memoryRoot, '/sys/fs/cgroup/memory');
  assert.equal(l?.cpuRoot, '/sys/fs/cgroup/cpu');
  const comounted = detectCgroups('1 1 0:1 / /c/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n2 1 0:2 / /c/memory rw - cgroup cgroup rw,memory');
  assert.equal(comounted?.cpuacctRoot, undefined);
  assert.equal(detectCgroups('1 1 0:1 / / rw - ext4 /dev/vda rw'), undefined);
});

test('cgroup v2 and v1 files are written and read as the kernel expects (a fake hierarchy on disk)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'drover-fakecg-'));
  try {
    const v2 = new Cgroups({ version: 2, memoryRoot: root, cpuRoot: root }, 'drover');
    writeFileSync(join(root, 'cgroup.subtree_control'), '');
    const cg = v2.create('u1', 'main', { memoryBytes: 64 * 2 ** 20, cpuMillis: 500 });
    const dir = join(root, 'drover', 'podu1', 'main');
    assert.deepEqual(cg.dirs, [dir]);
    assert.deepEqual(cg.joinFiles, [join(dir, 'cgroup.procs')], 'v2 has no tasks file for a domain cgroup');
    assert.equal(readFileSync(join(dir, 'memory.max'), 'utf8'), String(64 * 2 ** 20));
    assert.equal(readFileSync(join(dir, 'cpu.max'), 'utf8'), '50000 100000');
    assert.equal(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8'), '+memory +cpu');
    assert.equal(readFileSync(join(root, 'drover', 'podu1', 'cgroup.subtree_control'), 'utf8'), '+memory +cpu');
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n');
    assert.equal(v2.oomKills(cg), 2);
    const pod = join(root, 'drover', 'podu1');
    writeFileSync(join(pod, 'cpu.stat'), 'usage_usec 1500000\nuser_usec 1000000\n');
    writeFileSync(join(pod, 'memory.current'), String(10 * 2 ** 20));
    writeFileSync(join(pod, 'memory.stat'), `anon 1\ninactive_file ${2 * 2 ** 20}\n`);
    assert.deepEqual(await v2.podUsage('u1'), { cpuNanos: 1.5e9, memoryBytes: 8 * 2 ** 20 });

    const mem = join(root, 'v1mem');
    const cpu = join(root, 'v1cpu');
    const acct = join(root, 'v1acct');
    const v1 = new Cgroups({ version: 1, memoryRoot: mem, cpuRoot: cpu, cpuacctRoot: acct }, 'drover');
    const c1 = v1.create('u2', 'main', { memoryBytes: 1000000, cpuMillis: 250 });
    assert.deepEqual(c1.joinFiles, [mem, cpu, acct].map((r) => join(r, 'drover', 'podu2', 'main', 'tasks')), 'the launcher joins memory, cpu and cpuacct, by their tasks files');
    assert.equal(readFileSync(join(mem, 'drover', 'podu2', 'main', 'memory.limit_in_bytes'), 'utf8'), '1000000');
    assert.equal(readFileSync(join(mem, 'drover', 'podu2', 'main', 'memory.memsw.limit_in_bytes'), 'utf8'), '1000000');
    assert.equal(readFileSync(join(cpu, 'drover', 'podu2', 'main', 'cpu.cfs_quota_us'), 'utf8'), '25000');
    writeFileSync(join(mem, 'drover', 'podu2', 'main', 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    assert.equal(v1.oomKills(c1), 1);
    mkdirSync(join(acct, 'drover', 'podu2'), { recursive: true });
    writeFileSync(join(acct, 'drover', 'podu2', 'cpuacct.usage'), '2000000000');
    writeFileSync(join(mem, 'drover', 'podu2', 'memory.usage_in_bytes'), '5000');
    writeFileSync(join(mem, 'drover', 'podu2', 'memory.stat'), 'cache 10\ntotal_inactive_file 1000\n');
    assert.deepEqual(await v1.podUsage('u2'), { cpuNanos: 2e9, memoryBytes: 4000 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("/tmp's size: the smaller of the memory and ephemeral-storage limits, else the configured default; bwrap gets it as --size", () => {
  const c = (limits?: Record<string, string>): Container => ({ name: 'm', image: 'x', ...(limits ? { resources: { limits } } : {}) });
  assert.equal(tmpSizeBytes(c({ memory: '64Mi' }), 1000), 64 * 2 ** 20);
  assert.equal(tmpSizeBytes(c({ memory: '64Mi', 'ephemeral-storage': '1Gi' }), 1000), 64 * 2 ** 20);
  assert.equal(tmpSizeBytes(c({ memory: '1Gi', 'ephemeral-storage': '10M' }), 1000), 10_000_000);
  assert.equal(tmpSizeBytes(c({ cpu: '1' }), 1000), 1000);
  assert.equal(tmpSizeBytes(c(), 1000), 1000);
  assert.ok(bwrapArgs({ ...baseSpec, tmpSizeBytes: 65536 }).join(' ').includes('--ro-bind /sys /sys --perms 1777 --size 65536 --tmpfs /tmp'));
  assert.ok(!bwrapArgs(baseSpec).includes('--size'), 'without a size, the kernel default');
});

test('an OOM kill during the attempt is OOMKilled, 137, even when the shell around the victim exited 0 or 1', () => {
  const st = (exitCode: number) => ({ status: { childPid: 5, exitCode } });
  assert.deepEqual(classifyExit(st(0), 1, ''), { exitCode: 137, reason: 'OOMKilled' });
  assert.deepEqual(classifyExit(st(1), 2, 'Killed\n'), { exitCode: 137, reason: 'OOMKilled' });
  assert.deepEqual(classifyExit({ status: { childPid: 5 }, code: null, signal: 'SIGKILL' }, 1, ''), { exitCode: 137, reason: 'OOMKilled' }, 'the monitor itself was a victim');
});

test('log rotation: segments close past the max size at the next line start, only the last max files are kept', () => {
  // A file of 10-byte lines: newlines at 9, 19, 29, ...
  const nl = (from: number, to: number) => {
    for (let i = Math.max(0, from); i < to; i++) if (i % 10 === 9) return i;
    return undefined;
  };
  assert.deepEqual(nextStarts([0], 25, { maxBytes: 25, maxFiles: 3 }, nl), [0], 'not past the size yet');
  assert.deepEqual(nextStarts([0], 26, { maxBytes: 25, maxFiles: 3 }, nl), [0], 'the line under way is waited for');
  assert.deepEqual(nextStarts([0], 31, { maxBytes: 25, maxFiles: 3 }, nl), [0, 30], 'the next segment starts at the next line start');
  assert.deepEqual(nextStarts([0], 30, { maxBytes: 20, maxFiles: 3 }, nl), [0, 20], 'a line start exactly at the size');
  assert.deepEqual(nextStarts([0], 100, { maxBytes: 20, maxFiles: 3 }, nl), [40, 60, 80], 'a burst is cut into several segments; the oldest are dropped');
  assert.deepEqual(nextStarts([0], 100, { maxBytes: 20, maxFiles: 1 }, nl), [80]);
  assert.deepEqual(nextStarts([0], 100, { maxBytes: 20, maxFiles: 2, lineSlack: 1 }, () => undefined), [60, 80], 'no newline near: cut at the size');
  assert.deepEqual(nextStarts([0], 82, { maxBytes: 20, maxFiles: 2, lineSlack: 5 }, () => undefined), [40, 60], 'the last, unfinished one waits');
  assert.deepEqual(nextStarts([40, 60, 80], 130, { maxBytes: 20, maxFiles: 3 }, nl), [80, 100, 120], 'continues from the kept segments');
});

test('sinceSeconds: the offset where bytes first seen at or after the time begin, never below where the log starts', () => {
  const idx = [
    { offset: 100, ms: 1000 },
    { offset: 250, ms: 2000 },
    { offset: 400, ms: 3000 },
  ];
  assert.equal(sinceOffset(idx, 500, 0), 0);
  assert.equal(sinceOffset(idx, 1500, 0), 100);
  assert.equal(sinceOffset(idx, 2000, 0), 100);
  assert.equal(sinceOffset(idx, 2500, 0), 250);
  assert.equal(sinceOffset(idx, 9999, 0), 400, 'nothing newer: the end of what is indexed');
  assert.equal(sinceOffset(idx, 1500, 180), 180, 'rotated away below the floor');
});

test("the pod's pids limit is written on the pod's cgroup, with the pids controller enabled down the v2 tree and joined on v1 (a fake hierarchy)", () => {
  const root = mkdtempSync(join(tmpdir(), 'drover-fakecg-'));
  try {
    const v2 = new Cgroups({ version: 2, memoryRoot: root, cpuRoot: root, pidsRoot: root }, 'drover');
    writeFileSync(join(root, 'cgroup.subtree_control'), '');
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids');
    mkdirSync(join(root, 'drover'));
    writeFileSync(join(root, 'drover', 'cgroup.controllers'), 'cpu memory pids');
    mkdirSync(join(root, 'drover', 'podu1'));
    writeFileSync(join(root, 'drover', 'podu1', 'cgroup.controllers'), 'cpu memory pids');
    v2.create('u1', 'main', {}, { pidsMax: 4096 });
    assert.equal(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8'), '+memory +cpu +pids');
    assert.equal(readFileSync(join(root, 'drover', 'cgroup.subtree_control'), 'utf8'), '+memory +cpu +pids');
    assert.equal(readFileSync(join(root, 'drover', 'podu1', 'pids.max'), 'utf8'), '4096');

    const noPids = mkdtempSync(join(root, 'nopids-'));
    writeFileSync(join(noPids, 'cgroup.controllers'), 'cpu memory');
    new Cgroups({ version: 2, memoryRoot: noPids, cpuRoot: noPids }, 'drover').create('u1', 'main', {}, { pidsMax: 4096 });
    assert.equal(readFileSync(join(noPids, 'cgroup.subtree_control'), 'utf8'), '+memory +cpu', 'no pids where the root offers none');

    const [mem, cpu, pids] = ['m', 'c', 'p'].map((d) => join(root, 'v1' + d));
    const v1 = new Cgroups({ version: 1, memoryRoot: mem!, cpuRoot: cpu!, pidsRoot: pids! }, 'drover');
    const cg = v1.create('u2', 'main', {}, { pidsMax: 100 });
    assert.ok(cg.joinFiles.includes(join(pids!, 'drover', 'podu2', 'main', 'tasks')), 'the launcher joins the pids hierarchy');
    assert.equal(readFileSync(join(pids!, 'drover', 'podu2', 'pids.max'), 'utf8'), '100');
    assert.deepEqual(v1.podDirs('u2'), [mem, cpu, pids].map((r) => join(r!, 'drover', 'podu2')), 'removal covers the pids hierarchy');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the parents of what is bound in (a manifest directory under /tmp) are made traversable by the pod user', () => {
  const args = bwrapArgs({ ...baseSpec, readOnlyPaths: ['/tmp/ci/repo/examples'], workingDir: '/tmp/ci/repo/examples' }).join(' ');
  assert.ok(args.includes('--perms 0755 --dir /tmp/ci --perms 0755 --dir /tmp/ci/repo'), args);
  assert.ok(args.indexOf('--tmpfs /tmp') < args.indexOf('--dir /tmp/ci'), 'made in the private /tmp');
  assert.ok(args.indexOf('--dir /tmp/ci/repo ') < args.indexOf('--ro-bind /tmp/ci/repo/examples /tmp/ci/repo/examples'));
});

test("launcher: other pods' network namespaces are detached from the container's mount namespace before bwrap copies /run", () => {
  const l = launcher({ sh: '/bin/sh', bwrap: 'bwrap', unshare: 'unshare', mount: 'mount', cgroupJoinFiles: ['/cg/tasks'], root: baseSpec.root, bwrapArgs: ['x'], detachMounts: ['/run/netns'] });
  assert.match(l.args[5]!, /^echo 0 > \/cg\/tasks && \{ umount -R -l \/run\/netns 2>\/dev\/null \|\| :; \} && mount -t overlay /);
  // Without a mount namespace of its own (read-only root) the launcher must not touch the host's mounts.
  const ro = launcher({ sh: '/bin/sh', bwrap: 'bwrap', cgroupJoinFiles: ['/cg/tasks'], root: { mode: 'readonly', entries: [] }, bwrapArgs: ['x'], detachMounts: ['/run/netns'] });
  assert.doesNotMatch(ro.args[1]!, /umount/);
});

test('a mount point under a link of the root (/var/run → /run) is given to the sandbox through the link; others as written', () => {
  const root = mkdtempSync(join(tmpdir(), 'drover-links-'));
  mkdirSync(join(root, 'run'));
  symlinkSync(join(root, 'run'), join(root, 'varrun'));
  assert.equal(throughLinks(join(root, 'varrun', 'secrets', 'kubeflow', 'trainer')), join(root, 'run', 'secrets', 'kubeflow', 'trainer'));
  assert.equal(throughLinks(join(root, 'run', 'x')), join(root, 'run', 'x'));
  assert.equal(throughLinks('/no/such/place'), '/no/such/place');
  rmSync(root, { recursive: true, force: true });
});

test('a pod with init containers and sidecars asks for what Kubernetes counts: sidecars add to the regular containers, an init container counts beside the sidecars before it', () => {
  const c = (name: string, cpu: string, gpu: number, sidecar = false): Container => ({ name, image: 'x', resources: { requests: { cpu }, limits: { 'nvidia.com/gpu': String(gpu) } }, ...(sidecar ? { restartPolicy: 'Always' } : {}) });
  // regular 1 cpu + sidecar 0.5 = 1.5; the init after the sidecar runs beside it: 0.5 + 1.2 = 1.7.
  const pod: Pod = { spec: { initContainers: [c('early', '1.6', 1), c('proxy', '500m', 1, true), c('late', '1.2', 2)], containers: [c('main', '1', 1)] } };
  assert.equal(podRequests(pod).cpuMillis, 1700);
  assert.equal(podGpuCount(pod), 3, 'proxy 1 + late 2, against proxy 1 + main 1');
  assert.deepEqual(['early', 'proxy', 'late', 'main'].map((n) => containerGpus(pod, ['a', 'b', 'c'], n)), [['a'], ['a'], ['b', 'c'], ['b']]);
  const plain: Pod = { spec: { initContainers: [c('setup', '2', 0)], containers: [c('main', '1', 0)] } };
  assert.equal(podRequests(plain).cpuMillis, 2000, 'an init container alone counts when it is larger');
});

test('the container a log read means: the one named, init containers too, else the only one; the API server\'s words otherwise', () => {
  const pod: Pod = { metadata: { name: 'p' }, spec: { initContainers: [{ name: 'setup' }], containers: [{ name: 'a' }, { name: 'b' }] } };
  assert.equal(podContainerName(pod, 'setup'), 'setup');
  assert.throws(() => podContainerName(pod, undefined), /^BadRequestError: a container name must be specified for pod p, choose one of: \[a b\] or one of the init containers: \[setup\]$/);
  assert.throws(() => podContainerName(pod, 'c'), /container c is not valid for pod p/);
  assert.equal(podContainerName({ spec: { containers: [{ name: 'only' }] } }, undefined), 'only');
});

test('pathView: a root server leaves out PATH directories the pod user cannot search, found once per user and groups', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-pathview-'));
  try {
    const open = join(dir, 'open');
    const closed = join(dir, 'closed');
    mkdirSync(open, { mode: 0o755 });
    mkdirSync(closed, { mode: 0o700 });
    chmodSync(dir, 0o755);
    const facts = { uid: 0, path: `${closed}:${open}:/usr/bin:/bin` };
    const sec = { uid: 65534, gid: 65534, groups: [] as number[] } as unknown as Parameters<typeof pathView>[1];
    const view = pathView(facts, sec);
    assert.equal(view.path.split(':')[0], open);
    assert.ok(!view.path.split(':').includes(closed));
    assert.equal(pathView(facts, sec), view);
    // Root searches everything; another host's facts are looked at afresh.
    assert.equal(pathView(facts, { ...sec, uid: 0 } as typeof sec).path, facts.path);
    assert.notEqual(pathView({ ...facts }, sec), view);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the parent cgroups of homes that are gone are removed, all but what the kernel keeps (a fake v1 hierarchy on disk)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'drover-fakecg-'));
  try {
    const layout = { version: 1 as const, memoryRoot: join(root, 'memory'), cpuRoot: join(root, 'cpu') };
    const records = join(root, 'records');
    const homes = { live: join(root, 'home-live'), gone: join(root, 'home-gone'), busy: join(root, 'home-busy') };
    for (const h of Object.values(homes)) mkdirSync(h);
    const parents = { live: 'drover-live', gone: 'drover-gone', busy: 'drover/nested busy' };
    for (const k of ['live', 'gone', 'busy'] as const) {
      // Two pods with a container each, in both hierarchies, as the runtime leaves them.
      const cg = new Cgroups(layout, parents[k]);
      cg.create('a', 'main', {});
      cg.create('b', 'main', {});
      await recordParentHome(parents[k], homes[k], records);
    }
    // A container the kernel would not let go (a process still in it): a fake cgroup with a file.
    const busyDir = join(layout.memoryRoot, parents.busy, 'podb', 'main');
    writeFileSync(join(busyDir, 'held'), '');
    // Not the runtime's: a cgroup beside the pods under a configured parent is never touched.
    const other = join(layout.cpuRoot, parents.gone, 'someone-else');
    mkdirSync(other);
    rmSync(homes.gone, { recursive: true });
    rmSync(homes.busy, { recursive: true });

    assert.deepEqual(await reclaimGoneHomes(layout, records), []);
    assert.ok(existsSync(other), 'what is not a pod\'s stays');
    assert.ok(!existsSync(join(layout.cpuRoot, parents.gone, 'poda')) && !existsSync(join(layout.memoryRoot, parents.gone)), 'the pods went');
    rmSync(other, { recursive: true });
    assert.deepEqual(await reclaimGoneHomes(layout, records), ['drover-gone']);
    for (const r of [layout.memoryRoot, layout.cpuRoot]) {
      assert.ok(!existsSync(join(r, parents.gone)), 'the gone home\'s parent goes from every hierarchy');
      assert.ok(existsSync(join(r, parents.live, 'poda', 'main')), 'a live home\'s cgroups stay');
    }
    assert.ok(existsSync(busyDir), 'a cgroup still held stays');
    assert.ok(!existsSync(join(layout.memoryRoot, parents.busy, 'poda')), 'its free neighbours go');
    assert.ok(!existsSync(join(layout.cpuRoot, parents.busy)));
    assert.deepEqual(readdirSync(records).sort(), [encodeURIComponent(parents.busy), parents.live].sort(), 'the held parent keeps its record, for the next start');

    // Once let go, the next look removes it; a server's own stop forgets its record.
    rmSync(join(busyDir, 'held'));
    assert.deepEqual(await reclaimGoneHomes(layout, records), [parents.busy]);
    assert.ok(!existsSync(join(layout.memoryRoot, 'drover', 'nested busy')));
    await forgetParentHome(parents.live, records);
    assert.deepEqual(readdirSync(records), []);
    assert.deepEqual(await reclaimGoneHomes(layout, join(root, 'none')), [], 'no records: nothing to do');
    // A record whose name would lead out of the cgroup roots is passed over.
    mkdirSync(join(root, 'podx'));
    await recordParentHome('..', homes.gone, records);
    assert.deepEqual(await reclaimGoneHomes(layout, records), []);
    assert.ok(existsSync(join(root, 'podx')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
