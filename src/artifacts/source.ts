/** Reading the file to store, so that a source that shrinks or grows mid-copy fails the put instead of storing half of it. */
import { close, createReadStream, fstat, open, read, type ReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { Transform, pipeline, type Readable } from 'node:stream';
import { ArtifactSourceError } from './errors.js';

export interface Source {
  size: number;
  /** Base64 MD5 of the bytes (a read pass of its own), failing with ArtifactSourceError if the size changes. */
  md5(): Promise<string>;
  /** The file's bytes, failing with ArtifactSourceError unless exactly `size` of them arrive. */
  stream(): Readable;
  close(): Promise<void>;
}

const CHUNK = 1 << 20;
// Plain descriptors: a FileHandle with a stream attached refuses to close until the stream does.
export const openFd = promisify(open);
export const closeFd = promisify(close);
const fstatFd = promisify(fstat);
const readFd = promisify(read);

export async function openSource(file: string): Promise<Source> {
  let fd: number;
  try {
    fd = await openFd(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ArtifactSourceError(file, code === 'ENOENT' ? 'no such file' : `cannot open (${code ?? String(e)})`);
  }
  try {
    const st = await fstatFd(fd);
    if (!st.isFile()) throw new ArtifactSourceError(file, 'not a regular file');
    const size = st.size;
    // The stream owns the descriptor once made (it closes it at its end or on error).
    let reader: ReadStream | undefined;
    return {
      size,
      md5: async () => {
        const hash = createHash('md5');
        const buf = Buffer.allocUnsafe(CHUNK);
        let pos = 0;
        for (;;) {
          const { bytesRead } = await readFd(fd, buf, 0, CHUNK, pos);
          if (bytesRead === 0) break;
          pos += bytesRead;
          if (pos > size) break;
          hash.update(buf.subarray(0, bytesRead));
        }
        if (pos !== size) throw new ArtifactSourceError(file, `it changed while being stored (expected ${size} bytes, read ${pos})`);
        return hash.digest('base64');
      },
      stream: () => {
        if (reader) throw new Error('a Source is read once');
        reader = createReadStream('', { fd, start: 0, highWaterMark: CHUNK });
        return pipeline(reader, exactLength(file, size), () => {});
      },
      close: async () => {
        if (reader) reader.destroy();
        else await closeFd(fd).catch(() => {});
      },
    };
  } catch (e) {
    await closeFd(fd).catch(() => {});
    throw e;
  }
}

/** Passes bytes through and errors at the end (or on overflow) unless exactly `size` bytes passed. */
export function exactLength(file: string, size: number): Transform {
  let seen = 0;
  const changed = () => new ArtifactSourceError(file, `it changed while being stored (expected ${size} bytes, read ${seen})`);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > size) done(changed());
      else done(null, chunk);
    },
    flush(done) {
      done(seen === size ? null : changed());
    },
  });
}

/** The first ArtifactSourceError in an error's cause chain (SDKs wrap stream errors). */
export function sourceErrorIn(err: unknown): ArtifactSourceError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ArtifactSourceError) return e;
  }
  return undefined;
}
