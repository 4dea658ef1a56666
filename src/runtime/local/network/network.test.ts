import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAnswer, parseQuery, RCODE_NXDOMAIN, RCODE_OK, TYPE_A, TYPE_AAAA } from './dns.js';
import { CidrError, firstFree, gatewayOf, intToIp, ipToInt, overlaps, parseCidr } from './ipam.js';
import { endpointsOf, lookup, nameTable, podHostsFile, resolvConf, targetPortOn, type PodView, type ServiceView } from './names.js';
import { Resolver, nameservers } from './resolver.js';
import { mayChangeNetwork } from './index.js';
import type { Pod } from '../../../api/index.js';
import { BridgeNetwork, hasNetAdmin, macFor, readClaimSync, SPARE_NAMESPACES, vethName, withLock } from './bridge.js';
import { existsSync, lstatSync, mkdtempSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('a pod range hands out its lowest free host address, never the network, gateway or broadcast address', () => {
  const c = parseCidr('10.88.0.0/16');
  assert.equal(gatewayOf(c), '10.88.0.1');
  assert.equal(firstFree(c, new Set()), '10.88.0.2');
  assert.equal(firstFree(c, new Set(['10.88.0.2', '10.88.0.3'])), '10.88.0.4');
  const small = parseCidr('10.0.0.0/30');
  assert.equal(firstFree(small, new Set()), '10.0.0.2');
  assert.equal(firstFree(small, new Set(['10.0.0.2'])), undefined, 'a /30 has one address after the gateway');
  assert.equal(intToIp(ipToInt('192.168.1.255')), '192.168.1.255');
  assert.ok(overlaps(parseCidr('10.88.0.0/16'), parseCidr('10.88.4.0/24')));
  assert.ok(!overlaps(parseCidr('10.88.0.0/16'), parseCidr('10.96.0.0/16')));
});

test('a malformed range is refused with what was expected', () => {
  assert.throws(() => parseCidr('10.88.0.1/16'), (e: unknown) => e instanceof CidrError && /host bits set: the network address is 10\.88\.0\.0\/16/.test(e.message));
  assert.throws(() => parseCidr('10.88.0.0'), /not a CIDR range like 10\.88\.0\.0\/16/);
  assert.throws(() => parseCidr('10.88.0.0/31'), /between \/8 and \/30/);
  assert.throws(() => ipToInt('10.300.0.1'), /not an IPv4 address/);
});

test("a pod's host-side veth name fits the kernel's 15 characters", () => {
  assert.equal(vethName('0aa7e70e-3141-4859-8ce1-0b61dd9c31dc'), 'dv0aa7e70e31414');
  assert.ok(vethName('0aa7e70e-3141-4859-8ce1-0b61dd9c31dc').length <= 15);
});

test('the bridge lock lets one holder in at a time, and is taken over from a holder that died', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'drover-lock-')), 'drover0.lock');
  let inside = 0;
  let most = 0;
  const hold = () => withLock(dir, async () => {
    most = Math.max(most, ++inside);
    await new Promise((r) => setTimeout(r, 5));
    inside--;
  });
  await Promise.all([hold(), hold(), hold(), hold()]);
  assert.equal(most, 1);
  // A holder killed inside: its pid names no process.
  mkdirSync(dir);
  writeFileSync(join(dir, 'pid'), '2147483646');
  assert.equal(await withLock(dir, async () => 'taken over', 2_000), 'taken over');
  // A live holder (this process) that never lets go: the waiter gives up with who holds it.
  mkdirSync(dir);
  writeFileSync(join(dir, 'pid'), String(process.pid));
  await assert.rejects(withLock(dir, async () => 'never', 100), new RegExp(`held for 0\\.1 s by process ${process.pid}`));
});

test('a ClusterIP is claimed machine-wide: another live server cannot take it; a restart of its own server, or anyone after its home is gone, can', async () => {
  const root = mkdtempSync(join(tmpdir(), 'drover-claims-'));
  const homeA = mkdtempSync(join(tmpdir(), 'drover-home-a-'));
  const homeB = mkdtempSync(join(tmpdir(), 'drover-home-b-'));
  const net = (home: string) => new BridgeNetwork({ ip: '/bin/false', bridge: 'drover0', podCidr: '10.88.0.0/16', home, claimsRoot: root });
  const a = net(homeA);
  const b = net(homeB);
  assert.equal(await a.claimService('10.96.0.10', 'svc-a'), true);
  assert.equal(await b.claimService('10.96.0.10', 'svc-b'), false, "server A's Service holds it");
  assert.equal(await b.claimService('10.96.0.11', 'svc-b'), true);
  assert.equal(await net(homeA).claimService('10.96.0.10', 'svc-a'), true, 'server A restarted: its own Service again');
  assert.equal(await net(homeA).claimService('10.96.0.10', 'svc-other'), false, 'not for another Service of the same home');
  rmSync(homeB, { recursive: true, force: true });
  assert.equal(await a.claimService('10.96.0.11', 'svc-a2'), true, "server B's home is gone");
});

