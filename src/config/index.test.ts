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

test("pods' bounds (pids, /tmp, log rotation) default to 4096, 1Gi, 10Mi x 5, from DROVER_* then config.yaml's pods", () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-config-'));
  try {
    assert.deepEqual(loadConfig({ home }, {}).pods, { pidsLimit: 4096, tmpBytes: 2 ** 30, logMaxBytes: 10 * 2 ** 20, logMaxFiles: 5 });
    writeFileSync(join(home, 'config.yaml'), 'pods: {pidsLimit: 1024, tmpSize: 256Mi, logMaxSize: 1Mi, logMaxFiles: 2}\n');
    assert.deepEqual(loadConfig({ home }, {}).pods, { pidsLimit: 1024, tmpBytes: 256 * 2 ** 20, logMaxBytes: 2 ** 20, logMaxFiles: 2 });
    const env = { DROVER_POD_PIDS_LIMIT: '0', DROVER_CONTAINER_TMP_SIZE: '2Gi', DROVER_CONTAINER_LOG_MAX_SIZE: '100M', DROVER_CONTAINER_LOG_MAX_FILES: '3' };
    assert.deepEqual(loadConfig({ home }, env).pods, { pidsLimit: 0, tmpBytes: 2 * 2 ** 30, logMaxBytes: 100e6, logMaxFiles: 3 });
    assert.throws(() => loadConfig({ home }, { DROVER_CONTAINER_LOG_MAX_SIZE: 'lots' }), /DROVER_CONTAINER_LOG_MAX_SIZE must be a quantity/);
    assert.throws(() => loadConfig({ home }, { DROVER_CONTAINER_LOG_MAX_FILES: '0' }), /at least 1/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('podSecurity: uid 65534 and nothing privileged by default; env over config.yaml; an allowed hostPath may not reach the home', () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-config-'));
  try {
    assert.deepEqual(loadConfig({ home }, {}).podSecurity, { runAsUser: 65534, runAsGroup: 65534, privilegedNamespaces: [], allowedHostPaths: [] });
    writeFileSync(join(home, 'config.yaml'), 'podSecurity: {runAsUser: 1000, runAsGroup: 1000, privilegedNamespaces: [ops], allowedHostPaths: [/data/shared/]}\n');
    assert.deepEqual(loadConfig({ home }, {}).podSecurity, { runAsUser: 1000, runAsGroup: 1000, privilegedNamespaces: ['ops'], allowedHostPaths: ['/data/shared'] });
    assert.deepEqual(loadConfig({ home }, { DROVER_POD_UID: '4242', DROVER_PRIVILEGED_NAMESPACES: 'a, b', DROVER_ALLOWED_HOST_PATHS: '/x' }).podSecurity, { runAsUser: 4242, runAsGroup: 1000, privilegedNamespaces: ['a', 'b'], allowedHostPaths: ['/x'] });
    assert.throws(() => loadConfig({ home }, { DROVER_ALLOWED_HOST_PATHS: '/' }), /would let pods reach Drover's home/);
    assert.throws(() => loadConfig({ home }, { DROVER_ALLOWED_HOST_PATHS: join(home, 'claims') }), /would let pods reach Drover's home/);
    assert.throws(() => loadConfig({ home }, { DROVER_ALLOWED_HOST_PATHS: 'data' }), /must be an absolute path/);
    assert.throws(() => loadConfig({ home }, { DROVER_POD_UID: '-1' }), /must be a uid/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
