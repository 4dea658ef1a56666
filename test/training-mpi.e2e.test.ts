/**
 * MPIJob (kubeflow.org/v2beta1) and PaddleJob (kubeflow.org/v1) end to end: a real `drover up`,
 * the real CLI and replicas as real processes, each pod in its own network namespace.
 *
 * The MPIJob (examples/mpi/allreduce.yaml) runs real Open MPI: the launcher's `mpirun` reaches
 * both workers' real sshd with the key pair the controller generated, and the two ranks (mpi4py)
 * all-reduce across the pods. This machine's userland stands in for the MPI image, so the example
 * gives the pods what such an image holds (a user with a shell, sshd settings for a non-root user
 * on port 2222, ssh client settings) from a ConfigMap. It needs openmpi-bin, openssh-server and python3-mpi4py (.ci/run installs
 * them); without them it is skipped, saying why, unless DROVER_REQUIRE_MPI is set.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Drover, EXAMPLES } from './drover.js';

interface Condition { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }
interface Status { conditions?: Condition[]; replicaStatuses?: Record<string, { active?: number; succeeded?: number; failed?: number }>; startTime?: string; completionTime?: string }
interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { hostname?: string; subdomain?: string; containers: { command?: string[]; env?: { name: string; value?: string }[] }[] };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

function missingMPI(): string | undefined {
  const missing = ['mpirun', 'sshd', 'ssh'].filter((bin) => {
    try {
      execFileSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import mpi4py'], { stdio: 'ignore' });
  } catch {
    missing.push('python3-mpi4py');
  }
  return missing.length ? `missing ${missing.join(', ')} (apt-get install openmpi-bin openssh-server python3-mpi4py)` : undefined;
}
const mpiSkip = missingMPI();
if (mpiSkip && process.env['DROVER_REQUIRE_MPI']) throw new Error(`DROVER_REQUIRE_MPI is set but ${mpiSkip}`);

let d: Drover;
before(async () => {
  d = await Drover.start({ cpus: '2', memory: '8Gi' });
});
after(async () => {
  for (const path of ['kubeflow.org/v2beta1/mpijobs', 'kubeflow.org/v1/paddlejobs']) {
    const [group, version, kind] = path.split('/');
    const list = (await (await d.api(`/apis/${path}`)).json()) as { items?: { metadata: { name: string; namespace: string } }[] };
    for (const o of list.items ?? []) await d.api(`/apis/${group}/${version}/namespaces/${o.metadata.namespace}/${kind}/${o.metadata.name}`, { method: 'DELETE' });
  }
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
const finished = (s: Status | undefined) => !!condition(s, 'Succeeded') || !!condition(s, 'Failed');
const podsOf = async (job: string) => (await d.json<{ items: Pod[] }>(['get', 'pods', '-l', `training.kubeflow.org/job-name=${job}`])).items;
const envOf = (pod: Pod) => Object.fromEntries((pod.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));

function manifest(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-mpi-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'job.yaml');
  writeFileSync(file, text);
  return file;
}

test('an MPIJob runs real mpirun from its launcher over sshd on two worker pods: both ranks all-reduce; hostfile, keys, Service, ordering and status as upstream', { skip: mpiSkip }, async () => {
  // The example as it is: its launcher's command is plain mpirun; what an MPI image holds comes from a ConfigMap.
  const file = join(EXAMPLES, 'mpi', 'allreduce.yaml');
  assert.match(await d.ok(['apply', '-f', file]), /mpijob\.kubeflow\.org\/allreduce created/);
  const stored = await d.json<{ spec: Record<string, unknown> & { mpiReplicaSpecs: Record<string, { restartPolicy: string }> } }>(['get', 'mpijob', 'allreduce']);
  assert.equal(stored.spec['mpiImplementation'], 'OpenMPI');
  assert.equal(stored.spec.mpiReplicaSpecs['Launcher']!.restartPolicy, 'OnFailure');
  assert.equal(stored.spec.mpiReplicaSpecs['Worker']!.restartPolicy, 'Never');

  // WaitForWorkersReady: when the launcher Job first exists, both workers are already Ready.
  await until('the launcher Job', async () => (await d.cli(['get', 'job', 'allreduce-launcher', '-o', 'json'])).code === 0, (v) => v);
  const atLaunch = await podsOf('allreduce');
  const workers = atLaunch.filter((p) => p.metadata.labels?.['training.kubeflow.org/job-role'] === 'worker');
  assert.deepEqual(workers.map((p) => p.metadata.name).sort(), ['allreduce-worker-0', 'allreduce-worker-1']);
  for (const w of workers) assert.ok(w.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), `${w.metadata.name} Ready before the launcher: ${JSON.stringify(w.status)}`);
  const w0 = workers.find((p) => p.metadata.name === 'allreduce-worker-0')!;
  assert.deepEqual(w0.spec?.containers[0]?.command, ['/usr/sbin/sshd', '-De'], 'the operator\'s default worker command');
  assert.equal(w0.spec?.hostname, 'allreduce-worker-0');
  assert.equal(w0.spec?.subdomain, 'allreduce');
  assert.equal(envOf(w0)['K_MPI_JOB_ROLE'], 'worker');

  const job = await until('allreduce to finish', () => d.json<{ status?: Status }>(['get', 'mpijob', 'allreduce']), (j) => finished(j.status));
  assert.ok(condition(job.status, 'Succeeded'), JSON.stringify(job.status));
  assert.equal(condition(job.status, 'Succeeded')!.reason, 'MPIJobSucceeded');
  assert.equal(job.status?.replicaStatuses?.['Launcher']?.succeeded, 1);
  assert.ok(job.status?.startTime && job.status.completionTime);

  // Both ranks ran, one on each worker (their hostnames), and the sum 1 + 2 went through MPI.
  const logs = await d.ok(['logs', 'job/allreduce-launcher']);
  assert.match(logs, /^rank 0\/2 on allreduce-worker-0: sum 3$/m);
  assert.match(logs, /^rank 1\/2 on allreduce-worker-1: sum 3$/m);
  // logs mpijob/NAME: the job's pods (here the launcher's), prefixed.
  assert.match(await d.ok(['logs', 'mpijob/allreduce']), /^\[pod\/allreduce-launcher-[a-z0-9]+\/launcher\] rank 0\/2 on allreduce-worker-0: sum 3$/m);

  const cm = await d.json<{ data: Record<string, string>; metadata: { labels?: Record<string, string> } }>(['get', 'configmap', 'allreduce-config']);
  assert.equal(cm.data['hostfile'], 'allreduce-worker-0.allreduce.default.svc slots=1\nallreduce-worker-1.allreduce.default.svc slots=1\n');
  assert.match(cm.data['discover_hosts.sh'] ?? '', /^#!\/bin\/sh\n/);
  assert.equal(cm.metadata.labels?.['app'], 'allreduce');
  const secret = await d.json<{ type: string; data: Record<string, string> }>(['get', 'secret', 'allreduce-ssh']);
  assert.equal(secret.type, 'kubernetes.io/ssh-auth');
  assert.match(Buffer.from(secret.data['ssh-privatekey']!, 'base64').toString(), /^-----BEGIN EC PRIVATE KEY-----/);
  assert.match(Buffer.from(secret.data['ssh-publickey']!, 'base64').toString(), /^ecdsa-sha2-nistp521 /);
  const svc = await d.json<{ spec: { clusterIP: string; selector: Record<string, string> } }>(['get', 'service', 'allreduce']);
  assert.equal(svc.spec.clusterIP, 'None');
  assert.deepEqual(svc.spec.selector, { 'training.kubeflow.org/operator-name': 'mpi-operator', 'training.kubeflow.org/job-name': 'allreduce' });
  const launcherJob = await d.json<{ spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }>(['get', 'job', 'allreduce-launcher']);
  const lenv = Object.fromEntries(launcherJob.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));
  assert.equal(lenv['OMPI_MCA_orte_default_hostfile'], '/etc/mpi/hostfile');
  assert.equal(lenv['OMPI_MCA_plm_rsh_args'], '-o ConnectionAttempts=10');
  assert.equal(lenv['OMPI_MCA_orte_keep_fqdn_hostnames'], 'true');
  assert.equal(lenv['K_MPI_JOB_ROLE'], 'launcher');

  // cleanPodPolicy Running: the workers (sshd, still running) are deleted once the job ended.
  await until('the workers to be cleaned up', () => podsOf('allreduce'), (ps) => !ps.some((p) => p.metadata.labels?.['training.kubeflow.org/job-role'] === 'worker'));

  assert.match(await d.ok(['get', 'mpijobs']), /^allreduce\s+\S+\s+0\s+1\s+0\s+/m);
  const described = await d.ok(['describe', 'mpijob', 'allreduce']);
  assert.match(described, /Launcher/);
  assert.match(described, /MPIJobSucceeded/);
  assert.match(described, /MPI Implementation:\s+OpenMPI/);
  assert.match(described, /Launcher Creation Policy:\s+WaitForWorkersReady/);
});

test('a bad MPIJob is refused with file:line and the field; nothing is stored', async () => {
  const file = manifest(`apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata: {name: bad-mpi}
spec:
  mpiImplementation: LAM
  mpiReplicaSpecs:
    Launcher:
      replicas: 2
      restartPolicy: ExitCode
      template: {spec: {containers: [{name: l, image: x}]}}
    Worker:
      template: {spec: {containers: [{name: w, image: x}]}}
`);
  const r = await d.cli(['apply', '-f', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /job\.yaml:5:\d+.*mpiImplementation.*"OpenMPI", "Intel", "MPICH"/);
  assert.match(r.stderr, /job\.yaml:8:\d+.*must be 1, got 2/);
  assert.match(r.stderr, /job\.yaml:9:\d+.*"Never", "OnFailure"/);
  assert.match(r.stderr, /job\.yaml:11:\d+.*replicas.*defaults it to 0/);
  assert.equal((await d.cli(['get', 'mpijob', 'bad-mpi'])).code === 0, false);
});

test('a PaddleJob (collective mode) gets PADDLE_* as upstream: worker 0 rendezvouses at its own pod IP, worker 1 reaches it by name on the named port', async () => {
  const script = `
import os, socket, sys, time
env = {k: v for k, v in os.environ.items() if k.startswith('PADDLE_') or k in ('POD_IP_DUMMY', 'PYTHONUNBUFFERED')}
print('env', sorted(env.items()), flush=True)
host, port = os.environ['PADDLE_MASTER'].rsplit(':', 1)
if os.environ['HOSTNAME'].endswith('-worker-0'):
    me = socket.gethostbyname(socket.gethostname())
    assert host == me == os.environ['POD_IP_DUMMY'], (host, me)
    srv = socket.create_server(('0.0.0.0', int(port)))
    conn, _ = srv.accept()
    print('master got', conn.recv(100).decode(), flush=True)
else:
    for _ in range(300):
        try:
            s = socket.create_connection((host, int(port)), timeout=1); break
        except OSError:
            time.sleep(0.2)
    s.sendall(b'hello from ' + socket.gethostname().encode())
    print('sent to', host, port, flush=True)
`;
  const file = manifest(`apiVersion: kubeflow.org/v1
kind: PaddleJob
metadata: {name: pd}
spec:
  paddleReplicaSpecs:
    Worker:
      replicas: 2
      template:
        spec:
          containers:
          - name: paddle
            image: registry.baidubce.com/paddlepaddle/paddle
            command: [python3, -c, ${JSON.stringify(script)}]
`);
  assert.match(await d.ok(['apply', '-f', file]), /paddlejob\.kubeflow\.org\/pd created/);
  const stored = await d.json<{ spec: { runPolicy: { cleanPodPolicy: string }; paddleReplicaSpecs: Record<string, { replicas: number; restartPolicy: string; template: { spec: { containers: { ports: unknown }[] } } }> } }>(['get', 'paddlejob', 'pd']);
  assert.equal(stored.spec.paddleReplicaSpecs['Worker']!.restartPolicy, 'OnFailure');
  assert.deepEqual(stored.spec.paddleReplicaSpecs['Worker']!.template.spec.containers[0]!.ports, [{ name: 'master', containerPort: 36543 }]);
  const job = await until('pd to finish', () => d.json<{ status?: Status }>(['get', 'paddlejob', 'pd']), (j) => finished(j.status));
  assert.ok(condition(job.status, 'Succeeded'), JSON.stringify(job.status) + (await d.cli(['logs', 'paddlejob/pd'])).stdout);
  assert.equal(condition(job.status, 'Succeeded')!.reason, 'PaddleJobSucceeded');
  const pods = await podsOf('pd');
  const w0 = pods.find((p) => p.metadata.name === 'pd-worker-0')!;
  const w1 = pods.find((p) => p.metadata.name === 'pd-worker-1')!;
  assert.equal(envOf(w1)['PADDLE_MASTER'], 'pd-worker-0:36543');
  assert.equal(envOf(w0)['PADDLE_MASTER'], '$(POD_IP_DUMMY):36543');
  assert.equal(envOf(w0)['PADDLE_NNODES'], '2');
  assert.equal(envOf(w0)['PADDLE_JOB_ID'], 'pd');
  const l0 = await d.ok(['logs', 'pd-worker-0']);
  assert.match(l0, new RegExp(`\\('PADDLE_MASTER', '${(w0.status?.podIP ?? '').replace(/\./g, '\\.')}:36543'\\)`));
  assert.match(l0, /master got hello from pd-worker-1/);
  assert.match(await d.ok(['logs', 'pd-worker-1']), /sent to pd-worker-0 36543/);
  assert.match(await d.ok(['get', 'paddlejobs']), /^pd\s+Succeeded\s+0\s+2\s+0\s+/m);
});
