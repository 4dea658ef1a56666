/**
 * What the API server does to an object between validation and storage: namespace, Drover's
 * source-dir annotation, Secret `stringData`, and the defaults Kubernetes fills in for Jobs,
 * so `get -o json` shows what a cluster would.
 */
import { kindOf } from '../api/kinds.js';
import type { KubeObject, Job } from '../api/types.js';
import { ANNOTATIONS, DEFAULT_NAMESPACE } from '../api/types.js';

export interface AdmissionContext {
  namespace: string;
  /** Directory of the manifest file; containers without workingDir start there. */
  sourceDir?: string;
}

export function admit(input: KubeObject, ctx: AdmissionContext): KubeObject {
  const obj = structuredClone(input);
  const info = kindOf(obj.apiVersion, obj.kind);
  obj.metadata ??= {};
  // Status is the system's to write; a manifest's (say, from `get -o yaml`) is dropped, as Kubernetes does.
  delete obj.status;
  if (info?.namespaced) obj.metadata.namespace ??= ctx.namespace || DEFAULT_NAMESPACE;
  else delete obj.metadata.namespace;

  if ((obj.kind === 'Job' || obj.kind === 'Pod') && ctx.sourceDir && !obj.metadata.annotations?.[ANNOTATIONS.sourceDir]) {
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [ANNOTATIONS.sourceDir]: ctx.sourceDir };
  }
  if (obj.kind === 'Secret' && obj.stringData) {
    const data = { ...((obj.data as Record<string, string> | undefined) ?? {}) };
    for (const [k, v] of Object.entries(obj.stringData as Record<string, string>)) data[k] = Buffer.from(v).toString('base64');
    obj.data = data;
    delete obj.stringData;
  }
  if (obj.kind === 'Secret') obj.type ??= 'Opaque';
  if (obj.kind === 'Job') defaultJob(obj as KubeObject & Job);
  if (obj.kind === 'PersistentVolumeClaim') obj.status = { phase: 'Bound', accessModes: (obj.spec as { accessModes?: string[] })?.accessModes, capacity: (obj.spec as { resources?: { requests?: Record<string, string> } })?.resources?.requests };
  if (obj.kind === 'Namespace') obj.status = { phase: 'Active' };
  return obj;
}

function defaultJob(job: KubeObject & Job): void {
  const spec = job.spec!;
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  const pod = spec.template.spec;
  if (pod) {
    pod.restartPolicy ??= 'Never';
    pod.terminationGracePeriodSeconds ??= 30;
    pod.schedulerName ??= 'default-scheduler';
  }
}

/** Fields of a Job that Kubernetes does not let `apply` change once created. */
export function immutableJobChange(prev: KubeObject, next: KubeObject): string | undefined {
  const p = prev.spec as Job['spec'];
  const n = next.spec as Job['spec'];
  if (JSON.stringify(p?.template) !== JSON.stringify(n?.template)) return 'spec.template';
  if (p?.completions !== n?.completions) return 'spec.completions';
  if (p?.completionMode !== n?.completionMode) return 'spec.completionMode';
  return undefined;
}
