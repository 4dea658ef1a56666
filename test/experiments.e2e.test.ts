/**
 * Katib Experiments end to end: a real server, the example trainer as each trial's batch/v1 Job,
 * metrics read from its output (and from a file, and pushed), every algorithm to its end, the
 * goal, median stopping, failed trials and the CLI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Drover, EXAMPLES } from './drover.js';

interface Metric { name: string; min: string; max: string; latest: string }
interface Condition { type: string; status: string; reason?: string; message?: string }
interface Trial {
  metadata: { name: string; labels?: Record<string, string>; creationTimestamp?: string };
  spec: { parameterAssignments: { name: string; value: string }[] };
  status?: { conditions?: Condition[]; observation?: { metrics?: Metric[] } };
}
interface Experiment {
  metadata: { name: string };
  status?: {
    conditions?: Condition[];
    currentOptimalTrial?: { bestTrialName?: string; parameterAssignments?: { name: string; value: string }[]; observation?: { metrics?: Metric[] } };
    trials?: number;
    trialsSucceeded?: number;
    trialsFailed?: number;
    trialsKilled?: number;
    trialsEarlyStopped?: number;
    trialsRunning?: number;
    trialsPending?: number;
  };
}

let d: Drover;
const dir = mkdtempSync(join(tmpdir(), 'drover-exp-'));
// Trials start in the manifest's directory as uid 65534: it must be readable (mkdtemp makes 0700).
chmodSync(dir, 0o755);

before(async () => {
  d = await Drover.start({ cpus: '4', memory: '8Gi' });
});
after(async () => {
  await d?.stop();
});

const trueCondition = (conditions: Condition[] | undefined) =>
  conditions?.filter((c) => c.status === 'True' && ['Succeeded', 'Failed', 'Killed', 'EarlyStopped', 'MetricsUnavailable', 'Running'].includes(c.type)).map((c) => c.type);

async function waitExperiment(name: string, timeout = '180s'): Promise<Experiment> {
  const r = await d.cli(['wait', `experiment/${name}`, '--for=condition=Succeeded', `--timeout=${timeout}`]);
  const exp = await d.json<Experiment>(['get', 'experiment', name]);
  if (r.code !== 0 && !exp.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')) {
    assert.fail(`experiment ${name} did not finish: ${r.stderr}\n${JSON.stringify(exp.status, null, 1)}\n${d.logs.slice(-3000)}`);
  }
  return exp;
}

async function trialsOf(name: string): Promise<Trial[]> {
  const list = await d.json<{ items: Trial[] }>(['get', 'trials', '-l', `katib.kubeflow.org/experiment=${name}`]);
  return list.items;
}

const reason = (exp: Experiment, type = 'Succeeded') => exp.status?.conditions?.find((c) => c.type === type && c.status === 'True')?.reason;
const metric = (t: { observation?: { metrics?: Metric[] } } | undefined, name: string) => t?.observation?.metrics?.find((m) => m.name === name);

function write(name: string, text: string): string {
  const path = join(dir, name);
  // Trials start in the manifest's directory (the source-dir annotation, which the sandbox binds
  // even under /tmp): name the examples folder so `python train.py` finds the trainer.
  const annotation = `    drover.dev/source-dir: ${EXAMPLES}\n`;
  const withDir = text.includes('\n  annotations:\n')
    ? text.replace('\n  annotations:\n', `\n  annotations:\n${annotation}`)
    : text.replace(/\nmetadata:\n  name: (.*)\n/, (_m, name: string) => `\nmetadata:\n  name: ${name}\n  annotations:\n${annotation}`);
  assert.ok(withDir.includes(annotation), `no metadata block in ${name}`);
  writeFileSync(path, withDir);
  return path;
}

test('examples/experiment.yaml: TPE tunes the trainer through a Job template; 12 trials, the best one is the optimal trial', async () => {
  await d.ok(['apply', '-f', join(EXAMPLES, 'experiment.yaml')]);
  const exp = await waitExperiment('tune-trainer');
  assert.equal(reason(exp), 'ExperimentMaxTrialsReached');
  assert.equal(exp.status?.trials, 12);
  assert.equal(exp.status?.trialsSucceeded, 12);
  const trials = await trialsOf('tune-trainer');
  assert.equal(trials.length, 12);
  for (const t of trials) {
    assert.equal(t.metadata.labels?.['katib.kubeflow.org/experiment'], 'tune-trainer');
    assert.equal(t.metadata.labels?.['katib.kubeflow.org/trial'], t.metadata.name);
    assert.deepEqual(trueCondition(t.status?.conditions), ['Succeeded']);
    const acc = metric(t.status, 'accuracy');
    assert.ok(acc && Number(acc.max) >= Number(acc.min) && Number(acc.latest) > 0, JSON.stringify(t.status));
    assert.ok(metric(t.status, 'loss'), 'the additional metric is observed too');
  }
  // Every assignment is distinct: parallel suggestions never repeat a pending point.
  const points = new Set(trials.map((t) => JSON.stringify(t.spec.parameterAssignments)));
  assert.equal(points.size, 12);
  // The optimal trial has the highest accuracy (the first to reach it, on ties).
  const top = Math.max(...trials.map((t) => Number(metric(t.status, 'accuracy')!.max)));
  const best = trials.find((t) => t.metadata.name === exp.status?.currentOptimalTrial?.bestTrialName)!;
  assert.equal(Number(metric(best.status, 'accuracy')!.max), top);
  assert.deepEqual(exp.status?.currentOptimalTrial?.parameterAssignments, best.spec.parameterAssignments);
  assert.deepEqual(exp.status?.currentOptimalTrial?.observation?.metrics, best.status?.observation?.metrics);
  // retain is false: the trials' Jobs are gone once they finish.
  const jobs = await d.json<{ items: unknown[] }>(['get', 'jobs', '-l', 'katib.kubeflow.org/experiment=tune-trainer']);
  assert.equal(jobs.items.length, 0);
  // The trial's log of values is kept: one accuracy per epoch plus the final line.
  const log = (await (await d.api(`/apis/kubeflow.org/v1beta1/namespaces/default/trials/${best.metadata.name}/metrics`)).json()) as { metrics: { name: string; value: string }[] };
  assert.equal(log.metrics.filter((m) => m.name === 'accuracy').length, 6);
  // The CLI: a row per experiment, trials best first, describe names the best trial.
  const table = await d.ok(['get', 'experiments']);
  assert.match(table, /tune-trainer\s+Succeeded\s+accuracy=/);
  const rows = (await d.ok(['get', 'trials', '-l', 'katib.kubeflow.org/experiment=tune-trainer'])).trim().split('\n').slice(1);
  assert.equal(rows.length, 12);
  assert.ok(rows[0]!.includes(`accuracy=${metric(best.status, 'accuracy')!.max}`), rows[0]);
  const described = await d.ok(['describe', 'experiment', 'tune-trainer']);
  assert.ok(described.includes(best.metadata.name));
});

/** A small, fast experiment over the trainer for one algorithm. */
function algorithmExperiment(algorithm: string, settings: Record<string, string>, opts: { max?: number; parallel?: number; grid?: boolean; hyperband?: boolean; goal?: number }): string {
  const settingLines = Object.entries(settings).map(([n, v]) => `      - name: ${n}\n        value: "${v}"`).join('\n');
  const lr = opts.grid
    ? `    - name: lr\n      parameterType: double\n      feasibleSpace: {min: "0.05", max: "0.45", step: "0.2"}`
    : `    - name: lr\n      parameterType: double\n      feasibleSpace: {min: "0.01", max: "1.0"}`;
  const epochs = opts.hyperband
    ? `    - name: epochs\n      parameterType: int\n      feasibleSpace: {min: "1", max: "4"}`
    : `    - name: epochs\n      parameterType: int\n      feasibleSpace: {min: "1", max: "3"}`;
  const model = `    - name: model\n      parameterType: categorical\n      feasibleSpace: {list: [softmax, mlp]}`;
  const params = algorithm === 'cmaes' ? [lr, epochs] : [lr, epochs, model];
  return `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: algo-${algorithm}
spec:
  objective:
    type: maximize
    objectiveMetricName: accuracy
${opts.goal !== undefined ? `    goal: ${opts.goal}\n` : ''}  algorithm:
    algorithmName: ${algorithm}
${settingLines ? `    algorithmSettings:\n${settingLines}\n` : ''}  parallelTrialCount: ${opts.parallel ?? 3}
${opts.max !== undefined ? `  maxTrialCount: ${opts.max}\n` : ''}  parameters:
${params.join('\n')}
  trialTemplate:
    primaryContainerName: main
    trialParameters:
      - name: lr
        reference: lr
      - name: epochs
        reference: epochs
${algorithm === 'cmaes' ? '' : '      - name: model\n        reference: model\n'}    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        backoffLimit: 0
        template:
          spec:
            restartPolicy: Never
            containers:
              - name: main
                image: python:3.11-slim
                command: [python, train.py, "\${trialParameters.epochs}", "${algorithm === 'cmaes' ? 'softmax' : '${trialParameters.model}'}", "\${trialParameters.lr}"]
                env:
                  - {name: MODEL_DIR, value: /tmp/model}
`;
}

