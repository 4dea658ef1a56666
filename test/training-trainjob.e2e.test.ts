/**
 * Kubeflow Trainer v2 TrainJobs beyond torch, end to end: a real `drover up`, the real CLI, nodes
 * as real processes in their own network namespaces. JAX and XGBoost nodes need no framework: a
 * script reads the variables the policy set and node 1 reaches node 0 at the coordinator/tracker
 * address they name. runtimePatches change the real pods. Initializers run before the node on a
 * shared claim. The MPI policy runs real Open MPI over real sshd (examples/mpi/trainjob.yaml); it
 * needs openmpi-bin, openssh-server and python3-mpi4py and is skipped without them, saying why,
 * unless DROVER_REQUIRE_MPI is set.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Drover, EXAMPLES } from './drover.js';

interface Condition { type: string; status: string; reason?: string; message?: string }
interface TrainJob { status?: { conditions?: Condition[]; jobsStatus?: { name: string; succeeded: number; failed: number }[] } }
interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { serviceAccountName?: string; containers: { name: string; env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]; ports?: { containerPort: number }[] }[] };
  status?: { phase?: string };
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
  const list = (await (await d.api('/apis/trainer.kubeflow.org/v1alpha1/trainjobs')).json()) as { items?: { metadata: { name: string; namespace: string } }[] };
  for (const o of list.items ?? []) await d.api(`/apis/trainer.kubeflow.org/v1alpha1/namespaces/${o.metadata.namespace}/trainjobs/${o.metadata.name}`, { method: 'DELETE' });
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

const condition = (job: TrainJob, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
const ended = (j: TrainJob) => !!condition(j, 'Complete') || !!condition(j, 'Failed');
const getJob = (name: string) => d.json<TrainJob>(['get', 'trainjob', name]);
const podsOf = async (job: string) => (await d.json<{ items: Pod[] }>(['get', 'pods', '-l', `jobset.sigs.k8s.io/jobset-name=${job}`])).items;
const envOf = (pod: Pod) => Object.fromEntries((pod.spec?.containers.find((c) => c.name === 'node')?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));

function manifest(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-trainjob-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'job.yaml');
  writeFileSync(file, text);
  return file;
}

/**
 * Node 0 listens where the variables say its coordinator/tracker is and collects the others' ids;
 * every other node connects to that name and sends its own. What JAX's and XGBoost's own
 * rendezvous would do first, without either package.
 */
const rendezvous = (addrVar: string, portVar: string | undefined, idVar: string, countVar: string) => [
  'import os, socket, time',
  portVar ? `host, port = os.environ["${addrVar}"], int(os.environ["${portVar}"])` : `host, port = os.environ["${addrVar}"].rsplit(":", 1); port = int(port)`,
  `me, n = int(os.environ["${idVar}"]), int(os.environ["${countVar}"])`,
  'if me == 0:',
  '    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); srv.bind(("0.0.0.0", port)); srv.listen(8)',
  '    got = []',
  '    while len(got) < n - 1:',
  '        c, _ = srv.accept(); got.append(int(c.recv(16).decode())); c.sendall(b"ok"); c.close()',
  '    print(f"node 0 of {n} on :{port} heard from {sorted(got)}", flush=True)',
  'else:',
  '    for attempt in range(300):',
  '        try:',
  '            s = socket.create_connection((host, port), timeout=2); break',
  '        except OSError:',
  '            time.sleep(0.2)',
  '    s.sendall(str(me).encode()); assert s.recv(8) == b"ok"',
  '    print(f"node {me} of {n} reached {host}:{port}", flush=True)',
].join('\n');

function runtime(name: string, policy: string): string {
  return `
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainingRuntime
metadata: {name: ${name}}
spec:
  mlPolicy: {numNodes: 1, ${policy}: {}}
  template:
    spec:
      replicatedJobs:
      - name: node
        template:
          metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}}
          spec:
            template:
              spec:
                containers: [{name: node, image: python, resources: {requests: {cpu: 100m}}}]
`;
}

