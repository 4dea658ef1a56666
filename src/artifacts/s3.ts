/**
 * S3-compatible storage (AWS S3, MinIO, versitygw, GCS interop) through the AWS SDK. Bodies are
 * streamed both ways; nothing holds a whole artifact in memory.
 */
import {
  DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand,
  ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DroverError } from '../api/errors.js';
import { endpointUrl } from './config.js';
import { ArtifactNotFoundError, ArtifactRepositoryError, ArtifactRepositoryUnreachableError, ArtifactSourceError } from './errors.js';
import { TEMP_MARK, validateKey, validatePrefix } from './keys.js';
import { exactLength, openSource, sourceErrorIn } from './source.js';
import type { ArtifactRepository, S3ArtifactLocation, S3RepositoryConfig } from './types.js';

export interface S3Tuning {
  /** Attempts per request, first included (the SDK retries throttling, 5xx and network errors). */
  maxAttempts?: number;
  /** How long to wait for a TCP connection before calling the endpoint unreachable. */
  connectTimeoutMs?: number;
  /** How long a connection may sit silent mid-request before it is given up. */
  idleTimeoutMs?: number;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const silent = { debug() {}, info() {}, warn() {}, error() {} };

export class S3ArtifactRepository implements ArtifactRepository {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  /** The endpoint as users configured it, for messages. */
  private readonly where: string;

  constructor(private readonly config: S3RepositoryConfig, tuning: S3Tuning = {}) {
    const url = endpointUrl(config.endpoint, config.insecure);
    this.bucket = config.bucket;
    this.prefix = config.keyPrefix ? validatePrefix(config.keyPrefix) + '/' : '';
    this.where = url.origin;
    this.client = new S3Client({
      endpoint: url.origin,
      region: config.region ?? 'us-east-1',
      credentials: { accessKeyId: config.accessKey, secretAccessKey: config.secretKey },
      // Virtual-hosted buckets need DNS per bucket, which self-hosted servers rarely have.
      forcePathStyle: config.forcePathStyle ?? !/(^|\.)amazonaws\.com(\.cn)?$/.test(url.hostname),
      // The SDK's default CRC32 trailers break many S3-compatible servers (GCS interop, older
      // MinIO and Ceph); checksum only where the API demands one.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: tuning.maxAttempts ?? 3,
      // Inactivity, not total time: a large artifact may take minutes, a silent server may not.
      requestHandler: { connectionTimeout: tuning.connectTimeoutMs ?? 5000, socketTimeout: tuning.idleTimeoutMs ?? 120_000 },
      logger: silent,
    });
  }

  private full(key: string): string {
    return this.prefix + validateKey(key);
  }

  keyOfLocation(recorded: string): string {
    return this.prefix && recorded.startsWith(this.prefix) ? recorded.slice(this.prefix.length) : recorded;
  }

