import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { Job, Pod, Stored } from '../../api/types.js';
import { type FieldIssue, ValidationError } from '../../api/errors.js';
import { manifestLoader } from '../../registry.js';
import { type MPIJob, type MPIPlanInput, applyMPIDefaults, launcherEnv, newSSHKeyPair, planMPIJob } from './mpi.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function mpiJob(spec: Record<string, unknown> = {}, workers = 2): MPIJob {
  const j = {
    apiVersion: 'kubeflow.org/v2beta1',
    kind: 'MPIJob',
    metadata: { name: 'pi', namespace: 'ns', uid: 'u1' },
    spec: {
      mpiReplicaSpecs: {
        Launcher: { template: { spec: { containers: [{ name: 'l', image: 'x', command: ['mpirun', '-n', '2', 'hostname'] }] } } },
        Worker: { replicas: workers, template: { spec: { containers: [{ name: 'w', image: 'x' }] } } },
      },
      ...spec,
    },
  } as unknown as MPIJob;
  applyMPIDefaults(j);
  return j;
}

const input = (job: MPIJob, extra: Partial<MPIPlanInput> = {}): MPIPlanInput => ({ job, workers: [], launcherPods: [], hasService: false, hasSecret: false, servicesServed: true, now: T0, ...extra });

const phase = (pods: Stored<Pod>[], p: string, ready = false): Stored<Pod>[] =>
  pods.map((x) => ({ ...x, status: { phase: p, ...(ready ? { conditions: [{ type: 'Ready', status: 'True' }] } : {}) } }) as Stored<Pod>);

test('defaults are the operator\'s: one slot, /root/.ssh, OpenMPI, AtStartup, launcher OnFailure, workers Never', () => {
  const j = mpiJob();
  assert.equal(j.spec.slotsPerWorker, 1);
  assert.equal(j.spec.sshAuthMountPath, '/root/.ssh');
  assert.equal(j.spec.mpiImplementation, 'OpenMPI');
  assert.equal(j.spec.launcherCreationPolicy, 'AtStartup');
  assert.equal(j.spec.runPolicy?.cleanPodPolicy, 'None');
  assert.equal(j.spec.mpiReplicaSpecs.Launcher?.restartPolicy, 'OnFailure');
  assert.equal(j.spec.mpiReplicaSpecs.Worker?.restartPolicy, 'Never');
});

