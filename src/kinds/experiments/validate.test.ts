import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type FieldIssue, ValidationError } from '../../api/errors.js';
import { parsePath } from '../../api/fieldpath.js';
import { ANNOTATIONS, type KubeObject } from '../../api/types.js';
import { Admission, type AdmissionContext } from '../../server/admission.js';
import { KINDS, loadServerParts, manifestLoader } from '../../registry.js';

const parts = await loadServerParts();
const loader = await manifestLoader(parts);
const loadManifests = (text: string, file?: string) => loader.load(text, file);
const admission = new Admission(KINDS, parts.admission);
const admit = (obj: KubeObject, ctx: AdmissionContext) => admission.admit(obj, ctx);

// Line numbers in the comments on the right are the ones the tests below expect.
const EXPERIMENT = `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: tune
  namespace: ml
spec:
  objective:
    type: maximize
    goal: 0.99
    objectiveMetricName: accuracy
    additionalMetricNames: [loss]
    metricStrategies:
    - name: loss
      value: min
  algorithm:
    algorithmName: random
    algorithmSettings:
    - name: random_state
      value: "7"
  earlyStopping:
    algorithmName: medianstop
    algorithmSettings:
    - name: min_trials_required
      value: "2"
  parallelTrialCount: 2
  maxTrialCount: 6
  maxFailedTrialCount: 2
  resumePolicy: Never
  parameters:
  - name: lr
    parameterType: double
    feasibleSpace:
      min: "0.001"
      max: "0.1"
      distribution: logUniform
  - name: layers
    parameterType: int
    feasibleSpace:
      min: "1"
      max: "4"
  - name: optimizer
    parameterType: categorical
    feasibleSpace:
      list: [sgd, adam]
  metricsCollectorSpec:
    collector:
      kind: StdOut
    source:
      filter:
        metricsFormat:
        - "([\\\\w-]+)=([-+]?\\\\d*\\\\.?\\\\d+)"
  trialTemplate:
    primaryContainerName: training
    successCondition: status.conditions.#(type=="Complete")#|#(status=="True")#
    trialParameters:
    - name: learningRate
      description: learning rate
      reference: lr
    - name: numLayers
      reference: layers
    - name: optimizer
      reference: optimizer
    - name: trialName
      reference: \${trialSpec.Name}
    trialSpec:
      apiVersion: batch/v1
      kind: Job
      spec:
        backoffLimit: 0
        template:
          metadata:
            labels:
              trial: \${trialParameters.trialName}
          spec:
            restartPolicy: Never
            containers:
            - name: training
              image: python:3.12
              command:
              - python3
              - train.py
              - --lr=\${trialParameters.learningRate}
              - --layers=\${trialParameters.numLayers}
              - --optimizer=\${trialParameters.optimizer}
`;

