/**
 * Kubeflow training jobs end to end: a real `drover up`, the real CLI, and replicas as real
 * processes. The DDP scenario runs real torch (gloo, CPU) from scripts/torch-env.sh's cached
 * environment; it is skipped, saying why, only when that environment is absent and
 * DROVER_REQUIRE_TORCH is not set.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Drover, EXAMPLES, REPO } from './drover.js';

interface Condition { type: string; status: string; reason?: string; message?: string }
interface TrainingJob {
  status?: { conditions?: Condition[]; replicaStatuses?: Record<string, { active?: number; succeeded?: number; failed?: number }>; startTime?: string; completionTime?: string };
}
interface Pod {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] };
  spec?: { hostname?: string; subdomain?: string; nodeName?: string; containers: { env?: { name: string; value?: string }[] }[] };
  status?: { phase?: string; conditions?: { type: string; status: string; message?: string }[]; containerStatuses?: { restartCount?: number }[] };
}

let d: Drover;
before(async () => {
  d = await Drover.start({ cpus: '2', memory: '8Gi' });
});
after(async () => {
  for (const path of ['kubeflow.org/v1beta1/experiments', 'kubeflow.org/v1/pytorchjobs', 'kubeflow.org/v1/tfjobs', 'kubeflow.org/v1/jaxjobs', 'kubeflow.org/v1/xgboostjobs', 'trainer.kubeflow.org/v1alpha1/trainjobs']) {
    const [group, version, kind] = path.split('/');
    const list = (await (await d.api(`/apis/${path}`)).json()) as { items?: { metadata: { name: string; namespace: string } }[] };
    for (const o of list.items ?? []) await d.api(`/apis/${group}/${version}/namespaces/${o.metadata.namespace}/${kind}/${o.metadata.name}`, { method: 'DELETE' });
  }
  await d?.stop();
});

const condition = (job: TrainingJob, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)?.slice(0, 2000)}\nserver:\n${d.logs.slice(-3000)}`);
}

const getJob = (kind: string, name: string) => d.json<TrainingJob>(['get', kind, name]);
const podsOf = async (job: string) => (await d.json<{ items: Pod[] }>(['get', 'pods', '-l', `training.kubeflow.org/job-name=${job}`])).items;
const env = (pod: Pod) => Object.fromEntries((pod.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));

/** A manifest written beside nothing: containers start in `dir` (where the script lives). */
function manifest(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-training-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'job.yaml');
  writeFileSync(file, text);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o644 });
  return file;
}

