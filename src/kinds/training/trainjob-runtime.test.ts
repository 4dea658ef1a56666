import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EnvVar, Pod, Stored } from '../../api/types.js';
import { type FieldIssue, ValidationError } from '../../api/errors.js';
import { manifestLoader } from '../../registry.js';
import { type TrainJob, type TrainingRuntime, planTrainJob } from './trainjob.js';
import { type ReplicatedJob, RuntimeMismatch, resolveRuntime } from './trainjob-runtime.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const INDEX = "metadata.annotations['batch.kubernetes.io/job-completion-index']";
const envOf = (list: EnvVar[] | undefined) => Object.fromEntries((list ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));

const nodeJob = (extra: Partial<ReplicatedJob> = {}, containers = [{ name: 'node', image: 'rt', env: [{ name: 'A', value: 'runtime' }] }]): ReplicatedJob => ({
  name: 'node',
  template: { metadata: { labels: { 'trainer.kubeflow.org/trainjob-ancestor-step': 'trainer' } }, spec: { template: { spec: { containers } } } },
  ...extra,
});

test('the JAX policy: JAX_NUM_PROCESSES, JAX_PROCESS_ID from the completion index, JAX_COORDINATOR_ADDRESS node 0 on 29500', () => {
  const r = resolveRuntime({ name: 'jx', trainer: { numNodes: 3, env: [{ name: 'B', value: 'job' }] }, patches: [] }, { mlPolicy: { numNodes: 1, jax: {} }, template: { spec: { replicatedJobs: [nodeJob()] } } });
  const node = r.podSets[0]!;
  assert.equal(node.count, 3);
  const c = node.template.spec.containers[0]!;
  assert.deepEqual(envOf(c.env), { A: 'runtime', B: 'job', JAX_NUM_PROCESSES: '3', JAX_PROCESS_ID: INDEX, JAX_COORDINATOR_ADDRESS: 'jx-node-0-0.jx:29500' });
  assert.deepEqual(c.ports, [{ containerPort: 29500 }]);
});

test('the XGBoost policy: DMLC tracker on node 0, task id from the index, workers = nodes × GPUs per node (1 without GPUs)', () => {
  const runtime = { mlPolicy: { numNodes: 2, xgboost: {} }, template: { spec: { replicatedJobs: [nodeJob()] } } };
  const cpu = resolveRuntime({ name: 'xg', trainer: {}, patches: [] }, runtime);
  assert.equal(cpu.podSets[0]!.count, 2);
  assert.deepEqual(envOf(cpu.podSets[0]!.template.spec.containers[0]!.env), { A: 'runtime', DMLC_TRACKER_URI: 'xg-node-0-0.xg', DMLC_TRACKER_PORT: '29500', DMLC_TASK_ID: INDEX, DMLC_NUM_WORKER: '2' });
  const gpu = resolveRuntime({ name: 'xg', trainer: { numNodes: 3, resourcesPerNode: { limits: { 'nvidia.com/gpu': '4' } } }, patches: [] }, runtime);
  assert.equal(envOf(gpu.podSets[0]!.template.spec.containers[0]!.env)['DMLC_NUM_WORKER'], '12');
  assert.deepEqual(gpu.podSets[0]!.template.spec.containers[0]!.resources, { limits: { 'nvidia.com/gpu': '4' } });
  // A reserved name in trainer.env is refused, as upstream's webhook does.
  assert.throws(() => resolveRuntime({ name: 'xg', trainer: { env: [{ name: 'DMLC_TASK_ID', value: '9' }] }, patches: [] }, runtime), (e: unknown) => e instanceof RuntimeMismatch && /spec\.trainer\.env\[0\]: must not have reserved envs: DMLC_TASK_ID is set by the xgboost runtime/.test(e.message));
});

