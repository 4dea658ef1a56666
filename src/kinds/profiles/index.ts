/**
 * Kubeflow's Profiles (kubeflow.org/v1): a namespace per team, its owner its admin, an optional
 * ResourceQuota. Contributors are RoleBindings in the namespace, named and annotated as Kubeflow's
 * access manager (KFAM) writes them, so several owners, editors and viewers are all plain RBAC.
 *
 *   import { profiles } from './kinds/profiles/index.js'; // listed in src/registry.ts
 */
import { defineKind } from '../../api/kinds.js';
import { ageColumn, nameColumn, type KindPrinter } from '../../print/columns.js';
import type { KindFamily } from '../types.js';

const profilePrinter: KindPrinter = {
  columns: [
    nameColumn,
    { header: 'OWNER', cell: (o) => (o['spec'] as { owner?: { name?: string } } | undefined)?.owner?.name ?? '' },
    {
      header: 'READY',
      cell: (o) => ((o['status'] as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready')?.status ?? '',
    },
    ageColumn,
  ],
};

export const profiles: KindFamily = {
  name: 'profiles',
  kinds: [{ info: defineKind('kubeflow.org/v1', 'Profile', 'profiles', { namespaced: false }), printer: profilePrinter }],
  server: async () => (await import('./server.js')).profilesServer,
};
