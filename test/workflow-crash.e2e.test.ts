/**
 * Crash safety of workflows: `kill -9` of the server in the middle of a workflow, then a restart
 * on the same DROVER_HOME. The workflow resumes where it was, and every step runs exactly once:
 * each step appends its name to a file on a claim, and the file is read at the end.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Drover, sleep } from './drover.js';

let d: Drover | undefined;
after(async () => {
  await d?.stop();
});

const CLAIM = 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: runs }\nspec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }';

// A chain of steps, then a fan-out of four in parallel, then one after all: every kind of hand-off.
const WORKFLOW = `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: crashy }
spec:
  entrypoint: main
  volumes: [{ name: runs, persistentVolumeClaim: { claimName: runs } }]
  templates:
  - name: main
    steps:
    - - { name: one, template: log, arguments: { parameters: [{ name: id, value: one }] } }
    - - { name: two, template: log, arguments: { parameters: [{ name: id, value: two }] } }
    - - { name: three, template: log, arguments: { parameters: [{ name: id, value: three }] } }
    - - { name: fan, template: log, arguments: { parameters: [{ name: id, value: "fan-{{item}}" }] }, withItems: [a, b, c, d] }
    - - { name: last, template: log, arguments: { parameters: [{ name: id, value: last }] } }
  - name: log
    inputs: { parameters: [{ name: id }] }
    container:
      image: busybox
      command: [sh, -c, 'echo {{inputs.parameters.id}} >> /runs/log; sleep 0.7; echo done {{inputs.parameters.id}}']
      volumeMounts: [{ name: runs, mountPath: /runs }]
`;

interface Wf {
  status?: { phase?: string; nodes?: Record<string, { displayName: string; type: string; phase: string }> };
}

async function waitPhase(drover: Drover, name: string, timeoutMs: number): Promise<Wf> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const wf = await drover.json<Wf>(['get', 'workflow', name]);
    const p = wf.status?.phase;
    if (p === 'Succeeded' || p === 'Failed' || p === 'Error') return wf;
    if (Date.now() > end) throw new Error(`workflow ${name} still ${p} after ${timeoutMs} ms:\n${JSON.stringify(wf.status, null, 1)}`);
    await sleep(100);
  }
}

function runLog(home: string): string[] {
  const f = join(home, 'claims', 'default', 'runs', 'log');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
}

for (const crashAfter of [2, 5]) {
  test(`kill -9 after ${crashAfter} steps started: the workflow resumes and every step runs exactly once`, async () => {
    d = await Drover.start();
    await d.ok(['apply', '-f', '-'], CLAIM);
    await d.ok(['create', '-f', '-'], WORKFLOW);
    const deadline = Date.now() + 30_000;
    while (runLog(d.home).length < crashAfter) {
      if (Date.now() > deadline) throw new Error(`steps did not start: ${runLog(d.home).join(',')}\n${d.logs.slice(-3000)}`);
      await sleep(25);
    }
    await d.kill9();
    // Steps running now finish while the server is down; the restart must record them, not rerun them.
    await sleep(1500);
    await d.up();
    const wf = await waitPhase(d, 'crashy', 60_000);
    assert.equal(wf.status?.phase, 'Succeeded');
    const lines = runLog(d.home);
    const want = ['one', 'two', 'three', 'fan-a', 'fan-b', 'fan-c', 'fan-d', 'last'];
    assert.deepEqual([...lines].sort(), [...want].sort(), `each step once, got ${lines.join(',')}`);
    // Order: the chain, then the fan-out in any order, then last.
    assert.deepEqual(lines.slice(0, 3), ['one', 'two', 'three']);
    assert.equal(lines[7], 'last');
    const pods = Object.values(wf.status?.nodes ?? {}).filter((n) => n.type === 'Pod');
    assert.equal(pods.length, 8);
    assert.ok(pods.every((n) => n.phase === 'Succeeded'));
    await d.stop();
    d = undefined;
  });
}
