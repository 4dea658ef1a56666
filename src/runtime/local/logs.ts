/**
 * Container logs. A container writes stdout and stderr straight into `<attempt>.log` (no pipe
 * through the server, so output survives a server crash). Kubernetes prefixes each line with the
 * time it was written; a raw file has no times, so the server keeps a side index
 * `<attempt>.log.ts` of lines `<endOffset> <epochMs>`: the bytes before that offset (and after
 * the previous line's) were first seen by the server at that time. The server notices growth on a short poll, so a time is
 * accurate to the poll interval; bytes written while the server was down get the time they were
 * first seen after it came back.
 *
 * Rotation (the kubelet's containerLogMaxSize × containerLogMaxFiles). The container holds the
 * file open, so it cannot be renamed away (the writes would follow the inode) nor truncated
 * (copytruncate loses what is written between the copy and the truncate). Instead the log is one
 * file whose "rotated files" are consecutive regions ("segments"): when the current segment
 * exceeds the size, a new one begins at the next line start, and when there are more than the
 * number of files, the oldest segments' bytes are freed in place with `fallocate --punch-hole`
 * (the file keeps its length and offsets, its blocks go back to the filesystem). Nothing the
 * container writes is lost or written twice, offsets never move (so the timestamp index and
 * readers keep their positions), and disk use stays near size × files; `ls -l` shows the
 * apparent length, `du` what is kept. `<attempt>.log.rot` (JSON, written before any punch) holds
 * the segments' starts; the first is where readable bytes begin. A reader that falls more than
 * size × files behind skips what was dropped, as a kubelet follower does after its file is gone.
 */
import { closeSync, existsSync, openSync, promises as fsp, readFileSync, readSync, watch, type FSWatcher } from 'node:fs';
import { spawn } from 'node:child_process';
import { writeAtomic } from './fsutil.js';

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

/** What `<log>.rot` holds: the start offset of each kept segment, oldest first (the first is where the log begins). */
export interface RotationState {
  starts: number[];
}

/** Where a log's readable bytes begin: 0 until it has been rotated. */
export function logStart(path: string): number {
  const f = path + '.rot';
  if (!existsSync(f)) return 0;
  try {
    return (JSON.parse(readFileSync(f, 'utf8')) as RotationState).starts[0] ?? 0;
  } catch {
    return 0;
  }
}

async function readRotation(path: string): Promise<number[]> {
  try {
    const starts = (JSON.parse(await fsp.readFile(path + '.rot', 'utf8')) as RotationState).starts;
    return Array.isArray(starts) && starts.length ? starts : [0];
  } catch {
    return [0];
  }
}

export interface LogRotation {
  /** A segment is closed when it exceeds this many bytes (containerLogMaxSize). */
  maxBytes: number;
  /** Segments kept, the current one included (containerLogMaxFiles). */
  maxFiles: number;
  /** util-linux `fallocate`; without it (or where the filesystem cannot punch holes) old bytes are hidden but keep their space. */
  fallocate?: string;
  /** Told once per file when freeing space failed. */
  warn?(message: string, fields: Record<string, unknown>): void;
}

/**
 * The segment starts after `size` bytes: while the current segment exceeds `maxBytes`, a new one
 * starts at the first line start at or after `maxBytes` into it (waiting for the line under way
 * to end, up to `lineSlack` bytes; then exactly there), then only the last `maxFiles` are kept. `newlineAfter(from, to)` finds a line
 * end in the file. Pure but for that lookup, so it is value-tested.
 */
export function nextStarts(starts: readonly number[], size: number, o: { maxBytes: number; maxFiles: number; lineSlack?: number }, newlineAfter: (from: number, to: number) => number | undefined): number[] {
  const out = [...starts];
  const slack = o.lineSlack ?? 64 * 1024;
  for (let last = out[out.length - 1] ?? 0; size - last > o.maxBytes; last = out[out.length - 1]!) {
    const at = last + o.maxBytes;
    const nl = newlineAfter(at - 1, Math.min(size, at + slack));
    // The line under way is not finished yet: the next look closes the segment at its end.
    if (nl === undefined && size < at + slack) break;
    out.push(nl === undefined ? at : nl + 1);
  }
  return out.slice(Math.max(0, out.length - Math.max(1, o.maxFiles)));
}

