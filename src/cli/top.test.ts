import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../api/types.js';
import { allocatedOn, humanBytes, humanCpu, jobRows, nodeRows, podRows, replicaOf } from './top.js';
import { formatTable } from '../print/tabwriter.js';

const node: Node = {
  metadata: { name: 'local' },
  status: { capacity: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '2' }, allocatable: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '2' } },
};
const pod = (name: string, phase: string, resources: Record<string, string>, nodeName = 'local'): Pod => ({
  metadata: { name }, spec: { nodeName, containers: [{ name: 'c', resources: { requests: resources } }] }, status: { phase },
});

test('allocated sums requests of unfinished pods bound to the node', () => {
  const pods = [pod('a', 'Running', { cpu: '1500m', memory: '1Gi', 'nvidia.com/gpu': '1' }), pod('b', 'Pending', { cpu: '500m' }), pod('done', 'Succeeded', { cpu: '4' }), pod('elsewhere', 'Running', { cpu: '4' }, 'other')];
  assert.deepEqual(allocatedOn('local', pods), { cpu: 2, memory: 2 ** 30, 'nvidia.com/gpu': 1 });
});

test('top node shows kubectl columns and Drover allocation columns', () => {
  const rows = nodeRows([node], [{ metadata: { name: 'local' }, usage: { cpu: '250m', memory: '4Gi' } }], [pod('a', 'Running', { cpu: '1500m', memory: '1536Mi', 'nvidia.com/gpu': '1' })]);
  assert.equal(
    formatTable(rows),
    'NAME    CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%   CPU-ALLOCATED/CAPACITY   MEMORY-ALLOCATED/CAPACITY   GPU-ALLOCATED/CAPACITY\n' +
      'local   250m         3%     4096Mi          12%       1.5/8                    1.5Gi/32Gi                  1/2\n',
  );
  const noMetrics = nodeRows([node], [], []);
  assert.deepEqual(noMetrics[1]!.slice(1, 5), ['<unknown>', '<unknown>', '<unknown>', '<unknown>']);
});

test('top pod sums containers, or lists them with --containers', () => {
  const m = [
    { metadata: { name: 'b', namespace: 'default' }, containers: [{ name: 'x', usage: { cpu: '100m', memory: '10Mi' } }, { name: 'y', usage: { cpu: '50m', memory: '5Mi' } }] },
    { metadata: { name: 'a', namespace: 'default' }, containers: [{ name: 'x', usage: { cpu: '1', memory: '1Gi' } }] },
  ];
  assert.equal(formatTable(podRows(m)), 'NAME   CPU(cores)   MEMORY(bytes)\na      1000m        1024Mi\nb      150m         15Mi\n');
  assert.deepEqual(podRows(m, { containers: true, withNamespace: true })[0], ['NAMESPACE', 'POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
  assert.equal(podRows(m, { containers: true }).length, 4);
  assert.deepEqual(podRows(m, { sortBy: 'memory' }).map((r) => r[0]), ['NAME', 'a', 'b']);
});

test('human units', () => {
  assert.equal(humanCpu(0), '0');
  assert.equal(humanCpu(0.25), '250m');
  assert.equal(humanCpu(1.5), '1.5');
  assert.equal(humanCpu(8), '8');
  assert.equal(humanBytes(0), '0');
  assert.equal(humanBytes(512 * 2 ** 20), '512Mi');
  assert.equal(humanBytes(31.96 * 2 ** 30), '32Gi');
});

test('top by job: running replicas, summed use and held GPUs per job; --replicas one row per replica pod', () => {
  const replica = (name: string, type: string, index: string, phase: string, gpu?: string): Pod => ({
    metadata: { name, namespace: 'ml', labels: { 'training.kubeflow.org/replica-type': type, 'training.kubeflow.org/replica-index': index } },
    spec: { containers: [{ name: 'pytorch', resources: { limits: gpu ? { 'nvidia.com/gpu': gpu } : {} } }] },
    status: { phase },
  });
  const jobs = [
    { namespace: 'ml', name: 'ddp', pods: [replica('ddp-worker-0', 'Worker', '0', 'Running', '1'), replica('ddp-master-0', 'Master', '0', 'Running', '1')] },
    { namespace: 'ml', name: 'done', pods: [replica('done-master-0', 'Master', '0', 'Succeeded', '1')] },
  ];
  const metrics = [
    { metadata: { name: 'ddp-master-0', namespace: 'ml' }, containers: [{ name: 'pytorch', usage: { cpu: '1500m', memory: '1Gi' } }] },
    { metadata: { name: 'ddp-worker-0', namespace: 'ml' }, containers: [{ name: 'pytorch', usage: { cpu: '500m', memory: '512Mi' } }] },
  ];
  assert.equal(
    formatTable(jobRows(jobs, metrics)),
    'NAME   RUNNING   CPU(cores)   MEMORY(bytes)   GPUS\n' + 'ddp    2/2       2000m        1536Mi          2\n' + 'done   0/1       0m           0Mi             0\n',
  );
  assert.equal(
    formatTable(jobRows(jobs.slice(0, 1), metrics, { replicas: true })),
    'NAME   POD            REPLICA    STATUS    CPU(cores)   MEMORY(bytes)   GPUS\n' + 'ddp    ddp-master-0   master-0   Running   1500m        1024Mi          1\n' + 'ddp    ddp-worker-0   worker-0   Running   500m         512Mi           1\n',
  );
  assert.equal(replicaOf({ metadata: { name: 'x', labels: { 'jobset.sigs.k8s.io/replicatedjob-name': 'node', 'batch.kubernetes.io/job-completion-index': '2' } } }), 'node-2');
});
