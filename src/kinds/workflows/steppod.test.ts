/** The step pod: its working directory's annotation and the wrapper around the step's command (run by a real sh). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStepPod, needsStaging, setContainers, wrapperScript } from './steppod.js';
import type { Template, Workflow } from './types.js';

const wf = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'wf', namespace: 'default', uid: 'u', annotations: { 'drover.dev/source-dir': '/work/project' } }, spec: {} } as unknown as Workflow;
const pod = (template: Template) => buildStepPod({ wf, template, podName: 'wf-x', nodeId: 'wf-x', nodeName: 'wf.x', stagingDir: '/tmp/stage', inputArtifacts: [], volumes: [] });

test("a container step starts in the manifest's directory; a script step carries no source dir, so it starts in / as its image would", () => {
  assert.equal(pod({ name: 'c', container: { image: 'python:3.12', command: ['python', 'train.py'] } } as Template).metadata?.annotations?.['drover.dev/source-dir'], '/work/project');
  assert.equal(pod({ name: 's', script: { image: 'python:3.12', command: ['python'], source: 'print(1)' } } as Template).metadata?.annotations?.['drover.dev/source-dir'], undefined);
});

test('a template\'s init containers come first, then its sidecars as init containers with restartPolicy Always; mirrorVolumeMounts adds the step\'s mounts, and only mounted volumes are kept', () => {
  const mounts = [{ name: 'data', mountPath: '/data' }];
  const b = buildStepPod({
    wf, template: {
      name: 't',
      container: { image: 'busybox', command: ['true'], volumeMounts: mounts },
      initContainers: [{ name: 'fetch', image: 'busybox', mirrorVolumeMounts: true }],
      sidecars: [{ name: 'proxy', image: 'busybox', volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }],
    } as Template,
    podName: 'wf-x', nodeId: 'wf-x', nodeName: 'wf.x', stagingDir: '/tmp/stage', inputArtifacts: [],
    volumes: [{ name: 'data', emptyDir: {} }, { name: 'cache', emptyDir: {} }, { name: 'unused', emptyDir: {} }],
  });
  assert.deepEqual(b.spec?.initContainers?.map((c) => [c.name, c.restartPolicy, c.volumeMounts?.map((m) => m.mountPath)]), [['fetch', undefined, ['/data']], ['proxy', 'Always', ['/cache']]]);
  assert.ok(b.spec?.initContainers?.every((c) => !('mirrorVolumeMounts' in c)), 'Argo\'s own field is not a pod field');
  assert.deepEqual(b.spec?.volumes?.map((v) => v.name), ['data', 'cache', 'drover-staging']);
  assert.equal(pod({ name: 'plain', container: { image: 'busybox' } } as Template).spec?.initContainers, undefined);
});

test('a step needing nothing of the wrapper runs its command as the container\'s own; a kept result, an output, an input to place or a missing command keep the wrapper', () => {
  const build = (template: Template, captureResult: boolean, inputArtifacts: Parameters<typeof buildStepPod>[0]['inputArtifacts'] = []) =>
    buildStepPod({ wf, template, podName: 'wf-x', nodeId: 'wf-x', nodeName: 'wf.x', stagingDir: '/tmp/stage', inputArtifacts, volumes: [], captureResult }).spec!.containers[0]!.command!;
  const plain = { name: 'c', container: { image: 'alpine', command: ['true'], args: ['x'] } } as Template;
  assert.deepEqual(build(plain, false), ['true', 'x']);
  assert.deepEqual(build({ name: 's', script: { image: 'python:3.12', command: ['python3'], source: 'print(1)' } } as Template, false), ['python3', '/drover/script']);
  const wrapped = (cmd: string[]) => cmd[0] === '/bin/sh' && cmd[3] === 'drover-step';
  assert.ok(wrapped(build(plain, true)), 'its result is kept');
  assert.ok(build(plain, true).join(' ').includes('| tee'), 'through tee');
  assert.ok(wrapped(build({ ...plain, outputs: { parameters: [{ name: 'p', valueFrom: { path: '/tmp/p' } }] } } as Template, false)), 'an output parameter');
  assert.ok(wrapped(build({ ...plain, outputs: { artifacts: [{ name: 'a', path: '/tmp/a' }] } } as Template, false)), 'an output artifact');
  assert.ok(wrapped(build(plain, false, [{ name: 'in', path: '/tmp/in', format: 'file' }])), 'an input the wrapper places');
  assert.deepEqual(build(plain, false, [{ name: 'in', path: '/tmp/in', format: 'file', staged: 'in/in' }]), ['true', 'x'], 'an input mounted in place needs no wrapper');
  assert.ok(wrapped(build({ name: 'e', container: { image: 'argoproj/argosay:v2', args: ['hi'] } } as Template, false)), 'no command: the wrapper runs the image\'s entrypoint');
  assert.ok(!wrapperScript(plain, [], undefined, false).includes('tee'), 'a wrapper that keeps no result has no pipe');
  const bare = buildStepPod({ wf, template: plain, podName: 'wf-x', nodeId: 'wf-x', nodeName: 'wf.x', stagingDir: '/tmp/stage', inputArtifacts: [], volumes: [], captureResult: false });
  assert.deepEqual([bare.spec?.volumes, bare.spec?.containers[0]?.volumeMounts], [[], []], 'nothing to stage: no staging directory mounted');
  assert.ok(needsStaging({ name: 's', script: { image: 'python:3.12', source: 'print(1)' } } as Template, false), 'a script\'s source is staged');
  assert.ok(needsStaging({ ...plain, inputs: { artifacts: [{ name: 'in', path: '/tmp/in' }] } } as Template, false), 'an input artifact is staged');
  assert.ok(!needsStaging(plain, false));
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

test('a containerSet’s wrappers (real sh, started together) run each container after its dependencies, skip the dependents of a failure, and the collector reads outputs once every container ended', async () => {
  const { spawn } = await import('node:child_process');
  const { readFileSync, existsSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'drover-set-'));
  try {
    const set = (failing: string) =>
      ({
        name: 'graph',
        containerSet: {
          containers: [
            { name: 'a', image: 'alpine', command: ['sh', '-c', `sleep 0.2; echo a >> ${dir}/order`] },
            { name: 'b', image: 'alpine', command: ['sh', '-c', `echo b >> ${dir}/order; [ ${failing} != b ]`], dependencies: ['a'] },
            { name: 'c', image: 'alpine', command: ['sh', '-c', `sleep 0.1; echo c >> ${dir}/order`], dependencies: ['a'] },
            { name: 'd', image: 'alpine', command: ['sh', '-c', `echo d >> ${dir}/order`], dependencies: ['b', 'c'] },
            { name: 'main', image: 'alpine', command: ['sh', '-c', 'echo result-of-main'] },
          ],
        },
        outputs: { parameters: [{ name: 'last', valueFrom: { path: `${dir}/order` } }] },
      }) as unknown as Template;
    const runAll = async (t: Template) => {
      rmSync(join(dir, 'out'), { recursive: true, force: true });
      rmSync(join(dir, 'order'), { force: true });
      const codes = await Promise.all(
        setContainers(t, []).map(
          (c) =>
            new Promise<[string, number]>((resolve) => {
              const [sh, flag, script, ...argv] = c.command!;
              const p = spawn(sh!, [flag!, script!.replaceAll('D=/drover', `D=${dir}`), ...argv], { stdio: 'ignore' });
              p.on('exit', (code) => resolve([c.name, code ?? -1]));
            }),
        ),
      );
      return new Map(codes);
    };
    const ok = await runAll(set('none'));
    assert.deepEqual([...ok.values()], [0, 0, 0, 0, 0]);
    const order = readFileSync(join(dir, 'order'), 'utf8').split('\n').filter(Boolean);
    assert.equal(order[0], 'a', 'a first');
    assert.equal(order[3], 'd', 'd after b and c');
    assert.deepEqual(order.slice(1, 3).sort(), ['b', 'c']);
    assert.equal(readFileSync(join(dir, 'out', 'stdout'), 'utf8'), 'result-of-main\n', 'the result is main’s stdout');
    assert.equal(readFileSync(join(dir, 'out', 'exit-code'), 'utf8').trim(), '0');
    assert.equal(readFileSync(join(dir, 'out', 'parameters', 'last'), 'utf8').split('\n').filter(Boolean).length, 4, 'main read the output after every container wrote it');

    const failed = await runAll(set('b'));
    assert.equal(failed.get('b'), 1);
    assert.equal(failed.get('d'), 1, 'd is not run: b failed');
    assert.equal(failed.get('c'), 0);
    assert.deepEqual(readFileSync(join(dir, 'order'), 'utf8').split('\n').filter(Boolean).sort(), ['a', 'b', 'c'], 'd never ran');
    assert.ok(existsSync(join(dir, 'out', 'containers', 'd')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