const ALGORITHMS: [string, Record<string, string>, Parameters<typeof algorithmExperiment>[2], string][] = [
  ['random', { random_state: '1' }, { max: 6 }, 'ExperimentMaxTrialsReached'],
  ['grid', {}, { grid: true }, 'ExperimentSuggestionEndReached'],
  ['sobol', {}, { max: 6 }, 'ExperimentMaxTrialsReached'],
  ['multivariate-tpe', { random_state: '2', n_startup_trials: '3' }, { max: 6 }, 'ExperimentMaxTrialsReached'],
  ['bayesianoptimization', { random_state: '3', n_initial_points: '3' }, { max: 6 }, 'ExperimentMaxTrialsReached'],
  ['cmaes', { random_state: '4' }, { max: 6 }, 'ExperimentMaxTrialsReached'],
  ['hyperband', { r_l: '4', eta: '2', resource_name: 'epochs', random_state: '5' }, { hyperband: true }, 'ExperimentSuggestionEndReached'],
];

test('every algorithm runs an experiment to its end with the right reason and an optimal trial', async () => {
  for (const [algorithm, settings, opts] of ALGORITHMS) await d.ok(['apply', '-f', write(`algo-${algorithm}.yaml`, algorithmExperiment(algorithm, settings, opts))]);
  for (const [algorithm, , opts, expected] of ALGORITHMS) {
    const exp = await waitExperiment(`algo-${algorithm}`, '300s');
    assert.equal(reason(exp), expected, `${algorithm}: ${JSON.stringify(exp.status?.conditions)}`);
    const trials = await trialsOf(`algo-${algorithm}`);
    if (opts.max !== undefined) assert.equal(trials.length, opts.max, algorithm);
    if (algorithm === 'grid') assert.equal(trials.length, 3 * 3 * 2, 'grid visits every combination once');
    const best = exp.status?.currentOptimalTrial;
    assert.ok(best?.bestTrialName && trials.some((t) => t.metadata.name === best.bestTrialName), algorithm);
    const values = trials.map((t) => Number(metric(t.status, 'accuracy')?.max ?? NaN)).filter(Number.isFinite);
    assert.equal(Number(metric(best, 'accuracy')!.max), Math.max(...values), algorithm);
    assert.equal(new Set(trials.map((t) => JSON.stringify(t.spec.parameterAssignments))).size, trials.length, `${algorithm} repeated a point`);
  }
});

