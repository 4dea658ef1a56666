/**
 * A log file bounded by size: past `maxBytes` it is renamed `<file>.1` (older ones shift up to
 * `<file>.<maxFiles-1>`, the oldest dropped) and a new one begun. A write that fails (a full
 * disk, a removed directory) is dropped, never thrown: the server must not die because its log
 * cannot grow. When writing works again, one line says how many were lost and why.
 */
import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export interface RotatingFileOptions {
  maxBytes: number;
  /** Files kept, the current one included (at least 1). */
  maxFiles: number;
}

export class RotatingFile {
  private fd: number | undefined;
  private size = 0;
  private dropped = 0;
  private lastError = '';

  constructor(
    readonly path: string,
    private readonly opts: RotatingFileOptions,
  ) {}

  /** Appends `text` (one or more whole lines); never throws. */
  write(text: string): void {
    try {
      if (this.dropped > 0) {
        const note = `${JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg: `${this.dropped} log line(s) could not be written`, error: this.lastError })}\n`;
        this.append(note);
        this.dropped = 0;
      }
      this.append(text);
    } catch (err) {
      this.dropped++;
      this.lastError = (err as Error).message;
      // Opened again at the next write: the file may have been removed or the disk replaced.
      this.closeFd();
    }
  }

  private append(text: string): void {
    const buf = Buffer.from(text);
    if (this.fd === undefined) {
      this.fd = openSync(this.path, 'a', 0o600);
      this.size = fstatSync(this.fd).size;
    }
    if (this.size > 0 && this.size + buf.length > this.opts.maxBytes) this.rotate();
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd!, buf, off);
    this.size += buf.length;
  }

  private rotate(): void {
    this.closeFd();
    const keep = Math.max(1, this.opts.maxFiles);
    if (keep === 1) rmSync(this.path, { force: true });
    else {
      rmSync(`${this.path}.${keep - 1}`, { force: true });
      for (let i = keep - 2; i >= 1; i--) {
        try {
          renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
        } catch {
          // Not there yet.
        }
      }
      renameSync(this.path, `${this.path}.1`);
    }
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = 0;
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already gone.
    }
    this.fd = undefined;
  }

  close(): void {
    this.closeFd();
  }
}
