/**
 * Argo Workflows end to end, data between steps: volumes and volumeClaimTemplates, artifacts (tgz,
 * archive none, raw, optional, in DAGs), and reuse through WorkflowTemplate,
 * ClusterWorkflowTemplate and templateDefaults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod as KubePod } from '../src/api/index.js';
import { d, dir, pvc, create, getWf, summary, waitFor, waitDone, node, podsOf, claimLines, useWorkflowServer, printed } from './workflow-harness.js';

useWorkflowServer();

// ---- volumes -----------------------------------------------------------------------------------

test('volumeClaimTemplates: a claim <workflow>-<name> exists while the workflow runs, carries files between steps, and is deleted after', async () => {
  await create(
    'vct.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: vct }
spec:
  entrypoint: main
  volumeClaimTemplates:
    - metadata: { name: work }
      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
  templates:
    - name: main
      steps:
        - - { name: write, template: write }
        - - { name: read, template: read }
    - name: write
      container:
        image: alpine
        command: [sh, -c, 'echo "from write" > /work/data.txt; sleep 0.8']
        volumeMounts: [{ name: work, mountPath: /work }]
    - name: read
      container:
        image: alpine
        command: [sh, -c, 'cat /work/data.txt']
        volumeMounts: [{ name: work, mountPath: /work }]
`,
  );
  const claim = await waitFor('the claim vct-work', async () => {
    const r = await d.cli(['get', 'pvc', 'vct-work', '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as { metadata: { labels?: Record<string, string> }; status?: { phase?: string } }) : undefined;
  });
  assert.equal(claim.metadata.labels?.['workflows.argoproj.io/workflow'], 'vct');
  assert.equal((await getWf('vct'))?.status?.phase, 'Running', 'the claim exists while the workflow runs');
  const wf = await waitDone('vct');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(await printed(wf, 'read'), 'from write');
  await waitFor('the claim vct-work to be deleted', async () => (await d.cli(['get', 'pvc', 'vct-work'])).code !== 0, 10_000);
});

test('spec.volumes with an existing claim, and per-template volumeMounts: only the template that mounts it sees it', async () => {
  await create(
    'existing.yaml',
    pvc('existing-data') +
      `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: existing }
spec:
  entrypoint: main
  volumes:
    - name: data
      persistentVolumeClaim: { claimName: existing-data }
  templates:
    - name: main
      steps:
        - - { name: write, template: write }
        - - { name: mounted, template: look-mounted }
          - { name: unmounted, template: look-unmounted }
    - name: write
      container:
        image: alpine
        command: [sh, -c, 'echo "saved by {{workflow.name}}" > /data/out.txt']
        volumeMounts: [{ name: data, mountPath: /data }]
    - name: look-mounted
      container:
        image: alpine
        command: [sh, -c, 'if [ -e /data/out.txt ]; then cat /data/out.txt; else echo unseen; fi']
        volumeMounts: [{ name: data, mountPath: /data, readOnly: true }]
    - name: look-unmounted
      container:
        image: alpine
        command: [sh, -c, 'if [ -e /data/out.txt ]; then cat /data/out.txt; else echo unseen; fi']
`,
  );
  const wf = await waitDone('existing');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(await printed(wf, 'mounted'), 'saved by existing');
  assert.equal(await printed(wf, 'unmounted'), 'unseen');
  assert.deepEqual(claimLines('existing-data', 'out.txt'), ['saved by existing'], 'the file is on the claim on the host');
  assert.equal((await d.cli(['get', 'pvc', 'existing-data'])).code, 0, 'an existing claim is kept after the workflow');
});

test('a template\'s init containers and sidecars: the init container fills a volume before the step, the sidecar serves it beside the step and is stopped after; a failed init container fails the step', async () => {
  const serve = "import functools, http.server as h; h.ThreadingHTTPServer(('127.0.0.1', 8765), functools.partial(h.SimpleHTTPRequestHandler, directory='/data')).serve_forever()";
  const fetch = "import time, urllib.request as u\nfor _ in range(200):\n  try:\n    print(u.urlopen('http://127.0.0.1:8765/model.txt').read().decode().strip()); break\n  except OSError: time.sleep(0.05)";
  await create(
    'sidecars.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: sidecars }
spec:
  entrypoint: main
  volumes: [{ name: shared, emptyDir: {} }]
  templates:
    - name: main
      steps:
        - - { name: served, template: served }
          - { name: broken, template: broken }
    - name: served
      initContainers:
        - { name: fetch, image: busybox, command: [sh, -c, 'echo "weights v1" > /data/model.txt'], mirrorVolumeMounts: true }
      sidecars:
        - { name: server, image: python:3.12, command: [python3, -c, ${JSON.stringify(serve)}], mirrorVolumeMounts: true }
      container:
        image: python:3.12
        command: [python3, -c, ${JSON.stringify(fetch)}]
        volumeMounts: [{ name: shared, mountPath: /data }]
    - name: broken
      initContainers:
        - { name: setup, image: busybox, command: [sh, -c, 'echo no credentials >&2; exit 3'] }
      container: { image: busybox, command: [echo, never] }
`,
  );
  const wf = await waitDone('sidecars');
  assert.equal(wf.status?.phase, 'Failed', summary(wf));
  const served = node(wf, 'served');
  assert.equal(served.phase, 'Succeeded', summary(wf));
  assert.equal(await printed(wf, 'served'), 'weights v1', 'the step read, through the sidecar, what the init container wrote');
  const pods = (await podsOf('sidecars')) as unknown as KubePod[];
  const pod = pods.find((p) => p.metadata?.annotations?.['workflows.argoproj.io/node-name'] === 'sidecars[0].served')!;
  assert.deepEqual(pod.spec?.initContainers?.map((c) => [c.name, c.restartPolicy ?? '', c.volumeMounts?.map((m) => m.mountPath).join()]), [['fetch', '', '/data'], ['server', 'Always', '/data']], 'mirrorVolumeMounts gave both the step\'s mount');
  assert.ok(pod.status?.initContainerStatuses?.every((s) => s.state?.terminated), 'the sidecar was stopped once the step ended');
  const broken = node(wf, 'broken');
  assert.equal(broken.phase, 'Failed');
  const brokenPod = pods.find((p) => p.metadata?.annotations?.['workflows.argoproj.io/node-name'] === 'sidecars[0].broken')!;
  assert.equal(brokenPod.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 3);
  assert.equal(brokenPod.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing', 'the step itself never ran');
  assert.equal(broken.message, 'init container setup: Error (exit code 3)');
});

test('a daemon step: the steps after it start once its pod is ready (its readiness probe), reach it at {{steps.NAME.ip}}, and it is stopped, Succeeded, when its steps template ends', async () => {
  // The server listens only after a second: a client let through before the probe passed would fail.
  const serve = "import time, http.server as h\ntime.sleep(1)\nh.ThreadingHTTPServer(('0.0.0.0', 8765), h.SimpleHTTPRequestHandler).serve_forever()";
  await create(
    'daemon.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: daemon }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: scope, template: with-server }
        - - { name: after, template: done }
    - name: with-server
      steps:
        - - { name: server, template: http }
        - - name: client
            template: fetch
            arguments: { parameters: [{ name: ip, value: "{{steps.server.ip}}" }] }
    - name: http
      daemon: true
      container:
        image: python:3.12
        command: [python3, -c, ${JSON.stringify(serve)}]
        workingDir: /tmp
        readinessProbe: { tcpSocket: { port: 8765 }, periodSeconds: 1 }
    - name: fetch
      inputs: { parameters: [{ name: ip }] }
      container:
        image: python:3.12
        command: [python3, -c, "import urllib.request as u; print(u.urlopen('http://{{inputs.parameters.ip}}:8765/').status)"]
    - name: done
      container: { image: busybox, command: [echo, done] }
`,
  );
  const wf = await waitDone('daemon');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(await printed(wf, 'client'), '200', 'the client reached the daemon once it was ready');
  const server = node(wf, 'server');
  assert.equal(server.phase, 'Succeeded');
  assert.equal(server.daemoned, undefined, 'no longer a running daemon');
  assert.match(server.podIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  assert.ok(Date.parse(server.finishedAt!) <= Date.parse(node(wf, 'after').startedAt!), 'stopped when its steps template ended, before the next step');
  await waitFor('the daemon\'s pod to go', async () => ((await podsOf('daemon')).some((p) => p.metadata?.annotations?.['workflows.argoproj.io/node-name'] === 'daemon[0].scope[0].server') ? undefined : true));
});

test('resource templates: create (owned by the workflow) and wait for a Job\'s successCondition, patch and delete by flags, outputs by jsonPath and jqFilter; a failureCondition, a privileged pod and a cluster-scoped kind fail their steps', async () => {
  // A Job manifest as a literal block under `manifest: |` (ten spaces in).
  const job = (name: string, code: number) =>
    [
      'apiVersion: batch/v1',
      'kind: Job',
      `metadata: { generateName: ${name}- }`,
      'spec:',
      '  backoffLimit: 0',
      '  template:',
      '    spec:',
      '      restartPolicy: Never',
      `      containers: [{ name: main, image: python:3.12, command: [python3, -c, "import sys; print('trained'); sys.exit(${code})"] }]`,
    ].join('\n          ');
  await create(
    'resources.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: resources }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: make-config, template: make-config }
          - { name: train, template: train }
        - - name: patch-config
            template: patch-config
            arguments: { parameters: [{ name: cm, value: "{{steps.make-config.outputs.parameters.name}}" }] }
        - - name: drop-config
            template: drop-config
            arguments: { parameters: [{ name: cm, value: "{{steps.make-config.outputs.parameters.name}}" }] }
        - - { name: failing, template: failing, continueOn: { failed: true } }
          - { name: privileged, template: privileged, continueOn: { failed: true } }
          - { name: cluster-scoped, template: cluster-scoped, continueOn: { failed: true } }
    - name: make-config
      resource:
        action: create
        manifest: |
          apiVersion: v1
          kind: ConfigMap
          metadata: { generateName: params- }
          data: { lr: "0.1" }
      outputs: { parameters: [{ name: name, valueFrom: { jsonPath: "{.metadata.name}" } }] }
    - name: train
      resource:
        action: create
        setOwnerReference: true
        successCondition: status.succeeded > 0
        failureCondition: status.failed > 0
        manifest: |
          ${job('train', 0)}
      outputs: { parameters: [{ name: job, valueFrom: { jqFilter: .metadata.name } }] }
    - name: patch-config
      inputs: { parameters: [{ name: cm }] }
      resource:
        action: patch
        mergeStrategy: merge
        flags: [configmap, "{{inputs.parameters.cm}}"]
        manifest: |
          data: { epochs: "3" }
    - name: drop-config
      inputs: { parameters: [{ name: cm }] }
      outputs: { parameters: [{ name: epochs, valueFrom: { jsonPath: "{.data.epochs}" } }] }
      resource:
        action: delete
        manifest: |
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: "{{inputs.parameters.cm}}" }
    - name: failing
      resource:
        action: create
        successCondition: status.succeeded > 0
        failureCondition: status.failed > 0
        manifest: |
          ${job('broken', 3)}
    - name: privileged
      resource:
        action: create
        manifest: |
          apiVersion: v1
          kind: Pod
          metadata: { name: root-shell }
          spec: { containers: [{ name: sh, image: busybox, securityContext: { privileged: true } }] }
    - name: cluster-scoped
      resource:
        action: create
        manifest: |
          apiVersion: v1
          kind: Namespace
          metadata: { name: elsewhere }
`,
  );
  const wf = await waitDone('resources', 60_000);
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  const cm = node(wf, 'make-config').outputs?.parameters?.[0]?.value ?? '';
  assert.match(cm, /^params-[a-z0-9]{5}$/);
  assert.equal(node(wf, 'make-config').message, `configmap/${cm} created`);
  const jobName = node(wf, 'train').outputs?.parameters?.[0]?.value ?? '';
  assert.match(jobName, /^train-/);
  const trained = await d.json<{ status: { succeeded?: number }; metadata: { ownerReferences?: { kind: string; name: string }[] } }>(['get', 'job', jobName]);
  assert.equal(trained.status.succeeded, 1, 'the step waited for the Job to succeed');
  assert.deepEqual(trained.metadata.ownerReferences?.map((r) => [r.kind, r.name]), [['Workflow', 'resources']]);
  assert.equal(node(wf, 'patch-config').message, `configmap/${cm} patched`);
  assert.equal(node(wf, 'drop-config').message, `configmap/${cm} deleted`);
  assert.equal(node(wf, 'drop-config').outputs?.parameters?.[0]?.value, '3', 'the patch had merged epochs in');
  assert.notEqual((await d.cli(['get', 'configmap', cm])).code, 0, 'deleted');
  assert.deepEqual([node(wf, 'failing').phase, node(wf, 'failing').message], ['Failed', 'failure condition met: status.failed > 0']);
  assert.match(node(wf, 'privileged').message ?? '', /spec\.containers\[0\]\.securityContext\.privileged: privileged containers are not allowed/);
  assert.notEqual((await d.cli(['get', 'pod', 'root-shell'])).code, 0, 'the privileged pod was never made');
  assert.match(node(wf, 'cluster-scoped').message ?? '', /Namespace is cluster-scoped; a resource template acts only in its workflow's namespace/);
});

// ---- artifacts -----------------------------------------------------------------------------------

test('artifacts: a directory (tgz by default), a single file and a directory (archive none, a key per file) pass to the next step, subPath picks a file of a directory; a raw input artifact is written', async () => {
  await create(
    'artifacts.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: artifacts }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: gen, template: gen }
        - - name: use
            template: use
            arguments:
              artifacts:
                - { name: dir, from: "{{steps.gen.outputs.artifacts.out}}" }
                - { name: file, from: "{{steps.gen.outputs.artifacts.single}}" }
                - { name: tree, from: "{{steps.gen.outputs.artifacts.tree}}" }
                - { name: leaf, from: "{{steps.gen.outputs.artifacts.tree}}", subPath: sub/b.txt }
    - name: gen
      container:
        image: alpine
        command: [sh, -c, 'mkdir -p /tmp/out/sub && echo alpha > /tmp/out/a.txt && echo beta > /tmp/out/sub/b.txt && echo solo > /tmp/single.txt']
      outputs:
        artifacts:
          - { name: out, path: /tmp/out }
          - { name: single, path: /tmp/single.txt, archive: { none: {} } }
          - { name: tree, path: /tmp/out, archive: { none: {} } }
    - name: use
      inputs:
        artifacts:
          - { name: dir, path: /tmp/in }
          - { name: file, path: /tmp/file.txt }
          - { name: tree, path: /tmp/tree }
          - { name: leaf, path: /tmp/leaf.txt }
          - name: notes
            path: /tmp/notes.txt
            raw:
              data: |
                raw line 1
                raw line 2
      container:
        image: alpine
        command: [sh, -c, 'cat /tmp/in/a.txt /tmp/in/sub/b.txt /tmp/file.txt /tmp/notes.txt /tmp/tree/a.txt /tmp/tree/sub/b.txt /tmp/leaf.txt']
`,
  );
  const wf = await waitDone('artifacts');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(await printed(wf, 'use'), 'alpha\nbeta\nsolo\nraw line 1\nraw line 2\nalpha\nbeta\nbeta');
  const outs = node(wf, 'gen').outputs?.artifacts ?? [];
  const out = outs.find((a) => a.name === 'out');
  const single = outs.find((a) => a.name === 'single');
  assert.ok(out && single, JSON.stringify(outs));
  assert.match(JSON.stringify(out), /\.tgz"/, 'a directory is stored as tgz');
  assert.doesNotMatch(JSON.stringify(single), /\.tgz"/, 'archive: none stores the file itself');
  const tree = outs.find((a) => a.name === 'tree') as { key?: string } | undefined;
  assert.match(tree?.key ?? '', /\/tree$/, 'an unarchived directory is recorded by its key');
  const repo = join(d.home, 'artifacts');
  const stored = (p: string) => existsSync(join(repo, tree!.key!, p));
  assert.ok(stored('a.txt') && stored('sub/b.txt'), `a key per file under ${tree?.key}`);
});

test('archiveLogs: a step\'s log (stdout and stderr) is kept in the repository as its main-logs artifact, by the template\'s archiveLocation or the workflow\'s archiveLogs', async () => {
  await create(
    'archived.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: archived }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - { name: kept, template: kept }
          - { name: plain, template: plain }
    - name: kept
      archiveLocation: { archiveLogs: true }
      container: { image: busybox, command: [sh, -c, 'echo to stdout; echo to stderr >&2'] }
    - name: plain
      container: { image: busybox, command: [echo, not kept] }
`,
  );
  const wf = await waitDone('archived');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  const logs = node(wf, 'kept').outputs?.artifacts?.find((a) => a.name === 'main-logs') as { key?: string } | undefined;
  assert.match(logs?.key ?? '', /\/main\.log$/, JSON.stringify(node(wf, 'kept').outputs));
  // Both streams, in whichever order they reached the log (stdout passes through the step's tee).
  assert.deepEqual(readFileSync(join(d.home, 'artifacts', logs!.key!), 'utf8').split('\n').sort(), ['', 'to stderr', 'to stdout']);
  assert.equal(node(wf, 'plain').outputs?.artifacts, undefined, 'not asked for: not kept');
});

test('artifacts: a missing optional output does not fail the step; a missing required one does', async () => {
  await create(
    'artifacts-missing.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: art-optional }
spec:
  entrypoint: gen
  templates:
    - name: gen
      container: { image: alpine, command: [sh, -c, 'echo nothing written'] }
      outputs:
        artifacts:
          - { name: maybe, path: /tmp/maybe.txt, optional: true }
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: art-required }
spec:
  entrypoint: gen
  templates:
    - name: gen
      container: { image: alpine, command: [sh, -c, 'echo nothing written'] }
      outputs:
        artifacts:
          - { name: needed, path: /tmp/needed.txt }
`,
  );
  const optional = await waitDone('art-optional');
  assert.equal(optional.status?.phase, 'Succeeded', summary(optional));
  assert.equal(node(optional, 'art-optional').outputs?.artifacts, undefined);
  const required = await waitDone('art-required');
  assert.notEqual(required.status?.phase, 'Succeeded', summary(required));
  const n = node(required, 'art-required');
  assert.ok(n.phase === 'Failed' || n.phase === 'Error', n.phase);
  assert.match(n.message ?? '', /needed|\/tmp\/needed\.txt/);
});

test('artifacts in a DAG: {{tasks.X.outputs.artifacts.Y}} passes a file to a dependent task', async () => {
  await create(
    'dag-artifacts.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: dag-artifacts }
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - { name: make, template: make }
          - name: consume
            depends: make
            template: consume
            arguments:
              artifacts: [{ name: model, from: "{{tasks.make.outputs.artifacts.model}}" }]
    - name: make
      script:
        image: python:3.12
        command: [python3]
        source: |
          import json
          json.dump({"weights": [1, 2, 3]}, open("/tmp/model.json", "w"))
      outputs:
        artifacts: [{ name: model, path: /tmp/model.json }]
    - name: consume
      inputs:
        artifacts: [{ name: model, path: /work/model.json }]
      script:
        image: python:3.12
        command: [python3]
        source: |
          import json
          print(sum(json.load(open("/work/model.json"))["weights"]))
`,
  );
  const wf = await waitDone('dag-artifacts');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(await printed(wf, 'consume'), '6');
  assert.equal(node(wf, 'consume').inputs?.artifacts?.[0]?.name, 'model');
});

// ---- reuse: WorkflowTemplate, ClusterWorkflowTemplate, templateDefaults ---------------------------

test('reuse: templateRef into a WorkflowTemplate and (clusterScope) a ClusterWorkflowTemplate; workflowTemplateRef with an argument override', async () => {
  await create(
    'library.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: { name: lib }
spec:
  templates:
    - name: greet
      inputs: { parameters: [{ name: who }] }
      container: { image: alpine, command: [echo, "hello {{inputs.parameters.who}}"] }
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata: { name: cluster-lib }
spec:
  templates:
    - name: shout
      inputs: { parameters: [{ name: word }] }
      script:
        image: python:3.12
        command: [python3]
        source: print("{{inputs.parameters.word}}".upper())
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: { name: whole }
spec:
  entrypoint: main
  arguments:
    parameters: [{ name: msg, value: from-template }]
  templates:
    - name: main
      container: { image: alpine, command: [echo, "msg={{workflow.parameters.msg}}"] }
`,
  );
  await create(
    'uses-library.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: uses-lib }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: hi
            templateRef: { name: lib, template: greet }
            arguments: { parameters: [{ name: who, value: drover }] }
          - name: loud
            templateRef: { name: cluster-lib, template: shout, clusterScope: true }
            arguments: { parameters: [{ name: word, value: quiet }] }
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: from-whole }
spec:
  workflowTemplateRef: { name: whole }
  arguments:
    parameters: [{ name: msg, value: overridden }]
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: from-whole-default }
spec:
  workflowTemplateRef: { name: whole }
`,
  );
  const wf = await waitDone('uses-lib');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(await printed(wf, 'hi'), 'hello drover');
  assert.equal(node(wf, 'hi').templateName, 'greet');
  assert.equal(await printed(wf, 'loud'), 'QUIET');
  const whole = await waitDone('from-whole');
  assert.equal(whole.status?.phase, 'Succeeded', summary(whole));
  assert.equal(await printed(whole, 'from-whole'), 'msg=overridden');
  const byDefault = await waitDone('from-whole-default');
  assert.equal(await printed(byDefault, 'from-whole-default'), 'msg=from-template');
});

test('a templateRef to a missing WorkflowTemplate errors the step with the name it looked for', async () => {
  await create(
    'missing-ref.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: missing-ref }
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: hi
            templateRef: { name: no-such-lib, template: greet }
`,
  );
  const wf = await waitDone('missing-ref');
  assert.ok(wf.status?.phase === 'Error' || wf.status?.phase === 'Failed', summary(wf));
  assert.match(JSON.stringify(wf.status), /no-such-lib/);
  assert.equal((await podsOf('missing-ref')).length, 0);
});

test('templateDefaults: a default container’s env is merged by name with the template’s env (strategic merge, as Argo does)', async () => {
  await create(
    'defaults-env.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: defaults-env }
spec:
  entrypoint: greet
  templateDefaults:
    container:
      name: main
      env: [{ name: GREETING, value: hola }, { name: NAME, value: nadie }]
  templates:
    - name: greet
      container:
        image: alpine
        command: [sh, -c, 'echo "$GREETING $NAME"']
        env: [{ name: NAME, value: mundo }]
`,
  );
  const wf = await waitDone('defaults-env');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(await printed(wf, 'defaults-env'), 'hola mundo', 'GREETING from the defaults, NAME from the template');
});

test('templateDefaults: a default container without a name is accepted, as Argo accepts it', async () => {
  await create(
    'defaults-noname.yaml',
    `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: defaults-noname }
spec:
  entrypoint: greet
  templateDefaults:
    container:
      env: [{ name: GREETING, value: hola }]
  templates:
    - name: greet
      container: { image: alpine, command: [sh, -c, 'echo "$GREETING"'] }
`,
  );
  const wf = await waitDone('defaults-noname');
  assert.equal(wf.status?.phase, 'Succeeded', summary(wf));
  assert.equal(await printed(wf, 'defaults-noname'), 'hola');
});
