/**
 * An MPIJob (kubeflow.org/v2beta1) with `mpiImplementation: MPICH`, end to end: MPICH's Hydra
 * (`mpiexec.mpich`) in the launcher starts its proxies on the two worker pods over real sshd, from
 * the hostfile the operator writes for MPICH (`<worker>.<job>.<ns>.svc:<slots>`, HYDRA_HOST_FILE);
 * the proxies reach the launcher back by its short hostname through the workers' DNS search list
 * (dnsConfig, merged into their resolv.conf as the kubelet does). Needs mpich and openssh-server
 * (.ci/run installs them); skipped without them unless DROVER_REQUIRE_MPI is set.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Drover, EXAMPLES } from './drover.js';

function missing(): string | undefined {
  const absent = ['mpiexec.mpich', 'hydra_pmi_proxy'].filter((bin) => {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  try {
    execFileSync('test', ['-x', '/usr/sbin/sshd']);
  } catch {
    absent.push('sshd');
  }
  return absent.length ? `missing ${absent.join(', ')} (apt-get install mpich openssh-server)` : undefined;
}
const skip = missing();
if (skip && process.env['DROVER_REQUIRE_MPI']) throw new Error(`DROVER_REQUIRE_MPI is set but ${skip}`);

let d: Drover;
before(async () => {
  if (!skip) d = await Drover.start({ cpus: '2', memory: '8Gi' });
});
after(async () => {
  await d?.stop();
});

interface Status { conditions?: { type: string; status: string }[] }

test('an MPICH MPIJob: Hydra\'s mpiexec -n 2 reaches both workers over ssh, the proxies find the launcher by its short name, each rank reports', { skip: skip ?? false }, async () => {
  await d.ok(['apply', '-f', join(EXAMPLES, 'mpi', 'mpich.yaml')]);
  const deadline = Date.now() + 90_000;
  let status: Status | undefined;
  for (;;) {
    status = (await d.json<{ status?: Status }>(['get', 'mpijob', 'hydra'])).status;
    if (status?.conditions?.some((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True')) break;
    if (Date.now() > deadline) throw new Error(`the MPIJob did not finish: ${JSON.stringify(status)}\n${d.logs.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const log = await d.ok(['logs', 'job/hydra-launcher']);
  assert.ok(status?.conditions?.some((c) => c.type === 'Succeeded' && c.status === 'True'), `the job failed:\n${log}`);
  assert.match(log, /^rank 0 of 2 on hydra-worker-\d$/m);
  assert.match(log, /^rank 1 of 2 on hydra-worker-\d$/m);
  assert.deepEqual([...log.matchAll(/on (hydra-worker-\d)$/gm)].map((m) => m[1]).sort(), ['hydra-worker-0', 'hydra-worker-1']);
  const cm = await d.json<{ data: Record<string, string> }>(['get', 'configmap', 'hydra-config']);
  assert.equal(cm.data['hostfile'], 'hydra-worker-0.hydra.default.svc:1\nhydra-worker-1.hydra.default.svc:1\n');
  const launcher = (await d.json<{ items: { spec: { containers: { env?: { name: string; value?: string }[] }[] } }[] }>(['get', 'pods', '-l', 'training.kubeflow.org/job-role=launcher'])).items[0]!;
  const env = Object.fromEntries((launcher.spec.containers[0]!.env ?? []).map((e) => [e.name, e.value]));
  assert.deepEqual([env['HYDRA_HOST_FILE'], env['HYDRA_LAUNCH_EXTRA_ARGS']], ['/etc/mpi/hostfile', '-o ConnectionAttempts=10']);
});
