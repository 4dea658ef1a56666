import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openSqliteStore, type Store, type WatchEvent } from './index.js';
import { parseSelector } from '../api/selectors.js';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { KINDS } from '../registry.js';

async function withStore(fn: (store: Store, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-store-'));
  const store = await openSqliteStore(join(dir, 'state.db'), { kinds: KINDS });
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const cm = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { k: name },
});
const ref = (kind: string, name: string, apiVersion = 'v1') => ({ apiVersion, kind, namespace: 'default', name });

test('create assigns uid, resourceVersion, namespace and timestamps; get returns the stored object', async () => {
  await withStore(async (store) => {
    const created = await store.create(cm('a'));
    assert.match(created.metadata.uid!, /^[0-9a-f-]{36}$/);
    assert.equal(created.metadata.namespace, 'default');
    assert.ok(Number(created.metadata.resourceVersion) > 0);
    assert.deepEqual(await store.get(ref('ConfigMap', 'a')), created);
    await assert.rejects(store.create(cm('a')), AlreadyExistsError);
  });
});

test('generateName makes a unique name with a random suffix', async () => {
  await withStore(async (store) => {
    const a = await store.create<KubeObject>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'run-' } });
    const b = await store.create<KubeObject>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'run-' } });
    assert.match(a.metadata.name!, /^run-[a-z0-9]{5}$/);
    assert.notEqual(a.metadata.name, b.metadata.name);
  });
});

test('replace with a stale resourceVersion is a Conflict; replace keeps status and bumps generation on spec change', async () => {
  await withStore(async (store) => {
    const job: KubeObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { parallelism: 1 } };
    const v1 = await store.create(job);
    await store.replaceStatus({ ...v1, status: { active: 1 } });
    await assert.rejects(store.replace({ ...v1, spec: { parallelism: 2 } }), ConflictError);
    const cur = (await store.get(ref('Job', 'j', 'batch/v1')))!;
    const v2 = await store.replace<KubeObject>({ ...cur, spec: { parallelism: 2 } });
    assert.deepEqual(v2.status, { active: 1 });
    assert.equal(v2.metadata.generation, 2);
  });
});

test('objects in a namespace that does not exist are refused', async () => {
  await withStore(async (store) => {
    await assert.rejects(store.create({ ...cm('x'), metadata: { name: 'x', namespace: 'nope' } }), NotFoundError);
  });
});

test('list filters by namespace, label selector and owner', async () => {
  await withStore(async (store) => {
    const owner = await store.create(cm('owner'));
    await store.create(cm('a', { app: 'web', tier: 'fe' }));
    await store.create(cm('b', { app: 'web' }));
    await store.create({ ...cm('c', { app: 'db' }), metadata: { name: 'c', labels: { app: 'db' }, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid! }] } });
    const names = async (sel: string) =>
      (await store.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { labelSelector: parseSelector(sel) })).items.map((o) => o.metadata.name);
    assert.deepEqual(await names('app=web'), ['a', 'b']);
    assert.deepEqual(await names('app=web,!tier'), ['b']);
    assert.deepEqual(await names('app in (db,web),tier'), ['a']);
    const owned = await store.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { ownerUid: owner.metadata.uid! });
    assert.deepEqual(owned.items.map((o) => o.metadata.name), ['c']);
  });
});

test('deleting an owner deletes what it owns, recursively, dependents first', async () => {
  await withStore(async (store) => {
    const job = await store.create({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: {} });
    const own = (o: KubeObject) => [{ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name!, uid: o.metadata.uid! }];
    const pod = await store.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ownerReferences: own(job) }, spec: {} });
    await store.create({ ...cm('grandchild'), metadata: { name: 'grandchild', ownerReferences: own(pod) } });
    await store.recordEvent({ involved: pod, type: 'Normal', reason: 'Started', message: 'started', source: 'kubelet' });
    const deleted = await store.delete(ref('Job', 'j', 'batch/v1'));
    const kinds = deleted.map((o) => o.kind);
    // The pod's dependents (in any order) go before the pod, and the pod before its job.
    assert.deepEqual(kinds.slice(0, 2).sort(), ['ConfigMap', 'Event']);
    assert.deepEqual(kinds.slice(2), ['Pod', 'Job']);
    assert.equal(await store.get(ref('Pod', 'p')), undefined);
    assert.equal((await store.list({ apiVersion: 'v1', kind: 'Event' })).items.length, 0);
  });
});

