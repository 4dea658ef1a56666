import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decide, forbiddenMessage, ruleAllows, uncovered, type Binding, type RbacSnapshot, type Role } from './rbac.js';
import { ADMIN, AUTHENTICATED_GROUP, type Identity } from './identity.js';
import { Authorizer } from './authorizer.js';
import { openSqliteStore } from '../store/index.js';
import { KINDS } from '../registry.js';
import { ForbiddenError } from '../api/errors.js';

const ann: Identity = { name: 'ann', groups: [AUTHENTICATED_GROUP] };
const bob: Identity = { name: 'bob', groups: [AUTHENTICATED_GROUP, 'ml-team'] };

function snapshot(clusterRoles: Role[], roles: Role[], crbs: Binding[], rbs: Binding[]): RbacSnapshot {
  return {
    clusterRole: (n) => clusterRoles.find((r) => r.metadata.name === n),
    role: (ns, n) => roles.find((r) => r.metadata.namespace === ns && r.metadata.name === n),
    clusterRoleBindings: () => crbs,
    roleBindings: (ns) => rbs.filter((b) => b.metadata.namespace === ns),
  };
}

const jobs = (verb: string, namespace?: string, extra: object = {}) => ({ verb, apiGroup: 'batch', resource: 'jobs', ...(namespace ? { namespace } : {}), ...extra });

test('a rule matches verbs, groups, resources and subresources with Kubernetes wildcards', () => {
  assert.ok(ruleAllows({ verbs: ['get'], apiGroups: ['batch'], resources: ['jobs'] }, jobs('get', 'a')));
  assert.ok(!ruleAllows({ verbs: ['get'], apiGroups: ['batch'], resources: ['jobs'] }, jobs('delete', 'a')));
  assert.ok(!ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['jobs'] }, jobs('get', 'a')), 'the group must match');
  const log = { verb: 'get', apiGroup: '', resource: 'pods', subresource: 'log', namespace: 'a', name: 'p' };
  assert.ok(!ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, log), 'pods does not cover pods/log');
  assert.ok(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, log));
  assert.ok(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods/*'] }, log));
  assert.ok(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['*/log'] }, log));
  assert.ok(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, log));
  // resourceNames narrow to named objects: a list has no name.
  assert.ok(ruleAllows({ verbs: ['get'], apiGroups: ['batch'], resources: ['jobs'], resourceNames: ['x'] }, jobs('get', 'a', { name: 'x' })));
  assert.ok(!ruleAllows({ verbs: ['get'], apiGroups: ['batch'], resources: ['jobs'], resourceNames: ['x'] }, jobs('get', 'a', { name: 'y' })));
  assert.ok(!ruleAllows({ verbs: ['list'], apiGroups: ['batch'], resources: ['jobs'], resourceNames: ['x'] }, jobs('list', 'a')));
  assert.ok(ruleAllows({ verbs: ['get'], nonResourceURLs: ['/apis/*'] }, { verb: 'get', path: '/apis/batch/v1' }));
  assert.ok(!ruleAllows({ verbs: ['get'], nonResourceURLs: ['/apis'] }, { verb: 'get', path: '/apis/batch/v1' }));
});

test('a RoleBinding grants in its namespace only, a ClusterRoleBinding everywhere; groups and ServiceAccounts are subjects', () => {
  const edit: Role = { metadata: { name: 'edit' }, rules: [{ verbs: ['*'], apiGroups: ['batch'], resources: ['jobs'] }] };
  const view: Role = { metadata: { name: 'view' }, rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: ['batch'], resources: ['jobs'] }] };
  const s = snapshot(
    [edit, view],
    [{ metadata: { name: 'own', namespace: 'b' }, rules: [{ verbs: ['create'], apiGroups: ['batch'], resources: ['jobs'] }] }],
    [{ metadata: { name: 'team-view' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', name: 'ml-team' }] }],
    [
      { metadata: { name: 'ann-edit', namespace: 'a' }, roleRef: { kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'ann' }] },
      { metadata: { name: 'ann-own', namespace: 'b' }, roleRef: { kind: 'Role', name: 'own' }, subjects: [{ kind: 'User', name: 'ann' }] },
      { metadata: { name: 'sa', namespace: 'a' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'ServiceAccount', name: 'default' }] },
    ],
  );
  assert.ok(decide(s, ann, jobs('delete', 'a')).allowed);
  assert.match(decide(s, ann, jobs('delete', 'a')).reason, /RoleBinding "ann-edit" of ClusterRole "edit"/);
  assert.ok(!decide(s, ann, jobs('delete', 'b')).allowed, "a's binding does not reach b");
  assert.ok(decide(s, ann, jobs('create', 'b')).allowed, "b's own Role");
  assert.ok(!decide(s, ann, jobs('list')).allowed, 'a list across namespaces needs a cluster-wide grant');
  assert.ok(decide(s, bob, jobs('list')).allowed, 'the group is bound cluster-wide');
  assert.ok(!decide(s, bob, jobs('create', 'a')).allowed);
  const sa: Identity = { name: 'system:serviceaccount:a:default', groups: [] };
  assert.ok(decide(s, sa, jobs('get', 'a', { name: 'x' })).allowed);
  assert.ok(!decide(s, sa, jobs('get', 'b', { name: 'x' })).allowed);
  assert.ok(decide(s, ADMIN, jobs('delete', 'z')).allowed, 'system:masters may do anything');
  assert.equal(forbiddenMessage(ann, jobs('delete', 'b', { name: 'x' })), 'jobs.batch "x" is forbidden: User "ann" cannot delete resource "jobs" in API group "batch" in the namespace "b"');
  assert.equal(forbiddenMessage(ann, { verb: 'list', apiGroup: '', resource: 'pods' }), 'pods is forbidden: User "ann" cannot list resource "pods" in API group "" at the cluster scope');
});