test('a PyTorchJob gets upstream names, labels, owner, hostname/subdomain and the PyTorch environment; it succeeds when its master does', async () => {
  const file = manifest(`
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: env-check}
spec:
  pytorchReplicaSpecs:
    Master:
      template:
        spec:
          containers: [{name: pytorch, image: x, command: [sh, -c, 'for i in $(seq 100); do getent hosts env-check-worker-1 && break; sleep 0.2; done && echo "$RANK/$WORLD_SIZE at $MASTER_ADDR:$MASTER_PORT" && sleep 3'], resources: {requests: {cpu: 100m}}}]
    worker:
      replicas: 2
      template:
        spec:
          containers: [{name: pytorch, image: x, command: [sh, -c, 'for i in $(seq 100); do getent hosts env-check-master-0 && break; sleep 0.2; done && echo "$RANK/$WORLD_SIZE" && sleep 3'], resources: {requests: {cpu: 100m}}}]
`);
  assert.match(await d.ok(['apply', '-f', file]), /pytorchjob\.kubeflow\.org\/env-check created/);
  // The webhook's defaults: canonical replica type, replicas, restartPolicy, the named port, cleanPodPolicy.
  const stored = await d.json<{ spec: { runPolicy: { cleanPodPolicy: string }; nprocPerNode: string; pytorchReplicaSpecs: Record<string, { replicas: number; restartPolicy: string; template: { spec: { containers: { ports: { name: string; containerPort: number }[] }[] } } }> } }>(['get', 'pytorchjob', 'env-check']);
  assert.deepEqual(Object.keys(stored.spec.pytorchReplicaSpecs).sort(), ['Master', 'Worker']);
  assert.equal(stored.spec.pytorchReplicaSpecs['Master']!.replicas, 1);
  assert.equal(stored.spec.pytorchReplicaSpecs['Worker']!.restartPolicy, 'OnFailure');
  assert.deepEqual(stored.spec.pytorchReplicaSpecs['Master']!.template.spec.containers[0]!.ports, [{ name: 'pytorchjob-port', containerPort: 23456 }]);
  assert.equal(stored.spec.runPolicy.cleanPodPolicy, 'None');
  assert.equal(stored.spec.nprocPerNode, 'auto');

  const job = await until('env-check to succeed', () => getJob('pytorchjob', 'env-check'), (j) => !!condition(j, 'Succeeded') || !!condition(j, 'Failed'));
  assert.ok(condition(job, 'Succeeded'), JSON.stringify(job.status));
  assert.equal(condition(job, 'Succeeded')!.reason, 'PyTorchJobSucceeded');
  assert.equal(job.status?.conditions?.[0]?.reason, 'PyTorchJobCreated');
  assert.equal(job.status?.replicaStatuses?.['Master']?.succeeded, 1);
  assert.ok(job.status?.startTime && job.status.completionTime);

  const pods = await podsOf('env-check');
  assert.deepEqual(pods.map((p) => p.metadata.name).sort(), ['env-check-master-0', 'env-check-worker-0', 'env-check-worker-1']);
  const master = pods.find((p) => p.metadata.name === 'env-check-master-0')!;
  const worker1 = pods.find((p) => p.metadata.name === 'env-check-worker-1')!;
  assert.equal(master.metadata.labels?.['training.kubeflow.org/job-role'], 'master');
  assert.equal(master.metadata.labels?.['training.kubeflow.org/replica-type'], 'master');
  assert.equal(worker1.metadata.labels?.['training.kubeflow.org/replica-index'], '1');
  assert.equal(worker1.metadata.labels?.['training.kubeflow.org/job-role'], undefined);
  assert.equal(worker1.metadata.ownerReferences?.[0]?.kind, 'PyTorchJob');
  assert.equal(worker1.spec?.hostname, 'env-check-worker-1');
  assert.equal(worker1.spec?.subdomain, 'env-check');
  assert.deepEqual(
    { MASTER_ADDR: env(worker1)['MASTER_ADDR'], MASTER_PORT: env(worker1)['MASTER_PORT'], WORLD_SIZE: env(worker1)['WORLD_SIZE'], RANK: env(worker1)['RANK'], PET_NODE_RANK: env(worker1)['PET_NODE_RANK'], PET_NNODES: env(worker1)['PET_NNODES'], PET_NPROC_PER_NODE: env(worker1)['PET_NPROC_PER_NODE'], PET_MASTER_ADDR: env(worker1)['PET_MASTER_ADDR'] },
    { MASTER_ADDR: 'env-check-master-0', MASTER_PORT: '23456', WORLD_SIZE: '3', RANK: '2', PET_NODE_RANK: '2', PET_NNODES: '3', PET_NPROC_PER_NODE: 'auto', PET_MASTER_ADDR: 'env-check-master-0' },
  );
  // Each replica resolves the others by name on this machine (once they are Ready, as cluster DNS
  // answers; the workers stay up a moment for the master to look): at the pod's own address (its
  // network namespace's; loopback where pods share the host's network).
  const logs = await d.ok(['logs', 'env-check-master-0']);
  const workerIP = (await d.json<{ status?: { podIP?: string } }>(['get', 'pod', 'env-check-worker-1'])).status?.podIP ?? '';
  assert.match(logs, new RegExp(`^${workerIP.replace(/\./g, '\\.')}\\s.*\\benv-check-worker-1\\b`, 'm'));
  assert.match(logs, /0\/3 at env-check-master-0:23456/);
  assert.match(await d.ok(['logs', 'env-check-worker-1']), /^2\/3$/m);
  // logs of the job: every replica, prefixed; --replica picks one. The job succeeds with its
  // master, so a worker may still be on its way to its line: read until all three have printed.
  const all = await until('every replica to print its rank', () => d.ok(['logs', 'pytorchjob/env-check']), (l) => (l.match(/\/3( at|$)/gm) ?? []).length >= 3, 30_000);
  assert.match(all, /^\[pod\/env-check-master-0\/pytorch\] 0\/3 at env-check-master-0:23456$/m);
  assert.match(all, /^\[pod\/env-check-worker-0\/pytorch\] 1\/3$/m);
  assert.match(all, /^\[pod\/env-check-worker-1\/pytorch\] 2\/3$/m);
  assert.match(await d.ok(['logs', 'pytorchjob/env-check', '--replica', 'worker-1']), /^2\/3$/m);

  const table = await d.ok(['get', 'pytorchjobs']);
  assert.match(table, /^NAME\s+STATE\s+ACTIVE\s+SUCCEEDED\s+FAILED\s+AGE/m);
  assert.match(table, /^env-check\s+Succeeded\s+0\s+3\s+0\s+/m);
  const described = await d.ok(['describe', 'pytorchjob', 'env-check']);
  assert.match(described, /Replica Statuses:/);
  assert.match(described, /PyTorchJobSucceeded/);
  assert.match(described, /SuccessfulCreatePod/);
});

