import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
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

test("pods' bounds (pids, /tmp, log rotation, starts at once, starts a second) default to 4096, 1Gi, 10Mi x 5, 1 per CPU, none, from DROVER_* then config.yaml's pods", () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-config-'));
  try {
    assert.deepEqual(loadConfig({ home }, {}).pods, { pidsLimit: 4096, tmpBytes: 2 ** 30, logMaxBytes: 10 * 2 ** 20, logMaxFiles: 5, parallelStarts: availableParallelism(), startsPerSecond: 0 });
    writeFileSync(join(home, 'config.yaml'), 'pods: {pidsLimit: 1024, tmpSize: 256Mi, logMaxSize: 1Mi, logMaxFiles: 2, parallelStarts: 3, startsPerSecond: 5}\n');
    assert.deepEqual(loadConfig({ home }, {}).pods, { pidsLimit: 1024, tmpBytes: 256 * 2 ** 20, logMaxBytes: 2 ** 20, logMaxFiles: 2, parallelStarts: 3, startsPerSecond: 5 });
    const env = { DROVER_POD_PIDS_LIMIT: '0', DROVER_CONTAINER_TMP_SIZE: '2Gi', DROVER_CONTAINER_LOG_MAX_SIZE: '100M', DROVER_CONTAINER_LOG_MAX_FILES: '3', DROVER_POD_PARALLEL_STARTS: '8', DROVER_POD_STARTS_PER_SECOND: '0' };
    assert.deepEqual(loadConfig({ home }, env).pods, { pidsLimit: 0, tmpBytes: 2 * 2 ** 30, logMaxBytes: 100e6, logMaxFiles: 3, parallelStarts: 8, startsPerSecond: 0 });
    assert.throws(() => loadConfig({ home }, { DROVER_POD_PARALLEL_STARTS: '0' }), /DROVER_POD_PARALLEL_STARTS or pods.parallelStarts .* at least 1, got 0/);
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

test('retention, disk pressure and the server log default to Kubernetes-like bounds, from DROVER_* then config.yaml', () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-config-'));
  try {
    const d = loadConfig({ home }, {});
    assert.deepEqual(d.retention, { changeLogMaxAgeMs: 600_000, changeLogMaxBytes: 64 * 2 ** 20, terminatedPodThreshold: 12_500, eventTtlMs: 3_600_000, intervalMs: 30_000 });
    assert.deepEqual(d.diskPressure, { threshold: { bytes: 64 * 2 ** 20 }, checkIntervalMs: 10_000 });
    assert.deepEqual(d.serverLog, { maxBytes: 10 * 2 ** 20, maxFiles: 3 });
    writeFileSync(join(home, 'config.yaml'), 'terminatedPodGcThreshold: 100\neventTtl: 1h30m\nchangeLogMaxAge: 90s\nchangeLogMaxSize: 1Mi\ndiskPressure: {available: "10%", checkInterval: 2s}\nserverLog: {maxSize: 1Mi, maxFiles: 5}\n');
    const f = loadConfig({ home }, {});
    assert.equal(f.retention.terminatedPodThreshold, 100);
    assert.equal(f.retention.eventTtlMs, 5_400_000);
    assert.equal(f.retention.changeLogMaxAgeMs, 90_000);
    assert.equal(f.retention.changeLogMaxBytes, 2 ** 20);
    assert.deepEqual(f.diskPressure, { threshold: { percent: 10 }, checkIntervalMs: 2000 });
    assert.deepEqual(f.serverLog, { maxBytes: 2 ** 20, maxFiles: 5 });
    const e = loadConfig({ home }, { DROVER_DISK_PRESSURE_AVAILABLE: '1Gi', DROVER_EVENT_TTL: '600', DROVER_SERVER_LOG_FILE: 'server.log', DROVER_DISK_CHECK_INTERVAL: '250ms' });
    assert.deepEqual(e.diskPressure, { threshold: { bytes: 2 ** 30 }, checkIntervalMs: 250 });
    assert.equal(e.retention.eventTtlMs, 600_000);
    assert.equal(e.serverLog.file, join(home, 'server.log'));
    assert.throws(() => loadConfig({ home }, { DROVER_DISK_PRESSURE_AVAILABLE: '120%' }), /DROVER_DISK_PRESSURE_AVAILABLE must be a percentage from 0% to 100%/);
    assert.throws(() => loadConfig({ home }, { DROVER_EVENT_TTL: 'soon' }), /DROVER_EVENT_TTL must be a duration/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("notebooks: culling after 1440 minutes checked each minute by default; a bare number is minutes (Kubeflow's CULL_IDLE_TIME); env over config.yaml; the JupyterLab venv", () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-config-'));
  try {
    const d = loadConfig({ home }, { DROVER_JUPYTER_VENV: '/opt/jl' }).notebooks;
    assert.deepEqual(d, { cullIdleMs: 1440 * 60_000, checkPeriodMs: 60_000, jupyterEnv: '/opt/jl' });
    writeFileSync(join(home, 'config.yaml'), 'notebooks: {cullIdleTime: 30, idlenessCheckPeriod: 10s, jupyterEnv: /srv/jupyter}\n');
    assert.deepEqual(loadConfig({ home }, {}).notebooks, { cullIdleMs: 30 * 60_000, checkPeriodMs: 10_000, jupyterEnv: '/srv/jupyter' });
    assert.equal(loadConfig({ home }, { DROVER_NOTEBOOK_CULL_IDLE_TIME: '0' }).notebooks.cullIdleMs, 0);
    assert.equal(loadConfig({ home }, { DROVER_NOTEBOOK_CULL_IDLE_TIME: '2h' }).notebooks.cullIdleMs, 2 * 3_600_000);
    assert.throws(() => loadConfig({ home }, { DROVER_NOTEBOOK_IDLENESS_CHECK_PERIOD: '0' }), /must be more than 0/);
    assert.throws(() => loadConfig({ home }, { DROVER_NOTEBOOK_CULL_IDLE_TIME: 'soon' }), /DROVER_NOTEBOOK_CULL_IDLE_TIME must be a duration/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
