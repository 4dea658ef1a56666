import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Pod, Job } from '../api/types.js';
import { asList, objectName, parseOutputFormat, renderTable, toJson, toYaml } from './printers.js';
import { formatLabels, formatLabelSelector, type KindPrinter } from '../print/columns.js';
import { eventLastSeen } from '../print/events.js';
import { formatRestarts, nodeRoles, nodeStatus, podSummary } from '../kinds/core/cli/columns.js';
import { jobCompletions, jobDuration, jobStatus } from '../kinds/jobs/cli/columns.js';
import { KINDS } from '../registry.js';

const lookupKind = (name: string) => KINDS.lookup(name);

const NOW = Date.parse('2024-01-01T01:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function pod(status: Pod['status'], extra: Partial<Pod> = {}): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(10_000) },
    spec: { containers: [{ name: 'main', image: 'python' }] }, status, ...extra,
  };
}

test('a pod not yet started shows Pending, then ContainerCreating from its waiting reason', () => {
  assert.deepEqual(podSummary(pod({ phase: 'Pending' })), { ready: '0/1', status: 'Pending', restarts: 0 });
  const creating = pod({ phase: 'Pending', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] });
  assert.equal(podSummary(creating).status, 'ContainerCreating');
});

test('a running ready container counts as ready', () => {
  const p = pod({ phase: 'Running', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: ago(5000) } } }] });
  assert.deepEqual(podSummary(p), { ready: '1/1', status: 'Running', restarts: 0 });
});

test('terminated containers show their reason: Completed, Error, OOMKilled', () => {
  for (const [reason, exitCode] of [['Completed', 0], ['Error', 1], ['OOMKilled', 137]] as const) {
    const p = pod({ phase: reason === 'Completed' ? 'Succeeded' : 'Failed', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason } } }] });
    assert.equal(podSummary(p).status, reason);
  }
});

test('a terminated container without a reason shows its exit code or signal', () => {
  const byCode = pod({ phase: 'Failed', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 3 } } }] });
  assert.equal(podSummary(byCode).status, 'ExitCode:3');
  const bySignal = pod({ phase: 'Failed', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }] });
  assert.equal(podSummary(bySignal).status, 'Signal:9');
});

test('CrashLoopBackOff and CreateContainerConfigError come from the waiting reason; restarts show how long ago', () => {
  const p = pod({
    phase: 'Running',
    containerStatuses: [{
      name: 'main', image: '', imageID: '', ready: false, restartCount: 3,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(20_000) } },
    }],
  });
  const s = podSummary(p);
  assert.equal(s.status, 'CrashLoopBackOff');
  assert.equal(formatRestarts(s, NOW), '3 (20s ago)');
  const cfg = pod({ phase: 'Pending', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerConfigError' } } }] });
  assert.equal(podSummary(cfg).status, 'CreateContainerConfigError');
  assert.equal(formatRestarts(podSummary(cfg), NOW), '0');
});

test('a Completed container beside a running one shows Running (or NotReady)', () => {
  const statuses = [
    { name: 'a', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
    { name: 'b', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
  ];
  const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
  assert.equal(podSummary(pod({ phase: 'Running', containerStatuses: statuses, conditions: [{ type: 'Ready', status: 'True' }] }, { spec })).status, 'Running');
  assert.equal(podSummary(pod({ phase: 'Running', containerStatuses: statuses }, { spec })).status, 'NotReady');
  assert.equal(podSummary(pod({ phase: 'Running', containerStatuses: statuses }, { spec })).ready, '1/2');
});

test('init containers show Init:N/M, Init:Error, and a deleted pod shows Terminating', () => {
  const spec = { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'main' }] };
  const running = pod({ phase: 'Pending', initContainerStatuses: [
    { name: 'i1', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } },
    { name: 'i2', image: '', imageID: '', ready: false, restartCount: 0, state: { running: {} } },
  ] }, { spec });
  assert.equal(podSummary(running).status, 'Init:1/2');
  const failed = pod({ phase: 'Failed', initContainerStatuses: [{ name: 'i1', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, { spec });
  assert.equal(podSummary(failed).status, 'Init:Error');
  const deleting = pod({ phase: 'Running' });
  deleting.metadata!.deletionTimestamp = ago(1000);
  assert.equal(podSummary(deleting).status, 'Terminating');
});

function job(spec: Partial<NonNullable<Job['spec']>>, status: Job['status']): Job {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'train', namespace: 'default', creationTimestamp: ago(60_000) }, spec: { template: {}, ...spec }, status };
}

