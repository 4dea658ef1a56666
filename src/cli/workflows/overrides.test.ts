import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, parseAllDocuments } from 'yaml';
import { declaredParameters, overrideWorkflowObject, overrideWorkflowText, templateRefsIn } from './overrides.js';
import { mergeParameters, parseParameter, parseParameterFile } from './params.js';

const HELLO = `# a comment that stays
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-   # and this one
spec:
  entrypoint: main
  arguments:
    parameters:
    - name: message
      value: hello world
    - name: script
      value: |
        echo one
        echo two
    - {name: count, value: "1"}
    - name: source
      valueFrom:
        configMapKeyRef: {name: cfg, key: src}
  templates:
  - name: main
    inputs:
      parameters:
      - name: message
      - name: extra
        default: x
    container:
      image: busybox
      command: [echo, "{{inputs.parameters.message}}"]
`;

const lines = (s: string) => s.split('\n');
const params = (text: string) => (parse(text) as { spec: { arguments: { parameters: { name: string; value?: string; valueFrom?: unknown }[] } } }).spec.arguments.parameters;

test('-p replaces values in place: every untouched line keeps its text and its number', () => {
  const out = overrideWorkflowText(HELLO, 'hello.yaml', { parameters: [['message', 'goodbye'], ['script', 'echo three'], ['count', '2'], ['source', 'here']] });
  const before = lines(HELLO);
  const after = lines(out);
  assert.equal(after.length, before.length, 'no line added or removed');
  const changed = before.map((l, i) => (l === after[i] ? -1 : i + 1)).filter((n) => n > 0);
  // message's value; the block scalar (its 3 lines become 1 and 2 blank ones); the flow item; valueFrom → value.
  assert.deepEqual(changed, [11, 13, 14, 15, 16, 18, 19]);
  assert.equal(after[10], '      value: "goodbye"');
  assert.equal(after[12], '      value: "echo three"');
  assert.equal(after[13], '');
  assert.equal(after[15], '    - {name: count, value: "2"}');
  assert.deepEqual(params(out), [
    { name: 'message', value: 'goodbye' }, { name: 'script', value: 'echo three' }, { name: 'count', value: '2' }, { name: 'source', value: 'here' },
  ]);
  assert.ok(out.includes('# a comment that stays') && out.includes('# and this one'));
  assert.equal(after.indexOf('  templates:'), before.indexOf('  templates:'), 'the templates (where errors are) did not move');
});

test('a value with newlines or quotes becomes one escaped line', () => {
  const out = overrideWorkflowText(HELLO, 'hello.yaml', { parameters: [['message', 'say "hi"\nthen: bye']] });
  assert.equal(params(out)[0]!.value, 'say "hi"\nthen: bye');
  assert.equal(lines(out).length, lines(HELLO).length);
});

test('an undeclared parameter is an error that names the declared ones', () => {
  assert.throws(
    () => overrideWorkflowText(HELLO, 'hello.yaml', { parameters: [['mesage', 'x']] }),
    { message: 'hello.yaml: parameter "mesage" is not declared by workflow "hello-" (declared parameters: message, script, count, source, extra)' },
  );
  const bare = 'kind: Workflow\nmetadata: {name: bare}\nspec:\n  entrypoint: main\n  templates: [{name: main, container: {image: x}}]\n';
  assert.throws(() => overrideWorkflowText(bare, 'bare.yaml', { parameters: [['a', '1']] }), /parameter "a" is not declared by workflow "bare" \(it declares no parameters\)/);
});

test('an input of the entrypoint not yet in arguments is added, on one line at the end of its map', () => {
  const out = overrideWorkflowText(HELLO, 'hello.yaml', { parameters: [['extra', 'y']] });
  assert.deepEqual(params(out).at(-1), { name: 'extra', value: 'y' });
  assert.equal(lines(out).length, lines(HELLO).length + 1);
  const noArgs = `kind: Workflow
metadata:
  name: w
spec:
  entrypoint: main
  templates:
  - name: main
    inputs: {parameters: [{name: p}]}
    container: {image: x}
`;
  const added = overrideWorkflowText(noArgs, 'w.yaml', { parameters: [['p', 'v']] });
  assert.deepEqual(params(added), [{ name: 'p', value: 'v' }]);
  assert.deepEqual(lines(added).slice(0, 9), lines(noArgs).slice(0, 9), 'arguments went after everything else in spec');
});

test('flow-style and JSON manifests are edited inside their braces, on the same line', () => {
  const json = JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'j' }, spec: { entrypoint: 'main', templates: [{ name: 'main', inputs: { parameters: [{ name: 'p' }] } }] } }, null, 2);
  const out = overrideWorkflowText(json, 'w.json', { parameters: [['p', 'v']], serviceAccount: 'runner' });
  const v = JSON.parse(out) as { spec: { serviceAccountName: string; arguments: unknown } };
  assert.equal(v.spec.serviceAccountName, 'runner');
  assert.deepEqual(v.spec.arguments, { parameters: [{ name: 'p', value: 'v' }] });
  assert.equal(lines(out).length, lines(json).length);
});

