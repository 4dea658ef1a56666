/** Where a container starts and what an image's environment adds: pure parts, no processes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from '../../api/index.js';
import { resolveArgv } from './env.js';
import { imageEnvironment, imageRepository, workingDirOf } from './launch.js';
import { podHostname } from './network/index.js';

test('image repositories: registry, library/ prefix, tag and digest are dropped', () => {
  assert.equal(imageRepository('alpine'), 'alpine');
  assert.equal(imageRepository('alpine:3.23'), 'alpine');
  assert.equal(imageRepository('docker.io/library/alpine:3.23'), 'alpine');
  assert.equal(imageRepository('quay.io/argoproj/argosay:v2'), 'argoproj/argosay');
  assert.equal(imageRepository('localhost:5000/team/trainer:1@sha256:abc'), 'team/trainer');
  assert.equal(imageRepository('python:alpine3.23'), 'python');
});

test("an image's environment is found by its exact name first, else by its repository", () => {
  const images = { 'python:3.11': { pathPrepend: ['/venv311'] }, python: { workingDir: '/' } };
  assert.deepEqual(imageEnvironment(images, 'python:3.11'), { pathPrepend: ['/venv311'] });
  assert.deepEqual(imageEnvironment(images, 'python:alpine3.23'), { workingDir: '/' });
  assert.equal(imageEnvironment(images, 'busybox'), undefined);
  assert.equal(imageEnvironment(images, undefined), undefined);
});

test("working dir: workingDir, then the image's, then / for upstream tool images, then the manifest's directory, then /", () => {
  const src = mkdtempSync(join(tmpdir(), 'drover-wd-'));
  try {
    const pod: Pod = { metadata: { name: 'p', annotations: { 'drover.dev/source-dir': src } } };
    const c = (image: string, more: Partial<Container> = {}): Container => ({ name: 'main', image, ...more });
    assert.deepEqual(workingDirOf(pod, c('busybox', { workingDir: '/work' })), { dir: '/work', create: true, fromHost: false });
    assert.deepEqual(workingDirOf(pod, c('example/tool'), { workingDir: '/opt/tool' }), { dir: '/opt/tool', create: true, fromHost: false });
    for (const image of ['busybox', 'alpine:3.23', 'argoproj/argosay:v2', 'docker/whalesay:latest']) assert.equal(workingDirOf(pod, c(image)).dir, '/', image);
    // The user's code is beside the manifest: Drover's examples run `python train.py` there.
    assert.deepEqual(workingDirOf(pod, c('python:3.11-slim')), { dir: src, create: false, fromHost: true });
    // An Argo script template's pod carries no source dir; nor does a pod whose directory is gone.
    assert.equal(workingDirOf({ metadata: { name: 'p' } }, c('python:3.11')).dir, '/');
    assert.equal(workingDirOf({ metadata: { name: 'p', annotations: { 'drover.dev/source-dir': join(src, 'gone') } } }, c('python:3.11')).dir, '/');
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
});

test("argv: an image's entrypoint runs when the container sets no command, with args after it; command replaces it", () => {
  const env = new Map([['WHO', 'argo']]);
  assert.deepEqual(resolveArgv({ name: 'm', args: ['echo', '$(WHO)'] }, env, ['argosay']), ['argosay', 'echo', 'argo']);
  assert.deepEqual(resolveArgv({ name: 'm' }, env, ['argosay']), ['argosay']);
  assert.deepEqual(resolveArgv({ name: 'm', command: ['sh', '-c'], args: ['true'] }, env, ['argosay']), ['sh', '-c', 'true']);
  assert.deepEqual(resolveArgv({ name: 'm', args: ['echo', 'hi'] }, env), ['echo', 'hi']);
});

test("a pod's hostname is spec.hostname, else its name cut to 63 characters without a trailing '-' or '.', as the kubelet does", () => {
  assert.equal(podHostname({ metadata: { name: 'short' } }), 'short');
  assert.equal(podHostname({ metadata: { name: 'x' }, spec: { hostname: 'chosen' } }), 'chosen');
  const long = `${'a'.repeat(62)}-tail-of-a-long-argo-step-pod-name`;
  assert.equal(podHostname({ metadata: { name: long } }), 'a'.repeat(62));
  assert.equal(podHostname({ metadata: { name: 'b'.repeat(63) + 'c' } }), 'b'.repeat(63));
});
