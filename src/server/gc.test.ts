import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GarbageCollector } from './gc.js';
import { SqliteStore } from '../store/index.js';
import { KINDS } from '../registry.js';
import { silentLogger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import type { KubeObject } from '../api/types.js';

async function withGc(retention: { terminatedPodThreshold?: number; eventTtlMs?: number }, fn: (o: { store: SqliteStore; gc: GarbageCollector; tick: (ms: number) => void }) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-gc-'));
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock: Clock = { now: () => now, setTimer: () => () => {} };
  const store = new SqliteStore(join(dir, 'state.db'), { kinds: KINDS, now: () => now });
  const gc = new GarbageCollector({
    store, clock, logger: silentLogger, maintainStore: () => store.maintain(),
    retention: { changeLogMaxAgeMs: 0, changeLogMaxBytes: 0, terminatedPodThreshold: 0, eventTtlMs: 0, intervalMs: 1000, ...retention },
  });
  try {
    await fn({ store, gc, tick: (ms) => (now += ms) });
  } finally {
    gc.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Owner = { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean };
const ownerOf = (o: KubeObject): Owner => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name!, uid: o.metadata.uid!, controller: true });
const pod = (name: string, phase: string, owner?: Owner): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', ...(owner ? { ownerReferences: [owner] } : {}) },
  spec: { containers: [{ name: 'c', image: 'x' }] },
  status: { phase },
});

test('finished pods beyond the threshold are deleted oldest first, but never one a live controller may still need', async () => {
  await withGc({ terminatedPodThreshold: 3 }, async ({ store, gc, tick }) => {
    const make = async (o: KubeObject) => {
      tick(1000);
      const created = await store.create(o);
      if (o.status) await store.replaceStatus({ ...created, status: o.status });
      return created;
    };
    const doneJob = await make({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'done', namespace: 'default' }, spec: {}, status: { conditions: [{ type: 'Complete', status: 'True' }] } });
    const runningJob = await make({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'running', namespace: 'default' }, spec: {} });
    // A trial still collecting metrics from its finished Job's pod: the pod must stay.
    const trial = await make({ apiVersion: 'kubeflow.org/v1beta1', kind: 'Trial', metadata: { name: 't', namespace: 'default' }, spec: {} });
    const trialJob = await make({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'trial-run', namespace: 'default', ownerReferences: [ownerOf(trial)] }, spec: {}, status: { conditions: [{ type: 'Complete', status: 'True' }] } });
    const wf = await make({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'wf', namespace: 'default' }, spec: {}, status: { phase: 'Succeeded' } });

    await make(pod('bare-old', 'Succeeded'));
    await make(pod('running-job-failed-try', 'Failed', ownerOf(runningJob)));
    await make(pod('trial-pod', 'Succeeded', ownerOf(trialJob)));
    await make(pod('done-job-pod', 'Succeeded', ownerOf(doneJob)));
    await make(pod('orphan', 'Failed', { apiVersion: 'batch/v1', kind: 'Job', name: 'gone', uid: '00000000-0000-0000-0000-000000000000' }));
    await make(pod('wf-step', 'Succeeded', ownerOf(wf)));
    await make(pod('bare-new', 'Succeeded'));
    await make(pod('still-running', 'Running'));
    await make(pod('bare-newest', 'Failed'));

    // 8 finished, threshold 3: 5 to go, from the oldest collectable ones.
    assert.equal(await gc.collectPods(), 5);
    const left = (await store.list({ apiVersion: 'v1', kind: 'Pod' })).items.map((p) => p.metadata.name).sort();
    assert.deepEqual(left, ['bare-newest', 'running-job-failed-try', 'still-running', 'trial-pod']);
    assert.equal(await gc.collectPods(), 0, 'at the threshold, nothing more goes');
  });
});

test('a threshold of 0 turns pod collection off', async () => {
  await withGc({ terminatedPodThreshold: 0 }, async ({ store, gc }) => {
    await store.create(pod('a', 'Succeeded'));
    assert.equal(await gc.collectPods(), 0);
  });
});

test('events expire a TTL after they last happened; a repeat keeps an event alive', async () => {
  await withGc({ eventTtlMs: 3_600_000 }, async ({ store, gc, tick }) => {
    const cm = await store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    const ev = (reason: string) => store.recordEvent({ involved: cm, type: 'Normal', reason, message: reason, source: 'test' });
    await ev('Old');
    await ev('Repeated');
    tick(50 * 60_000);
    await ev('Repeated');
    await ev('Recent');
    tick(20 * 60_000); // Old: 70 min; Repeated: last 20 min ago; Recent: 20 min
    const result = await gc.run();
    assert.equal(result.eventsDeleted, 1);
    const reasons = (await store.list<KubeObject & { reason?: string }>({ apiVersion: 'v1', kind: 'Event' })).items.map((e) => e.reason).sort();
    assert.deepEqual(reasons, ['Recent', 'Repeated']);
  });
});