  async put(key: string, file: string): Promise<S3ArtifactLocation> {
    const Key = this.full(key);
    const source = await openSource(file);
    let md5: string;
    try {
      md5 = await source.md5();
    } catch (e) {
      await source.close();
      throw e;
    }
    const body = source.stream();
    // The SDK pipes the body without watching it for errors; a body that fails would leave the
    // server waiting for the rest forever, so a failing body aborts the request.
    const abort = new AbortController();
    let bodyError: unknown;
    body.once('error', (e) => {
      bodyError = e;
      abort.abort();
    });
    try {
      // Content-MD5 makes the server refuse a body cut short (a crash, a shrinking file) instead
      // of storing it: some S3-compatible servers take an early EOF as the end of the object.
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentLength: source.size, ContentMD5: md5 }), { abortSignal: abort.signal });
    } catch (e) {
      const changed = sourceErrorIn(bodyError) ?? sourceErrorIn(e);
      if (changed) throw changed;
      if (bodyError) throw new ArtifactSourceError(file, `reading failed: ${describe(bodyError)}`);
      // A server that refuses a request (bad credentials, missing bucket) may close the connection
      // while the body is still being sent, which reads like a network failure; ask it plainly.
      if (isNetworkError(e)) await this.probe(e);
      throw this.translate(e, 'PutObject', key);
    } finally {
      await source.close();
    }
    return { s3: { endpoint: this.config.endpoint, bucket: this.bucket, key: Key } };
  }

  private async probe(original: unknown): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      if (statusOf(e) === 404) throw new ArtifactRepositoryError(`bucket "${this.bucket}" does not exist at ${this.where}`, 'NoSuchBucket');
      if (!isNetworkError(e)) throw this.translate(e, 'HeadBucket');
      throw this.translate(original, 'PutObject');
    }
  }

  async get(key: string, file: string): Promise<void> {
    const Key = this.full(key);
    let body: Readable;
    let length: number | undefined;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      body = out.Body as Readable;
      length = out.ContentLength;
    } catch (e) {
      throw this.translate(e, 'GetObject', key);
    }
    await mkdir(dirname(file), { recursive: true });
    const tmp = join(dirname(file), `${TEMP_MARK}${randomBytes(8).toString('hex')}-${basename(file)}`.slice(0, 255));
    try {
      const stages: NodeJS.ReadableStream[] = [body];
      if (length !== undefined) stages.push(exactLength(`s3://${this.bucket}/${Key}`, length));
      await pipeline([...stages, createWriteStream(tmp, { flags: 'wx' })]);
      await rename(tmp, file);
    } catch (e) {
      body.destroy();
      await unlink(tmp).catch(() => {});
      const short = sourceErrorIn(e);
      if (short) throw new ArtifactRepositoryError(`reading s3://${this.bucket}/${Key} from ${this.where} ended early: ${short.message}`, undefined, true);
      if (e instanceof DroverError) throw e;
      if (isNetworkError(e)) throw new ArtifactRepositoryUnreachableError(this.where, `reading s3://${this.bucket}/${Key}: ${describe(e)}`);
      throw e;
    }
  }

  async open(key: string): Promise<{ stream: Readable; length?: number }> {
    const Key = this.full(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      return { stream: out.Body as Readable, ...(out.ContentLength !== undefined ? { length: out.ContentLength } : {}) };
    } catch (e) {
      throw this.translate(e, 'GetObject', key);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      return true;
    } catch (e) {
      const t = this.translate(e, 'HeadObject', key);
      if (t instanceof ArtifactNotFoundError) return false;
      throw t;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
    } catch (e) {
      const t = this.translate(e, 'DeleteObject', key);
      if (!(t instanceof ArtifactNotFoundError)) throw t;
    }
  }

  /** The bucket's keys that start with `start`, a page (up to 1,000) at a time. */
  private async *pagesOfKeys(start: string): AsyncGenerator<string[]> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: start, ContinuationToken: token }));
      } catch (e) {
        throw this.translate(e, 'ListObjectsV2');
      }
      yield (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => k !== undefined);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async deletePrefix(prefix: string): Promise<number> {
    const base = this.prefix + validatePrefix(prefix);
    let deleted = 0;
    // A path prefix: `ns/wf` must not take `ns/wf2` with it.
    for await (const keys of this.pagesOfKeys(base)) deleted += await this.deleteKeys(keys.filter((k) => k === base || k.startsWith(base + '/')));
    return deleted;
  }

  async listPrefix(prefix: string, limit: number): Promise<string[] | undefined> {
    const base = this.prefix + validatePrefix(prefix).replace(/\/+$/, '') + '/';
    const out: string[] = [];
    for await (const keys of this.pagesOfKeys(base)) {
      for (const k of keys) if (k.length > base.length) out.push(k.slice(this.prefix.length));
      if (out.length > limit) return undefined;
    }
    return out.sort();
  }

  private async deleteKeys(keys: string[]): Promise<number> {
    if (!keys.length) return 0;
    try {
      const out = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: false } }));
      const failed = out.Errors ?? [];
      if (failed.length) {
        const f = failed[0]!;
        throw new ArtifactRepositoryError(`deleting ${failed.length} of ${keys.length} objects from s3://${this.bucket} at ${this.where} failed, first ${f.Key}: ${f.Code} ${f.Message ?? ''}`.trim(), f.Code);
      }
      return out.Deleted?.length ?? keys.length;
    } catch (e) {
      if (e instanceof DroverError) throw e;
      // GCS interop and some gateways lack multi-object delete.
      if (errorName(e) === 'NotImplemented' || statusOf(e) === 501) {
        for (const Key of keys) {
          try {
            await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
          } catch (e2) {
            throw this.translate(e2, 'DeleteObject');
          }
        }
        return keys.length;
      }
      throw this.translate(e, 'DeleteObjects');
    }
  }

  /** Maps an SDK failure to a Drover error; `key` is the repository key, for not-found. */
  private translate(e: unknown, op: string, key?: string): DroverError {
    if (e instanceof DroverError) return e;
    const name = errorName(e);
    const status = statusOf(e);
    if (key !== undefined && (name === 'NoSuchKey' || (name === 'NotFound' && status === 404))) {
      return new ArtifactNotFoundError(key, `s3://${this.bucket}${this.prefix ? '/' + this.prefix.slice(0, -1) : ''} at ${this.where}`);
    }
    if (name === 'NoSuchBucket') return new ArtifactRepositoryError(`bucket "${this.bucket}" does not exist at ${this.where}`, name);
    if (status === undefined && isNetworkError(e)) return new ArtifactRepositoryUnreachableError(this.where, describe(e));
    const retryable = status !== undefined && (status >= 500 || status === 429 || name === 'SlowDown');
    // HEAD answers have no body, so the SDK names them only by status.
    const named = name && !['Error', 'Unknown', 'UnknownError'].includes(name);
    const what = named ? `${name}${status ? ` (HTTP ${status})` : ''}` : `HTTP ${status ?? '?'}`;
    const detail = named && e instanceof Error && e.message && e.message !== name && e.message !== 'UnknownError' ? `: ${e.message}` : '';
    const hint = status === 401 || status === 403 ? ' (check accessKey and secretKey)' : '';
    return new ArtifactRepositoryError(`S3 ${op} on s3://${this.bucket} at ${this.where} failed: ${what}${detail}${hint}`, named ? name : undefined, retryable);
  }

  close(): void {
    this.client.destroy();
  }
}

function errorName(e: unknown): string | undefined {
  return (e as { name?: string; Code?: string })?.Code ?? (e as { name?: string })?.name;
}

function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNetworkError(e: unknown): boolean {
  for (let c = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as NodeJS.ErrnoException).code;
    if (code && NETWORK_CODES.has(code)) return true;
    const name = (c as Error).name;
    // The SDK's connection timeout and a socket hang-up before any response.
    if (name === 'TimeoutError' || (c as Error).message === 'socket hang up') return true;
  }
  return false;
}

function describe(e: unknown): string {
  const parts: string[] = [];
  for (let c = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const m = c instanceof Error ? c.message : String(c);
    if (m && !parts.includes(m)) parts.push(m);
  }
  return parts.join(': ') || 'no answer';
}