test('the first reconcile makes the Service, hostfile, key Secret, workers and (AtStartup) the launcher Job', () => {
  const j = mpiJob({ slotsPerWorker: 4 });
  const plan = planMPIJob(input(j));
  assert.equal(plan.status?.conditions?.[0]?.reason, 'MPIJobCreated');
  assert.equal(plan.status?.conditions?.[0]?.message, 'MPIJob ns/pi is created.');
  assert.deepEqual((plan.service as unknown as { spec: unknown }).spec, {
    clusterIP: 'None',
    selector: { 'training.kubeflow.org/operator-name': 'mpi-operator', 'training.kubeflow.org/job-name': 'pi' },
    publishNotReadyAddresses: false,
  });
  assert.equal(plan.config?.create, true);
  const data = (plan.config!.object as unknown as { data: Record<string, string> }).data;
  assert.equal(data['hostfile'], 'pi-worker-0.pi.ns.svc slots=4\npi-worker-1.pi.ns.svc slots=4\n');
  assert.equal(data['discover_hosts.sh'], '#!/bin/sh\n');
  assert.equal(plan.secret, true);
  // On a cluster's one namespace, the hostfile and the workers' search domain name it.
  const onCluster = planMPIJob({ ...input(j), dnsNamespace: 'ml' });
  assert.equal((onCluster.config!.object as unknown as { data: Record<string, string> }).data['hostfile'], 'pi-worker-0.pi.ml.svc slots=4\npi-worker-1.pi.ml.svc slots=4\n');
  assert.deepEqual(onCluster.createWorkers[0]!.spec?.dnsConfig?.searches, ['pi.ml.svc.cluster.local']);

  assert.deepEqual(plan.createWorkers.map((p) => p.metadata.name), ['pi-worker-0', 'pi-worker-1']);
  const w1 = plan.createWorkers[1]!;
  assert.deepEqual(w1.metadata.labels, { 'training.kubeflow.org/operator-name': 'mpi-operator', 'training.kubeflow.org/job-name': 'pi', 'training.kubeflow.org/job-role': 'worker', 'training.kubeflow.org/replica-index': '1' });
  assert.equal(w1.spec?.hostname, 'pi-worker-1');
  assert.equal(w1.spec?.subdomain, 'pi');
  assert.equal(w1.spec?.restartPolicy, 'Never');
  assert.deepEqual(w1.spec?.dnsConfig?.searches, ['pi.ns.svc.cluster.local']);
  const wc = w1.spec!.containers[0]!;
  assert.deepEqual(wc.command, ['/usr/sbin/sshd', '-De'], 'sshd when the template says nothing');
  assert.deepEqual(wc.env, [{ name: 'K_MPI_JOB_ROLE', value: 'worker' }]);
  assert.deepEqual(wc.volumeMounts, [{ name: 'ssh-auth', mountPath: '/root/.ssh' }]);
  assert.deepEqual(w1.spec?.volumes?.[0]?.secret, {
    defaultMode: 0o600,
    secretName: 'pi-ssh',
    items: [{ key: 'ssh-privatekey', path: 'id_rsa' }, { key: 'ssh-publickey', path: 'id_rsa.pub' }, { key: 'ssh-publickey', path: 'authorized_keys' }],
  });
  assert.equal(w1.metadata.annotations?.['drover.dev/pod-group-min-member'], '3', 'workers and the launcher are one gang');

  const l = plan.launcher!;
  assert.equal(l.metadata.name, 'pi-launcher');
  assert.equal(l.kind, 'Job');
  const tmpl = l.spec!.template;
  assert.equal(tmpl.metadata?.labels?.['training.kubeflow.org/job-role'], 'launcher');
  assert.equal(tmpl.spec?.hostname, 'pi-launcher');
  assert.equal(tmpl.spec?.restartPolicy, 'OnFailure');
  const lc = tmpl.spec!.containers[0]!;
  assert.deepEqual(lc.command, ['mpirun', '-n', '2', 'hostname'], 'the launcher\'s command runs unchanged');
  assert.deepEqual(Object.fromEntries((lc.env ?? []).map((e) => [e.name, e.value])), {
    K_MPI_JOB_ROLE: 'launcher',
    OMPI_MCA_orte_keep_fqdn_hostnames: 'true',
    OMPI_MCA_orte_default_hostfile: '/etc/mpi/hostfile',
    OMPI_MCA_plm_rsh_args: '-o ConnectionAttempts=10',
    OMPI_MCA_orte_set_default_slots: '4',
    NVIDIA_VISIBLE_DEVICES: undefined,
    NVIDIA_DRIVER_CAPABILITIES: undefined,
  });
  assert.deepEqual(lc.volumeMounts, [{ name: 'ssh-auth', mountPath: '/root/.ssh' }, { name: 'mpi-job-config', mountPath: '/etc/mpi' }]);
  assert.deepEqual(tmpl.spec?.volumes?.[1]?.configMap?.items, [{ key: 'hostfile', path: 'hostfile', mode: 0o444 }, { key: 'discover_hosts.sh', path: 'discover_hosts.sh', mode: 0o555 }]);
});

test('WaitForWorkersReady: the launcher waits until every worker is Ready; running workers go into discover_hosts.sh', () => {
  const j = mpiJob({ launcherCreationPolicy: 'WaitForWorkersReady', sshAuthMountPath: '/home/mpiuser/.ssh' });
  const first = planMPIJob(input(j));
  assert.equal(first.launcher, undefined);
  assert.equal(first.createWorkers[0]!.spec?.volumes?.[0]?.secret?.defaultMode, undefined, 'the Secret\'s own mode away from /root/.ssh');
  assert.equal(first.createWorkers[0]!.metadata.annotations?.['drover.dev/pod-group-min-member'], '2', 'the launcher comes later: not in the gang');
  const running = phase(first.createWorkers, 'Running');
  const notYet = planMPIJob(input({ ...j, status: first.status! }, { workers: running, hasService: true, hasSecret: true, configData: { hostfile: 'x', 'discover_hosts.sh': '#!/bin/sh\n' } }));
  assert.equal(notYet.launcher, undefined);
  assert.equal((notYet.config?.object as unknown as { data: Record<string, string> }).data['discover_hosts.sh'], '#!/bin/sh\necho pi-worker-0.pi.ns.svc\necho pi-worker-1.pi.ns.svc\n');
  const ready = planMPIJob(input({ ...j, status: first.status! }, { workers: phase(first.createWorkers, 'Running', true), hasService: true, hasSecret: true }));
  assert.equal(ready.launcher?.metadata.name, 'pi-launcher');
});

