/**
 * Crash safety of experiments: `kill -9` of the server twice while trials run, then a restart
 * on the same DROVER_HOME. The experiment ends with exactly maxTrialCount trials, no assignment
 * twice, and every value each trial printed stored once: a trial appends its name to a file on a
 * claim (runs counted there) and prints its metric at every step.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Drover, sleep } from './drover.js';

let d: Drover | undefined;
after(async () => {
  await d?.stop();
});

const CLAIM = 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: runs }\nspec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }';
const STEPS = 6;

const EXPERIMENT = `
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: { name: crashy }
spec:
  objective: { type: minimize, objectiveMetricName: loss }
  algorithm: { algorithmName: random, algorithmSettings: [{ name: random_state, value: "11" }] }
  parallelTrialCount: 3
  maxTrialCount: 9
  parameters:
  - { name: x, parameterType: double, feasibleSpace: { min: "0", max: "1" } }
  trialTemplate:
    primaryContainerName: main
    trialParameters: [{ name: x, reference: x }, { name: trial, reference: "\${trialSpec.Name}" }]
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        backoffLimit: 0
        template:
          spec:
            restartPolicy: Never
            volumes: [{ name: runs, persistentVolumeClaim: { claimName: runs } }]
            containers:
            - name: main
              image: busybox
              command: [sh, -c, 'echo "\${trialParameters.trial}" >> /runs/log; for i in $(seq 1 ${STEPS}); do echo "step=$i loss=\${trialParameters.x}"; sleep 0.25; done']
              volumeMounts: [{ name: runs, mountPath: /runs }]
`;

interface Trial {
  metadata: { name: string; uid: string };
  spec: { parameterAssignments: { name: string; value: string }[] };
  status?: { conditions?: { type: string; status: string }[]; observation?: { metrics?: { name: string; latest: string }[] } };
}

test('kill -9 during an experiment: no trial twice, no value lost or doubled', async () => {
  d = await Drover.start({ cpus: '4', memory: '8Gi' });
  await d.ok(['apply', '-f', '-'], CLAIM);
  await d.ok(['apply', '-f', '-'], EXPERIMENT);
  // Once mid-way through the first batch, once later with trials in every state.
  for (const at of [700, 1900]) {
    await sleep(at);
    await d.kill9();
    await sleep(600);
    await d.up();
  }
  const r = await d.cli(['wait', 'experiment/crashy', '--for=condition=Succeeded', '--timeout=120s']);
  assert.equal(r.code, 0, `${r.stderr}\n${d.logs.slice(-3000)}`);
  const trials = (await d.json<{ items: Trial[] }>(['get', 'trials', '-l', 'katib.kubeflow.org/experiment=crashy'])).items;
  assert.equal(trials.length, 9);
  assert.equal(new Set(trials.map((t) => t.spec.parameterAssignments[0]!.value)).size, 9, 'an assignment was suggested twice');
  // Every trial's Job ran once.
  const runs = readFileSync(join(d.home, 'claims', 'default', 'runs', 'log'), 'utf8').trim().split('\n').sort();
  assert.deepEqual(runs, trials.map((t) => t.metadata.name).sort());
  for (const t of trials) {
    assert.ok(t.status?.conditions?.some((c) => c.type === 'Succeeded' && c.status === 'True'), `${t.metadata.name}: ${JSON.stringify(t.status)}`);
    const log = (await (await d.api(`/apis/kubeflow.org/v1beta1/namespaces/default/trials/${t.metadata.name}/metrics`)).json()) as { metrics: { name: string; value: string }[] };
    assert.equal(log.metrics.filter((m) => m.name === 'loss').length, STEPS, `${t.metadata.name}: ${JSON.stringify(log.metrics)}`);
    assert.equal(t.status?.observation?.metrics?.find((m) => m.name === 'loss')?.latest, t.spec.parameterAssignments[0]!.value);
  }
});
