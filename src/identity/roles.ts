/**
 * The ClusterRoles every Drover server has, as a cluster has its bootstrap roles: `admin`, `edit`
 * and `view` (meant for RoleBindings in a namespace), Kubeflow's `kubeflow-admin`, `kubeflow-edit`
 * and `kubeflow-view` with the same meaning (a Profile binds its owner to `kubeflow-admin`,
 * contributors to the other two), and what every signed-in user may do (discovery, asking what
 * it may do). Built from the kinds served, so a new family's kinds are covered without edits.
 */
import type { KindInfo, KindTable } from '../api/kinds.js';
import { AUTHENTICATED_GROUP } from './identity.js';
import type { PolicyRule } from './rbac.js';

/** Marks the roles Drover made (and remakes at start); a user's own roles are left alone. */
export const BOOTSTRAP_LABEL = 'kubernetes.io/bootstrapping';

const READ = ['get', 'list', 'watch'];
const WRITE = [...READ, 'create', 'update', 'patch', 'delete', 'deletecollection'];
const RBAC_KINDS = new Set(['Role', 'RoleBinding']);
/** Kinds a namespace's users read but only its admin (quota) or the system (events) writes. */
const READ_ONLY = new Set(['ResourceQuota', 'Event']);

function byGroup(kinds: readonly KindInfo[], resources: (k: KindInfo) => string[], verbs: string[]): PolicyRule[] {
  const groups = new Map<string, string[]>();
  for (const k of kinds) groups.set(k.group, [...(groups.get(k.group) ?? []), ...resources(k)]);
  return [...groups].map(([group, res]) => ({ apiGroups: [group], resources: res, verbs }));
}

export interface BootstrapRole {
  name: string;
  rules: PolicyRule[];
}

export function builtInClusterRoles(table: KindTable): BootstrapRole[] {
  const namespaced = table.all.filter((k) => k.namespaced);
  const editable = namespaced.filter((k) => !RBAC_KINDS.has(k.kind) && !READ_ONLY.has(k.kind) && k.userCreatable);
  const readable = namespaced.filter((k) => !RBAC_KINDS.has(k.kind));
  const edit = [
    // Every subresource too: logs, status, a workflow's retry or stop.
    ...byGroup(editable, (k) => [k.plural, `${k.plural}/*`], WRITE),
    ...byGroup(readable.filter((k) => !editable.includes(k)), (k) => [k.plural, `${k.plural}/status`], READ),
  ];
  const view = [
    // Secrets are not for viewers, as upstream's `view`.
    ...byGroup(readable.filter((k) => k.kind !== 'Secret'), (k) => [k.plural, `${k.plural}/status`, ...(k.kind === 'Pod' ? ['pods/log'] : [])], READ),
  ];
  const admin = [...edit, { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: WRITE }];
  return [
    { name: 'cluster-admin', rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }] },
    { name: 'admin', rules: admin },
    { name: 'edit', rules: edit },
    { name: 'view', rules: view },
    { name: 'kubeflow-admin', rules: admin },
    { name: 'kubeflow-edit', rules: edit },
    { name: 'kubeflow-view', rules: view },
    {
      name: 'drover:basic-user',
      rules: [
        { nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/version', '/version/', '/openapi', '/openapi/*', '/healthz', '/livez', '/readyz'], verbs: ['get'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] },
        { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
      ],
    },
  ];
}

/** Bindings every server has: every signed-in user gets `drover:basic-user`. */
export const BUILT_IN_CLUSTER_ROLE_BINDINGS = [{ name: 'drover:basic-user', role: 'drover:basic-user', group: AUTHENTICATED_GROUP }] as const;