function pod(name: string, o: Partial<PodView> = {}): PodView {
  return { namespace: 'team', name, labels: { job: 'train' }, ready: true, gone: false, ports: [{ name: 'grpc', containerPort: 2222, protocol: 'TCP' }], ...o };
}
const headless: ServiceView = { namespace: 'team', name: 'train', clusterIP: 'None', selector: { job: 'train' }, ports: [], publishNotReadyAddresses: false };

test("a headless Service's endpoints are its selector's ready pods with an address, in its namespace only", () => {
  const pods = [
    pod('w0', { ip: '10.88.0.3', hostname: 'w0', subdomain: 'train' }),
    pod('w1', { ip: '10.88.0.4', hostname: 'w1', subdomain: 'other' }),
    pod('w2', { ip: '10.88.0.5', ready: false }),
    pod('w3', { ip: '10.88.0.6', gone: true }),
    pod('w4'),
    pod('x', { ip: '10.88.0.7', labels: { job: 'eval' } }),
    pod('y', { ip: '10.88.0.8', namespace: 'elsewhere' }),
  ];
  assert.deepEqual(endpointsOf(headless, pods), [
    { ip: '10.88.0.3', pod: 'w0', ready: true, hostname: 'w0' },
    { ip: '10.88.0.4', pod: 'w1', ready: true },
  ]);
  const eager = endpointsOf({ ...headless, publishNotReadyAddresses: true }, pods).map((e) => e.pod);
  assert.deepEqual(eager, ['w0', 'w1', 'w2'], 'publishNotReadyAddresses publishes pods before they are ready');
  assert.deepEqual(endpointsOf({ ...headless, selector: {} }, pods), [], 'no selector: no endpoints');
});

test('the name table follows Kubernetes DNS: ClusterIP, headless addresses, <hostname>.<subdomain> records', () => {
  const pods = [pod('train-worker-0', { ip: '10.88.0.3', hostname: 'train-worker-0', subdomain: 'train' }), pod('train-worker-1', { ip: '10.88.0.4', hostname: 'train-worker-1', subdomain: 'train' })];
  const web: ServiceView = { namespace: 'team', name: 'web', clusterIP: '10.96.0.10', selector: { job: 'train' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 'grpc' }], publishNotReadyAddresses: false };
  const pending: ServiceView = { ...web, name: 'pending', clusterIP: undefined };
  const t = nameTable([headless, web, pending], pods, 'cluster.local');
  assert.deepEqual(t.get('train.team.svc.cluster.local'), ['10.88.0.3', '10.88.0.4']);
  assert.deepEqual(t.get('train-worker-1.train.team.svc.cluster.local'), ['10.88.0.4']);
  assert.deepEqual(t.get('web.team.svc.cluster.local'), ['10.96.0.10']);
  assert.equal(t.has('pending.team.svc.cluster.local'), false, 'no address yet: no name');
  assert.deepEqual(lookup(t, '10-88-0-3.team.pod.cluster.local', 'cluster.local'), ['10.88.0.3']);
  assert.deepEqual(lookup(t, 'nothing.team.svc.cluster.local', 'cluster.local'), []);
  assert.equal(targetPortOn(web.ports[0]!, pods[0]!), 2222, 'a named targetPort is the pod\'s port of that name');
  assert.equal(targetPortOn({ port: 80, protocol: 'TCP', targetPort: 'nope' }, pods[0]!), undefined);
  assert.equal(targetPortOn({ port: 80, protocol: 'TCP', targetPort: 8080 }, pods[0]!), 8080);
});

