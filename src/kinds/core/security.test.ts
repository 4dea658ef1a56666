import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerSecurity, defaultPodSecurityPolicy, droverHostPathRoots, hostPathAllowed, type KubeObject, type PodSecurityPolicy } from '../../api/index.js';
import { KINDS, loadServerParts } from '../../registry.js';
import { Admission } from '../../server/admission.js';

const parts = await loadServerParts();
const policy = (p: Partial<PodSecurityPolicy> = {}): PodSecurityPolicy => ({ ...defaultPodSecurityPolicy(), systemHostPathRoots: droverHostPathRoots('/home/d/.drover'), ...p });
const admission = (p: Partial<PodSecurityPolicy> = {}) => new Admission(KINDS, parts.admission, undefined, policy(p));

const pod = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } }) as KubeObject;
const withSc = (sc: Record<string, unknown>) => pod({ containers: [{ name: 'c', image: 'x', securityContext: sc }] });

test('a pod asking to be privileged, root, or to add capabilities is Forbidden at admission, naming the field', () => {
  const a = admission();
  assert.throws(() => a.admit(withSc({ privileged: true }), { namespace: 'ml' }), {
    code: 'FORBIDDEN',
    message: /^pods "p" is forbidden: spec\.containers\[0\]\.securityContext\.privileged: privileged containers are not allowed in namespace "ml" \(an admin may allow it: podSecurity\.privilegedNamespaces/,
  });
  assert.throws(() => a.admit(withSc({ runAsUser: 0 }), { namespace: 'ml' }), /spec\.containers\[0\]\.securityContext\.runAsUser: running as root \(uid 0\) is not allowed/);
  assert.throws(() => a.admit(pod({ securityContext: { runAsUser: 0 } }), { namespace: 'ml' }), /spec\.securityContext\.runAsUser: running as root/);
  assert.throws(() => a.admit(withSc({ capabilities: { add: ['NET_ADMIN'] } }), { namespace: 'ml' }), /capabilities\.add: adding capabilities \(NET_ADMIN\) is not allowed/);
  assert.throws(() => a.admit(withSc({ seccompProfile: { type: 'Unconfined' } }), { namespace: 'ml' }), /seccompProfile\.type: an unconfined seccomp profile is not allowed/);
  // What only takes privileges away is fine.
  assert.doesNotThrow(() => a.admit(withSc({ runAsUser: 1000, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } }), { namespace: 'ml' }));
});

test('runAsNonRoot with runAsUser 0 is Invalid whatever the policy allows', () => {
  for (const a of [admission(), admission({ privilegedNamespaces: ['*'] })]) {
    assert.throws(() => a.admit(pod({ securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', image: 'x', securityContext: { runAsUser: 0 } }] }), { namespace: 'ml' }), {
      code: 'VALIDATION_FAILED',
      message: /spec\.containers\[0\]\.securityContext\.runAsUser: runAsNonRoot is true but the container would run as root/,
    });
  }
});

test('an admin-listed namespace may run privileged and root pods', () => {
  const a = admission({ privilegedNamespaces: ['ops'] });
  assert.doesNotThrow(() => a.admit(withSc({ privileged: true, runAsUser: 0 }), { namespace: 'ops' }));
  assert.throws(() => a.admit(withSc({ privileged: true }), { namespace: 'ml' }), /forbidden/);
  assert.doesNotThrow(() => admission({ privilegedNamespaces: ['*'] }).admit(withSc({ privileged: true }), { namespace: 'ml' }));
});

test("hostPath volumes are refused unless under an allowed path, or in Drover's own directories of the pod's namespace", () => {
  const hp = (path: string) => pod({ volumes: [{ name: 'h', hostPath: { path } }] });
  assert.throws(() => admission().admit(hp('/etc'), { namespace: 'ml' }), /spec\.volumes\[0\]\.hostPath\.path: hostPath volumes may only mount directories an admin allows \(podSecurity\.allowedHostPaths in Drover's config, empty\); "\/etc" is not one of them/);
  const a = admission({ allowedHostPaths: ['/data/shared'] });
  assert.doesNotThrow(() => a.admit(hp('/data/shared/set1'), { namespace: 'ml' }));
  assert.throws(() => a.admit(hp('/data/shared/../../etc'), { namespace: 'ml' }), /forbidden/);
  assert.throws(() => a.admit(hp('/data/sharedx'), { namespace: 'ml' }), /forbidden/);
  const p = policy();
  assert.equal(hostPathAllowed('/home/d/.drover/workflows/ml/wf-1/node', 'ml', p), true);
  assert.equal(hostPathAllowed('/home/d/.drover/workflows/other/wf-1/node', 'ml', p), false, "another namespace's staging files");
  assert.equal(hostPathAllowed('/home/d/.drover/workflows/ml', 'ml', p), false, "the namespace's whole directory");
  assert.equal(hostPathAllowed('/home/d/.drover/state.db', 'ml', p), false);
});

test("the check reaches the user's object: a Job's template, a workflow's templates, a trial template", () => {
  const a = admission();
  const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } } } } as KubeObject;
  assert.throws(() => a.admit(job, { namespace: 'ml' }), /jobs "j" is forbidden: spec\.template\.spec\.containers\[0\]\.securityContext\.privileged/);
  const wf = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name: 'w' },
    spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'x', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } } }] },
  } as KubeObject;
  assert.throws(() => a.admit(wf, { namespace: 'ml' }), /workflows "w" is forbidden: spec\.templates\[0\]\.container\.securityContext\.capabilities\.add/);
  const wfRoot = { ...wf, spec: { entrypoint: 'main', securityContext: { runAsUser: 0 }, volumes: [{ name: 'h', hostPath: { path: '/' } }], templates: [{ name: 'main', script: { image: 'x', source: 'id' } }] } } as KubeObject;
  assert.throws(() => a.admit(wfRoot, { namespace: 'ml' }), (e: Error) => /spec\.securityContext\.runAsUser: running as root/.test(e.message) && /spec\.volumes\[0\]\.hostPath\.path/.test(e.message));
  const cron = { apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', metadata: { name: 'c' }, spec: { schedule: '* * * * *', workflowSpec: wf.spec } } as KubeObject;
  assert.throws(() => a.admit(cron, { namespace: 'ml' }), /spec\.workflowSpec\.templates\[0\]\.container\.securityContext\.capabilities\.add/);
  const exp = {
    apiVersion: 'kubeflow.org/v1beta1',
    kind: 'Experiment',
    metadata: { name: 'e' },
    spec: { trialTemplate: { trialSpec: { apiVersion: 'batch/v1', kind: 'Job', spec: { template: { spec: { containers: [{ name: 'c', image: 'x', securityContext: { runAsUser: 0 } }] } } } } } },
  } as KubeObject;
  assert.throws(() => a.admit(exp, { namespace: 'ml' }), /experiments "e" is forbidden: spec\.trialTemplate\.trialSpec\.spec\.template\.spec\.containers\[0\]\.securityContext\.runAsUser/);
});

