/** Artifact keys: pure rules shared by every repository kind, so a key valid locally is valid on S3. */
import { ArtifactKeyInvalidError } from './errors.js';

/** Local repositories write `.drover-tmp-*` siblings before renaming; keys may not use the name. */
export const TEMP_MARK = '.drover-tmp-';

// S3's limit on a key, in UTF-8 bytes.
const MAX_KEY_BYTES = 1024;

/** Throws ArtifactKeyInvalidError unless `key` is a plain relative path of named segments. */
export function validateKey(key: string): string {
  if (typeof key !== 'string' || key === '') throw new ArtifactKeyInvalidError(String(key), 'must not be empty');
  if (key.startsWith('/')) throw new ArtifactKeyInvalidError(key, 'must be relative, not absolute');
  if (key.includes('\0')) throw new ArtifactKeyInvalidError(key, 'must not contain NUL');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new ArtifactKeyInvalidError(key, `must be at most ${MAX_KEY_BYTES} bytes`);
  for (const seg of key.split('/')) {
    if (seg === '') throw new ArtifactKeyInvalidError(key, 'must not contain empty path segments');
    if (seg === '.' || seg === '..') throw new ArtifactKeyInvalidError(key, `must not contain "${seg}" segments`);
    if (seg.startsWith(TEMP_MARK)) throw new ArtifactKeyInvalidError(key, `"${TEMP_MARK}" names are reserved`);
  }
  return key;
}

/** A prefix is a key path; one trailing slash is allowed and dropped. */
export function validatePrefix(prefix: string): string {
  const p = typeof prefix === 'string' && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return validateKey(p);
}

function segment(what: string, value: string): string {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..' || value.includes('/') || value.includes('\0')) {
    throw new ArtifactKeyInvalidError(String(value), `${what} must be a non-empty name without "/"`);
  }
  return value;
}

/**
 * Where a node's output artifact is stored: `<namespace>/<workflow>/<node>/<artifact>.tgz`.
 * Argo's default keyFormat is `{{workflow.name}}/{{pod.name}}` followed by `/<artifact>.tgz`; Drover
 * puts the namespace first because one repository serves every namespace and workflow names are
 * only unique within one. With `archive: none` the object is the raw file, so no extension.
 */
export function artifactKey(opts: { namespace: string; workflow: string; node: string; artifact: string; archive: 'tgz' | 'none' }): string {
  const name = segment('artifact', opts.artifact);
  const key = [segment('namespace', opts.namespace), segment('workflow', opts.workflow), segment('node', opts.node), opts.archive === 'tgz' ? `${name}.tgz` : name].join('/');
  return validateKey(key);
}
