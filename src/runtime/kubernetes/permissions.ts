/**
 * Every call the Kubernetes runtime makes, as RBAC rules. deploy/kubernetes/rbac.yaml grants
 * exactly these (a test holds the two equal), and `checkHost` asks the apiserver for each one so a
 * missing grant is named before anything runs.
 */
export interface Permission {
  resource: string;
  verbs: readonly string[];
}

export const REQUIRED_PERMISSIONS: readonly Permission[] = [
  { resource: 'pods', verbs: ['create', 'delete', 'list', 'watch'] },
  { resource: 'pods/log', verbs: ['get'] },
  { resource: 'configmaps', verbs: ['create', 'update', 'delete'] },
  { resource: 'secrets', verbs: ['create', 'update', 'delete'] },
  { resource: 'persistentvolumeclaims', verbs: ['create', 'delete'] },
  // Drover's Services, mirrored: the informer lists and watches them, the sync writes them, and a
  // name already taken is read to say by whom.
  { resource: 'services', verbs: ['create', 'update', 'delete', 'get', 'list', 'watch'] },
];
