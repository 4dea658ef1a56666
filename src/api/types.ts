/**
 * Resource types. Upstream kinds use the maintained `kubernetes-types` definitions rather than
 * copies; `KubeObject` is the shape every stored resource shares.
 */
import type * as meta from 'kubernetes-types/meta/v1.js';
import type * as core from 'kubernetes-types/core/v1.js';
import type * as batch from 'kubernetes-types/batch/v1.js';

export type { OwnerReference } from 'kubernetes-types/meta/v1.js';
export type { PodSpec, Container, ContainerStatus, Volume, ConfigMap, Secret, Namespace, Event, PodCondition, EnvVar, VolumeMount, ResourceRequirements } from 'kubernetes-types/core/v1.js';
export type { JobSpec, JobStatus, JobCondition } from 'kubernetes-types/batch/v1.js';

/** Removes the `readonly` that kubernetes-types puts on server-populated fields: Drover is the server. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

export type ObjectMeta = Writable<meta.ObjectMeta>;
/** An upstream kind with writable metadata and status. */
type Served<T extends { metadata?: meta.ObjectMeta }> = Omit<Writable<T>, 'metadata'> & { metadata?: ObjectMeta };

export type PodStatus = core.PodStatus;
export type Pod = Served<core.Pod>;
export type Node = Served<core.Node>;
export type PersistentVolumeClaim = Served<core.PersistentVolumeClaim>;
export type Job = Served<batch.Job>;

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
  /** On the local Node: the store's size on disk (JSON: path, fileBytes, walBytes, freeBytes, changeLogRows, changeLogBytes, measured). */
  storeSize: 'drover.dev/store-size',
  /**
   * Comma-separated names a pod reaches its peers by (a training job's replicas): where pods share
   * the host's network the local runtime maps them to loopback in the pod's /etc/hosts.
   */
  peerHostnames: 'drover.dev/peer-hostnames',
  /** A gang: pods of one group are placed together or not at all (the name Volcano reads too). */
  podGroup: 'scheduling.k8s.io/group-name',
  /** How many of the group's pods must be placed at once (a training job's minAvailable). */
  podGroupMinMember: 'drover.dev/pod-group-min-member',
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

/** A resource as the store holds it: apiVersion, kind and metadata always present. */
export type Stored<T> = T & { apiVersion: string; kind: string; metadata: ObjectMeta };
