/**
 * Resource types. Upstream kinds use the maintained `kubernetes-types` definitions rather than
 * copies; `KubeObject` is the shape every stored resource shares.
 */
import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1';
import type { Pod, PodSpec, PodStatus, Container, ContainerStatus, Volume, ConfigMap, Secret, PersistentVolumeClaim, Namespace, Node, Event, PodCondition } from 'kubernetes-types/core/v1';
import type { Job, JobSpec, JobStatus, JobCondition } from 'kubernetes-types/batch/v1';

export type { ObjectMeta, OwnerReference, Pod, PodSpec, PodStatus, Container, ContainerStatus, Volume, ConfigMap, Secret, PersistentVolumeClaim, Namespace, Node, Event, PodCondition, Job, JobSpec, JobStatus, JobCondition };

/** Any resource: `{apiVersion, kind, metadata, ...}`. Stored objects always have name, namespace (if namespaced), uid and resourceVersion. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** Identifies one object. `namespace` is '' for cluster-scoped kinds. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export const DEFAULT_NAMESPACE = 'default';

/** Annotations and labels Drover sets. */
export const ANNOTATIONS = {
  /** Directory of the manifest a resource was applied from; containers without workingDir start there. */
  sourceDir: 'drover.dev/source-dir',
  /** GPU indices the local runtime gave a pod's containers. */
  gpuIds: 'drover.dev/gpu-ids',
} as const;

export const LABELS = {
  jobName: 'job-name',
  batchJobName: 'batch.kubernetes.io/job-name',
  controllerUid: 'controller-uid',
  batchControllerUid: 'batch.kubernetes.io/controller-uid',
  completionIndex: 'batch.kubernetes.io/job-completion-index',
  hostname: 'kubernetes.io/hostname',
} as const;

export function refOf(obj: KubeObject): ObjectRef {
  return { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
}
