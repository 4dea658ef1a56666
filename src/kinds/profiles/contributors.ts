/**
 * Contributors of a profile's namespace as Kubeflow's access manager (KFAM) writes them: a
 * RoleBinding `user-<user, non-alphanumerics as '-'>-clusterrole-<role>` to ClusterRole
 * `kubeflow-<role>`, annotated with `user` and `role`. Tools that read KFAM's bindings see Drover's.
 */
import type { KubeObject } from '../../api/types.js';

export type ContributorRole = 'admin' | 'edit' | 'view';
export const CONTRIBUTOR_ROLES: readonly ContributorRole[] = ['admin', 'edit', 'view'];

/** The owner's binding, as the profile controller names it. */
export const OWNER_BINDING = 'namespaceAdmin';

export function contributorBindingName(user: string, role: ContributorRole): string {
  return `user-${user.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')}-clusterrole-${role}`;
}

export function contributorBinding(namespace: string, user: string, role: ContributorRole, name = contributorBindingName(user, role)): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace, annotations: { user, role } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `kubeflow-${role}` },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  };
}