test('nobody grants what they do not hold (escalation)', () => {
  const s = snapshot(
    [{ metadata: { name: 'edit' }, rules: [{ verbs: ['get', 'create'], apiGroups: ['batch'], resources: ['jobs', 'jobs/*'] }] }],
    [],
    [],
    [{ metadata: { name: 'b', namespace: 'a' }, roleRef: { kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'ann' }] }],
  );
  assert.equal(uncovered(s, ann, 'a', [{ verbs: ['get'], apiGroups: ['batch'], resources: ['jobs', 'jobs/status'] }]), undefined);
  assert.equal(uncovered(s, ann, 'a', [{ verbs: ['delete'], apiGroups: ['batch'], resources: ['jobs'] }]), 'delete on jobs.batch');
  assert.equal(uncovered(s, ann, 'a', [{ verbs: ['get'], apiGroups: ['*'], resources: ['*'] }]), 'get on *.*');
  assert.equal(uncovered(s, ann, 'b', [{ verbs: ['get'], apiGroups: ['batch'], resources: ['jobs'] }]), 'get on jobs.batch', 'not held in b');
  assert.equal(uncovered(s, ADMIN, 'b', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]), undefined);
});

test('the authorizer writes the built-in roles, follows new bindings at once, and refuses a binding to a role its author does not hold', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-rbac-'));
  const store = await openSqliteStore(join(dir, 'state.db'), { kinds: KINDS });
  const authz = new Authorizer(store, KINDS);
  try {
    await authz.start();
    const edit = await store.get<{ rules: { resources: string[] }[] } & import('../api/types.js').KubeObject>({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', namespace: '', name: 'kubeflow-edit' });
    assert.ok(edit?.rules.some((r) => r.resources.includes('experiments')), 'built from the kinds served: Katib experiments are editable');
    assert.ok(!edit?.rules.some((r) => r.resources.includes('rolebindings')), 'editors do not manage access');
    const view = await store.get<{ rules: { resources: string[] }[] } & import('../api/types.js').KubeObject>({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', namespace: '', name: 'view' });
    assert.ok(!view?.rules.some((r) => r.resources.includes('secrets')), 'viewers do not read secrets');

    assert.ok(!authz.decide(ann, jobs('create', 'team-a')).allowed);
    assert.ok(authz.decide(ann, { verb: 'get', path: '/apis/batch/v1' }).allowed, 'every signed-in user may discover');
    await store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    await store.create({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'ann', namespace: 'team-a' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeflow-admin' }, subjects: [{ kind: 'User', name: 'ann' }],
    });
    assert.ok(authz.decide(ann, jobs('create', 'team-a')).allowed, 'the new binding counts for the next request');
    assert.ok(authz.decide(ann, { verb: 'get', apiGroup: '', resource: 'pods', subresource: 'log', namespace: 'team-a', name: 'p' }).allowed);
    const toEdit = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'bob', namespace: 'team-a' }, roleRef: { kind: 'ClusterRole', name: 'kubeflow-edit' }, subjects: [{ kind: 'User', name: 'bob' }] };
    authz.checkEscalation(ann, toEdit);
    assert.throws(() => authz.checkEscalation(ann, { ...toEdit, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } }), (e: unknown) => e instanceof ForbiddenError && /attempting to grant RBAC permissions not currently held/.test(e.message));
    assert.throws(() => authz.checkEscalation(bob, toEdit), ForbiddenError);
  } finally {
    authz.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
