/**
 * Namespaces as teams: a Kubeflow Profile makes its namespace, binds its owner as admin and sets
 * its quota; the quota refuses what would exceed it at admission, for pods a user creates and for
 * pods a Job's controller creates (the Job says why and goes on once quota frees). GPU capacity is
 * configured (`--gpus 2`): no physical GPU here, admission and accounting are what is tested.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Drover, sleep } from './drover.js';

let d: Drover;

before(async () => {
  d = await Drover.start({ gpus: 2 });
});

after(async () => {
  await d?.stop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const gpuPod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['sleep', '30'], resources: { limits: { 'nvidia.com/gpu': '1' } } }] },
});

test('a Profile makes its namespace with its owner as kubeflow-admin and its quota; deleting it removes them', async () => {
  await d.ok(['apply', '-f', '-'], `
apiVersion: kubeflow.org/v1
kind: Profile
metadata: { name: team-a }
spec:
  owner: { kind: User, name: ann@example.com }
  resourceQuotaSpec:
    hard: { requests.nvidia.com/gpu: "1", pods: "10" }
`);
  const profile = await until('the profile to be ready', async () => {
    const p = await d.json<{ status?: { conditions?: { type: string; status: string }[] } }>(['get', 'profile', 'team-a']);
    return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
  });
  assert.ok(profile);
  const ns = await d.json<{ metadata: { annotations: Record<string, string>; ownerReferences: { kind: string }[] } }>(['get', 'namespace', 'team-a']);
  assert.equal(ns.metadata.annotations['owner'], 'ann@example.com');
  assert.equal(ns.metadata.ownerReferences[0]!.kind, 'Profile');
  const binding = await d.json<{ roleRef: { name: string }; subjects: { kind: string; name: string }[]; metadata: { annotations: Record<string, string> } }>(['get', 'rolebinding', 'namespaceAdmin', '-n', 'team-a']);
  assert.equal(binding.roleRef.name, 'kubeflow-admin');
  assert.deepEqual(binding.subjects.map((s) => `${s.kind}/${s.name}`), ['User/ann@example.com']);
  assert.deepEqual(binding.metadata.annotations, { user: 'ann@example.com', role: 'admin' });
  // The accounts notebooks and pipelines run as, bound in this namespace only (as Kubeflow's).
  for (const [sa, role] of [['default-editor', 'kubeflow-edit'], ['default-viewer', 'kubeflow-view']] as const) {
    await d.ok(['get', 'serviceaccount', sa, '-n', 'team-a']);
    const b = await d.json<{ roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] }>(['get', 'rolebinding', sa, '-n', 'team-a']);
    assert.deepEqual([b.roleRef.kind, b.roleRef.name], ['ClusterRole', role]);
    assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: sa, namespace: 'team-a' }]);
  }
  const quota = await d.json<{ spec: { hard: Record<string, string> } }>(['get', 'resourcequota', 'kf-resource-quota', '-n', 'team-a']);
  assert.deepEqual(quota.spec.hard, { 'requests.nvidia.com/gpu': '1', pods: '10' });

  // A profile for a namespace someone else has is not taken over.
  await d.ok(['create', 'namespace', 'taken']);
  await d.ok(['apply', '-f', '-'], 'apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata: { name: taken }\nspec: { owner: { kind: User, name: eve } }\n');
  const refused = await until('the profile to say why', async () => {
    const p = await d.json<{ status?: { conditions?: { type: string; status: string; message: string }[] } }>(['get', 'profile', 'taken']);
    return p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'False');
  });
  assert.match(refused.message, /namespace "taken" already exists and does not belong to this profile/);
  assert.equal((await d.cli(['get', 'rolebinding', 'namespaceAdmin', '-n', 'taken'])).code, 1);
  await d.ok(['delete', 'profile', 'taken']);
  assert.equal((await d.cli(['get', 'namespace', 'taken'])).code, 0, 'the namespace that was there before stays');
});

test('a ResourceQuota of 1 GPU: a second GPU pod is refused at admission with the quota message, and a Job waits for quota', async () => {
  const created = await d.api('/api/v1/namespaces/team-a/pods', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(gpuPod('first')) });
  assert.equal(created.status, 201);
  const second = await d.api('/api/v1/namespaces/team-a/pods', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(gpuPod('second')) });
  assert.equal(second.status, 403);
  const status = (await second.json()) as { reason: string; message: string };
  assert.equal(status.reason, 'Forbidden');
  assert.equal(status.message, 'pods "second" is forbidden: exceeded quota: kf-resource-quota, requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=1, limited: requests.nvidia.com/gpu=1');
  assert.equal((await d.api('/api/v1/namespaces/team-a/pods/second')).status, 404, 'nothing stored');
  // A CPU-only pod still fits.
  const cpu = await d.api('/api/v1/namespaces/team-a/pods', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...gpuPod('cpu'), spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['true'] }] } }) });
  assert.equal(cpu.status, 201);

  // The status says what is used, for describe.
  await until('the quota status', async () => {
    const q = await d.json<{ status?: { used?: Record<string, string> } }>(['get', 'resourcequota', 'kf-resource-quota', '-n', 'team-a']);
    return q.status?.used?.['requests.nvidia.com/gpu'] === '1' ? q : undefined;
  });

  // A Job's pod is refused the same way: the Job says so, and runs once the GPU is free.
  await d.ok(['apply', '-n', 'team-a', '-f', '-'], `
apiVersion: batch/v1
kind: Job
metadata: { name: gpu-later }
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: c, image: x, command: ["true"], resources: { limits: { nvidia.com/gpu: "1" } } }]
`);
  const event = await until('the FailedCreate event', async () => {
    const list = await d.json<{ items: { reason: string; message: string; involvedObject: { name: string } }[] }>(['get', 'events', '-n', 'team-a']);
    return list.items.find((e) => e.involvedObject.name === 'gpu-later' && e.reason === 'FailedCreate');
  });
  assert.match(event.message, /^Error creating: pods "gpu-later-" is forbidden: exceeded quota: kf-resource-quota/);
  await d.ok(['delete', 'pod', 'first', '-n', 'team-a']);
  await d.ok(['wait', 'job/gpu-later', '-n', 'team-a', '--for=condition=Complete', '--timeout=30s']);
});

test('kubectl auth can-i and whoami through the review APIs: the admin may do anything', async () => {
  const review = await d.api('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'team-a', verb: 'delete', group: 'batch', resource: 'jobs' } } }),
  });
  assert.equal(review.status, 201);
  assert.equal(((await review.json()) as { status: { allowed: boolean } }).status.allowed, true);
  const whoami = await d.api('/apis/authentication.k8s.io/v1/selfsubjectreviews', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }) });
  assert.deepEqual(((await whoami.json()) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo, { username: 'admin', groups: ['system:masters', 'system:authenticated'] });
});

test('without a token 401; a viewer reads and may not write; a contributor of team-a may not list, read logs of or watch team-b', async () => {
  await d.ok(['apply', '-f', '-'], 'apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata: { name: team-b }\nspec: { owner: { kind: User, name: bob } }\n');
  await until('team-b', async () => ((await d.cli(['get', 'rolebinding', 'namespaceAdmin', '-n', 'team-b'])).code === 0 ? true : undefined));
  const podB = await d.api('/api/v1/namespaces/team-b/pods', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...gpuPod('b-pod'), spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['echo', 'secret-b'] }] } }) });
  assert.equal(podB.status, 201);
  const editor = await d.cli(['token', 'create', 'ed', '-n', 'team-a']);
  assert.equal(editor.code, 0, editor.stderr);
  assert.match(editor.stderr, /ed is an editor of namespace team-a \(rolebinding user-ed-clusterrole-edit\)/);
  const viewer = (await d.ok(['token', 'create', 'vic', '-n', 'team-a', '--role', 'view'])).trim();
  const as = (token: string | undefined, path: string, init: RequestInit = {}) =>
    fetch(`${d.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const job = JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'by-token' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['true'] }] } } } });
  const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: job };

  for (const path of ['/api/v1/namespaces/team-a/pods', '/apis', '/version', '/metrics']) assert.equal((await as(undefined, path)).status, 401, path);
  assert.equal((await as(undefined, '/healthz')).status, 200);

  assert.equal((await as(viewer, '/apis/batch/v1/namespaces/team-a/jobs')).status, 200, 'a viewer reads');
  const denied = await as(viewer, '/apis/batch/v1/namespaces/team-a/jobs', post);
  assert.equal(denied.status, 403, 'a viewer may not write');
  assert.match(((await denied.json()) as { message: string }).message, /User "vic" cannot create resource "jobs" in API group "batch" in the namespace "team-a"/);
  assert.equal((await as(viewer, '/api/v1/namespaces/team-a/secrets')).status, 403, 'nor read secrets');

  const ed = editor.stdout.trim();
  assert.equal((await as(ed, '/apis/batch/v1/namespaces/team-a/jobs', post)).status, 201, 'an editor writes in its namespace');
  for (const path of ['/api/v1/namespaces/team-b/pods', '/api/v1/namespaces/team-b/pods/b-pod/log', '/api/v1/namespaces/team-b/pods?watch=1', '/api/v1/pods', '/apis/batch/v1/namespaces/team-b/jobs']) {
    assert.equal((await as(ed, path)).status, 403, path);
  }
  assert.equal((await as(ed, '/apis/batch/v1/namespaces/team-b/jobs', post)).status, 403);
  // Nor may it give itself more: binding itself as admin of team-a, or cluster-admin.
  const grant = (role: string) => JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'up' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'User', name: 'ed' }] });
  assert.equal((await as(ed, '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', { ...post, body: grant('kubeflow-admin') })).status, 403);
  // The owner of team-a (an admin there) may add contributors, but not grant what it lacks.
  const ann = (await d.ok(['token', 'create', 'ann@example.com'])).trim();
  assert.equal((await as(ann, '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', { ...post, body: grant('kubeflow-view') })).status, 201);
  const escalate = await as(ann, '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', { ...post, body: grant('cluster-admin').replace('"up"', '"up2"') });
  assert.equal(escalate.status, 403);
  assert.match(((await escalate.json()) as { message: string }).message, /attempting to grant RBAC permissions not currently held/);
});

test("an editor's Job runs as a non-root uid and cannot read /etc/shadow, /root, Drover's store or another namespace's claim", async () => {
  await d.ok(['apply', '-n', 'team-b', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: b-data }\nspec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }\n');
  const ed = (await d.ok(['token', 'create', 'eve', '-n', 'team-a'])).trim();
  const script = [
    'echo uid=$(id -u)',
    'cat /etc/shadow >/dev/null 2>&1 && echo shadow=read || echo shadow=denied',
    'ls /root >/dev/null 2>&1 && echo root=read || echo root=denied',
    `test -r ${d.home}/state.db && echo store=read || echo store=denied`,
    `ls ${d.home}/claims/team-b/b-data >/dev/null 2>&1 && echo claim=read || echo claim=denied`,
  ].join('; ');
  const body = JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'probe' }, spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['sh', '-c', script] }] } } } });
  const created = await fetch(`${d.url}/apis/batch/v1/namespaces/team-a/jobs`, { method: 'POST', headers: { authorization: `Bearer ${ed}`, 'content-type': 'application/json' }, body });
  assert.equal(created.status, 201);
  await d.ok(['wait', 'job/probe', '-n', 'team-a', '--for=condition=Complete', '--timeout=60s']);
  const out = await d.ok(['logs', 'job/probe', '-n', 'team-a']);
  assert.match(out, /^uid=(\d+)$/m);
  assert.notEqual(/^uid=(\d+)$/m.exec(out)![1], '0');
  for (const what of ['shadow', 'root', 'store', 'claim']) assert.match(out, new RegExp(`^${what}=denied$`, 'm'), out);
});

test('deleting a Profile deletes its namespace and everything in it', async () => {
  await d.ok(['delete', 'profile', 'team-a']);
  await until('the namespace to go', async () => ((await d.cli(['get', 'namespace', 'team-a'])).code === 1 ? true : undefined));
  assert.equal((await d.api('/api/v1/namespaces/team-a/pods/cpu')).status, 404);
});