/** The experiment with `from` replaced by `to` (which must occur). */
function variant(from: string, to: string, text = EXPERIMENT): string {
  assert.ok(text.includes(from), `the experiment has no ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

function issuesOf(text: string): FieldIssue[] {
  try {
    loadManifests(text, 'tune.yaml');
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    return err.issues;
  }
  assert.fail('expected loadManifests to throw');
}

/** The one issue of `text`, as [line, path, message]. */
function only(text: string): [number | undefined, string, string] {
  const issues = issuesOf(text);
  assert.equal(issues.length, 1, `expected one issue, got:\n${issues.map((i) => JSON.stringify(i)).join('\n')}`);
  const i = issues[0]!;
  return [i.line, i.path, i.message];
}

test('a full, valid experiment loads without issues or warnings', () => {
  const result = loadManifests(EXPERIMENT, 'tune.yaml');
  assert.deepEqual(result.warnings, []);
  assert.equal(result.manifests.length, 1);
  assert.equal(result.manifests[0]!.object.kind, 'Experiment');
});

test('an unknown algorithm is named, with the accepted ones listed, at its line', () => {
  assert.deepEqual(only(variant('algorithmName: random', 'algorithmName: annealing')), [
    16,
    'spec.algorithm.algorithmName',
    'unknown algorithm "annealing"; accepted: random, grid, sobol, tpe, multivariate-tpe, bayesianoptimization, cmaes, hyperband',
  ]);
});

test('an unknown algorithm setting points at the setting itself', () => {
  assert.deepEqual(only(variant('- name: random_state', '- name: seed')), [
    18,
    'spec.algorithm.algorithmSettings[0].name',
    'unknown setting "seed" for algorithm random; accepted settings: random_state',
  ]);
  assert.deepEqual(only(variant('value: "7"', 'value: "seven"')), [
    19,
    'spec.algorithm.algorithmSettings[0].value',
    'setting random_state must be an integer ≥ 0, got "seven"',
  ]);
});

test('a setting given twice is an error at the second', () => {
  assert.deepEqual(only(variant('      value: "7"\n', '      value: "7"\n    - name: random_state\n      value: "8"\n')), [
    20,
    'spec.algorithm.algorithmSettings[1].name',
    'duplicate setting name "random_state"',
  ]);
});

test('min greater than max is reported at min', () => {
  assert.deepEqual(only(variant('min: "1"\n      max: "4"', 'min: "5"\n      max: "4"')), [
    39,
    'spec.parameters[1].feasibleSpace.min',
    'min (5) must not be greater than max (4)',
  ]);
});

test('a list on an int parameter is refused', () => {
  assert.deepEqual(only(variant('      max: "4"\n', '      max: "4"\n      list: ["1", "2"]\n')), [
    41,
    'spec.parameters[1].feasibleSpace.list',
    'list is not allowed for a parameter of type int; use min and max',
  ]);
});

test('the objective metric must not be listed again in additionalMetricNames', () => {
  assert.deepEqual(only(variant('additionalMetricNames: [loss]', 'additionalMetricNames: [loss, accuracy]')), [
    11,
    'spec.objective.additionalMetricNames[1]',
    '"accuracy" is the objective metric (spec.objective.objectiveMetricName); list only other metrics here',
  ]);
});

test('a metric strategy must name the objective or an additional metric', () => {
  assert.deepEqual(only(variant('- name: loss\n      value: min', '- name: los\n      value: min')), [
    13,
    'spec.objective.metricStrategies[0].name',
    'metric "los" is neither the objective metric nor one of additionalMetricNames (expected one of: accuracy, loss)',
  ]);
});

test('grid refuses a maxTrialCount above the number of combinations', () => {
  let text = variant('algorithmName: random\n    algorithmSettings:\n    - name: random_state\n      value: "7"', 'algorithmName: grid');
  text = variant('min: "0.001"\n      max: "0.1"\n      distribution: logUniform', 'min: "0.01"\n      max: "0.03"\n      step: "0.01"', text);
  text = variant('maxTrialCount: 6', 'maxTrialCount: 30', text);
  // 3 learning rates × 4 layer counts × 2 optimizers.
  assert.deepEqual(only(text), [23, 'spec.maxTrialCount', 'maxTrialCount 30 is greater than the 24 combinations grid can try']);
});

test('hyperband without r_l says the setting is required, at algorithmSettings', () => {
  const text = variant('algorithmName: random\n    algorithmSettings:\n    - name: random_state\n      value: "7"', 'algorithmName: hyperband\n    algorithmSettings:\n    - name: resource_name\n      value: layers');
  assert.deepEqual(only(text), [17, 'spec.algorithm.algorithmSettings', 'setting r_l is required for algorithm hyperband']);
});

test('an unknown early stopping algorithm or setting is refused', () => {
  assert.deepEqual(only(variant('algorithmName: medianstop', 'algorithmName: patience')), [
    21,
    'spec.earlyStopping.algorithmName',
    'unknown early stopping algorithm "patience"; accepted: medianstop',
  ]);
});

test('an unknown field is rejected at its key, with the message used for other kinds', () => {
  assert.deepEqual(only(variant('  resumePolicy: Never\n', '  resumePolicy: Never\n  maxTrials: 3\n')), [29, 'spec.maxTrials', 'unknown field "maxTrials"']);
  assert.deepEqual(only(variant('      max: "0.1"\n', '      max: "0.1"\n      scale: log\n')), [35, 'spec.parameters[0].feasibleSpace.scale', 'unknown field "scale"']);
});

test('wrong types say what was expected; numbers where Katib wants strings ask to be quoted', () => {
  assert.deepEqual(only(variant('min: "0.001"', 'min: 0.001')), [33, 'spec.parameters[0].feasibleSpace.min', 'expected string, got number 0.001 (quote it: "0.001")']);
  assert.deepEqual(only(variant('maxTrialCount: 6', 'maxTrialCount: "6"')), [26, 'spec.maxTrialCount', 'expected integer, got string "6"']);
  assert.deepEqual(only(variant('type: maximize', 'type: max')), [8, 'spec.objective.type', 'expected one of "minimize", "maximize", got string "max"']);
});

test('required fields are reported at the object that lacks them', () => {
  assert.deepEqual(only(variant('    objectiveMetricName: accuracy\n', '')), [8, 'spec.objective.objectiveMetricName', 'required field "objectiveMetricName" is missing']);
});

test('nasConfig and unsupported metrics collectors are rejected by name', () => {
  assert.deepEqual(only(variant('  resumePolicy: Never\n', '  resumePolicy: Never\n  nasConfig:\n    graphConfig:\n      numLayers: 8\n')), [
    29,
    'spec.nasConfig',
    'field spec.nasConfig is not supported by Drover yet (neural architecture search is not implemented; use spec.parameters)',
  ]);
  assert.deepEqual(only(variant('kind: StdOut', 'kind: TensorFlowEvent')), [
    47,
    'spec.metricsCollectorSpec.collector.kind',
    'value "TensorFlowEvent" of field spec.metricsCollectorSpec.collector.kind is not supported by Drover yet (supported: StdOut, File, Push, None)',
  ]);
  assert.deepEqual(only(variant('    source:\n', '    source:\n      httpGet:\n        port: 8080\n')), [
    49,
    'spec.metricsCollectorSpec.source.httpGet',
    'field spec.metricsCollectorSpec.source.httpGet is not supported by Drover yet (metrics are collected from stdout, a file, or pushed)',
  ]);
});

test('a trial kind other than batch/v1 Job or PyTorchJob is rejected, saying what is supported', () => {
  assert.deepEqual(only(variant('apiVersion: batch/v1\n      kind: Job', 'apiVersion: kubeflow.org/v1\n      kind: TFJob')), [
    67,
    'spec.trialTemplate.trialSpec.kind',
    'trials of kind kubeflow.org/v1 TFJob are not supported by Drover yet (supported now: batch/v1 Job, kubeflow.org/v1 PyTorchJob)',
  ]);
});

test('a ${trialParameters.x} placeholder must be declared, and every declared one used', () => {
  assert.deepEqual(only(variant('- --layers=${trialParameters.numLayers}', '- --layers=${trialParameters.numLayers}\n              - --seed=${trialParameters.seed}')), [
    84,
    'spec.trialTemplate.trialSpec.spec.template.spec.containers[0].command[4]',
    '${trialParameters.seed} is not declared in spec.trialTemplate.trialParameters (declared: learningRate, numLayers, optimizer, trialName)',
  ]);
  assert.deepEqual(only(variant('- --optimizer=${trialParameters.optimizer}', '- --optimizer=adam')), [
    61,
    'spec.trialTemplate.trialParameters[2].name',
    'trial parameter "optimizer" is not used: expected ${trialParameters.optimizer} somewhere in spec.trialTemplate.trialSpec',
  ]);
});

test('a trial parameter must refer to a parameter or to trial metadata', () => {
  assert.deepEqual(only(variant('reference: layers', 'reference: depth')), [
    60,
    'spec.trialTemplate.trialParameters[1].reference',
    'reference "depth" is not a parameter in spec.parameters (lr, layers, optimizer) nor trial metadata (${trialSpec.Name}, ${trialSpec.Namespace}, ${trialSpec.Kind}, ${trialSpec.APIVersion}, ${trialSpec.Labels[KEY]}, ${trialSpec.Annotations[KEY]})',
  ]);
  assert.deepEqual(only(variant('reference: ${trialSpec.Name}', 'reference: ${trialSpec.Uid}')), [
    64,
    'spec.trialTemplate.trialParameters[3].reference',
    'unknown trial metadata reference "${trialSpec.Uid}"; expected one of ${trialSpec.Name}, ${trialSpec.Namespace}, ${trialSpec.Kind}, ${trialSpec.APIVersion}, ${trialSpec.Labels[KEY]}, ${trialSpec.Annotations[KEY]}',
  ]);
  // Labels[…] and Annotations[…] take a key.
  assert.doesNotThrow(() => loadManifests(variant('reference: ${trialSpec.Name}', 'reference: ${trialSpec.Labels[team]}')));
});

test('metrics filters must compile (Go syntax, as Katib) with a name and a value group', () => {
  const filter = '- "([\\\\w-]+)=([-+]?\\\\d*\\\\.?\\\\d+)"';
  const at = 'spec.metricsCollectorSpec.source.filter.metricsFormat[0]';
  let [line, path, message] = only(variant(filter, '- "([a-z]+=("'));
  assert.deepEqual([line, path], [51, at]);
  assert.match(message, /^invalid metrics filter: not a valid regular expression .*Unterminated group/);
  [line, path, message] = only(variant(filter, '- "loss=([0-9.]+)"'));
  assert.deepEqual([line, path], [51, at]);
  assert.match(message, /^invalid metrics filter: two groups are required/);
  // Two pairs of parentheses satisfy Katib, but only one of them captures.
  assert.deepEqual(only(variant(filter, '- "(loss)=(?:[0-9.]+)"')), [51, at, 'expected at least 2 capture groups (the metric name, then its value), found 1']);
  // Go's named groups are fine.
  assert.doesNotThrow(() => loadManifests(variant(filter, '- "(?P<name>[a-z]+)=(?P<value>[0-9.]+)"')));
});

test('the File collector needs an absolute path, and no filter with JSON', () => {
  const text = variant('kind: StdOut\n    source:\n', 'kind: File\n    source:\n      fileSystemPath:\n        path: metrics.log\n        format: JSON\n');
  assert.deepEqual(
    issuesOf(text).map((i) => [i.line, i.path, i.message]),
    [
      [50, 'spec.metricsCollectorSpec.source.fileSystemPath.path', 'expected an absolute path (the file the trial writes its metrics to), got string "metrics.log"'],
      [52, 'spec.metricsCollectorSpec.source.filter', 'not allowed with format JSON: JSON lines carry metric names as keys, so there is nothing to match'],
    ],
  );
  assert.deepEqual(only(variant('kind: StdOut\n    source:\n', 'kind: StdOut\n    source:\n      fileSystemPath:\n        path: /tmp/m.log\n')), [
    49,
    'spec.metricsCollectorSpec.source.fileSystemPath',
    'only the File collector reads a file; collector kind is StdOut',
  ]);
});

test('trial counts: parallel at least 1 and not above maxTrialCount', () => {
  assert.deepEqual(only(variant('parallelTrialCount: 2', 'parallelTrialCount: 8')), [25, 'spec.parallelTrialCount', 'must not be greater than spec.maxTrialCount (6), got 8']);
  assert.deepEqual(only(variant('parallelTrialCount: 2', 'parallelTrialCount: 0')), [25, 'spec.parallelTrialCount', 'must be at least 1, got 0']);
  assert.deepEqual(only(variant('maxFailedTrialCount: 2', 'maxFailedTrialCount: -1')), [27, 'spec.maxFailedTrialCount', 'must be zero or more, got -1']);
});

test('the trial Job is checked as a Job, at its lines in the experiment, without asking for a name', () => {
  assert.deepEqual(only(variant('restartPolicy: Never', 'restartPolicy: Always')), [
    75,
    'spec.trialTemplate.trialSpec.spec.template.spec.restartPolicy',
    'expected "Never" or "OnFailure" for a Job, got "Always"',
  ]);
  assert.deepEqual(only(variant('backoffLimit: 0', 'backoffLimit: 0\n        completionz: 1')), [70, 'spec.trialTemplate.trialSpec.spec.completionz', 'unknown field "completionz"']);
  // A placeholder in a typed field: the message quotes the manifest's value.
  assert.deepEqual(only(variant('backoffLimit: 0', 'backoffLimit: ${trialParameters.numLayers}')), [
    69,
    'spec.trialTemplate.trialSpec.spec.backoffLimit',
    'expected integer, got string "${trialParameters.numLayers}"',
  ]);
});

test('Katib refuses a maxTrialCount below the default parallelTrialCount when none is given', () => {
  assert.deepEqual(only(variant('  parallelTrialCount: 2\n  maxTrialCount: 6\n', '  maxTrialCount: 2\n')), [
    25,
    'spec.maxTrialCount',
    'maxTrialCount 2 is less than the default parallelTrialCount (3); set spec.parallelTrialCount to at most 2',
  ]);
});

test('the trial template: one source, trialParameters required, no name on the Job', () => {
  assert.deepEqual(only(variant('    trialSpec:\n', '    configMap:\n      configMapName: templates\n      configMapNamespace: ml\n      templatePath: job.yaml\n    trialSpec:\n')), [
    65,
    'spec.trialTemplate.configMap',
    'give either trialSpec or configMap, not both',
  ]);
  const noParams = EXPERIMENT.replace(/    trialParameters:\n(    .*\n)*?    trialSpec:\n/, '    trialSpec:\n').replace(/\$\{trialParameters\.\w+\}/g, 'x');
  assert.deepEqual(only(noParams), [
    53,
    'spec.trialTemplate.trialParameters',
    'required field "trialParameters" is missing (it maps spec.parameters to ${trialParameters.NAME} placeholders in the trial template)',
  ]);
  assert.deepEqual(only(variant('      kind: Job\n      spec:\n', '      kind: Job\n      metadata:\n        name: train\n      spec:\n')), [
    69,
    'spec.trialTemplate.trialSpec.metadata.name',
    "must be omitted: the controller creates each trial's Job, named after the trial, in the experiment's namespace",
  ]);
});

test('experiment names start with a letter, as Katib asks', () => {
  assert.deepEqual(only(variant('name: tune', 'name: 1tune')), [4, 'metadata.name', 'must start with a lowercase letter (Katib\'s rule for experiment names), got "1tune"']);
});

test('primaryContainerName must name a container, and is needed with several', () => {
  assert.deepEqual(only(variant('primaryContainerName: training', 'primaryContainerName: trainer')), [
    53,
    'spec.trialTemplate.primaryContainerName',
    'no container named "trainer" in spec.trialTemplate.trialSpec.spec.template.spec.containers (containers: training)',
  ]);
  let text = variant('    primaryContainerName: training\n', '');
  text = variant('            - name: training\n', '            - name: sidecar\n              image: busybox\n            - name: training\n', text);
  // A missing field is reported where its object starts (the first key of trialTemplate).
  assert.deepEqual(only(text), [
    53,
    'spec.trialTemplate.primaryContainerName',
    "required when the trial's pod has more than one container: name the one that reports the metrics (one of: sidecar, training)",
  ]);
});

test('success and failure conditions must be GJSON paths Drover evaluates', () => {
  const [line, path, message] = only(variant('successCondition: status.conditions.#(type=="Complete")#|#(status=="True")#', 'successCondition: status.conditions.@reverse'));
  assert.deepEqual([line, path], [54, 'spec.trialTemplate.successCondition']);
  assert.match(message, /^invalid GJSON path: .*@reverse/);
});

test('errors in several places are all reported, in source order', () => {
  let text = variant('algorithmName: random', 'algorithmName: annealing');
  text = variant('reference: layers', 'reference: depth', text);
  text = variant('  resumePolicy: Never\n', '  resumePolicy: Never\n  nasConfig: {}\n  extra: true\n', text);
  assert.deepEqual(
    issuesOf(text).map((i) => [i.line, i.path]),
    [
      [16, 'spec.algorithm.algorithmName'],
      [30, 'spec.extra'],
      [62, 'spec.trialTemplate.trialParameters[1].reference'],
    ],
  );
});

test('parsePath reads kubectl-style paths', () => {
  assert.deepEqual(parsePath('spec.parameters[0].feasibleSpace.min'), ['spec', 'parameters', 0, 'feasibleSpace', 'min']);
  assert.deepEqual(parsePath('metadata.labels[app.kubernetes.io/name]'), ['metadata', 'labels', 'app.kubernetes.io/name']);
  assert.deepEqual(parsePath('spec'), ['spec']);
});

test('admit fills in Katib defaults and keeps status empty', () => {
  const text = variant('    metricStrategies:\n    - name: loss\n      value: min\n', '')
    .replace('  parallelTrialCount: 2\n', '')
    .replace('  resumePolicy: Never\n', '')
    .replace('    successCondition: status.conditions.#(type=="Complete")#|#(status=="True")#\n', '')
    .replace('    primaryContainerName: training\n', '')
    .replace(/  metricsCollectorSpec:\n(    .*\n|      .*\n|        .*\n)*/, '');
  const [m] = loadManifests(`${text}status:\n  trials: 3\n`, 'tune.yaml').manifests;
  const exp = admit(m!.object as KubeObject, { namespace: 'default', sourceDir: '/work/tune' });
  const spec = exp['spec'] as Record<string, any>;
  assert.equal(exp['status'], undefined);
  assert.equal(exp.metadata.annotations?.[ANNOTATIONS.sourceDir], '/work/tune');
  assert.equal(spec['parallelTrialCount'], 3);
  assert.equal(spec['resumePolicy'], 'LongRunning');
  assert.deepEqual(spec['metricsCollectorSpec'], { collector: { kind: 'StdOut' } });
  assert.deepEqual(spec['objective'].metricStrategies, [
    { name: 'accuracy', value: 'max' },
    { name: 'loss', value: 'max' },
  ]);
  assert.equal(spec['trialTemplate'].successCondition, 'status.conditions.#(type=="Complete")#|#(status=="True")#');
  assert.equal(spec['trialTemplate'].failureCondition, 'status.conditions.#(type=="Failed")#|#(status=="True")#');
  assert.equal(spec['trialTemplate'].primaryContainerName, 'training');
  assert.deepEqual(
    spec['parameters'].map((p: { feasibleSpace: { distribution?: string } }) => p.feasibleSpace.distribution),
    ['logUniform', 'uniform', undefined],
  );
  // The input is not changed.
  assert.equal((m!.object['spec'] as Record<string, unknown>)['parallelTrialCount'], undefined);
});

test('admit: a strategy given is kept, minimize defaults to min, File gets Katib\'s path and format', () => {
  const text = variant('type: maximize', 'type: minimize').replace('kind: StdOut\n    source:\n      filter:\n        metricsFormat:\n        - "([\\\\w-]+)=([-+]?\\\\d*\\\\.?\\\\d+)"\n', 'kind: File\n');
  const [m] = loadManifests(text, 'tune.yaml').manifests;
  const spec = admit(m!.object as KubeObject, { namespace: 'default' })['spec'] as Record<string, any>;
  assert.deepEqual(spec['objective'].metricStrategies, [
    { name: 'loss', value: 'min' },
    { name: 'accuracy', value: 'min' },
  ]);
  assert.deepEqual(spec['metricsCollectorSpec'], {
    collector: { kind: 'File' },
    source: { fileSystemPath: { kind: 'File', path: '/var/log/katib/metrics.log', format: 'TEXT' } },
  });
  assert.equal(spec['parallelTrialCount'], 2);
  assert.equal(spec['resumePolicy'], 'Never');
});
