import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Stored } from '../../api/types.js';
import { imageRepository, isJupyterImage } from './env.js';
import { notebookPod, planNotebook } from './plan.js';
import type { Notebook } from './types.js';

const VENV = '/var/cache/drover/jupyter-venv';

function nb(image: string, extra: Partial<Notebook['metadata']> = {}, container: Record<string, unknown> = {}): Notebook {
  return {
    apiVersion: 'kubeflow.org/v1', kind: 'Notebook',
    metadata: { name: 'lab', namespace: 'team', uid: 'u1', labels: { app: 'lab' }, ...extra },
    spec: { template: { spec: { containers: [{ name: 'lab', image, env: [{ name: 'NB_PREFIX', value: '/wrong' }], ...container }] } } },
  } as Notebook;
}

test('image → environment: a repository path containing "jupyter" is JupyterLab, registries and tags aside', () => {
  assert.equal(imageRepository('kubeflownotebookswg/jupyter-scipy:v1.9.0'), 'kubeflownotebookswg/jupyter-scipy');
  assert.equal(imageRepository('quay.io/jupyter/base-notebook@sha256:abc'), 'jupyter/base-notebook');
  assert.equal(imageRepository('localhost:5000/team/img:1'), 'team/img');
  assert.ok(isJupyterImage('kubeflownotebookswg/jupyter-pytorch-cuda-full:v1.9.0'));
  assert.ok(isJupyterImage('public.ecr.aws/j1r0q0g6/notebooks/notebook-servers/jupyter:v1.5.0'));
  assert.ok(!isJupyterImage('kubeflownotebookswg/codeserver-python:v1.9.0'));
  // A registry named jupyter does not make an image JupyterLab.
  assert.ok(!isJupyterImage('jupyter.example.com/team/rstudio:1'));
});

test('the pod is <name>-0 with upstream’s labels, NB_PREFIX (replacing the template’s), port 8888, /home/jovyan, and for a jupyter image the JupyterLab command from the venv', () => {
  const pod = notebookPod(nb('kubeflownotebookswg/jupyter-scipy:v1.9.0'), VENV);
  assert.equal(pod.metadata.name, 'lab-0');
  assert.deepEqual(pod.metadata.labels, { app: 'lab', statefulset: 'lab', 'notebook-name': 'lab' });
  assert.equal(pod.metadata.ownerReferences![0]!.uid, 'u1');
  const c = pod.spec!.containers[0]!;
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
  assert.equal(env['NB_PREFIX'], '/notebook/team/lab');
  assert.equal(env['PATH']!.split(':')[0], `${VENV}/bin`);
  assert.equal(env['HOME'], '/home/jovyan');
  assert.equal(c.workingDir, '/home/jovyan');
  // No workspace volume: the home is an emptyDir, writable by the pod's user.
  assert.deepEqual(c.volumeMounts, [{ mountPath: '/home/jovyan', name: 'drover-home' }]);
  assert.deepEqual(pod.spec!.volumes, [{ name: 'drover-home', emptyDir: {} }]);
  assert.deepEqual(c.ports, [{ containerPort: 8888, name: 'notebook-port', protocol: 'TCP' }]);
  assert.equal(c.command![0], `${VENV}/bin/jupyter`);
  assert.ok(c.command!.includes('--ServerApp.base_url=/notebook/team/lab'));
  assert.ok(c.command!.includes("--ServerApp.token="));
  assert.equal(pod.spec!.restartPolicy, 'Always');
});

test('a container that says what to run keeps it; an image Drover knows no environment for gets no command', () => {
  const own = notebookPod(nb('kubeflownotebookswg/jupyter-scipy:v1.9.0', {}, { command: ['jupyter', 'lab'], env: [{ name: 'HOME', value: '/work' }] }), VENV);
  assert.deepEqual(own.spec!.containers[0]!.command, ['jupyter', 'lab']);
  assert.equal(own.spec!.containers[0]!.env!.find((e) => e.name === 'HOME')!.value, '/work');
  const other = notebookPod(nb('my/server:1'), VENV);
  assert.equal(other.spec!.containers[0]!.command, undefined);
  assert.equal(other.spec!.containers[0]!.env!.find((e) => e.name === 'PATH'), undefined);
});

test('a pod whose template names no ServiceAccount runs as the one given (default-editor where pods call this API); a named one is kept; none given, the namespace\'s default applies', () => {
  assert.equal(notebookPod(nb('kubeflownotebookswg/jupyter-scipy:v1.9.0'), VENV, 'default-editor').spec!.serviceAccountName, 'default-editor');
  const own = { ...nb('kubeflownotebookswg/jupyter-scipy:v1.9.0') };
  own.spec = { template: { spec: { ...own.spec.template.spec, serviceAccountName: 'trainer' } } } as Notebook['spec'];
  assert.equal(notebookPod(own, VENV, 'default-editor').spec!.serviceAccountName, 'trainer');
  assert.equal(notebookPod(nb('kubeflownotebookswg/jupyter-scipy:v1.9.0'), VENV).spec!.serviceAccountName, undefined);
  // Not part of the template's hash: a server change of this default does not restart running notebooks.
  const n = nb('kubeflownotebookswg/jupyter-scipy:v1.9.0');
  assert.equal(notebookPod(n, VENV, 'default-editor').metadata.annotations!['drover.dev/notebook-template-hash'], notebookPod(n, VENV).metadata.annotations!['drover.dev/notebook-template-hash']);
});

function running(pod: Stored<Pod>): Stored<Pod> {
  return { ...pod, status: { phase: 'Running', podIP: '10.88.0.5', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }], containerStatuses: [{ name: 'lab', ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] } } as Stored<Pod>;
}

test('plan: create when missing; status from the pod; the stop annotation deletes it and empties the status; a changed template replaces it', () => {
  const n = nb('kubeflownotebookswg/jupyter-scipy:v1.9.0');
  const first = planNotebook({ nb: n, pod: undefined, jupyterEnv: VENV, now: 0 });
  assert.ok(first.create);
  assert.deepEqual(first.status, { conditions: [], readyReplicas: 0, containerState: {} });
  const pod = running(first.create!);
  const ok = planNotebook({ nb: n, pod, jupyterEnv: VENV, now: 0 });
  assert.equal(ok.create, undefined);
  assert.equal(ok.deletePod, false);
  assert.equal(ok.status.readyReplicas, 1);
  assert.deepEqual(ok.status.containerState, { running: { startedAt: '2026-01-01T00:00:00Z' } });
  assert.equal(ok.status.conditions[0]!.type, 'Ready');
  assert.equal(ok.status.conditions[0]!.lastProbeTime, '1970-01-01T00:00:00Z');

  const stopped = planNotebook({ nb: nb('kubeflownotebookswg/jupyter-scipy:v1.9.0', { annotations: { 'kubeflow-resource-stopped': 'true' } }), pod, jupyterEnv: VENV, now: 0 });
  assert.equal(stopped.deletePod, true);
  assert.equal(stopped.create, undefined);
  assert.deepEqual(stopped.status, { conditions: [], readyReplicas: 0, containerState: {} });
  assert.equal(planNotebook({ nb: nb('kubeflownotebookswg/jupyter-scipy:v1.9.0', { annotations: { 'kubeflow-resource-stopped': 'true' } }), pod: undefined, jupyterEnv: VENV, now: 0 }).create, undefined);

  const changed = planNotebook({ nb: nb('kubeflownotebookswg/jupyter-tensorflow:v1.9.0'), pod, jupyterEnv: VENV, now: 0 });
  assert.equal(changed.deletePod, true);
});