test('a large cascade goes in slices: the owner marked first and deleted last, each pod before it, every transaction small', async () => {
  await withStore(async (store) => {
    const wf: KubeObject = await store.create({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'wide' }, spec: {} });
    const own = [{ apiVersion: wf.apiVersion, kind: wf.kind, name: 'wide', uid: wf.metadata.uid!, controller: true }];
    const n = 1300;
    await store.writeAll(Array.from({ length: n }, (_, i) => ({ op: 'create' as const, object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, ownerReferences: own }, spec: {} } })));
    const seen: WatchEvent[] = [];
    store.watch(undefined, {}, (e) => seen.push(e));
    // Between two transactions of the cascade the event loop turns: count the turns.
    let turns = 0;
    let turning = true;
    const turn = (): void => void (turning && (turns++, setImmediate(turn)));
    setImmediate(turn);
    const deleted = await store.delete(ref('Workflow', 'wide', 'argoproj.io/v1alpha1'));
    turning = false;
    assert.equal(deleted.length, n + 1);
    assert.equal(deleted[deleted.length - 1]!.kind, 'Workflow');
    assert.equal(seen[0]!.type, 'MODIFIED', 'the owner is marked before anything goes');
    assert.ok(seen[0]!.object.metadata.deletionTimestamp);
    assert.deepEqual(seen[0]!.object.metadata.finalizers, ['foregroundDeletion']);
    assert.deepEqual(seen.slice(1).map((e) => e.type), Array(n + 1).fill('DELETED'));
    assert.equal(seen[seen.length - 1]!.object.kind, 'Workflow', 'the owner goes last');
    assert.ok(turns >= 3, `the server serves between slices (${turns} turns)`);
    assert.equal((await store.list({ apiVersion: 'v1', kind: 'Pod' })).items.length, 0);
  });
});

test('an update to an owner being deleted keeps its mark; a cascade cut short by a close is finished by the next open', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-store-'));
  try {
    let store = await openSqliteStore(join(dir, 'state.db'), { kinds: KINDS });
    const job: KubeObject = await store.create({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: {} });
    const own = [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: job.metadata.uid!, controller: true }];
    await store.writeAll(Array.from({ length: 2000 }, (_, i) => ({ op: 'create' as const, object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, ownerReferences: own }, spec: {} } })));
    const cascade = store.delete(ref('Job', 'j', 'batch/v1'));
    await new Promise((r) => setImmediate(r));
    const marked = (await store.get(ref('Job', 'j', 'batch/v1')))!;
    assert.ok(marked.metadata.deletionTimestamp);
    const updated = await store.replace({ ...marked, metadata: { ...marked.metadata, deletionTimestamp: undefined, finalizers: [], labels: { a: 'b' } } });
    assert.equal(updated.metadata.deletionTimestamp, marked.metadata.deletionTimestamp);
    assert.deepEqual(updated.metadata.finalizers, ['foregroundDeletion']);
    await store.close();
    await cascade;
    store = await openSqliteStore(join(dir, 'state.db'), { kinds: KINDS });
    try {
      assert.ok(await store.get(ref('Job', 'j', 'batch/v1')), 'the close stopped the cascade before the owner');
      for (let i = 0; i < 200 && (await store.get(ref('Job', 'j', 'batch/v1'))); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await store.get(ref('Job', 'j', 'batch/v1')), undefined, 'the reopened store finished it');
      assert.equal((await store.list({ apiVersion: 'v1', kind: 'Pod' })).items.length, 0);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an object whose controlling owner no longer exists is refused', async () => {
  await withStore(async (store) => {
    const owner = { apiVersion: 'batch/v1', kind: 'Job', name: 'gone', uid: '00000000-0000-0000-0000-000000000000', controller: true };
    await assert.rejects(store.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', ownerReferences: [owner] }, spec: {} }), NotFoundError);
  });
});

test('repeated events fold into one with a count', async () => {
  await withStore(async (store) => {
    const pod = await store.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} });
    for (let i = 0; i < 3; i++) await store.recordEvent({ involved: pod, type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container', source: 'kubelet' });
    const events = (await store.list({ apiVersion: 'v1', kind: 'Event' })).items as (KubeObject & { count?: number })[];
    assert.equal(events.length, 1);
    assert.equal(events[0]!.count, 3);
  });
});

test('watchers hear every change in commit order, and a watch resumes from a resourceVersion', async () => {
  await withStore(async (store) => {
    const seen: string[] = [];
    const stop = store.watch({ apiVersion: 'v1', kind: 'ConfigMap' }, {}, (e: WatchEvent) => seen.push(`${e.type} ${e.object.metadata.name}`));
    const a = await store.create(cm('a'));
    await store.patch<KubeObject>(ref('ConfigMap', 'a'), (o) => void ((o.data as Record<string, string>).k = 'changed'));
    await store.delete(ref('ConfigMap', 'a'));
    stop();
    assert.deepEqual(seen, ['ADDED a', 'MODIFIED a', 'DELETED a']);
    const replay: string[] = [];
    store.watch({ apiVersion: 'v1', kind: 'ConfigMap' }, { fromResourceVersion: a.metadata.resourceVersion! }, (e) => replay.push(e.type))();
    assert.deepEqual(replay, ['MODIFIED', 'DELETED']);
  });
});