test('--name replaces generateName (and --generate-name a name); entrypoint and service account are set', () => {
  const out = overrideWorkflowText(HELLO, 'hello.yaml', { name: 'mine', entrypoint: 'other', serviceAccount: 'runner' });
  const v = parse(out) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  assert.deepEqual(v.metadata, { name: 'mine' });
  assert.equal(v.spec['entrypoint'], 'other');
  assert.equal(v.spec['serviceAccountName'], 'runner');
  assert.equal(lines(out)[4], '  name: "mine"   # and this one');
  const named = 'kind: Workflow\nmetadata:\n  name: fixed\n  labels: {a: b}\nspec: {entrypoint: main}\n';
  const gen = parse(overrideWorkflowText(named, 'n.yaml', { generateName: 'run-' })) as { metadata: Record<string, unknown> };
  assert.deepEqual(gen.metadata, { generateName: 'run-', labels: { a: 'b' } });
});

test('every Workflow of a multi-document file is edited; other kinds are refused with their line', () => {
  const two = `${HELLO}---\n${HELLO.replace('hello-', 'again-')}`;
  const out = overrideWorkflowText(two, 'two.yaml', { parameters: [['message', 'x']] });
  const docs = parseAllDocuments(out).map((d) => d.toJS() as { spec: { arguments: { parameters: { value: string }[] } } });
  assert.deepEqual(docs.map((d) => d.spec.arguments.parameters[0]!.value), ['x', 'x']);
  const mixed = `${HELLO}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n`;
  assert.throws(() => overrideWorkflowText(mixed, 'mixed.yaml', {}), { message: 'mixed.yaml:31: submit takes Workflow manifests, not ConfigMap (use "drover apply" or "drover create" for other kinds)' });
  const broken = 'kind: Workflow\nspec: [a\n';
  assert.equal(overrideWorkflowText(broken, 'bad.yaml', { parameters: [['a', '1']] }), broken, 'the server reports the syntax error, with its position');
});

test('a workflow that references a template is checked against the template\'s parameters', () => {
  const ref = 'kind: Workflow\nmetadata: {generateName: t-}\nspec:\n  workflowTemplateRef: {name: train}\n';
  assert.deepEqual(templateRefsIn(ref), [{ name: 'train', clusterScope: false }]);
  const lookup = (r: { name: string }) => (r.name === 'train' ? ['lr', 'epochs'] : undefined);
  const out = overrideWorkflowText(ref, 'ref.yaml', { parameters: [['lr', '0.1']] }, lookup);
  assert.deepEqual((parse(out) as { spec: unknown }).spec, { workflowTemplateRef: { name: 'train' }, arguments: { parameters: [{ name: 'lr', value: '0.1' }] } });
  assert.throws(() => overrideWorkflowText(ref, 'ref.yaml', { parameters: [['rate', '1']] }, lookup), /declared parameters: lr, epochs/);
  // A template that cannot be read is not checked here: the server reports what is wrong with it.
  assert.doesNotThrow(() => overrideWorkflowText(ref, 'ref.yaml', { parameters: [['rate', '1']] }, () => undefined));
});

test('parameters: NAME=VALUE splits at the first =, files give maps, later values win', async () => {
  assert.deepEqual(parseParameter('expr=a=b'), ['expr', 'a=b']);
  assert.deepEqual(parseParameter('empty='), ['empty', '']);
  assert.throws(() => parseParameter('novalue'), /expected parameter of the form: NAME=VALUE. Received: novalue/);
  assert.deepEqual(await parseParameterFile('a: 1\nb: text\nc: [1, 2]\n', 'p.yaml'), [['a', '1'], ['b', 'text'], ['c', '[1,2]']]);
  await assert.rejects(parseParameterFile('- a\n', 'p.yaml'), /p\.yaml: a parameter file must be a map/);
  assert.deepEqual(mergeParameters([['a', '1'], ['b', '2']], [['a', '3']]), [['a', '3'], ['b', '2']]);
});

test('declared parameters are the arguments and the entrypoint inputs; --from objects get the same overrides', () => {
  const spec = { entrypoint: 'main', arguments: { parameters: [{ name: 'a' }] }, templates: [{ name: 'main', inputs: { parameters: [{ name: 'b' }, { name: 'a' }] } }, { name: 'other', inputs: { parameters: [{ name: 'c' }] } }] };
  assert.deepEqual(declaredParameters(spec), ['a', 'b']);
  assert.deepEqual(declaredParameters(spec, 'other'), ['a', 'c']);
  const wf = { metadata: { generateName: 'nightly-' } as Record<string, unknown>, spec: { ...structuredClone(spec), arguments: { parameters: [{ name: 'a', valueFrom: { supplied: {} } }] } } as Record<string, unknown> };
  overrideWorkflowObject(wf, { parameters: [['a', '1'], ['b', '2']], name: 'now' }, ['a', 'b'], 'cronworkflow "nightly"');
  assert.deepEqual(wf.metadata, { name: 'now' });
  assert.deepEqual((wf.spec['arguments'] as { parameters: unknown }).parameters, [{ name: 'a', value: '1' }, { name: 'b', value: '2' }]);
  assert.throws(() => overrideWorkflowObject(wf, { parameters: [['z', '1']] }, ['a'], 'cronworkflow "nightly"'), {
    message: 'parameter "z" is not declared by cronworkflow "nightly" (declared parameters: a)',
  });
});
