/**
 * Kubeflow Notebooks end to end: a real server, a real JupyterLab (scripts/jupyter-env.sh's venv)
 * in a pod, reached only through the server's proxy at /notebook/<ns>/<name>/. A one-time ticket
 * traded for a path-scoped cookie; a kernel over the proxied WebSocket computing
 * sum(range(10**6)); a terminal; stop and start by annotation keeping the workspace claim's files;
 * RBAC and cross-origin refusals; idle culling on a second server with a short cull time.
 *
 * Skipped without the JupyterLab environment unless DROVER_REQUIRE_JUPYTER is set (`.ci/run`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { Drover, REPO, sleep } from './drover.js';
import { connectWs } from './ws-client.js';

const venv = execFileSync('bash', [join(REPO, 'scripts/jupyter-env.sh'), 'path'], { encoding: 'utf8' }).trim();
const haveJupyter = existsSync(join(venv, '.complete'));
const skip = !haveJupyter && !process.env['DROVER_REQUIRE_JUPYTER'] ? 'JupyterLab is not installed (run scripts/jupyter-env.sh ensure, or set DROVER_REQUIRE_JUPYTER=1 to make this a failure)' : false;

let d: Drover;
let culling: Drover;

const NB = '/apis/kubeflow.org/v1/namespaces/default/notebooks';

function manifest(name: string, claim: string): string {
  return `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${claim}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: kubeflow.org/v1
kind: Notebook
metadata: {name: ${name}}
spec:
  template:
    spec:
      containers:
      - name: ${name}
        image: kubeflownotebookswg/jupyter-scipy:v1.9.0
        resources:
          requests: {cpu: 250m, memory: 512Mi}
          limits: {cpu: "1", memory: 2Gi}
        volumeMounts: [{name: workspace, mountPath: /home/jovyan}]
      volumes:
      - name: workspace
        persistentVolumeClaim: {claimName: ${claim}}
`;
}

before(async () => {
  if (skip) return;
  assert.ok(haveJupyter, `DROVER_REQUIRE_JUPYTER is set but ${venv} is not complete: run scripts/jupyter-env.sh ensure`);
  [d, culling] = await Promise.all([
    // Ranges of ClusterIPs of their own (each notebook has a Service): suites run side by side on one machine.
    Drover.start({ cpus: '4', memory: '8Gi', env: { DROVER_SERVICE_CIDR: '10.98.0.0/16' } }),
    Drover.start({ cpus: '4', memory: '8Gi', env: { DROVER_NOTEBOOK_CULL_IDLE_TIME: '20s', DROVER_NOTEBOOK_IDLENESS_CHECK_PERIOD: '2s', DROVER_SERVICE_CIDR: '10.97.0.0/16' } }),
  ]);
});

after(async () => {
  await d?.stop();
  await culling?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to the server, redirects not followed (fetch hides Set-Cookie on a redirect). */
