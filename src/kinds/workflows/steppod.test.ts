/** The step pod: its working directory's annotation and the wrapper around the step's command (run by a real sh). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStepPod, wrapperScript } from './steppod.js';
import type { Template, Workflow } from './types.js';

const wf = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'wf', namespace: 'default', uid: 'u', annotations: { 'drover.dev/source-dir': '/work/project' } }, spec: {} } as unknown as Workflow;
const pod = (template: Template) => buildStepPod({ wf, template, podName: 'wf-x', nodeId: 'wf-x', nodeName: 'wf.x', stagingDir: '/tmp/stage', inputArtifacts: [], volumes: [] });

test("a container step starts in the manifest's directory; a script step carries no source dir, so it starts in / as its image would", () => {
  assert.equal(pod({ name: 'c', container: { image: 'python:3.12', command: ['python', 'train.py'] } } as Template).metadata?.annotations?.['drover.dev/source-dir'], '/work/project');
  assert.equal(pod({ name: 's', script: { image: 'python:3.12', command: ['python'], source: 'print(1)' } } as Template).metadata?.annotations?.['drover.dev/source-dir'], undefined);
});

test("a container step without command runs its image's entrypoint (DROVER_IMAGE_ENTRYPOINT, quoted words) before its args; with a command it does not", () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-wrap-'));
  try {
    const run = (t: Template, argv: string[], entrypoint?: string) =>
      execFileSync('/bin/sh', ['-c', wrapperScript(t, []).replaceAll('D=/drover', `D=${dir}`), 'drover-step', ...argv], {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...(entrypoint ? { DROVER_IMAGE_ENTRYPOINT: entrypoint } : {}) },
      });
    const noCommand = { name: 'a', container: { image: 'argoproj/argosay:v2', args: ['hello world'] } } as Template;
    assert.equal(run(noCommand, ['hello world'], `'printf' '<%s>\\n'`), '<hello world>\n');
    assert.equal(run(noCommand, ['echo', 'plain']), 'plain\n', 'no entrypoint given: args run as the command');
    const withCommand = { name: 'b', container: { image: 'argoproj/argosay:v2', command: ['echo'], args: ['x'] } } as Template;
    assert.equal(run(withCommand, ['echo', 'x'], `'printf' '<%s>\\n'`), 'x\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