test('a reachable goal ends the experiment early with ExperimentGoalReached', async () => {
  await d.ok(['apply', '-f', write('goal.yaml', algorithmExperiment('random', { random_state: '9' }, { max: 30, parallel: 1, goal: 0.8 }).replace('algo-random', 'goal'))]);
  const exp = await waitExperiment('goal');
  assert.equal(reason(exp), 'ExperimentGoalReached');
  const trials = await trialsOf('goal');
  assert.ok(trials.length < 30, `${trials.length} trials`);
  assert.ok(Number(metric(exp.status?.currentOptimalTrial, 'accuracy')!.max) >= 0.8);
});

test('medianstop stops trials worse than the median at start_step; they end EarlyStopped', async () => {
  await d.ok(['apply', '-f', write('medianstop.yaml', readFileSync(join(EXAMPLES, 'experiment-medianstop.yaml'), 'utf8'))]);
  const exp = await waitExperiment('tune-medianstop', '300s');
  assert.equal(reason(exp), 'ExperimentMaxTrialsReached');
  const trials = await trialsOf('tune-medianstop');
  const stopped = trials.filter((t) => trueCondition(t.status?.conditions)?.includes('EarlyStopped'));
  assert.ok(stopped.length >= 1, `no trial was early stopped: ${JSON.stringify(trials.map((t) => [t.spec.parameterAssignments, t.status?.observation]))}`);
  assert.equal(exp.status?.trialsEarlyStopped, stopped.length);
  for (const t of stopped) {
    const c = t.status!.conditions!.find((x) => x.type === 'EarlyStopped')!;
    assert.equal(c.reason, 'TrialEarlyStopped');
    // Stopped mid-run: fewer than its 8 epochs reported, at least start_step of them.
    const log = (await (await d.api(`/apis/kubeflow.org/v1beta1/namespaces/default/trials/${t.metadata.name}/metrics`)).json()) as { metrics: { name: string; value: string }[] };
    const n = log.metrics.filter((m) => m.name === 'accuracy').length;
    assert.ok(n >= 3 && n < 9, `${t.metadata.name} reported ${n} values`);
    // Its best value is below what the succeeded trials reached.
    const bestSucceeded = Math.max(...trials.filter((x) => trueCondition(x.status?.conditions)?.includes('Succeeded')).map((x) => Number(metric(x.status, 'accuracy')!.max)));
    assert.ok(Number(metric(t.status, 'accuracy')!.max) < bestSucceeded);
  }
});

