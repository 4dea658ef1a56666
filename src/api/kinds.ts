/**
 * The kinds Drover serves, with the names kubectl users type for them. One table drives the
 * HTTP paths, the CLI's kind lookup and the store's keys, so a kind is added in one place.
 */

export interface KindInfo {
  /** `v1` or `group/version`, as written in manifests. */
  apiVersion: string;
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural used in URLs (`jobs`). */
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  /** Users may create it with `apply`; otherwise only Drover makes it (Nodes, Events). */
  userCreatable: boolean;
}

function kind(apiVersion: string, kindName: string, plural: string, shortNames: string[], namespaced = true, userCreatable = true): KindInfo {
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  return { apiVersion, group, version, kind: kindName, plural, singular: kindName.toLowerCase(), shortNames, namespaced, userCreatable };
}

export const KINDS: readonly KindInfo[] = [
  kind('v1', 'Namespace', 'namespaces', ['ns'], false),
  kind('v1', 'ConfigMap', 'configmaps', ['cm']),
  kind('v1', 'Secret', 'secrets', []),
  kind('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', ['pvc']),
  kind('v1', 'Pod', 'pods', ['po']),
  kind('v1', 'Node', 'nodes', ['no'], false, false),
  kind('v1', 'Event', 'events', ['ev'], true, false),
  kind('batch/v1', 'Job', 'jobs', []),
  kind('argoproj.io/v1alpha1', 'Workflow', 'workflows', ['wf']),
  kind('argoproj.io/v1alpha1', 'WorkflowTemplate', 'workflowtemplates', ['wftmpl']),
  kind('argoproj.io/v1alpha1', 'ClusterWorkflowTemplate', 'clusterworkflowtemplates', ['cwftmpl', 'cwft'], false),
  kind('argoproj.io/v1alpha1', 'CronWorkflow', 'cronworkflows', ['cwf', 'cronwf']),
  kind('kubeflow.org/v1beta1', 'Experiment', 'experiments', []),
  // Trials are made by their Experiment's controller, as in Katib (users do not apply them).
  kind('kubeflow.org/v1beta1', 'Trial', 'trials', [], true, false),
];

/** Store key of a kind: `Job.batch`, `Pod` (core kinds have no group). */
export function kindKey(k: Pick<KindInfo, 'kind' | 'group'>): string {
  return k.group ? `${k.kind}.${k.group}` : k.kind;
}

/** Finds a kind by what a user typed: `jobs`, `job`, `Job`, `po`, `jobs.batch`. */
export function lookupKind(name: string): KindInfo | undefined {
  const lower = name.toLowerCase();
  const [base, group] = lower.includes('.') ? [lower.slice(0, lower.indexOf('.')), lower.slice(lower.indexOf('.') + 1)] : [lower, undefined];
  return KINDS.find(
    (k) =>
      (group === undefined || k.group === group) &&
      (k.plural === base || k.singular === base || k.shortNames.includes(base!)),
  );
}

/** Finds a kind from a manifest's `apiVersion` and `kind`. */
export function kindOf(apiVersion: string, kindName: string): KindInfo | undefined {
  return KINDS.find((k) => k.apiVersion === apiVersion && k.kind === kindName);
}

export function kindByPlural(group: string, plural: string): KindInfo | undefined {
  return KINDS.find((k) => k.group === group && k.plural === plural);
}
