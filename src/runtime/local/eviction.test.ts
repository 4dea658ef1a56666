import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '../../api/index.js';
import { diskUsage, hasStorageLimits, storageEviction } from './eviction.js';

const MI = 2 ** 20;
const pod = (containers: { name: string; limit?: string }[], volumes: NonNullable<Pod['spec']>['volumes'] = []): Pod => ({
  metadata: { name: 'p' },
  spec: { containers: containers.map((c) => ({ name: c.name, ...(c.limit ? { resources: { limits: { 'ephemeral-storage': c.limit } } } : {}) })), volumes },
});
const usage = (containers: Record<string, number>, emptyDirs: Record<string, number> = {}) => ({ containers: new Map(Object.entries(containers)), emptyDirs: new Map(Object.entries(emptyDirs)) });

test("the kubelet's verdicts on local storage, in its order and words: emptyDir sizeLimit, then the pod's total, then a container's own", () => {
  assert.equal(hasStorageLimits(pod([{ name: 'a' }])), false);
  assert.equal(hasStorageLimits(pod([{ name: 'a', limit: '10Mi' }])), true);
  // Within bounds.
  assert.equal(storageEviction(pod([{ name: 'a', limit: '10Mi' }]), usage({ a: 10 * MI })), undefined);
  // One container past its limit: the pod's total (its only limit) is checked first.
  assert.equal(storageEviction(pod([{ name: 'a', limit: '10Mi' }]), usage({ a: 11 * MI })), 'Pod ephemeral local storage usage exceeds the total limit of containers 10Mi. ');
  // emptyDirs count toward the pod's total.
  assert.equal(storageEviction(pod([{ name: 'a', limit: '10Mi' }], [{ name: 'scratch', emptyDir: {} }]), usage({ a: 1 * MI }, { scratch: 20 * MI })), 'Pod ephemeral local storage usage exceeds the total limit of containers 10Mi. ');
  // Two limits: the pod's bound is their sum; a container past its own within that sum.
  const two = pod([{ name: 'a', limit: '10Mi' }, { name: 'b', limit: '100Mi' }, { name: 'c' }]);
  assert.equal(storageEviction(two, usage({ a: 30 * MI, b: 0, c: 50 * MI })), 'Container a exceeded its local ephemeral storage limit "10Mi". ');
  assert.equal(storageEviction(two, usage({ a: 5 * MI, b: 60 * MI, c: 50 * MI })), 'Pod ephemeral local storage usage exceeds the total limit of containers 110Mi. ');
  // A container without a limit adds nothing to the bound, and is never evicted on its own.
  assert.equal(storageEviction(pod([{ name: 'a', limit: '10Mi' }, { name: 'c' }]), usage({ a: 0, c: 9 * MI })), undefined);
  // An emptyDir past its sizeLimit comes first; a memory-backed one is memory's business.
  const sized = pod([{ name: 'a', limit: '1Gi' }], [{ name: 'cache', emptyDir: { sizeLimit: '5Mi' } }, { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }]);
  assert.equal(storageEviction(sized, usage({ a: 0 }, { cache: 6 * MI, shm: 0 })), 'Usage of EmptyDir volume "cache" exceeds the limit "5Mi". ');
  assert.equal(storageEviction(sized, usage({ a: 0 }, { cache: 1 * MI })), undefined);
});

test('disk usage counts blocks held, as du does, through directories; a missing path holds none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-du-'));
  try {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'b', 'f'), Buffer.alloc(3 * MI, 1));
    const used = await diskUsage(dir);
    assert.ok(used >= 3 * MI && used < 4 * MI, `${used}`);
    assert.equal(await diskUsage(join(dir, 'none')), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
