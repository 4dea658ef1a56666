/**
 * Pod networking on one machine, with real pods: each pod in its own network namespace on the
 * bridge, two replicas on the same port reaching each other by `<hostname>.<subdomain>` through a
 * headless Service, a ClusterIP Service forwarding to a pod, a restart that keeps the addresses,
 * and nothing left on the machine once the pods are gone. Needs a root server (CAP_NET_ADMIN).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { Drover, sleep } from './drover.js';
import { readClaimSync } from '../src/runtime/local/network/bridge.js';

const skip = process.getuid?.() !== 0 ? 'pods get network namespaces only from a root server (CAP_NET_ADMIN)' : false;
const NS = 'netteam';

let d: Drover;

before(async () => {
  if (skip) return;
  d = await Drover.start({ cpus: '4', memory: '4Gi' });
  await d.ok(['create', 'namespace', NS]).catch(() => d.ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })));
});

after(async () => {
  await d?.stop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}\nserver:\n${d.logs.slice(-3000)}`);
    await sleep(100);
  }
}

type PodJson = { metadata: { uid: string; name: string }; status?: { phase?: string; podIP?: string; hostIP?: string; podIPs?: { ip: string }[] } };

/** Serves its hostname on 2222 and prints what its peer (by name) answers. */
const REPLICA = `
import http.server, socket, sys, threading, time, urllib.request
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(socket.gethostname().encode())
    def log_message(self, *a): pass
srv = http.server.HTTPServer(('0.0.0.0', 2222), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
for _ in range(300):
    try:
        print('peer', sys.argv[1], 'says', urllib.request.urlopen('http://%s:2222/' % sys.argv[1], timeout=2).read().decode(), flush=True)
        break
    except Exception as e:
        time.sleep(0.1)
threading.Event().wait()
`;

const replica = (name: string, peer: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, labels: { job: 'ring' } },
  spec: { hostname: name, subdomain: 'ring', containers: [{ name: 'main', image: 'python', command: ['python3', '-c', REPLICA, `${peer}.ring`], ports: [{ name: 'http', containerPort: 2222 }] }] },
});

function netnsOf(uid: string): boolean {
  return existsSync(`/run/netns/drover-${uid}`);
}

function bridgeAddresses(): string[] {
  try {
    return execFileSync('ip', ['-o', '-4', 'addr', 'show', 'dev', 'drover0'], { encoding: 'utf8' }).split('\n').map((l) => l.split(/\s+/)[3] ?? '').filter(Boolean);
  } catch {
    return [];
  }
}

test('two replicas both listen on 2222 and reach each other as <hostname>.<subdomain> through a headless Service', { skip }, async () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ring', namespace: NS }, spec: { clusterIP: 'None', selector: { job: 'ring' } } };
  await d.ok(['apply', '-f', '-'], [svc, replica('r0', 'r1'), replica('r1', 'r0')].map((o) => JSON.stringify(o)).join('\n---\n'));
  for (const [name, peer] of [['r0', 'r1'], ['r1', 'r0']] as const) {
    const line = await until(`${name} to reach ${peer}`, async () => {
      const out = (await d.cli(['logs', '-n', NS, name])).stdout;
      return out.includes('says') ? out.trim() : undefined;
    });
    assert.equal(line, `peer ${peer}.ring says ${peer}`);
  }
  const pods = await Promise.all(['r0', 'r1'].map((n) => d.json<PodJson>(['get', 'pod', '-n', NS, n])));
  const ips = pods.map((p) => p.status?.podIP ?? '');
  assert.notEqual(ips[0], ips[1], 'each pod has an address of its own');
  for (const p of pods) {
    assert.match(p.status!.podIP!, /^10\.88\.\d+\.\d+$/);
    assert.deepEqual(p.status!.podIPs, [{ ip: p.status!.podIP }]);
    assert.equal(p.status!.phase, 'Running');
    assert.ok(netnsOf(p.metadata.uid), 'the pod has its network namespace');
  }
  const ep = await until('the Endpoints of ring', async () => {
    const out = (await d.cli(['get', 'endpoints', '-n', NS, 'ring'])).stdout;
    return ips.every((ip) => out.includes(ip!)) ? out : undefined;
  });
  assert.match(ep, /^NAME\s+ENDPOINTS\s+AGE\nring\s+10\.88\./);

  // A server killed and started again adopts the pods with their addresses; names still resolve.
  await d.kill9();
  await d.up();
  const probe = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probe', namespace: NS },
    spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'python', command: ['python3', '-c', "import socket,urllib.request; print(socket.gethostbyname('r0.ring'), urllib.request.urlopen('http://r1.ring.netteam.svc.cluster.local:2222/', timeout=5).read().decode())"] }] },
  };
  await d.ok(['apply', '-f', '-'], JSON.stringify(probe));
  const out = await until('the probe to end', async () => {
    const p = await d.json<PodJson>(['get', 'pod', '-n', NS, 'probe']);
    return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? (await d.ok(['logs', '-n', NS, 'probe'])).trim() : undefined;
  });
  assert.equal(out, `${ips[0]} r1`);
  const again = await Promise.all(['r0', 'r1'].map((n) => d.json<PodJson>(['get', 'pod', '-n', NS, n])));
  assert.deepEqual(again.map((p) => p.status?.podIP), ips, 'the same addresses after the restart');
  assert.deepEqual(again.map((p) => p.status?.phase), ['Running', 'Running']);
});

