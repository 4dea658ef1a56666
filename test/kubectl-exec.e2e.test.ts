/**
 * The real kubectl's exec and port-forward against Drover (WebSocket: the channel protocol for
 * exec, SPDY tunnelled for port-forward), with only the kubeconfig Drover wrote.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Drover, REPO } from './drover.js';
import { skipUnlessCluster } from './cluster.js';

const KUBECTL = execFileSync('bash', [join(REPO, 'scripts', 'test-cluster.sh'), 'kubectl-path'], { encoding: 'utf8' }).trim();
const skip = skipUnlessCluster(existsSync(KUBECTL) ? undefined : `no kubectl at ${KUBECTL}; build it with: npm run test-cluster -- build`);

let d: Drover;
let env: NodeJS.ProcessEnv;

before(async () => {
  if (skip) return;
  d = await Drover.start({ cpus: '2', memory: '2Gi', env: { DROVER_TLS: 'on' } });
  env = { PATH: process.env['PATH'] ?? '', KUBECONFIG: join(d.home, 'kubeconfig'), HOME: d.home, KUBECACHEDIR: join(d.home, 'kube-cache') };
});

after(async () => {
  await d?.stop();
});

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(KUBECTL, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function runPod(name: string, command: string[]): Promise<void> {
  const manifest = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command }] } };
  await ok(['apply', '-f', '-'], JSON.stringify(manifest));
  await ok(['wait', '--for=jsonpath={.status.phase}=Running', `pod/${name}`, '--timeout=60s']);
}

test('kubectl exec runs in the container as its user, with its hostname, and passes the exit code', { skip }, async () => {
  await runPod('sleeper', ['sleep', '300']);
  const r = await kubectl(['exec', 'sleeper', '--', 'sh', '-c', 'id -u; echo $HOSTNAME; echo oops >&2; exit 3']);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, '65534\nsleeper\n');
  assert.match(r.stderr, /oops/);
  // The container's pid namespace: its own processes only, sleep among them.
  const ps = await ok(['exec', 'sleeper', '--', 'sh', '-c', 'cat /proc/[0-9]*/comm']);
  assert.match(ps, /sleep/);
  assert.ok(ps.trim().split('\n').length < 10, ps);
});

test('kubectl exec -i passes stdin through and ends it', { skip }, async () => {
  const out = await ok(['exec', '-i', 'sleeper', '--', 'cat'], 'hi\nthere\n');
  assert.equal(out, 'hi\nthere\n');
  const wc = await ok(['exec', '-i', 'sleeper', '--', 'wc', '-c'], 'x'.repeat(200_000));
  assert.equal(wc.trim(), '200000');
});

test('kubectl exec into a missing pod says it is not found', { skip }, async () => {
  const r = await kubectl(['exec', 'nosuchpod', '--', 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /not found/);
});

test('kubectl port-forward reaches a port of the pod', { skip }, async () => {
  const remote = await freePort();
  await runPod('web', ['python3', '-m', 'http.server', String(remote), '--bind', '127.0.0.1']);
  const local = await freePort();
  const pf = spawn(KUBECTL, ['port-forward', 'pod/web', `${local}:${remote}`], { env });
  let err = '';
  pf.stderr.on('data', (b: Buffer) => (err += b.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`port-forward did not start: ${err}`)), 30_000);
      pf.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('Forwarding from')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    // The server may take a moment to listen.
    let body = '';
    for (let i = 0; i < 50; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${local}/`);
        body = await res.text();
        if (res.ok) break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    assert.match(body, /Directory listing/, `kubectl: ${err}`);
    // A second connection through the same forward.
    const again = await fetch(`http://127.0.0.1:${local}/`);
    assert.equal(again.status, 200);
    await again.text();
  } finally {
    pf.kill('SIGINT');
  }
  assert.doesNotMatch(err, /error/i, err);
});

test('kubectl exec -it gives the command a terminal', { skip }, async () => {
  // `script` gives kubectl itself a terminal, as a user's shell would.
  const line = [KUBECTL, 'exec', '-it', 'sleeper', '--', 'sh', '-c', 'test -t 0 && test -t 1 && echo on-a-tty; exit 4'].map((a) => `'${a}'`).join(' ');
  const r = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile('script', ['-q', '-e', '-c', line, '/dev/null'], { env, timeout: 60_000 }, (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout }));
  });
  assert.match(r.out, /on-a-tty/);
  assert.equal(r.code, 4, r.out);
});

test('a viewer may not exec: connecting is `create` on pods/exec', { skip }, async () => {
  const r = await d.cli(['token', 'create', 'vic', '-n', 'default', '--role', 'view']);
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(readFileSync(join(d.home, 'kubeconfig'), 'utf8')) as { users: { user: { token?: string } }[] };
  config.users[0]!.user.token = r.stdout.trim();
  const vic = join(d.home, 'vic.kubeconfig');
  writeFileSync(vic, JSON.stringify(config), { mode: 0o600 });
  const refused = await kubectl(['--kubeconfig', vic, 'exec', 'sleeper', '--', 'true']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /User "vic" cannot create resource "pods\/exec" in API group "" in the namespace "default"/);
});

test('port-forward to a port nothing listens on says so, and the forward goes on', { skip }, async () => {
  const closed = await freePort();
  const local = await freePort();
  const pf = spawn(KUBECTL, ['port-forward', 'pod/sleeper', `${local}:${closed}`], { env });
  let err = '';
  pf.stderr.on('data', (b: Buffer) => (err += b.toString()));
  try {
    await new Promise<void>((resolve) => pf.stdout.on('data', (b: Buffer) => b.toString().includes('Forwarding from') && resolve()));
    await assert.rejects(fetch(`http://127.0.0.1:${local}/`));
    for (let i = 0; i < 50 && !/error forwarding port/.test(err); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(err, new RegExp(`error forwarding port ${closed} to pod sleeper: connect ECONNREFUSED`));
    assert.equal(pf.exitCode, null, 'kubectl keeps forwarding');
  } finally {
    pf.kill('SIGINT');
  }
});