interface Tracked {
  size: number;
  writing: Promise<void>;
  starts: number[];
  warned: boolean;
}

/** Watches growing log files, appends to their timestamp index, and rotates them. One per runtime. */
export class LogTailer {
  private readonly files = new Map<string, Tracked>();

  constructor(
    private readonly now: () => number,
    private readonly rotation?: LogRotation,
  ) {}

  /** Starts tracking `log`; `knownSize` is how much of it the index already covers. */
  track(log: string, knownSize = 0, starts: number[] = [0]): void {
    if (!this.files.has(log)) this.files.set(log, { size: knownSize, writing: Promise.resolve(), starts, warned: false });
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
    this.track(log, size, await readRotation(log));
  }

  /** Records growth of every tracked file now. */
  async poll(): Promise<void> {
    await Promise.all([...this.files.keys()].map((f) => this.check(f)));
  }

  /** Records growth of one file (called at exit, to stamp the last output), and rotates it when due. */
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
    st.writing = st.writing
      .then(() => fsp.appendFile(log + '.ts', line))
      .then(() => this.rotate(log, st, size))
      .catch(() => undefined);
    await st.writing;
  }

  /** Closes full segments and frees the ones beyond the count (see the top of this file). */
  private async rotate(log: string, st: Tracked, size: number): Promise<void> {
    const r = this.rotation;
    if (!r || size - st.starts[st.starts.length - 1]! <= r.maxBytes) return;
    const fd = openSync(log, 'r');
    let starts: number[];
    try {
      const buf = Buffer.alloc(64 * 1024);
      starts = nextStarts(st.starts, size, r, (from, to) => {
        const n = readSync(fd, buf, 0, Math.min(buf.length, Math.max(0, to - from)), from);
        const i = buf.subarray(0, n).indexOf(0x0a);
        return i < 0 ? undefined : from + i;
      });
    } finally {
      closeSync(fd);
    }
    const from = st.starts[0]!;
    const to = starts[0]!;
    // The new start is on disk before any byte below it is freed: a reader that sees zeros there
    // has already been told to drop them (readLog checks the start after each read).
    await writeAtomic(log + '.rot', JSON.stringify({ starts } satisfies RotationState));
    st.starts = starts;
    if (to <= from) return;
    // Index entries at or below the new start describe bytes that are gone.
    const idx = parseTsIndex(await fsp.readFile(log + '.ts', 'utf8').catch(() => ''));
    await writeAtomic(log + '.ts', idx.filter((e) => e.offset > to).map((e) => `${e.offset} ${e.ms}\n`).join(''));
    const problem = r.fallocate ? await punchHole(r.fallocate, log, from, to - from) : 'fallocate (util-linux) is not installed';
    if (problem && !st.warned) {
      st.warned = true;
      r.warn?.('rotated container log bytes could not be freed: they are hidden from readers but keep their disk space', { log, error: problem });
    }
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

/** Frees `len` bytes at `offset` of `file` in place (reads give zeros there). Returns why not, or nothing. */
function punchHole(fallocate: string, file: string, offset: number, len: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let err = '';
    const c = spawn(fallocate, ['--punch-hole', '--offset', String(offset), '--length', String(len), file], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', (e) => resolve(e.message));
    c.on('close', (code) => resolve(code === 0 ? undefined : err.trim() || `exit code ${code}`));
  });
}

/**
 * Byte offset where the last `n` lines of the file begin (a trailing newline ends the last line),
 * looking no further back than `floor` (where a rotated log's kept bytes begin).
 */
export async function tailOffset(path: string, n: number, floor = 0): Promise<number> {
  const fh = await fsp.open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (n <= 0) return size;
    const block = 64 * 1024;
    let pos = size;
    let newlines = 0;
    let skipTrailing = true;
    const buf = Buffer.alloc(block);
    while (pos > floor) {
      const len = Math.min(block, pos - floor);
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
    return Math.min(floor, size);
  } finally {
    await fh.close();
  }
}

