/** Kubeflow's Notebook (kubeflow.org/v1, also v1beta1): the facts the controller, proxy and dashboard share. */
import type { Container, KubeObject, PodSpec } from '../../api/types.js';

export const NOTEBOOK_API_VERSION = 'kubeflow.org/v1';
/** The older version Kubeflow still serves; stored as v1 (the two are the same schema). */
export const NOTEBOOK_V1BETA1 = 'kubeflow.org/v1beta1';

export const NOTEBOOK_LABELS = {
  /** Set on the notebook's pod (upstream's StatefulSet template sets both). */
  name: 'notebook-name',
  statefulSet: 'statefulset',
} as const;

export const NOTEBOOK_ANNOTATIONS = {
  /** Present (any value; the culler writes the time) = stopped: the pod is removed until it goes. */
  stopped: 'kubeflow-resource-stopped',
  /** When the notebook was last active (RFC 3339), as Kubeflow's culler keeps it. */
  lastActivity: 'notebooks.kubeflow.org/last-activity',
  /** When activity was last read (RFC 3339). */
  lastActivityCheck: 'notebooks.kubeflow.org/last_activity_check_timestamp',
  /** On the pod: a hash of the template it was made from, so a changed template replaces it. */
  templateHash: 'drover.dev/notebook-template-hash',
} as const;

/** The port a notebook server listens on, as upstream's controller and images assume. */
export const NOTEBOOK_PORT = 8888;

export interface NotebookCondition {
  type: string;
  status: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface NotebookStatus {
  conditions: NotebookCondition[];
  readyReplicas: number;
  containerState: Record<string, unknown>;
}

export interface Notebook extends KubeObject {
  spec: { template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec & { containers: Container[] } } };
  status?: NotebookStatus;
}

/** `/notebook/<ns>/<name>`: the notebook's URL prefix on the API port (NB_PREFIX). */
export function notebookPrefix(namespace: string, name: string): string {
  return `/notebook/${namespace}/${name}`;
}

/** The pod a notebook runs as (a StatefulSet's only replica). */
export function notebookPodName(name: string): string {
  return `${name}-0`;
}

export function isStopped(nb: KubeObject): boolean {
  return nb.metadata.annotations?.[NOTEBOOK_ANNOTATIONS.stopped] !== undefined;
}