test('the job runs while the launcher and every worker run, succeeds with its launcher Job, and cleanPodPolicy Running removes the workers', () => {
  const j = mpiJob({ runPolicy: { cleanPodPolicy: 'Running' } });
  const first = planMPIJob(input(j));
  const workers = phase(first.createWorkers, 'Running', true);
  const launcher = { ...first.launcher!, metadata: { ...first.launcher!.metadata, uid: 'l1' }, status: { active: 1 } } as Stored<Job>;
  const launcherPod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pi-launcher-abcde', namespace: 'ns' }, status: { phase: 'Running' } } as Stored<Pod>;
  const running = planMPIJob(input({ ...j, status: first.status! }, { workers, launcher, launcherPods: [launcherPod], hasService: true, hasSecret: true, now: T0 + 1000 }));
  const runningCond = running.status?.conditions?.find((c) => c.type === 'Running');
  assert.equal(runningCond?.status, 'True');
  assert.equal(runningCond?.message, 'MPIJob ns/pi is running.');
  assert.deepEqual(running.status?.replicaStatuses, { Launcher: { active: 1 }, Worker: { active: 2 } });

  const complete = { ...launcher, status: { succeeded: 1, completionTime: '2026-01-01T00:00:05Z', conditions: [{ type: 'Complete', status: 'True' }] } } as Stored<Job>;
  const done = planMPIJob(input({ ...j, status: running.status! }, { workers, launcher: complete, launcherPods: [{ ...launcherPod, status: { phase: 'Succeeded' } }], hasService: true, hasSecret: true, now: T0 + 6000 }));
  const succeeded = done.status?.conditions?.find((c) => c.type === 'Succeeded');
  assert.equal(succeeded?.reason, 'MPIJobSucceeded');
  assert.equal(succeeded?.message, 'MPIJob ns/pi successfully completed.');
  assert.equal(done.status?.completionTime, '2026-01-01T00:00:05Z');
  assert.equal(done.status?.conditions?.find((c) => c.type === 'Running')?.status, 'False');
  assert.deepEqual(done.status?.replicaStatuses?.['Launcher'], { succeeded: 1 });
  assert.deepEqual(done.createWorkers, []);
  const cleaned = planMPIJob(input({ ...j, status: done.status! }, { workers, launcher: complete, hasService: true, hasSecret: true, now: T0 + 7000 }));
  assert.deepEqual(cleaned.deleteWorkers.sort(), ['pi-worker-0', 'pi-worker-1']);
  assert.equal(cleaned.launcher, undefined);
});

test('a launcher Job past its backoffLimit fails the MPIJob with the Job\'s reason and the last failed pod\'s', () => {
  const j = mpiJob();
  const first = planMPIJob(input(j));
  const failedJob = { ...first.launcher!, metadata: { ...first.launcher!.metadata, uid: 'l1' }, status: { failed: 3, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] } } as Stored<Job>;
  const pod = (n: string, ts: string, reason: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: 'ns', creationTimestamp: ts }, status: { phase: 'Failed', reason, message: `${n} failed` } }) as Stored<Pod>;
  const plan = planMPIJob(input({ ...j, status: first.status! }, { launcher: failedJob, launcherPods: [pod('a', '2026-01-01T00:00:01Z', 'Error'), pod('b', '2026-01-01T00:00:03Z', 'OOMKilled')], hasService: true, hasSecret: true }));
  const failed = plan.status?.conditions?.find((c) => c.type === 'Failed');
  assert.equal(failed?.reason, 'BackoffLimitExceeded/OOMKilled');
  assert.equal(failed?.message, 'Job has reached the specified backoff limit: b failed');
  assert.deepEqual(plan.status?.replicaStatuses?.['Launcher'], { failed: 3 });
  assert.ok(plan.status?.completionTime);
  assert.ok(plan.events.some((e) => e.type === 'Warning' && e.reason === 'BackoffLimitExceeded/OOMKilled'));
});