test('a ClusterIP Service forwards TCP to a ready pod at its named target port, from pods and from the host', { skip }, async () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { selector: { job: 'ring' }, ports: [{ port: 80, targetPort: 'http' }] } };
  await d.ok(['apply', '-f', '-'], JSON.stringify(svc));
  const clusterIP: string = await until('a ClusterIP', async () => (await d.json<{ spec: { clusterIP?: string } }>(['get', 'svc', '-n', NS, 'web'])).spec.clusterIP);
  assert.match(clusterIP, /^10\.96\.\d+\.\d+$/);
  const table = await d.ok(['get', 'svc', '-n', NS]);
  assert.match(table, new RegExp(`web\\s+ClusterIP\\s+${clusterIP.replace(/\./g, '\\.')}\\s+<none>\\s+80/TCP`));
  assert.match(table, /ring\s+ClusterIP\s+None/);
  const client = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'client', namespace: NS },
    spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'python', command: ['python3', '-c', "import urllib.request as u; print(sorted(u.urlopen(x, timeout=5).read().decode() for x in ['http://web/', 'http://web.netteam/', 'http://web.netteam.svc.cluster.local/']) != [])"] }] },
  };
  await d.ok(['apply', '-f', '-'], JSON.stringify(client));
  const out = await until('the client to end', async () => {
    const p = await d.json<PodJson>(['get', 'pod', '-n', NS, 'client']);
    return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? `${p.status.phase}: ${(await d.ok(['logs', '-n', NS, 'client'])).trim()}` : undefined;
  });
  assert.equal(out, 'Succeeded: True');
  // From the host: the address is on the bridge, the server forwards.
  const answer = await new Promise<string>((resolve, reject) => {
    const s = connect(80, clusterIP, () => s.end('GET / HTTP/1.0\r\n\r\n'));
    let buf = '';
    s.on('data', (b) => (buf += b.toString()));
    s.on('end', () => resolve(buf));
    s.on('error', reject);
  });
  assert.match(answer, /\r\n\r\nr[01]$/);
});

/** Says whether anything answers on 7000 and which network namespace it is in, then listens on 7000 with a connection open, and ends. */
const REUSE_PROBE = `
import os, socket
try:
    socket.create_connection(('127.0.0.1', 7000), timeout=1); print('port 7000 open', flush=True)
except OSError:
    print('port 7000 closed', flush=True)
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(('0.0.0.0', 7000)); l.listen()
c = socket.create_connection(('127.0.0.1', 7000)); a, _ = l.accept(); a.close()
print('netns', os.stat('/proc/self/ns/net').st_ino, flush=True)
`;

