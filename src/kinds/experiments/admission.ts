/** What Katib's mutating webhook does to an Experiment, done by Drover's API server. */
import type { KubeObject } from '../../api/index.js';
import { isRecord } from '../../api/fieldpath.js';
import type { KindAdmission } from '../types.js';
import { DEFAULT_METRICS_FILE, JOB_FAILURE_CONDITION, JOB_SUCCESS_CONDITION, KUBEFLOW_JOB_PRIMARY_POD_LABELS, KUBEFLOW_JOB_SUCCESS_CONDITION } from './types.js';

function record(v: unknown): Record<string, unknown> | undefined {
  return isRecord(v) ? v : undefined;
}

/**
 * Katib's defaults for an Experiment (its mutating webhook), so `get -o yaml` shows what a cluster
 * would. Departures: resumePolicy defaults to LongRunning (Katib ≥ 0.15 says Never); distribution
 * defaults to uniform only on int and double parameters (lists take none here); a trial Job with
 * one container gets it as primaryContainerName.
 */
function defaultExperiment(exp: KubeObject): void {
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
  if (tt && trialSpec?.kind === 'PyTorchJob' && trialSpec.apiVersion === 'kubeflow.org/v1') {
    if (!tt.successCondition) tt.successCondition = KUBEFLOW_JOB_SUCCESS_CONDITION;
    if (!tt.failureCondition) tt.failureCondition = JOB_FAILURE_CONDITION;
    if (!tt.primaryPodLabels) tt.primaryPodLabels = { ...KUBEFLOW_JOB_PRIMARY_POD_LABELS };
    if (!tt.primaryContainerName) tt.primaryContainerName = 'pytorch';
  }
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

export const EXPERIMENT_ADMISSION: KindAdmission = {
  sourceDir: true,
  defaults: defaultExperiment,
  /** The trial template's pods (a Job's template), checked again when each trial's Job is made. */
  podSpecs(exp) {
    const job = record(record(record(exp.spec)?.trialTemplate)?.trialSpec);
    const replicas = record(record(job?.spec)?.pytorchReplicaSpecs);
    if (job?.kind === 'PyTorchJob' && replicas) {
      return Object.entries(replicas).flatMap(([type, r]) => {
        const spec = record(record(record(r)?.template)?.spec);
        return spec ? [{ path: `spec.trialTemplate.trialSpec.spec.pytorchReplicaSpecs.${type}.template.spec`, spec }] : [];
      });
    }
    const spec = record(record(record(job?.spec)?.template)?.spec);
    return spec ? [{ path: 'spec.trialTemplate.trialSpec.spec.template.spec', spec }] : [];
  },
  /** The File collector reads each trial's metrics file from a directory of the server's machine. */
  needs(exp) {
    const kind = record(record(record(exp.spec)?.metricsCollectorSpec)?.collector)?.kind;
    return kind === 'File' ? { need: 'hostPaths', why: "the File metrics collector reads each trial's file from a directory of the server's machine" } : undefined;
  },
};