test('failed trials beyond maxFailedTrialCount fail the experiment; trials still running are killed', async () => {
  const text = algorithmExperiment('random', { random_state: '2' }, { max: 10, parallel: 3 })
    .replace('algo-random', 'failing')
    .replace('maxTrialCount: 10', 'maxTrialCount: 10\n  maxFailedTrialCount: 0')
    .replace(/command: \[.*\]/, 'command: [sh, -c, \'case "$1" in mlp) exit 3;; esac; sleep 30\', sh, "${trialParameters.model}", "${trialParameters.lr}", "${trialParameters.epochs}"]');
  await d.ok(['apply', '-f', write('failing.yaml', text)]);
  const r = await d.cli(['wait', 'experiment/failing', '--for=condition=Failed', '--timeout=120s']);
  assert.equal(r.code, 0, r.stderr);
  const exp = await d.json<Experiment>(['get', 'experiment', 'failing']);
  assert.equal(reason(exp, 'Failed'), 'ExperimentFailed');
  const trials = await trialsOf('failing');
  const phases = trials.map((t) => trueCondition(t.status?.conditions)?.[0]);
  assert.ok(phases.includes('Failed'));
  assert.ok(!phases.includes('Running') && !phases.includes(undefined), JSON.stringify(phases));
  assert.ok(phases.includes('Killed'), `the sleeping trials are stopped: ${JSON.stringify(phases)}`);
  const pods = await d.json<{ items: { status?: { phase?: string } }[] }>(['get', 'pods', '-l', 'katib.kubeflow.org/experiment=failing']);
  assert.ok(pods.items.every((p) => p.status?.phase !== 'Running'));
});

test('File (TEXT and JSON) and Push metrics collectors', async () => {
  const base = algorithmExperiment('random', { random_state: '5' }, { max: 2, parallel: 2 });
  const file = base
    .replace('algo-random', 'file-text')
    .replace('  parameters:', '  metricsCollectorSpec:\n    collector: {kind: File}\n    source:\n      fileSystemPath: {path: /var/log/katib/metrics.log, kind: File}\n  parameters:')
    .replace('- {name: MODEL_DIR, value: /tmp/model}', '- {name: MODEL_DIR, value: /tmp/model}\n                  - {name: METRICS_FILE, value: /var/log/katib/metrics.log}')
    // Nothing on stdout looks like a metric: the values can only come from the file.
    .replace(/command: \[(.*)\]/, 'command: [sh, -c, \'exec "$@" > /dev/null\', sh, $1]');
  const json = file.replace('file-text', 'file-json').replaceAll('/var/log/katib/metrics.log', '/var/log/katib/metrics.json').replace('metrics.json, kind: File}', 'metrics.json, kind: File, format: JSON}');
  const push = base
    .replace('algo-random', 'push')
    .replace('  parameters:', '  metricsCollectorSpec:\n    collector: {kind: Push}\n  parameters:')
    .replace(/command: \[.*\]/, `command: [python, -c, "import json, os, urllib.request as u; u.urlopen(u.Request(os.environ['DROVER_METRICS_URL'], data=json.dumps({'metrics': [{'name': 'accuracy', 'value': 0.5}, {'name': 'accuracy', 'value': \${trialParameters.lr}}]}).encode(), headers={'Content-Type': 'application/json'})); print('accuracy=7')", "\${trialParameters.epochs}", "\${trialParameters.model}"]`);
  for (const [n, t] of [['file-text', file], ['file-json', json], ['push', push]] as const) await d.ok(['apply', '-f', write(`${n}.yaml`, t)]);
  for (const n of ['file-text', 'file-json']) {
    const exp = await waitExperiment(n);
    assert.equal(reason(exp), 'ExperimentMaxTrialsReached', n);
    for (const t of await trialsOf(n)) {
      assert.deepEqual(trueCondition(t.status?.conditions), ['Succeeded'], `${n}: ${JSON.stringify(t.status)}`);
      const acc = metric(t.status, 'accuracy')!;
      assert.ok(Number(acc.latest) > 0.3 && Number(acc.latest) <= 1, `${n}: ${JSON.stringify(acc)}`);
    }
  }
  const exp = await waitExperiment('push');
  assert.equal(reason(exp), 'ExperimentMaxTrialsReached');
  for (const t of await trialsOf('push')) {
    const lr = t.spec.parameterAssignments.find((p) => p.name === 'lr')!.value;
    // Only pushed values count (the printed accuracy=7 is not collected); latest is the second push.
    assert.equal(Number(metric(t.status, 'accuracy')!.latest), Number(lr));
  }
});

