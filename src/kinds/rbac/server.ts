/** The server's half of the RBAC kinds: the upstream schemas and the API server's own checks. */
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { KindValidation } from '../../api/index.js';
import type { Finding } from '../../api/fieldpath.js';
import { error, type Ctx } from '../../api/semantics.js';
import type { FamilyServer, KindAdmission } from '../types.js';

const SUBJECT_KINDS = ['User', 'Group', 'ServiceAccount'];

function checkBinding(roleKinds: string[]): (obj: Record<string, unknown>) => Finding[] {
  return (obj) => {
    const ctx: Ctx = { findings: [] };
    const ref = obj['roleRef'] as { kind?: string; name?: string } | undefined;
    if (ref && !roleKinds.includes(ref.kind ?? '')) error(ctx, ['roleRef', 'kind'], `supported values: ${roleKinds.map((k) => `"${k}"`).join(', ')}`);
    const subjects = (obj['subjects'] as { kind?: string; namespace?: string }[] | undefined) ?? [];
    subjects.forEach((s, i) => {
      if (!SUBJECT_KINDS.includes(s.kind ?? '')) error(ctx, ['subjects', i, 'kind'], `supported values: ${SUBJECT_KINDS.map((k) => `"${k}"`).join(', ')}`);
      if (s.kind === 'ServiceAccount' && !s.namespace && !(obj['metadata'] as { namespace?: string } | undefined)?.namespace) {
        error(ctx, ['subjects', i, 'namespace'], 'a ServiceAccount subject of a ClusterRoleBinding needs its namespace', 'key');
      }
    });
    return ctx.findings;
  };
}

function checkRules(obj: Record<string, unknown>): Finding[] {
  const ctx: Ctx = { findings: [] };
  const rules = (obj['rules'] as { apiGroups?: unknown[]; resources?: unknown[]; nonResourceURLs?: unknown[] }[] | undefined) ?? [];
  rules.forEach((r, i) => {
    const isResource = (r.resources?.length ?? 0) > 0;
    const isPath = (r.nonResourceURLs?.length ?? 0) > 0;
    if (isResource && isPath) error(ctx, ['rules', i], 'a rule names resources or nonResourceURLs, not both', 'key');
    else if (isResource && !r.apiGroups?.length) error(ctx, ['rules', i, 'apiGroups'], 'resource rules must name apiGroups ("" for the core group)', 'key');
    else if (isPath && obj['kind'] === 'Role') error(ctx, ['rules', i, 'nonResourceURLs'], 'namespaced rules cannot apply to non-resource URLs', 'key');
  });
  return ctx.findings;
}

const VALIDATION: Readonly<Record<string, KindValidation>> = {
  Role: { schema: Role, semantics: checkRules },
  ClusterRole: { schema: ClusterRole, semantics: checkRules },
  RoleBinding: { schema: RoleBinding, semantics: checkBinding(['Role', 'ClusterRole']) },
  ClusterRoleBinding: { schema: ClusterRoleBinding, semantics: checkBinding(['ClusterRole']) },
};

/** A binding's role may not change (Kubernetes: delete and create it instead). */
const binding: KindAdmission = {
  immutableChange: (prev, next) => (JSON.stringify(prev['roleRef']) === JSON.stringify(next['roleRef']) ? undefined : 'roleRef'),
};

export const rbacServer: FamilyServer = {
  validation: VALIDATION,
  admission: { RoleBinding: binding, ClusterRoleBinding: binding },
};
