/**
 * Katib v1beta1 types (kubeflow.org/v1beta1 Experiment and Trial), with Katib's field names.
 * No maintained TypeScript package carries them, so they are declared here from Katib's API
 * reference; only the fields Drover reads or writes are typed.
 */
import type { ObjectMeta } from '../../api/types.js';
import type { Distribution, ParameterType } from '../../tuning/index.js';

export const KATIB_API_VERSION = 'kubeflow.org/v1beta1';

/** Labels Katib puts on trials and on what trials run. */
export const KATIB_LABELS = {
  experiment: 'katib.kubeflow.org/experiment',
  trial: 'katib.kubeflow.org/trial',
} as const;

/** Drover's own annotations on Katib kinds. */
export const KATIB_ANNOTATIONS = {
  /** On an Experiment: start from the observations of this finished experiment (same namespace). */
  warmStartFrom: 'drover.dev/warm-start-from',
  /** On a Trial: its position in the experiment's creation order (0, 1, …). */
  trialIndex: 'drover.dev/trial-index',
} as const;

/** Katib's trial conditions for a batch/v1 Job: GJSON paths over the Job, true once it completed or failed. */
export const JOB_SUCCESS_CONDITION = 'status.conditions.#(type=="Complete")#|#(status=="True")#';
export const JOB_FAILURE_CONDITION = 'status.conditions.#(type=="Failed")#|#(status=="True")#';
/** Katib's defaults for Kubeflow training jobs (PyTorchJob): the operator's Succeeded condition; Failed as a Job's. */
export const KUBEFLOW_JOB_SUCCESS_CONDITION = 'status.conditions.#(type=="Succeeded")#|#(status=="True")#';
/** Katib's default primary pod of a Kubeflow training job: its master replica. */
export const KUBEFLOW_JOB_PRIMARY_POD_LABELS: Readonly<Record<string, string>> = { 'training.kubeflow.org/job-role': 'master' };
/** Where Katib's File collector reads metrics when no path is given. */
export const DEFAULT_METRICS_FILE = '/var/log/katib/metrics.log';

/** The value Katib reports for a metric that was never seen. */
export const UNAVAILABLE = 'unavailable';

export type MetricStrategyValue = 'min' | 'max' | 'latest';
export type ObjectiveTypeName = 'minimize' | 'maximize';

export interface FeasibleSpaceSpec {
  min?: string;
  max?: string;
  step?: string;
  list?: string[];
  distribution?: Distribution | '';
}

export interface ParameterSpecManifest {
  name: string;
  parameterType: ParameterType;
  feasibleSpace: FeasibleSpaceSpec;
}

export interface ObjectiveSpec {
  type: ObjectiveTypeName;
  goal?: number;
  objectiveMetricName: string;
  additionalMetricNames?: string[];
  metricStrategies?: { name: string; value: MetricStrategyValue }[];
}

export interface AlgorithmSetting {
  name: string;
  value: string;
}

export interface AlgorithmSpec {
  algorithmName: string;
  algorithmSettings?: AlgorithmSetting[];
}

export type CollectorKind = 'StdOut' | 'File' | 'Push' | 'None';

export interface MetricsCollectorSpec {
  source?: {
    fileSystemPath?: { path?: string; kind?: 'File' | 'Directory'; format?: 'TEXT' | 'JSON' };
    filter?: { metricsFormat?: string[] };
  };
  collector?: { kind: CollectorKind };
}

export interface TrialParameterSpec {
  name: string;
  description?: string;
  reference: string;
}

export interface TrialTemplate {
  retain?: boolean;
  trialSpec?: Record<string, unknown>;
  configMap?: { configMapName?: string; configMapNamespace?: string; templatePath?: string };
  trialParameters?: TrialParameterSpec[];
  primaryPodLabels?: Record<string, string>;
  primaryContainerName?: string;
  successCondition?: string;
  failureCondition?: string;
}

export type ResumePolicy = 'Never' | 'LongRunning' | 'FromVolume';

export interface ExperimentSpec {
  parameters: ParameterSpecManifest[];
  objective: ObjectiveSpec;
  algorithm: AlgorithmSpec;
  earlyStopping?: AlgorithmSpec;
  trialTemplate: TrialTemplate;
  parallelTrialCount?: number;
  maxTrialCount?: number;
  maxFailedTrialCount?: number;
  metricsCollectorSpec?: MetricsCollectorSpec;
  resumePolicy?: ResumePolicy;
}

export interface Metric {
  name: string;
  min: string;
  max: string;
  latest: string;
}

export interface Observation {
  metrics?: Metric[];
}