test('kill -9 of a writer loses no acknowledged write', async () => {
  await withStore(async (_store, dir) => {
    // A separate process writes as fast as it can and prints each name once create() has returned.
    const writer = fileURLToPath(new URL('./testdata/writer.js', import.meta.url));
    const child = spawn(process.execPath, [writer, join(dir, 'crash.db')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    let buf = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        acked.push(...lines);
        if (acked.length >= 300) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    const reopened = await openSqliteStore(join(dir, 'crash.db'), { kinds: KINDS });
    const stored = new Set((await reopened.list({ apiVersion: 'v1', kind: 'ConfigMap' })).items.map((o) => o.metadata.name));
    await reopened.close();
    const lost = acked.filter((n) => !stored.has(n));
    assert.deepEqual(lost, []);
    assert.ok(acked.length >= 300);
  });
});

test('writeAll stores every object or none', async () => {
  await withStore(async (store) => {
    await store.create(cm('exists'));
    await assert.rejects(store.writeAll([{ op: 'create', object: cm('new-one') }, { op: 'create', object: cm('exists') }]), AlreadyExistsError);
    assert.equal(await store.get(ref('ConfigMap', 'new-one')), undefined);
    const written = await store.writeAll([{ op: 'create', object: cm('x') }, { op: 'create', object: cm('y') }]);
    assert.deepEqual(written.map((o) => o.metadata.name), ['x', 'y']);
  });
});

test('observation log: re-reading a source adds nothing twice; values come in time order and go with their owner', async () => {
  await withStore(async (store) => {
    const owner = await store.create(cm('trial-a'));
    const uid = owner.metadata.uid!;
    const entries = [
      { source: 'pod/x', seq: 0, name: 'loss', value: '0.9', time: '2026-01-01T00:00:02Z' },
      { source: 'pod/x', seq: 1, name: 'loss', value: '0.5', time: '2026-01-01T00:00:03Z' },
      { source: 'push', seq: 0, name: 'loss', value: '0.7', time: '2026-01-01T00:00:01Z' },
    ];
    assert.equal(await store.appendObservationLog(uid, entries), 3);
    // The same log read again after a restart, now one value longer.
    const again = [...entries.slice(0, 2), { source: 'pod/x', seq: 2, name: 'loss', value: '0.4', time: '2026-01-01T00:00:04Z' }];
    assert.equal(await store.appendObservationLog(uid, again), 1);
    assert.deepEqual((await store.observationLog(uid)).map((e) => e.value), ['0.7', '0.9', '0.5', '0.4']);
    await store.delete(ref('ConfigMap', 'trial-a'));
    assert.deepEqual(await store.observationLog(uid), []);
  });
});

test('commits leave the write-ahead log to a background checkpoint, which moves them into the database file', { timeout: 30_000 }, async () => {
  await withStore(async (store, dir) => {
    const db = join(dir, 'state.db');
    const before = statSync(db).size;
    // About 400 KB: far under SQLite's own 1,000-page trigger, so only the worker can move it.
    for (let i = 0; i < 100; i++) await store.create({ ...cm(`big-${i}`), data: { k: 'x'.repeat(4000) } });
    assert.ok(statSync(`${db}-wal`).size > 400_000, 'the commits are in the log');
    for (let waited = 0; statSync(db).size <= before + 400_000; waited += 50) {
      assert.ok(waited < 20_000, `the database file is still ${statSync(db).size} bytes after 20 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const last = await store.get<KubeObject & { data: Record<string, string> }>(ref('ConfigMap', 'big-99'));
    assert.equal(last?.data['k']?.length, 4000);
  });
});

test('writeStatus stores status and labels from the caller’s copy while it is current, tells watchers, skips a write that changes nothing, and refuses a stale copy', async () => {
  await withStore(async (store) => {
    const pod = await store.create<KubeObject>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', labels: { a: '1' } }, spec: { containers: [] } });
    const seen: WatchEvent[] = [];
    const stop = store.watch({ apiVersion: 'v1', kind: 'Pod' }, {}, (e) => seen.push(e));
    const written = await store.writeStatus(pod, { phase: 'Running' }, { a: '1', b: '2' });
    assert.ok(written);
    assert.notEqual(written.metadata.resourceVersion, pod.metadata.resourceVersion);
    const got = await store.get<KubeObject>(ref('Pod', 'p'));
    assert.deepEqual(got?.status, { phase: 'Running' });
    assert.deepEqual(got?.metadata.labels, { a: '1', b: '2' });
    assert.deepEqual(got, written, 'what it returns is what is stored');
    assert.equal(seen.length, 1);
    assert.deepEqual((seen[0]!.object as KubeObject).status, { phase: 'Running' });
    // The same status again: nothing is written, no event.
    assert.equal(await store.writeStatus(written, { phase: 'Running' }, { a: '1', b: '2' }), written);
    assert.equal(seen.length, 1);
    // The first copy is stale now.
    assert.equal(await store.writeStatus(pod, { phase: 'Failed' }), undefined);
    assert.deepEqual((await store.get<KubeObject>(ref('Pod', 'p')))?.status, { phase: 'Running' });
    await store.delete(ref('Pod', 'p'));
    assert.equal(await store.writeStatus(written, { phase: 'Failed' }), undefined, 'gone');
    stop();
  });
});
