import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Pod } from '../api/types.js';
import { describe } from './describe.js';
import { formatResource, podResources, qosClass } from '../api/index.js';
import { smartLabel } from '../print/describe.js';

const NOW = Date.parse('2024-01-01T01:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

const event = (reason: string, message: string, msAgo: number, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Event', metadata: { name: `e-${reason}` }, type: 'Normal', reason, message,
  firstTimestamp: ago(msAgo), lastTimestamp: ago(msAgo), count: 1, source: { component: 'job-controller' }, ...extra,
});

test('a job describes its counts, conditions, pod template and events', () => {
  const job: KubeObject = {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: 'train', namespace: 'default', labels: { 'job-name': 'train', app: 'ml' }, creationTimestamp: ago(60_000) },
    spec: {
      parallelism: 1, completions: 1, backoffLimit: 2, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
      template: {
        metadata: { labels: { 'job-name': 'train' } },
        spec: {
          containers: [{
            name: 'main', image: 'python:3.12', command: ['sh', '-c', 'echo hi'],
            resources: { limits: { memory: '1Gi', cpu: '1' }, requests: { cpu: '500m' } },
            env: [{ name: 'LR', value: '0.1' }, { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } }],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          }],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
        },
      },
    },
    status: {
      startTime: '2024-01-01T00:59:00Z', completionTime: '2024-01-01T00:59:05Z', succeeded: 1, ready: 0,
      conditions: [{ type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' }],
    },
  };
  const out = describe(job, { events: [event('Completed', 'Job completed', 55_000), event('SuccessfulCreate', 'Created pod: train-abcde', 60_000)], now: NOW, tzOffsetMinutes: 0 });
  const expected = [
    'Name:             train',
    'Namespace:        default',
    'Selector:         batch.kubernetes.io/controller-uid=u1',
    'Labels:           app=ml',
    '                  job-name=train',
    'Annotations:      <none>',
    'Parallelism:      1',
    'Completions:      1',
    'Completion Mode:  NonIndexed',
    'Suspend:          false',
    'Backoff Limit:    2',
    'Start Time:       Mon, 01 Jan 2024 00:59:00 +0000',
    'Completed At:     Mon, 01 Jan 2024 00:59:05 +0000',
    'Duration:         5s',
    'Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed',
    'Conditions:',
    '  Type      Status  Reason              Message',
    '  ----      ------  ------              -------',
    '  Complete  True    CompletionsReached  Reached expected number of succeeded pods',
    'Pod Template:',
    '  Labels:  job-name=train',
    '  Containers:',
    '   main:',
    '    Image:      python:3.12',
    '    Port:       <none>',
    '    Host Port:  <none>',
    '    Command:',
    '      sh',
    '      -c',
    '      echo hi',
    '    Limits:',
    '      cpu:     1',
    '      memory:  1Gi',
    '    Requests:',
    '      cpu:  500m',
    '    Environment:',
    "      LR:     0.1",
    "      TOKEN:  <set to the key 'token' in secret 'creds'>  Optional: false",
    '    Mounts:',
    '      /data from data (rw)',
    '  Volumes:',
    '   data:',
    // Aligned with the lines after it, as Go's tabwriter (and so kubectl) does.
    '    Type:          PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)',
    '    ClaimName:     data',
    '    ReadOnly:      false',
    '  Node-Selectors:  <none>',
    '  Tolerations:     <none>',
    'Events:',
    '  Type    Reason            Age   From            Message',
    '  ----    ------            ----  ----            -------',
    '  Normal  SuccessfulCreate  60s   job-controller  Created pod: train-abcde',
    '  Normal  Completed         55s   job-controller  Job completed',
    '',
  ].join('\n');
  assert.equal(out, expected);
});

