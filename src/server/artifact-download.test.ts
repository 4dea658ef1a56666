import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordedArtifact } from './artifact-download.js';
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
