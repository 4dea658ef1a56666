/**
 * The server side of SPDY/3.1 as kubectl port-forward speaks it (moby/spdystream), tunnelled
 * over a WebSocket (`SPDY/3.1+portforward.k8s.io`): streams opened by the client (SYN_STREAM,
 * answered with SYN_REPLY), data both ways, FIN and RST_STREAM, PING echoed, GOAWAY. Header
 * blocks are zlib-compressed with SPDY/3's dictionary, one compression context per direction for
 * the whole connection. Flow control is left out, as spdystream leaves it out (it never waits
 * for a WINDOW_UPDATE nor sends one).
 */
import * as zlib from 'node:zlib';

/** SPDY/3's header compression dictionary (the spec's, as spdystream has it). */
export const SPDY_DICTIONARY = Buffer.from('AAAAB29wdGlvbnMAAAAEaGVhZAAAAARwb3N0AAAAA3B1dAAAAAZkZWxldGUAAAAFdHJhY2UAAAAGYWNjZXB0AAAADmFjY2VwdC1jaGFyc2V0AAAAD2FjY2VwdC1lbmNvZGluZwAAAA9hY2NlcHQtbGFuZ3VhZ2UAAAANYWNjZXB0LXJhbmdlcwAAAANhZ2UAAAAFYWxsb3cAAAANYXV0aG9yaXphdGlvbgAAAA1jYWNoZS1jb250cm9sAAAACmNvbm5lY3Rpb24AAAAMY29udGVudC1iYXNlAAAAEGNvbnRlbnQtZW5jb2RpbmcAAAAQY29udGVudC1sYW5ndWFnZQAAAA5jb250ZW50LWxlbmd0aAAAABBjb250ZW50LWxvY2F0aW9uAAAAC2NvbnRlbnQtbWQ1AAAADWNvbnRlbnQtcmFuZ2UAAAAMY29udGVudC10eXBlAAAABGRhdGUAAAAEZXRhZwAAAAZleHBlY3QAAAAHZXhwaXJlcwAAAARmcm9tAAAABGhvc3QAAAAIaWYtbWF0Y2gAAAARaWYtbW9kaWZpZWQtc2luY2UAAAANaWYtbm9uZS1tYXRjaAAAAAhpZi1yYW5nZQAAABNpZi11bm1vZGlmaWVkLXNpbmNlAAAADWxhc3QtbW9kaWZpZWQAAAAIbG9jYXRpb24AAAAMbWF4LWZvcndhcmRzAAAABnByYWdtYQAAABJwcm94eS1hdXRoZW50aWNhdGUAAAATcHJveHktYXV0aG9yaXphdGlvbgAAAAVyYW5nZQAAAAdyZWZlcmVyAAAAC3JldHJ5LWFmdGVyAAAABnNlcnZlcgAAAAJ0ZQAAAAd0cmFpbGVyAAAAEXRyYW5zZmVyLWVuY29kaW5nAAAAB3VwZ3JhZGUAAAAKdXNlci1hZ2VudAAAAAR2YXJ5AAAAA3ZpYQAAAAd3YXJuaW5nAAAAEHd3dy1hdXRoZW50aWNhdGUAAAAGbWV0aG9kAAAAA2dldAAAAAZzdGF0dXMAAAAGMjAwIE9LAAAAB3ZlcnNpb24AAAAISFRUUC8xLjEAAAADdXJsAAAABnB1YmxpYwAAAApzZXQtY29va2llAAAACmtlZXAtYWxpdmUAAAAGb3JpZ2luMTAwMTAxMjAxMjAyMjA1MjA2MzAwMzAyMzAzMzA0MzA1MzA2MzA3NDAyNDA1NDA2NDA3NDA4NDA5NDEwNDExNDEyNDEzNDE0NDE1NDE2NDE3NTAyNTA0NTA1MjAzIE5vbi1BdXRob3JpdGF0aXZlIEluZm9ybWF0aW9uMjA0IE5vIENvbnRlbnQzMDEgTW92ZWQgUGVybWFuZW50bHk0MDAgQmFkIFJlcXVlc3Q0MDEgVW5hdXRob3JpemVkNDAzIEZvcmJpZGRlbjQwNCBOb3QgRm91bmQ1MDAgSW50ZXJuYWwgU2VydmVyIEVycm9yNTAxIE5vdCBJbXBsZW1lbnRlZDUwMyBTZXJ2aWNlIFVuYXZhaWxhYmxlSmFuIEZlYiBNYXIgQXByIE1heSBKdW4gSnVsIEF1ZyBTZXB0IE9jdCBOb3YgRGVjIDAwOjAwOjAwIE1vbiwgVHVlLCBXZWQsIFRodSwgRnJpLCBTYXQsIFN1biwgR01UY2h1bmtlZCx0ZXh0L2h0bWwsaW1hZ2UvcG5nLGltYWdlL2pwZyxpbWFnZS9naWYsYXBwbGljYXRpb24veG1sLGFwcGxpY2F0aW9uL3hodG1sK3htbCx0ZXh0L3BsYWluLHRleHQvamF2YXNjcmlwdCxwdWJsaWNwcml2YXRlbWF4LWFnZT1nemlwLGRlZmxhdGUsc2RjaGNoYXJzZXQ9dXRmLThjaGFyc2V0PWlzby04ODU5LTEsdXRmLSwqLGVucT0wLg==', 'base64');

export const TYPE = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9 } as const;
export const FLAG_FIN = 0x01;

/** A stream the client opened, with its headers (names in lower case). */
export interface SpdyStream {
  id: number;
  headers: Map<string, string>;
}

