/** The step's staging against a real local repository: bounds on directories stored unarchived. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactRepository } from '../../artifacts/local.js';
import { LocalStepIO, MAX_DIRECTORY_FILES } from './staging.js';
import type { Template, Workflow } from './types.js';

const wf = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'wf', namespace: 'default', uid: 'uid-1' }, spec: {} } as unknown as Workflow;

test(`a directory of more than ${MAX_DIRECTORY_FILES} files with archive: none errs the step, as output and as input, naming the artifact`, async () => {
  const home = mkdtempSync(join(tmpdir(), 'drover-staging-'));
  try {
    const repo = new LocalArtifactRepository(join(home, 'artifacts'));
    const io = new LocalStepIO(join(home, 'workflows'), repo);
    const template = { name: 'make', container: { image: 'alpine', command: ['true'] }, outputs: { artifacts: [{ name: 'many', path: '/tmp/many', archive: { none: {} } }] } } as unknown as Template;
    await io.prepare(wf, 'wf-1', template);
    const many = join(io.stagingDir(wf, 'wf-1'), 'out', 'artifacts', 'many');
    mkdirSync(join(many, 'sub'), { recursive: true });
    for (let i = 0; i <= MAX_DIRECTORY_FILES; i++) writeFileSync(join(many, i % 2 ? 'sub' : '', `f${i}`), '');
    await assert.rejects(io.collect(wf, 'wf-1', template), new RegExp(`^Error: outputs\\.artifacts\\.many: the directory holds more than ${MAX_DIRECTORY_FILES} files`));
    rmSync(join(many, 'f0'));
    const collected = await io.collect(wf, 'wf-1', template);
    const key = collected.artifacts.get('many')?.['key'] as string;
    assert.ok(key, 'at the limit it is stored, a key per file');
    // Another file under that key, as another writer of the repository could leave: now too many to take in.
    writeFileSync(join(home, 'extra'), '');
    await repo.put(`${key}/extra`, join(home, 'extra'));
    const reader = { name: 'read', container: { image: 'alpine', command: ['true'] }, inputs: { artifacts: [{ name: 'in', path: '/tmp/in', key }] } } as unknown as Template;
    await assert.rejects(io.prepare(wf, 'wf-2', reader), new RegExp(`^Error: inputs\\.artifacts\\.in: .* holds more than ${MAX_DIRECTORY_FILES} files`));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
