/**
 * Who may do what: Roles, ClusterRoles and their bindings (rbac.authorization.k8s.io/v1), with
 * Kubernetes' semantics; src/identity decides from them on every request.
 *
 *   import { rbac } from './kinds/rbac/index.js'; // listed in src/registry.ts
 */
import { defineKind } from '../../api/kinds.js';
import { ageColumn, nameColumn, type KindPrinter } from '../../print/columns.js';
import type { KindFamily } from '../types.js';

const GROUP = 'rbac.authorization.k8s.io/v1';

const bindingPrinter: KindPrinter = {
  columns: [
    nameColumn,
    { header: 'ROLE', cell: (o) => { const r = o['roleRef'] as { kind?: string; name?: string } | undefined; return `${r?.kind ?? ''}/${r?.name ?? ''}`; } },
    ageColumn,
    { header: 'USERS', wide: true, cell: (o) => subjects(o, 'User') },
    { header: 'GROUPS', wide: true, cell: (o) => subjects(o, 'Group') },
    { header: 'SERVICEACCOUNTS', wide: true, cell: (o) => subjects(o, 'ServiceAccount', true) },
  ],
};

function subjects(o: Record<string, unknown>, kind: string, qualified = false): string {
  const list = ((o['subjects'] as { kind?: string; name?: string; namespace?: string }[] | undefined) ?? []).filter((s) => s.kind === kind);
  return list.map((s) => (qualified && s.namespace ? `${s.namespace}/${s.name}` : s.name)).join(', ');
}

export const rbac: KindFamily = {
  name: 'rbac',
  kinds: [
    { info: defineKind(GROUP, 'Role', 'roles', { hasStatus: false }) },
    { info: defineKind(GROUP, 'ClusterRole', 'clusterroles', { namespaced: false, hasStatus: false }) },
    { info: defineKind(GROUP, 'RoleBinding', 'rolebindings', { hasStatus: false }), printer: bindingPrinter },
    { info: defineKind(GROUP, 'ClusterRoleBinding', 'clusterrolebindings', { namespaced: false, hasStatus: false }), printer: bindingPrinter },
  ],
  server: async () => (await import('./server.js')).rbacServer,
};