function raw(server: Drover, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method: init.method ?? 'GET', headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 90_000, server = d): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${server.logs.slice(-3000)}`);
    await sleep(200);
  }
}

async function notebook(server: Drover, name: string): Promise<{ metadata: { annotations?: Record<string, string> }; status?: { readyReplicas?: number; containerState?: Record<string, unknown>; conditions?: { type: string; status: string }[] } }> {
  return (await (await server.api(`${NB}/${name}`)).json()) as never;
}

/** A browser's session: the cookie the ticket bought, and JupyterLab's `_xsrf` once a page set it. */
class Session {
  cookies = new Map<string, string>();
  constructor(readonly server: Drover, readonly base: string) {}
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(a: Answer): void {
    for (const c of [a.headers['set-cookie'] ?? []].flat()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  }
  async req(path: string, init: { method?: string; body?: unknown } = {}): Promise<Answer> {
    const headers: Record<string, string> = { cookie: this.header() };
    if (init.method && init.method !== 'GET') {
      headers['x-xsrftoken'] = this.cookies.get('_xsrf') ?? '';
      headers['content-type'] = 'application/json';
    }
    const a = await raw(this.server, `${this.base}/${path}`, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
    this.take(a);
    return a;
  }
}

/** Signs in as a browser does from the dashboard: a ticket with the bearer token, then the ticket's URL. */
async function signIn(server: Drover, name: string): Promise<{ session: Session; setCookie: string; ticketUrl: string }> {
  const t = await server.api(`/apis/drover.dev/v1/namespaces/default/notebooks/${name}/ticket`, { method: 'POST' });
  assert.equal(t.status, 201, await t.clone().text());
  const { url } = (await t.json()) as { url: string };
  const spent = await raw(server, url);
  assert.equal(spent.status, 303, spent.body);
  assert.equal(spent.headers['location'], `/notebook/default/${name}/`);
  const session = new Session(server, `/notebook/default/${name}`);
  session.take(spent);
  return { session, setCookie: [spent.headers['set-cookie'] ?? []].flat().join('\n'), ticketUrl: url };
}

let startMs = 0;
let nbSession: Session;

test('a Notebook with a jupyter image runs JupyterLab as pod <name>-0 with NB_PREFIX, reached through the proxy after a one-time ticket traded for a path-scoped HttpOnly SameSite=Strict cookie', { skip }, async () => {
  const t0 = Date.now();
  await d.ok(['apply', '-f', '-'], manifest('lab', 'lab-workspace'));
  const pod = await waitFor('the pod', async () => {
    const r = await d.api('/api/v1/namespaces/default/pods/lab-0');
    return r.status === 200 ? ((await r.json()) as { metadata: { labels: Record<string, string> }; spec: { containers: { env: { name: string; value: string }[]; command: string[] }[] } }) : undefined;
  });
  assert.equal(pod.metadata.labels['notebook-name'], 'lab');
  assert.equal(pod.metadata.labels['statefulset'], 'lab');
  const env = Object.fromEntries(pod.spec.containers[0]!.env.map((e) => [e.name, e.value]));
  assert.equal(env['NB_PREFIX'], '/notebook/default/lab');
  assert.match(pod.spec.containers[0]!.command.join(' '), /jupyter lab .*--ServerApp\.base_url=\/notebook\/default\/lab/);

  // Nothing without credentials; the admin's token works for API clients.
  assert.equal((await raw(d, '/notebook/default/lab/api/status')).status, 401);
  const { session, setCookie, ticketUrl } = await signIn(d, 'lab');
  nbSession = session;
  assert.match(setCookie, /^drover-notebook=[^;]+; Path=\/notebook\/default\/lab\/; Max-Age=3600; HttpOnly; SameSite=Strict$/);
  // A ticket is spent once.
  assert.equal((await raw(d, ticketUrl)).status, 401);

  const status = await waitFor('JupyterLab through the proxy', async () => {
    const a = await session.req('api/status');
    return a.status === 200 ? (JSON.parse(a.body) as { started: string }) : undefined;
  });
  startMs = Date.now() - t0;
  console.log(`# notebook start: apply → JupyterLab answering through the proxy in ${startMs} ms`);
  assert.ok(status.started);
  const nb = await waitFor('readyReplicas 1', async () => {
    const n = await notebook(d, 'lab');
    return n.status?.readyReplicas === 1 ? n : undefined;
  });
  assert.ok(nb.status!.containerState!['running'], JSON.stringify(nb.status));
  assert.ok(nb.status!.conditions!.some((c) => c.type === 'Ready' && c.status === 'True'));
  // The page itself, and JupyterLab's _xsrf cookie for the writes below.
  const lab = await session.req('lab');
  assert.equal(lab.status, 200);
  assert.ok(session.cookies.get('_xsrf'), 'JupyterLab set its _xsrf cookie');
  // `drover get notebooks`
  assert.match(await d.ok(['get', 'notebooks']), /lab\s+Ready\s+1/);
});

