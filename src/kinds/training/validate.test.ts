import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type FieldIssue, ValidationError } from '../../api/errors.js';
import { manifestLoader } from '../../registry.js';

const loader = await manifestLoader();

function issuesOf(text: string): FieldIssue[] {
  try {
    loader.load(text, 'job.yaml');
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    return err.issues;
  }
  return [];
}

const GOOD = `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: ddp
spec:
  nprocPerNode: "2"
  runPolicy:
    cleanPodPolicy: Running
    backoffLimit: 3
    schedulingPolicy:
      minAvailable: 3
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: ExitCode
      template:
        metadata:
          labels: {team: ml}
        spec:
          containers:
          - name: pytorch
            image: x
            command: [python3, ddp.py]
    Worker:
      replicas: 2
      template:
        spec:
          containers:
          - name: pytorch
            image: x
`;

test('a full PyTorchJob loads without issues', () => {
  const { manifests } = loader.load(GOOD, 'job.yaml');
  assert.equal(manifests.length, 1);
});

test('unknown and wrong-typed fields, unsupported ones by name, bad enums: each at its line', () => {
  const text = GOOD.replace('    backoffLimit: 3\n', '    backoffLimit: three\n    retries: 2\n')
    .replace('      restartPolicy: ExitCode\n', '      restartPolicy: Sometimes\n')
    .replace('  nprocPerNode: "2"\n', '  nprocPerNode: "lots"\n  elasticPolicy:\n    metrics: [{type: Resource}]\n');
  const got = issuesOf(text).map((i) => [i.line, i.path, i.message]);
  const find = (re: RegExp) => got.find(([, , m]) => re.test(String(m)));
  assert.deepEqual(find(/expected integer/)?.slice(0, 2), [11, 'spec.runPolicy.backoffLimit']);
  assert.deepEqual(find(/unknown field "retries"/)?.slice(0, 2), [12, 'spec.runPolicy.retries']);
  assert.deepEqual(find(/"Always", "OnFailure", "Never", "ExitCode"/)?.slice(0, 2), [18, 'spec.pytorchReplicaSpecs.Master.restartPolicy']);
  assert.deepEqual(find(/elasticPolicy\.metrics is not supported/)?.slice(0, 2), [8, 'spec.elasticPolicy.metrics']);
  assert.ok(find(/"auto", "cpu", "gpu" or a positive number/));
});

test('the pod template is checked as any Pod: an unsupported pod field is refused at its line inside the job', () => {
  const text = GOOD.replace('          - name: pytorch\n            image: x\n            command', '          - name: pytorch\n            image: x\n            stdin: true\n            command');
  const got = issuesOf(text);
  assert.ok(got.some((i) => i.path === 'spec.pytorchReplicaSpecs.Master.template.spec.containers[0].stdin' && i.line === 23 && /field spec\.pytorchReplicaSpecs\.Master\.template\.spec\.containers\[0\]\.stdin is not supported/.test(i.message)), JSON.stringify(got));
});

test("the operator's webhook rules: replica types, the default container, one master, DNS-1035 names", () => {
  const text = GOOD.replace('name: ddp', 'name: 1ddp').replace('      replicas: 1\n', '      replicas: 2\n').replace('    Worker:\n', '    Launcher:\n').replace(/- name: pytorch\n {12}image: x\n {12}command/, '- name: trainer\n            image: x\n            command');
  const messages = issuesOf(text).map((i) => i.message).join('\n');
  assert.match(messages, /PyTorchJob name is invalid: a DNS-1035 label/);
  assert.match(messages, /There must be only 1 master replica/);
  assert.match(messages, /PyTorchReplicaType is "Launcher" but must be one of Master, Worker/);
  assert.match(messages, /There is no container named pytorch in Master/);
});

test('a TFJob with two chiefs, or enableDynamicWorker, is refused', () => {
  const text = `apiVersion: kubeflow.org/v1
kind: TFJob
metadata: {name: tf}
spec:
  enableDynamicWorker: true
  tfReplicaSpecs:
    Chief: {template: {spec: {containers: [{name: tensorflow, image: x}]}}}
    Master: {template: {spec: {containers: [{name: tensorflow, image: x}]}}}
`;
  const messages = issuesOf(text).map((i) => `${i.line}: ${i.message}`).join('\n');
  assert.match(messages, /more than 1 chief\/master found/);
  assert.match(messages, /5: field spec\.enableDynamicWorker is not supported by Drover yet/);
});

test('PaddleJob: strict as the others; a container named paddle; elasticPolicy refused by name; several masters (parameter servers) allowed', () => {
  const paddle = `apiVersion: kubeflow.org/v1
kind: PaddleJob
metadata: {name: pd}
spec:
  paddleReplicaSpecs:
    Master:
      replicas: 2
      template:
        spec:
          containers: [{name: paddle, image: x}]
    Worker:
      replicas: 2
      template:
        spec:
          containers: [{name: paddle, image: x}]
`;
  assert.deepEqual(issuesOf(paddle), []);
  const bad = issuesOf(paddle.replace('  paddleReplicaSpecs:', '  elasticPolicy: {minReplicas: 1}\n  paddleReplicaSpecs:').replace('    Worker:', '    Trainer:').replace('[{name: paddle, image: x}]\n    Trainer', '[{name: paddle, image: x}]\n    Trainer'));
  assert.ok(bad.some((i) => i.path === 'spec.elasticPolicy' && /not supported by Drover yet \(elastic PaddleJobs/.test(i.message)), JSON.stringify(bad));
  assert.ok(bad.some((i) => i.path === 'spec.paddleReplicaSpecs.Trainer' && /PaddleReplicaType is "Trainer" but must be one of Master, Worker/.test(i.message)), JSON.stringify(bad));
  const noPaddle = issuesOf(paddle.replace('containers: [{name: paddle, image: x}]\n    Worker', 'containers: [{name: main, image: x}]\n    Worker'));
  assert.ok(noPaddle.some((i) => i.path === 'spec.paddleReplicaSpecs.Master.template.spec.containers' && /no container named paddle/.test(i.message)), JSON.stringify(noPaddle));
});
