/** `artifactRepository:` parsing: Argo's field names in, a typed config or field-named errors out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { ValidationError } from '../api/errors.js';
import { parseArtifactRepositoryConfig } from './index.js';

const issuesOf = (raw: unknown) => {
  try {
    parseArtifactRepositoryConfig(raw, '/home/u/.drover/config.yaml');
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    assert.equal(e.code, 'VALIDATION_FAILED');
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ValidationError');
};

test('an s3 repository written as in Argo\'s configmap parses into the typed config', () => {
  const raw = parse(`
s3:
  bucket: my-bucket
  endpoint: minio.example:9000
  insecure: true
  region: eu-west-1
  keyPrefix: artifacts/
  accessKey: AKIA
  secretKey: s3cr3t
`);
  assert.deepEqual(parseArtifactRepositoryConfig(raw, 'config.yaml'), {
    kind: 's3', bucket: 'my-bucket', endpoint: 'minio.example:9000', insecure: true, region: 'eu-west-1',
    keyPrefix: 'artifacts/', accessKey: 'AKIA', secretKey: 's3cr3t',
  });
  assert.deepEqual(parseArtifactRepositoryConfig({ s3: { bucket: 'b.k-1', endpoint: 'https://s3.amazonaws.com', accessKey: 'a', secretKey: 's', forcePathStyle: false } }, 'c'), {
    kind: 's3', bucket: 'b.k-1', endpoint: 'https://s3.amazonaws.com', accessKey: 'a', secretKey: 's', forcePathStyle: false,
  });
});

test('local is the default, and takes an optional path', () => {
  assert.deepEqual(parseArtifactRepositoryConfig(undefined, 'c'), { kind: 'local' });
  assert.deepEqual(parseArtifactRepositoryConfig({ local: {} }, 'c'), { kind: 'local' });
  assert.deepEqual(parseArtifactRepositoryConfig({ local: { path: '/data/artifacts' } }, 'c'), { kind: 'local', path: '/data/artifacts' });
  assert.deepEqual(parseArtifactRepositoryConfig({ local: null }, 'c'), { kind: 'local' });
});

test('every bad or missing s3 field is named, with the config file', () => {
  const err = (() => {
    try {
      parseArtifactRepositoryConfig({ s3: { bucket: 'Bad_Bucket', endpoint: 'http://h:9000/path', insecure: 'yes', accessKeySecret: { name: 's', key: 'k' } } }, '/home/u/.drover/config.yaml');
    } catch (e) {
      return e as ValidationError;
    }
    return undefined;
  })();
  assert.ok(err instanceof ValidationError);
  assert.match(err.message, /^\/home\/u\/\.drover\/config\.yaml: artifactRepository\.s3\./m);
  assert.deepEqual(err.issues.map((i) => i.path).sort(), [
    'artifactRepository.s3.accessKey', 'artifactRepository.s3.accessKeySecret', 'artifactRepository.s3.bucket',
    'artifactRepository.s3.endpoint', 'artifactRepository.s3.insecure', 'artifactRepository.s3.secretKey',
  ]);
  const issues = err.issues.map((i) => `${i.path}: ${i.message}`);
  assert.ok(issues.includes('artifactRepository.s3.accessKeySecret: Drover reads resolved keys: set accessKey'), issues.join('\n'));
  assert.ok(issues.includes('artifactRepository.s3.accessKey: required'));
  assert.ok(issues.includes('artifactRepository.s3.insecure: must be true or false'));
  assert.ok(issues.includes('artifactRepository.s3.endpoint: must be host:port without a path'));
});

test('Argo fields and repository kinds Drover does not implement are rejected by name, not ignored', () => {
  assert.deepEqual(issuesOf({ gcs: { bucket: 'b' } }), ['artifactRepository.gcs: not supported yet: use s3 (any S3-compatible storage) or local']);
  assert.deepEqual(issuesOf({ archiveLogs: true, local: {} }), ['artifactRepository.archiveLogs: not supported yet: logs stay in Drover']);
  assert.deepEqual(issuesOf({ s3: { bucket: 'bkt', endpoint: 'h:1', accessKey: 'a', secretKey: 's', keyFormat: '{{workflow.name}}' } }).map((i) => i.split(':')[0]), ['artifactRepository.s3.keyFormat']);
  assert.deepEqual(issuesOf({ s3: {}, local: {} }), ['artifactRepository: set exactly one of s3, local']);
  assert.deepEqual(issuesOf({ local: { path: '', extra: 1 } }), ['artifactRepository.local.extra: unknown field', 'artifactRepository.local.path: must be a non-empty string']);
  assert.deepEqual(issuesOf('s3'), ['artifactRepository: must be a mapping with one of: s3, local']);
});

test('an endpoint scheme must agree with insecure, and keyPrefix must be a clean path', () => {
  const base = { bucket: 'bkt', accessKey: 'a', secretKey: 's' };
  assert.deepEqual(issuesOf({ s3: { ...base, endpoint: 'https://h:9000', insecure: true } }), ['artifactRepository.s3.endpoint: https:// contradicts insecure: true']);
  assert.deepEqual(issuesOf({ s3: { ...base, endpoint: 'ftp://h' } }), ['artifactRepository.s3.endpoint: scheme must be http or https']);
  assert.deepEqual(issuesOf({ s3: { ...base, endpoint: 'h:9000', keyPrefix: '../up' } }), ['artifactRepository.s3.keyPrefix: invalid artifact key "../up": must not contain ".." segments']);
  assert.equal(parseArtifactRepositoryConfig({ s3: { ...base, endpoint: 'http://h:9000' } }, 'c').kind, 's3');
});
