import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.js';
import { page } from './paging.js';

const obj = (namespace: string, name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name } });
const names = (p: { items: KubeObject[] }) => p.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

test('limit pages a list in namespace/name order, and continue picks up after the last one shown', () => {
  const all = [obj('b', 'x'), obj('a', 'z'), obj('a', 'y'), obj('c', 'w'), obj('b', 'v')];
  const first = page(all, '2', null);
  assert.deepEqual(names(first), ['a/y', 'a/z']);
  assert.equal(first.remainingItemCount, 3);
  const second = page(all, '2', first.continue!);
  assert.deepEqual(names(second), ['b/v', 'b/x']);
  const last = page(all, '2', second.continue!);
  assert.deepEqual(names(last), ['c/w']);
  assert.equal(last.continue, undefined, 'no token after the last page');
  assert.deepEqual(names(page(all, null, null)), ['b/x', 'a/z', 'a/y', 'c/w', 'b/v'], 'no limit: as listed');
  assert.deepEqual(names(page(all, '0', null)), names({ items: all }));
});

test('a bad limit or a continue token the server did not make is a 400', () => {
  assert.throws(() => page([], '-1', null), /limit must be a whole number/);
  assert.throws(() => page([], 'ten', null), /limit must be a whole number/);
  assert.throws(() => page([], '2', 'not-a-token'), /continue token "not-a-token" is not one this server made/);
});
