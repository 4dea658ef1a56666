/**
 * Pods and the API: a pod gets its ServiceAccount's token, the CA and its namespace at the
 * standard path and KUBERNETES_SERVICE_HOST/PORT, as in a cluster, and reaches the API over TLS
 * with it, authorized by RBAC like anyone: nothing by default, what a RoleBinding grants, never
 * admin; `automountServiceAccountToken: false` gives it nothing, and the token dies with the pod.
 * The pod reads the API with Python's standard library, as in-cluster clients do.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Drover } from './drover.js';

let d: Drover;

before(async () => {
  d = await Drover.start({ cpus: '2', memory: '2Gi' });
});

after(async () => {
  await d?.stop();
});

const PROBE = `
import json, os, ssl, urllib.request, urllib.error
base = "/var/run/secrets/kubernetes.io/serviceaccount"
if not os.path.exists(base + "/token"):
    print("NO-TOKEN"); raise SystemExit(0)
token = open(base + "/token").read()
ns = open(base + "/namespace").read()
ctx = ssl.create_default_context(cafile=base + "/ca.crt")
url = "https://%s:%s" % (os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"])
def call(method, path, body=None):
    req = urllib.request.Request(url + path, method=method, headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"}, data=json.dumps(body).encode() if body else None)
    try:
        with urllib.request.urlopen(req, context=ctx) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
print("NS", ns)
print("LIST", call("GET", "/api/v1/namespaces/%s/pods" % ns))
print("OTHER", call("GET", "/api/v1/namespaces/kube-system/pods"))
print("CREATE", call("POST", "/api/v1/namespaces/%s/configmaps" % ns, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "from-pod"}}))
print("ESCALATE", call("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/rolebindings" % ns, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "up"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}, "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": ns}]}))
open("/tmp/token-copy", "w").write(token)
print("TOKEN", token)
`;

function job(name: string, extra = ''): string {
  return `apiVersion: batch/v1
kind: Job
metadata: { name: ${name} }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never${extra}
      containers:
        - name: probe
          image: python:3.12
          command: [python3, -c, ${JSON.stringify(PROBE)}]
`;
}

async function run(name: string, extra = ''): Promise<Record<string, string>> {
  await d.ok(['apply', '-f', '-'], job(name, extra));
  await d.ok(['wait', `job/${name}`, '--for=condition=Complete', '--timeout=60s']);
  const out = await d.ok(['logs', `job/${name}`]);
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.split(' ')[0]!, l.slice(l.indexOf(' ') + 1)]));
}

test("a pod reaches the API over TLS with its ServiceAccount's token: RBAC decides, nothing by default, never admin", async () => {
  const sa = await d.json<{ metadata: { name: string } }>(['get', 'serviceaccount', 'default']);
  assert.equal(sa.metadata.name, 'default', 'every namespace has a default ServiceAccount');
  const before = await run('no-rights');
  assert.equal(before['NS'], 'default');
  assert.equal(before['LIST'], '403', 'the default ServiceAccount may do nothing until bound');
  assert.equal(before['CREATE'], '403');
  await d.ok(['apply', '-f', '-'], `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: default-edit }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit }
subjects: [{ kind: ServiceAccount, name: default, namespace: default }]
`);
  const bound = await run('with-rights');
  assert.equal(bound['LIST'], '200');
  assert.equal(bound['CREATE'], '201');
  assert.equal(bound['OTHER'], '403', 'another namespace stays closed');
  assert.equal(bound['ESCALATE'], '403', 'a pod cannot lift itself to admin');
  // The token dies with its pod.
  const token = bound['TOKEN']!;
  await d.ok(['delete', 'job', 'with-rights']);
  for (let i = 0; i < 50; i++) {
    const pods = await d.json<{ items: unknown[] }>(['get', 'pods', '-l', 'job-name=with-rights']);
    if (pods.items.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const r = await fetch(`${d.url}/api/v1/namespaces/default/pods`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 401);
  assert.match(((await r.json()) as { message: string }).message, /ServiceAccount token of pod default\/with-rights-\w+ is no longer good: the pod is gone/);
});

test('automountServiceAccountToken: false gives the pod no token', async () => {
  const out = await run('opted-out', '\n      automountServiceAccountToken: false');
  assert.equal(out['NO-TOKEN'] ?? 'NO-TOKEN', 'NO-TOKEN');
  assert.equal(out['LIST'], undefined);
});
