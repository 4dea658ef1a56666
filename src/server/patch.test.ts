import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';

const pod = () => ({
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'main', image: 'python', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], args: ['--lr', '0.1'] },
      { name: 'side', image: 'busybox' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
});

test('a JSON merge patch merges maps, deletes with null and replaces everything else, lists included (RFC 7386)', () => {
  const out = mergePatch(pod(), { metadata: { labels: { a: null, c: '3' } }, spec: { containers: [{ name: 'only' }] } }) as ReturnType<typeof pod>;
  assert.deepEqual(out.metadata.labels, { b: '2', c: '3' });
  assert.deepEqual(out.spec.containers, [{ name: 'only' }]);
  assert.deepEqual(mergePatch({ a: 1 }, 'x'), 'x');
});

test('a JSON patch applies add, replace, remove, move, copy and test in order, and fails whole on a bad operation (RFC 6902)', () => {
  const target = pod();
  const out = jsonPatch(target, [
    { op: 'add', path: '/metadata/labels/c', value: '3' },
    { op: 'replace', path: '/spec/containers/0/image', value: 'python:3.12' },
    { op: 'remove', path: '/spec/containers/1' },
    { op: 'add', path: '/spec/containers/0/args/-', value: '--fast' },
    { op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/d' },
    { op: 'move', from: '/metadata/labels/b', path: '/metadata/labels/e' },
    { op: 'test', path: '/metadata/name', value: 'p' },
    { op: 'add', path: '/metadata/annotations~1x', value: 'slash' },
  ]) as ReturnType<typeof pod> & Record<string, unknown>;
  assert.deepEqual(out.metadata.labels, { a: '1', c: '3', d: '1', e: '2' });
  assert.equal(out.spec.containers.length, 1);
  assert.equal(out.spec.containers[0]!.image, 'python:3.12');
  assert.deepEqual(out.spec.containers[0]!.args, ['--lr', '0.1', '--fast']);
  assert.equal((out.metadata as Record<string, unknown>)['annotations/x'], 'slash');
  assert.equal(target.metadata.labels.b, '2', 'the target is not changed');
  assert.throws(() => jsonPatch(pod(), [{ op: 'test', path: '/metadata/name', value: 'q' }]), PatchError);
  assert.throws(() => jsonPatch(pod(), [{ op: 'replace', path: '/metadata/nope', value: 1 }]), /does not exist/);
  assert.throws(() => jsonPatch(pod(), [{ op: 'remove', path: '/spec/containers/7' }]), /out of range/);
  assert.throws(() => jsonPatch(pod(), [{ op: 'frob', path: '/a' }]), /unknown op/);
  assert.throws(() => jsonPatch(pod(), { op: 'add' }), /list of operations/);
});

test('a strategic merge patch merges lists by their merge key: a container by name, its env by name, a scalar list replaced', () => {
  const out = strategicMergePatch(pod(), {
    spec: { containers: [{ name: 'main', image: 'python:3.12', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }], args: ['--lr', '0.2'] }] },
    metadata: { labels: { b: null, c: '3' }, finalizers: ['y'] },
  }) as ReturnType<typeof pod>;
  assert.deepEqual(out.spec.containers.map((c) => [c.name, c.image]), [['main', 'python:3.12'], ['side', 'busybox']]);
  assert.deepEqual(out.spec.containers[0]!.env, [{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }]);
  assert.deepEqual(out.spec.containers[0]!.args, ['--lr', '0.2']);
  assert.deepEqual(out.metadata.labels, { a: '1', c: '3' });
  assert.deepEqual(out.metadata.finalizers, ['x', 'y'], 'finalizers merge as a set');
});

test('strategic merge directives: $patch delete and replace, $setElementOrder, $deleteFromPrimitiveList, $retainKeys', () => {
  const out = strategicMergePatch(pod(), {
    spec: {
      containers: [{ name: 'side', $patch: 'delete' }, { name: 'extra', image: 'alpine' }],
      '$setElementOrder/containers': [{ name: 'extra' }, { name: 'main' }],
      volumes: [{ name: 'data', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/d' } }],
    },
    metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] },
  }) as ReturnType<typeof pod>;
  assert.deepEqual(out.spec.containers.map((c) => c.name), ['extra', 'main']);
  assert.deepEqual(out.spec.volumes, [{ name: 'data', hostPath: { path: '/d' } }], 'emptyDir cleared by $retainKeys');
  assert.deepEqual(out.metadata.finalizers, []);
  const replaced = strategicMergePatch(pod(), { spec: { containers: [{ $patch: 'replace' }, { name: 'solo', image: 'x' }] } }) as ReturnType<typeof pod>;
  assert.deepEqual(replaced.spec.containers, [{ name: 'solo', image: 'x' }]);
  const specReplaced = strategicMergePatch(pod(), { spec: { $patch: 'replace', containers: [] } }) as ReturnType<typeof pod>;
  assert.deepEqual(specReplaced.spec, { containers: [] });
  assert.throws(() => strategicMergePatch(pod(), { spec: { containers: [{ image: 'no-name' }] } }), /no name to merge by/);
  assert.throws(() => strategicMergePatch(pod(), { spec: { $patch: 'frob' } }), /unknown \$patch/);
});

test('a patch nested deeper than the API server allows is refused, not followed', () => {
  let deep: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < 200; i++) deep = { a: deep };
  assert.throws(() => mergePatch({}, deep), /nests too deeply/);
  assert.throws(() => strategicMergePatch({}, deep), /nests too deeply/);
});