test('Intel MPI and MPICH hostfiles say host:slots; runLauncherAsWorker puts the launcher first and shifts worker indexes', () => {
  const intel = mpiJob({ mpiImplementation: 'Intel', slotsPerWorker: 2, runLauncherAsWorker: true });
  const plan = planMPIJob(input(intel));
  assert.equal((plan.config!.object as unknown as { data: Record<string, string> }).data['hostfile'], 'pi-launcher.pi.ns.svc:2\npi-worker-0.pi.ns.svc:2\npi-worker-1.pi.ns.svc:2\n');
  assert.equal(plan.createWorkers[0]!.metadata.labels?.['training.kubeflow.org/replica-index'], '1');
  assert.equal(plan.launcher!.spec!.template.metadata?.labels?.['training.kubeflow.org/replica-index'], '0');
  assert.equal((plan.service as unknown as { spec: { publishNotReadyAddresses: boolean } }).spec.publishNotReadyAddresses, true);
  assert.deepEqual(launcherEnv(intel).map((e) => `${e.name}=${e.value}`), ['K_MPI_JOB_ROLE=launcher', 'I_MPI_HYDRA_HOST_FILE=/etc/mpi/hostfile', 'I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS=-o ConnectionAttempts=10', 'I_MPI_PERHOST=2']);
  const mpich = mpiJob({ mpiImplementation: 'MPICH' });
  assert.deepEqual(launcherEnv(mpich).map((e) => e.name), ['K_MPI_JOB_ROLE', 'HYDRA_HOST_FILE', 'HYDRA_LAUNCH_EXTRA_ARGS', 'NVIDIA_VISIBLE_DEVICES', 'NVIDIA_DRIVER_CAPABILITIES']);
});

test('suspend deletes the workers and suspends the launcher Job; resuming says so and restarts the clock', () => {
  const j = mpiJob();
  const first = planMPIJob(input(j));
  const workers = phase(first.createWorkers, 'Running');
  const launcher = { ...first.launcher!, metadata: { ...first.launcher!.metadata, uid: 'l1' }, status: {} } as Stored<Job>;
  const suspended = { ...j, spec: { ...j.spec, runPolicy: { ...j.spec.runPolicy, suspend: true } }, status: first.status! } as MPIJob;
  const s = planMPIJob(input(suspended, { workers, launcher, hasService: true, hasSecret: true }));
  assert.deepEqual(s.deleteWorkers.sort(), ['pi-worker-0', 'pi-worker-1']);
  assert.equal(s.suspendLauncher, true);
  assert.deepEqual(s.createWorkers, []);
  assert.equal(s.status?.conditions?.find((c) => c.type === 'Suspended')?.reason, 'MPIJobSuspended');
  const resumed = planMPIJob(input({ ...j, status: s.status! }, { launcher: { ...launcher, spec: { ...launcher.spec!, suspend: true } } as Stored<Job>, hasService: true, hasSecret: true, now: T0 + 60_000 }));
  assert.equal(resumed.suspendLauncher, false);
  assert.equal(resumed.status?.conditions?.find((c) => c.type === 'Suspended')?.status, 'False');
  assert.equal(resumed.status?.startTime, '2026-01-01T00:01:00Z');
  assert.equal(resumed.createWorkers.length, 2);
});

test('the SSH key pair: an EC P-521 private key in PEM and its public half as an authorized_keys line', () => {
  const keys = newSSHKeyPair();
  assert.match(keys.privateKey, /^-----BEGIN EC PRIVATE KEY-----\n/);
  const [type, b64] = keys.publicKey.trimEnd().split(' ');
  assert.equal(type, 'ecdsa-sha2-nistp521');
  const blob = Buffer.from(b64!, 'base64');
  const fields: Buffer[] = [];
  for (let at = 0; at < blob.length; ) {
    const len = blob.readUInt32BE(at);
    fields.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  assert.deepEqual(fields.slice(0, 2).map(String), ['ecdsa-sha2-nistp521', 'nistp521']);
  const jwk = createPublicKey(createPrivateKey(keys.privateKey)).export({ format: 'jwk' });
  assert.deepEqual(fields[2], Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]));
  assert.ok(keys.publicKey.endsWith('\n'));
});

