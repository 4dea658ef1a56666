import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type FieldIssue, ValidationError } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { manifestLoader } from '../registry.js';

// Every kind's validation, through the loader the server and `drover lint` use.
const loader = await manifestLoader();
const loadManifests = (text: string, file?: string) => loader.load(text, file);
const validateObject = (obj: KubeObject) => loader.validate(obj);
const inspectObject = (obj: unknown) => loader.inspect(obj);

/** Loads text expected to be invalid and returns the issues of the ValidationError it throws. */
function issuesOf(text: string, file = 'train.yaml'): FieldIssue[] {
  try {
    loadManifests(text, file);
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    return err.issues;
  }
  assert.fail('expected loadManifests to throw');
}

function only(issues: FieldIssue[]): FieldIssue {
  assert.equal(issues.length, 1, `expected one issue, got:\n${issues.map((i) => JSON.stringify(i)).join('\n')}`);
  return issues[0]!;
}

const JOB = `apiVersion: batch/v1
kind: Job
metadata:
  name: train
spec:
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: python:3.12
        command: [python, train.py]
        volumeMounts:
        - name: data
          mountPath: /data
      volumes:
      - name: data
        persistentVolumeClaim:
          claimName: data
`;

test('a valid multi-document file of Job, ConfigMap, PVC and Secret loads with positions and no warnings', () => {
  const text = `${JOB}---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  lr: "0.1"
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: ml
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Secret
metadata:
  name: token
type: Opaque
data:
  token: aGVsbG8=
stringData:
  plain: hello
`;
  const result = loadManifests(text, 'train.yaml');
  assert.deepEqual(result.warnings, []);
  assert.deepEqual(
    result.manifests.map((m) => [m.object.kind, m.object.metadata.name, m.file, m.line, m.column]),
    [
      ['Job', 'train', 'train.yaml', 1, 1],
      ['ConfigMap', 'settings', 'train.yaml', 22, 1],
      ['PersistentVolumeClaim', 'data', 'train.yaml', 29, 1],
      ['Secret', 'token', 'train.yaml', 40, 1],
    ],
  );
  const pvc = result.manifests[2]!.object;
  assert.equal(pvc.metadata.namespace, 'ml');
  // No defaults are applied: an absent namespace stays absent.
  assert.equal(result.manifests[0]!.object.metadata.namespace, undefined);
  assert.equal(result.manifests[0]!.object['status'], undefined);
});

test('empty documents and comment-only documents are skipped', () => {
  const result = loadManifests(`---\n# nothing here\n---\n${JOB}---\n`);
  assert.equal(result.manifests.length, 1);
  assert.equal(result.manifests[0]!.line, 4);
});

test('malformed YAML names file:line:col of the syntax error with an empty path', () => {
  const issue = only(issuesOf(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indent\n`));
  assert.equal(issue.file, 'train.yaml');
  assert.equal(issue.path, '');
  assert.equal(issue.line, 4);
  assert.equal(issue.column, 9);
  assert.doesNotMatch(issue.message, /at line/);
});

test('a duplicate key is a syntax error, as in kubectl', () => {
  const issue = only(issuesOf(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n`));
  assert.equal(issue.line, 5);
  assert.match(issue.message, /unique/);
});

test('an unknown kind is reported at the kind value with the supported kinds listed', () => {
  const issue = only(issuesOf(`apiVersion: x/v1\nkind:   Foo\nmetadata: {name: a}\n`));
  assert.equal(issue.path, 'kind');
  assert.equal(issue.line, 2);
  assert.equal(issue.column, 9);
  assert.match(issue.message, /^unknown kind "Foo" for apiVersion "x\/v1"; supported: .*Job \(batch\/v1\)/);
  assert.match(issue.message, /Pod \(v1\)/);
  assert.doesNotMatch(issue.message, /Node|Event/);
});

test('a known kind under the wrong apiVersion says which apiVersion serves it', () => {
  const issue = only(issuesOf(`apiVersion: v1\nkind: Job\nmetadata: {name: a}\n`));
  assert.match(issue.message, /unknown kind "Job" for apiVersion "v1" \(Job is batch\/v1\)/);
});

test('kinds only Drover creates (Node, Event) cannot be applied', () => {
  const issue = only(issuesOf(`apiVersion: v1\nkind: Node\nmetadata: {name: a}\n`));
  assert.match(issue.message, /unknown kind "Node"/);
});

