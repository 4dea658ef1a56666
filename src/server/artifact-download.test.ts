import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArtifactTickets, TICKET_MS, artifactPath, recordedArtifact } from './artifact-download.js';
import type { KubeObject } from '../api/types.js';

const wf = (artifacts: unknown[]): KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: 'wf', namespace: 'team' },
  status: { nodes: { 'wf-123': { outputs: { artifacts } } } },
});

test('a download names only an artifact the node records: its local key as stored, an S3 one by the key the controller makes (the bucket key has the prefix)', () => {
  assert.deepEqual(recordedArtifact(wf([{ name: 'model', key: 'team/wf/wf-123/model.tgz' }]), 'wf-123', 'model'), { key: 'team/wf/wf-123/model.tgz', archived: true, file: 'model.tgz' });
  assert.deepEqual(recordedArtifact(wf([{ name: 'report', archive: { none: {} }, s3: { endpoint: 'x:9000', bucket: 'b', key: 'prefix/team/wf/wf-123/report' } }]), 'wf-123', 'report'), { key: 'team/wf/wf-123/report', archived: false, file: 'report' });
  assert.equal(recordedArtifact(wf([{ name: 'model', key: 'team/wf/wf-123/model.tgz' }]), 'wf-123', 'other'), undefined);
  assert.equal(recordedArtifact(wf([{ name: 'model', key: 'team/wf/wf-123/model.tgz' }]), 'wf-999', 'model'), undefined);
  // An input-only or raw artifact has no repository key: nothing to download.
  assert.equal(recordedArtifact(wf([{ name: 'raw', raw: { data: 'x' } }]), 'wf-123', 'raw'), undefined);
});

test('a download ticket is for one artifact and one user, good for a minute, spent by its first use (right or wrong)', () => {
  const tickets = new ArtifactTickets();
  const who = { name: 'ann', groups: ['system:authenticated'] };
  const path = artifactPath('team', 'wf', 'wf-123', 'model');
  const a = tickets.issue(who, path, 1_000);
  assert.equal(a.expires, 1_000 + TICKET_MS);
  assert.deepEqual(tickets.redeem(a.ticket, path, 2_000), who);
  assert.equal(tickets.redeem(a.ticket, path, 2_000), undefined, 'spent');
  const b = tickets.issue(who, path, 1_000);
  assert.equal(tickets.redeem(b.ticket, artifactPath('team', 'wf', 'wf-123', 'other'), 2_000), undefined, 'another artifact');
  assert.equal(tickets.redeem(b.ticket, path, 2_000), undefined, 'and spent by that try');
  const c = tickets.issue(who, path, 1_000);
  assert.equal(tickets.redeem(c.ticket, path, 1_000 + TICKET_MS), undefined, 'expired');
  assert.equal(tickets.redeem('made-up', path, 1_000), undefined);
  assert.equal(artifactPath('a b', 'wf', 'n', 'x/y'), '/artifacts/a%20b/wf/n/x%2Fy');
});
