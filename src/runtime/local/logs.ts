/**
 * Container logs. A container writes stdout and stderr straight into `<attempt>.log` (no pipe
 * through the server, so output survives a server crash). Kubernetes prefixes each line with the
 * time it was written; a raw file has no times, so the server keeps a side index
 * `<attempt>.log.ts` of lines `<endOffset> <epochMs>`: the bytes before that offset (and after
 * the previous line's) were first seen by the server at that time. The server notices growth on a short poll, so a time is
 * accurate to the poll interval; bytes written while the server was down get the time they were
 * first seen after it came back.
 */
import { closeSync, openSync, promises as fsp, readFileSync, readSync, watch, type FSWatcher } from 'node:fs';

export interface TsEntry {
  offset: number;
  ms: number;
}

export function parseTsIndex(text: string): TsEntry[] {
  const out: TsEntry[] = [];
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const offset = Number(line.slice(0, sp));
    const ms = Number(line.slice(sp + 1));
    if (Number.isFinite(offset) && Number.isFinite(ms)) out.push({ offset, ms });
  }
  return out;
}

/** Time of the byte at `offset`: the first index entry ending after it; `fallback` (now) for bytes not seen yet. */
export function timeAt(index: readonly TsEntry[], offset: number, fallback: number): number {
  let lo = 0;
  let hi = index.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (index[mid]!.offset > offset) {
      found = mid;
      hi = mid - 1;
    } else lo = mid + 1;
  }
  return found < 0 ? fallback : index[found]!.ms;
}

/** RFC 3339 with nanoseconds, fixed width, as `kubectl logs --timestamps` prints. */
export function rfc3339NanoFixed(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  return iso.slice(0, 23) + '000000Z';
}

/** Watches growing log files and appends to their timestamp index. One per runtime. */
export class LogTailer {
  private readonly files = new Map<string, { size: number; writing: Promise<void> }>();

  constructor(private readonly now: () => number) {}

  /** Starts tracking `log`; `knownSize` is how much of it the index already covers. */
  track(log: string, knownSize = 0): void {
    if (!this.files.has(log)) this.files.set(log, { size: knownSize, writing: Promise.resolve() });
  }

  /** Resumes tracking after a restart, from where the index ends. */
  async resume(log: string): Promise<void> {
    let size = 0;
    try {
      const idx = parseTsIndex(await fsp.readFile(log + '.ts', 'utf8'));
      size = idx[idx.length - 1]?.offset ?? 0;
    } catch {
      // No index yet.
    }
    this.track(log, size);
  }

  /** Records growth of every tracked file now. */
  async poll(): Promise<void> {
    await Promise.all([...this.files.keys()].map((f) => this.check(f)));
  }

  /** Records growth of one file (called at exit, to stamp the last output). */
  async check(log: string): Promise<void> {
    const st = this.files.get(log);
    if (!st) return;
    let size: number;
    try {
      size = (await fsp.stat(log)).size;
    } catch {
      return;
    }
    if (size <= st.size) return;
    st.size = size;
    const line = `${size} ${this.now()}\n`;
    st.writing = st.writing.then(() => fsp.appendFile(log + '.ts', line)).catch(() => undefined);
    await st.writing;
  }

  /** Stops tracking after a final check. */
  async untrack(log: string): Promise<void> {
    await this.check(log);
    const st = this.files.get(log);
    this.files.delete(log);
    await st?.writing;
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((s) => s.writing));
    this.files.clear();
  }
}

/** Byte offset where the last `n` lines of the file begin (a trailing newline ends the last line). */
export async function tailOffset(path: string, n: number): Promise<number> {
  const fh = await fsp.open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (n <= 0) return size;
    const block = 64 * 1024;
    let pos = size;
    let newlines = 0;
    let skipTrailing = true;
    const buf = Buffer.alloc(block);
    while (pos > 0) {
      const len = Math.min(block, pos);
      pos -= len;
      await fh.read(buf, 0, len, pos);
      for (let i = len - 1; i >= 0; i--) {
        if (buf[i] !== 0x0a) {
          skipTrailing = false;
          continue;
        }
        if (skipTrailing && pos + i === size - 1) continue;
        newlines++;
        if (newlines === n) return pos + i + 1;
      }
    }
    return 0;
  } finally {
    await fh.close();
  }
}

