/**
 * The audit log: one JSON line per API request, appended to `$DROVER_HOME/audit.log` (0600) and
 * rotated by size (audit.log → audit.log.1 → … → audit.log.N, the oldest dropped). Auditing never
 * stops a request: a failed write is reported once in the server's log, and writing is tried
 * again with the next entry.
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Logger } from '../util/logger.js';

/** One request, as Kubernetes' audit events name its parts. */
export interface AuditEntry {
  time: string;
  user: string;
  groups: readonly string[];
  /** get, list, watch, create, update, patch, delete, deletecollection; a lowercase method for other paths. */
  verb: string;
  /** The path without its query (a pod's credential travels in the query). */
  path: string;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  code: number;
  sourceIP: string;
  userAgent?: string;
}

export interface AuditLogOptions {
  file: string;
  /** Rotate when the file would grow past this (default 10 MiB). */
  maxBytes?: number;
  /** Rotated files kept besides the current one (default 5). */
  maxFiles?: number;
  logger: Logger;
}

export class AuditLog {
  private fd: number | undefined;
  private size = 0;
  private failing = false;
  private readonly maxBytes: number;
  private readonly maxFiles: number;

  constructor(private readonly o: AuditLogOptions) {
    this.maxBytes = o.maxBytes ?? 10 * 1024 * 1024;
    this.maxFiles = o.maxFiles ?? 5;
  }

  record(entry: AuditEntry): void {
    const line = Buffer.from(`${JSON.stringify(entry)}\n`);
    try {
      if (this.fd === undefined) this.open();
      if (this.size > 0 && this.size + line.length > this.maxBytes) this.rotate();
      writeSync(this.fd!, line);
      this.size += line.length;
      if (this.failing) {
        this.failing = false;
        this.o.logger.info('the audit log is written again', { file: this.o.file });
      }
    } catch (err) {
      this.closeQuietly();
      if (!this.failing) {
        this.failing = true;
        this.o.logger.error('cannot write the audit log: requests go on unaudited until it can be written', { file: this.o.file, error: (err as Error).message });
      }
    }
  }

  close(): void {
    this.closeQuietly();
  }

  private open(): void {
    this.fd = openSync(this.o.file, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.closeQuietly();
    const f = this.o.file;
    if (this.maxFiles <= 0) rmSync(f, { force: true });
    else {
      rmSync(`${f}.${this.maxFiles}`, { force: true });
      for (let i = this.maxFiles - 1; i >= 1; i--) if (existsSync(`${f}.${i}`)) renameSync(`${f}.${i}`, `${f}.${i + 1}`);
      renameSync(f, `${f}.1`);
    }
    this.open();
  }

  private closeQuietly(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // already gone
    }
    this.fd = undefined;
  }
}
