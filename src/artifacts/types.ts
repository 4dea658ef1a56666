/**
 * Glossary
 * - Artifact: a file (usually a tar+gzip of a file or directory) a workflow step produced.
 * - Repository: where artifacts live between steps: a local directory or an S3 bucket.
 * - Key: an artifact's relative path inside the repository (`ns/wf/node/out.tgz`); the same key
 *   works on every kind of repository.
 * - Location: what a workflow node's outputs record for an artifact, in Argo's shape.
 */
import type { Readable } from 'node:stream';

export interface LocalRepositoryConfig {
  kind: 'local';
  /** Root directory; defaults to `$home/artifacts`. */
  path?: string;
}

/** Argo's `artifactRepository.s3`, with the access keys already resolved from their Secrets. */
export interface S3RepositoryConfig {
  kind: 's3';
  bucket: string;
  /** `host:port` as Argo writes it; an explicit `http://` or `https://` is accepted too. */
  endpoint: string;
  /** Defaults to us-east-1, which S3-compatible servers accept. */
  region?: string;
  /** Plain HTTP instead of TLS (Argo's meaning). */
  insecure?: boolean;
  /** Put in front of every key, as Argo's (deprecated but common) `keyPrefix`. */
  keyPrefix?: string;
  accessKey: string;
  secretKey: string;
  /** Path-style URLs (`endpoint/bucket/key`); default true except for AWS endpoints. */
  forcePathStyle?: boolean;
}

export type ArtifactRepositoryConfig = LocalRepositoryConfig | S3RepositoryConfig;

/** Argo's S3 artifact location. `key` is the full object key, keyPrefix included. */
export interface S3ArtifactLocation {
  s3: { endpoint: string; bucket: string; key: string };
}

/** A local repository's location: the repository key. */
export interface LocalArtifactLocation {
  key: string;
}

export type ArtifactLocation = S3ArtifactLocation | LocalArtifactLocation;

export interface ArtifactRepository {
  readonly kind: 'local' | 's3';
  /** Stores the local file at `key` (replacing any object there); returns what a node's outputs record. */
  put(key: string, file: string): Promise<ArtifactLocation>;
  /** Copies the object at `key` into the local file `file` (parent dirs created). Throws ArtifactNotFoundError when missing. */
  get(key: string, file: string): Promise<void>;
  /**
   * The object at `key` as a stream, for serving it without a copy on disk (the dashboard's
   * download); `length` when the repository knows it. Throws ArtifactNotFoundError when missing.
   */
  open(key: string): Promise<{ stream: Readable; length?: number }>;
  exists(key: string): Promise<boolean>;
  /**
   * The key to read a recorded location's object by: an S3 location's key holds the keyPrefix
   * (as Argo records it), which the other methods add themselves.
   */
  keyOfLocation(recorded: string): string;
  /** For artifact GC; a missing key is fine. */
  delete(key: string): Promise<void>;
  /**
   * Deletes the key `prefix` and every key under `prefix/` (workflow deletion); returns how many.
   * A path prefix, not a string prefix: deleting `ns/wf` leaves `ns/wf2` alone.
   */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * The keys under `prefix/` (a path prefix), sorted: the files of a directory stored unarchived,
   * one object each. Empty when there are none; `undefined` when there are more than `limit`
   * (the listing stops there).
   */
  listPrefix(prefix: string, limit: number): Promise<string[] | undefined>;
  /** Releases connections; the repository is unusable afterwards. */
  close(): void;
}
