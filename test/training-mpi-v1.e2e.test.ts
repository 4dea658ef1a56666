/**
 * The Training Operator v1's MPIJob (kubeflow.org/v1) end to end: a real `drover up`, the real CLI,
 * replicas as real processes in their own network namespaces, real Open MPI.
 *
 * examples/mpi/allreduce-v1.yaml is written as upstream's v1 examples are (a launcher command and
 * two workers, nothing else). The launcher's `mpirun -np 2` starts Open MPI's daemon in each
 * worker through /etc/mpi/kubexec.sh, i.e. `kubectl exec` under the launcher's ServiceAccount and
 * the Role the controller made for it; the two ranks all-reduce across the pods. Needs openmpi-bin,
 * python3-mpi4py and a kubectl on this machine's PATH (.ci/run provides them); without them it is
 * skipped, saying why, unless DROVER_REQUIRE_MPI is set.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Drover, EXAMPLES, REPO } from './drover.js';

interface Condition { type: string; status: string; reason?: string; message?: string }
interface Status { conditions?: Condition[]; replicaStatuses?: Record<string, { active?: number; succeeded?: number; failed?: number }>; startTime?: string; completionTime?: string }
interface MPIJob { apiVersion: string; metadata: { name: string; annotations?: Record<string, string> }; spec: Record<string, unknown>; status?: Status }

function missing(): string | undefined {
  const absent = ['mpirun', 'kubectl'].filter((bin) => {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import mpi4py'], { stdio: 'ignore' });
  } catch {
    absent.push('python3-mpi4py');
  }
  return absent.length ? `missing ${absent.join(', ')} (apt-get install openmpi-bin python3-mpi4py; a kubectl on PATH)` : undefined;
}
const skip = missing();
if (skip && process.env['DROVER_REQUIRE_MPI']) throw new Error(`DROVER_REQUIRE_MPI is set but ${skip}`);

let d: Drover;
before(async () => {
  d = await Drover.start({ cpus: '2', memory: '8Gi' });
});
after(async () => {
  await d?.stop();
});

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)?.slice(0, 2000)}\nserver:\n${d.logs.slice(-3000)}`);
}

const condition = (s: Status | undefined, type: string) => s?.conditions?.find((c) => c.type === type && c.status === 'True');
const readAt = async (version: string, name: string): Promise<MPIJob> => (await (await d.api(`/apis/kubeflow.org/${version}/namespaces/default/mpijobs/${name}`)).json()) as MPIJob;

function manifest(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-mpi-v1-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'job.yaml');
  writeFileSync(file, text);
  return file;
}

test('a kubeflow.org/v1 MPIJob from upstream\'s shape runs mpirun -np 2 unchanged through kubexec.sh: both ranks all-reduce; objects, status and reads at v1 as upstream', { skip }, async () => {
  const file = join(EXAMPLES, 'mpi', 'allreduce-v1.yaml');
  await d.ok(['apply', '-f', file]);
  const done = (await until('the MPIJob to finish', async () => (await readAt('v1', 'allreduce-v1')).status, (s) => !!condition(s, 'Succeeded') || !!condition(s, 'Failed')))!;
  const log = await d.ok(['logs', 'allreduce-v1-launcher']);
  assert.ok(condition(done, 'Succeeded'), `the job failed:\n${log}`);
  // Both ranks ran, one on each worker, and the all-reduce crossed the pods.
  assert.match(log, /rank 0\/2 on allreduce-v1-worker-\d: sum 3/);
  assert.match(log, /rank 1\/2 on allreduce-v1-worker-\d: sum 3/);
  const hosts = [...log.matchAll(/rank \d\/2 on (\S+): sum 3/g)].map((m) => m[1]).sort();
  assert.deepEqual(hosts, ['allreduce-v1-worker-0', 'allreduce-v1-worker-1']);
  assert.match(log, /kubectl exec allreduce-v1-worker-0 -- \/bin\/sh -c +orted/, 'Open MPI started its daemon through kubexec.sh');

  // Status as the v1 controller writes it.
  const reasons = Object.fromEntries((done.conditions ?? []).map((c) => [c.type, [c.status, c.reason, c.message]]));
  assert.deepEqual(reasons['Created'], ['True', 'MPIJobCreated', 'MPIJob allreduce-v1 is created.']);
  assert.deepEqual(reasons['Running']?.slice(0, 2), ['False', 'MPIJobRunning']);
  assert.deepEqual(reasons['Succeeded'], ['True', 'MPIJobSucceeded', 'MPIJob default/allreduce-v1 successfully completed.']);
  assert.deepEqual(done.replicaStatuses?.['Launcher'], { succeeded: 1 });
  assert.ok(done.startTime && done.completionTime);

  // Read at v1 it is what was applied plus v1's defaults; read at v2beta1, the stored shape.
  const v1 = await readAt('v1', 'allreduce-v1');
  assert.equal(v1.apiVersion, 'kubeflow.org/v1');
  assert.deepEqual(Object.keys(v1.spec).sort(), ['mpiReplicaSpecs', 'runPolicy', 'slotsPerWorker']);
  assert.deepEqual(v1.spec['runPolicy'], { cleanPodPolicy: 'Running' });
  assert.equal(v1.metadata.annotations?.['drover.dev/mpijob-api-version'], undefined);
  const specs = v1.spec['mpiReplicaSpecs'] as Record<string, { replicas: number; restartPolicy: string }>;
  assert.deepEqual([specs['Launcher']!.replicas, specs['Launcher']!.restartPolicy, specs['Worker']!.restartPolicy], [1, 'Never', 'Never']);
  const stored = await readAt('v2beta1', 'allreduce-v1');
  assert.equal(stored.apiVersion, 'kubeflow.org/v2beta1');
  assert.equal(stored.metadata.annotations?.['drover.dev/mpijob-api-version'], 'kubeflow.org/v1');
  const list = (await (await d.api('/apis/kubeflow.org/v1/namespaces/default/mpijobs')).json()) as { items: MPIJob[] };
  assert.deepEqual(list.items.map((j) => j.apiVersion), ['kubeflow.org/v1']);
  // The same manifest applied again is unchanged.
  assert.match(await d.ok(['apply', '-f', file]), /allreduce-v1 unchanged/);

  // The objects the v1 controller makes.
  const cm = await d.json<{ data: Record<string, string> }>(['get', 'configmap', 'allreduce-v1-config']);
  assert.equal(cm.data['hostfile'], 'allreduce-v1-worker-0 slots=1\nallreduce-v1-worker-1 slots=1\n');
  assert.match(cm.data['kubexec.sh']!, /^#!\/bin\/sh\nset -x\nPOD_NAME=\$1\nshift\nkubectl exec \$\{POD_NAME\} -- \/bin\/sh -c "\$\*"$/);
  const role = await d.json<{ rules: { resources: string[]; verbs: string[]; resourceNames?: string[] }[] }>(['get', 'role', 'allreduce-v1-launcher']);
  assert.deepEqual(role.rules.find((r) => r.resources.includes('pods/exec'))?.resourceNames, ['allreduce-v1-worker-0', 'allreduce-v1-worker-1']);
  const launcher = await d.json<{ spec: { serviceAccountName: string; containers: { env: { name: string; value?: string }[] }[] } }>(['get', 'pod', 'allreduce-v1-launcher']);
  assert.equal(launcher.spec.serviceAccountName, 'allreduce-v1-launcher');
  const env = Object.fromEntries(launcher.spec.containers[0]!.env.map((e) => [e.name, e.value]));
  assert.equal(env['OMPI_MCA_plm_rsh_agent'], '/etc/mpi/kubexec.sh');
  assert.equal(env['OMPI_MCA_orte_default_hostfile'], '/etc/mpi/hostfile');
  // cleanPodPolicy Running: the sleeping workers are gone once the launcher is done.
  await until('the workers to be cleaned up', async () => (await d.json<{ items: unknown[] }>(['get', 'pods', '-l', 'training.kubeflow.org/replica-type=worker'])).items.length, (n) => n === 0, 30_000);
  // Deleted at v1, it takes what it made with it.
  assert.equal((await d.api('/apis/kubeflow.org/v1/namespaces/default/mpijobs/allreduce-v1', { method: 'DELETE' })).status, 200);
  await until('the launcher, ConfigMap and Role to go', async () => [(await d.cli(['get', 'pod', 'allreduce-v1-launcher'])).code, (await d.cli(['get', 'configmap', 'allreduce-v1-config'])).code, (await d.cli(['get', 'role', 'allreduce-v1-launcher'])).code], (codes) => codes.every((c) => c !== 0), 30_000);
});

test('a bad kubeflow.org/v1 MPIJob is refused with file:line naming the field; v2beta1-only fields are unknown at v1', async () => {
  const file = manifest(`apiVersion: kubeflow.org/v1
kind: MPIJob
metadata: {name: bad-v1}
spec:
  sshAuthMountPath: /home/mpiuser/.ssh
  cleanPodPolicy: Sometimes
  mpiReplicaSpecs:
    Launcher:
      replicas: 2
      template: {spec: {containers: [{name: l, image: x}]}}
    Worker:
      replicas: 1
      template: {spec: {containers: [{name: w}]}}
`);
  const r = await d.cli(['apply', '-f', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /job\.yaml:5:\d+.*sshAuthMountPath/);
  assert.match(r.stderr, /job\.yaml:6:\d+.*"All", "Running", "None"/);
  assert.match(r.stderr, /job\.yaml:9:\d+.*must be 1, got 2/);
  assert.match(r.stderr, /job\.yaml:13:\d+.*Image is undefined in the container of Worker/);
  assert.equal((await d.cli(['get', 'mpijob', 'bad-v1'])).code === 0, false);
});

const PYTHON = execFileSync('bash', [join(REPO, 'scripts', 'python-clients.sh'), 'path'], { encoding: 'utf8' }).trim();
const noSdk = skip ?? (existsSync(PYTHON) ? undefined : `no Python clients at ${PYTHON} (bash scripts/python-clients.sh ensure)`);

test("the Training SDK's MPIJob support (TrainingClient(job_kind='MPIJob'), kubeflow.org/v1): wait, get, list, pod names, launcher logs, delete", { skip: noSdk ?? false }, async () => {
  const file = manifest((await import('node:fs')).readFileSync(join(EXAMPLES, 'mpi', 'allreduce-v1.yaml'), 'utf8').replaceAll('allreduce-v1', 'sdk-mpi'));
  await d.ok(['apply', '-f', file]);
  const env = { PATH: process.env['PATH'] ?? '', HOME: d.home, KUBECONFIG: join(d.home, 'kubeconfig') };
  const out = await new Promise<Record<string, unknown>>((resolve, reject) =>
    execFile(PYTHON, [join(REPO, 'test', 'python', 'training_client_mpi.py'), 'sdk-mpi'], { env, timeout: 180_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}\n${stdout}\nserver:\n${d.logs.slice(-3000)}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>),
    ),
  );
  assert.equal(out['kind'], 'MPIJob');
  assert.equal(out['api_version'], 'kubeflow.org/v1');
  assert.deepEqual(out['replica_types'], ['Launcher', 'Worker']);
  assert.deepEqual(out['conditions'], ['Created', 'Succeeded']);
  assert.equal(out['succeeded'], true);
  assert.deepEqual(out['listed'], ['sdk-mpi']);
  assert.deepEqual(out['launcher_pods'], ['sdk-mpi-launcher']);
  assert.match(out['launcher_log'] as string, /rank 0\/2 on sdk-mpi-worker-\d: sum 3/);
  assert.match(out['launcher_log'] as string, /rank 1\/2 on sdk-mpi-worker-\d: sum 3/);
  assert.deepEqual(out['after_delete'], []);
});