test('invalid experiments are refused with the field and line', async () => {
  const bad = algorithmExperiment('hyperband', { eta: '3', resource_name: 'epochs' }, { max: 4 }).replace('algo-hyperband', 'bad');
  const r = await d.cli(['apply', '-f', write('bad.yaml', bad)]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.yaml:\d+:\d+: .*r_l/);
  const got = await d.cli(['get', 'experiment', 'bad']);
  assert.notEqual(got.code, 0, 'nothing was stored');
});

test('warm start: a grid experiment started from a finished one runs only the combinations not yet tried', async () => {
  const first = algorithmExperiment('grid', { random_state: '3' }, { grid: true, max: 6 }).replace('algo-grid', 'grid-first');
  await d.ok(['apply', '-f', write('grid-first.yaml', first)]);
  assert.equal(reason(await waitExperiment('grid-first')), 'ExperimentMaxTrialsReached');
  const second = algorithmExperiment('grid', {}, { grid: true })
    .replace('algo-grid', 'grid-second')
    .replace('metadata:\n  name: grid-second', 'metadata:\n  name: grid-second\n  annotations:\n    drover.dev/warm-start-from: grid-first');
  await d.ok(['apply', '-f', write('grid-second.yaml', second)]);
  const exp = await waitExperiment('grid-second');
  assert.equal(reason(exp), 'ExperimentSuggestionEndReached');
  const seen = new Set((await trialsOf('grid-first')).map((t) => JSON.stringify(t.spec.parameterAssignments)));
  const rest = (await trialsOf('grid-second')).map((t) => JSON.stringify(t.spec.parameterAssignments));
  assert.equal(rest.length, 18 - 6);
  assert.ok(rest.every((p) => !seen.has(p)), 'no combination is tried twice');
});

test('resumePolicy: a LongRunning experiment goes on when maxTrialCount is raised; a Never one stays finished', async () => {
  const base = (name: string, policy: string, max: number) =>
    algorithmExperiment('random', { random_state: '6' }, { max, parallel: 2 }).replace('algo-random', name).replace(`maxTrialCount: ${max}`, `maxTrialCount: ${max}\n  resumePolicy: ${policy}`);
  for (const [n, p] of [['resume-long', 'LongRunning'], ['resume-never', 'Never']] as const) {
    await d.ok(['apply', '-f', write(`${n}.yaml`, base(n, p, 2))]);
    assert.equal(reason(await waitExperiment(n)), 'ExperimentMaxTrialsReached');
    await d.ok(['apply', '-f', write(`${n}.yaml`, base(n, p, 4))]);
  }
  // The LongRunning one restarts and runs two more trials.
  for (let i = 0; i < 200 && (await trialsOf('resume-long')).length < 4; i++) await new Promise((r) => setTimeout(r, 100));
  const long = await waitExperiment('resume-long');
  assert.equal(reason(long), 'ExperimentMaxTrialsReached');
  assert.equal(long.status?.trialsSucceeded, 4);
  const never = await d.json<Experiment>(['get', 'experiment', 'resume-never']);
  assert.equal(never.status?.trials, 2);
  assert.equal(reason(never), 'ExperimentMaxTrialsReached');
});
