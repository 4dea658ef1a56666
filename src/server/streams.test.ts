import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { inflateSync } from 'node:zlib';
import { KINDS } from '../registry.js';
import { requestAttributes } from './attributes.js';
import { controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, FLAG_FIN, HeaderCodec, SPDY_DICTIONARY, SpdyServerSession, TYPE } from './spdy.js';
import { channelMessage, CHANNEL, exitStatus } from './streams.js';
import { acceptKey, encodeClientFrame, encodeFrame, FrameDecoder, OP, offeredProtocols, WebSocketConnection } from './websocket.js';
import { execArgv, parseEnviron } from '../runtime/local/exec.js';

test("the handshake's accept key is RFC 6455's, and offered subprotocols are split", () => {
  // The RFC's own example.
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  assert.deepEqual(offeredProtocols(['v5.channel.k8s.io, v4.channel.k8s.io', 'base64.channel.k8s.io']), ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'base64.channel.k8s.io']);
});

test('frames of every length class round-trip, masked from the client, cut anywhere', () => {
  for (const n of [0, 5, 125, 126, 65535, 65536, 200_000]) {
    const payload = Buffer.alloc(n, 7);
    const plain = encodeFrame(OP.binary, payload);
    assert.equal(plain[1]! & 0x80, 0, 'server frames are not masked');
    const wire = encodeClientFrame(OP.binary, payload, Buffer.from([9, 8, 7, 6]));
    const d = new FrameDecoder();
    const got = [...d.push(wire.subarray(0, 3)), ...d.push(wire.subarray(3, 11)), ...d.push(wire.subarray(11))];
    assert.equal(got.length, 1);
    assert.equal(got[0]!.fin, true);
    assert.equal(got[0]!.opcode, OP.binary);
    assert.ok(got[0]!.payload.equals(payload), `length ${n}`);
  }
  const two = Buffer.concat([encodeClientFrame(OP.text, Buffer.from('a')), encodeClientFrame(OP.binary, Buffer.from('bc'))]);
  assert.deepEqual(new FrameDecoder().push(two).map((f) => f.payload.toString()), ['a', 'bc']);
});

test('a connection joins fragments, answers ping with pong and close with close', () => {
  const socket = new PassThrough();
  const written: Buffer[] = [];
  socket.write = ((b: Buffer) => (written.push(b), true)) as typeof socket.write;
  const ws = new WebSocketConnection(socket);
  const messages: string[] = [];
  let closed = 0;
  ws.onMessage = (m) => messages.push(m.toString());
  ws.onClose = () => closed++;
  socket.emit('data', encodeClientFrame(OP.binary, Buffer.from('he'), undefined, false));
  socket.emit('data', encodeClientFrame(OP.ping, Buffer.from('p')));
  socket.emit('data', encodeClientFrame(OP.continuation, Buffer.from('llo')));
  assert.deepEqual(messages, ['hello']);
  assert.ok(written[0]!.equals(encodeFrame(OP.pong, Buffer.from('p'))));
  socket.emit('data', encodeClientFrame(OP.close, Buffer.from([0x03, 0xe8])));
  assert.equal(written[1]![0], 0x80 | OP.close);
  assert.equal(closed, 1);
  assert.equal(ws.send(Buffer.from('late')), false, 'nothing goes out after close');
});

test("exec's channels: the channel byte first, and the Status of the exit as the kubelet words it", () => {
  assert.deepEqual([...channelMessage(CHANNEL.stdout, Buffer.from('hi'))], [1, 104, 105]);
  assert.deepEqual(exitStatus(0, ['true']), { metadata: {}, status: 'Success' });
  assert.deepEqual(exitStatus(3, ['sh', '-c', 'exit 3']), {
    metadata: {},
    status: 'Failure',
    message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: '3' }] },
  });
});

test('SPDY header blocks: the dictionary is the spec\'s, blocks round-trip, and one context spans a connection', async () => {
  assert.equal(SPDY_DICTIONARY.length, 1423);
  assert.ok(SPDY_DICTIONARY.subarray(0, 11).equals(Buffer.from('\0\0\0\x07options')));
  const h = new Map([['streamtype', 'data'], ['port', '8888'], ['requestid', '0']]);
  assert.deepEqual(decodeHeaderBlock(encodeHeaderBlock(h)), h);
  const client = new HeaderCodec();
  const server = new HeaderCodec();
  for (let i = 0; i < 3; i++) {
    const block = await client.compress(new Map([['streamtype', i % 2 ? 'data' : 'error'], ['requestid', String(i)]]));
    assert.equal((await server.decompress(block)).get('requestid'), String(i));
  }
  // A stand-alone block with the dictionary is what a fresh Go reader expects first.
  const first = await new HeaderCodec().compress(h);
  assert.deepEqual(decodeHeaderBlock(inflateSync(first, { dictionary: SPDY_DICTIONARY, finishFlush: 2 })), h);
});

