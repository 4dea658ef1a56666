import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore, type Store, type WatchEvent } from './index.js';
import { MIGRATIONS } from './migrations.js';
import type { KubeObject } from '../api/types.js';
import { KINDS } from '../registry.js';

// A Workflow keeps status.nodes as rows of their own (KindInfo.statusRows): these tests read the
// store back through its API and the file itself through a second SQLite connection.

type Node = { id: string; phase: string };
type Wf = KubeObject & { status?: { phase?: string; nodes?: Record<string, Node> } };

const ref = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', namespace: 'default', name: 'wide' };
const workflow = (nodes: Record<string, Node>): Wf => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: 'wide' },
  spec: { entrypoint: 'main' },
  status: { phase: 'Running', nodes },
});
const nodes = (n: number, phase = 'Pending') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`wide-${i}`, { id: `wide-${i}`, phase }]));

async function withStore(fn: (store: Store, file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-rows-'));
  const file = join(dir, 'state.db');
  const store = await openSqliteStore(file, { kinds: KINDS });
  try {
    await fn(store, file);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the file holds for the workflow: its body, its change-log bodies and its node rows. */
function onDisk(file: string): { body: Wf; changes: string[]; rows: Map<string, string> } {
  const db = new Database(file, { readonly: true });
  try {
    const o = db.prepare("SELECT uid, body FROM objects WHERE kind = 'Workflow.argoproj.io'").get() as { uid: string; body: string };
    const changes = (db.prepare("SELECT body FROM changes WHERE kind = 'Workflow.argoproj.io' ORDER BY rv").all() as { body: string }[]).map((r) => r.body);
    const rows = db.prepare('SELECT key, body FROM object_parts WHERE uid = ? ORDER BY rowid').all(o.uid) as { key: string; body: string }[];
    return { body: JSON.parse(o.body) as Wf, changes, rows: new Map(rows.map((r) => [r.key, r.body])) };
  } finally {
    db.close();
  }
}

test('a workflow is stored without its nodes, each node a row, and read back whole in its order', async () => {
  await withStore(async (store, file) => {
    const created = await store.create(workflow(nodes(3)));
    const disk = onDisk(file);
    assert.equal(disk.body.status?.nodes, undefined);
    assert.equal(disk.body.status?.phase, 'Running');
    assert.ok(disk.changes.every((c) => !c.includes('"nodes"')), 'the change log holds no nodes');
    assert.deepEqual([...disk.rows.keys()], ['wide-0', 'wide-1', 'wide-2']);
    const got = (await store.get<Wf>(ref))!;
    assert.deepEqual(got, created);
    assert.deepEqual(Object.keys(got.status!.nodes!), ['wide-0', 'wide-1', 'wide-2']);
    const listed = (await store.list<Wf>({ apiVersion: ref.apiVersion, kind: 'Workflow' })).items;
    assert.deepEqual(listed, [created]);
  });
});

test('writeStatus writes the nodes the caller replaced (by identity), adds new ones last and drops removed ones', async () => {
  await withStore(async (store, file) => {
    const base = (await store.create(workflow(nodes(4)))) as Wf;
    const before = onDisk(file).rows;
    const next = { ...base.status!.nodes! };
    next['wide-1'] = { id: 'wide-1', phase: 'Succeeded' };
    delete next['wide-2'];
    next['wide-9'] = { id: 'wide-9', phase: 'Running' };
    // A node changed in place is not a replaced node: the store trusts identity (the controller
    // never does this; the operator tests check it), so this change is not written.
    base.status!.nodes!['wide-3']!.phase = 'changed in place';
    const written = (await store.writeStatus<Wf>(base, { phase: 'Running', nodes: next }))!;
    assert.notEqual(written.metadata.resourceVersion, base.metadata.resourceVersion);
    const rows = onDisk(file).rows;
    assert.deepEqual([...rows.keys()], ['wide-0', 'wide-1', 'wide-3', 'wide-9']);
    assert.equal(rows.get('wide-0'), before.get('wide-0'));
    assert.equal(JSON.parse(rows.get('wide-1')!).phase, 'Succeeded');
    assert.equal(JSON.parse(rows.get('wide-3')!).phase, 'Pending', 'an entry of the same identity is not written again');
    const got = (await store.get<Wf>(ref))!;
    assert.deepEqual(Object.keys(got.status!.nodes!), ['wide-0', 'wide-1', 'wide-3', 'wide-9']);
    assert.equal(got.status!.nodes!['wide-9']!.phase, 'Running');
    // Nothing replaced and nothing else changed: no write.
    assert.equal(await store.writeStatus<Wf>(written, { phase: 'Running', nodes: { ...written.status!.nodes! } }), written);
    // Only the rest of the status changed: written, the nodes left as they are.
    const done = (await store.writeStatus<Wf>(written, { phase: 'Succeeded', nodes: { ...written.status!.nodes! } }))!;
    assert.equal((await store.get<Wf>(ref))!.status!.phase, 'Succeeded');
    assert.deepEqual(Object.keys((await store.get<Wf>(ref))!.status!.nodes!), Object.keys(done.status!.nodes!));
  });
});

test('writeStatus with the changed keys named compares and writes those alone; the object read back is whole', async () => {
  await withStore(async (store, file) => {
    const base = (await store.create(workflow(nodes(4)))) as Wf;
    const before = onDisk(file).rows;
    const next = { ...base.status!.nodes! };
    next['wide-1'] = { id: 'wide-1', phase: 'Succeeded' };
    next['wide-9'] = { id: 'wide-9', phase: 'Running' };
    // Replaced too, but not named: the caller says only wide-1 and wide-9 changed, so wide-2 is not looked at.
    next['wide-2'] = { id: 'wide-2', phase: 'not named' };
    const written = (await store.writeStatus<Wf>(base, { phase: 'Running', nodes: next }, undefined, undefined, new Set(['wide-1', 'wide-9'])))!;
    const rows = onDisk(file).rows;
    assert.deepEqual([...rows.keys()], ['wide-0', 'wide-1', 'wide-2', 'wide-3', 'wide-9']);
    assert.equal(rows.get('wide-2'), before.get('wide-2'), 'a key not named is not written');
    assert.equal(JSON.parse(rows.get('wide-1')!).phase, 'Succeeded');
    assert.equal(JSON.parse(rows.get('wide-9')!).phase, 'Running');
    // Named, but the same objects, and nothing else changed: no write at all.
    assert.equal(await store.writeStatus<Wf>(written, { phase: 'Running', nodes: { ...written.status!.nodes! } }, undefined, undefined, new Set(['wide-1'])), written);
    assert.equal(await store.writeStatus<Wf>(written, { phase: 'Running', nodes: { ...written.status!.nodes! } }, undefined, undefined, new Set()), written);
  });
});

test('a replace or patch of the status compares with the stored rows; a watch replay and a delete see the nodes', async () => {
  await withStore(async (store, file) => {
    const created = (await store.create(workflow(nodes(3)))) as Wf;
    const events: WatchEvent[] = [];
    await store.patch<Wf>(ref, (w) => {
      w.status!.nodes!['wide-0'] = { id: 'wide-0', phase: 'Failed' };
      delete w.status!.nodes!['wide-2'];
    });
    assert.deepEqual([...onDisk(file).rows.keys()], ['wide-0', 'wide-1']);
    assert.equal((await store.get<Wf>(ref))!.status!.nodes!['wide-0']!.phase, 'Failed');
    const cur = (await store.get<Wf>(ref))!;
    await store.replaceStatus<Wf>({ ...cur, status: { phase: 'Failed', nodes: { 'wide-1': { id: 'wide-1', phase: 'Failed' } } } });
    assert.deepEqual([...onDisk(file).rows.keys()], ['wide-1']);
    // Replayed from the change log (which holds no nodes): the nodes as they are now.
    const stop = store.watch({ apiVersion: ref.apiVersion, kind: 'Workflow' }, { fromResourceVersion: created.metadata.resourceVersion }, (e) => events.push(e));
    stop();
    assert.equal(events.length, 2);
    for (const e of events) assert.deepEqual(Object.keys((e.object as Wf).status!.nodes!), ['wide-1']);
    await store.delete(ref);
    const db = new Database(file, { readonly: true });
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM object_parts').get() as { n: number }).n, 0, 'its rows went with it');
    db.close();
  });
});

test('a store written before node rows moves each workflow’s nodes into rows when it opens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-rows-'));
  const file = join(dir, 'state.db');
  try {
    const old = new Database(file);
    for (const m of MIGRATIONS.slice(0, 3)) old.exec(m);
    old.pragma('user_version = 3');
    const wf = { ...workflow(nodes(2, 'Succeeded')), metadata: { name: 'wide', namespace: 'default', uid: 'u-1', resourceVersion: '1' } };
    old.prepare("INSERT INTO objects (kind, namespace, name, uid, rv, body) VALUES ('Workflow.argoproj.io', 'default', 'wide', 'u-1', 1, ?)").run(JSON.stringify(wf));
    old.prepare("INSERT INTO changes (type, kind, namespace, body) VALUES ('ADDED', 'Workflow.argoproj.io', 'default', ?)").run(JSON.stringify(wf));
    old.close();
    const store = await openSqliteStore(file, { kinds: KINDS });
    try {
      assert.deepEqual((await store.get<Wf>(ref))!.status, wf.status);
      const disk = onDisk(file);
      assert.equal(disk.body.status?.nodes, undefined);
      assert.deepEqual([...disk.rows.keys()], ['wide-0', 'wide-1']);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a node's long list (a group's children) is kept in rows of 1,000: a node that grows rewrites its own row and its last chunk only, and reads back whole", async () => {
  await withStore(async (store, file) => {
    type Group = Node & { children?: string[] };
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `wide-${i}`);
    const group = (n: number): Group => ({ id: 'wide-g', phase: 'Running', children: ids(n) });
    const created = await store.create(workflow({ 'wide-g': group(2500) as Node }));
    let disk = onDisk(file);
    assert.deepEqual([...disk.rows.keys()].sort(), ['wide-g', 'wide-g/children/0', 'wide-g/children/1', 'wide-g/children/2']);
    assert.deepEqual(JSON.parse(disk.rows.get('wide-g')!), { id: 'wide-g', phase: 'Running', $chunks: { children: 3 } });
    assert.equal((JSON.parse(disk.rows.get('wide-g/children/2')!) as string[]).length, 500);
    assert.deepEqual(((await store.get<Wf>(ref))!.status!.nodes!['wide-g'] as Group).children, ids(2500));

    // Which rows a write touches, seen through a trigger on the file.
    const db = new Database(file);
    db.exec('CREATE TABLE touched (key TEXT); CREATE TRIGGER t_up AFTER UPDATE ON object_parts BEGIN INSERT INTO touched VALUES (new.key); END; CREATE TRIGGER t_in AFTER INSERT ON object_parts BEGIN INSERT INTO touched VALUES (new.key); END; CREATE TRIGGER t_del AFTER DELETE ON object_parts BEGIN INSERT INTO touched VALUES (old.key); END;');
    const touched = () => (db.prepare('DELETE FROM touched RETURNING key').all() as { key: string }[]).map((r) => r.key).sort();
    try {
      const grown = await store.writeStatus<Wf>(created as Wf, { phase: 'Running', nodes: { 'wide-g': group(2600) as Node } });
      assert.deepEqual(touched(), ['wide-g', 'wide-g/children/2']);
      const crossed = await store.writeStatus<Wf>(grown!, { phase: 'Running', nodes: { 'wide-g': group(3001) as Node } });
      assert.deepEqual(touched(), ['wide-g', 'wide-g/children/2', 'wide-g/children/3']);
      const shrunk = await store.writeStatus<Wf>(crossed!, { phase: 'Running', nodes: { 'wide-g': group(900) as Node } });
      assert.deepEqual(touched(), ['wide-g', 'wide-g/children/0', 'wide-g/children/1', 'wide-g/children/2', 'wide-g/children/3'], 'short again: the list goes back into its row, the chunks go');
      assert.deepEqual(JSON.parse(onDisk(file).rows.get('wide-g')!), group(900));
      await store.writeStatus<Wf>(shrunk!, { phase: 'Running', nodes: { 'wide-g': group(1500) as Node } });
      touched();
      // A user's write (compared with the rows as JSON) round-trips too.
      const cur = (await store.get<Wf>(ref))!;
      assert.deepEqual((cur.status!.nodes!['wide-g'] as Group).children, ids(1500));
      // A key of the client's own that looks like a chunk's stays a node.
      await store.replaceStatus({ ...cur, status: { phase: 'Running', nodes: { 'wide-g': group(2001) as Node, 'wide-1': { id: 'wide-1', phase: 'Pending' }, 'odd/children/0': { id: 'odd', phase: 'Pending' } } } } as Wf);
      assert.deepEqual(touched(), ['odd/children/0', 'wide-1', 'wide-g', 'wide-g/children/1', 'wide-g/children/2']);
      const back = (await store.get<Wf>(ref))!.status!.nodes!;
      assert.deepEqual(Object.keys(back), ['wide-g', 'wide-1', 'odd/children/0']);
      assert.deepEqual((back['wide-g'] as Group).children, ids(2001));
      assert.equal((await store.list<Wf>({ apiVersion: ref.apiVersion, kind: ref.kind })).items[0]!.status!.nodes!['wide-g']!.id, 'wide-g');
    } finally {
      db.close();
    }
    await store.delete(ref);
    assert.equal((new Database(file, { readonly: true }).prepare('SELECT count(*) AS n FROM object_parts').get() as { n: number }).n, 0, 'a delete takes every row, chunks too');
  });
});