test('who a container runs as: the container wins over the pod, the policy fills in the rest', () => {
  const p = policy({ runAsUser: 4242, runAsGroup: 4343 });
  assert.deepEqual(containerSecurity({}, {}, p), { uid: 4242, gid: 4343, groups: [], privileged: false, capabilities: containerSecurity({}, {}, p).capabilities, noNewPrivs: true, seccomp: 'RuntimeDefault' });
  const s = containerSecurity({ securityContext: { runAsUser: 1, runAsGroup: 2, fsGroup: 3, supplementalGroups: [4, 3] } }, { securityContext: { runAsUser: 5, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }, p);
  assert.deepEqual([s.uid, s.gid, s.groups, s.fsGroup, s.capabilities], [5, 2, [3, 4], 3, ['NET_BIND_SERVICE']]);
  assert.deepEqual(containerSecurity({}, { securityContext: { capabilities: { drop: ['NET_RAW', 'cap_kill'] } } }, p).capabilities.filter((c) => ['NET_RAW', 'KILL', 'CHOWN'].includes(c)), ['CHOWN']);
  assert.equal(containerSecurity({}, { securityContext: { runAsUser: 0 } }, p).gid, 0, 'root without a group keeps group root');
  assert.deepEqual(containerSecurity({}, { securityContext: { privileged: true } }, p).capabilities, ['ALL']);
});

test("the host's network is Forbidden outside the namespaces an admin lists: pods have networks of their own", () => {
  assert.throws(() => admission().admit(pod({ hostNetwork: true }), { namespace: 'ml' }), { code: 'FORBIDDEN', message: /spec\.hostNetwork: the host's network is not allowed in namespace "ml"/ });
  assert.doesNotThrow(() => admission({ privilegedNamespaces: ['ops'] }).admit(pod({ hostNetwork: true }), { namespace: 'ops' }));
  assert.doesNotThrow(() => admission().admit(pod({ hostNetwork: false }), { namespace: 'ml' }));
});

test('init containers and sidecars are held to the same policy as the regular containers', () => {
  const a = admission();
  assert.throws(() => a.admit(pod({ initContainers: [{ name: 'setup', image: 'x', securityContext: { privileged: true } }] }), { namespace: 'ml' }), /spec\.initContainers\[0\]\.securityContext\.privileged: privileged containers are not allowed/);
  assert.throws(() => a.admit(pod({ initContainers: [{ name: 'proxy', image: 'x', restartPolicy: 'Always', securityContext: { runAsUser: 0 } }] }), { namespace: 'ml' }), /spec\.initContainers\[0\]\.securityContext\.runAsUser: running as root/);
  assert.doesNotThrow(() => a.admit(pod({ initContainers: [{ name: 'setup', image: 'x' }] }), { namespace: 'ml' }));
});

test("a workflow template's containerSet containers, init containers and sidecars are checked at admission too", () => {
  const a = admission();
  const wf = (template: Record<string, unknown>) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'w' }, spec: { entrypoint: 'main', templates: [{ name: 'main', ...template }] } }) as KubeObject;
  const priv = { securityContext: { privileged: true } };
  assert.throws(() => a.admit(wf({ containerSet: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x', ...priv }] } }), { namespace: 'ml' }), /spec\.templates\[0\]\.containerSet\.containers\[1\]\.securityContext\.privileged/);
  assert.throws(() => a.admit(wf({ container: { image: 'x' }, initContainers: [{ name: 'i', image: 'x', ...priv }] }), { namespace: 'ml' }), /spec\.templates\[0\]\.initContainers\[0\]\.securityContext\.privileged/);
  assert.throws(() => a.admit(wf({ container: { image: 'x' }, sidecars: [{ name: 's', image: 'x', securityContext: { runAsUser: 0 } }] }), { namespace: 'ml' }), /spec\.templates\[0\]\.sidecars\[0\]\.securityContext\.runAsUser/);
});