test('a SPDY session replies to streams, passes data and FIN, echoes pings and resets', async () => {
  const out: Buffer[] = [];
  const events: string[] = [];
  const s = new SpdyServerSession({
    write: (b) => out.push(b),
    onStream: (st) => events.push(`stream ${st.id} ${st.headers.get('streamtype')} ${st.headers.get('port')}`),
    onData: (id, d, fin) => events.push(`data ${id} ${d.toString()}${fin ? ' fin' : ''}`),
    onReset: (id) => events.push(`reset ${id}`),
    onGoAway: () => events.push('goaway'),
    onError: (e) => events.push(`error ${e.message}`),
  });
  const client = new HeaderCodec();
  const syn = async (id: number, type: string) => {
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    return controlFrame(TYPE.synStream, 0, Buffer.concat([head, await client.compress(new Map([['streamType', type], ['port', '80'], ['requestID', '0']]))]));
  };
  const wire = Buffer.concat([await syn(1, 'error'), await syn(3, 'data'), dataFrame(3, 0, Buffer.from('GET /')), dataFrame(3, FLAG_FIN, Buffer.alloc(0)), controlFrame(TYPE.ping, 0, Buffer.from([0, 0, 0, 1])), controlFrame(TYPE.rstStream, 0, Buffer.from([0, 0, 0, 3, 0, 0, 0, 5])), controlFrame(TYPE.goAway, 0, Buffer.alloc(8))]);
  // Cut in odd places: frames are whole only across pushes.
  for (let i = 0; i < wire.length; i += 7) s.push(wire.subarray(i, i + 7));
  await s.settled();
  assert.deepEqual(events, ['stream 1 error 80', 'stream 3 data 80', 'data 3 GET /', 'data 3  fin', 'reset 3', 'goaway']);
  // Two SYN_REPLYs (type 2, for streams 1 and 3), then the ping's echo.
  assert.deepEqual(out.map((b) => b.readUInt16BE(2)), [TYPE.synReply, TYPE.synReply, TYPE.ping]);
  assert.deepEqual(out.slice(0, 2).map((b) => b.readUInt32BE(8)), [1, 3]);
  out.length = 0;
  s.data(3, Buffer.alloc(40_000), true);
  assert.deepEqual(out.map((b) => [b.readUInt32BE(0), b[4], b.readUInt32BE(4) & 0xffffff]), [[3, 0, 32768], [3, FLAG_FIN, 40_000 - 32768]]);
});

test('exec joins the cgroups, then the sandbox, then becomes the pod user with no new privileges', () => {
  const { file, args } = execArgv({
    sh: '/bin/sh',
    nsenter: '/usr/bin/nsenter',
    pid: 42,
    cgroupJoinFiles: ['/sys/fs/cgroup/memory/x/tasks'],
    user: { mode: 'setpriv', setpriv: '/usr/bin/setpriv', env: '/usr/bin/env', uid: 65534, gid: 65534, groups: [], capabilities: [] },
    command: ['sh', '-c', 'id -u'],
  });
  assert.equal(file, '/bin/sh');
  assert.deepEqual(args, [
    '-c', 'echo 0 > /sys/fs/cgroup/memory/x/tasks && exec "$@"', 'drover-exec',
    '/usr/bin/nsenter', '-t', '42', '-m', '-u', '-i', '-n', '-p', '-r', '-w',
    '/usr/bin/setpriv', '--no-new-privs', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--', '/usr/bin/env', '--',
    'sh', '-c', 'id -u',
  ]);
  const tty = execArgv({ sh: 'sh', nsenter: 'nsenter', pid: 1, cgroupJoinFiles: [], user: undefined, command: ['echo', 'a b'], script: '/usr/bin/script' });
  assert.deepEqual(tty.args.slice(-7), ['/usr/bin/script', '-q', '-e', '-f', '-c', "echo 'a b'", '/dev/null']);
  assert.deepEqual(parseEnviron('A=1\0B=x=y\0\0'), { A: '1', B: 'x=y' });
});

test('connecting to a pod is authorized as create on its subresource, whatever the method', () => {
  const q = new URLSearchParams('command=ls');
  for (const sub of ['exec', 'portforward', 'attach']) {
    assert.deepEqual(requestAttributes('GET', `/api/v1/namespaces/ml/pods/p/${sub}`, q, KINDS), { apiGroup: '', resource: 'pods', subresource: sub, namespace: 'ml', name: 'p', verb: 'create' });
  }
  assert.equal((requestAttributes('GET', '/api/v1/namespaces/ml/pods/p/log', q, KINDS) as { verb: string }).verb, 'get');
});