export interface ReadLogOptions {
  path: string;
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  signal?: AbortSignal;
  /** Resolves (true) when the writer is gone: follow drains the file and ends. */
  finished: () => boolean | Promise<boolean>;
  /** Settles when the writer may have ended, so a follower drains at once instead of at its next poll. */
  ended?: Promise<unknown>;
  /** Longest wait between two looks at the file when following (a change wakes it sooner). */
  pollMs?: number;
  /** The runtime's clock: the time of bytes the index does not cover yet. */
  now: () => number;
}

/** Reads a log as text chunks; with timestamps each chunk is whole lines, each prefixed with its time. */
export async function* readLog(o: ReadLogOptions): AsyncGenerator<string> {
  const pollMs = o.pollMs ?? 100;
  const now = o.now;
  let offset = o.tailLines !== undefined ? await tailOffset(o.path, o.tailLines) : 0;
  let index: TsEntry[] = [];
  let partial = Buffer.alloc(0);
  let partialStart = offset;
  // Synchronous reads: a local log is in the page cache and reads in microseconds, while every
  // await on the thread pool costs a turn of the event loop, tens of milliseconds on a busy server
  // (most of the time a short trial's metrics took to arrive).
  const fd = openSync(o.path, 'r');
  const wakeup = o.follow ? new Wakeup(o.path, o.ended) : undefined;
  try {
    const buf = Buffer.alloc(256 * 1024);
    for (;;) {
      if (o.signal?.aborted) return;
      const bytesRead = readSync(fd, buf, 0, buf.length, offset);
      if (bytesRead > 0) {
        const chunk = Buffer.from(buf.subarray(0, bytesRead));
        const chunkStart = offset;
        offset += bytesRead;
        if (!o.timestamps) {
          yield chunk.toString('utf8');
          continue;
        }
        if (partial.length === 0) partialStart = chunkStart;
        const data = partial.length ? Buffer.concat([partial, chunk]) : chunk;
        const lastNl = data.lastIndexOf(0x0a);
        if (lastNl < 0) {
          partial = data;
          continue;
        }
        index = loadIndex(o.path, index);
        yield stampLines(data.subarray(0, lastNl + 1), partialStart, index, now());
        partial = Buffer.from(data.subarray(lastNl + 1));
        partialStart += lastNl + 1;
        continue;
      }
      // At the end of what is written.
      const done = !o.follow || (await o.finished());
      if (done) {
        // One more read after learning the writer is gone, so nothing written just before is lost.
        const more = readSync(fd, buf, 0, buf.length, offset);
        if (more > 0) continue;
        if (o.timestamps && partial.length) {
          index = loadIndex(o.path, index);
          yield stampLines(partial, partialStart, index, now());
        }
        return;
      }
      await wakeup!.wait(pollMs, o.signal);
    }
  } finally {
    wakeup?.close();
    closeSync(fd);
  }
}

/**
 * What a follower at the end of a log waits for: the file changing (inotify, through fs.watch),
 * the writer ending, an abort, or `pollMs`, whichever comes first. Without it a follower saw new
 * lines and the end of the process only at its next poll, which was most of a short trial's
 * latency. The poll stays as the fallback where watching is not possible (no inotify left).
 */
class Wakeup {
  private watcher: FSWatcher | undefined;
  /** Something happened while nobody was waiting: the next wait returns at once. */
  private pending = false;
  private wake: (() => void) | undefined;

  constructor(path: string, ended: Promise<unknown> | undefined) {
    try {
      this.watcher = watch(path, { persistent: false }, () => this.fire());
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = undefined;
    }
    ended?.then(
      () => this.fire(),
      () => this.fire(),
    );
  }

  private fire(): void {
    this.pending = true;
    this.wake?.();
  }

  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.pending || signal?.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}

function loadIndex(path: string, prev: TsEntry[]): TsEntry[] {
  try {
    return parseTsIndex(readFileSync(path + '.ts', 'utf8'));
  } catch {
    return prev;
  }
}

function stampLines(data: Buffer, start: number, index: readonly TsEntry[], fallback: number): string {
  let out = '';
  let pos = 0;
  while (pos < data.length) {
    let nl = data.indexOf(0x0a, pos);
    if (nl < 0) nl = data.length - 1;
    out += rfc3339NanoFixed(timeAt(index, start + pos, fallback)) + ' ' + data.subarray(pos, nl + 1).toString('utf8');
    pos = nl + 1;
  }
  if (!out.endsWith('\n')) out += '\n';
  return out;
}
