/**
 * What the API server does to an object between validation and storage: namespace, Drover's
 * source-dir annotation, Secret `stringData`, and the defaults Kubernetes fills in for Jobs,
 * so `get -o json` shows what a cluster would.
 */
import { kindOf } from '../api/kinds.js';
import type { KubeObject, Job } from '../api/types.js';
import { ANNOTATIONS, DEFAULT_NAMESPACE, LABELS } from '../api/types.js';
import { randomUUID } from 'node:crypto';
import { isRecord } from '../api/fieldpath.js';
import { DEFAULT_METRICS_FILE, JOB_FAILURE_CONDITION, JOB_SUCCESS_CONDITION } from '../kinds/experiments/types.js';

export interface AdmissionContext {
  namespace: string;
  /** Directory of the manifest file; containers without workingDir start there. */
  sourceDir?: string;
}

/** Kinds whose steps start in the manifest's directory when they give no workingDir. */
const SOURCE_DIR_KINDS = new Set(['Job', 'Pod', 'Workflow', 'CronWorkflow', 'WorkflowTemplate', 'ClusterWorkflowTemplate', 'Experiment']);

export function admit(input: KubeObject, ctx: AdmissionContext): KubeObject {
  const obj = structuredClone(input);
  const info = kindOf(obj.apiVersion, obj.kind);
  obj.metadata ??= {};
  // Identity and history are the server's; values copied from `get -o yaml` are dropped.
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'deletionTimestamp', 'managedFields'] as const) delete obj.metadata[k];
  // Status is the system's to write; a manifest's (say, from `get -o yaml`) is dropped, as Kubernetes does.
  delete obj.status;
  if (info?.namespaced) obj.metadata.namespace ??= ctx.namespace || DEFAULT_NAMESPACE;
  else delete obj.metadata.namespace;

  if (SOURCE_DIR_KINDS.has(obj.kind) && ctx.sourceDir && !obj.metadata.annotations?.[ANNOTATIONS.sourceDir]) {
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
  if (obj.kind === 'Experiment') defaultExperiment(obj);
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

function record(v: unknown): Record<string, unknown> | undefined {
  return isRecord(v) ? v : undefined;
}

/**
 * Katib's defaults for an Experiment (its mutating webhook), so `get -o yaml` shows what a cluster
 * would. Departures: resumePolicy defaults to LongRunning (Katib ≥ 0.15 says Never); distribution
 * defaults to uniform only on int and double parameters (lists take none here); a trial Job with
 * one container gets it as primaryContainerName.
 */
export function defaultExperiment(exp: KubeObject): void {
  const spec = record(exp.spec);
  if (!spec) return;
  spec.parallelTrialCount ??= 3;
  if (spec.resumePolicy === undefined || spec.resumePolicy === '') spec.resumePolicy = 'LongRunning';

  const objective = record(spec.objective);
  if (objective) {
    const strategies = Array.isArray(objective.metricStrategies) ? (objective.metricStrategies as unknown[]) : [];
    const has = new Set(strategies.map((s) => record(s)?.name));
    // Every metric without a strategy follows the objective's direction, as Katib's defaulter does.
    const value = objective.type === 'minimize' ? 'min' : objective.type === 'maximize' ? 'max' : 'latest';
    const metrics = [objective.objectiveMetricName, ...(Array.isArray(objective.additionalMetricNames) ? objective.additionalMetricNames : [])];
    for (const name of metrics) {
      if (typeof name !== 'string' || name === '' || has.has(name)) continue;
      strategies.push({ name, value });
      has.add(name);
    }
    objective.metricStrategies = strategies;
  }

  const tt = record(spec.trialTemplate);
  const trialSpec = record(tt?.trialSpec);
  if (tt && trialSpec?.kind === 'Job') {
    if (!tt.successCondition) tt.successCondition = JOB_SUCCESS_CONDITION;
    if (!tt.failureCondition) tt.failureCondition = JOB_FAILURE_CONDITION;
    const containers = record(record(record(trialSpec.spec)?.template)?.spec)?.containers;
    const only = Array.isArray(containers) && containers.length === 1 ? record(containers[0])?.name : undefined;
    if (!tt.primaryContainerName && typeof only === 'string') tt.primaryContainerName = only;
  }

  const mc = record(spec.metricsCollectorSpec) ?? {};
  spec.metricsCollectorSpec = mc;
  const collector = record(mc.collector) ?? { kind: 'StdOut' };
  mc.collector = collector;
  if (collector.kind === 'File') {
    const source = record(mc.source) ?? {};
    mc.source = source;
    const fsp = record(source.fileSystemPath) ?? {};
    source.fileSystemPath = fsp;
    if (!fsp.kind) fsp.kind = 'File';
    if (!fsp.path) fsp.path = DEFAULT_METRICS_FILE;
    if (!fsp.format) fsp.format = 'TEXT';
  }

  if (Array.isArray(spec.parameters)) {
    for (const p of spec.parameters) {
      const param = record(p);
      const fs = record(param?.feasibleSpace);
      if (fs && (param?.parameterType === 'int' || param?.parameterType === 'double') && !fs.distribution) fs.distribution = 'uniform';
    }
  }
}

/**
 * Gives a new object its uid before it is stored, and what Kubernetes derives from it: a Job's
 * selector and template labels (`controller-uid`), a claim's volume name.
 */
export function prepareCreate(obj: KubeObject): KubeObject {
  const uid = randomUUID();
  obj.metadata.uid = uid;
  if (obj.kind === 'Job') {
    const spec = (obj as KubeObject & Job).spec!;
    const name = obj.metadata.name ?? '';
    spec.selector ??= { matchLabels: { [LABELS.batchControllerUid]: uid } };
    spec.template.metadata = {
      ...(spec.template.metadata ?? {}),
      labels: { ...(spec.template.metadata?.labels ?? {}), [LABELS.batchControllerUid]: uid, [LABELS.batchJobName]: name, [LABELS.controllerUid]: uid, [LABELS.jobName]: name },
    };
  }
  if (obj.kind === 'PersistentVolumeClaim') (obj.spec as Record<string, unknown>).volumeName ??= `pvc-${uid}`;
  return obj;
}

/** On apply over an existing object, keeps what prepareCreate derived, so an unchanged manifest stays unchanged. */
export function inheritDerived(existing: KubeObject, next: KubeObject): KubeObject {
  if (next.kind === 'Job') {
    const prev = (existing as KubeObject & Job).spec!;
    const spec = (next as KubeObject & Job).spec!;
    spec.selector ??= prev.selector;
    const derived = Object.fromEntries(
      Object.entries(prev.template.metadata?.labels ?? {}).filter(([k]) => [LABELS.batchControllerUid, LABELS.batchJobName, LABELS.controllerUid, LABELS.jobName].includes(k as never)),
    );
    spec.template.metadata = { ...(spec.template.metadata ?? {}), labels: { ...(spec.template.metadata?.labels ?? {}), ...derived } };
  }
  if (next.kind === 'PersistentVolumeClaim') (next.spec as Record<string, unknown>).volumeName ??= (existing.spec as Record<string, unknown>).volumeName;
  return next;
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
