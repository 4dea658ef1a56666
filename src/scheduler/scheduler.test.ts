import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scheduler, placeGang, tolerates, unfitReasons, unschedulableMessage } from './scheduler.js';
import { openSqliteStore } from '../store/index.js';
import { KINDS } from '../registry.js';
import { systemClock } from '../util/clock.js';
import { silentLogger } from '../util/logger.js';
import { podRequests } from '../api/pods.js';
import type { Node, Pod, Stored } from '../api/types.js';

const node: Node = { metadata: { name: 'n', labels: { role: 'train-cpu' } }, status: { allocatable: { cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '0' } } };
const free = { node, cpuMillis: 2000, memoryBytes: 4 * 2 ** 30, extended: { 'nvidia.com/gpu': 0 } };
const pod = (resources: Record<string, string>, nodeSelector?: Record<string, string>, useLimits = false): Pod => ({
  metadata: { name: 'p' },
  spec: { nodeSelector, containers: [{ name: 'c', resources: useLimits ? { limits: resources } : { requests: resources } }] },
});

test('a pod asking for more cpu than is free is unfit with "Insufficient cpu"', () => {
  const p = pod({ cpu: '2.5' });
  assert.deepEqual(unfitReasons(p, podRequests(p), free), ['Insufficient cpu']);
  assert.equal(unschedulableMessage(1, [['Insufficient cpu']]), '0/1 nodes are available: 1 Insufficient cpu.');
});

test('limits without requests count as requests, as in Kubernetes (GPU via limits)', () => {
  const p = pod({ 'nvidia.com/gpu': '1', memory: '8Gi' }, undefined, true);
  assert.deepEqual(unfitReasons(p, podRequests(p), free), ['Insufficient memory', 'Insufficient nvidia.com/gpu']);
  assert.equal(unschedulableMessage(1, [['Insufficient memory', 'Insufficient nvidia.com/gpu']]), '0/1 nodes are available: 1 Insufficient memory, 1 Insufficient nvidia.com/gpu.');
});

test('a nodeSelector that matches no node says so', () => {
  const p = pod({}, { role: 'train-gpu' });
  const reasons = unfitReasons(p, podRequests(p), free);
  assert.equal(unschedulableMessage(1, [reasons]), "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.");
  const q = pod({ cpu: '1' }, { role: 'train-cpu' });
  assert.deepEqual(unfitReasons(q, podRequests(q), free), []);
});

test('every pod counts against the node\'s allocatable pods, whatever it requests: a full node says "Too many pods"', () => {
  const p = pod({});
  assert.deepEqual(unfitReasons(p, podRequests(p), { ...free, pods: 1 }), []);
  assert.deepEqual(unfitReasons(p, podRequests(p), { ...free, pods: 0 }), ['Too many pods']);
  assert.equal(unschedulableMessage(1, [['Too many pods']]), '0/1 nodes are available: 1 Too many pods.');
});

test('a node with room for two pods binds two of three, and the third waits with "Too many pods" until one ends', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-scheduler-'));
  const store = await openSqliteStore(join(dir, 'state.db'), { kinds: KINDS });
  const scheduler = new Scheduler({ store, clock: systemClock, logger: silentLogger });
  try {
    await store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'small' }, status: { allocatable: { cpu: '16', memory: '32Gi', pods: '2' } } });
    for (const name of ['a', 'b', 'c']) {
      await store.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    }
    await scheduler.start();
    const pods = async () => (await store.list<Stored<Pod>>({ apiVersion: 'v1', kind: 'Pod' })).items;
    const until = async (what: string, ok: (ps: Stored<Pod>[]) => boolean) => {
      for (let i = 0; i < 200; i++) {
        if (ok(await pods())) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.fail(`timed out waiting for ${what}`);
    };
    await until('two pods bound and one refused', (ps) => ps.filter((p) => p.spec?.nodeName).length === 2 && ps.some((p) => p.status?.conditions?.some((c) => c.reason === 'Unschedulable')));
    const waiting = (await pods()).find((p) => !p.spec?.nodeName)!;
    assert.equal(waiting.metadata?.name, 'c', 'first come, first bound');
    assert.equal(waiting.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message, '0/1 nodes are available: 1 Too many pods.');
    await store.patch<Stored<Pod>>({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'a' }, (p) => {
      p.status = { ...(p.status ?? {}), phase: 'Succeeded' };
    });
    await until('the third bound once one ended', (ps) => ps.find((p) => p.metadata?.name === 'c')?.spec?.nodeName === 'small');
  } finally {
    scheduler.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a node tainted with disk pressure refuses pods that do not tolerate it, in kube-scheduler\'s words; a toleration lets a pod through', () => {
  const tainted = { ...free, node: { ...node, spec: { taints: [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }] } } };
  const p = pod({ cpu: '100' });
  const reasons = unfitReasons(p, podRequests(p), tainted);
  assert.deepEqual(reasons, ['node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }'], 'the taint alone, before resources');
  assert.equal(unschedulableMessage(1, [reasons]), '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }.');
  const tolerant: Pod = { ...pod({}), spec: { ...pod({}).spec!, tolerations: [{ key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' }] } };
  assert.deepEqual(unfitReasons(tolerant, podRequests(tolerant), tainted), []);
  const soft = { ...free, node: { ...node, spec: { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] } } };
  assert.deepEqual(unfitReasons(pod({}), podRequests(pod({})), soft), []);
  assert.equal(tolerates({ operator: 'Exists' }, { key: 'any', effect: 'NoExecute' }), true);
  assert.equal(tolerates({ key: 'k', value: 'v' }, { key: 'k', value: 'w', effect: 'NoSchedule' }), false);
  assert.equal(tolerates({ key: 'k', value: 'v', effect: 'NoExecute' }, { key: 'k', value: 'v', effect: 'NoSchedule' }), false);
});

const gangPod = (name: string, group: string, min: number, cpu: string): Stored<Pod> => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', annotations: { 'scheduling.k8s.io/group-name': group, 'drover.dev/pod-group-min-member': String(min) } },
  spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu } } }] },
});