const mpiRuntime = (runLauncherAsNode: boolean): TrainingRuntime => ({
  apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'ClusterTrainingRuntime', metadata: { name: 'mpi' },
  spec: {
    mlPolicy: { numNodes: 1, mpi: { numProcPerNode: 2, mpiImplementation: 'OpenMPI', sshAuthMountPath: '/home/mpiuser/.ssh', runLauncherAsNode } },
    template: { spec: {
      network: { publishNotReadyAddresses: true },
      successPolicy: { operator: 'All', targetReplicatedJobs: ['launcher'] },
      replicatedJobs: [
        { name: 'node', template: { spec: { template: { spec: { containers: [{ name: 'node', image: 'rt', command: ['/usr/sbin/sshd'], args: ['-De'] }] } } } } },
        { name: 'launcher', dependsOn: [{ name: 'node', status: 'Ready' }], template: { metadata: { labels: { 'trainer.kubeflow.org/trainjob-ancestor-step': 'trainer' } }, spec: { template: { spec: { containers: [{ name: 'node', image: 'rt' }] } } } } },
      ],
    } },
  },
});

test('the MPI policy: the trainer runs on the launcher, nodes run sshd, keys on both, hostfile with slots, OpenMPI variables', () => {
  const r = resolveRuntime({ name: 'pi', trainer: { numNodes: 3, command: ['mpirun', '-n', '6', 'hello'], env: [{ name: 'X', value: '1' }] }, patches: [] }, mpiRuntime(true).spec);
  const [node, launcher] = r.podSets;
  // runLauncherAsNode: the launcher is one of the 3 nodes.
  assert.equal(node!.count, 2);
  assert.equal(launcher!.count, 1);
  assert.deepEqual(node!.template.spec.containers[0]!.command, ['/usr/sbin/sshd']);
  assert.deepEqual(launcher!.template.spec.containers[0]!.command, ['mpirun', '-n', '6', 'hello']);
  assert.equal(r.mpi!.hostfile, 'pi-node-0-0.pi slots=2\npi-node-0-1.pi slots=2\npi-launcher-0-0.pi slots=2\n');
  assert.deepEqual(envOf(launcher!.template.spec.containers[0]!.env), {
    X: '1', OMPI_MCA_orte_default_hostfile: '/etc/mpi/hostfile', OMPI_MCA_orte_keep_fqdn_hostnames: 'true',
    OMPI_MCA_orte_set_default_slots: '2', OMPI_MCA_plm_rsh_args: '-o ConnectionAttempts=10',
  });
  // trainer.env reaches the nodes too when the launcher runs ranks beside them.
  assert.deepEqual(envOf(node!.template.spec.containers[0]!.env), { X: '1' });
  assert.deepEqual(node!.template.spec.volumes, [{ name: 'mpi-ssh-auth', secret: { secretName: 'pi-mpi-ssh-auth', defaultMode: 0o400, items: [
    { key: 'ssh-privatekey', path: 'id_rsa', mode: 0o640 }, { key: 'ssh-publickey', path: 'id_rsa.pub', mode: 0o644 }, { key: 'ssh-publickey', path: 'authorized_keys', mode: 0o644 }] } }]);
  assert.deepEqual(node!.template.spec.containers[0]!.volumeMounts, [{ name: 'mpi-ssh-auth', mountPath: '/home/mpiuser/.ssh' }]);
  assert.deepEqual(launcher!.template.spec.containers[0]!.volumeMounts, [{ name: 'mpi-ssh-auth', mountPath: '/home/mpiuser/.ssh' }, { name: 'mpi-hostfile', mountPath: '/etc/mpi' }]);
  assert.deepEqual(launcher!.template.spec.volumes?.[1], { name: 'mpi-hostfile', configMap: { name: 'pi-mpi-hostfile', items: [{ key: 'hostfile', path: 'hostfile', mode: 0o444 }] } });
  // Without runLauncherAsNode every node counts, the launcher is not in the hostfile; trainer.numProcPerNode wins.
  const plain = resolveRuntime({ name: 'pi', trainer: { numNodes: 2, numProcPerNode: 1 }, patches: [] }, mpiRuntime(false).spec);
  assert.equal(plain.podSets[0]!.count, 2);
  assert.equal(plain.mpi!.hostfile, 'pi-node-0-0.pi slots=1\npi-node-0-1.pi slots=1\n');
});

