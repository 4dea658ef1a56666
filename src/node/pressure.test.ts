import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeMonitor, STORE_SIZE_ANNOTATION, applyDiskState, sampleDisk, underPressure, type DiskSample } from './pressure.js';
import { SqliteStore } from '../store/index.js';
import { Scheduler } from '../scheduler/index.js';
import { KINDS } from '../registry.js';
import { silentLogger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import type { Event, KubeObject, Node, Pod, Stored } from '../api/types.js';

const MiB = 2 ** 20;

test('pressure is free space below a share of the file system or below a byte amount', () => {
  const s = { path: '/h', totalBytes: 100 * MiB, availableBytes: 9 * MiB };
  assert.equal(underPressure(s, { percent: 10 }), true);
  assert.equal(underPressure({ ...s, availableBytes: 11 * MiB }, { percent: 10 }), false);
  assert.equal(underPressure(s, { bytes: 8 * MiB }), false);
  assert.equal(underPressure(s, { bytes: 10 * MiB }), true);
  const real = sampleDisk(tmpdir());
  assert.ok(real.totalBytes > 0 && real.availableBytes >= 0 && real.availableBytes <= real.totalBytes);
});

test('the node is rewritten only when something changes: the condition, the taint, capacity, or the store by a tenth', () => {
  const node: Node = { metadata: { name: 'n' }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
  const sample: DiskSample = { path: '/h', totalBytes: 100 * MiB, availableBytes: 50 * MiB };
  const store = { path: '/h/state.db', fileBytes: 10 * MiB, walBytes: 0, freeBytes: 0, changeLogRows: 5, changeLogBytes: 1000, measured: 'x' };
  const state = { pressure: false, sample, threshold: { percent: 10 } };
  assert.equal(applyDiskState(node, state, store, 0), true);
  assert.equal(node.status?.conditions?.find((c) => c.type === 'DiskPressure')?.reason, 'KubeletHasNoDiskPressure');
  assert.equal(node.status?.capacity?.['ephemeral-storage'], String(100 * MiB));
  assert.equal(applyDiskState(node, state, { ...store, fileBytes: 10.5 * MiB }, 1000), false, 'half a MiB more is no news');
  assert.equal(applyDiskState(node, state, { ...store, fileBytes: 12 * MiB }, 2000), true);
  assert.equal(applyDiskState(node, { ...state, pressure: true }, undefined, 3000), true);
  assert.deepEqual(node.spec?.taints?.map((t) => `${t.key}:${t.effect}`), ['node.kubernetes.io/disk-pressure:NoSchedule']);
  assert.equal(JSON.parse(node.metadata!.annotations![STORE_SIZE_ANNOTATION]!).fileBytes, 12 * MiB);
});

test('under disk pressure a new pod stays Pending saying why, the node says so in its condition and events, and the pod is bound once space returns', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-pressure-'));
  const store = new SqliteStore(join(dir, 'state.db'), { kinds: KINDS });
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock: Clock = { now: () => now, setTimer: () => () => {} };
  let available = 50 * MiB;
  const monitor = new NodeMonitor({
    store, clock, logger: silentLogger, nodeName: 'n', path: dir, threshold: { percent: 10 }, intervalMs: 1000,
    sample: (path) => ({ path, totalBytes: 100 * MiB, availableBytes: available }),
    storeSize: () => ({ path: join(dir, 'state.db'), ...store.stats() }),
  });
  const scheduler = new Scheduler({ store, clock, logger: silentLogger });
  const nodeRef = { apiVersion: 'v1', kind: 'Node', namespace: '', name: 'n' };
  const podRef = { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'p' };
  const until = async (what: string, ok: () => Promise<boolean>) => {
    for (let i = 0; i < 300; i++) {
      if (await ok()) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`timed out waiting for ${what}`);
  };
  try {
    await store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } });
    await monitor.start();
    await scheduler.start();
    let node = (await store.get<Stored<Node>>(nodeRef))!;
    assert.equal(node.status?.conditions?.find((c) => c.type === 'DiskPressure')?.status, 'False');
    assert.ok(JSON.parse(node.metadata.annotations![STORE_SIZE_ANNOTATION]!).fileBytes > 0, 'the store size is on the node');

    available = 5 * MiB;
    now += 1000;
    await monitor.check();
    node = (await store.get<Stored<Node>>(nodeRef))!;
    const cond = node.status?.conditions?.find((c) => c.type === 'DiskPressure');
    assert.equal(cond?.status, 'True');
    assert.equal(cond?.reason, 'KubeletHasDiskPressure');
    assert.match(cond?.message ?? '', /5Mi of 100Mi \(5%\) available .* threshold nodefs.available<10%/);
    assert.equal(node.spec?.taints?.[0]?.key, 'node.kubernetes.io/disk-pressure');

    await store.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await until('the pod marked unschedulable', async () => (await store.get<Stored<Pod>>(podRef))?.status?.conditions?.some((c) => c.reason === 'Unschedulable') ?? false);
    const pod = (await store.get<Stored<Pod>>(podRef))!;
    assert.equal(pod.spec?.nodeName, undefined);
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message, '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }.');

    available = 40 * MiB;
    now += 1000;
    await monitor.check();
    await until('the pod bound once space returned', async () => (await store.get<Stored<Pod>>(podRef))?.spec?.nodeName === 'n');
    node = (await store.get<Stored<Node>>(nodeRef))!;
    assert.equal(node.spec?.taints, undefined);
    const events = (await store.list<Event & KubeObject>({ apiVersion: 'v1', kind: 'Event' })).items.filter((e) => e.involvedObject?.kind === 'Node').map((e) => e.reason);
    assert.deepEqual(events.sort(), ['NodeHasDiskPressure', 'NodeHasNoDiskPressure']);
  } finally {
    monitor.stop();
    scheduler.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a node update the disk refuses is not fatal: the monitor keeps its state and writes at the next check', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-pressure-'));
  const store = new SqliteStore(join(dir, 'state.db'), { kinds: KINDS });
  const clock: Clock = { now: () => Date.now(), setTimer: () => () => {} };
  let available = 1 * MiB;
  let refuse = true;
  const failing = new Proxy(store, {
    get(target, prop, recv) {
      if (prop === 'patch' && refuse) return async () => Promise.reject(new Error('database or disk is full'));
      const v = Reflect.get(target, prop, recv) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const monitor = new NodeMonitor({ store: failing, clock, logger: silentLogger, nodeName: 'n', path: dir, threshold: { bytes: 10 * MiB }, intervalMs: 1000, sample: (path) => ({ path, totalBytes: 100 * MiB, availableBytes: available }) });
  try {
    await store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: {} });
    await monitor.check();
    assert.equal(monitor.state()?.pressure, true);
    refuse = false;
    await monitor.check();
    const node = (await store.get<Stored<Node>>({ apiVersion: 'v1', kind: 'Node', namespace: '', name: 'n' }))!;
    assert.equal(node.status?.conditions?.find((c) => c.type === 'DiskPressure')?.status, 'True');
    available = 50 * MiB;
  } finally {
    monitor.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
