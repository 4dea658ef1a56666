/**
 * Typed errors. Every failure a user can cause has a class with a stable `code`; the HTTP API
 * turns them into Kubernetes `Status` objects and the CLI prints `message` on one line.
 */

/** Where in a manifest a problem sits. Lines and columns are 1-based, as editors show them. */
export interface SourcePosition {
  file?: string;
  line?: number;
  column?: number;
}

/** One problem found in a manifest: the field path (`spec.template.spec.containers[0].image`) and what was expected. */
export interface FieldIssue extends SourcePosition {
  path: string;
  message: string;
}

export type StatusReason =
  | 'BadRequest'
  | 'Invalid'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  /** 410 Gone: a watch's resourceVersion is older than the history kept. */
  | 'Expired'
  | 'Forbidden'
  | 'Unauthorized'
  | 'MethodNotAllowed'
  /** 415: a body in an encoding the server does not read (protobuf); clients then send JSON. */
  | 'UnsupportedMediaType'
  /** 413: a request body over the server's limit. */
  | 'RequestEntityTooLarge'
  | 'Timeout'
  | 'ServiceUnavailable'
  | 'InternalError';

export abstract class DroverError extends Error {
  abstract readonly code: string;
  abstract readonly reason: StatusReason;
  abstract readonly httpStatus: number;
  /** A caller may try the same call again later and expect it to work. */
  readonly retryable: boolean = false;
}

export function formatPosition(p: SourcePosition): string {
  if (!p.file && p.line === undefined) return '';
  const parts = [p.file ?? '<input>'];
  if (p.line !== undefined) parts.push(String(p.line));
  if (p.column !== undefined) parts.push(String(p.column));
  return parts.join(':');
}

export function formatIssue(i: FieldIssue): string {
  const where = formatPosition(i);
  const field = i.path ? `${i.path}: ` : '';
  return `${where ? where + ': ' : ''}${field}${i.message}`;
}

/** A manifest that cannot be accepted. Carries every issue found, each with its position and field path. */
export class ValidationError extends DroverError {
  readonly code = 'VALIDATION_FAILED';
  readonly reason = 'Invalid' as const;
  readonly httpStatus = 422;
  constructor(readonly issues: FieldIssue[]) {
    super(issues.map(formatIssue).join('\n') || 'invalid manifest');
    this.name = 'ValidationError';
  }
}

/** A field or value Drover does not implement yet, named so the user knows what to change. */
export class UnsupportedError extends DroverError {
  readonly code = 'UNSUPPORTED';
  readonly reason = 'Invalid' as const;
  readonly httpStatus = 422;
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedError';
  }
}

export class BadRequestError extends DroverError {
  readonly code = 'BAD_REQUEST';
  readonly reason = 'BadRequest' as const;
  readonly httpStatus = 400;
  constructor(message: string) {
    super(message);
    this.name = 'BadRequestError';
  }
}

export class NotFoundError extends DroverError {
  readonly code = 'NOT_FOUND';
  readonly reason = 'NotFound' as const;
  readonly httpStatus = 404;
  constructor(readonly objectKind: string, readonly objectName: string, readonly namespace?: string) {
    super(`${objectKind} "${objectName}" not found${namespace ? ` in namespace "${namespace}"` : ''}`);
    this.name = 'NotFoundError';
  }
}

export class AlreadyExistsError extends DroverError {
  readonly code = 'ALREADY_EXISTS';
  readonly reason = 'AlreadyExists' as const;
  readonly httpStatus = 409;
  constructor(readonly objectKind: string, readonly objectName: string, readonly namespace?: string) {
    super(`${objectKind} "${objectName}" already exists${namespace ? ` in namespace "${namespace}"` : ''}`);
    this.name = 'AlreadyExistsError';
  }
}

/** Optimistic concurrency: the object changed since the caller read it. */
export class ConflictError extends DroverError {
  readonly code = 'CONFLICT';
  readonly reason = 'Conflict' as const;
  readonly httpStatus = 409;
  override readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** No credentials, or ones the server does not know (HTTP 401). */
export class UnauthorizedError extends DroverError {
  readonly code = 'UNAUTHORIZED';
  readonly reason = 'Unauthorized' as const;
  readonly httpStatus = 401;
  constructor(message: string) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends DroverError {
  readonly code = 'FORBIDDEN';
  readonly reason = 'Forbidden' as const;
  readonly httpStatus = 403;
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/** A request body over the limit (HTTP 413), worded as the API server words it; the connection is closed after the answer. */
export class RequestTooLargeError extends DroverError {
  readonly code = 'REQUEST_TOO_LARGE';
  readonly reason = 'RequestEntityTooLarge' as const;
  readonly httpStatus = 413;
  constructor(limitBytes: number) {
    super(`Request entity too large: limit is ${limitBytes}`);
    this.name = 'RequestTooLargeError';
  }
}

/** A request body in an encoding the server does not read (HTTP 415), such as protobuf. */
export class UnsupportedMediaTypeError extends DroverError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly reason = 'UnsupportedMediaType' as const;
  readonly httpStatus = 415;
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** The host lacks something Drover needs (bubblewrap, writable cgroups); the message says what to install. */
export class HostRequirementError extends DroverError {
  readonly code = 'HOST_REQUIREMENT';
  readonly reason = 'ServiceUnavailable' as const;
  readonly httpStatus = 503;
  constructor(message: string) {
    super(message);
    this.name = 'HostRequirementError';
  }
}

/** 503: what was asked for exists but cannot answer now (a stopped or starting notebook server). */
export class UnavailableError extends DroverError {
  readonly code = 'UNAVAILABLE';
  readonly reason = 'ServiceUnavailable' as const;
  readonly httpStatus = 503;
  override readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'UnavailableError';
  }
}

export class TimeoutError extends DroverError {
  readonly code = 'TIMEOUT';
  readonly reason = 'Timeout' as const;
  readonly httpStatus = 504;
  override readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** The Kubernetes `Status` object the API answers errors with. */
export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason;
  code: number;
  details?: { name?: string; kind?: string; causes?: { field: string; message: string }[] };
}

export function toStatus(err: unknown): StatusObject {
  if (err instanceof DroverError) {
    const s: StatusObject = {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: err.message, reason: err.reason, code: err.httpStatus,
    };
    if (err instanceof ValidationError) {
      s.details = { causes: err.issues.map((i) => ({ field: i.path, message: formatIssue(i) })) };
    }
    if (err instanceof NotFoundError || err instanceof AlreadyExistsError) {
      s.details = { name: err.objectName, kind: err.objectKind };
    }
    return s;
  }
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}