test("a pod's hosts file and resolv.conf are the kubelet's", () => {
  assert.equal(
    podHostsFile('127.0.0.1\tlocalhost', { ip: '10.88.0.3', hostname: 'w0', subdomain: 'train', namespace: 'team', domain: 'cluster.local' }, [{ ip: '10.1.2.3', hostnames: ['db'] }]),
    '127.0.0.1\tlocalhost\n# Added by Drover\n10.88.0.3\tw0.train.team.svc.cluster.local\tw0\n10.1.2.3\tdb\n',
  );
  assert.equal(resolvConf('team', '10.88.0.2', 'cluster.local'), 'nameserver 10.88.0.2\nsearch team.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
  // dnsConfig merged as the kubelet does: nameservers and searches appended without duplicates, options by name.
  assert.equal(
    resolvConf('team', '10.88.0.2', 'cluster.local', { nameservers: ['10.88.0.2', '1.1.1.1'], searches: ['pi.team.svc.cluster.local', 'svc.cluster.local'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] }),
    'nameserver 10.88.0.2\nnameserver 1.1.1.1\nsearch team.svc.cluster.local svc.cluster.local cluster.local pi.team.svc.cluster.local\noptions ndots:2 edns0\n',
  );
  assert.deepEqual(nameservers('# x\nnameserver 127.0.0.53\nnameserver ::1\nsearch lan\n'), ['127.0.0.53']);
});

/** A query as a stub resolver sends it. */
function query(id: number, name: string, type: number): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(1, 3);
  return Buffer.concat([header, ...labels, tail]);
}

test('the resolver answers cluster names with A records, NXDOMAIN for unknown ones, and leaves other names to the host', () => {
  const r = new Resolver({ address: '127.0.0.1', domain: 'cluster.local', upstream: [], warn: () => undefined });
  r.table = new Map([['w0.train.team.svc.cluster.local', ['10.88.0.3']]]);
  const q = query(0x1234, 'W0.train.team.svc.cluster.local', TYPE_A);
  const parsed = parseQuery(q)!;
  assert.equal(parsed.name, 'w0.train.team.svc.cluster.local', 'names are compared in lower case');
  const a = r.reply(q)!;
  assert.equal(a.readUInt16BE(0), 0x1234);
  assert.equal(a.readUInt16BE(2) & 0xf, RCODE_OK);
  assert.equal(a.readUInt16BE(6), 1, 'one answer');
  assert.deepEqual([...a.subarray(a.length - 4)], [10, 88, 0, 3]);
  const aaaa = r.reply(query(1, 'w0.train.team.svc.cluster.local', TYPE_AAAA))!;
  assert.equal(aaaa.readUInt16BE(2) & 0xf, RCODE_OK, 'the name exists, without IPv6');
  assert.equal(aaaa.readUInt16BE(6), 0);
  const nx = r.reply(query(2, 'w9.train.team.svc.cluster.local', TYPE_A))!;
  assert.equal(nx.readUInt16BE(2) & 0xf, RCODE_NXDOMAIN);
  assert.equal(r.reply(query(3, 'pypi.org', TYPE_A)), undefined, 'forwarded');
  assert.equal(buildAnswer(q, parsed, RCODE_OK, ['1.2.3.4']).readUInt16BE(6), 1);
  assert.equal(parseQuery(Buffer.from([1, 2, 3])), undefined);
});