test("an ended pod's network namespace serves a later pod with nothing of the first left in it", { skip }, async () => {
  // One pod after another: two spares are ready, so by the third pod ended namespaces come back.
  await d.ok(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'reuse', namespace: NS },
    spec: { completions: 5, parallelism: 1, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'python', command: ['python3', '-c', REUSE_PROBE] }] } } },
  }));
  await d.ok(['wait', '-n', NS, 'job/reuse', '--for=condition=Complete', '--timeout=120s']);
  const pods = (await d.json<{ items: PodJson[] }>(['get', 'pods', '-n', NS, '-l', 'job-name=reuse'])).items;
  assert.equal(pods.length, 5);
  const seen = new Map<string, number>();
  for (const p of pods) {
    const log = await d.ok(['logs', '-n', NS, p.metadata.name]);
    assert.match(log, /^port 7000 closed$/m, `pod ${p.metadata.name} found nothing of an earlier pod listening:\n${log}`);
    const ns = /^netns (\d+)$/m.exec(log)?.[1];
    assert.ok(ns, log);
    seen.set(ns, (seen.get(ns) ?? 0) + 1);
  }
  assert.ok([...seen.values()].some((n) => n > 1), `some namespace served two pods: ${JSON.stringify([...seen])}`);
  await d.ok(['delete', 'job', '-n', NS, 'reuse']);
});

test('deleting the pods frees their addresses (their namespaces kept as spares at most), and a stopped server leaves no namespace, veth or address behind', { skip }, async () => {
  const pods = await Promise.all(['r0', 'r1'].map((n) => d.json<PodJson>(['get', 'pod', '-n', NS, n])));
  const clusterIP = (await d.json<{ spec: { clusterIP: string } }>(['get', 'svc', '-n', NS, 'web'])).spec.clusterIP;
  assert.ok(bridgeAddresses().includes(`${clusterIP}/32`));
  await d.ok(['delete', 'pod', '-n', NS, 'r0', 'r1', 'probe', 'client']);
  for (const p of pods) {
    // Addresses are claimed machine-wide: another server (a test beside this one) may already
    // hold this one again. What must be gone is this pod's claim, released last (after its
    // namespace and veth), so that is what is waited for.
    const claim = join('/run/drover/net/drover0', p.status!.podIP!);
    await until(`pod ${p.metadata.name}'s claim on ${p.status!.podIP} to go`, async () => (readClaimSync(claim)?.owner === p.metadata.uid ? undefined : true));
  }
  // The server's own address (pods' resolver and API) is what pods see as their node's.
  const server = `${pods[0]!.status!.hostIP}/32`;
  assert.ok(bridgeAddresses().includes(server), `${server} on the bridge`);
  await d.stop();
  // An ended pod's namespace may serve a later pod; the server's spares go when it stops.
  for (const p of pods) {
    assert.ok(!netnsOf(p.metadata.uid), `pod ${p.metadata.name}'s namespace is gone`);
    const veth = `dv${p.metadata.uid.replace(/-/g, '').slice(0, 13)}`;
    assert.throws(() => execFileSync('ip', ['link', 'show', veth], { stdio: 'pipe' }), `veth ${veth} is gone`);
  }
  // Other servers on this machine may hold addresses of their own (and keep the bridge); this one's are gone.
  const left = bridgeAddresses();
  assert.ok(!left.includes(`${clusterIP}/32`), `the ClusterIP is off the bridge: ${left.join(' ')}`);
  assert.ok(!left.includes(server), `the server's address is off the bridge: ${left.join(' ')}`);
});

test("network mode host: pods share the host's network, podIP is 127.0.0.1, and a pod with ports is warned that replicas clash", async () => {
  const h = await Drover.start({ cpus: '2', memory: '2Gi', env: { DROVER_NETWORK: 'host' } });
  try {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'srv' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'python', command: ['sh', '-c', 'cat /etc/hosts; sleep 0.3'], ports: [{ containerPort: 2222 }] }] } };
    await h.ok(['apply', '-f', '-'], JSON.stringify(pod));
    const done = await until('the pod to end', async () => {
      const p = await h.json<PodJson>(['get', 'pod', 'srv']);
      return p.status?.phase === 'Succeeded' ? p : undefined;
    });
    assert.equal(done.status?.podIP, '127.0.0.1');
    assert.match(await h.ok(['logs', 'srv']), /127\.0\.0\.1\tsrv\n/);
    const events = await h.ok(['get', 'events', '--field-selector', 'involvedObject.name=srv']);
    assert.match(events, /HostNetwork.*another pod listening on the same port will clash/);
    assert.equal(existsSync(`/run/netns/drover-${done.metadata.uid}`), false);
  } finally {
    await h.stop();
  }
});
