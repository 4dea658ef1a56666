/**
 * Pure translation between Drover's objects and the cluster's: the Pod Drover creates for one of
 * its pods, the copies of the ConfigMaps, Secrets and claims it references, and the status read
 * back. No I/O, so every rule here is tested by value.
 */
import { createHash } from 'node:crypto';
import type { Pod, PodStatus, KubeObject, ObjectMeta } from '../../api/types.js';

/** Labels and annotations that tie a cluster object to what Drover made it for. */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGER = 'drover';
export const DROVER_NAMESPACE = 'drover.dev/namespace';
export const DROVER_UID = 'drover.dev/uid';
/** A digest of what Drover asked for in a cluster Service: the cluster's defaults never read as a change. */
export const SPEC_DIGEST = 'drover.dev/spec-digest';
/** Selects everything Drover made in a namespace (`kubectl get pods -l app.kubernetes.io/managed-by=drover`). */
export const MANAGED_SELECTOR = `${MANAGED_BY}=${MANAGER}`;

export interface References {
  configMaps: Map<string, boolean>;
  secrets: Map<string, boolean>;
  claims: Set<string>;
}

/** ConfigMaps and Secrets (name → optional) and claims a pod's spec refers to. */
export function references(pod: Pod): References {
  const refs: References = { configMaps: new Map(), secrets: new Map(), claims: new Set() };
  const add = (m: Map<string, boolean>, name: string | undefined, optional: boolean | undefined) => {
    if (!name) return;
    // Required by any reference makes it required.
    m.set(name, (m.get(name) ?? true) && optional === true);
  };
  const spec = pod.spec;
  for (const v of spec?.volumes ?? []) {
    if (v.configMap) add(refs.configMaps, v.configMap.name, v.configMap.optional);
    if (v.secret) add(refs.secrets, v.secret.secretName, v.secret.optional);
    if (v.persistentVolumeClaim?.claimName) refs.claims.add(v.persistentVolumeClaim.claimName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap) add(refs.configMaps, s.configMap.name, s.configMap.optional);
      if (s.secret) add(refs.secrets, s.secret.name, s.secret.optional);
    }
  }
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const e of c.env ?? []) {
      const from = e.valueFrom;
      if (from?.configMapKeyRef) add(refs.configMaps, from.configMapKeyRef.name, from.configMapKeyRef.optional);
      if (from?.secretKeyRef) add(refs.secrets, from.secretKeyRef.name, from.secretKeyRef.optional);
    }
    for (const e of c.envFrom ?? []) {
      if (e.configMapRef) add(refs.configMaps, e.configMapRef.name, e.configMapRef.optional);
      if (e.secretRef) add(refs.secrets, e.secretRef.name, e.secretRef.optional);
    }
  }
  for (const s of spec?.imagePullSecrets ?? []) add(refs.secrets, s.name, true);
  return refs;
}

function managedMeta(src: ObjectMeta, namespace: string): ObjectMeta {
  return {
    name: src.name!,
    namespace,
    labels: { ...(src.labels ?? {}), [MANAGED_BY]: MANAGER, [DROVER_NAMESPACE]: src.namespace ?? 'default' },
    annotations: { ...(src.annotations ?? {}), [DROVER_UID]: src.uid ?? '' },
  };
}

/**
 * The cluster Pod for a Drover pod: the spec exactly as written (containers, volumes,
 * nodeSelector, tolerations, affinity…) but for `nodeName`, which is the cluster scheduler's to set.
 */
export function clusterPod(pod: Pod, namespace: string): Pod & KubeObject {
  const spec = { ...pod.spec! };
  delete spec.nodeName;
  return { apiVersion: 'v1', kind: 'Pod', metadata: managedMeta(pod.metadata!, namespace), spec } as Pod & KubeObject;
}

/** A copy of a ConfigMap, Secret or PersistentVolumeClaim for the cluster namespace. */
export function clusterCopy(obj: KubeObject, namespace: string): KubeObject {
  const { apiVersion, kind, metadata, status: _status, ...content } = obj as KubeObject & { status?: unknown };
  const copy = { apiVersion, kind, metadata: managedMeta(metadata, namespace), ...content } as KubeObject;
  if (kind === 'PersistentVolumeClaim') {
    // A claim's volume is the cluster's to choose; the spec's other fields are kept as written.
    const spec = { ...((copy as { spec?: Record<string, unknown> }).spec ?? {}) };
    delete spec.volumeName;
    (copy as { spec?: unknown }).spec = spec;
  }
  return copy;
}