test('reverse names follow CoreDNS: hostname records, dashed endpoint names, ClusterIPs; other addresses of the pod and Service ranges get NXDOMAIN, the rest is forwarded', () => {
  const pods = [pod('train-worker-0', { ip: '10.88.0.3', hostname: 'train-worker-0', subdomain: 'train' }), pod('x', { ip: '10.88.0.7', labels: { job: 'eval' } })];
  const perPod: ServiceView = { ...headless, name: 'train-worker-0' };
  const web: ServiceView = { namespace: 'team', name: 'web', clusterIP: '10.96.0.10', selector: { job: 'train' }, ports: [], publishNotReadyAddresses: false };
  const reverse = new Map<string, string>();
  nameTable([perPod, headless, web], pods, 'cluster.local', reverse);
  assert.equal(reverse.get('10.88.0.3'), 'train-worker-0.train.team.svc.cluster.local', 'the hostname record wins over the dashed name of an earlier Service');
  assert.equal(reverse.get('10.96.0.10'), 'web.team.svc.cluster.local');
  const dashed = new Map<string, string>();
  nameTable([perPod], pods, 'cluster.local', dashed);
  assert.equal(dashed.get('10.88.0.3'), '10-88-0-3.train-worker-0.team.svc.cluster.local');

  const r = new Resolver({ address: '127.0.0.1', domain: 'cluster.local', upstream: [], ranges: ['10.88.0.0/16', '10.96.0.0/16'], warn: () => undefined });
  r.reverse = reverse;
  const ptr = r.reply(query(7, '3.0.88.10.in-addr.arpa', 12))!;
  assert.equal(ptr.readUInt16BE(2) & 0xf, RCODE_OK);
  assert.equal(ptr.readUInt16BE(6), 1);
  const target = 'train-worker-0.train.team.svc.cluster.local';
  const wire = Buffer.concat([...target.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  assert.deepEqual(ptr.subarray(ptr.length - wire.length), wire);
  assert.equal(r.reply(query(8, '7.0.88.10.in-addr.arpa', 12))!.readUInt16BE(2) & 0xf, RCODE_NXDOMAIN, 'a pod without a Service: no name, at once');
  assert.equal(r.reply(query(9, '8.8.8.8.in-addr.arpa', 12)), undefined, 'outside the ranges: forwarded');
});

test('a pod takes a spare namespace when one is ready; its claim names the pod and the namespace, a restart finds both and frees spares nobody took', { timeout: 60_000 }, async (t) => {
  if (!(await hasNetAdmin())) return t.skip('needs CAP_NET_ADMIN (root) to make a bridge and namespaces');
  const claimsRoot = mkdtempSync(join(tmpdir(), 'drover-spares-'));
  const home = mkdtempSync(join(tmpdir(), 'drover-spares-home-'));
  const o = { ip: 'ip', bridge: `drvt${randomBytes(3).toString('hex')}`, podCidr: '10.231.0.0/24', home, claimsRoot };
  const claimsDir = join(claimsRoot, o.bridge);
  const claims = () => readdirSync(claimsDir).filter((f) => f !== 'svc' && !f.endsWith('.tmp')).map((f) => ({ ip: f, ...readClaimSync(join(claimsDir, f))! }));
  const first = new BridgeNetwork(o);
  await first.start();
  let second: BridgeNetwork | undefined;
  try {
    const a = await first.setup('pod-a');
    assert.match(a.netns, /drover-pod-a$/, 'no spare was ready yet: the pod made its own');
    await first.fillSpares();
    assert.equal(claims().filter((c) => c.owner.startsWith('spare-')).length, SPARE_NAMESPACES);
    const b = await first.setup('pod-b');
    assert.match(b.netns, /drover-spare-[0-9a-f]+$/);
    assert.ok(existsSync(b.netns));
    assert.deepEqual(claims().find((c) => c.ip === b.ip), { ip: b.ip, owner: 'pod-b', home, netns: b.netns.split('drover-')[1] });
    await first.fillSpares();
    // A restart (the first server died: its spares were never stopped).
    second = new BridgeNetwork(o);
    await second.start();
    assert.deepEqual(second.podsWithAddress().sort(), ['pod-a', 'pod-b']);
    assert.equal(second.netnsOf('pod-b'), b.netns);
    assert.equal(claims().filter((c) => c.owner.startsWith('spare-')).length, 0, 'spares nobody took are freed');
    await second.release('pod-b');
    assert.ok(!existsSync(b.netns), "the spare's namespace went with the pod");
    assert.ok(!claims().some((c) => c.ip === b.ip));
  } finally {
    const net = second ?? first;
    await net.release('pod-a');
    await first.stopSpares();
    await net.stopSpares();
    await net.shutdown([]);
    rmSync(claimsRoot, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
});

/** A bridge of its own with claims in a directory of their own; stopped at the end, which must free every kept namespace. */
async function withBridge(podCidr: string, extra: { trimIdleMs?: number }, body: (b: { net: BridgeNetwork; o: ConstructorParameters<typeof BridgeNetwork>[0]; claimsDir: string; home: string }) => Promise<void>): Promise<void> {
  const claimsRoot = mkdtempSync(join(tmpdir(), 'drover-spares-'));
  const home = mkdtempSync(join(tmpdir(), 'drover-spares-home-'));
  const o = { ip: 'ip', bridge: `drvt${randomBytes(3).toString('hex')}`, podCidr, home, claimsRoot, ...extra };
  const claimsDir = join(claimsRoot, o.bridge);
  const net = new BridgeNetwork(o);
  await net.start();
  try {
    await body({ net, o, claimsDir, home });
  } finally {
    await net.stopSpares();
    await net.shutdown([]);
    assert.deepEqual(readdirSync(claimsDir).filter((f) => f !== 'svc'), [], 'stopping frees every kept namespace');
    rmSync(claimsRoot, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

test("an ended pod's namespace serves a later pod, when the runtime says it may; one it may have changed goes, and a restart frees the kept ones", { timeout: 60_000 }, async (t) => {
  if (!(await hasNetAdmin())) return t.skip('needs CAP_NET_ADMIN (root) to make a bridge and namespaces');
  await withBridge('10.232.0.0/24', {}, async ({ net, o, claimsDir, home }) => {
    const claimOf = (ip: string) => readClaimSync(join(claimsDir, ip))!;
    const own = await net.setup('pod-own');
    await net.fillSpares();
    const a = await net.setup('pod-a');
    const b = await net.setup('pod-b');
    assert.match(a.netns, /drover-spare-/);
    // eth0's link address is made from the IP, so it stays right wherever the address moves.
    assert.equal(macFor('10.232.0.13'), '0a:58:0a:e8:00:0d');
    assert.match(execFileSync('ip', ['-n', a.netns.split('/').pop()!, 'link', 'show', 'eth0'], { encoding: 'utf8' }), new RegExp(`link/ether ${macFor(a.ip)} `));
    await net.fillSpares();
    // Ended, every process gone: pod-a's namespace and address become a spare again.
    await net.release('pod-a', true);
    assert.ok(existsSync(a.netns));
    assert.match(claimOf(a.ip).owner, /^spare-/);
    assert.equal(net.addressOf('pod-a'), undefined);
    // Spares are taken in order: the two made meanwhile, then pod-a's.
    const taken = [await net.setup('pod-c'), await net.setup('pod-d'), await net.setup('pod-e')];
    const again = taken.find((x) => x.netns === a.netns);
    assert.ok(again, 'a later pod got the ended pod’s namespace');
    assert.equal(again.ip, a.ip);
    // Not to be reused (its processes may be left, or it could change its network): removed.
    await net.release('pod-b', false);
    assert.ok(!existsSync(b.netns));
    assert.equal(readClaimSync(join(claimsDir, b.ip)), undefined, 'its address is free');
    // One the pod made for itself is kept too (its claim names it), and serves the next pod.
    await net.release('pod-own', true);
    assert.ok(existsSync(own.netns));
    // Released again (the pod deleted after it ended): the namespace is a spare's now, and stays.
    await net.release('pod-own', false);
    assert.ok(existsSync(own.netns));
    assert.deepEqual(claimOf(own.ip), { owner: claimOf(own.ip).owner, home, netns: 'pod-own' });
    assert.match(claimOf(own.ip).owner, /^spare-/);
    for (const p of ['pod-c', 'pod-d', 'pod-e']) await net.release(p, false);
    // Spares go in order, and more are made in the background meanwhile: take until it comes.
    await net.fillSpares();
    let f = await net.setup('pod-f');
    for (let i = 0; i < 8 && f.netns !== own.netns; i++) {
      await net.release('pod-f', false);
      f = await net.setup('pod-f');
    }
    assert.equal(f.netns, own.netns);
    assert.equal(f.ip, own.ip);
    // A restart frees the spares, kept ones included, namespaces and all.
    const restarted = new BridgeNetwork(o);
    await restarted.start();
    assert.ok(!existsSync(a.netns), 'the kept spare went at the restart');
    assert.ok(existsSync(f.netns), "pod-f's namespace stays: it has it");
    await restarted.release('pod-f', false);
    assert.ok(!existsSync(f.netns));
  });
});

test('namespaces kept beyond the ready spares go once the pool has been idle a while: each is a mount every sandbox start copies', { timeout: 60_000 }, async (t) => {
  if (!(await hasNetAdmin())) return t.skip('needs CAP_NET_ADMIN (root) to make a bridge and namespaces');
  await withBridge('10.233.0.0/24', { trimIdleMs: 2000 }, async ({ net, claimsDir }) => {
    const spareClaims = () => readdirSync(claimsDir).filter((f) => f !== 'svc').map((f) => readClaimSync(join(claimsDir, f))).filter((c) => c?.owner.startsWith('spare-'));
    await net.fillSpares();
    const pods = ['pod-a', 'pod-b', 'pod-c', 'pod-d'];
    const given = [];
    for (const p of pods) given.push(await net.setup(p));
    await net.fillSpares();
    // A burst ends: every namespace comes back, more than the ready spares.
    for (const p of pods) await net.release(p, true);
    assert.ok(given.every((g) => existsSync(g.netns)), 'kept while the burst may go on');
    assert.equal(spareClaims().length, SPARE_NAMESPACES + pods.length);
    // Taken and given back again before the wait is over: the wait starts again (margins of
    // 800 ms either way, for a loaded machine).
    await new Promise((r) => setTimeout(r, 1200));
    const e = await net.setup('pod-e');
    await net.release('pod-e', true);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(spareClaims().length, SPARE_NAMESPACES + pods.length, 'still kept: the pool was busy 1.2 s ago');
    const deadline = Date.now() + 10_000;
    while (spareClaims().length > SPARE_NAMESPACES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(spareClaims().length, SPARE_NAMESPACES, 'idle: back to the ready spares');
    const kept = [...given.map((g) => g.netns), e.netns].filter((n) => existsSync(n));
    assert.ok(kept.length <= SPARE_NAMESPACES, `the others' namespaces are gone (${kept.length} left)`);
    // The pool still serves: a pod takes a ready one at once.
    assert.match((await net.setup('pod-f')).netns, /drover-spare-|drover-pod-/);
    await net.release('pod-f', false);
  });
});

test('a pod that is privileged or adds NET_ADMIN or SYS_ADMIN could have changed its network namespace', () => {
  const pod = (securityContext: object) => ({ spec: { containers: [{ name: 'a' }, { name: 'b', securityContext }] } }) as unknown as Pod;
  assert.equal(mayChangeNetwork(pod({})), false);
  assert.equal(mayChangeNetwork(pod({ capabilities: { add: ['NET_BIND_SERVICE'] } })), false);
  assert.equal(mayChangeNetwork(pod({ privileged: true })), true);
  assert.equal(mayChangeNetwork(pod({ capabilities: { add: ['CAP_NET_ADMIN'] } })), true);
  assert.equal(mayChangeNetwork(pod({ capabilities: { add: ['sys_admin'] } })), true);
});

test('claims are symbolic links holding their JSON; an empty claim file an older server left a minute ago is freed at start, a newer one and a written one stay', { timeout: 60_000 }, async (t) => {
  if (!(await hasNetAdmin())) return t.skip('needs CAP_NET_ADMIN (root) to make a bridge');
  const claimsRoot = mkdtempSync(join(tmpdir(), 'drover-claims-'));
  const home = mkdtempSync(join(tmpdir(), 'drover-claims-home-'));
  const other = mkdtempSync(join(tmpdir(), 'drover-claims-other-'));
  const o = { ip: 'ip', bridge: `drvt${randomBytes(3).toString('hex')}`, podCidr: '10.233.0.0/24', home, claimsRoot };
  const claimsDir = join(claimsRoot, o.bridge);
  mkdirSync(claimsDir, { recursive: true });
  const old = new Date(Date.now() - 120_000);
  writeFileSync(join(claimsDir, '10.233.0.2'), '');
  utimesSync(join(claimsDir, '10.233.0.2'), old, old);
  writeFileSync(join(claimsDir, '10.233.0.3'), '');
  writeFileSync(join(claimsDir, '10.233.0.4'), JSON.stringify({ owner: 'server', home: other }));
  utimesSync(join(claimsDir, '10.233.0.4'), old, old);
  const net = new BridgeNetwork(o);
  await net.start();
  try {
    assert.equal(existsSync(join(claimsDir, '10.233.0.2')), false, 'the old empty claim file is freed');
    assert.equal(existsSync(join(claimsDir, '10.233.0.3')), true, 'one just made may be written yet');
    assert.deepEqual(readClaimSync(join(claimsDir, '10.233.0.4')), { owner: 'server', home: other }, "a file claim of a live home is read, and stays");
    // The freed address is the lowest: this server's own, as a link.
    assert.equal(lstatSync(join(claimsDir, '10.233.0.2')).isSymbolicLink(), true);
    assert.deepEqual(readClaimSync(join(claimsDir, '10.233.0.2')), { owner: 'server', home });
    const pod = await net.setup('pod-a');
    assert.equal(lstatSync(join(claimsDir, pod.ip)).isSymbolicLink(), true);
    assert.equal(readClaimSync(join(claimsDir, pod.ip))?.owner, 'pod-a');
    await net.release('pod-a', false);
    assert.equal(readClaimSync(join(claimsDir, pod.ip)), undefined);
  } finally {
    await net.stopSpares();
    rmSync(join(claimsDir, '10.233.0.3'));
    rmSync(join(claimsDir, '10.233.0.4'));
    await net.shutdown([]);
    rmSync(claimsRoot, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});
