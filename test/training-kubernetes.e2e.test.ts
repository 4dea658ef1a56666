/**
 * Training on the Kubernetes runtime, against the private test cluster (scripts/test-cluster.sh:
 * real kube-apiserver, kube-scheduler and kube-controller-manager with its endpoints controller;
 * kwok's fake nodes, which never run containers). A PyTorchJob's replicas become cluster Pods with
 * the training operator's names and environment, its headless Services exist in the cluster
 * namespace, kube-scheduler places the pods, and status mirrors back. Drover's own Services are
 * mirrored (create, update, delete, a restart). Drover runs with the namespaced ServiceAccount of
 * deploy/kubernetes/rbac.yaml.
 */
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Drover, REPO } from './drover.js';
import { clusterUnavailable, eventually, prepareNamespace, skipUnlessCluster, type TestCluster } from './cluster.js';

const skip = skipUnlessCluster(await clusterUnavailable());

const PYTORCHJOB = (name: string, runFor: string) => `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: ${name}}
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: OnFailure
      template:
        metadata: {annotations: {kwok.drover.dev/run-for: ${runFor}}}
        spec:
          containers: [{name: pytorch, image: docker.io/kubeflowkatib/pytorch-mnist:v1beta1-45c5727, command: [python3, /opt/mnist.py, --epochs=1]}]
    Worker:
      replicas: 2
      restartPolicy: OnFailure
      template:
        metadata: {annotations: {kwok.drover.dev/run-for: ${runFor}}}
        spec:
          containers: [{name: pytorch, image: docker.io/kubeflowkatib/pytorch-mnist:v1beta1-45c5727, command: [python3, /opt/mnist.py, --epochs=1]}]
`;

type Env = Record<string, string | undefined>;
const envOf = (p: k8s.V1Pod): Env => Object.fromEntries((p.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));