test('a wrong field type names file:line:col and the field path', () => {
  const issue = only(issuesOf(JOB.replace('parallelism: 2', 'parallelism: "2"')));
  assert.deepEqual(issue, {
    file: 'train.yaml',
    line: 6,
    column: 16,
    path: 'spec.parallelism',
    message: 'expected integer, got string "2"',
  });
  assert.equal(new ValidationError([issue]).message, 'train.yaml:6:16: spec.parallelism: expected integer, got string "2"');
});

test('a bad quantity and a bad enum value say what was expected', () => {
  const text = JOB.replace('        command:', '        resources: {limits: {memory: lots}}\n        command:').replace(
    'restartPolicy: Never',
    'restartPolicy: Never\n      dnsPolicy: Sometimes',
  );
  const issues = issuesOf(text);
  const memory = issues.find((i) => i.path.endsWith('memory'));
  assert.equal(memory?.path, 'spec.template.spec.containers[0].resources.limits.memory');
  assert.equal(memory?.message, 'expected a quantity such as "500m" or "2Gi", got string "lots"');
  const dns = issues.find((i) => i.path === 'spec.template.spec.dnsPolicy');
  assert.match(dns?.message ?? '', /^expected one of "ClusterFirst", .*got string "Sometimes"$/);
});

test('a container without a name reports the missing field at the container', () => {
  const issue = only(issuesOf(JOB.replace('      - name: main\n        image: python:3.12', '      - image: python:3.12')));
  assert.equal(issue.path, 'spec.template.spec.containers[0].name');
  assert.equal(issue.message, 'required field "name" is missing');
  assert.equal(issue.line, 11);
  assert.equal(issue.column, 9);
});

test('a Job whose template has no containers reports spec.template.spec.containers as missing', () => {
  const issue = only(issuesOf(`apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n`));
  assert.equal(issue.path, 'spec.template.spec.containers');
  assert.equal(issue.message, 'required field "containers" is missing');
  assert.equal(issue.line, 7);
});

