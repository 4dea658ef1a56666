/** Pure key rules and the Argo-shaped key layout. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { artifactKey, validateKey, ArtifactKeyInvalidError } from './index.js';
import { validatePrefix } from './keys.js';

test('artifactKey follows Argo\'s {{workflow.name}}/{{pod.name}}/<artifact>.tgz under the namespace', () => {
  assert.equal(artifactKey({ namespace: 'ml', workflow: 'train-abc12', node: 'train-abc12-fit-3141', artifact: 'model', archive: 'tgz' }), 'ml/train-abc12/train-abc12-fit-3141/model.tgz');
  assert.equal(artifactKey({ namespace: 'ml', workflow: 'train-abc12', node: 'train-abc12-fit-3141', artifact: 'metrics.json', archive: 'none' }), 'ml/train-abc12/train-abc12-fit-3141/metrics.json');
});

test('artifactKey refuses parts that would add or climb path segments', () => {
  for (const bad of [
    { namespace: '', workflow: 'w', node: 'n', artifact: 'a' },
    { namespace: 'ns', workflow: 'w/x', node: 'n', artifact: 'a' },
    { namespace: 'ns', workflow: 'w', node: '..', artifact: 'a' },
    { namespace: 'ns', workflow: 'w', node: 'n', artifact: '.' },
    { namespace: 'ns', workflow: 'w', node: 'n', artifact: '.drover-tmp-x' },
  ]) {
    assert.throws(() => artifactKey({ ...bad, archive: 'tgz' }), (e: unknown) => e instanceof ArtifactKeyInvalidError && e.code === 'ARTIFACT_KEY_INVALID', JSON.stringify(bad));
  }
});

test('validateKey accepts relative paths of named segments and says why it rejects the rest', () => {
  for (const ok of ['a', 'a/b/c.tgz', 'ns/wf/.hidden', 'ns/wf/a..b', 'ünïcode/ключ']) assert.equal(validateKey(ok), ok);
  const why = (k: string) => {
    try {
      validateKey(k);
      return 'accepted';
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.match(why('/abs'), /must be relative/);
  assert.match(why('a/../b'), /must not contain "\.\." segments/);
  assert.match(why('a//b'), /empty path segments/);
  assert.match(why(''), /must not be empty/);
  assert.match(why('x'.repeat(1025)), /at most 1024 bytes/);
  assert.equal(validatePrefix('ns/wf/'), 'ns/wf');
  assert.throws(() => validatePrefix('/'), ArtifactKeyInvalidError);
});