describe('training on the kubernetes runtime', { skip }, () => {
  let cluster: TestCluster;
  let d: Drover;
  before(async () => {
    cluster = await prepareNamespace('drover-training');
    d = await Drover.start({ kubernetes: { kubeconfig: cluster.droverKubeconfig, namespace: cluster.namespace } });
  });
  after(async () => {
    await d?.stop();
    await cluster?.dispose();
  });

  test('a 1 master + 2 worker PyTorchJob: cluster pods with upstream names and environment, headless Services, placed by kube-scheduler, status mirrored', async () => {
    const ns = cluster.namespace;
    await d.ok(['apply', '-f', '-'], PYTORCHJOB('mnist', '5s'));
    const names = ['mnist-master-0', 'mnist-worker-0', 'mnist-worker-1'];
    const pods = await eventually('three running cluster pods', async () => {
      const items = (await cluster.core.listNamespacedPod({ namespace: ns, labelSelector: 'training.kubeflow.org/job-name=mnist' })).items;
      return items.length === 3 && items.every((p) => p.status?.phase === 'Running') ? items : undefined;
    }, 60_000);
    assert.deepEqual(pods.map((p) => p.metadata!.name).sort(), names);
    const nodes = new Set((await cluster.core.listNode()).items.map((n) => n.metadata!.name!));
    for (const p of pods) {
      const name = p.metadata!.name!;
      assert.equal(p.spec?.hostname, name, 'hostname kept: <pod>.<job>.<ns>.svc resolves as upstream');
      assert.equal(p.spec?.subdomain, 'mnist');
      assert.ok(p.spec?.nodeName && nodes.has(p.spec.nodeName), `${name} placed by kube-scheduler on a cluster node (${p.spec?.nodeName})`);
      assert.equal(p.metadata?.labels?.['training.kubeflow.org/operator-name'], 'pytorchjob-controller');
      const env = envOf(p);
      const rank = name === 'mnist-master-0' ? '0' : String(Number(name.slice(-1)) + 1);
      assert.deepEqual(
        { MASTER_ADDR: env.MASTER_ADDR, MASTER_PORT: env.MASTER_PORT, WORLD_SIZE: env.WORLD_SIZE, RANK: env.RANK, PET_MASTER_ADDR: env.PET_MASTER_ADDR, PET_MASTER_PORT: env.PET_MASTER_PORT, PET_NNODES: env.PET_NNODES, PET_NODE_RANK: env.PET_NODE_RANK, PET_NPROC_PER_NODE: env.PET_NPROC_PER_NODE, PYTHONUNBUFFERED: env.PYTHONUNBUFFERED },
        { MASTER_ADDR: 'mnist-master-0', MASTER_PORT: '23456', WORLD_SIZE: '3', RANK: rank, PET_MASTER_ADDR: 'mnist-master-0', PET_MASTER_PORT: '23456', PET_NNODES: '3', PET_NODE_RANK: rank, PET_NPROC_PER_NODE: 'auto', PYTHONUNBUFFERED: '0' },
        `${name}'s environment`,
      );
      assert.deepEqual(p.spec?.containers[0]?.ports?.map((x) => [x.name, x.containerPort]), [['pytorchjob-port', 23456]]);
    }

    // The Services the operator makes: one headless per replica, named as its pod.
    const services = await eventually('three cluster services', async () => {
      const items = (await cluster.core.listNamespacedService({ namespace: ns, labelSelector: 'training.kubeflow.org/job-name=mnist' })).items;
      return items.length === 3 ? items : undefined;
    });
    assert.deepEqual(services.map((s) => s.metadata!.name).sort(), names);
    for (const s of services) {
      assert.equal(s.spec?.clusterIP, 'None');
      assert.deepEqual(s.spec?.ports?.map((p) => [p.name, p.port, p.targetPort]), [['pytorchjob-port', 23456, 23456]]);
      assert.equal(s.spec?.selector?.['drover.dev/namespace'], 'default', 'selects only its own Drover namespace\'s pods');
    }
    // The cluster's endpoints controller finds each replica through its Service's selector: the
    // name MASTER_ADDR holds resolves to the master's cluster address.
    const master = pods.find((p) => p.metadata!.name === 'mnist-master-0')!;
    const endpoints = await eventually('the master Service\'s endpoints', async () => {
      const ep = await cluster.core.readNamespacedEndpoints({ name: 'mnist-master-0', namespace: ns });
      return ep.subsets?.[0]?.addresses?.length ? ep : undefined;
    });
    assert.deepEqual(endpoints.subsets![0]!.addresses!.map((a) => [a.ip, a.targetRef?.name]), [[master.status!.podIP, 'mnist-master-0']]);

    // Status mirrors back: pod IPs and nodes are the cluster's, and the job runs, then succeeds.
    const droverMaster = await d.json<{ spec: { nodeName?: string }; status: { podIP?: string; phase?: string } }>(['get', 'pod', 'mnist-master-0']);
    assert.equal(droverMaster.spec.nodeName, master.spec!.nodeName);
    assert.equal(droverMaster.status.podIP, master.status!.podIP, 'the pod IP is the cluster\'s, not a local bridge\'s');
    const running = await eventually('the job to be Running', async () => {
      const j = await d.json<{ status?: { conditions?: { type: string; status: string; reason: string }[]; replicaStatuses?: Record<string, { active?: number }> } }>(['get', 'pytorchjob', 'mnist']);
      return j.status?.conditions?.some((c) => c.type === 'Running' && c.status === 'True') ? j : undefined;
    });
    assert.equal(running.status!.conditions!.find((c) => c.type === 'Running')!.reason, 'PyTorchJobRunning');
    assert.deepEqual([running.status!.replicaStatuses!['Master']!.active, running.status!.replicaStatuses!['Worker']!.active], [1, 2]);
    await d.ok(['wait', 'pytorchjob/mnist', '--for=condition=Succeeded', '--timeout=60s']);
    const done = await d.json<{ status: { replicaStatuses: Record<string, { succeeded?: number }> } }>(['get', 'pytorchjob', 'mnist']);
    assert.equal(done.status.replicaStatuses['Master']!.succeeded, 1);

    // Deleting the job removes its pods and Services from the cluster too.
    await d.ok(['delete', 'pytorchjob', 'mnist']);
    await eventually('the cluster services to go', async () => ((await cluster.core.listNamespacedService({ namespace: ns, labelSelector: 'training.kubeflow.org/job-name=mnist' })).items.length === 0 ? true : undefined));
    await eventually('the cluster pods to go', async () => ((await cluster.core.listNamespacedPod({ namespace: ns, labelSelector: 'training.kubeflow.org/job-name=mnist' })).items.length === 0 ? true : undefined));
  });

  test('TF_CONFIG and the MPI hostfile name the cluster namespace, where the cluster DNS answers for them', async () => {
    const ns = cluster.namespace;
    await d.ok(['apply', '-f', '-'], `apiVersion: kubeflow.org/v1
kind: TFJob
metadata: {name: tfnet}
spec:
  tfReplicaSpecs:
    Worker:
      replicas: 2
      template:
        metadata: {annotations: {kwok.drover.dev/run-for: 60s}}
        spec: {containers: [{name: tensorflow, image: tensorflow/tensorflow:2.16.1, command: [python3, -c, pass]}]}
---
apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata: {name: pi}
spec:
  slotsPerWorker: 1
  mpiReplicaSpecs:
    Launcher:
      replicas: 1
      template:
        metadata: {annotations: {kwok.drover.dev/run-for: 60s}}
        spec: {containers: [{name: launcher, image: mpioperator/openmpi, command: [mpirun, -n, "2", hostname]}]}
    Worker:
      replicas: 2
      template:
        metadata: {annotations: {kwok.drover.dev/run-for: 60s}}
        spec: {containers: [{name: worker, image: mpioperator/openmpi}]}
`);
    const tfWorker = await eventually('the TF worker in the cluster', () => cluster.core.readNamespacedPod({ name: 'tfnet-worker-1', namespace: ns }));
    const tfConfig = JSON.parse(envOf(tfWorker).TF_CONFIG!) as { cluster: { worker: string[] }; task: unknown };
    assert.deepEqual(tfConfig.cluster.worker, [`tfnet-worker-0.${ns}.svc:2222`, `tfnet-worker-1.${ns}.svc:2222`]);
    assert.deepEqual(tfConfig.task, { type: 'worker', index: 1 });
    await eventually('the TF workers\' Services', () => cluster.core.readNamespacedService({ name: 'tfnet-worker-0', namespace: ns }));
    // The launcher's pod mounts <job>-config, so the ConfigMap is copied beside it.
    const cm = await eventually('the MPI hostfile in the cluster', () => cluster.core.readNamespacedConfigMap({ name: 'pi-config', namespace: ns }), 60_000);
    assert.equal(cm.data?.['hostfile'], `pi-worker-0.pi.${ns}.svc slots=1\npi-worker-1.pi.${ns}.svc slots=1\n`);
    const svc = await eventually('the MPIJob\'s headless Service', () => cluster.core.readNamespacedService({ name: 'pi', namespace: ns }));
    assert.equal(svc.spec?.clusterIP, 'None');
    // The workers' pods are made beside the ConfigMap and Service, in no fixed order.
    const worker = await eventually('the MPI worker in the cluster', () => cluster.core.readNamespacedPod({ name: 'pi-worker-0', namespace: ns }));
    assert.deepEqual([worker.spec?.hostname, worker.spec?.subdomain, worker.spec?.dnsConfig?.searches], ['pi-worker-0', 'pi', [`pi.${ns}.svc.cluster.local`]]);
    // A v1 MPIJob's launcher would need a ServiceAccount and Role in the cluster: refused, saying so.
    const v1 = await d.cli(['apply', '-f', '-'], ['apiVersion: kubeflow.org/v1', 'kind: MPIJob', 'metadata: {name: pi1}', 'spec:', '  mpiReplicaSpecs:', '    Launcher: {template: {spec: {containers: [{name: mpi, image: x}]}}}', '    Worker: {replicas: 1, template: {spec: {containers: [{name: mpi, image: x}]}}}', ''].join('\n'));
    assert.notEqual(v1.code, 0);
    assert.match(v1.stderr, /MPIJob "pi1" cannot run on the kubernetes runtime yet: a kubeflow\.org\/v1 MPIJob's launcher execs into its workers/);
    await d.ok(['delete', 'tfjob', 'tfnet']);
    await d.ok(['delete', 'mpijob', 'pi']);
    await eventually('the jobs\' Services to go', async () => ((await cluster.core.listNamespacedService({ namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=drover' })).items.length === 0 ? true : undefined), 60_000);
  });

  test('a TrainJob (Trainer v2, torch runtime, numNodes 2): node pods <job>-node-0-<i> with PET_* and the job\'s headless Service in the cluster', async () => {
    const ns = cluster.namespace;
    await d.ok(['apply', '-f', '-'], `apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainingRuntime
metadata: {name: torch}
spec:
  mlPolicy: {numNodes: 1, torch: {numProcPerNode: auto}}
  template:
    spec:
      replicatedJobs:
      - name: node
        template:
          metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}}
          spec:
            template:
              metadata: {annotations: {kwok.drover.dev/run-for: 3s}}
              spec: {containers: [{name: node, image: pytorch/pytorch:2.5.1-cpu}]}
---
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: tj}
spec:
  runtimeRef: {name: torch, kind: TrainingRuntime}
  trainer: {numNodes: 2, numProcPerNode: 1, command: [torchrun, train.py]}
`);
    const pods = await eventually('two node pods in the cluster', async () => {
      const items = (await cluster.core.listNamespacedPod({ namespace: ns, labelSelector: 'jobset.sigs.k8s.io/jobset-name=tj' })).items;
      return items.length === 2 && items.every((p) => p.spec?.nodeName) ? items : undefined;
    }, 60_000);
    assert.deepEqual(pods.map((p) => p.metadata!.name).sort(), ['tj-node-0-0', 'tj-node-0-1']);
    for (const p of pods) {
      assert.equal(p.spec?.subdomain, 'tj');
      const env = envOf(p);
      assert.deepEqual([env.PET_NNODES, env.PET_NPROC_PER_NODE, env.PET_MASTER_ADDR, env.PET_MASTER_PORT], ['2', '1', 'tj-node-0-0.tj', '29500']);
    }
    const svc = await eventually('the TrainJob\'s headless Service', () => cluster.core.readNamespacedService({ name: 'tj', namespace: ns }));
    assert.equal(svc.spec?.clusterIP, 'None');
    assert.equal(svc.spec?.publishNotReadyAddresses, true);
    await d.ok(['wait', 'trainjob/tj', '--for=condition=Complete', '--timeout=60s']);
    await d.ok(['delete', 'trainjob', 'tj']);
    await eventually('the Service to go', async () => ((await cluster.core.listNamespacedService({ namespace: ns })).items.some((s) => s.metadata?.name === 'tj') ? undefined : true));
  });

  test('a Service of Drover\'s own is mirrored: created with the cluster\'s ClusterIP copied back, updated, kept across kill -9, deleted', async () => {
    const ns = cluster.namespace;
    const svc = (ports: string) => ['apiVersion: v1', 'kind: Service', 'metadata: {name: web, labels: {tier: front}}', 'spec:', '  selector: {app: web}', `  ports: [${ports}]`, ''].join('\n');
    await d.ok(['apply', '-f', '-'], svc('{name: http, port: 80, targetPort: 8080}'));
    const made = await eventually('the cluster service', () => cluster.core.readNamespacedService({ name: 'web', namespace: ns }));
    assert.match(made.spec?.clusterIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    assert.deepEqual(made.spec?.selector, { app: 'web', 'drover.dev/namespace': 'default' });
    assert.equal(made.metadata?.labels?.['tier'], 'front');
    const ip = await eventually('Drover\'s Service to take the cluster\'s address', async () => {
      const s = await d.json<{ spec: { clusterIP?: string } }>(['get', 'svc', 'web']);
      return s.spec.clusterIP === made.spec!.clusterIP ? s.spec.clusterIP : undefined;
    });
    assert.equal(ip, made.spec!.clusterIP);

    await d.ok(['apply', '-f', '-'], svc('{name: http, port: 80, targetPort: 8080}, {name: metrics, port: 9090}'));
    const updated = await eventually('the cluster service to gain a port', async () => {
      const s = await cluster.core.readNamespacedService({ name: 'web', namespace: ns });
      return s.spec?.ports?.length === 2 ? s : undefined;
    });
    assert.equal(updated.metadata?.uid, made.metadata?.uid, 'replaced in place');
    assert.equal(updated.spec?.clusterIP, made.spec?.clusterIP);

    await d.kill9();
    await d.up();
    await d.ok(['apply', '-f', '-'], ['apiVersion: v1', 'kind: Service', 'metadata: {name: after}', 'spec: {clusterIP: None, selector: {app: after}, ports: [{port: 1}]}', ''].join('\n'));
    await eventually('a Service made after the restart', () => cluster.core.readNamespacedService({ name: 'after', namespace: ns }));
    const kept = await cluster.core.readNamespacedService({ name: 'web', namespace: ns });
    assert.equal(kept.metadata?.uid, made.metadata?.uid, 'the same cluster Service, not made twice');
    assert.equal(kept.metadata?.resourceVersion, updated.metadata?.resourceVersion, 'and not rewritten by the restart');

    // A copy whose Drover Service no longer exists goes; a name held by a Service Drover did not make is left alone and said so.
    await cluster.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'orphan', labels: { 'app.kubernetes.io/managed-by': 'drover', 'drover.dev/namespace': 'default' }, annotations: { 'drover.dev/uid': 'no-such-uid' } }, spec: { clusterIP: 'None', ports: [{ port: 1 }] } } });
    await eventually('the orphaned copy to go', async () => ((await cluster.core.listNamespacedService({ namespace: ns })).items.some((s) => s.metadata?.name === 'orphan') ? undefined : true));
    const theirs = await cluster.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'taken' }, spec: { ports: [{ port: 1 }] } } });
    await d.ok(['apply', '-f', '-'], ['apiVersion: v1', 'kind: Service', 'metadata: {name: taken}', 'spec: {selector: {app: x}, ports: [{port: 2}]}', ''].join('\n'));
    const conflict = await eventually('a NameConflict event', async () => {
      const events = await d.json<{ items: { reason: string; message: string; involvedObject: { name: string } }[] }>(['get', 'events']);
      return events.items.find((e) => e.reason === 'NameConflict' && e.involvedObject.name === 'taken');
    });
    assert.match(conflict.message, new RegExp(`service name "taken" is already taken in cluster namespace ${ns} by a service Drover did not make`));
    const still = await cluster.core.readNamespacedService({ name: 'taken', namespace: ns });
    assert.equal(still.metadata?.uid, theirs.metadata?.uid);
    assert.deepEqual(still.spec?.ports?.map((p) => p.port), [1], 'left as it was');
    await d.ok(['delete', 'svc', 'taken']);
    await cluster.core.deleteNamespacedService({ name: 'taken', namespace: ns });

    await d.ok(['delete', 'svc', 'web', 'after']);
    await eventually('the cluster services to go', async () => ((await cluster.core.listNamespacedService({ namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=drover' })).items.length === 0 ? true : undefined));
  });

  test('a Role without services is refused at start, naming what is missing', async () => {
    const rbac = cluster.admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    const role = await rbac.readNamespacedRole({ name: 'drover', namespace: cluster.namespace });
    const without = { ...role, rules: role.rules!.filter((r) => !r.resources?.includes('services')) };
    await rbac.replaceNamespacedRole({ name: 'drover', namespace: cluster.namespace, body: without });
    const home = mkdtempSync(join(tmpdir(), 'drover-nosvc-'));
    try {
      const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(process.execPath, [join(REPO, 'bin', 'drover.js'), 'up', '--port', '0', '--home', home, '--runtime', 'kubernetes', '--kubeconfig', cluster.droverKubeconfig, '--namespace', cluster.namespace], { env: { ...process.env, DROVER_SERVER: '' }, timeout: 30_000 }, (err, _out, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
        ),
      );
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /may not create services, update services, delete services, get services, list services, watch services in namespace/);
    } finally {
      rmSync(home, { recursive: true, force: true });
      await rbac.replaceNamespacedRole({ name: 'drover', namespace: cluster.namespace, body: { ...role, metadata: { ...role.metadata, resourceVersion: undefined } } });
    }
  });
});