export interface ReadLogOptions {
  path: string;
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  /** Only lines first seen at or after this time (epoch ms; the API's sinceSeconds/sinceTime). */
  sinceMs?: number;
  /** Stop after this many bytes of output (the API's limitBytes; timestamps count, as in the kubelet). */
  limitBytes?: number;
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

/**
 * Offset of the first line that begins at or after `from` (`from` itself when a line starts there).
 * The bytes read to find it are in the page cache, just written.
 */
function lineStartFrom(fd: number, from: number): number {
  if (from <= 0) return 0;
  const buf = Buffer.alloc(64 * 1024);
  for (let pos = from - 1; ; ) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n <= 0) return pos;
    const i = buf.subarray(0, n).indexOf(0x0a);
    if (i >= 0) return pos + i + 1;
    pos += n;
  }
}

/** The offset where lines first seen at or after `sinceMs` begin (index entries end a run of bytes first seen at their time). */
export function sinceOffset(index: readonly TsEntry[], sinceMs: number, floor: number): number {
  let prevEnd = floor;
  for (const e of index) {
    if (e.ms >= sinceMs) return Math.max(prevEnd, floor);
    prevEnd = e.offset;
  }
  return Math.max(prevEnd, floor);
}

/** Reads a log as text chunks; with timestamps each chunk is whole lines, each prefixed with its time. */
export async function* readLog(o: ReadLogOptions): AsyncGenerator<string> {
  const limited = o.limitBytes !== undefined && o.limitBytes > 0 ? o.limitBytes : undefined;
  let left = limited ?? Infinity;
  for await (const chunk of readLogChunks(o)) {
    if (left === Infinity) {
      yield chunk;
      continue;
    }
    const bytes = Buffer.from(chunk, 'utf8');
    if (bytes.length >= left) {
      yield bytes.subarray(0, left).toString('utf8');
      return;
    }
    left -= bytes.length;
    yield chunk;
  }
}

async function* readLogChunks(o: ReadLogOptions): AsyncGenerator<string> {
  const pollMs = o.pollMs ?? 100;
  const now = o.now;
  let floor = logStart(o.path);
  let offset = o.tailLines !== undefined ? await tailOffset(o.path, o.tailLines, floor) : floor;
  let index: TsEntry[] = [];
  let partial = Buffer.alloc(0);
  // Synchronous reads: a local log is in the page cache and reads in microseconds, while every
  // await on the thread pool costs a turn of the event loop, tens of milliseconds on a busy server
  // (most of the time a short trial's metrics took to arrive).
  const fd = openSync(o.path, 'r');
  const wakeup = o.follow ? new Wakeup(o.path, o.ended) : undefined;
  try {
    if (o.sinceMs !== undefined) {
      index = loadIndex(o.path, index);
      const at = sinceOffset(index, o.sinceMs, floor);
      // The floor is a line start (rotation cuts there), and the byte before it may be gone.
      const since = at > floor ? lineStartFrom(fd, at) : floor;
      if (since > offset) offset = since;
    }
    let partialStart = offset;
    const buf = Buffer.alloc(256 * 1024);
    for (;;) {
      if (o.signal?.aborted) return;
      const bytesRead = readSync(fd, buf, 0, buf.length, offset);
      if (bytesRead > 0) {
        let chunk = Buffer.from(buf.subarray(0, bytesRead));
        let chunkStart = offset;
        offset += bytesRead;
        // Rotated meanwhile: what lies below the new start may have been read as zeros. Dropped,
        // with any partial line begun there (the start is written before bytes are freed).
        const nowFloor = logStart(o.path);
        if (nowFloor > floor) floor = nowFloor;
        if (floor > chunkStart) {
          if (partial.length) partial = Buffer.alloc(0);
          if (floor >= offset) {
            offset = floor;
            continue;
          }
          chunk = chunk.subarray(floor - chunkStart);
          chunkStart = floor;
        }
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