test('a gang is placed whole or not at all: 3 × 1 CPU fit 4 CPUs; a second gang of 3 waits whole, saying why', () => {
  const four = { node, cpuMillis: 4000, memoryBytes: 4 * 2 ** 30, extended: {} };
  const a = ['a0', 'a1', 'a2'].map((n) => gangPod(n, 'a', 3, '1'));
  const placedA = placeGang(a, 0, 3, [four], 1);
  assert.ok('placed' in placedA && placedA.placed.length === 3);
  const left = { ...four, cpuMillis: 1000 };
  const b = placeGang(['b0', 'b1', 'b2'].map((n) => gangPod(n, 'b', 3, '1')), 0, 3, [left], 1);
  assert.deepEqual(b, { wait: '0/1 nodes are available: 1 Insufficient cpu. pod group "b": its 3 pods are placed together or not at all, and 1 of 3 fit now' });
  assert.deepEqual(placeGang([gangPod('c0', 'c', 3, '1')], 0, 3, [four], 1), { wait: 'pod group "c" has 1 of its 3 pods; waiting for the rest to be created' });
  // Once min members run, a re-created member goes alone.
  const again = placeGang([gangPod('a1', 'a', 3, '1')], 2, 2, [left], 1);
  assert.ok('placed' in again && again.placed.length === 1);
  // Two of three placed before (one may have ended since): the third, made again, completes the gang.
  const third = placeGang([gangPod('a2', 'a', 3, '1')], 2, 3, [left], 1);
  assert.ok('placed' in third && third.placed.length === 1);
});

test('two gangs of 3 × 1 CPU on a 4-CPU node (injected capacity): one runs whole, the other waits whole until the first ends', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-scheduler-'));
  const store = await openSqliteStore(join(dir, 'state.db'), { kinds: KINDS });
  const scheduler = new Scheduler({ store, clock: systemClock, logger: silentLogger });
  try {
    await store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'four' }, status: { allocatable: { cpu: '4', memory: '32Gi' } } });
    for (const g of ['a', 'b']) for (let i = 0; i < 3; i++) await store.create(gangPod(`${g}${i}`, g, 3, '1'));
    await scheduler.start();
    const pods = async () => (await store.list<Stored<Pod>>({ apiVersion: 'v1', kind: 'Pod' })).items;
    const bound = (ps: Stored<Pod>[], g: string) => ps.filter((p) => p.metadata.name!.startsWith(g) && p.spec?.nodeName).length;
    let ps: Stored<Pod>[] = [];
    for (let i = 0; i < 200; i++) {
      ps = await pods();
      if (bound(ps, 'a') === 3 && ps.filter((p) => p.metadata.name!.startsWith('b')).every((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(bound(ps, 'a'), 3);
    assert.equal(bound(ps, 'b'), 0, 'no half-placed gang');
    for (const name of ['a0', 'a1', 'a2']) await store.patch<Stored<Pod>>({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name }, (p) => { p.status = { phase: 'Succeeded' }; });
    for (let i = 0; i < 200 && bound(ps, 'b') < 3; i++) {
      await new Promise((r) => setTimeout(r, 10));
      ps = await pods();
    }
    assert.equal(bound(ps, 'b'), 3);
  } finally {
    scheduler.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