test('an MPI TrainJob: Secret and hostfile first, sshd nodes, the launcher once every node is Ready; complete with the launcher, the nodes then stopped', () => {
  const job: TrainJob = { apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name: 'pi', namespace: 'ns', uid: 'u' }, spec: { runtimeRef: { name: 'mpi' }, trainer: { numNodes: 2, command: ['mpirun', 'hostname'] } } };
  const runtime = mpiRuntime(false);
  const first = planTrainJob({ job, runtime, pods: [], services: [], servicesServed: true, now: T0 });
  assert.equal(first.sshSecret, 'pi-mpi-ssh-auth');
  assert.deepEqual(first.configMaps.map((c) => [c.metadata.name, (c as unknown as { data: { hostfile: string } }).data.hostfile]), [['pi-mpi-hostfile', 'pi-node-0-0.pi slots=2\npi-node-0-1.pi slots=2\n']]);
  assert.deepEqual(first.create.map((p) => p.metadata.name), ['pi-node-0-0', 'pi-node-0-1']);
  // The launcher waits; the gang is the nodes only (a pod made later cannot be waited for).
  assert.equal(first.create[0]!.metadata.annotations?.['drover.dev/pod-group-min-member'], '2');
  assert.equal(first.create[0]!.metadata.labels?.['jobset.sigs.k8s.io/replicatedjob-name'], 'node');
  const running = (p: Stored<Pod>, ready: boolean) => ({ ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }) as Stored<Pod>;
  const withStatus = { ...job, status: first.status! };
  const notYet = planTrainJob({ job: withStatus, runtime, pods: [running(first.create[0]!, true), running(first.create[1]!, false)], services: ['pi'], servicesServed: true, owned: ['pi-mpi-ssh-auth', 'pi-mpi-hostfile'], now: T0 });
  assert.deepEqual(notYet.create, []);
  assert.equal(notYet.sshSecret, undefined);
  assert.deepEqual(notYet.configMaps, []);
  const nodes = first.create.map((p) => running(p, true));
  const ready = planTrainJob({ job: withStatus, runtime, pods: nodes, services: ['pi'], servicesServed: true, owned: ['pi-mpi-ssh-auth', 'pi-mpi-hostfile'], now: T0 });
  assert.deepEqual(ready.create.map((p) => [p.metadata.name, p.spec?.hostname, p.spec?.subdomain]), [['pi-launcher-0-0', 'pi-launcher-0-0', 'pi']]);
  const launcher = { ...ready.create[0]!, status: { phase: 'Succeeded' } } as Stored<Pod>;
  const done = planTrainJob({ job: withStatus, runtime, pods: [...nodes, launcher], services: ['pi'], servicesServed: true, owned: ['pi-mpi-ssh-auth', 'pi-mpi-hostfile'], now: T0 });
  assert.equal(done.status?.conditions?.find((c) => c.type === 'Complete')?.reason, 'AllJobsCompleted');
  assert.deepEqual(done.deletePods, ['pi-node-0-0', 'pi-node-0-1']);
  assert.deepEqual(done.status?.jobsStatus?.map((j) => [j.name, j.succeeded, j.active]), [['node', 0, 1], ['launcher', 1, 0]]);
});