test('a TrainJob on a JAX runtime: each node gets JAX_* and node 1 reaches the coordinator, node 0, by the name in JAX_COORDINATOR_ADDRESS', async () => {
  const script = rendezvous('JAX_COORDINATOR_ADDRESS', undefined, 'JAX_PROCESS_ID', 'JAX_NUM_PROCESSES');
  await d.ok(['apply', '-f', manifest(`${runtime('jax-rt', 'jax')}---
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: jx}
spec:
  runtimeRef: {name: jax-rt, kind: TrainingRuntime}
  trainer: {numNodes: 2, command: [python3, -c, ${JSON.stringify(script)}]}
`)]);
  const job = await until('jx to end', () => getJob('jx'), ended);
  assert.equal(condition(job, 'Complete')?.reason, 'AllJobsCompleted', JSON.stringify(job.status));
  const logs = await d.ok(['logs', 'trainjob/jx']);
  assert.match(logs, /^\[pod\/jx-node-0-0\/node\] node 0 of 2 on :29500 heard from \[1\]$/m);
  assert.match(logs, /^\[pod\/jx-node-0-1\/node\] node 1 of 2 reached jx-node-0-0\.jx:29500$/m);
  const node1 = (await podsOf('jx')).find((p) => p.metadata.name === 'jx-node-0-1')!;
  assert.deepEqual(
    [envOf(node1)['JAX_NUM_PROCESSES'], envOf(node1)['JAX_PROCESS_ID'], envOf(node1)['JAX_COORDINATOR_ADDRESS']],
    ['2', "metadata.annotations['batch.kubernetes.io/job-completion-index']", 'jx-node-0-0.jx:29500'],
  );
});

test('a TrainJob on an XGBoost runtime: DMLC_* on each node, and node 1 reaches the tracker on node 0 by DMLC_TRACKER_URI and DMLC_TRACKER_PORT', async () => {
  const script = rendezvous('DMLC_TRACKER_URI', 'DMLC_TRACKER_PORT', 'DMLC_TASK_ID', 'DMLC_NUM_WORKER');
  await d.ok(['apply', '-f', manifest(`${runtime('xgb-rt', 'xgboost')}---
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: xg}
spec:
  runtimeRef: {name: xgb-rt, kind: TrainingRuntime}
  trainer: {numNodes: 3, command: [python3, -c, ${JSON.stringify(script)}]}
`)]);
  const job = await until('xg to end', () => getJob('xg'), ended);
  assert.equal(condition(job, 'Complete')?.reason, 'AllJobsCompleted', JSON.stringify(job.status));
  const logs = await d.ok(['logs', 'trainjob/xg']);
  assert.match(logs, /^\[pod\/xg-node-0-0\/node\] node 0 of 3 on :29500 heard from \[1, 2\]$/m);
  assert.match(logs, /^\[pod\/xg-node-0-2\/node\] node 2 of 3 reached xg-node-0-0\.xg:29500$/m);
  const node2 = (await podsOf('xg')).find((p) => p.metadata.name === 'xg-node-0-2')!;
  assert.deepEqual([envOf(node2)['DMLC_TRACKER_URI'], envOf(node2)['DMLC_TRACKER_PORT'], envOf(node2)['DMLC_NUM_WORKER']], ['xg-node-0-0.xg', '29500', '3']);
});