test('metadata.name is required unless metadata.generateName is given', () => {
  const issue = only(issuesOf(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n`));
  assert.equal(issue.path, 'metadata.name');
  assert.equal(issue.line, 4);
  const ok = loadManifests(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: cfg-\n`);
  assert.equal(ok.manifests.length, 1);
});

test('an unknown field is rejected at its key, like kubectl --validate=strict', () => {
  const issue = only(issuesOf(JOB.replace('        image: python:3.12', '        image: python:3.12\n        bogus: true')));
  assert.deepEqual(issue, {
    file: 'train.yaml',
    line: 13,
    column: 9,
    path: 'spec.template.spec.containers[0].bogus',
    message: 'unknown field "bogus"',
  });
});

test('keys of maps (labels, data, nodeSelector) are not mistaken for unknown fields', () => {
  const text = JOB.replace('  name: train', '  name: train\n  labels: {team: ml, app.kubernetes.io/name: train}').replace(
    'restartPolicy: Never',
    'restartPolicy: Never\n      nodeSelector: {role: train-cpu}',
  );
  assert.equal(loadManifests(text).manifests.length, 1);
});

test('an unsupported field is rejected by name', () => {
  const text = JOB.replace('      restartPolicy: Never', '      restartPolicy: Never\n      ephemeralContainers:\n      - {name: debug, image: busybox}');
  const issue = only(issuesOf(text));
  assert.equal(issue.path, 'spec.template.spec.ephemeralContainers');
  assert.equal(issue.message, 'field spec.template.spec.ephemeralContainers is not supported by Drover yet');
  assert.equal(issue.line, 10);
  assert.equal(issue.column, 7);
});

test('probes are checked as the API server checks them: one handler, a liveness successThreshold of 1, a named port the container has; gRPC is refused by name', () => {
  const withProbe = (probe: string) => JOB.replace('        image: python:3.12', `        image: python:3.12\n        ports: [{name: http, containerPort: 8080}]\n${probe}`);
  assert.equal(loadManifests(withProbe('        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 2}\n        livenessProbe: {tcpSocket: {port: 8080}}\n        startupProbe: {exec: {command: [ls]}, failureThreshold: 30}\n')).manifests.length, 1);
  const two = only(issuesOf(withProbe('        livenessProbe: {exec: {command: [ls]}, tcpSocket: {port: 1}}\n')));
  assert.match(two.message, /may not specify more than 1 handler type \(exec, tcpSocket\)/);
  const threshold = only(issuesOf(withProbe('        livenessProbe: {exec: {command: [ls]}, successThreshold: 2}\n')));
  assert.deepEqual([threshold.path, threshold.message], ['spec.template.spec.containers[0].livenessProbe.successThreshold', 'must be 1, got 2']);
  const port = only(issuesOf(withProbe('        readinessProbe: {httpGet: {port: metrics}}\n')));
  assert.deepEqual([port.path, port.message], ['spec.template.spec.containers[0].readinessProbe.httpGet.port', 'no port named "metrics" in this container\'s ports']);
  assert.match(only(issuesOf(withProbe('        readinessProbe: {grpc: {port: 9000}}\n'))).message, /grpc is not supported by Drover yet \(gRPC probes are not run/);
  assert.match(only(issuesOf(withProbe('        livenessProbe: {httpGet: {host: 169.254.169.254, port: 80}}\n'))).message, /host is not supported by Drover yet \(a probe reaches the pod's own address\)/);
});

test('init containers are checked as the API server checks them: an image each, names unique across all containers, restartPolicy only Always (a sidecar)', () => {
  const withInit = (init: string) => JOB.replace('      restartPolicy: Never', `      restartPolicy: Never\n      initContainers:\n${init}`);
  assert.equal(loadManifests(withInit('      - {name: fetch, image: busybox}\n      - {name: proxy, image: busybox, restartPolicy: Always}\n')).manifests.length, 1);
  const dup = only(issuesOf(withInit('      - {name: main, image: busybox}\n')));
  assert.deepEqual([dup.path, dup.message], ['spec.template.spec.containers[0].name', 'duplicate container name "main"']);
  const noImage = only(issuesOf(withInit('      - {name: fetch}\n')));
  assert.equal(noImage.path, 'spec.template.spec.initContainers[0].image');
  const policy = only(issuesOf(withInit('      - {name: fetch, image: busybox, restartPolicy: OnFailure}\n')));
  assert.equal(policy.path, 'spec.template.spec.initContainers[0].restartPolicy');
  assert.match(policy.message, /only "Always" \(a sidecar\)/);
  const probed = only(issuesOf(withInit('      - {name: fetch, image: busybox, readinessProbe: {exec: {command: [ls]}}}\n')));
  assert.deepEqual([probed.path, probed.message], ['spec.template.spec.initContainers[0].readinessProbe', 'may not be set for init containers without restartPolicy=Always']);
  assert.equal(loadManifests(withInit('      - {name: proxy, image: busybox, restartPolicy: Always, startupProbe: {exec: {command: [ls]}}}\n')).manifests.length, 1, 'a sidecar may be probed');
});

test('an unsupported volume source is rejected by its name', () => {
  const text = JOB.replace('        persistentVolumeClaim:\n          claimName: data', '        nfs: {server: nas, path: /export}');
  const issue = only(issuesOf(text));
  assert.equal(issue.path, 'spec.template.spec.volumes[0].nfs');
  assert.match(issue.message, /^field spec\.template\.spec\.volumes\[0\]\.nfs is not supported by Drover yet/);
});

test('unsupported values of supported fields are rejected with the value named', () => {
  const text = JOB.replace('        command:', '        env:\n        - name: HOST\n          valueFrom:\n            fieldRef:\n              fieldPath: status.hostIP\n        command:').replace(
    '  parallelism: 2',
    '  parallelism: 2\n  manualSelector: true\n  backoffLimitPerIndex: 1',
  );
  const issues = issuesOf(text);
  assert.deepEqual(
    issues.map((i) => i.path),
    ['spec.manualSelector', 'spec.backoffLimitPerIndex', 'spec.template.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath'],
  );
  assert.match(issues[2]!.message, /^value "status\.hostIP" of field .* is not supported by Drover yet/);
  // Supported fieldRef paths pass.
  assert.equal(loadManifests(text.replace('status.hostIP', "metadata.labels['team']").replace('  manualSelector: true\n  backoffLimitPerIndex: 1\n', '')).manifests.length, 1);
});

test('an ignored field warns once per object, with file:line:col', () => {
  const text = JOB.replace('        image: python:3.12', '        image: python:3.12\n        imagePullPolicy: Always').replace(
    '      volumes:',
    '      - name: side\n        image: busybox\n        imagePullPolicy: IfNotPresent\n      volumes:',
  );
  const result = loadManifests(text, 'train.yaml');
  assert.deepEqual(result.warnings, ['warning: train.yaml:13:9: spec.template.spec.containers[0].imagePullPolicy is ignored (images are not pulled)']);
  assert.equal(result.manifests.length, 1);
});

test('fields ignored silently give no warning, and empty lists ask for nothing', () => {
  const text = JOB.replace('      restartPolicy: Never', '      restartPolicy: Never\n      enableServiceLinks: false\n      tolerations: []');
  assert.deepEqual(loadManifests(text).warnings, []);
});

test('JSON input loads with positions', () => {
  const text = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } }, null, 2);
  const result = loadManifests(text, 'c.json');
  assert.equal(result.manifests[0]?.object.kind, 'ConfigMap');
  const issue = only(issuesOf(text.replace('"b"', '5'), 'c.json'));
  assert.equal(issue.path, 'data.a');
  assert.equal(issue.line, 8);
  assert.equal(issue.column, 10);
  assert.equal(issue.message, 'expected string, got integer 5');
});

test('a List (JSON or YAML, List or XList) is flattened into its items', () => {
  const json = JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b' } },
    ],
  });
  assert.deepEqual(loadManifests(json).manifests.map((m) => m.object.metadata.name), ['a', 'b']);
  const yaml = `apiVersion: v1\nkind: ConfigMapList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n  bogus: 1\n`;
  const issue = only(issuesOf(yaml));
  // Paths are relative to the item; the position points into the List.
  assert.deepEqual([issue.path, issue.line, issue.column], ['bogus', 10, 3]);
  assert.deepEqual(loadManifests(yaml.replace('  bogus: 1\n', '')).manifests.map((m) => [m.object.metadata.name, m.line, m.column]), [
    ['a', 4, 3],
    ['b', 7, 3],
  ]);
});

