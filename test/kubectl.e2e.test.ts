/**
 * The real kubectl (built from the same k8s.io/kubernetes module as the test cluster, by
 * scripts/test-cluster.sh) against a fresh Drover, with only the kubeconfig Drover wrote:
 * discovery, the server's tables for `get`, the version it reports, the metrics `top` reads,
 * OpenAPI (validation left to the server, `explain`) and server-side apply.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Drover, REPO } from './drover.js';
import { skipUnlessCluster } from './cluster.js';

/** Where the build script keeps kubectl (building it when missing is .ci/run's job, not a test's). */
const KUBECTL = execFileSync('bash', [join(REPO, 'scripts', 'test-cluster.sh'), 'kubectl-path'], { encoding: 'utf8' }).trim();
const skip = skipUnlessCluster(existsSync(KUBECTL) ? undefined : `no kubectl at ${KUBECTL}; build it with: npm run test-cluster -- build`);

let d: Drover;
let kubeconfig: string;

before(async () => {
  if (skip) return;
  // kubectl sends a bearer token over TLS only: this server serves HTTPS on loopback (tls: on),
  // with authentication on, and kubectl trusts its CA through the kubeconfig.
  d = await Drover.start({ cpus: '2', memory: '2Gi', env: { DROVER_TLS: 'on' } });
  kubeconfig = join(d.home, 'kubeconfig');
});

