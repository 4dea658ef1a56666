import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './index.js';

test('the runtime comes from flags, then DROVER_RUNTIME and DROVER_KUBE_*, then config.yaml, else local', () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-config-'));
  try {
    assert.deepEqual(loadConfig({ home }, {}).runtime, { kind: 'local' });
    writeFileSync(join(home, 'config.yaml'), 'runtime: {kind: kubernetes, context: prod, namespace: ml, qps: 20}\n');
    assert.deepEqual(loadConfig({ home }, {}).runtime, { kind: 'kubernetes', context: 'prod', namespace: 'ml', qps: 20 });
    assert.deepEqual(loadConfig({ home }, { DROVER_KUBE_NAMESPACE: 'other', DROVER_KUBE_QPS: '5' }).runtime, { kind: 'kubernetes', context: 'prod', namespace: 'other', qps: 5 });
    assert.deepEqual(loadConfig({ home }, { DROVER_RUNTIME: 'local' }).runtime, { kind: 'local' });
    assert.deepEqual(loadConfig({ home, runtime: { kind: 'local' } }, {}).runtime, { kind: 'local' });
    assert.throws(() => loadConfig({ home }, { DROVER_RUNTIME: 'docker' }), /runtime "docker" \(DROVER_RUNTIME\) is not known: use local or kubernetes/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
