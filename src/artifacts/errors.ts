/**
 * Artifact repository failures. Each carries a stable `code` so the workflow controller can tell
 * a missing input (fail the step) from an unreachable repository (retry later).
 */
import { DroverError } from '../api/errors.js';

/** No object under the key (or the local file is missing). */
export class ArtifactNotFoundError extends DroverError {
  readonly code = 'ARTIFACT_NOT_FOUND';
  readonly reason = 'NotFound' as const;
  readonly httpStatus = 404;
  constructor(readonly key: string, readonly where: string) {
    super(`artifact "${key}" not found in ${where}`);
    this.name = 'ArtifactNotFoundError';
  }
}

/** A key or key part that could escape the repository or is not a plain relative path. */
export class ArtifactKeyInvalidError extends DroverError {
  readonly code = 'ARTIFACT_KEY_INVALID';
  readonly reason = 'BadRequest' as const;
  readonly httpStatus = 400;
  constructor(readonly key: string, why: string) {
    super(`invalid artifact key "${key}": ${why}`);
    this.name = 'ArtifactKeyInvalidError';
  }
}

/** The repository's endpoint did not answer (refused, DNS, timeout, reset); worth retrying. */
export class ArtifactRepositoryUnreachableError extends DroverError {
  readonly code = 'ARTIFACT_REPOSITORY_UNREACHABLE';
  readonly reason = 'ServiceUnavailable' as const;
  readonly httpStatus = 503;
  override readonly retryable = true;
  constructor(readonly endpoint: string, detail: string) {
    super(`artifact repository at ${endpoint} is unreachable: ${detail}`);
    this.name = 'ArtifactRepositoryUnreachableError';
  }
}

/**
 * The repository answered but refused or failed (missing bucket, bad credentials, a source file
 * that changed while it was stored). `s3Code` is the S3 error code when there is one.
 */
export class ArtifactRepositoryError extends DroverError {
  readonly code = 'ARTIFACT_REPOSITORY_FAILED';
  readonly reason = 'InternalError' as const;
  readonly httpStatus = 500;
  override readonly retryable: boolean;
  constructor(message: string, readonly s3Code?: string, retryable = false) {
    super(message);
    this.name = 'ArtifactRepositoryError';
    this.retryable = retryable;
  }
}

/**
 * The local file to store is missing, not a regular file, or changed size while it was read;
 * nothing was stored. A step that did not produce its output ends here.
 */
export class ArtifactSourceError extends DroverError {
  readonly code = 'ARTIFACT_SOURCE_INVALID';
  readonly reason = 'BadRequest' as const;
  readonly httpStatus = 400;
  constructor(readonly file: string, why: string) {
    super(`cannot store "${file}": ${why}`);
    this.name = 'ArtifactSourceError';
  }
}
