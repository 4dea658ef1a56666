/**
 * A small server side of WebSocket (RFC 6455), enough for kubectl's exec and port-forward
 * streams: the handshake answer, frame encoding (server frames are never masked) and an
 * incremental decoder of client frames (always masked; fragmented messages are joined), with
 * ping answered by pong and close answered by close.
 */
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** The subprotocols a client offers (`Sec-WebSocket-Protocol`, comma-separated, possibly repeated). */
export function offeredProtocols(header: string | string[] | undefined): string[] {
  const all = Array.isArray(header) ? header.join(',') : header ?? '';
  return all.split(',').map((s) => s.trim()).filter(Boolean);
}

/** One frame, unmasked (server to client). */
export function encodeFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (len < 126) head[1] = len;
  else if (len < 65536) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

/** A masked frame, as a client sends it (for tests). */
export function encodeClientFrame(opcode: number, payload: Buffer, mask = Buffer.from([1, 2, 3, 4]), fin = true): Buffer {
  const plain = encodeFrame(opcode, payload, fin);
  const headLen = plain.length - payload.length;
  const out = Buffer.alloc(plain.length + 4);
  plain.copy(out, 0, 0, headLen);
  out[1] = out[1]! | 0x80;
  mask.copy(out, headLen);
  for (let i = 0; i < payload.length; i++) out[headLen + 4 + i] = payload[i]! ^ mask[i % 4]!;
  return out;
}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Cuts frames off a byte stream; `push` returns the frames complete so far. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload = 64 * 1024 * 1024) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    for (;;) {
      const b = this.buf;
      if (b.length < 2) break;
      const fin = (b[0]! & 0x80) !== 0;
      const opcode = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(this.maxPayload)) throw new Error(`WebSocket frame of ${big} bytes is too large`);
        len = Number(big);
        off = 10;
      }
      if (len > this.maxPayload) throw new Error(`WebSocket frame of ${len} bytes is too large`);
      const maskAt = off;
      if (masked) off += 4;
      if (b.length < off + len) break;
      const payload = Buffer.from(b.subarray(off, off + len));
      if (masked) for (let i = 0; i < len; i++) payload[i] = payload[i]! ^ b[maskAt + (i % 4)]!;
      out.push({ fin, opcode, payload });
      this.buf = b.subarray(off + len);
    }
    return out;
  }
}

/**
 * A WebSocket connection over an upgraded socket: whole messages in (`onMessage`), messages out.
 * `onClose` is called once, when the peer closes or the socket ends.
 */
export class WebSocketConnection {
  private readonly decoder = new FrameDecoder();
  private fragments: Buffer[] = [];
  private fragmentOp = 0;
  private closed = false;
  onMessage: (data: Buffer, binary: boolean) => void = () => {};
  onClose: () => void = () => {};

  constructor(readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.decoder.push(chunk);
      } catch {
        this.close(1009);
        return;
      }
      for (const f of frames) this.frame(f);
    });
    const ended = () => this.ended();
    socket.on('end', ended);
    socket.on('close', ended);
    socket.on('error', ended);
  }

  private frame(f: Frame): void {
    if (f.opcode === OP.ping) return void this.write(OP.pong, f.payload);
    if (f.opcode === OP.pong) return;
    if (f.opcode === OP.close) {
      this.close(f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1000);
      return;
    }
    if (f.opcode !== OP.continuation) {
      this.fragmentOp = f.opcode;
      this.fragments = [];
    }
    this.fragments.push(f.payload);
    if (!f.fin) return;
    const data = this.fragments.length === 1 ? this.fragments[0]! : Buffer.concat(this.fragments);
    this.fragments = [];
    this.onMessage(data, this.fragmentOp === OP.binary);
  }

  /** Writes a message; returns the socket's back-pressure answer. */
  send(data: Buffer, binary = true): boolean {
    return this.write(binary ? OP.binary : OP.text, data);
  }

  private write(opcode: number, data: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return false;
    return this.socket.write(encodeFrame(opcode, data));
  }

  /** Sends close (once) and ends the socket. */
  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    const body = Buffer.alloc(2 + Buffer.byteLength(reason));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2);
    this.write(OP.close, body);
    this.closed = true;
    this.socket.end();
    this.ended();
  }

  private ended(): void {
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
    }
    const cb = this.onClose;
    this.onClose = () => {};
    cb();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** The 101 answer that completes the handshake, with the chosen subprotocol. */
export function handshakeResponse(key: string, protocol: string | undefined): string {
  return ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`, ...(protocol ? [`Sec-WebSocket-Protocol: ${protocol}`] : []), '', ''].join('\r\n');
}