test('errors in several documents are all reported, in source order, and nothing is returned', () => {
  const text = `${JOB.replace('parallelism: 2', 'parallelism: "2"')}---
apiVersion: v1
kind: Secret
metadata: {name: s}
data: {token: "not base64!"}
---
apiVersion: x/v1
kind: Foo
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ok}
---
a: [1,
`;
  const issues = issuesOf(text);
  assert.deepEqual(
    issues.map((i) => [i.line, i.path]),
    [
      [6, 'spec.parallelism'],
      [25, 'data.token'],
      [28, 'kind'],
      [35, ''],
    ],
  );
  // Secret values never appear in messages.
  assert.equal(issues[1]!.message, 'expected base64-encoded data, got string');
});

test('a Job must not restart its pods Always, as Kubernetes requires', () => {
  const issue = only(issuesOf(JOB.replace('restartPolicy: Never', 'restartPolicy: Always')));
  assert.equal(issue.path, 'spec.template.spec.restartPolicy');
  assert.match(issue.message, /"Never" or "OnFailure"/);
});

test('a volume mount must name a volume of the pod', () => {
  const issue = only(issuesOf(JOB.replace('        - name: data\n          mountPath', '        - name: scratch\n          mountPath')));
  assert.equal(issue.path, 'spec.template.spec.containers[0].volumeMounts[0].name');
  assert.match(issue.message, /no volume named "scratch"/);
});

test('YAML merge keys are understood and errors inside merged maps still get positions', () => {
  const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: &common {team: ml}\n  annotations:\n    <<: *common\n    note: x\n`;
  assert.deepEqual(loadManifests(text).manifests[0]?.object.metadata.annotations, { team: 'ml', note: 'x' });
});

test('a cluster-scoped Namespace warns that metadata.namespace is ignored', () => {
  const result = loadManifests(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml\n  namespace: default\n`, 'ns.yaml');
  assert.deepEqual(result.warnings, ['warning: ns.yaml:5:3: metadata.namespace is ignored (Namespace is cluster-scoped)']);
});

test('a PVC rejects Block volumes and data sources, and warns about storage classes', () => {
  const pvc = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast', volumeMode: 'Block', dataSource: { kind: 'VolumeSnapshot', name: 'snap' } },
  };
  const check = inspectObject(pvc);
  assert.deepEqual(check.issues.map((i) => i.path), ['spec.volumeMode', 'spec.dataSource']);
  assert.deepEqual(check.warnings, ['warning: spec.storageClassName is ignored (local claims are directories)']);
});

