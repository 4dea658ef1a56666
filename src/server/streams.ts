/**
 * kubectl's streaming subresources of a Pod over WebSocket: `exec` (the channel protocol,
 * `v5.channel.k8s.io` or `v4.channel.k8s.io`: every message starts with its channel, 0 stdin,
 * 1 stdout, 2 stderr, 3 the final metav1.Status, 4 terminal size, and in v5 255 closes a
 * channel: `[255, 0]` is the end of stdin) and `portforward` (SPDY/3.1 tunnelled over the
 * WebSocket, `SPDY/3.1+portforward.k8s.io`: spdy.ts). Forwarding to a pod's port P is
 * the runtime's `dialPod` while the pod runs: locally its address (`status.podIP`), else its
 * loopback from inside its network, as the kubelet connects.
 *
 * The handshake is answered only once the request may go on (authenticated, authorized, the
 * container running): what fails before is an ordinary HTTP error with a Status body.
 */
import { connect } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { BadRequestError } from '../api/errors.js';
import type { Pod } from '../api/types.js';
import { podContainerName } from '../api/pods.js';
import type { ExecProcess, PodRuntime } from '../runtime/types.js';
import type { Logger } from '../util/logger.js';
import { SpdyServerSession } from './spdy.js';
import { handshakeResponse, offeredProtocols, WebSocketConnection } from './websocket.js';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export const PORT_FORWARD_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** A channel message: the channel byte, then the data. */
export function channelMessage(channel: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([channel]), data]);
}

/** The Status sent on the error channel when the command ends, as the kubelet words it. */
export function exitStatus(code: number, command: readonly string[]): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** Whether the request asks for a WebSocket. */
export function isWebSocketRequest(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket' && typeof req.headers['sec-websocket-key'] === 'string';
}

/** The first protocol of ours the client offers. */
export function chooseProtocol(req: IncomingMessage, ours: readonly string[]): string | undefined {
  const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
  return ours.find((p) => offered.includes(p));
}

function truthy(v: string | null): boolean {
  return v === 'true' || v === '1';
}

export interface StreamDeps {
  runtime: PodRuntime;
  logger: Logger;
}

function accept(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): WebSocketConnection {
  socket.write(handshakeResponse(String(req.headers['sec-websocket-key']), protocol));
  const ws = new WebSocketConnection(socket);
  if (head.length) socket.unshift(head);
  return ws;
}

/** `kubectl exec`: runs the command, relays its streams, sends its exit on the error channel. */
export async function serveExec(req: IncomingMessage, socket: Duplex, head: Buffer, pod: Pod, q: URLSearchParams, deps: StreamDeps): Promise<void> {
  const protocol = chooseProtocol(req, EXEC_PROTOCOLS);
  if (!protocol) throw new BadRequestError(`exec needs a WebSocket with one of the subprotocols ${EXEC_PROTOCOLS.join(', ')} (SPDY is not served)`);
  const command = q.getAll('command');
  if (!command.length) throw new BadRequestError('you must specify at least 1 command');
  const container = containerOf(pod, q.get('container'));
  const tty = truthy(q.get('tty'));
  const wantStdin = truthy(q.get('stdin'));
  const proc = await deps.runtime.exec(pod, { container, command, tty });
  const ws = accept(req, socket, head, protocol);
  let ended = false;
  ws.onClose = () => {
    if (!ended) proc.kill();
  };
  ws.onMessage = (data) => {
    if (data.length === 0) return;
    const ch = data[0]!;
    if (ch === CHANNEL.stdin && wantStdin) {
      if (data.length > 1) proc.stdin.write(data.subarray(1));
    } else if (ch === CHANNEL.close && data[1] === CHANNEL.stdin) proc.stdin.end();
    // Resize (4) is not passed on: the terminal keeps script's size.
  };
  if (!wantStdin) proc.stdin.end();
  const relays = [relay(proc.stdout, CHANNEL.stdout, ws, socket), ...(proc.stderr ? [relay(proc.stderr, CHANNEL.stderr, ws, socket)] : [])];
  const code = await proc.exited;
  await Promise.all(relays);
  ended = true;
  ws.send(channelMessage(CHANNEL.error, Buffer.from(JSON.stringify(exitStatus(code, command)))));
  ws.close(1000);
}

/** Copies a stream onto a channel, pausing while the socket is full. */
function relay(from: Readable, channel: number, ws: WebSocketConnection, socket: Duplex): Promise<void> {
  return new Promise((resolve) => {
    from.on('data', (chunk: Buffer) => {
      if (!ws.send(channelMessage(channel, chunk)) && !ws.isClosed) {
        from.pause();
        socket.once('drain', () => from.resume());
      }
    });
    from.on('end', resolve);
    from.on('error', () => resolve());
    from.on('close', resolve);
  });
}