test('job STATUS follows kubectl precedence', () => {
  assert.equal(jobStatus(job({}, {})), 'Running');
  assert.equal(jobStatus(job({}, { conditions: [{ type: 'Complete', status: 'True' }] })), 'Complete');
  assert.equal(jobStatus(job({}, { conditions: [{ type: 'Failed', status: 'True' }] })), 'Failed');
  assert.equal(jobStatus(job({}, { conditions: [{ type: 'Suspended', status: 'True' }] })), 'Suspended');
  assert.equal(jobStatus(job({}, { conditions: [{ type: 'Complete', status: 'False' }] })), 'Running');
});

test('job COMPLETIONS and DURATION', () => {
  assert.equal(jobCompletions(job({}, { succeeded: 1 })), '1/1');
  assert.equal(jobCompletions(job({ completions: 5 }, { succeeded: 2 })), '2/5');
  assert.equal(jobCompletions(job({ parallelism: 3 }, {})), '0/1 of 3');
  assert.equal(jobDuration(job({}, {}), NOW), '');
  assert.equal(jobDuration(job({}, { startTime: ago(30_000) }), NOW), '30s');
  assert.equal(jobDuration(job({}, { startTime: ago(30_000), completionTime: ago(25_000) }), NOW), '5s');
});

test('a jobs table looks like kubectl get jobs', () => {
  const a = job({}, { succeeded: 1, startTime: ago(50_000), completionTime: ago(45_000), conditions: [{ type: 'Complete', status: 'True' }] });
  const b = { ...job({ completions: 3 }, { succeeded: 1, startTime: ago(8000) }), metadata: { name: 'eval', namespace: 'default', creationTimestamp: ago(8000) } };
  assert.equal(
    renderTable('Job', [a, b] as KubeObject[], { now: NOW }),
    'NAME    STATUS     COMPLETIONS   DURATION   AGE\n' +
      'eval    Running    1/3           8s         8s\n' +
      'train   Complete   1/1           5s         60s\n',
  );
});

test('-o wide adds columns, -A a NAMESPACE column, --show-labels a LABELS column, and several kinds prefix names', () => {
  const p = pod({ phase: 'Running', podIP: '10.0.0.5' }, { spec: { nodeName: 'local', containers: [{ name: 'main' }] } });
  p.metadata!.labels = { 'job-name': 'train', app: 'x' };
  const out = renderTable('Pod', [p] as KubeObject[], { now: NOW, wide: true, withNamespace: true, showLabels: true, withKind: true }, lookupKind('pods'));
  assert.equal(
    out,
    'NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE   IP         NODE    LABELS\n' +
      'default     pod/p   0/1     Running   0          10s   10.0.0.5   local   app=x,job-name=train\n',
  );
  assert.equal(renderTable('Pod', [p] as KubeObject[], { now: NOW, noHeaders: true }), 'p     0/1   Running   0     10s\n');
});

test('config maps, secrets and namespaces count their data and show their status', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hp', creationTimestamp: ago(3000) }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } };
  assert.equal(renderTable('ConfigMap', [cm], { now: NOW }), 'NAME   DATA   AGE\nhp     3      3s\n');
  const sec = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', creationTimestamp: ago(3000) }, data: { a: 'eA==' }, stringData: { b: 'y' } };
  assert.equal(renderTable('Secret', [sec], { now: NOW }), 'NAME   TYPE     DATA   AGE\ns      Opaque   2      3s\n');
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', creationTimestamp: ago(2 * 86_400_000) }, status: { phase: 'Active' } };
  assert.equal(renderTable('Namespace', [ns], { now: NOW }), 'NAME      STATUS   AGE\ndefault   Active   2d\n');
});