test('bad training manifests are refused with file:line and the field, and nothing is stored', async () => {
  const file = manifest(`apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: bad}
spec:
  runPolicy:
    cleanPodPolicy: Sometimes
  elasticPolicy:
    metrics: [{type: Resource}]
  pytorchReplicaSpecs:
    Master:
      replicas: 2
      template:
        spec:
          containers: [{name: trainer, image: x}]
    Launcher:
      template: {spec: {containers: [{name: pytorch, image: x}]}}
`);
  const r = await d.cli(['apply', '-f', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /job\.yaml:6:\d+.*cleanPodPolicy.*"All", "Running", "None"/);
  assert.match(r.stderr, /job\.yaml:8:\d+.*elasticPolicy\.metrics is not supported/);
  assert.match(r.stderr, /job\.yaml:11:\d+.*only 1 master replica/);
  assert.match(r.stderr, /There is no container named pytorch in Master/);
  assert.match(r.stderr, /job\.yaml:15:\d+.*must be one of Master, Worker/);
  assert.equal((await d.cli(['get', 'pytorchjob', 'bad'])).code === 0, false);
});

test('gang: two jobs of 3 × 1 CPU on a 2-CPU machine never half-place; each waits as a whole with the reason', async () => {
  const job = (name: string) => `
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: ${name}}
spec:
  pytorchReplicaSpecs:
    Master:
      template: {spec: {containers: [{name: pytorch, image: x, command: [sleep, '30'], resources: {requests: {cpu: '1'}}}]}}
    Worker:
      replicas: 2
      template: {spec: {containers: [{name: pytorch, image: x, command: [sleep, '30'], resources: {requests: {cpu: '1'}}}]}}
`;
  await d.ok(['apply', '-f', manifest(`${job('gang-a')}---${job('gang-b')}`)]);
  for (const name of ['gang-a', 'gang-b']) {
    const pods = await until(`${name}'s pods to be refused together`, () => podsOf(name), (ps) => ps.length === 3 && ps.every((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False')));
    assert.ok(pods.every((p) => !p.spec?.nodeName), 'no replica placed alone');
    assert.match(pods[0]!.status!.conditions!.find((c) => c.type === 'PodScheduled')!.message!, /pod group "gang-[ab]": its 3 pods are placed together or not at all, and \d of 3 fit now/);
  }
  await d.ok(['delete', 'pytorchjob', 'gang-a', 'gang-b']);
});

test('restartPolicy Never: a failing worker fails the job with the upstream reason; cleanPodPolicy Running stops the rest', async () => {
  const file = manifest(`
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: fails}
spec:
  runPolicy: {cleanPodPolicy: Running}
  pytorchReplicaSpecs:
    Master:
      restartPolicy: Never
      template: {spec: {containers: [{name: pytorch, image: x, command: [sleep, '60'], resources: {requests: {cpu: 100m}}}]}}
    Worker:
      restartPolicy: Never
      template: {spec: {containers: [{name: pytorch, image: x, command: [sh, -c, 'exit 3'], resources: {requests: {cpu: 100m}}}]}}
`);
  await d.ok(['apply', '-f', file]);
  const job = await until('fails to fail', () => getJob('pytorchjob', 'fails'), (j) => !!condition(j, 'Failed'));
  assert.equal(condition(job, 'Failed')!.reason, 'PyTorchJobFailed');
  assert.match(condition(job, 'Failed')!.message!, /1 Worker replica\(s\) failed/);
  // The running master goes; the failed worker stays for its logs.
  await until('the master to be cleaned', () => podsOf('fails'), (ps) => ps.map((p) => p.metadata.name).join() === 'fails-worker-0');
});

test('restartPolicy OnFailure restarts a worker in place; past backoffLimit the job fails saying so', async () => {
  const file = manifest(`
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: backoff}
spec:
  runPolicy: {backoffLimit: 2, cleanPodPolicy: All}
  pytorchReplicaSpecs:
    Master:
      template: {spec: {containers: [{name: pytorch, image: x, command: [sleep, '60'], resources: {requests: {cpu: 100m}}}]}}
    Worker:
      template: {spec: {containers: [{name: pytorch, image: x, command: [sh, -c, 'kill -9 $$'], resources: {requests: {cpu: 100m}}}]}}
`);
  await d.ok(['apply', '-f', file]);
  const job = await until('backoff to fail', () => getJob('pytorchjob', 'backoff'), (j) => !!condition(j, 'Failed'));
  assert.match(condition(job, 'Failed')!.message!, /reached the specified backoff limit/);
  await until('every pod to be cleaned (All)', () => podsOf('backoff'), (ps) => ps.length === 0);
});

test('a TFJob gives each replica TF_CONFIG with the cluster as upstream addresses it and its own task', async () => {
  const file = manifest(`
apiVersion: kubeflow.org/v1
kind: TFJob
metadata: {name: tf}
spec:
  tfReplicaSpecs:
    PS:
      template: {spec: {containers: [{name: tensorflow, image: x, command: [sh, -c, 'echo "$TF_CONFIG"'], resources: {requests: {cpu: 100m}}}]}}
    Worker:
      replicas: 2
      template: {spec: {containers: [{name: tensorflow, image: x, command: [sh, -c, 'echo "$TF_CONFIG"'], resources: {requests: {cpu: 100m}}}]}}
`);
  await d.ok(['apply', '-f', file]);
  const job = await until('tf to succeed', () => getJob('tfjob', 'tf'), (j) => !!condition(j, 'Succeeded') || !!condition(j, 'Failed'));
  assert.equal(condition(job, 'Succeeded')?.reason, 'TFJobSucceeded');
  const config = JSON.parse((await d.ok(['logs', 'tf-worker-1'])).trim()) as unknown;
  assert.deepEqual(config, {
    cluster: { ps: ['tf-ps-0.default.svc:2222'], worker: ['tf-worker-0.default.svc:2222', 'tf-worker-1.default.svc:2222'] },
    task: { type: 'worker', index: 1 },
    environment: 'cloud',
  });
  assert.match(await d.ok(['get', 'tfjobs']), /^tf\s+Succeeded\s+/m);
});

test('a TFJob with two workers both on port 2222: each reads TF_CONFIG, listens on its port and reaches the other by name', async () => {
  // Each worker serves its own task index on 2222 and asks the other for its: both listening on
  // one port works only because each pod has a network (and address) of its own.
  const script = [
    'import json, os, socket, threading, time',
    'tf = json.loads(os.environ["TF_CONFIG"])',
    'me = tf["task"]["index"]',
    'peers = tf["cluster"]["worker"]',
    'port = int(peers[me].rsplit(":", 1)[1])',
    'srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); srv.bind(("0.0.0.0", port)); srv.listen(4)',
    'def serve():',
    '    while True:',
    '        c, _ = srv.accept(); c.sendall(f"worker {me}".encode()); c.close(); served.set()',
    'served = threading.Event()',
    'threading.Thread(target=serve, daemon=True).start()',
    'other = peers[1 - me]; host, p = other.rsplit(":", 1)',
    'for attempt in range(150):',
    '    try:',
    '        s = socket.create_connection((host, int(p)), timeout=2); print(f"worker {me} on :{port} reached {host}: {s.recv(64).decode()}", flush=True); break',
    '    except OSError:',
    '        time.sleep(0.2)',
    // Up until the other has reached this one too: neither leaves its peer without an answer.
    'served.wait(60)',
  ].join('\n');
  const file = manifest(`
apiVersion: kubeflow.org/v1
kind: TFJob
metadata: {name: tfnet}
spec:
  tfReplicaSpecs:
    Worker:
      replicas: 2
      restartPolicy: Never
      template:
        spec:
          containers:
          - name: tensorflow
            image: python
            ports: [{containerPort: 2222, name: tfjob-port}]
            command: [python3, -c, ${JSON.stringify(script)}]
            resources: {requests: {cpu: 100m}}
`);
  await d.ok(['apply', '-f', file]);
  const job = await until('tfnet to end', () => getJob('tfjob', 'tfnet'), (j) => !!condition(j, 'Succeeded') || !!condition(j, 'Failed'));
  assert.equal(condition(job, 'Succeeded')?.reason, 'TFJobSucceeded', JSON.stringify(job.status));
  assert.match(await d.ok(['logs', 'tfnet-worker-0']), /^worker 0 on :2222 reached tfnet-worker-1\.default\.svc: worker 1$/m);
  assert.match(await d.ok(['logs', 'tfnet-worker-1']), /^worker 1 on :2222 reached tfnet-worker-0\.default\.svc: worker 0$/m);
});

test('a JAXJob and an XGBoostJob get their frameworks\' environment and succeed when their workers / master do', async () => {
  const file = manifest(`
apiVersion: kubeflow.org/v1
kind: JAXJob
metadata: {name: jx}
spec:
  jaxReplicaSpecs:
    Worker:
      replicas: 2
      template: {spec: {containers: [{name: jax, image: x, command: [sh, -c, 'echo "$PROCESS_ID/$NUM_PROCESSES via $COORDINATOR_ADDRESS:$COORDINATOR_PORT"'], resources: {requests: {cpu: 100m}}}]}}
---
apiVersion: kubeflow.org/v1
kind: XGBoostJob
metadata: {name: xgb}
spec:
  xgbReplicaSpecs:
    Master:
      template: {spec: {containers: [{name: xgboost, image: x, command: [sh, -c, 'echo "$RANK/$WORLD_SIZE workers=$WORKER_ADDRS"'], resources: {requests: {cpu: 100m}}}]}}
    Worker:
      template: {spec: {containers: [{name: xgboost, image: x, command: [sh, -c, 'echo "$RANK"'], resources: {requests: {cpu: 100m}}}]}}
`);
  await d.ok(['apply', '-f', file]);
  const jx = await until('jx to end', () => getJob('jaxjob', 'jx'), (j) => !!condition(j, 'Succeeded') || !!condition(j, 'Failed'));
  assert.equal(condition(jx, 'Succeeded')?.reason, 'JAXJobSucceeded');
  assert.match(await d.ok(['logs', 'jaxjob/jx']), /^\[pod\/jx-worker-1\/jax\] 1\/2 via jx-worker-0:6666$/m);
  const xgb = await until('xgb to end', () => getJob('xgboostjob', 'xgb'), (j) => !!condition(j, 'Succeeded') || !!condition(j, 'Failed'));
  assert.equal(condition(xgb, 'Succeeded')?.reason, 'XGBoostJobSucceeded');
  assert.match(await d.ok(['logs', 'xgb-master-0']), /^0\/2 workers=xgb-worker-0$/m);
});

test('kill -9 of the server mid-training: every replica is adopted, none is made again, and the job succeeds', async () => {
  const file = manifest(`
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: crash}
spec:
  pytorchReplicaSpecs:
    Master:
      template: {spec: {containers: [{name: pytorch, image: x, command: [sh, -c, 'echo start; sleep 4; echo end'], resources: {requests: {cpu: 100m}}}]}}
    Worker:
      replicas: 2
      template: {spec: {containers: [{name: pytorch, image: x, command: [sh, -c, 'echo start; sleep 4; echo end'], resources: {requests: {cpu: 100m}}}]}}
`);
  await d.ok(['apply', '-f', file]);
  await until('crash to run', () => getJob('pytorchjob', 'crash'), (j) => !!condition(j, 'Running') && (j.status?.replicaStatuses?.['Worker']?.active ?? 0) === 2);
  const uids = Object.fromEntries((await podsOf('crash')).map((p) => [p.metadata.name, (p.metadata as { uid?: string }).uid]));
  await d.kill9();
  await d.up();
  const job = await until('crash to succeed', () => getJob('pytorchjob', 'crash'), (j) => !!condition(j, 'Succeeded') || !!condition(j, 'Failed'));
  assert.ok(condition(job, 'Succeeded'), JSON.stringify(job.status));
  const pods = await podsOf('crash');
  assert.deepEqual(Object.fromEntries(pods.map((p) => [p.metadata.name, (p.metadata as { uid?: string }).uid])), uids, 'the same pods, adopted');
  for (const p of pods) {
    assert.equal(p.status?.containerStatuses?.[0]?.restartCount ?? 0, 0);
    assert.equal(await d.ok(['logs', p.metadata.name]), 'start\nend\n');
  }
});

test('a Katib Experiment whose trials are PyTorchJobs finds its best trial from the masters\' metrics', async () => {
  // The master reports accuracy = 1 - (x - 0.3)²; the worker prints a misleading value that must not count.
  const file = manifest(`
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: tune-ddp}
spec:
  objective: {type: maximize, objectiveMetricName: accuracy}
  algorithm: {algorithmName: grid}
  parallelTrialCount: 2
  maxTrialCount: 3
  parameters:
  - name: x
    parameterType: discrete
    feasibleSpace: {list: ["0.1", "0.3", "0.9"]}
  trialTemplate:
    trialParameters:
    - {name: x, reference: x}
    trialSpec:
      apiVersion: kubeflow.org/v1
      kind: PyTorchJob
      spec:
        pytorchReplicaSpecs:
          Master:
            restartPolicy: Never
            template:
              spec:
                containers:
                - name: pytorch
                  image: x
                  command: [python3, -c, 'x = \${trialParameters.x}; print(f"accuracy={1 - (x - 0.3) ** 2:.4f}")']
                  resources: {requests: {cpu: 100m}}
          Worker:
            restartPolicy: Never
            template:
              spec:
                containers:
                - name: pytorch
                  image: x
                  command: [sh, -c, 'echo accuracy=5']
                  resources: {requests: {cpu: 100m}}
`);
  await d.ok(['apply', '-f', file]);
  const stored = await d.json<{ spec: { trialTemplate: { successCondition: string; primaryPodLabels: Record<string, string>; primaryContainerName: string } } }>(['get', 'experiment', 'tune-ddp']);
  assert.equal(stored.spec.trialTemplate.successCondition, 'status.conditions.#(type=="Succeeded")#|#(status=="True")#');
  assert.deepEqual(stored.spec.trialTemplate.primaryPodLabels, { 'training.kubeflow.org/job-role': 'master' });
  const r = await d.cli(['wait', 'experiment/tune-ddp', '--for=condition=Succeeded', '--timeout=120s']);
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}\n${d.logs.slice(-3000)}`);
  const exp = await d.json<{ status: { trialsSucceeded?: number; currentOptimalTrial: { parameterAssignments: { name: string; value: string }[]; observation: { metrics: { name: string; max: string; latest: string }[] } } } }>(['get', 'experiment', 'tune-ddp']);
  assert.equal(exp.status.trialsSucceeded, 3);
  assert.deepEqual(exp.status.currentOptimalTrial.parameterAssignments, [{ name: 'x', value: '0.3' }]);
  assert.equal(exp.status.currentOptimalTrial.observation.metrics.find((m) => m.name === 'accuracy')?.latest, '1.0000');
});

const torchPython = execFileSync('bash', [join(REPO, 'scripts/torch-env.sh'), 'path'], { encoding: 'utf8' }).trim();
const haveTorch = existsSync(torchPython);
const torchSkip = !haveTorch && !process.env['DROVER_REQUIRE_TORCH'] ? `torch is not installed (run scripts/torch-env.sh ensure, or set DROVER_REQUIRE_TORCH=1 to make this a failure)` : false;

test('a 1 master + 2 worker PyTorchJob runs real DDP: all ranks join, gradients are all-reduced, parameters agree, loss falls, the model lands on the claim', { skip: torchSkip }, async () => {
  assert.ok(haveTorch, `DROVER_REQUIRE_TORCH is set but ${torchPython} does not exist: run scripts/torch-env.sh ensure`);
  const dir = join(EXAMPLES, 'pytorch-ddp');
  // The example with this machine's torch python, its script beside the manifest (where pods
  // start; the repository may be under /tmp, which a pod sees as its own).
  const text = readFileSync(join(dir, 'pytorchjob.yaml'), 'utf8').replaceAll('command: [python3, ddp.py]', `command: [${torchPython}, ddp.py]`);
  await d.ok(['apply', '-f', manifest(text, { 'ddp.py': readFileSync(join(dir, 'ddp.py'), 'utf8') })]);
  const job = await until('ddp to end', () => getJob('pytorchjob', 'ddp'), (j) => !!condition(j, 'Succeeded') || !!condition(j, 'Failed'), 300_000);
  const logs = await d.ok(['logs', 'ddp-master-0']);
  assert.ok(condition(job, 'Succeeded'), `${JSON.stringify(job.status)}\n${logs}\n${await d.ok(['logs', 'ddp-worker-0'])}`);
  assert.match(logs, /rank 0\/3 joined via ddp-master-0:23456/);
  for (const [pod, rank] of [['ddp-master-0', 0], ['ddp-worker-0', 1], ['ddp-worker-1', 2]] as const) {
    const out = await d.ok(['logs', pod]);
    assert.match(out, new RegExp(`rank ${rank} loss first=\\S+ last=\\S+ grads_allreduced=True params_equal=True`));
  }
  const summary = JSON.parse(readFileSync(join(d.home, 'claims', 'default', 'ddp-model', 'ddp-summary.json'), 'utf8')) as { world_size: number; first_loss: number; last_loss: number; params_equal: boolean; grads_allreduced: boolean };
  assert.equal(summary.world_size, 3);
  assert.ok(summary.params_equal && summary.grads_allreduced);
  assert.ok(summary.last_loss < summary.first_loss * 0.1, `loss ${summary.first_loss} → ${summary.last_loss}`);
  assert.ok(existsSync(join(d.home, 'claims', 'default', 'ddp-model', 'ddp-model.pt')));
});

test('the same DDP as a TrainJob on a torch TrainingRuntime with numNodes 3: torchrun on each node reads PET_*, the ranks agree, the model lands on the claim', { skip: torchSkip }, async () => {
  assert.ok(haveTorch, `DROVER_REQUIRE_TORCH is set but ${torchPython} does not exist: run scripts/torch-env.sh ensure`);
  const dir = join(EXAMPLES, 'pytorch-ddp');
  const text = readFileSync(join(dir, 'trainjob.yaml'), 'utf8')
    .replace('command: [python3, -m, torch.distributed.run, ddp.py]', `command: [${torchPython}, -m, torch.distributed.run, ddp.py]`);
  await d.ok(['apply', '-f', manifest(text, { 'ddp.py': readFileSync(join(dir, 'ddp.py'), 'utf8') })]);
  const job = await until('ddp-tj to end', () => getJob('trainjob', 'ddp-tj'), (j) => !!condition(j, 'Complete') || !!condition(j, 'Failed'), 300_000);
  // A failed TrainJob's running pods are deleted, logs and all: the status says why first.
  const events = (await d.cli(['get', 'events', '--field-selector', 'involvedObject.name=ddp-tj'])).stdout;
  // What is left of the nodes' logs (the failed node's pod stays), to say why.
  const left = condition(job, 'Complete') ? '' : (await d.cli(['logs', 'trainjob/ddp-tj', '--tail', '40'])).stdout + (await d.cli(['get', 'pods', '-o', 'wide'])).stdout;
  assert.ok(condition(job, 'Complete'), `${JSON.stringify(job.status)}\n${events}\n${left}\n${d.logs.slice(-3000)}`);
  const logs = await d.ok(['logs', 'trainjob/ddp-tj']);
  assert.equal(condition(job, 'Complete')!.reason, 'AllJobsCompleted');
  const pods = await d.json<{ items: Pod[] }>(['get', 'pods', '-l', 'jobset.sigs.k8s.io/jobset-name=ddp-tj']);
  assert.deepEqual(pods.items.map((p) => p.metadata.name).sort(), ['ddp-tj-node-0-0', 'ddp-tj-node-0-1', 'ddp-tj-node-0-2']);
  const node1 = pods.items.find((p) => p.metadata.name === 'ddp-tj-node-0-1')!;
  assert.equal(node1.spec?.hostname, 'ddp-tj-node-0-1');
  assert.equal(node1.spec?.subdomain, 'ddp-tj');
  assert.equal(env(node1)['PET_MASTER_ADDR'], 'ddp-tj-node-0-0.ddp-tj');
  assert.equal(env(node1)['PET_MASTER_PORT'], '29500');
  assert.equal(env(node1)['PET_NNODES'], '3');
  assert.equal(env(node1)['PET_NPROC_PER_NODE'], '1');
  assert.match(logs, /rank 0\/3 joined via ddp-tj-node-0-0\.ddp-tj:29500/);
  for (const rank of [0, 1, 2]) assert.match(logs, new RegExp(`rank ${rank} loss first=\\S+ last=\\S+ grads_allreduced=True params_equal=True`));
  const summary = JSON.parse(readFileSync(join(d.home, 'claims', 'default', 'ddp-tj-model', 'ddp-summary.json'), 'utf8')) as { world_size: number; params_equal: boolean; last_loss: number; first_loss: number };
  assert.equal(summary.world_size, 3);
  assert.ok(summary.params_equal && summary.last_loss < summary.first_loss * 0.1);
  assert.match(await d.ok(['get', 'trainjobs']), /^ddp-tj\s+Complete\s+3\s+/m);
});
