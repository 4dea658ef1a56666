/**
 * The ServiceAccounts Kubeflow's profile controller gives each profile namespace: `default-editor`
 * bound to `kubeflow-edit` and `default-viewer` bound to `kubeflow-view`, each by a RoleBinding of
 * its own name in that namespace only. Notebooks run as `default-editor` (as Kubeflow's Jupyter
 * web app writes them), so code in a notebook may submit Jobs, Workflows and Experiments to its own
 * namespace and nothing outside it; neither role may write RBAC objects.
 */
import type { KubeObject, OwnerReference } from '../../api/types.js';
import { AlreadyExistsError, NotFoundError } from '../../api/errors.js';
import type { Store } from '../../store/index.js';

export const EDITOR_ACCOUNT = 'default-editor';
export const VIEWER_ACCOUNT = 'default-viewer';

const ACCOUNTS = [
  { name: EDITOR_ACCOUNT, role: 'kubeflow-edit' },
  { name: VIEWER_ACCOUNT, role: 'kubeflow-view' },
] as const;

/** The ServiceAccounts and RoleBindings a namespace's notebooks and pipelines run as. */
export function namespaceAccounts(namespace: string, owner?: OwnerReference): KubeObject[] {
  const ownerReferences = owner ? { ownerReferences: [owner] } : {};
  return ACCOUNTS.flatMap(({ name, role }) => [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, ...ownerReferences } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace, ...ownerReferences },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  ]);
}

/**
 * Creates what of `namespaceAccounts` is missing; objects there already (the user's, or changed
 * by the namespace's admin) are left as they are.
 */
export async function ensureNamespaceAccounts(store: Store, namespace: string, owner?: OwnerReference): Promise<void> {
  for (const obj of namespaceAccounts(namespace, owner)) {
    if (await store.get({ apiVersion: obj.apiVersion, kind: obj.kind, namespace, name: obj.metadata.name! })) continue;
    try {
      await store.create(obj);
    } catch (err) {
      // Made meanwhile, or the namespace is going.
      if (!(err instanceof AlreadyExistsError) && !(err instanceof NotFoundError)) throw err;
    }
  }
}