function containerOf(pod: Pod, asked: string | null): string {
  // As kubectl exec: with no name, the first container (kubectl itself says which it chose).
  return podContainerName(pod, asked || pod.spec?.containers?.[0]?.name);
}

/** A TCP connection to ip:port, once connected (a runtime without its own dialPod). */
function dialTcp(ip: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = connect(port, ip);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * `kubectl port-forward`: every connection kubectl accepts opens an error stream and a data
 * stream (headers `streamType`, `port`, `requestID`); the data stream is joined to a connection
 * to the port (the runtime's dialPod: the pod's address, or its loopback), and a failed connect
 * is said on the error stream.
 */
export function servePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, pod: Pod, q: URLSearchParams, deps: StreamDeps): void {
  const protocol = chooseProtocol(req, [PORT_FORWARD_PROTOCOL]);
  if (!protocol) throw new BadRequestError(`port-forward needs a WebSocket with the subprotocol ${PORT_FORWARD_PROTOCOL} (SPDY alone is not served)`);
  if (pod.status?.phase !== 'Running') throw new BadRequestError(`unable to upgrade connection: pod ${pod.metadata?.name} is not running`);
  const allowed = new Set(q.getAll('ports').flatMap((p) => p.split(',')).map((p) => Number(p)));
  const ws = accept(req, socket, head, protocol);
  /** requestID → its streams and connection. */
  const pairs = new Map<string, { error?: number; data?: number; conn?: Duplex; port: number }>();
  const conns = new Map<number, Duplex>();
  /** What kubectl sent on a data stream before its connection was made, and whether it ended. */
  const waiting = new Map<number, Buffer[]>();
  const earlyFin = new Set<number>();
  let closed = false;
  const session: SpdyServerSession = new SpdyServerSession({
    write: (b) => void ws.send(b),
    onStream: (s) => {
      const rid = s.headers.get('requestid') ?? String(s.id);
      const port = Number(s.headers.get('port'));
      const pair = pairs.get(rid) ?? { port };
      pairs.set(rid, pair);
      const type = s.headers.get('streamtype');
      if (type === 'error') pair.error = s.id;
      else if (type === 'data') {
        pair.data = s.id;
        open(rid, pair, s.id);
      } else session.reset(s.id, 1);
    },
    onData: (id, data, fin) => {
      const conn = conns.get(id);
      const early = waiting.get(id);
      if (!conn && early) {
        early.push(data);
        if (fin) earlyFin.add(id);
        return;
      }
      if (!conn) return;
      if (data.length) conn.write(data);
      if (fin) conn.end();
    },
    onReset: (id) => conns.get(id)?.destroy(),
    onGoAway: () => ws.close(1000),
    onError: (err) => {
      deps.logger.warn('port-forward stream failed', { pod: pod.metadata?.name, error: err.message });
      ws.close(1011);
    },
  });
  const open = (rid: string, pair: { error?: number; port: number }, dataId: number) => {
    const fail = (message: string) => {
      if (pair.error !== undefined) session.data(pair.error, Buffer.from(message), true);
      session.data(dataId, Buffer.alloc(0), true);
      pairs.delete(rid);
    };
    if (!Number.isInteger(pair.port) || pair.port <= 0 || pair.port > 65535 || (allowed.size && !allowed.has(pair.port))) return fail(`invalid port ${pair.port}`);
    const dial = deps.runtime.dialPod ? deps.runtime.dialPod(pod, pair.port) : dialTcp(pod.status?.podIP || '127.0.0.1', pair.port);
    const early: Buffer[] = [];
    waiting.set(dataId, early);
    dial.then(
      (conn) => {
        waiting.delete(dataId);
        if (closed) return void conn.destroy();
        conns.set(dataId, conn);
        for (const b of early) if (b.length) conn.write(b);
        if (earlyFin.delete(dataId)) conn.end();
        conn.on('data', (b: Buffer) => session.data(dataId, b));
        conn.on('error', () => undefined);
        conn.on('close', () => {
          conns.delete(dataId);
          session.data(dataId, Buffer.alloc(0), true);
          if (pair.error !== undefined) session.data(pair.error, Buffer.alloc(0), true);
          pairs.delete(rid);
        });
      },
      (err: Error) => {
        waiting.delete(dataId);
        earlyFin.delete(dataId);
        fail(`error forwarding port ${pair.port} to pod ${pod.metadata?.name}: ${err.message}`);
      },
    );
  };
  ws.onMessage = (data) => session.push(data);
  ws.onClose = () => {
    closed = true;
    for (const c of conns.values()) c.destroy();
  };
}