// ---- validation, through the manifest loader (file:line) ----

const loader = await manifestLoader();
function issuesOf(text: string): FieldIssue[] {
  try {
    loader.load(text, 'mpi.yaml');
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    return err.issues;
  }
  return [];
}

const GOOD = `apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata: {name: pi}
spec:
  slotsPerWorker: 1
  sshAuthMountPath: /home/mpiuser/.ssh
  launcherCreationPolicy: WaitForWorkersReady
  mpiImplementation: OpenMPI
  runPolicy: {cleanPodPolicy: Running, backoffLimit: 2}
  mpiReplicaSpecs:
    Launcher:
      replicas: 1
      template:
        spec:
          containers: [{name: l, image: x, command: [mpirun, -n, "2", hostname]}]
    Worker:
      replicas: 2
      template:
        spec:
          containers: [{name: w, image: x}]
`;

test('a well-formed MPIJob loads', () => {
  assert.deepEqual(issuesOf(GOOD), []);
});

test('MPIJob mistakes are reported with file:line and the field: restartPolicy, Launcher replicas, Worker replicas, enums, unknown fields', () => {
  const bad = GOOD.replace('slotsPerWorker: 1', 'slotsPerWorker: 1\n  sshAuthMountPth: /x')
    .replace('mpiImplementation: OpenMPI', 'mpiImplementation: OpenMP')
    .replace('    Launcher:\n      replicas: 1', '    Launcher:\n      replicas: 2\n      restartPolicy: ExitCode')
    .replace('    Worker:\n      replicas: 2', '    Worker:\n      replicas: 0');
  const issues = issuesOf(bad);
  const byPath = new Map(issues.map((i) => [i.path, i]));
  assert.match(byPath.get('spec.sshAuthMountPth')?.message ?? '', /unknown field "sshAuthMountPth"/);
  assert.match(byPath.get('spec.mpiImplementation')?.message ?? '', /expected one of "OpenMPI", "Intel", "MPICH", got string "OpenMP"/);
  assert.match(byPath.get('spec.mpiReplicaSpecs.Launcher.restartPolicy')?.message ?? '', /expected one of "Never", "OnFailure"/);
  assert.match(byPath.get('spec.mpiReplicaSpecs.Launcher.replicas')?.message ?? '', /must be 1, got 2/);
  assert.match(byPath.get('spec.mpiReplicaSpecs.Worker.replicas')?.message ?? '', /greater than or equal to 1, got 0/);
  assert.equal(byPath.get('spec.mpiImplementation')?.line, 9, 'the line of the value (one added above it)');
  assert.ok(issues.every((i) => i.file === 'mpi.yaml'));
});

test('an MPIJob needs a Launcher; a Worker without replicas is refused as the operator would after defaulting it to 0', () => {
  const noLauncher = GOOD.replace(/ {4}Launcher:[\s\S]*? {4}Worker:/, '    Worker:');
  assert.ok(issuesOf(noLauncher).some((i) => i.path === 'spec.mpiReplicaSpecs.Launcher' && /required field "Launcher"/.test(i.message)));
  const noReplicas = GOOD.replace('    Worker:\n      replicas: 2\n', '    Worker:\n');
  assert.ok(issuesOf(noReplicas).some((i) => i.path === 'spec.mpiReplicaSpecs.Worker' && /defaults it to 0/.test(i.message)));
  const longName = GOOD.replace('name: pi', `name: ${'a'.repeat(60)}`);
  assert.ok(issuesOf(longName).some((i) => i.path === 'metadata.name' && /invalid DNS label/.test(i.message)));
  const badTemplate = GOOD.replace('containers: [{name: w, image: x}]', 'containers: [{name: w, image: x, imagePullPolic: Always}]');
  assert.ok(issuesOf(badTemplate).some((i) => i.path.startsWith('spec.mpiReplicaSpecs.Worker.template.spec.containers[0]')));
});
