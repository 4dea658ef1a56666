import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from './testkit.js';
import { applyPodSpecPatch, readPodSpecPatch } from './podspecpatch.js';

const wf = (patches: { wf?: string; template?: string }, params = 'cpu: 100m') => `
spec:
  entrypoint: main
  arguments:
    parameters:
${params.split('\n').map((l) => `    - {name: ${l.split(': ')[0]}, value: "${l.split(': ')[1]}"}`).join('\n')}
${patches.wf ? `  podSpecPatch: ${JSON.stringify(patches.wf)}` : ''}
  templates:
  - name: main
${patches.template ? `    podSpecPatch: ${JSON.stringify(patches.template)}` : ''}
    container: {image: busybox, command: [echo, hi], resources: {limits: {cpu: 1, memory: 1Gi}}, env: [{name: A, value: a}]}
`;

test('the workflow’s podSpecPatch and then the template’s, substituted, merge into the step’s pod as a strategic merge patch (containers and env by name)', () => {
  const sim = new Sim(
    wf(
      { wf: 'containers:\n  - name: main\n    resources:\n      limits:\n        memory: "{{workflow.parameters.mem}}"\n', template: '{"containers":[{"name":"main","resources":{"limits":{"cpu":"{{workflow.parameters.cpu}}"},"requests":{"cpu":"{{workflow.parameters.cpu}}"}},"env":[{"name":"B","value":"b"},{"name":"A","value":"z"}]}],"activeDeadlineSeconds":30}' },
      'cpu: 100m\nmem: 100Mi',
    ),
  );
  sim.pass();
  const pod = [...sim.pods.values()][0]!;
  const main = pod.spec!.containers[0]!;
  assert.deepEqual(main.resources, { limits: { cpu: '100m', memory: '100Mi' }, requests: { cpu: '100m' } });
  assert.deepEqual(main.env?.filter((e) => e.name === 'A' || e.name === 'B'), [{ name: 'A', value: 'z' }, { name: 'B', value: 'b' }]);
  assert.equal(pod.spec!.activeDeadlineSeconds, 30);
});

test('a podSpecPatch that changes what admission guards, names no container of the step, or holds a bad quantity errs the step naming the field; no pod is made', () => {
  const cases: [string, RegExp][] = [
    ['{"containers":[{"name":"main","securityContext":{"runAsUser":0}}]}', /podSpecPatch: containers\[0\]\.securityContext: not supported in a patch/],
    ['volumes: [{name: h, hostPath: {path: /}}]', /podSpecPatch: volumes: not supported in a patch/],
    ['hostNetwork: true', /podSpecPatch: hostNetwork: not supported/],
    ['{"containers":[{"name":"sidecar","resources":{}}]}', /no container named "sidecar"/],
    ['{"containers":[{"name":"main","resources":{"limits":{"memory":"-1Gi"}}}]}', /resources\.limits\.memory: invalid value "-1Gi"/],
    ['{"containers":[{"name":"main","resources":{"limits":{"cpu":"{{workflow.parameters.nope}}"}}}]}', /refers to a value that is not defined here/],
    ['[1, 2]', /expected a pod spec/],
    ['{"containers": [', /not YAML or JSON/],
  ];
  for (const [patch, message] of cases) {
    const sim = new Sim(wf({ template: patch }));
    const r = sim.pass();
    assert.equal(r.startPods.length, 0, patch);
    assert.equal(sim.node('wf').phase, 'Error', patch);
    assert.match(sim.node('wf').message ?? '', message, patch);
    assert.match(sim.node('wf').message ?? '', /^template "main": podSpecPatch/, patch);
  }
});

test('applying a patch keeps what it does not name and copies what it changes', () => {
  const spec = { containers: [{ name: 'main', image: 'x', resources: { limits: { cpu: '1' } } }, { name: 'other', image: 'y' }], nodeSelector: { a: '1' } };
  const next = applyPodSpecPatch(spec, readPodSpecPatch('', 'containers: [{name: main, resources: {requests: {memory: 1Gi}}}]\nnodeSelector: {b: "2"}'));
  assert.deepEqual(next.containers[0]!.resources, { limits: { cpu: '1' }, requests: { memory: '1Gi' } });
  assert.equal(next.containers[1], spec.containers[1]);
  assert.deepEqual(next.nodeSelector, { a: '1', b: '2' });
  assert.deepEqual(spec.containers[0]!.resources, { limits: { cpu: '1' } }, 'the spec given is not changed');
});