after(async () => {
  await d?.stop();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[]): Promise<Run> {
  // Only the kubeconfig Drover wrote: no $HOME/.kube/config, no cache shared with other runs.
  const env = { PATH: process.env['PATH'] ?? '', KUBECONFIG: kubeconfig, HOME: d.home, KUBECACHEDIR: join(d.home, 'kube-cache') };
  return new Promise((resolve) => {
    execFile(KUBECTL, args, { env }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

const JOB = `apiVersion: batch/v1
kind: Job
metadata: { name: hello, labels: { team: ml } }
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: busybox
          command: [sh, -c, 'echo hello from kubectl']
`;

test('drover up writes a kubeconfig (mode 0600) that names the server, and kubectl sees Kubernetes 1.35 with no skew warning', { skip }, async () => {
  assert.equal(statSync(kubeconfig).mode & 0o777, 0o600);
  assert.match(d.url, /^https:\/\//, 'kubectl sends its token over TLS only');
  const r = await kubectl(['version', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout) as { clientVersion: { minor: string }; serverVersion: { major: string; minor: string; gitVersion: string } };
  assert.equal(v.serverVersion.major, '1');
  assert.equal(v.serverVersion.minor, '35');
  assert.equal(v.clientVersion.minor, '35');
  assert.doesNotMatch(r.stderr, /skew|WARNING/i);
  assert.equal((await d.cli(['kubeconfig'])).stdout.includes(d.url), true);
});

test('kubectl api-resources lists every kind Drover serves, with short names, scope and verbs from the registry', { skip }, async () => {
  const out = await ok(['api-resources', '-o', 'wide', '--sort-by=name']);
  const row = (name: string) => out.split('\n').find((l) => l.split(/\s+/)[0] === name)?.split(/\s+/);
  assert.deepEqual(row('jobs')?.slice(0, 5), ['jobs', 'batch/v1', 'true', 'Job', 'create,delete,get,list,patch,update,watch']);
  assert.deepEqual(row('workflows')?.slice(0, 5), ['workflows', 'wf', 'argoproj.io/v1alpha1', 'true', 'Workflow']);
  assert.deepEqual(row('experiments')?.slice(0, 4), ['experiments', 'kubeflow.org/v1beta1', 'true', 'Experiment']);
  assert.deepEqual(row('trials')?.slice(0, 5), ['trials', 'kubeflow.org/v1beta1', 'true', 'Trial', 'delete,get,list,watch']);
  assert.deepEqual(row('namespaces')?.slice(0, 4), ['namespaces', 'ns', 'v1', 'false']);
  assert.match(out, /^pods\s+po\s+v1\s+true\s+Pod\s+create,delete,get,list,patch,update,watch\s+all\s*$/m);
  assert.deepEqual(row('nodes')?.slice(0, 3), ['nodes', 'no', 'v1']);
  // The metrics group kubectl top reads.
  assert.match(out, /^nodes\s+metrics\.k8s\.io\/v1beta1\s+false\s+NodeMetrics/m);
});

test('kubectl get prints the columns drover get prints (server-side tables), -o wide adds the wide ones, and get all finds the Job and its pod', { skip }, async () => {
  await d.ok(['apply', '-f', '-'], JOB);
  await d.ok(['wait', '--for=condition=complete', 'job/hello', '--timeout=60s']);
  const jobs = await ok(['get', 'jobs']);
  assert.match(jobs, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\n/);
  assert.match(jobs, /^hello\s+Complete\s+1\/1\s+\S+\s+\S+\n$/m);
  const wide = await ok(['get', 'jobs', '-o', 'wide']);
  assert.match(wide, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
  assert.match(wide, /^hello\s+Complete\s+1\/1\s+\S+\s+\S+\s+main\s+busybox\s+batch\.kubernetes\.io\/controller-uid=/m);
  assert.equal(await ok(['get', 'jobs', '-l', 'team=ml', '-o', 'name']), 'job.batch/hello\n');
  const pods = await ok(['get', 'pods', '-l', 'job-name=hello']);
  assert.match(pods, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
  assert.match(pods, /^hello-\S+\s+0\/1\s+Completed\s+0\s+\S+\n$/m);
  const all = await ok(['get', 'all']);
  assert.match(all, /^pod\/hello-\S+\s+0\/1\s+Completed/m);
  assert.match(all, /^job\.batch\/hello\s+Complete\s+1\/1/m);
  const one = JSON.parse(await ok(['get', 'job', 'hello', '-o', 'json'])) as { kind: string; spec: { backoffLimit: number } };
  assert.equal(one.kind, 'Job');
  assert.equal(one.spec.backoffLimit, 6);
  const pod = (await ok(['get', 'pods', '-l', 'job-name=hello', '-o', 'name'])).trim();
  assert.equal(await ok(['logs', pod]), 'hello from kubectl\n');
  assert.match(await ok(['get', 'nodes']), /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n\S+\s+Ready\s/);
});

test('kubectl top node and top pod NAME read the metrics API; kubectl delete removes a Job and its pods', { skip }, async () => {
  const top = await ok(['top', 'node']);
  assert.match(top, /^NAME\s+CPU\(cores\)\s+CPU(\(%\))?\s+MEMORY\(bytes\)\s+MEMORY(\(%\))?/);
  await d.ok(['apply', '-f', '-'], JOB.replace('name: hello', 'name: sleeper').replace("'echo hello from kubectl'", "'sleep 30'"));
  await d.ok(['wait', '--for=condition=Ready', 'pod', '-l', 'job-name=sleeper', '--timeout=60s']);
  const pod = (await d.ok(['get', 'pods', '-l', 'job-name=sleeper', '-o', 'name'])).trim().replace('pod/', '');
  // The runtime measures a pod once it runs; its first sample may come a moment later.
  let topPod: Run | undefined;
  for (let i = 0; i < 50 && topPod?.code !== 0; i++) {
    if (i) await new Promise((r) => setTimeout(r, 200));
    topPod = await kubectl(['top', 'pod', pod]);
  }
  assert.equal(topPod!.code, 0, topPod!.stderr);
  assert.match(topPod!.stdout, new RegExp(`^NAME\\s+CPU\\(cores\\)\\s+MEMORY\\(bytes\\)\\s*\\n${pod}\\s+\\d+m\\s+\\d+Mi`));
  await ok(['delete', 'job', 'sleeper']);
  await d.ok(['apply', '-f', '-'], JOB.replace('name: hello', 'name: bye'));
  assert.match(await ok(['delete', 'job', 'bye']), /^job\.batch "bye" deleted/);
  const r = await kubectl(['get', 'job', 'bye']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /jobs\.batch "bye" not found/);
});

test('kubectl apply creates then configures, and label, annotate and patch (strategic, merge, JSON) change a Job; an immutable field is refused; kubectl wait sees it complete', { skip }, async () => {
  const manifest = JOB.replace('name: hello', 'name: changing').replace('spec:\n  template:', 'spec:\n  suspend: true\n  template:');
  const applyText = (text: string) => {
    const file = join(d.home, 'changing.yaml');
    writeFileSync(file, text);
    return kubectl(['apply', '-f', file]);
  };
  assert.equal((await applyText(manifest)).stdout, 'job.batch/changing created\n');
  assert.equal(await ok(['label', 'job', 'changing', 'stage=dev']), 'job.batch/changing labeled\n');
  assert.equal(await ok(['annotate', 'job', 'changing', 'owner=ana']), 'job.batch/changing annotated\n');
  await ok(['patch', 'job', 'changing', '--type=merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}']);
  await ok(['patch', 'job', 'changing', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/json","value":"yes"}]']);
  await ok(['patch', 'job', 'changing', '-p', '{"spec":{"backoffLimit":3}}']);
  const job = JSON.parse(await ok(['get', 'job', 'changing', '-o', 'json'])) as { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { backoffLimit: number; suspend: boolean } };
  assert.deepEqual(
    Object.fromEntries(Object.entries(job.metadata.labels).filter(([k]) => ['team', 'stage', 'merged', 'json'].includes(k))),
    { team: 'ml', stage: 'dev', merged: 'yes', json: 'yes' },
  );
  assert.equal(job.metadata.annotations['owner'], 'ana');
  assert.equal(job.spec.backoffLimit, 3);
  assert.equal((await applyText(manifest.replace('suspend: true', 'suspend: false'))).stdout, 'job.batch/changing configured\n');
  assert.equal((await applyText(manifest.replace('suspend: true', 'suspend: false'))).stdout, 'job.batch/changing unchanged\n');
  assert.equal(JSON.parse(await ok(['get', 'job', 'changing', '-o', 'json'])).spec.suspend, false);
  const immutable = await applyText(manifest.replace('suspend: true', 'suspend: false').replace('hello from kubectl', 'changed'));
  assert.notEqual(immutable.code, 0);
  assert.match(immutable.stderr, /spec\.template.*field is immutable/);
  assert.equal(await ok(['wait', '--for=condition=complete', 'job/changing', '--timeout=60s']), 'job.batch/changing condition met\n');
});

test('kubectl label and patch --type=merge change a Workflow; a strategic merge patch is refused for it, as for any custom kind', { skip }, async () => {
  await d.ok(['apply', '-f', '-'], `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { name: tagged }
spec:
  entrypoint: main
  templates:
    - name: main
      container: { image: alpine, command: [echo, hi] }
`);
  assert.equal(await ok(['label', 'workflow', 'tagged', 'team=ml']), 'workflow.argoproj.io/tagged labeled\n');
  await ok(['patch', 'wf', 'tagged', '--type=merge', '-p', '{"metadata":{"annotations":{"note":"x"}}}']);
  const wf = JSON.parse(await ok(['get', 'wf', 'tagged', '-o', 'json'])) as { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
  assert.equal(wf.metadata.labels['team'], 'ml');
  assert.equal(wf.metadata.annotations['note'], 'x');
  const smp = await kubectl(['patch', 'wf', 'tagged', '-p', '{"metadata":{"labels":{"x":"y"}}}']);
  assert.notEqual(smp.code, 0);
  assert.match(smp.stderr, /strategic merge patch is not supported for workflows\.argoproj\.io/);
});

test('kubectl as a team member: its token sees its own namespace and is refused another (RBAC), auth can-i and whoami answer', { skip }, async () => {
  for (const [team, owner] of [['team-a', 'ann'], ['team-b', 'bob']]) {
    await d.ok(['apply', '-f', '-'], `apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata: { name: ${team} }\nspec: { owner: { kind: User, name: ${owner} } }\n`);
  }
  const token = (await d.ok(['token', 'create', 'ann'])).trim();
  // ann's own kubeconfig: the server's CA, ann's token.
  const admin = JSON.parse(readFileSync(kubeconfig, 'utf8')) as { users: { user: { token?: string } }[] };
  admin.users[0]!.user.token = token;
  const annConfig = join(d.home, 'ann.kubeconfig');
  writeFileSync(annConfig, JSON.stringify(admin), { mode: 0o600 });
  const as = (args: string[]) => kubectl(['--kubeconfig', annConfig, ...args]);
  // The profile's RoleBinding may take a moment to be written.
  for (let i = 0; i < 50 && (await as(['auth', 'can-i', 'create', 'jobs', '-n', 'team-a'])).stdout.trim() !== 'yes'; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await as(['auth', 'can-i', 'create', 'jobs', '-n', 'team-a'])).stdout.trim(), 'yes');
  const no = await as(['auth', 'can-i', 'list', 'pods', '-n', 'team-b']);
  assert.equal(no.stdout.trim(), 'no');
  assert.match((await as(['auth', 'whoami'])).stdout, /ann/);
  // A typed create (sent as protobuf) is authorized as any write.
  assert.equal((await as(['create', 'configmap', 'ann-cfg', '-n', 'team-a', '--from-literal=a=b'])).stdout, 'configmap/ann-cfg created\n');
  assert.match((await as(['create', 'configmap', 'ann-cfg', '-n', 'team-b', '--from-literal=a=b'])).stderr, /forbidden: User "ann" cannot create resource "configmaps" in API group "" in the namespace "team-b"/);
  const file = join(d.home, 'ann-job.yaml');
  writeFileSync(file, JOB.replace('name: hello', 'name: ann-job'));
  await ok(['--kubeconfig', annConfig, 'apply', '-n', 'team-a', '-f', file]);
  const elsewhere = await as(['apply', '-n', 'team-b', '-f', file]);
  assert.match(elsewhere.stderr, /jobs.batch "ann-job" is forbidden: User "ann" cannot (get|create) resource "jobs" in API group "batch" in the namespace "team-b"/);
  const listB = await as(['get', 'pods', '-n', 'team-b']);
  assert.notEqual(listB.code, 0);
  assert.match(listB.stderr, /pods is forbidden: User "ann" cannot list resource "pods" in API group "" in the namespace "team-b"/);
  const allNs = await as(['get', 'jobs', '-A']);
  assert.match(allNs.stderr, /cannot list resource "jobs" in API group "batch" at the cluster scope/);
  assert.equal((await as(['get', 'pods', '-n', 'team-a'])).code, 0);
});

test('kubectl apply validates on the server (OpenAPI says it may): an unknown field is refused by name, --validate=warn drops it with a warning, and kubectl explain reads the schema', { skip }, async () => {
  const file = join(d.home, 'unknown.yaml');
  writeFileSync(file, JOB.replace('name: hello', 'name: strict').replace('  template:', '  backofLimit: 2\n  template:'));
  const strict = await kubectl(['apply', '-f', file]);
  assert.notEqual(strict.code, 0);
  assert.match(strict.stderr, /spec\.backofLimit.*unknown field "backofLimit"/);
  assert.equal((await kubectl(['get', 'job', 'strict'])).code, 1, 'nothing was stored');
  const warn = await kubectl(['apply', '--validate=warn', '-f', file]);
  assert.equal(warn.code, 0, warn.stderr);
  assert.match(warn.stderr, /Warning: unknown field "spec\.backofLimit"/);
  assert.equal(warn.stdout, 'job.batch/strict created\n');
  assert.equal(JSON.parse(await ok(['get', 'job', 'strict', '-o', 'json'])).spec.backofLimit, undefined);
  const explain = await ok(['explain', 'job.spec.template.spec.containers']);
  assert.match(explain, /^GROUP:\s+batch\nKIND:\s+Job\nVERSION:\s+v1\n/);
  assert.match(explain, /^\s+image\s+<string>/m);
  assert.match(explain, /^\s+name\s+<string> -required-/m);
  assert.match(await ok(['explain', 'workflow.spec']), /^\s+entrypoint\s+<string>/m);
  assert.match(await ok(['explain', 'experiments']), /Drover validates every\s+Experiment on the server/);
});

test('kubectl apply --server-side creates, changes and prunes what its manager applied; another manager conflicts (409 naming the field) until --force-conflicts', { skip }, async () => {
  const file = join(d.home, 'ssa.yaml');
  const ssa = (text: string, ...flags: string[]) => {
    writeFileSync(file, text);
    return kubectl(['apply', '--server-side', ...flags, '-f', file]);
  };
  const manifest = JOB.replace('name: hello', 'name: applied').replace('spec:\n  template:', 'spec:\n  suspend: true\n  backoffLimit: 2\n  template:');
  const created = await ssa(manifest);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'job.batch/applied serverside-applied\n');
  const get = async () => JSON.parse(await ok(['get', 'job', 'applied', '-o', 'json', '--show-managed-fields'])) as { metadata: { labels?: Record<string, string>; managedFields: { manager: string; operation: string; fieldsV1: Record<string, unknown> }[] }; spec: { backoffLimit: number; suspend: boolean } };
  let job = await get();
  assert.deepEqual(job.metadata.managedFields.map((m) => [m.manager, m.operation]), [['kubectl', 'Apply']]);
  assert.ok((job.metadata.managedFields[0]!.fieldsV1['f:spec'] as Record<string, unknown>)['f:backoffLimit']);
  // Changed and without the label: the label it applied before goes.
  const changed = await ssa(manifest.replace('backoffLimit: 2', 'backoffLimit: 3').replace(', labels: { team: ml }', ''));
  assert.equal(changed.code, 0, changed.stderr);
  job = await get();
  assert.equal(job.spec.backoffLimit, 3);
  assert.equal(job.metadata.labels?.['team'], undefined);
  const other = manifest.replace('backoffLimit: 2', 'backoffLimit: 5').replace(', labels: { team: ml }', '');
  const conflict = await ssa(other, '--field-manager=ops');
  assert.notEqual(conflict.code, 0);
  assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.spec\.backoffLimit/);
  assert.equal((await get()).spec.backoffLimit, 3);
  const forced = await ssa(other, '--field-manager=ops', '--force-conflicts');
  assert.equal(forced.code, 0, forced.stderr);
  job = await get();
  assert.equal(job.spec.backoffLimit, 5);
  assert.deepEqual(job.metadata.managedFields.map((m) => m.manager).sort(), ['kubectl', 'ops']);
  assert.equal(((job.metadata.managedFields.find((m) => m.manager === 'kubectl')!.fieldsV1['f:spec'] as Record<string, unknown>)['f:backoffLimit']), undefined);
  // A Workflow (a custom kind: lists atomic) is applied server-side too.
  const wf = await ssa('apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: { name: ssa-wf }\nspec:\n  entrypoint: main\n  templates:\n    - name: main\n      container: { image: alpine, command: [echo, hi] }\n');
  assert.equal(wf.code, 0, wf.stderr);
  assert.equal(wf.stdout, 'workflow.argoproj.io/ssa-wf serverside-applied\n');
});

test('kubectl get -w streams a Job as it changes, logs -f follows a running pod to its end, describe shows the Job with its events', { skip }, async () => {
  const file = join(d.home, 'ticker.yaml');
  writeFileSync(file, JOB.replace('name: hello', 'name: ticker').replace(`'echo hello from kubectl'`, `'for i in 1 2 3; do echo tick $i; sleep 0.5; done'`));
  // -w runs until stopped: started before the Job exists, stopped once it is done.
  const watching = new Promise<Run>((resolve) => {
    const env = { PATH: process.env['PATH'] ?? '', KUBECONFIG: kubeconfig, HOME: d.home, KUBECACHEDIR: join(d.home, 'kube-cache') };
    execFile(KUBECTL, ['get', 'jobs', '-w', '--output-watch-events'], { env, timeout: 8000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
  await new Promise((r) => setTimeout(r, 1000));
  await ok(['apply', '-f', file]);
  let pod = '';
  for (let i = 0; i < 50 && !pod; i++) {
    pod = (await ok(['get', 'pods', '-l', 'job-name=ticker', '-o', 'name'])).trim();
    if (!pod) await new Promise((r) => setTimeout(r, 100));
  }
  await ok(['wait', '--for=condition=ready', pod, '--timeout=30s']).catch(() => undefined);
  assert.equal(await ok(['logs', '-f', pod]), 'tick 1\ntick 2\ntick 3\n');
  await ok(['wait', '--for=condition=complete', 'job/ticker', '--timeout=30s']);
  const watched = (await watching).stdout;
  assert.match(watched, /^ADDED\s+ticker\s+Running\s+0\/1/m);
  assert.match(watched, /^MODIFIED\s+ticker\s+Complete\s+1\/1/m);
  const described = await ok(['describe', 'job', 'ticker']);
  assert.match(described, /^Name:\s+ticker$/m);
  assert.match(described, /Pods Statuses:\s+0 Active .* 1 Succeeded \/ 0 Failed/);
  assert.match(described, /SuccessfulCreate\s+.*Created pod: ticker-/);
});

test("a Job applied by kubectl runs `python3 train.py` from its namespace's drover.dev/source-dir (where code comes from for any client)", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-kubectl-code-'));
  chmodSync(dir, 0o755); // pods run as an unprivileged user
  writeFileSync(join(dir, 'train.py'), 'import os\nprint("trained in", os.getcwd())\n');
  const ns = join(d.home, 'code-ns.yaml');
  writeFileSync(ns, `apiVersion: v1\nkind: Namespace\nmetadata: { name: code, annotations: { drover.dev/source-dir: "${dir}" } }\n`);
  await ok(['apply', '-f', ns]);
  const job = `apiVersion: batch/v1
kind: Job
metadata: { name: train, namespace: code }
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: main, image: python, command: [python3, train.py] }]
`;
  const file = join(d.home, 'train-job.yaml');
  writeFileSync(file, job);
  await ok(['apply', '-f', file]);
  await ok(['wait', '--for=condition=complete', '--timeout=60s', '-n', 'code', 'job/train']);
  assert.equal((await ok(['logs', '-n', 'code', 'job/train'])).trim(), `trained in ${dir}`);
  await ok(['delete', 'namespace', 'code']);
});

test("kubectl's typed create commands (sent as protobuf) create a namespace, configmap, secret, serviceaccount, role, rolebinding, quota and service; the secret's value reads back", { skip }, async () => {
  assert.equal(await ok(['create', 'namespace', 'typed']), 'namespace/typed created\n');
  assert.equal(await ok(['create', 'configmap', 'cfg', '-n', 'typed', '--from-literal=a=b', '--from-literal=greeting=hello world']), 'configmap/cfg created\n');
  assert.deepEqual(JSON.parse(await ok(['get', 'configmap', 'cfg', '-n', 'typed', '-o', 'json'])).data, { a: 'b', greeting: 'hello world' });
  assert.equal(await ok(['create', 'secret', 'generic', 'creds', '-n', 'typed', '--from-literal=password=s3cr3t!']), 'secret/creds created\n');
  const password = await ok(['get', 'secret', 'creds', '-n', 'typed', '-o', 'jsonpath={.data.password}']);
  assert.equal(Buffer.from(password, 'base64').toString(), 's3cr3t!');
  assert.equal(await ok(['create', 'serviceaccount', 'builder', '-n', 'typed']), 'serviceaccount/builder created\n');
  assert.equal(await ok(['create', 'role', 'reader', '-n', 'typed', '--verb=get,list', '--resource=pods,configmaps']), 'role.rbac.authorization.k8s.io/reader created\n');
  assert.deepEqual(JSON.parse(await ok(['get', 'role', 'reader', '-n', 'typed', '-o', 'json'])).rules, [{ apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list'] }]);
  assert.equal(await ok(['create', 'rolebinding', 'reader', '-n', 'typed', '--role=reader', '--serviceaccount=typed:builder']), 'rolebinding.rbac.authorization.k8s.io/reader created\n');
  const binding = JSON.parse(await ok(['get', 'rolebinding', 'reader', '-n', 'typed', '-o', 'json'])) as { roleRef: unknown; subjects: unknown };
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'builder', namespace: 'typed' }]);
  assert.equal(await ok(['create', 'quota', 'small', '-n', 'typed', '--hard=pods=5,cpu=2']), 'resourcequota/small created\n');
  assert.deepEqual(JSON.parse(await ok(['get', 'quota', 'small', '-n', 'typed', '-o', 'json'])).spec.hard, { pods: '5', cpu: '2' });
  assert.equal(await ok(['create', 'service', 'clusterip', 'web', '-n', 'typed', '--tcp=80:8080']), 'service/web created\n');
  assert.deepEqual(JSON.parse(await ok(['get', 'service', 'web', '-n', 'typed', '-o', 'json'])).spec.ports, [{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }]);
  assert.equal(await ok(['create', 'clusterrole', 'typed-watcher', '--verb=watch', '--resource=jobs.batch']), 'clusterrole.rbac.authorization.k8s.io/typed-watcher created\n');
  assert.equal(await ok(['create', 'clusterrolebinding', 'typed-watcher', '--clusterrole=typed-watcher', '--group=devs']), 'clusterrolebinding.rbac.authorization.k8s.io/typed-watcher created\n');
  // What the server refuses is refused by name, as for a JSON body.
  const bad = await kubectl(['create', 'configmap', 'Not_A_Name', '-n', 'typed', '--from-literal=a=b']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Not_A_Name/);
  await ok(['delete', 'clusterrolebinding', 'typed-watcher']);
  await ok(['delete', 'clusterrole', 'typed-watcher']);
  await ok(['delete', 'namespace', 'typed']);
});

test('kubectl create job (sent as protobuf) runs and its log says hi; kubectl run --restart=Never runs a pod to completion', { skip }, async () => {
  assert.equal(await ok(['create', 'job', 'say-hi', '--image=busybox', '--', 'sh', '-c', 'echo hi']), 'job.batch/say-hi created\n');
  await ok(['wait', '--for=condition=complete', 'job/say-hi', '--timeout=60s']);
  assert.equal(await ok(['logs', 'job/say-hi']), 'hi\n');
  assert.equal(await ok(['run', 'once', '--image=busybox', '--restart=Never', '--', 'echo', 'hi']), 'pod/once created\n');
  await ok(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/once', '--timeout=60s']);
  assert.equal(await ok(['logs', 'once']), 'hi\n');
  await ok(['delete', 'job', 'say-hi']);
  await ok(['delete', 'pod', 'once']);
});
