/**
 * A small WebSocket client for the end-to-end suites (Node 20 has none built in): the HTTP upgrade
 * over node:http, frames from src/server/websocket.ts, text messages in and out.
 */
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { FrameDecoder, OP, encodeClientFrame } from '../src/server/websocket.js';

export interface WsClient {
  send(text: string): void;
  /** Waits for a text message `pick` accepts (earlier ones are dropped) and returns what it returns. */
  next<T>(pick: (text: string) => T | undefined, timeoutMs?: number): Promise<T>;
  close(): void;
}

/** Opens `url` (ws:// or http://) with `headers`; rejects with the status when the server refuses the upgrade. */
export function connectWs(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
  const u = new URL(url.replace(/^ws/, 'http'));
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers: { ...headers, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64') } });
    req.on('response', (res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    req.on('error', reject);
    req.on('upgrade', (_res, socket: Duplex, head: Buffer) => resolve(client(socket, head)));
    req.end();
  });
}

function client(socket: Duplex, head: Buffer): WsClient {
  const decoder = new FrameDecoder();
  const inbox: string[] = [];
  let waiter: (() => void) | undefined;
  let ended = false;
  let parts: Buffer[] = [];
  const take = (chunk: Buffer) => {
    for (const f of decoder.push(chunk)) {
      if (f.opcode === OP.ping) socket.write(encodeClientFrame(OP.pong, f.payload, randomBytes(4)));
      if (f.opcode === OP.close) ended = true;
      if (f.opcode === OP.text || f.opcode === OP.binary || f.opcode === OP.continuation) {
        parts.push(f.payload);
        if (f.fin) {
          inbox.push(Buffer.concat(parts).toString('utf8'));
          parts = [];
        }
      }
    }
    waiter?.();
  };
  if (head.length) take(head);
  socket.on('data', take);
  socket.on('close', () => {
    ended = true;
    waiter?.();
  });
  socket.on('error', () => {});
  return {
    send: (text) => socket.write(encodeClientFrame(OP.text, Buffer.from(text), randomBytes(4))),
    async next(pick, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (inbox.length) {
          const got = pick(inbox.shift()!);
          if (got !== undefined) return got;
        }
        if (ended) throw new Error('the WebSocket closed');
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching WebSocket message in ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          waiter = () => {
            clearTimeout(t);
            r();
          };
        });
        waiter = undefined;
      }
    },
    close() {
      if (!ended) socket.write(encodeClientFrame(OP.close, Buffer.alloc(0), randomBytes(4)));
      socket.end();
      socket.destroy();
    },
  };
}