test('runtimePatches reach the real pods (a volume, its mount on the node container, labels); a patch naming a job the runtime lacks fails the TrainJob saying why', async () => {
  await d.ok(['apply', '-f', manifest(`
apiVersion: v1
kind: ConfigMap
metadata: {name: patch-data}
data: {msg: from-the-patch}
---
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainingRuntime
metadata: {name: plain-rt}
spec:
  template:
    spec:
      replicatedJobs:
      - name: node
        template:
          metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}}
          spec:
            template:
              spec:
                containers: [{name: node, image: busybox, resources: {requests: {cpu: 100m}}}]
---
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: patched}
spec:
  runtimeRef: {name: plain-rt, kind: TrainingRuntime}
  trainer: {numNodes: 2, command: [sh, -c, 'echo "node $JOB_COMPLETION_INDEX read $(cat /data/msg)"']}
  runtimePatches:
  - manager: example.com/user
    trainingRuntimeSpec:
      template:
        spec:
          replicatedJobs:
          - name: node
            template:
              spec:
                template:
                  metadata: {labels: {team: vision}}
                  spec:
                    volumes: [{name: data, configMap: {name: patch-data}}]
                    containers: [{name: node, volumeMounts: [{name: data, mountPath: /data}]}]
---
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: misfit}
spec:
  runtimeRef: {name: plain-rt, kind: TrainingRuntime}
  trainer: {command: ['true']}
  podTemplateOverrides:
  - targetJobs: [{name: launcher}]
    spec: {nodeSelector: {a: b}}
`)]);
  const job = await until('patched to end', () => getJob('patched'), ended);
  assert.equal(condition(job, 'Complete')?.reason, 'AllJobsCompleted', JSON.stringify(job.status));
  const logs = await d.ok(['logs', 'trainjob/patched']);
  assert.match(logs, /\[pod\/patched-node-0-1\/node\] node \S* read from-the-patch$/m);
  const pods = await podsOf('patched');
  assert.deepEqual(pods.map((p) => p.metadata.labels?.['team']), ['vision', 'vision']);
  const misfit = await until('misfit to fail', () => getJob('misfit'), ended);
  assert.equal(condition(misfit, 'Failed')?.reason, 'InvalidRuntime');
  assert.match(condition(misfit, 'Failed')!.message!, /spec\.podTemplateOverrides\[0\]: must not have replicated job that doesn't exist in the runtime job template \("launcher"; the runtime has node\)/);
  assert.deepEqual(await podsOf('misfit'), []);
});

test('initializers run first (the STORAGE_URI of the TrainJob on the dataset initializer), write the shared claim initializer-<job>, and the node starts after both and reads it', async () => {
  const step = (name: string, dir: string) => `
      - name: ${name}
        template:
          metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: ${name}}}
          spec:
            template:
              spec:
                containers:
                - name: ${name}
                  image: busybox
                  env: [{name: STORAGE_URI, value: "hf://runtime-default"}]
                  command: [sh, -c, 'mkdir -p /workspace/${dir} && echo "$STORAGE_URI $SPLIT" > /workspace/${dir}/from && echo "${name} wrote $STORAGE_URI"']
                  resources: {requests: {cpu: 100m}}
                  volumeMounts: [{name: initializer, mountPath: /workspace}]`;
  await d.ok(['apply', '-f', manifest(`
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainingRuntime
metadata: {name: init-rt}
spec:
  mlPolicy: {numNodes: 1, torch: {}}
  template:
    spec:
      volumeClaimPolicies:
      - templates:
        - metadata: {name: initializer}
          spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
      replicatedJobs:${step('dataset-initializer', 'dataset')}${step('model-initializer', 'model')}
      - name: node
        dependsOn:
        - {name: dataset-initializer, status: Complete}
        - {name: model-initializer, status: Complete}
        template:
          metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}}
          spec:
            template:
              spec:
                containers:
                - name: node
                  image: busybox
                  resources: {requests: {cpu: 100m}}
                  volumeMounts: [{name: initializer, mountPath: /workspace}]
---
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: tune}
spec:
  runtimeRef: {name: init-rt, kind: TrainingRuntime}
  initializer:
    dataset: {storageUri: "s3://bucket/train", env: [{name: SPLIT, value: train}]}
  trainer: {command: [sh, -c, 'echo "node saw dataset=$(cat /workspace/dataset/from) model=$(cat /workspace/model/from)"']}
`)]);
  const job = await until('tune to end', () => getJob('tune'), ended);
  assert.equal(condition(job, 'Complete')?.reason, 'AllJobsCompleted', JSON.stringify(job.status));
  assert.match(await d.ok(['logs', 'tune-node-0-0']), /^node saw dataset=s3:\/\/bucket\/train train model=hf:\/\/runtime-default $/m);
  assert.match(await d.ok(['logs', 'tune-dataset-initializer-0-0']), /^dataset-initializer wrote s3:\/\/bucket\/train$/m);
  assert.deepEqual(job.status?.jobsStatus?.map((j) => [j.name, j.succeeded]), [['dataset-initializer', 1], ['model-initializer', 1], ['node', 1]]);
  const pvc = await d.json<{ metadata: { ownerReferences?: { kind: string; name: string }[]; labels?: Record<string, string> } }>(['get', 'pvc', 'initializer-tune']);
  assert.deepEqual(pvc.metadata.ownerReferences?.map((o) => [o.kind, o.name]), [['TrainJob', 'tune']]);
});

test('a TrainJob on an MPI runtime runs real mpirun from the launcher over sshd on two nodes; both ranks report; the sshd nodes stop when the launcher is done', { skip: mpiSkip ?? false }, async () => {
  await d.ok(['apply', '-f', join(EXAMPLES, 'mpi', 'trainjob.yaml')]);
  const job = await until('allreduce-tj to end', () => getJob('allreduce-tj'), ended, 120_000);
  const events = (await d.cli(['get', 'events', '--field-selector', 'involvedObject.name=allreduce-tj'])).stdout;
  assert.equal(condition(job, 'Complete')?.reason, 'AllJobsCompleted', `${JSON.stringify(job.status)}\n${events}`);
  const logs = await d.ok(['logs', 'allreduce-tj-launcher-0-0']);
  assert.match(logs, /^rank 0\/2 on allreduce-tj-node-0-0: sum 3$/m);
  assert.match(logs, /^rank 1\/2 on allreduce-tj-node-0-1: sum 3$/m);
  assert.deepEqual(job.status?.jobsStatus?.map((j) => [j.name, j.succeeded]), [['node', 0], ['launcher', 1]]);
  const secret = await d.json<{ type: string; immutable?: boolean; data: Record<string, string> }>(['get', 'secret', 'allreduce-tj-mpi-ssh-auth']);
  assert.equal(secret.type, 'kubernetes.io/ssh-auth');
  assert.match(Buffer.from(secret.data['ssh-publickey']!, 'base64').toString(), /^ecdsa-sha2-nistp521 /);
  const cm = await d.json<{ data: Record<string, string> }>(['get', 'configmap', 'allreduce-tj-mpi-hostfile']);
  assert.equal(cm.data['hostfile'], 'allreduce-tj-node-0-0.allreduce-tj slots=1\nallreduce-tj-node-0-1.allreduce-tj slots=1\n');
  // JobSet stops what its success policy did not wait for: the sshd nodes go.
  await until('the nodes to go', () => podsOf('allreduce-tj'), (pods) => pods.every((p) => !p.metadata.name.includes('-node-') || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed'));
  const launcher = (await podsOf('allreduce-tj')).find((p) => p.metadata.name === 'allreduce-tj-launcher-0-0')!;
  assert.equal(envOf(launcher)['OMPI_MCA_orte_default_hostfile'], '/etc/mpi/hostfile');
  assert.equal(envOf(launcher)['OMPI_MCA_orte_set_default_slots'], '1');
});

test('runLauncherAsNode: numNodes 2 is one sshd node and the launcher, both in the hostfile; mpirun -n 2 puts a rank on each', { skip: mpiSkip ?? false }, async () => {
  const text = readFileSync(join(EXAMPLES, 'mpi', 'trainjob.yaml'), 'utf8')
    .replace('runLauncherAsNode: false', 'runLauncherAsNode: true')
    .replace('metadata: {name: mpi-openmpi}', 'metadata: {name: mpi-as-node}')
    .replace('runtimeRef: {name: mpi-openmpi, kind: TrainingRuntime}', 'runtimeRef: {name: mpi-as-node, kind: TrainingRuntime}')
    .replace('metadata: {name: allreduce-tj}', 'metadata: {name: as-node}');
  await d.ok(['apply', '-f', manifest(text)]);
  const job = await until('as-node to end', () => getJob('as-node'), ended, 120_000);
  const events = (await d.cli(['get', 'events', '--field-selector', 'involvedObject.name=as-node'])).stdout;
  assert.equal(condition(job, 'Complete')?.reason, 'AllJobsCompleted', `${JSON.stringify(job.status)}\n${events}`);
  const cm = await d.json<{ data: Record<string, string> }>(['get', 'configmap', 'as-node-mpi-hostfile']);
  assert.equal(cm.data['hostfile'], 'as-node-node-0-0.as-node slots=1\nas-node-launcher-0-0.as-node slots=1\n');
  const logs = await d.ok(['logs', 'as-node-launcher-0-0']);
  // Open MPI numbers the launcher's own slot first here; which rank lands where is its choice.
  const ranks = [...logs.matchAll(/^rank (\d)\/2 on (\S+): sum 3$/gm)].map((m) => `${m[1]}@${m[2]}`).sort();
  assert.deepEqual(ranks.map((r) => r.split('@')[1]).sort(), ['as-node-launcher-0-0', 'as-node-node-0-0'], logs);
  assert.deepEqual(ranks.map((r) => r.split('@')[0]).sort(), ['0', '1'], logs);
});


test('activeDeadlineSeconds: a TrainJob still running past it fails with DeadlineExceeded and its pods go', async () => {
  await d.ok(['apply', '-f', manifest(`${runtime('slow-rt', 'jax')}---
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: slow}
spec:
  runtimeRef: {name: slow-rt, kind: TrainingRuntime}
  activeDeadlineSeconds: 2
  trainer: {numNodes: 2, command: [sleep, '300']}
`)]);
  const job = await until('slow to fail', () => getJob('slow'), ended, 30_000);
  assert.deepEqual([condition(job, 'Failed')?.reason, condition(job, 'Failed')?.message], ['DeadlineExceeded', 'TrainJob exceeded its active deadline']);
  await until('the pods to go', () => podsOf('slow'), (pods) => pods.length === 0, 30_000);
});
