/**
 * `artifactRepository:` in Drover's config file, with Argo's field names:
 *
 *   artifactRepository:
 *     s3: { bucket: my-bucket, endpoint: 127.0.0.1:9000, insecure: true, accessKey: ..., secretKey: ... }
 *   # or
 *   artifactRepository:
 *     local: { path: /data/artifacts }
 */
import { ValidationError, type FieldIssue } from '../api/errors.js';
import type { ArtifactRepositoryConfig, S3RepositoryConfig } from './types.js';
import { validatePrefix } from './keys.js';
import { DroverError } from '../api/errors.js';

const BASE = 'artifactRepository';

// Argo fields Drover knows but does not implement, with what to write instead.
const S3_UNSUPPORTED: Record<string, string> = {
  accessKeySecret: 'Drover reads resolved keys: set accessKey',
  secretKeySecret: 'Drover reads resolved keys: set secretKey',
  sessionTokenSecret: 'temporary credentials are not supported yet',
  keyFormat: 'not supported yet: keys are <namespace>/<workflow>/<node>/<artifact>.tgz (use keyPrefix to put them under a folder)',
  roleARN: 'not supported yet: set accessKey and secretKey',
  useSDKCreds: 'not supported yet: set accessKey and secretKey',
  caSecret: 'not supported yet: the system CA store is used',
  createBucketIfNotPresent: 'not supported yet: create the bucket beforehand',
  encryptionOptions: 'not supported yet',
};
const OTHER_KINDS = ['gcs', 'azure', 'oss', 'hdfs', 'artifactory', 'http', 'git', 'raw'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates the object found under `artifactRepository:`; `source` names the file for messages.
 * Absent means the default local repository. Throws ValidationError naming every bad field.
 */
export function parseArtifactRepositoryConfig(raw: unknown, source: string): ArtifactRepositoryConfig {
  if (raw === undefined || raw === null) return { kind: 'local' };
  const issues: FieldIssue[] = [];
  const bad = (path: string, message: string) => issues.push({ file: source, path, message });
  const fail = () => new ValidationError(issues);

  if (!isRecord(raw)) {
    bad(BASE, 'must be a mapping with one of: s3, local');
    throw fail();
  }
  for (const k of Object.keys(raw)) {
    if (k === 's3' || k === 'local') continue;
    if (OTHER_KINDS.includes(k)) bad(`${BASE}.${k}`, 'not supported yet: use s3 (any S3-compatible storage) or local');
    else if (k === 'archiveLogs') bad(`${BASE}.archiveLogs`, 'not supported yet: logs stay in Drover');
    else bad(`${BASE}.${k}`, 'unknown field');
  }
  const kinds = (['s3', 'local'] as const).filter((k) => raw[k] !== undefined);
  if (kinds.length > 1) bad(BASE, 'set exactly one of s3, local');
  if (issues.length) throw fail();

  if (raw.local !== undefined || kinds.length === 0) {
    const local = raw.local ?? {};
    const at = `${BASE}.local`;
    if (!isRecord(local)) {
      bad(at, 'must be a mapping (path is optional)');
      throw fail();
    }
    for (const k of Object.keys(local)) if (k !== 'path') bad(`${at}.${k}`, 'unknown field');
    if (local.path !== undefined && (typeof local.path !== 'string' || local.path === '')) bad(`${at}.path`, 'must be a non-empty string');
    if (issues.length) throw fail();
    return typeof local.path === 'string' ? { kind: 'local', path: local.path } : { kind: 'local' };
  }

  const s3 = raw.s3;
  const at = `${BASE}.s3`;
  if (!isRecord(s3)) {
    bad(at, 'must be a mapping with bucket, endpoint, accessKey and secretKey');
    throw fail();
  }
  const known = new Set(['bucket', 'endpoint', 'region', 'insecure', 'keyPrefix', 'accessKey', 'secretKey', 'forcePathStyle']);
  for (const k of Object.keys(s3)) {
    if (known.has(k)) continue;
    bad(`${at}.${k}`, S3_UNSUPPORTED[k] ?? 'unknown field');
  }
  const str = (k: string, required: boolean): string | undefined => {
    const v = s3[k];
    if (v === undefined) {
      if (required) bad(`${at}.${k}`, 'required');
      return undefined;
    }
    if (typeof v !== 'string' || v === '') {
      bad(`${at}.${k}`, 'must be a non-empty string');
      return undefined;
    }
    return v;
  };
  const bool = (k: string): boolean | undefined => {
    const v = s3[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      bad(`${at}.${k}`, 'must be true or false');
      return undefined;
    }
    return v;
  };
  const bucket = str('bucket', true);
  const endpoint = str('endpoint', true);
  const region = str('region', false);
  const keyPrefix = str('keyPrefix', false);
  const accessKey = str('accessKey', true);
  const secretKey = str('secretKey', true);
  const insecure = bool('insecure');
  const forcePathStyle = bool('forcePathStyle');

  if (bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    bad(`${at}.bucket`, 'must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)');
  }
  if (endpoint !== undefined) {
    const why = endpointProblem(endpoint, insecure);
    if (why) bad(`${at}.endpoint`, why);
  }
  if (keyPrefix !== undefined) {
    try {
      validatePrefix(keyPrefix);
    } catch (e) {
      bad(`${at}.keyPrefix`, e instanceof DroverError ? e.message : String(e));
    }
  }
  if (issues.length) throw fail();

  const config: S3RepositoryConfig = { kind: 's3', bucket: bucket!, endpoint: endpoint!, accessKey: accessKey!, secretKey: secretKey! };
  if (region !== undefined) config.region = region;
  if (insecure !== undefined) config.insecure = insecure;
  if (keyPrefix !== undefined) config.keyPrefix = keyPrefix;
  if (forcePathStyle !== undefined) config.forcePathStyle = forcePathStyle;
  return config;
}

/** The endpoint as a URL: Argo writes `host:port` and chooses the scheme by `insecure`. */
export function endpointUrl(endpoint: string, insecure: boolean | undefined): URL {
  const explicit = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint);
  return new URL(explicit ? endpoint : `${insecure ? 'http' : 'https'}://${endpoint}`);
}

function endpointProblem(endpoint: string, insecure: boolean | undefined): string | undefined {
  let url: URL;
  try {
    url = endpointUrl(endpoint, insecure);
  } catch {
    return 'must be host:port (e.g. minio.example:9000)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'scheme must be http or https';
  if (url.pathname !== '/' || url.search || url.hash || url.username) return 'must be host:port without a path';
  if (/^https?:/i.test(endpoint)) {
    if (insecure === true && url.protocol === 'https:') return 'https:// contradicts insecure: true';
    if (insecure === false && url.protocol === 'http:') return 'http:// contradicts insecure: false';
  }
  return undefined;
}
