/**
 * Kubernetes RBAC decisions, pure: given the roles and bindings that exist, may this caller do
 * this? Semantics as rbac.authorization.k8s.io/v1: rules only grant (no deny), a RoleBinding
 * grants within its namespace, a ClusterRoleBinding everywhere; `*` matches any verb, group or
 * resource (and every subresource), `pods/*` every subresource of pods, `*\/scale` that
 * subresource of any resource; `resourceNames` narrows a rule to named objects.
 */
import type { Identity } from './identity.js';
import { MASTERS_GROUP } from './identity.js';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export interface RoleRef {
  kind: string;
  name: string;
  apiGroup?: string;
}

export interface Role {
  metadata: { name?: string; namespace?: string };
  rules?: PolicyRule[];
}

export interface Binding {
  metadata: { name?: string; namespace?: string };
  subjects?: Subject[];
  roleRef: RoleRef;
}

/** What a request asks to do, as Kubernetes' authorizers see it. */
export type RequestAttributes =
  | {
      verb: string;
      apiGroup: string;
      resource: string;
      subresource?: string;
      /** Undefined for cluster-scoped objects and lists across every namespace. */
      namespace?: string;
      name?: string;
    }
  | { verb: string; path: string };

export function isResourceRequest(a: RequestAttributes): a is Extract<RequestAttributes, { resource: string }> {
  return 'resource' in a;
}

/** Every role and binding that exists, by where they apply. */
export interface RbacSnapshot {
  clusterRole(name: string): Role | undefined;
  role(namespace: string, name: string): Role | undefined;
  clusterRoleBindings(): Iterable<Binding>;
  roleBindings(namespace: string): Iterable<Binding>;
}

export interface Decision {
  allowed: boolean;
  /** Why, in words (`RBAC: allowed by RoleBinding "x" of ClusterRole "edit" to User "ann"`). */
  reason: string;
}

/** The user name a ServiceAccount authenticates as. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

function subjectMatches(s: Subject, who: Identity, bindingNamespace: string | undefined): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === who.name;
    case 'Group':
      return who.groups.includes(s.name);
    case 'ServiceAccount':
      return who.name === serviceAccountUser(s.namespace ?? bindingNamespace ?? '', s.name);
    default:
      return false;
  }
}

function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const full = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((r) => r === '*' || r === full || (subresource !== undefined && (r === `${resource}/*` || r === `*/${subresource}`)));
}

function nonResourceMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
}

/** Whether one rule allows the request. */
export function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!rule.verbs.some((v) => v === '*' || v === a.verb)) return false;
  if (!isResourceRequest(a)) return nonResourceMatches(rule, a.path);
  if (!(rule.apiGroups ?? []).some((g) => g === '*' || g === a.apiGroup)) return false;
  if (!resourceMatches(rule, a.resource, a.subresource)) return false;
  const names = rule.resourceNames ?? [];
  // A rule for named objects cannot allow a list, a watch of all, or a create (the name is not the object's yet).
  return names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

function roleOf(snapshot: RbacSnapshot, b: Binding): Role | undefined {
  if (b.roleRef.kind === 'ClusterRole') return snapshot.clusterRole(b.roleRef.name);
  if (b.roleRef.kind === 'Role' && b.metadata.namespace) return snapshot.role(b.metadata.namespace, b.roleRef.name);
  return undefined;
}

/** Every rule that applies to `who` in `namespace` (cluster-wide rules only when undefined). */
export function rulesFor(snapshot: RbacSnapshot, who: Identity, namespace: string | undefined): { rule: PolicyRule; via: string }[] {
  const out: { rule: PolicyRule; via: string }[] = [];
  const add = (b: Binding, kind: string) => {
    if (!(b.subjects ?? []).some((s) => subjectMatches(s, who, b.metadata.namespace))) return;
    const role = roleOf(snapshot, b);
    for (const rule of role?.rules ?? []) out.push({ rule, via: `${kind} "${b.metadata.name}" of ${b.roleRef.kind} "${b.roleRef.name}"` });
  };
  for (const b of snapshot.clusterRoleBindings()) add(b, 'ClusterRoleBinding');
  if (namespace !== undefined) for (const b of snapshot.roleBindings(namespace)) add(b, 'RoleBinding');
  return out;
}

/** The decision for one request: members of system:masters may do anything; others what a binding grants. */
export function decide(snapshot: RbacSnapshot, who: Identity, a: RequestAttributes): Decision {
  if (who.groups.includes(MASTERS_GROUP)) return { allowed: true, reason: `member of ${MASTERS_GROUP}` };
  const namespace = isResourceRequest(a) ? a.namespace : undefined;
  const hit = rulesFor(snapshot, who, namespace).find(({ rule }) => ruleAllows(rule, a));
  if (hit) return { allowed: true, reason: `RBAC: allowed by ${hit.via}` };
  return { allowed: false, reason: '' };
}

/** The Kubernetes message for a refused request (`jobs.batch "x" is forbidden: User "ann" cannot create resource …`). */
export function forbiddenMessage(who: Identity, a: RequestAttributes): string {
  if (!isResourceRequest(a)) return `forbidden: User "${who.name}" cannot ${a.verb} path "${a.path}"`;
  const plural = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const sub = a.subresource ? `/${a.subresource}` : '';
  const what = a.name ? `${plural} "${a.name}"` : plural;
  const where = a.namespace !== undefined ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${what} is forbidden: User "${who.name}" cannot ${a.verb} resource "${a.resource}${sub}" in API group "${a.apiGroup}" ${where}`;
}

/**
 * Whether the caller's own rules (in `namespace`) cover every permission `rules` grant: a caller
 * may give others only what it has itself (Kubernetes' escalation check on roles and bindings).
 * Returns the first permission not covered, in words, or undefined.
 */
export function uncovered(snapshot: RbacSnapshot, who: Identity, namespace: string | undefined, rules: readonly PolicyRule[]): string | undefined {
  if (who.groups.includes(MASTERS_GROUP)) return undefined;
  const own = rulesFor(snapshot, who, namespace).map((r) => r.rule);
  for (const rule of rules) {
    for (const verb of rule.verbs) {
      if (rule.nonResourceURLs?.length) {
        for (const path of rule.nonResourceURLs) {
          if (!own.some((o) => o.verbs.some((v) => v === '*' || v === verb) && (o.nonResourceURLs ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1)))))) {
            return `${verb} on path ${path}`;
          }
        }
        continue;
      }
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
          for (const name of names) {
            const covered = own.some(
              (o) =>
                o.verbs.some((v) => v === '*' || v === verb) &&
                (o.apiGroups ?? []).some((g) => g === '*' || g === group) &&
                (o.resources ?? []).some((r) => r === '*' || r === resource || (resource.includes('/') && r === `${resource.split('/')[0]}/*`)) &&
                (!o.resourceNames?.length || (name !== undefined && o.resourceNames.includes(name))),
            );
            if (!covered) return `${verb} on ${resource}${group ? `.${group}` : ''}${name ? ` "${name}"` : ''}`;
          }
        }
      }
    }
  }
  return undefined;
}