/** Header block (name/value pairs), uncompressed. */
export function encodeHeaderBlock(headers: ReadonlyMap<string, string>): Buffer {
  const parts: Buffer[] = [u32(headers.size)];
  for (const [k, v] of headers) {
    const kb = Buffer.from(k.toLowerCase());
    const vb = Buffer.from(v);
    parts.push(u32(kb.length), kb, u32(vb.length), vb);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(b: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  const n = b.readUInt32BE(0);
  let off = 4;
  for (let i = 0; i < n; i++) {
    const kl = b.readUInt32BE(off);
    const k = b.subarray(off + 4, off + 4 + kl).toString();
    off += 4 + kl;
    const vl = b.readUInt32BE(off);
    const v = b.subarray(off + 4, off + 4 + vl).toString();
    off += 4 + vl;
    // Several values are NUL-separated; the first is enough here.
    out.set(k.toLowerCase(), v.split('\0')[0]!);
  }
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

export function controlFrame(type: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8003, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(data.length, 4);
  h[4] = flags;
  return Buffer.concat([h, data]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h.writeUInt32BE(data.length, 4);
  h[4] = flags;
  return Buffer.concat([h, data]);
}

/** One zlib stream of a connection, flushed (Z_SYNC_FLUSH) after every block. */
class ZStream {
  private out: Buffer[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly z: zlib.Inflate | zlib.Deflate) {
    z.on('data', (b: Buffer) => this.out.push(b));
  }

  run(input: Buffer): Promise<Buffer> {
    const next = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const failed = (err: Error) => reject(err);
          this.z.once('error', failed);
          this.z.write(input);
          this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            // Output of the flush is pushed before its callback; a turn more is cheap insurance.
            setImmediate(() => {
              this.z.off('error', failed);
              const r = Buffer.concat(this.out);
              this.out = [];
              resolve(r);
            });
          });
        }),
    );
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** One side's header compression context: SPDY/3's dictionary, one stream per direction. */
export class HeaderCodec {
  private readonly deflater = new ZStream(zlib.createDeflate({ dictionary: SPDY_DICTIONARY, level: zlib.constants.Z_BEST_COMPRESSION }));
  private readonly inflater = new ZStream(zlib.createInflate({ dictionary: SPDY_DICTIONARY }));

  compress(headers: ReadonlyMap<string, string>): Promise<Buffer> {
    return this.deflater.run(encodeHeaderBlock(headers));
  }

  async decompress(block: Buffer): Promise<Map<string, string>> {
    return decodeHeaderBlock(await this.inflater.run(block));
  }
}

export interface SpdyHandlers {
  /** Bytes to send to the client. */
  write(b: Buffer): void;
  onStream(s: SpdyStream): void;
  onData(streamId: number, data: Buffer, fin: boolean): void;
  onReset(streamId: number): void;
  onGoAway(): void;
}

/** The server's half of a SPDY/3.1 session over any byte stream. */
export class SpdyServerSession {
  private buf: Buffer = Buffer.alloc(0);
  readonly codec = new HeaderCodec();
  /** Frames are handled one after the other (header blocks decompress asynchronously). */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly h: SpdyHandlers & { onError(err: Error): void }) {}

  /** Feeds bytes from the client. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) return;
      const head = this.buf.subarray(0, 8);
      const body = this.buf.subarray(8, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      const copy = Buffer.from(body);
      this.chain = this.chain.then(() => this.frame(head, copy)).catch((err: Error) => this.h.onError(err));
    }
  }

  /** Resolves when every frame pushed so far has been handled. */
  settled(): Promise<void> {
    return this.chain;
  }

  private async frame(head: Buffer, body: Buffer): Promise<void> {
    const flags = head[4]!;
    if ((head[0]! & 0x80) === 0) return this.h.onData(head.readUInt32BE(0) & 0x7fffffff, body, (flags & FLAG_FIN) !== 0);
    const type = head.readUInt16BE(2);
    switch (type) {
      case TYPE.synStream: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.codec.decompress(body.subarray(10));
        this.h.write(controlFrame(TYPE.synReply, 0, Buffer.concat([u32(id), await this.codec.compress(new Map())])));
        this.h.onStream({ id, headers });
        if (flags & FLAG_FIN) this.h.onData(id, Buffer.alloc(0), true);
        return;
      }
      case TYPE.headers:
        // Headers after the start: their block must still go through the shared context.
        await this.codec.decompress(body.subarray(4));
        return;
      case TYPE.rstStream:
        return this.h.onReset(body.readUInt32BE(0) & 0x7fffffff);
      case TYPE.ping:
        return this.h.write(controlFrame(TYPE.ping, 0, body));
      case TYPE.goAway:
        return this.h.onGoAway();
      default:
        // SETTINGS, WINDOW_UPDATE: nothing to do.
        return;
    }
  }

  data(streamId: number, data: Buffer, fin = false): void {
    // Frames of at most 32 KiB, as spdystream writes them.
    for (let off = 0; off < data.length; off += 32768) {
      const last = off + 32768 >= data.length;
      this.h.write(dataFrame(streamId, fin && last ? FLAG_FIN : 0, data.subarray(off, off + 32768)));
    }
    if (fin && data.length === 0) this.h.write(dataFrame(streamId, FLAG_FIN, data));
  }

  reset(streamId: number, status = 5 /* CANCEL */): void {
    this.h.write(controlFrame(TYPE.rstStream, 0, Buffer.concat([u32(streamId), u32(status)])));
  }
}