test('runtimePatches merge into the pod templates: containers by name, env by name, mounts by path, volumes by name, maps merged, tolerations replaced', () => {
  const base = nodeJob({}, [{ name: 'node', image: 'rt', env: [] }, { name: 'side', image: 's', env: [{ name: 'S', value: 'old' }], volumeMounts: [{ name: 'a', mountPath: '/a' }] }] as never);
  base.template!.spec!.template!.spec!.volumes = [{ name: 'a', emptyDir: {} }];
  base.template!.spec!.template!.spec!.tolerations = [{ key: 'k1', operator: 'Exists' }];
  base.template!.spec!.template!.spec!.nodeSelector = { zone: 'a' };
  const r = resolveRuntime({
    name: 'p', trainer: {}, patches: [{
      manager: 'acme.io/user',
      trainingRuntimeSpec: { template: { spec: { replicatedJobs: [{ name: 'node', template: { metadata: { labels: { team: 'x' } }, spec: { template: { metadata: { annotations: { note: 'y' } }, spec: {
        serviceAccountName: 'trainer-sa',
        nodeSelector: { disk: 'ssd' },
        tolerations: [{ key: 'k2', operator: 'Exists' }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
        containers: [{ name: 'side', env: [{ name: 'S', value: 'new' }, { name: 'T', value: 't' }], volumeMounts: [{ name: 'data', mountPath: '/data' }] }, { name: 'node', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      } } } } }] } } },
    }],
  }, { template: { spec: { replicatedJobs: [base] } } });
  const ps = r.podSets[0]!;
  const spec = ps.template.spec;
  assert.equal(spec.serviceAccountName, 'trainer-sa');
  assert.deepEqual(spec.nodeSelector, { zone: 'a', disk: 'ssd' });
  assert.deepEqual(spec.tolerations, [{ key: 'k2', operator: 'Exists' }]);
  assert.deepEqual(spec.volumes?.map((v) => v.name), ['a', 'data']);
  assert.deepEqual(envOf(spec.containers[1]!.env), { S: 'new', T: 't' });
  assert.deepEqual(spec.containers[1]!.volumeMounts?.map((m) => m.mountPath), ['/a', '/data']);
  assert.deepEqual(spec.containers[0]!.volumeMounts?.map((m) => m.mountPath), ['/data']);
  assert.equal(ps.jobMeta.labels?.['team'], 'x');
  assert.equal(ps.template.metadata?.annotations?.['note'], 'y');
  // Upstream's webhook rules, here at the first reconcile: an unknown job or container, env on `node`.
  const bad = (rj: object) => () => resolveRuntime({ name: 'p', patches: [{ manager: 'a.io/b', trainingRuntimeSpec: { template: { spec: { replicatedJobs: [rj as never] } } } }] }, { template: { spec: { replicatedJobs: [nodeJob()] } } });
  assert.throws(bad({ name: 'launcher' }), /must not have replicated job that doesn't exist in the runtime job template \("launcher"; the runtime has node\)/);
  assert.throws(bad({ name: 'node', template: { spec: { template: { spec: { containers: [{ name: 'sidecar' }] } } } } }), /must not have container that doesn't exist in the runtime job node/);
  assert.throws(bad({ name: 'node', template: { spec: { template: { spec: { containers: [{ name: 'node', env: [{ name: 'E', value: '1' }] }] } } } } }), /must not have envs for the dataset-initializer, model-initializer, node containers/);
});

test('v2.1 podTemplateOverrides are applied as the runtimePatches they became; a TrainJob that does not fit its runtime fails saying why', () => {
  const runtime: TrainingRuntime = { apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'ClusterTrainingRuntime', metadata: { name: 'plain' }, spec: { template: { spec: { replicatedJobs: [nodeJob()] } } } };
  const job: TrainJob = {
    apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name: 'ov', namespace: 'ns', uid: 'u' },
    spec: { runtimeRef: { name: 'plain' }, trainer: { numNodes: 2 }, podTemplateOverrides: [{ targetJobs: [{ name: 'node' }], metadata: { labels: { l: 'v' } }, spec: { nodeSelector: { a: 'b' } } }] },
  };
  const plan = planTrainJob({ job, runtime, pods: [], services: [], servicesServed: false, now: T0 });
  assert.equal(plan.create.length, 2);
  assert.equal(plan.create[1]!.metadata.labels?.['l'], 'v');
  assert.deepEqual(plan.create[1]!.spec?.nodeSelector, { a: 'b' });
  const wrong = planTrainJob({ job: { ...job, spec: { ...job.spec, podTemplateOverrides: [{ targetJobs: [{ name: 'launcher' }] }] } }, runtime, pods: [], services: [], servicesServed: false, now: T0 });
  assert.deepEqual(wrong.create, []);
  const failed = wrong.status?.conditions?.find((c) => c.type === 'Failed');
  assert.equal(failed?.reason, 'InvalidRuntime');
  assert.match(failed!.message, /TrainJob does not fit ClusterTrainingRuntime plain: spec\.podTemplateOverrides\[0\]: must not have replicated job that doesn't exist/);
});

const loader = await manifestLoader();
function issues(text: string): string {
  try {
    loader.load(text, 'tj.yaml');
  } catch (err) {
    assert.ok(err instanceof ValidationError);
    return err.issues.map((i: FieldIssue) => `${i.line}: ${i.message}`).join('\n');
  }
  return '';
}

test('runtimePatches and podTemplateOverrides are validated at file:line: manager, unknown fields, init containers and scheduling gates refused by name, pod parts as a Pod', () => {
  const out = issues(`apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: tj}
spec:
  runtimeRef: {name: torch-distributed}
  runtimePatches:
  - manager: not-a-path
    trainingRuntimeSpec:
      template:
        spec:
          replicatedJobs:
          - name: node
            template:
              spec:
                template:
                  spec:
                    initContainers: [{name: fetch}]
                    schedulingGates: [{name: kueue}]
                    volumes: [{name: v, nfs: {server: x, path: /}}]
                    containers: [{name: side, image: nope}]
  podTemplateOverrides:
  - targetJobs: [{name: node}]
    spec: {priority: 3}
  podSpecOverrides: [{targetJobs: [{name: node}]}]
`);
  assert.match(out, /7: must be a domain-prefixed path \(such as "acme.io\/foo"\), got "not-a-path"/);
  assert.match(out, /17: field spec\.runtimePatches\[0\]\.trainingRuntimeSpec\.template\.spec\.replicatedJobs\[0\]\.template\.spec\.template\.spec\.initContainers is not supported by Drover yet \(a runtime patch cannot add init containers yet\)/);
  assert.match(out, /18: field .*schedulingGates is not supported by Drover yet \(nothing here lifts scheduling gates/);
  assert.match(out, /19: .*volumes\[0\]\.nfs/);
  assert.match(out, /20: unknown field "image"/);
  assert.match(out, /23: unknown field "priority"/);
  assert.match(out, /24: field spec\.podSpecOverrides is not supported by Drover yet \(v2\.0's podSpecOverrides are gone upstream/);
  assert.equal(issues(`apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: tj}
spec:
  runtimeRef: {name: torch-distributed}
  runtimePatches:
  - manager: acme.io/me
    trainingRuntimeSpec: {template: {spec: {replicatedJobs: [{name: node, template: {spec: {template: {spec: {nodeSelector: {a: b}, volumes: [{name: d, emptyDir: {}}], containers: [{name: node, volumeMounts: [{name: d, mountPath: /d}]}]}}}}}]}}}
`), '');
});

const initRuntime = (): TrainingRuntime => {
  const step = (name: string): ReplicatedJob => ({
    name,
    template: { metadata: { labels: { 'trainer.kubeflow.org/trainjob-ancestor-step': name } }, spec: { template: { spec: { containers: [{ name, image: name, env: [{ name: 'STORAGE_URI', value: 'hf://default' }], volumeMounts: [{ name: 'initializer', mountPath: '/workspace' }] }] } } } },
  });
  const node = nodeJob({ dependsOn: [{ name: 'dataset-initializer', status: 'Complete' }, { name: 'model-initializer', status: 'Complete' }] }, [{ name: 'node', image: 'rt', volumeMounts: [{ name: 'initializer', mountPath: '/workspace' }] }] as never);
  return {
    apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'ClusterTrainingRuntime', metadata: { name: 'tune' },
    spec: { mlPolicy: { numNodes: 1, torch: {} }, template: { spec: {
      volumeClaimPolicies: [{ templates: [{ metadata: { name: 'initializer' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] }],
      replicatedJobs: [step('dataset-initializer'), step('model-initializer'), node],
    } } },
  };
};

test('initializers: the TrainJob block over the initializer containers, the node after both Complete, one shared claim <template>-<job> for every pod that mounts it', () => {
  const job: TrainJob = {
    apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name: 'ft', namespace: 'ns', uid: 'u' },
    spec: { runtimeRef: { name: 'tune' }, trainer: {}, initializer: { dataset: { storageUri: 's3://bucket/data', env: [{ name: 'SPLIT', value: 'train' }], secretRef: { name: 'creds' } } } },
  };
  const runtime = initRuntime();
  const first = planTrainJob({ job, runtime, pods: [], services: [], servicesServed: false, now: T0 });
  assert.deepEqual(first.create.map((p) => p.metadata.name), ['ft-dataset-initializer-0-0', 'ft-model-initializer-0-0']);
  const ds = first.create[0]!.spec!.containers[0]!;
  assert.deepEqual(envOf(ds.env), { STORAGE_URI: 's3://bucket/data', SPLIT: 'train' });
  assert.deepEqual(ds.envFrom, [{ secretRef: { name: 'creds' } }]);
  // The model initializer keeps the runtime's own STORAGE_URI: the job gave no model block.
  assert.deepEqual(envOf(first.create[1]!.spec!.containers[0]!.env), { STORAGE_URI: 'hf://default' });
  assert.deepEqual(first.create[0]!.spec!.volumes, [{ name: 'initializer', persistentVolumeClaim: { claimName: 'initializer-ft' } }]);
  const pvc = first.configMaps.find((o) => o.kind === 'PersistentVolumeClaim')!;
  assert.equal(pvc.metadata.name, 'initializer-ft');
  assert.equal(pvc.metadata.ownerReferences?.[0]?.kind, 'TrainJob');
  const done = first.create.map((p) => ({ ...p, status: { phase: 'Succeeded' } }) as Stored<Pod>);
  const next = planTrainJob({ job: { ...job, status: first.status! }, runtime, pods: done, services: [], servicesServed: false, owned: ['initializer-ft'], now: T0 });
  assert.deepEqual(next.create.map((p) => p.metadata.name), ['ft-node-0-0']);
  assert.deepEqual(next.create[0]!.spec!.volumes, [{ name: 'initializer', persistentVolumeClaim: { claimName: 'initializer-ft' } }]);
  assert.deepEqual(next.configMaps, []);
  // Upstream's webhook rules: the runtime must have the job, its container and the initializer mount.
  const noModel = structuredClone(runtime);
  noModel.spec.template!.spec!.replicatedJobs = noModel.spec.template!.spec!.replicatedJobs!.filter((r) => r.name !== 'model-initializer');
  assert.throws(() => resolveRuntime({ name: 'ft', initializer: { model: { storageUri: 'hf://m' } }, patches: [] }, noModel.spec), /spec\.runtimeRef: must have model-initializer job when trainJob is configured with input modelConfig/);
  const noMount = structuredClone(runtime);
  delete noMount.spec.template!.spec!.replicatedJobs![0]!.template!.spec!.template!.spec!.containers[0]!.volumeMounts;
  assert.throws(() => resolveRuntime({ name: 'ft', initializer: { dataset: {} }, patches: [] }, noMount.spec), /must have volumeMount with name - initializer in container dataset-initializer of the dataset-initializer job/);
});

test('torch: numProcPerNode "auto" is the node CPUs without GPUs (requests, else limits, rounded up), stays "auto" with GPUs; a number wins', () => {
  const runtime = { mlPolicy: { numNodes: 1, torch: {} }, template: { spec: { replicatedJobs: [nodeJob()] } } };
  const nproc = (trainer: object) => envOf(resolveRuntime({ name: 't', trainer, patches: [] }, runtime).podSets[0]!.template.spec.containers[0]!.env)['PET_NPROC_PER_NODE'];
  assert.equal(nproc({ resourcesPerNode: { requests: { cpu: '2500m' } } }), '3');
  assert.equal(nproc({ resourcesPerNode: { limits: { cpu: '4' } } }), '4');
  assert.equal(nproc({}), '1');
  assert.equal(nproc({ resourcesPerNode: { limits: { 'nvidia.com/gpu': 2 } } }), 'auto');
  assert.equal(nproc({ numProcPerNode: 2, resourcesPerNode: { requests: { cpu: '8' } } }), '2');
});
