/**
 * Authorization against the roles and bindings in the store: kept in memory by watches (a
 * request costs no query), with Drover's built-in ClusterRoles written at start.
 */
import type { KindTable, KubeObject } from '../api/index.js';
import { ForbiddenError } from '../api/errors.js';
import { Informer } from '../store/informer.js';
import type { Store } from '../store/index.js';
import type { Identity } from './identity.js';
import { decide, forbiddenMessage, rulesFor, uncovered, type Binding, type Decision, type PolicyRule, type RbacSnapshot, type RequestAttributes, type Role } from './rbac.js';
import { BOOTSTRAP_LABEL, BUILT_IN_CLUSTER_ROLE_BINDINGS, builtInClusterRoles } from './roles.js';

const RBAC = 'rbac.authorization.k8s.io/v1';

type RoleObject = KubeObject & Role;
type BindingObject = KubeObject & Binding;

export class Authorizer {
  private readonly roles: Informer<RoleObject>;
  private readonly clusterRoles: Informer<RoleObject>;
  private readonly roleBindings: Informer<BindingObject>;
  private readonly clusterRoleBindings: Informer<BindingObject>;
  readonly snapshot: RbacSnapshot;

  constructor(
    private readonly store: Store,
    private readonly kinds: KindTable,
  ) {
    this.roles = new Informer(store, { apiVersion: RBAC, kind: 'Role' });
    this.clusterRoles = new Informer(store, { apiVersion: RBAC, kind: 'ClusterRole' });
    this.roleBindings = new Informer(store, { apiVersion: RBAC, kind: 'RoleBinding' });
    this.clusterRoleBindings = new Informer(store, { apiVersion: RBAC, kind: 'ClusterRoleBinding' });
    this.snapshot = {
      clusterRole: (name) => this.clusterRoles.get('', name),
      role: (namespace, name) => this.roles.get(namespace, name),
      clusterRoleBindings: () => this.clusterRoleBindings.list(),
      roleBindings: (namespace) => this.roleBindings.list().filter((b) => b.metadata.namespace === namespace),
    };
  }

  /** Writes the built-in roles (remade as this version has them), then follows every change. */
  async start(): Promise<void> {
    const labels = { [BOOTSTRAP_LABEL]: 'rbac-defaults' };
    for (const r of builtInClusterRoles(this.kinds)) {
      await this.upsert({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: r.name, labels }, rules: r.rules } as RoleObject);
    }
    for (const b of BUILT_IN_CLUSTER_ROLE_BINDINGS) {
      await this.upsert({
        apiVersion: RBAC,
        kind: 'ClusterRoleBinding',
        metadata: { name: b.name, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.role },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: b.group }],
      } as BindingObject);
    }
    await Promise.all([this.roles, this.clusterRoles, this.roleBindings, this.clusterRoleBindings].map((i) => i.start()));
  }

  private async upsert(obj: KubeObject): Promise<void> {
    const ref = { apiVersion: obj.apiVersion, kind: obj.kind, namespace: '', name: obj.metadata.name! };
    const existing = await this.store.get(ref);
    if (!existing) {
      await this.store.create(obj);
      return;
    }
    // A built-in role a user took over (label removed) is theirs.
    if (existing.metadata.labels?.[BOOTSTRAP_LABEL] !== 'rbac-defaults') return;
    const content = (o: KubeObject) => JSON.stringify([o['rules'], o['roleRef'], o['subjects']]);
    if (content(existing) === content(obj)) return;
    await this.store.patch(ref, (o) => {
      for (const k of ['rules', 'roleRef', 'subjects']) if (obj[k] !== undefined) o[k] = obj[k];
    });
  }

  stop(): void {
    for (const i of [this.roles, this.clusterRoles, this.roleBindings, this.clusterRoleBindings]) i.stop();
  }

  decide(who: Identity, a: RequestAttributes): Decision {
    return decide(this.snapshot, who, a);
  }

  /** Every rule that applies to `who` in `namespace` (`kubectl auth can-i --list`). */
  rules(who: Identity, namespace: string | undefined): PolicyRule[] {
    return rulesFor(this.snapshot, who, namespace).map((r) => r.rule);
  }

  /** Throws a 403 with Kubernetes' message unless `who` may do `a`. */
  check(who: Identity, a: RequestAttributes): void {
    if (!this.decide(who, a).allowed) throw new ForbiddenError(forbiddenMessage(who, a));
  }

  /**
   * Refuses a Role, ClusterRole or binding that would give more than its author has (Kubernetes'
   * escalation check), unless the author may `escalate` (roles) or `bind` (bindings).
   */
  checkEscalation(who: Identity, obj: KubeObject): void {
    const namespace = obj.metadata.namespace || undefined;
    const resource = { Role: 'roles', ClusterRole: 'clusterroles', RoleBinding: 'rolebindings', ClusterRoleBinding: 'clusterrolebindings' }[obj.kind];
    if (!resource) return;
    const base = { apiGroup: 'rbac.authorization.k8s.io', resource, ...(namespace ? { namespace } : {}), ...(obj.metadata.name ? { name: obj.metadata.name } : {}) };
    let rules: PolicyRule[];
    let what: string;
    if (obj.kind === 'Role' || obj.kind === 'ClusterRole') {
      if (this.decide(who, { ...base, verb: 'escalate' }).allowed) return;
      rules = (obj as RoleObject).rules ?? [];
      what = `${obj.kind.toLowerCase()}s.rbac.authorization.k8s.io "${obj.metadata.name}"`;
    } else {
      const ref = (obj as BindingObject).roleRef;
      if (this.decide(who, { ...base, resource: ref.kind === 'Role' ? 'roles' : 'clusterroles', name: ref.name, verb: 'bind' }).allowed) return;
      const role = ref.kind === 'ClusterRole' ? this.snapshot.clusterRole(ref.name) : namespace ? this.snapshot.role(namespace, ref.name) : undefined;
      if (!role) throw new ForbiddenError(`${resource}.rbac.authorization.k8s.io "${obj.metadata.name}" is forbidden: ${ref.kind} "${ref.name}" not found`);
      rules = role.rules ?? [];
      what = `${resource}.rbac.authorization.k8s.io "${obj.metadata.name}"`;
    }
    const missing = uncovered(this.snapshot, who, namespace, rules);
    if (missing) throw new ForbiddenError(`${what} is forbidden: User "${who.name}" is attempting to grant RBAC permissions not currently held: ${missing}`);
  }
}
