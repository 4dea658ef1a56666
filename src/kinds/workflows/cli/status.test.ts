import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../api/types.js';
import { printerFor, renderTable } from '../../../cli/printers.js';
import { asWorkflow, execSpec, parameterString, workflowStatus } from './status.js';
import { fit, LiveRegion } from '../../../cli/workflows/output.js';

const NOW = Date.parse('2024-01-01T01:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

function wf(name: string, status: Record<string, unknown>, spec: Record<string, unknown> = {}, created = 60): KubeObject {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name, namespace: 'default', creationTimestamp: ago(created) }, spec: { entrypoint: 'main', ...spec }, status };
}

test('get workflows: argo list\'s columns, running ones first (newest first), then the latest finished', () => {
  const rows = [
    wf('old-done', { phase: 'Succeeded', startedAt: ago(600), finishedAt: ago(590) }, {}, 600),
    wf('failed', { phase: 'Failed', startedAt: ago(300), finishedAt: ago(200), message: 'child "train" failed' }, { priority: 5 }, 300),
    wf('running-old', { phase: 'Running', startedAt: ago(100) }, {}, 100),
    wf('running-new', { phase: 'Running', startedAt: ago(5), nodes: { s: { id: 's', name: 's', type: 'Suspend', phase: 'Running' } } }, {}, 5),
    wf('pending', {}, {}, 1),
  ];
  assert.equal(
    // kubectl pads an empty last cell too; compare without trailing spaces.
    renderTable('Workflow', rows, { now: NOW }).replace(/ +\n/g, '\n'),
    [
      'NAME          STATUS                AGE    DURATION   PRIORITY   MESSAGE',
      'pending       Pending               1s                0',
      'running-new   Running (Suspended)   5s     5s         0',
      'running-old   Running               100s   100s       0',
      'failed        Failed                5m     100s       5          child "train" failed',
      'old-done      Succeeded             10m    10s        0',
      '',
    ].join('\n'),
  );
});

test('get workflows -o wide adds pods pending/running/completed and the parameters', () => {
  const w = wf('w', {
    phase: 'Running', startedAt: ago(10),
    nodes: {
      a: { id: 'a', name: 'a', type: 'Pod', phase: 'Succeeded' },
      b: { id: 'b', name: 'b', type: 'Pod', phase: 'Running' },
      c: { id: 'c', name: 'c', type: 'Pod', phase: 'Pending' },
      d: { id: 'd', name: 'd', type: 'Steps', phase: 'Running' },
    },
  }, { arguments: { parameters: [{ name: 'lr', value: '0.1' }, { name: 'unset' }] } });
  const table = renderTable('Workflow', [w], { now: NOW, wide: true }).split('\n');
  assert.match(table[0]!, /MESSAGE\s+P\/R\/C\s+PARAMETERS$/);
  assert.match(table[1]!, /\s1\/1\/1\s+lr=0\.1$/);
  assert.equal(parameterString([{ name: 'long', value: 'x'.repeat(30) + 'y'.repeat(30) }]), `long=${'x'.repeat(30)}yy...${'y'.repeat(15)}`);
});

test('a workflow named on the command line is shown as argo get\'s tree, not as a row', () => {
  const detail = printerFor('Workflow').detail;
  assert.ok(detail);
  const text = detail(wf('hello', { phase: 'Succeeded', nodes: { hello: { id: 'hello', name: 'hello', displayName: 'hello', type: 'Pod', templateName: 'main', phase: 'Succeeded' } } }), { now: NOW, wide: false, color: false });
  assert.match(text, /^Name: {16}hello$/m);
  assert.match(text, /^STEP\s+TEMPLATE\s+PODNAME\s+DURATION\s+MESSAGE$/m);
  assert.match(text, /^ ✔ hello\s+main\s+hello\s+0s$/m, 'the root pod of a single-template workflow is named after the workflow');
  assert.equal(printerFor('Job').detail, undefined);
});

test('stopped and terminated workflows say so; a template-based one runs with the template\'s spec and its own arguments', () => {
  assert.equal(workflowStatus(asWorkflow(wf('t', { phase: 'Failed' }, { shutdown: 'Terminate' }))), 'Failed (Terminated)');
  assert.equal(workflowStatus(asWorkflow(wf('s', { phase: 'Failed' }, { shutdown: 'Stop' }))), 'Failed (Stopped)');
  assert.equal(workflowStatus(asWorkflow({ ...wf('u', {}), metadata: { name: 'u' } })), 'Unknown');
  const fromTemplate = asWorkflow(wf('x', {
    phase: 'Running',
    storedWorkflowTemplateSpec: { entrypoint: 'train', serviceAccountName: 'trainer', arguments: { parameters: [{ name: 'lr', value: '0.01' }, { name: 'epochs', value: '3' }] } },
  }, { entrypoint: undefined, workflowTemplateRef: { name: 't' }, arguments: { parameters: [{ name: 'lr', value: '0.5' }] } }));
  const spec = execSpec(fromTemplate)!;
  assert.equal(spec.serviceAccountName, 'trainer');
  assert.deepEqual(spec.arguments?.parameters, [{ name: 'lr', value: '0.5' }, { name: 'epochs', value: '3' }]);
});

test('get cronworkflows: last and next run, schedules, timezone, suspended', () => {
  const cron: KubeObject = {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', metadata: { name: 'nightly', creationTimestamp: ago(7200) },
    spec: { schedules: ['0 2 * * *', '30 1 * * *'], timezone: 'UTC', suspend: false, workflowSpec: {} }, status: { lastScheduledTime: ago(3600) },
  };
  const never: KubeObject = { apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', metadata: { name: 'bad', creationTimestamp: ago(60) }, spec: { schedules: ['not a cron'], suspend: true } };
  assert.equal(
    renderTable('CronWorkflow', [cron, never], { now: NOW }),
    [
      'NAME      AGE    LAST RUN   NEXT RUN   SCHEDULES              TIMEZONE   SUSPENDED',
      'bad       60s    N/A        N/A        not a cron                        true',
      'nightly   120m   60m        30m        0 2 * * *,30 1 * * *   UTC        false',
      '',
    ].join('\n'),
  );
});

test('the live view redraws over its last drawing and cuts lines to the terminal width', () => {
  const out: string[] = [];
  const region = new LiveRegion({ write: (t) => out.push(String(t)), isTTY: true, columns: 10 });
  region.draw('one\ntwo\n');
  region.draw('a very long line\n');
  assert.deepEqual(out, ['\r\x1b[Jone\ntwo\n', '\x1b[2A\r\x1b[Ja very lo\n']);
  const short: string[] = [];
  const small = new LiveRegion({ write: (t) => short.push(String(t)), isTTY: true, columns: 80, rows: 3 });
  small.draw('1\n2\n3\n4\n');
  assert.equal(short[0], '\x1b[H\x1b[2J1\n2\n3\n4\n', 'taller than the screen: redrawn from the top');
  assert.equal(fit('\x1b[32m✔\x1b[0m done', 3), '\x1b[32m✔\x1b[0m d', 'escapes do not count as width');
});