export interface ParameterAssignment {
  name: string;
  value: string;
}

export type ExperimentConditionType = 'Created' | 'Running' | 'Restarting' | 'Succeeded' | 'Failed';

export interface Condition<T extends string> {
  type: T;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export type ExperimentReason =
  | 'ExperimentCreated'
  | 'ExperimentRunning'
  | 'ExperimentRestarting'
  | 'ExperimentGoalReached'
  | 'ExperimentMaxTrialsReached'
  | 'ExperimentSuggestionEndReached'
  | 'ExperimentFailed';

export interface ExperimentStatus {
  startTime?: string;
  completionTime?: string;
  lastReconcileTime?: string;
  conditions?: Condition<ExperimentConditionType>[];
  currentOptimalTrial?: {
    bestTrialName?: string;
    parameterAssignments?: ParameterAssignment[];
    observation?: Observation;
  };
  runningTrialList?: string[];
  pendingTrialList?: string[];
  failedTrialList?: string[];
  succeededTrialList?: string[];
  killedTrialList?: string[];
  earlyStoppedTrialList?: string[];
  metricsUnavailableTrialList?: string[];
  trials?: number;
  trialsSucceeded?: number;
  trialsFailed?: number;
  trialsKilled?: number;
  trialsPending?: number;
  trialsRunning?: number;
  trialsEarlyStopped?: number;
  trialMetricsUnavailable?: number;
}

export interface Experiment {
  apiVersion: string;
  kind: 'Experiment';
  metadata: ObjectMeta;
  spec: ExperimentSpec;
  status?: ExperimentStatus;
  [field: string]: unknown;
}

export type TrialConditionType = 'Created' | 'Running' | 'Succeeded' | 'Killed' | 'Failed' | 'MetricsUnavailable' | 'EarlyStopped';

export type TrialReason =
  | 'TrialCreated'
  | 'TrialRunning'
  | 'TrialSucceeded'
  | 'TrialKilled'
  | 'TrialFailed'
  | 'TrialMetricsUnavailable'
  | 'TrialEarlyStopped';

export interface EarlyStoppingRule {
  name: string;
  value: string;
  comparison: 'equal' | 'less' | 'greater';
  startStep?: number;
}

export interface TrialSpec {
  objective: ObjectiveSpec;
  parameterAssignments: ParameterAssignment[];
  earlyStoppingRules?: EarlyStoppingRule[];
  /** The Job (or other trial kind) to run, with every `${trialParameters.x}` substituted. */
  runSpec: Record<string, unknown>;
  metricsCollector?: MetricsCollectorSpec;
  primaryPodLabels?: Record<string, string>;
  primaryContainerName?: string;
  successCondition?: string;
  failureCondition?: string;
  retainRun?: boolean;
  labels?: Record<string, string>;
}

export interface TrialStatus {
  startTime?: string;
  completionTime?: string;
  lastReconcileTime?: string;
  conditions?: Condition<TrialConditionType>[];
  observation?: Observation;
}

export interface Trial {
  apiVersion: string;
  kind: 'Trial';
  metadata: ObjectMeta;
  spec: TrialSpec;
  status?: TrialStatus;
  [field: string]: unknown;
}

/** The phase a trial's conditions amount to, as Katib's helpers (IsSucceeded, IsKilled, …) read them. */
export type TrialPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Killed' | 'EarlyStopped' | 'MetricsUnavailable';

/** The phase an experiment's conditions amount to. */
export type ExperimentPhase = 'Created' | 'Running' | 'Restarting' | 'Succeeded' | 'Failed';

function lastTrue<T extends string, O extends T>(conditions: Condition<T>[] | undefined, order: readonly O[]): O | undefined {
  for (const type of order) {
    if (conditions?.some((c) => c.type === type && c.status === 'True')) return type;
  }
  return undefined;
}

/** Terminal conditions win over Running, Running over Created. */
export function trialPhase(trial: Pick<Trial, 'status'>): TrialPhase {
  const t = lastTrue(trial.status?.conditions, ['Killed', 'Failed', 'Succeeded', 'EarlyStopped', 'MetricsUnavailable', 'Running'] as const);
  return t ?? 'Pending';
}

export function experimentPhase(exp: Pick<Experiment, 'status'>): ExperimentPhase {
  return lastTrue(exp.status?.conditions, ['Succeeded', 'Failed', 'Restarting', 'Running', 'Created'] as const) ?? 'Created';
}

export function isTrialFinished(phase: TrialPhase): boolean {
  return phase !== 'Pending' && phase !== 'Running';
}