test('a pod describes each container state, last state, exit code and restart count', () => {
  const pod: KubeObject = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'train-abcde', namespace: 'default', labels: { 'job-name': 'train' }, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'train', uid: 'u1', controller: true }] },
    spec: { nodeName: 'local', containers: [{ name: 'main', image: 'python', resources: { limits: { memory: '64Mi' } } }] },
    status: {
      phase: 'Failed', podIP: '10.0.0.2', startTime: '2024-01-01T00:58:00Z',
      containerStatuses: [{
        name: 'main', image: 'python', imageID: '', ready: false, restartCount: 1,
        state: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2024-01-01T00:59:00Z', finishedAt: '2024-01-01T00:59:10Z' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2024-01-01T00:58:00Z', finishedAt: '2024-01-01T00:58:30Z' } },
      }],
      conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False' }],
    },
  };
  const out = describe(pod, { events: [], now: NOW, tzOffsetMinutes: 0 });
  assert.match(out, /^Name:\s+train-abcde\n/);
  assert.match(out, /\nNode:\s+local\n/);
  assert.match(out, /\nStatus:\s+Failed\n/);
  assert.match(out, /\nControlled By:\s+Job\/train\n/);
  assert.ok(out.includes(
    [
      '    State:          Terminated',
      '      Reason:       OOMKilled',
      '      Exit Code:    137',
      '      Started:      Mon, 01 Jan 2024 00:59:00 +0000',
      '      Finished:     Mon, 01 Jan 2024 00:59:10 +0000',
      '    Last State:     Terminated',
      '      Reason:       Error',
      '      Exit Code:    1',
      '      Started:      Mon, 01 Jan 2024 00:58:00 +0000',
      '      Finished:     Mon, 01 Jan 2024 00:58:30 +0000',
      '    Ready:          False',
      '    Restart Count:  1',
      '    Limits:',
      '      memory:     64Mi',
      '    Environment:  <none>',
      '    Mounts:       <none>',
    ].join('\n'),
  ), out);
  // The trailing blanks are kubectl's: the cells are written as "%v \t%v \n".
  assert.ok(out.includes('Conditions:\n  Type           Status\n  PodScheduled   True \n  Ready          False \n'), out);
  assert.match(out, /\nQoS Class:\s+Burstable\n/);
  assert.match(out, /\nEvents:\s+<none>\n$/);
  assert.ok(!out.includes('Container ID'), 'empty runtime ids are left out');
});

test('config maps show their data; secrets only sizes', () => {
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hp', namespace: 'default' }, data: { 'lr': '0.1' } };
  assert.equal(
    describe(cm, { events: [], now: NOW }),
    'Name:         hp\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\nData\n====\nlr:\n----\n0.1\n\nBinaryData\n====\n\nEvents:  <none>\n',
  );
  const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data: { token: Buffer.from('secret!').toString('base64') } };
  const out = describe(secret, { events: [], now: NOW });
  assert.match(out, /token:\s+7 bytes/);
  assert.ok(!out.includes('secret!'));
});

test('repeated events show their count; unknown kinds get the generic describer', () => {
  const wf: KubeObject = { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'w', namespace: 'default' }, spec: { entrypoint: 'main', activeDeadlineSeconds: 30 } };
  const ev = event('BackOff', 'Back-off restarting failed container', 5000, { count: 4, firstTimestamp: ago(120_000) });
  const out = describe(wf, { events: [ev], now: NOW });
  assert.match(out, /\nKind:\s+Gadget\n/);
  assert.match(out, /\nSpec:\n  Entrypoint:\s+main\n  Active Deadline Seconds:\s+30\n/);
  assert.match(out, /BackOff\s+5s \(x4 over 2m\)\s+job-controller/);
});

test('smartLabel splits camelCase like kubectl', () => {
  assert.equal(smartLabel('activeDeadlineSeconds'), 'Active Deadline Seconds');
  assert.equal(smartLabel('podIP'), 'Pod IP');
  assert.equal(smartLabel('apiVersion'), 'Api Version');
});

test('effective requests: limits stand for missing requests, init containers count by max', () => {
  const pod: Pod = {
    spec: {
      initContainers: [{ name: 'i', resources: { requests: { cpu: '2' } } }],
      containers: [{ name: 'a', resources: { requests: { cpu: '500m' }, limits: { memory: '1Gi', 'nvidia.com/gpu': '1' } } }, { name: 'b', resources: { requests: { cpu: '250m', memory: '512Mi' } } }],
    },
  };
  const r = podResources(pod);
  assert.equal(r.requests['cpu'], 2);
  assert.equal(r.requests['memory'], 1.5 * 2 ** 30);
  assert.equal(r.requests['nvidia.com/gpu'], 1);
  assert.equal(formatResource('cpu', 0.75), '750m');
  assert.equal(formatResource('cpu', 2), '2');
  assert.equal(formatResource('memory', 1.5 * 2 ** 30), '1536Mi');
  assert.equal(qosClass(pod), 'Burstable');
  assert.equal(qosClass({ spec: { containers: [{ name: 'x' }] } }), 'BestEffort');
  assert.equal(qosClass({ spec: { containers: [{ name: 'x', resources: { limits: { cpu: '1', memory: '1Gi' } } }] } }), 'Guaranteed');
});