interface ServiceSpecLike {
  clusterIP?: string;
  clusterIPs?: string[];
  selector?: Record<string, string>;
  [k: string]: unknown;
}

/**
 * The cluster Service for a Drover Service. Its selector gains the Drover namespace label, which
 * every cluster pod carries: Drover namespaces share one cluster namespace, and a Service must
 * select only its own namespace's pods. A ClusterIP is the cluster's to give (the one Drover's
 * store holds is copied back from it), so only `None` (headless) is kept.
 */
export function clusterService(svc: KubeObject, namespace: string): KubeObject {
  const spec = structuredClone(((svc as { spec?: ServiceSpecLike }).spec ?? {}) as ServiceSpecLike);
  const headless = spec.clusterIP === 'None';
  delete spec.clusterIP;
  delete spec.clusterIPs;
  if (headless) spec.clusterIP = 'None';
  if (spec.selector) spec.selector = { ...spec.selector, [DROVER_NAMESPACE]: svc.metadata.namespace ?? 'default' };
  const metadata = managedMeta(svc.metadata, namespace);
  const digest = createHash('sha256').update(JSON.stringify([metadata.labels, metadata.annotations, spec])).digest('hex').slice(0, 16);
  metadata.annotations = { ...metadata.annotations, [SPEC_DIGEST]: digest };
  return { apiVersion: 'v1', kind: 'Service', metadata, spec } as KubeObject;
}

/** Whether the cluster's Service already holds what `desired` (from clusterService) asks for. */
export function serviceUpToDate(cluster: KubeObject, desired: KubeObject): boolean {
  return cluster.metadata.annotations?.[SPEC_DIGEST] === desired.metadata.annotations?.[SPEC_DIGEST];
}

/** The body that replaces an existing cluster Service: what is desired, with the fields the cluster holds immutable. */
export function serviceReplacement(cluster: KubeObject, desired: KubeObject): KubeObject {
  const have = ((cluster as { spec?: ServiceSpecLike }).spec ?? {}) as ServiceSpecLike;
  const body = structuredClone(desired) as KubeObject & { spec: ServiceSpecLike };
  body.metadata.resourceVersion = cluster.metadata.resourceVersion;
  if (have.clusterIP) body.spec.clusterIP = have.clusterIP;
  if (have.clusterIPs) body.spec.clusterIPs = have.clusterIPs;
  return body;
}

/** The ClusterIP the cluster gave a Service, when Drover's copy should take it (headless ones have none to take). */
export function clusterIPToMirror(drover: KubeObject, cluster: KubeObject): { clusterIP: string; clusterIPs: string[] } | undefined {
  const have = ((cluster as { spec?: ServiceSpecLike }).spec ?? {}) as ServiceSpecLike;
  const mine = ((drover as { spec?: ServiceSpecLike }).spec ?? {}) as ServiceSpecLike;
  if (!have.clusterIP || have.clusterIP === 'None' || mine.clusterIP === have.clusterIP) return undefined;
  return { clusterIP: have.clusterIP, clusterIPs: have.clusterIPs ?? [have.clusterIP] };
}

/** Which Drover object (pod, Service) a cluster object was made for, or undefined for one Drover did not make. */
export function droverPodOf(clusterObj: KubeObject): { uid: string; namespace: string; name: string } | undefined {
  const uid = clusterObj.metadata.annotations?.[DROVER_UID];
  if (!uid || clusterObj.metadata.labels?.[MANAGED_BY] !== MANAGER) return undefined;
  return { uid, namespace: clusterObj.metadata.labels?.[DROVER_NAMESPACE] ?? 'default', name: clusterObj.metadata.name ?? '' };
}

/**
 * The status Drover's pod takes from the cluster's: the kubelet's own phase, conditions,
 * container states, exit codes and reasons, unchanged; plus the node the scheduler chose.
 */
export function mirroredStatus(cluster: Pod): { status: PodStatus; nodeName: string | undefined } {
  const s = cluster.status ?? {};
  const status: PodStatus = {};
  for (const k of ['phase', 'conditions', 'message', 'reason', 'hostIP', 'podIP', 'startTime', 'containerStatuses', 'initContainerStatuses', 'qosClass'] as const) {
    if (s[k] !== undefined) (status as Record<string, unknown>)[k] = s[k];
  }
  return { status, nodeName: cluster.spec?.nodeName };
}

export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}
