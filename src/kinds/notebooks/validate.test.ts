import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type FieldIssue, ValidationError } from '../../api/errors.js';
import { manifestLoader } from '../../registry.js';

const loader = await manifestLoader();

function issuesOf(text: string): FieldIssue[] {
  try {
    loader.load(text, 'nb.yaml');
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    return err.issues;
  }
  return [];
}

/** As Kubeflow's Jupyter web app writes one: resources with a GPU, a workspace claim, a data volume, env. */
const GOOD = (apiVersion = 'kubeflow.org/v1') => `apiVersion: ${apiVersion}
kind: Notebook
metadata:
  name: my-lab
  labels: {app: my-lab}
spec:
  template:
    metadata:
      labels: {team: ml}
    spec:
      serviceAccountName: default-editor
      containers:
      - name: my-lab
        image: kubeflownotebookswg/jupyter-scipy:v1.9.0
        imagePullPolicy: IfNotPresent
        env:
        - {name: EXTRA, value: "1"}
        resources:
          requests: {cpu: "0.5", memory: 1Gi}
          limits: {cpu: "1", memory: 2Gi, nvidia.com/gpu: "1"}
        volumeMounts:
        - {name: workspace, mountPath: /home/jovyan}
        - {name: data, mountPath: /data, readOnly: true}
      volumes:
      - name: workspace
        persistentVolumeClaim: {claimName: my-lab-workspace}
      - name: data
        persistentVolumeClaim: {claimName: datasets}
`;

test('a Notebook as Kubeflow writes it (v1 and v1beta1) is accepted', () => {
  assert.deepEqual(issuesOf(GOOD()).filter((i) => !/imagePullPolicy|serviceAccountName/.test(i.path)), []);
  const loaded = loader.load(GOOD('kubeflow.org/v1beta1'), 'nb.yaml');
  assert.equal(loaded.manifests[0]!.object.kind, 'Notebook');
});

test('errors carry file, line and field: an unknown field under spec, a missing template, a container without image, a wrong type in the pod spec', () => {
  const unknown = issuesOf(GOOD().replace('  template:\n', '  replicas: 2\n  template:\n'));
  assert.equal(unknown.length, 1);
  assert.equal(unknown[0]!.path, 'spec.replicas');
  assert.equal(unknown[0]!.file, 'nb.yaml');
  assert.equal(unknown[0]!.line, 7);
  assert.match(unknown[0]!.message, /unknown field "replicas"/);

  const noTemplate = issuesOf('apiVersion: kubeflow.org/v1\nkind: Notebook\nmetadata: {name: x}\nspec: {}\n');
  assert.equal(noTemplate[0]!.path, 'spec.template');
  assert.match(noTemplate[0]!.message, /required field "template" is missing/);

  const noImage = issuesOf(GOOD().replace('        image: kubeflownotebookswg/jupyter-scipy:v1.9.0\n', ''));
  assert.deepEqual(noImage.map((i) => [i.path, i.line]), [['spec.template.spec.containers[0].image', 13]], JSON.stringify(noImage));
  const emptyImage = issuesOf(GOOD().replace('image: kubeflownotebookswg/jupyter-scipy:v1.9.0', 'image: ""'));
  assert.ok(emptyImage.some((i) => i.path === 'spec.template.spec.containers[0]' && /needs an image/.test(i.message)), JSON.stringify(emptyImage));

  const badType = issuesOf(GOOD().replace('memory: 2Gi, nvidia.com/gpu: "1"', 'memory: [2Gi]'));
  assert.ok(badType.some((i) => i.path.startsWith('spec.template.spec.containers[0].resources.limits') && i.line === 20), JSON.stringify(badType));

  const badKey = issuesOf(GOOD().replace('        imagePullPolicy: IfNotPresent\n', '        imagePullPolicyy: IfNotPresent\n'));
  assert.ok(badKey.some((i) => i.path === 'spec.template.spec.containers[0].imagePullPolicyy' && i.line === 15), JSON.stringify(badKey));
});

test('the name must be a DNS-1035 label and the pod must restart Always', () => {
  const name = issuesOf(GOOD().replace('name: my-lab\n  labels', 'name: 1lab\n  labels'));
  assert.ok(name.some((i) => i.path === 'metadata.name' && /DNS-1035/.test(i.message)), JSON.stringify(name));
  const restart = issuesOf(GOOD().replace('      serviceAccountName: default-editor\n', '      restartPolicy: Never\n'));
  assert.ok(restart.some((i) => i.path === 'spec.template.spec.restartPolicy' && /restarts Always/.test(i.message)), JSON.stringify(restart));
});

test('examples/notebook.yaml is valid', async () => {
  const { readFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const file = fileURLToPath(new URL('../../../../examples/notebook.yaml', import.meta.url));
  const loaded = loader.load(readFileSync(file, 'utf8'), 'notebook.yaml');
  assert.deepEqual(loaded.manifests.map((m) => m.object.kind), ['PersistentVolumeClaim', 'Notebook']);
});