test('validateObject checks objects that arrived without text, without positions', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'main', image: 'x', tty: true, bogus: 1 }], hostPID: true },
  };
  assert.deepEqual(validateObject(pod), [
    { path: 'spec.containers[0].bogus', message: 'unknown field "bogus"' },
    { path: 'spec.containers[0].tty', message: 'field spec.containers[0].tty is not supported by Drover yet' },
    { path: 'spec.hostPID', message: 'field spec.hostPID is not supported by Drover yet' },
  ]);
  assert.deepEqual(validateObject({ ...pod, spec: { containers: [{ name: 'main', image: 'x', tty: false }], hostPID: false } }), []);
});

test('a Job as `kubectl get -o yaml` prints it (status, managedFields, nulls, defaults) loads without false errors', () => {
  const text = `apiVersion: batch/v1
kind: Job
metadata:
  creationTimestamp: "2024-05-01T10:00:00Z"
  managedFields:
  - apiVersion: batch/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:spec:
        f:backoffLimit: {}
    manager: kubectl-client-side-apply
    operation: Update
  name: pi
  namespace: default
  resourceVersion: "1234"
  uid: 5b1c-aaaa
spec:
  backoffLimit: 4
  completionMode: NonIndexed
  manualSelector: false
  podReplacementPolicy:
  suspend: false
  template:
    metadata:
      creationTimestamp: null
    spec:
      containers:
      - name: pi
        image: perl:5.34.0
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Never
      schedulerName: default-scheduler
      securityContext: {}
status:
  succeeded: 1
  uncountedTerminatedPods: {}
`;
  const result = loadManifests(text);
  assert.deepEqual(result.warnings, []);
  const spec = result.manifests[0]!.object['spec'] as Record<string, unknown>;
  // `field:` with no value means unset, as in Kubernetes, and is dropped.
  assert.equal('podReplacementPolicy' in spec, false);
});

test('requests and limits are checked as the API server does: not negative, a request within its limit, whole GPUs', () => {
  const withResources = (r: string) => JOB.replace('        command:', `        resources: ${r}\n        command:`);
  const messages = (r: string) => issuesOf(withResources(r)).map((i) => `${i.path}: ${i.message}`);
  assert.deepEqual(messages('{requests: {cpu: "-1"}}'), ['spec.template.spec.containers[0].resources.requests.cpu: must be greater than or equal to 0, got "-1"']);
  assert.deepEqual(messages('{requests: {memory: 2Gi}, limits: {memory: 1Gi}}'), ['spec.template.spec.containers[0].resources.requests.memory: must be less than or equal to memory limit of 1Gi']);
  assert.deepEqual(messages('{limits: {nvidia.com/gpu: "0.5"}}'), ['spec.template.spec.containers[0].resources.limits[nvidia.com/gpu]: must be an integer, got "0.5"']);
  assert.deepEqual(messages('{requests: {gpu: 1}}'), ['spec.template.spec.containers[0].resources.requests.gpu: "gpu" must be a standard resource type (cpu, memory, ephemeral-storage) or fully qualified (nvidia.com/gpu)']);
  assert.deepEqual(messages('{requests: {cpu: 500m, nvidia.com/gpu: 1}, limits: {cpu: 1, nvidia.com/gpu: 2}}'), [
    'spec.template.spec.containers[0].resources.requests[nvidia.com/gpu]: must be equal to nvidia.com/gpu limit of 2',
  ]);
});

