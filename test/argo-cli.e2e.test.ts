/**
 * The real `argo` CLI (built by scripts/argo-cli.sh) in its HTTP mode against Drover's Argo Server
 * API, with the token the kubeconfig holds: submit --wait, list, get, logs, submit --log, delete.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Drover, REPO } from './drover.js';

const ARGO = execFileSync('bash', [join(REPO, 'scripts', 'argo-cli.sh'), 'path'], { encoding: 'utf8' }).trim();
const skip = existsSync(ARGO) ? false : process.env['DROVER_REQUIRE_ARGO_CLI'] ? false : `no argo CLI at ${ARGO}: build it with scripts/argo-cli.sh ensure`;

let d: Drover;
before(async () => {
  if (skip) return;
  d = await Drover.start({ cpus: '2', memory: '2Gi' });
});
after(async () => {
  await d?.stop();
});

/** The CLI colours each pod's lines whatever NO_COLOR says: the escapes are dropped before matching. */
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

function argo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env['PATH'] ?? '', HOME: d.home, ARGO_SERVER: d.url.replace(/^https?:\/\//, ''), ARGO_HTTP1: 'true', ARGO_SECURE: 'false', ARGO_TOKEN: `Bearer ${d.token}`, ARGO_NAMESPACE: 'default', NO_COLOR: '1' };
  return new Promise((resolve) => {
    execFile(ARGO, args, { env, timeout: 120_000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await argo(args);
  assert.equal(r.code, 0, `argo ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return plain(r.stdout);
}

const WORKFLOW = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: two-steps }
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - { name: one, template: say, arguments: { parameters: [{ name: word, value: first }] } }
    - - { name: two, template: say, arguments: { parameters: [{ name: word, value: second }] } }
  - name: say
    inputs: { parameters: [{ name: word }] }
    container: { image: busybox, workingDir: /, command: [sh, -c, "echo step {{inputs.parameters.word}}"] }
`;

test('argo submit --wait, list, get, logs and delete work against Drover in HTTP mode', { skip }, async () => {
  const file = join(d.home, 'two-steps.yaml');
  writeFileSync(file, WORKFLOW);
  // --wait follows /api/v1/workflow-events until the workflow ends.
  assert.match(await ok(['submit', file, '--wait']), /two-steps Succeeded at /);
  assert.match(await ok(['list']), /^two-steps\s+Succeeded\s/m);
  const got = await ok(['get', 'two-steps']);
  assert.match(got, /Status:\s+Succeeded/);
  assert.match(got, /one\s+say\s+two-steps-say-\d+/);
  assert.match(got, /two\s+say\s+two-steps-say-\d+/);
  const logs = (await ok(['logs', 'two-steps'])).trim().split('\n');
  assert.deepEqual(logs.map((l) => l.replace(/^two-steps-say-\d+: /, '')), ['step first', 'step second'], 'each step once, in step order, prefixed by its pod');
  await ok(['delete', 'two-steps']);
  assert.doesNotMatch(await ok(['list']), /two-steps/);
});

test('argo submit --log streams each step as it runs, in order', { skip }, async () => {
  const file = join(d.home, 'logged.yaml');
  writeFileSync(file, WORKFLOW.replace('name: two-steps', 'name: logged'));
  const out = await ok(['submit', file, '--log']);
  const lines = out.split('\n').filter((l) => /^logged-say-\d+: step /.test(l)).map((l) => l.replace(/^logged-say-\d+: /, ''));
  assert.deepEqual(lines, ['step first', 'step second']);
});