test('a bound PVC shows capacity and short access modes; a pending one leaves them empty', () => {
  const bound = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', creationTimestamp: ago(5000) },
    spec: { volumeName: 'pv-data', storageClassName: 'local' }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] } };
  const pending = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'wait', creationTimestamp: ago(5000) }, spec: { resources: { requests: { storage: '2Gi' } } }, status: { phase: 'Pending' } };
  const local = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'dir', creationTimestamp: ago(5000) },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } }, status: { phase: 'Bound' } };
  assert.equal(
    renderTable('PersistentVolumeClaim', [local], { now: NOW }),
    'NAME   STATUS   VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   AGE\ndir    Bound             2Gi        RWO                           5s\n',
    'a claim bound to a directory shows what it asked for',
  );
  assert.equal(
    renderTable('PersistentVolumeClaim', [bound, pending], { now: NOW }),
    'NAME   STATUS    VOLUME    CAPACITY   ACCESS MODES   STORAGECLASS   AGE\n' +
      'data   Bound     pv-data   1Gi        RWO,ROX        local          5s\n' +
      'wait   Pending                                                      5s\n',
  );
});

test('nodes show readiness, roles and version', () => {
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'local', creationTimestamp: ago(3_600_000), labels: { 'node-role.kubernetes.io/worker': '', role: 'train' } },
    status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'drover-0.1.0' } } };
  assert.equal(nodeStatus(node as never), 'Ready');
  assert.equal(nodeRoles(node as never), 'worker');
  assert.equal(renderTable('Node', [node], { now: NOW }), 'NAME    STATUS   ROLES    AGE   VERSION\nlocal   Ready    worker   60m   drover-0.1.0\n');
  assert.equal(nodeStatus({ spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }] } } as never), 'NotReady,SchedulingDisabled');
});

test('events are ordered by last seen and show repeats', () => {
  const ev = (name: string, last: number, count: number, first = last) => ({
    apiVersion: 'v1', kind: 'Event', metadata: { name, creationTimestamp: ago(first) }, type: 'Normal', reason: 'Created',
    involvedObject: { kind: 'Pod', name: 'train-x' }, message: ` made ${name} `, count, firstTimestamp: ago(first), lastTimestamp: ago(last),
  });
  assert.equal(eventLastSeen(ev('a', 5000, 3, 120_000), NOW), '5s (x3 over 2m)');
  assert.equal(
    renderTable('Event', [ev('new', 1000, 1), ev('old', 9000, 1)], { now: NOW }),
    'LAST SEEN   TYPE     REASON    OBJECT        MESSAGE\n' +
      '9s          Normal   Created   pod/train-x   made old\n' +
      '1s          Normal   Created   pod/train-x   made new\n',
  );
});

test('unknown kinds print NAME AGE until someone registers columns for them', () => {
  const thing = { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'w', creationTimestamp: ago(4000) } };
  assert.equal(renderTable('Gadget', [thing], { now: NOW }), 'NAME   AGE\nw      4s\n');
  assert.equal(objectName(thing), 'gadget.example.com/w');
  const printer: KindPrinter = { columns: [{ header: 'NAME', cell: (o) => o.metadata.name ?? '' }, { header: 'STATUS', cell: () => 'Running' }] };
  assert.equal(renderTable('Gadget', [thing], { now: NOW, printer }), 'NAME   STATUS\nw      Running\n');
});

test('-o name, json and yaml', async () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hp' } };
  assert.equal(objectName(cm), 'configmap/hp');
  assert.equal(objectName({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'train' } }), 'job.batch/train');
  assert.deepEqual(JSON.parse(toJson(asList([cm]))), { apiVersion: 'v1', kind: 'List', items: [cm], metadata: { resourceVersion: '' } });
  assert.match(toJson(cm), /^\{\n {4}"apiVersion": "v1",/);
  assert.equal(await toYaml(cm), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hp\n');
  assert.equal(parseOutputFormat(undefined), 'table');
  assert.equal(parseOutputFormat('wide'), 'wide');
  assert.equal(parseOutputFormat('custom-columns=X'), undefined);
});

test('labels and selectors are written as kubectl writes them', () => {
  assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
  assert.equal(formatLabels(undefined), '<none>');
  assert.equal(formatLabelSelector({ matchLabels: { 'job-name': 'train' }, matchExpressions: [{ key: 'x', operator: 'In', values: ['b', 'a'] }, { key: 'y', operator: 'Exists' }] }), 'job-name=train,x in (a,b),y');
  assert.equal(formatLabelSelector(undefined), '<none>');
});