test('a ConfigMap over 1 MiB is refused, as Kubernetes refuses it', () => {
  const big = 'x'.repeat(1024 * 1024 + 1);
  const issues = issuesOf(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: "${big}"\n`);
  assert.equal(issues.length, 1);
  assert.match(issues[0]!.message, /^Too long: must have at most 1048576 bytes \(has 1048581\)/);
});

test('a document nested ten thousand levels deep is refused, saying so, with its position', () => {
  const deep = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: deep }\ndata: { k: ${'['.repeat(10_000)}${']'.repeat(10_000)} }\n`;
  const issue = only(issuesOf(deep));
  assert.equal(issue.line, 4);
  assert.match(issue.message, /nested too deeply to read/);
  const fine = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: fine }\ndata: { k: "${'['.repeat(300)}" }\n`;
  assert.equal(loadManifests(fine).manifests.length, 1, 'brackets inside a string are no nesting');
});

test('a Service is validated as the API server does, and what one machine cannot give is refused by name', () => {
  const svc = (spec: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: train}\nspec:\n${spec}`;
  assert.equal(loadManifests(svc('  clusterIP: None\n  selector: {job: train}\n')).manifests.length, 1);
  assert.equal(loadManifests(svc('  selector: {job: train}\n  ports: [{port: 80, targetPort: http}]\n')).manifests.length, 1);
  const nodePort = only(issuesOf(svc('  type: NodePort\n  selector: {job: train}\n  ports: [{port: 80}]\n')));
  assert.equal(nodePort.path, 'spec.type');
  assert.match(nodePort.message, /ClusterIP/);
  assert.equal(nodePort.line, 5);
  const noPorts = only(issuesOf(svc('  selector: {job: train}\n')));
  assert.match(noPorts.message, /at least one port/);
  const twoUnnamed = issuesOf(svc('  selector: {job: train}\n  ports: [{port: 80}, {port: 81}]\n'));
  assert.ok(twoUnnamed.some((i) => /needs a name/.test(i.message)), JSON.stringify(twoUnnamed));
  const badTarget = only(issuesOf(svc('  selector: {job: train}\n  ports: [{port: 80, targetPort: Not_A_Name}]\n')));
  assert.equal(badTarget.path, 'spec.ports[0].targetPort');
  const affinity = only(issuesOf(svc('  selector: {job: train}\n  sessionAffinity: ClientIP\n  ports: [{port: 80}]\n')));
  assert.equal(affinity.path, 'spec.sessionAffinity');
  const ip = only(issuesOf(svc('  clusterIP: 10.96.0.300\n  selector: {job: train}\n  ports: [{port: 80}]\n')));
  assert.equal(ip.path, 'spec.clusterIP');
});

test('a leading-zero integer is octal, as kubectl and Argo read it (Go YAML): defaultMode 0644 is 420, mode 0755 is 493; quoted it stays a string', () => {
  const r = loadManifests(`apiVersion: v1
kind: Pod
metadata: {name: octal}
spec:
  containers: [{name: m, image: busybox, command: [ls], env: [{name: A, value: "0644"}]}]
  volumes: [{name: c, configMap: {name: x, defaultMode: 0644}}, {name: s, secret: {secretName: y, defaultMode: 0400}}]
`);
  const spec = r.manifests[0]!.object.spec as { volumes: { configMap?: { defaultMode: number }; secret?: { defaultMode: number } }[]; containers: { env: { value: string }[] }[] };
  assert.equal(spec.volumes[0]!.configMap!.defaultMode, 0o644);
  assert.equal(spec.volumes[1]!.secret!.defaultMode, 0o400);
  assert.equal(spec.containers[0]!.env[0]!.value, '0644');
});

test('a template\'s init containers and sidecars are checked: each named, no name twice in the step\'s pod (main included)', () => {
  const wf = (extra: string) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: sc}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: ["true"]}
${extra}`;
  assert.equal(loadManifests(wf('    initContainers: [{name: fetch, image: alpine, mirrorVolumeMounts: true}]\n    sidecars: [{name: proxy, image: nginx}]\n')).manifests.length, 1);
  const dup = only(issuesOf(wf('    sidecars: [{name: main, image: nginx}]\n')));
  assert.equal(dup.path, 'spec.templates[0].sidecars[0].name');
  assert.match(dup.message, /duplicate container name "main" in the step's pod \(main\)/);
  assert.match(only(issuesOf(wf('    initContainers: [{name: a, image: alpine}]\n    sidecars: [{name: a, image: nginx}]\n'))).message, /duplicate container name "a"/);
});

test('a containerSet is checked as Argo checks it: names unique, dependencies among them, no cycle, no per-container retries', () => {
  const wf = (containers: string, extra = '') => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: set}
spec:
  entrypoint: main
  templates:
  - name: main
    containerSet:${extra}
      containers:
${containers}`;
  assert.equal(loadManifests(wf('      - {name: a, image: alpine}\n      - {name: main, image: alpine, dependencies: [a]}\n')).manifests.length, 1);
  assert.match(only(issuesOf(wf('      - {name: a, image: alpine, dependencies: [nope]}\n'))).message, /no container named "nope" in the set \(a\)/);
  assert.match(only(issuesOf(wf('      - {name: a, image: alpine}\n      - {name: a, image: alpine}\n'))).message, /duplicate container name "a"/);
  const cycle = only(issuesOf(wf('      - {name: a, image: alpine, dependencies: [b]}\n      - {name: b, image: alpine, dependencies: [a]}\n')));
  assert.match(cycle.message, /dependencies form a cycle: a → b → a/);
  assert.match(only(issuesOf(wf('      - {name: a, image: alpine}\n', '\n      retryStrategy: {retries: 2}'))).message, /retries of single containers in a set are not supported/);
});