test('the proxy refuses a user without get on notebooks, a page of another origin, a cookie made for another notebook, and a session whose token was revoked', { skip }, async () => {
  const bob = (await d.ok(['token', 'create', 'bob'])).trim();
  const ticket = await fetch(`${d.url}/apis/drover.dev/v1/namespaces/default/notebooks/lab/ticket`, { method: 'POST', headers: { authorization: `Bearer ${bob}` } });
  assert.equal(ticket.status, 403);
  const direct = await raw(d, '/notebook/default/lab/api/status', { headers: { authorization: `Bearer ${bob}` } });
  assert.equal(direct.status, 403);
  assert.match((JSON.parse(direct.body) as { message: string }).message, /User "bob" cannot get resource "notebooks" in API group "kubeflow.org"/);
  const foreign = await raw(d, '/notebook/default/lab/api/kernels', { method: 'POST', headers: { cookie: nbSession.header(), origin: 'http://evil.example' } });
  assert.equal(foreign.status, 403);
  // Another notebook's path with this cookie: no session there.
  const other = await raw(d, '/notebook/default/other/api/status', { headers: { cookie: nbSession.header() } });
  assert.equal(other.status, 401);
  // A viewer of the namespace may open it; revoking the token ends the session it bought at once.
  const carol = (await d.ok(['token', 'create', 'carol', '-n', 'default', '--role', 'view'])).trim();
  const t = await fetch(`${d.url}/apis/drover.dev/v1/namespaces/default/notebooks/lab/ticket`, { method: 'POST', headers: { authorization: `Bearer ${carol}` } });
  assert.equal(t.status, 201);
  const spent = await raw(d, ((await t.json()) as { url: string }).url);
  const viewer = new Session(d, '/notebook/default/lab');
  viewer.take(spent);
  assert.equal((await viewer.req('api/status')).status, 200);
  await d.ok(['token', 'revoke', 'carol']);
  assert.equal((await viewer.req('api/status')).status, 401);
});

test('a kernel started through the proxy runs sum(range(10**6)) over the proxied WebSocket and answers 499999500000', { skip }, async () => {
  const k = await nbSession.req('api/kernels', { method: 'POST', body: { name: 'python3' } });
  assert.equal(k.status, 201, k.body);
  const kernel = JSON.parse(k.body) as { id: string };
  const ws = await connectWs(`${d.url}/notebook/default/lab/api/kernels/${kernel.id}/channels?session_id=e2e`, { cookie: nbSession.header() });
  const msgId = `e2e-${Date.now()}`;
  ws.send(JSON.stringify({
    header: { msg_id: msgId, username: 'e2e', session: 'e2e', msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
    parent_header: {}, metadata: {}, channel: 'shell', buffers: [],
    content: { code: 'sum(range(10**6))', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
  }));
  const result = await ws.next((text) => {
    const m = JSON.parse(text) as { msg_type: string; parent_header: { msg_id?: string }; content: { data?: Record<string, string> } };
    return m.msg_type === 'execute_result' && m.parent_header.msg_id === msgId ? m.content.data?.['text/plain'] : undefined;
  });
  assert.equal(result, '499999500000');
  ws.close();
  assert.equal((await nbSession.req(`api/kernels/${kernel.id}`, { method: 'DELETE' })).status, 204);
});

/** Code run in the notebook's kernel; what it prints after RESULT, parsed. Fails with the traceback. */
async function runInKernel(code: string): Promise<Record<string, unknown>> {
  const k = await nbSession.req('api/kernels', { method: 'POST', body: { name: 'python3' } });
  assert.equal(k.status, 201, k.body);
  const kernel = JSON.parse(k.body) as { id: string };
  const ws = await connectWs(`${d.url}/notebook/default/lab/api/kernels/${kernel.id}/channels?session_id=e2e-sa`, { cookie: nbSession.header() });
  const msgId = `e2e-sa-${Date.now()}`;
  ws.send(JSON.stringify({
    header: { msg_id: msgId, username: 'e2e', session: 'e2e-sa', msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
    parent_header: {}, metadata: {}, channel: 'shell', buffers: [],
    content: { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
  }));
  const out = await ws.next((text) => {
    const m = JSON.parse(text) as { msg_type: string; parent_header: { msg_id?: string }; content: { name?: string; text?: string; ename?: string; evalue?: string; traceback?: string[] } };
    if (m.parent_header.msg_id !== msgId) return undefined;
    if (m.msg_type === 'error') return `ERROR ${m.content.ename}: ${m.content.evalue}\n${(m.content.traceback ?? []).join('\n')}`;
    return m.msg_type === 'stream' && m.content.text?.includes('RESULT ') ? m.content.text : undefined;
  }, 60_000);
  ws.close();
  await nbSession.req(`api/kernels/${kernel.id}`, { method: 'DELETE' });
  assert.ok(out.startsWith('RESULT '), out);
  return JSON.parse(out.slice('RESULT '.length)) as Record<string, unknown>;
}

const IN_CLUSTER = `
import json
from kubernetes import client, config
from kubernetes.client.rest import ApiException
config.load_incluster_config()
ns = open('/var/run/secrets/kubernetes.io/serviceaccount/namespace').read()
def job(name):
    return {'apiVersion': 'batch/v1', 'kind': 'Job', 'metadata': {'name': name}, 'spec': {'backoffLimit': 0, 'template': {'spec': {'restartPolicy': 'Never', 'containers': [{'name': 'c', 'image': 'busybox', 'command': ['sh', '-c', 'echo made-in-a-notebook']}]}}}}
def status(f):
    try:
        f()
        return 200
    except ApiException as e:
        return e.status
r = {'namespace': ns}
r['job'] = client.BatchV1Api().create_namespaced_job(ns, job('from-notebook')).metadata.name
wf = {'apiVersion': 'argoproj.io/v1alpha1', 'kind': 'Workflow', 'metadata': {'name': 'wf-from-notebook'}, 'spec': {'entrypoint': 'main', 'templates': [{'name': 'main', 'container': {'image': 'busybox', 'command': ['sh', '-c', 'echo wf']}}]}}
r['workflow'] = client.CustomObjectsApi().create_namespaced_custom_object('argoproj.io', 'v1alpha1', ns, 'workflows', wf)['metadata']['name']
r['otherNamespace'] = status(lambda: client.BatchV1Api().create_namespaced_job('elsewhere', job('intruder')))
r['listOther'] = status(lambda: client.CoreV1Api().list_namespaced_pod('elsewhere'))
r['nodes'] = status(lambda: client.CoreV1Api().list_node())
r['escalate'] = status(lambda: client.RbacAuthorizationV1Api().create_namespaced_role_binding(ns, {'apiVersion': 'rbac.authorization.k8s.io/v1', 'kind': 'RoleBinding', 'metadata': {'name': 'up'}, 'roleRef': {'apiGroup': 'rbac.authorization.k8s.io', 'kind': 'ClusterRole', 'name': 'cluster-admin'}, 'subjects': [{'kind': 'ServiceAccount', 'name': 'default-editor', 'namespace': ns}]}))
print('RESULT ' + json.dumps(r))
`;

test("code in the notebook acts as its namespace's default-editor: the Kubernetes Python client's load_incluster_config() creates a Job and a Workflow there, and is refused (403) in another namespace, on nodes and on RBAC", { skip }, async () => {
  await d.ok(['create', 'namespace', 'elsewhere']);
  const pod = (await (await d.api('/api/v1/namespaces/default/pods/lab-0')).json()) as { spec: { serviceAccountName: string } };
  assert.equal(pod.spec.serviceAccountName, 'default-editor', 'a notebook without serviceAccountName runs as default-editor');
  const binding = await d.json<{ roleRef: { name: string }; subjects: { kind: string; name: string }[] }>(['get', 'rolebinding', 'default-editor']);
  assert.equal(binding.roleRef.name, 'kubeflow-edit');
  const r = await runInKernel(IN_CLUSTER);
  assert.equal(r['namespace'], 'default');
  assert.equal(r['job'], 'from-notebook');
  assert.equal(r['workflow'], 'wf-from-notebook');
  assert.equal(r['otherNamespace'], 403);
  assert.equal(r['listOther'], 403);
  assert.equal(r['nodes'], 403);
  assert.equal(r['escalate'], 403);
  await d.ok(['wait', 'job/from-notebook', '--for=condition=Complete', '--timeout=60s']);
  assert.match(await d.ok(['logs', 'job/from-notebook']), /made-in-a-notebook/);
  await waitFor('the workflow to succeed', async () => {
    const w = await d.json<{ status?: { phase?: string } }>(['get', 'workflow', 'wf-from-notebook']);
    return w.status?.phase === 'Succeeded' ? true : undefined;
  });
  assert.equal((await d.api('/apis/batch/v1/namespaces/elsewhere/jobs/intruder')).status, 404);
});

test('a terminal opens (POST api/terminals, then its WebSocket) and runs a command in the pod', { skip }, async () => {
  const t = await nbSession.req('api/terminals', { method: 'POST', body: {} });
  assert.equal(t.status, 200, t.body);
  const { name } = JSON.parse(t.body) as { name: string };
  const ws = await connectWs(`${d.url}/notebook/default/lab/terminals/websocket/${name}`, { cookie: nbSession.header() });
  ws.send(JSON.stringify(['stdin', 'echo "answer=$((6*7)) prefix=$NB_PREFIX"\r']));
  const out = await ws.next((text) => {
    const [kind, data] = JSON.parse(text) as [string, string];
    return kind === 'stdout' && /answer=42 prefix=\/notebook\/default\/lab/.test(data) ? data : undefined;
  }, 30_000);
  assert.match(out, /answer=42/);
  ws.close();
  assert.equal((await nbSession.req(`api/terminals/${name}`, { method: 'DELETE' })).status, 204);
});

test('the proxy costs little over reaching the pod directly (GET api/status, median of 50, printed)', { skip }, async () => {
  const pod = (await (await d.api('/api/v1/namespaces/default/pods/lab-0')).json()) as { status: { podIP: string } };
  const direct: number[] = [];
  const proxied: number[] = [];
  for (let i = 0; i < 50; i++) {
    let t = performance.now();
    const a = await fetch(`http://${pod.status.podIP}:8888/notebook/default/lab/api/status`);
    await a.text();
    direct.push(performance.now() - t);
    t = performance.now();
    const b = await nbSession.req('api/status');
    proxied.push(performance.now() - t);
    assert.equal(b.status, 200);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`# proxy overhead: GET api/status median ${median(direct).toFixed(2)} ms direct to the pod, ${median(proxied).toFixed(2)} ms through the proxy (cookie checked, RBAC decided)`);
});

test('kubeflow-resource-stopped stops the pod; removing it starts it again, and a file saved on the workspace claim is still there', { skip }, async () => {
  const put = await nbSession.req('api/contents/kept.txt', { method: 'PUT', body: { type: 'file', format: 'text', content: 'saved before the stop' } });
  assert.ok(put.status === 200 || put.status === 201, put.body);
  const patch = (annotations: Record<string, string | null>) => d.api(`${NB}/lab`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { annotations } }) });
  assert.equal((await patch({ 'kubeflow-resource-stopped': new Date().toISOString() })).status, 200);
  await waitFor('the pod to go', async () => ((await d.api('/api/v1/namespaces/default/pods/lab-0')).status === 404 ? true : undefined));
  const stopped = await waitFor('readyReplicas 0', async () => {
    const n = await notebook(d, 'lab');
    return n.status?.readyReplicas === 0 ? n : undefined;
  });
  assert.deepEqual(stopped.status!.conditions, []);
  assert.match(await d.ok(['get', 'notebooks']), /lab\s+Stopped\s+0/);
  const down = await nbSession.req('api/status');
  assert.equal(down.status, 503);
  assert.match(down.body, /stopped/);

  assert.equal((await patch({ 'kubeflow-resource-stopped': null })).status, 200);
  await waitFor('JupyterLab back', async () => ((await nbSession.req('api/status')).status === 200 ? true : undefined));
  const file = await nbSession.req('api/contents/kept.txt?content=1&type=file&format=text');
  assert.equal(file.status, 200, file.body);
  assert.equal((JSON.parse(file.body) as { content: string }).content, 'saved before the stop');
});

test('an idle notebook is culled: its last activity is kept in an annotation and, idle past the cull time (20 s here), it gets kubeflow-resource-stopped and its pod goes', { skip }, async () => {
  await culling.ok(['apply', '-f', '-'], manifest('idle', 'idle-workspace'));
  const t0 = Date.now();
  const seen = await waitFor('the last-activity annotation', async () => {
    const n = await notebook(culling, 'idle');
    return n.metadata.annotations?.['notebooks.kubeflow.org/last-activity'] ? n : undefined;
  }, 90_000, culling);
  assert.ok(seen.metadata.annotations!['notebooks.kubeflow.org/last_activity_check_timestamp']);
  const culled = await waitFor('the stop annotation', async () => {
    const n = await notebook(culling, 'idle');
    return n.metadata.annotations?.['kubeflow-resource-stopped'] ? n : undefined;
  }, 120_000, culling);
  console.log(`# culling: stopped ${Date.now() - t0} ms after apply with cullIdleTime 20s, idlenessCheckPeriod 2s`);
  assert.match(culled.metadata.annotations!['kubeflow-resource-stopped']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  await waitFor('the culled pod to go', async () => ((await culling.api('/api/v1/namespaces/default/pods/idle-0')).status === 404 ? true : undefined), 30_000, culling);
  const events = await culling.ok(['get', 'events']);
  assert.match(events, /Culled/);
});
