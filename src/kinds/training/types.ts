/**
 * Kubeflow Training Operator v1 (`kubeflow.org/v1`) jobs: the shapes Drover reads and the facts
 * that differ between frameworks (replica types, default container and port, restart policy,
 * clean-pod policy, who is the master). Everything else is shared.
 */
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { Container, KubeObject } from '../../api/types.js';

export const TRAINING_API_VERSION = 'kubeflow.org/v1';

/** The labels the training operator puts on replica pods and services. */
export const TRAINING_LABELS = {
  jobName: 'training.kubeflow.org/job-name',
  operatorName: 'training.kubeflow.org/operator-name',
  replicaType: 'training.kubeflow.org/replica-type',
  replicaIndex: 'training.kubeflow.org/replica-index',
  jobRole: 'training.kubeflow.org/job-role',
} as const;

export type ReplicaRestartPolicy = 'Always' | 'OnFailure' | 'Never' | 'ExitCode';
export type CleanPodPolicy = 'All' | 'Running' | 'None';

export interface ReplicaSpec {
  replicas?: number;
  restartPolicy?: ReplicaRestartPolicy;
  template: PodTemplateSpec;
}

export interface SchedulingPolicy {
  minAvailable?: number;
  queue?: string;
  minResources?: Record<string, string>;
  priorityClass?: string;
  scheduleTimeoutSeconds?: number;
}

export interface RunPolicy {
  cleanPodPolicy?: CleanPodPolicy;
  ttlSecondsAfterFinished?: number;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  suspend?: boolean;
  schedulingPolicy?: SchedulingPolicy;
  managedBy?: string;
}

export interface ElasticPolicy {
  minReplicas?: number;
  maxReplicas?: number;
  rdzvBackend?: string;
  rdzvPort?: number;
  rdzvHost?: string;
  rdzvId?: string;
  rdzvConf?: { key: string; value: string }[];
  standalone?: boolean;
  nProcPerNode?: number;
  maxRestarts?: number;
}

export interface JobCondition {
  type: 'Created' | 'Running' | 'Restarting' | 'Succeeded' | 'Failed' | 'Suspended';
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface ReplicaStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  selector?: string;
}

export interface TrainingJobStatus {
  conditions?: JobCondition[];
  replicaStatuses?: Record<string, ReplicaStatus>;
  startTime?: string;
  completionTime?: string;
  lastReconcileTime?: string;
}

export interface TrainingJobSpec {
  runPolicy?: RunPolicy;
  elasticPolicy?: ElasticPolicy;
  nprocPerNode?: string;
  successPolicy?: string;
  enableDynamicWorker?: boolean;
  [replicaSpecs: string]: unknown;
}

export type TrainingJob = KubeObject & { spec: TrainingJobSpec; status?: TrainingJobStatus };

/** What differs between the training operator's job kinds. */
export interface Framework {
  kind: 'PyTorchJob' | 'TFJob' | 'XGBoostJob' | 'JAXJob' | 'PaddleJob';
  plural: string;
  /** The spec field holding the replica specs (`pytorchReplicaSpecs`). */
  specsField: string;
  /** Replica types in the order pods are made, with their canonical spelling. */
  replicaTypes: readonly string[];
  container: string;
  portName: string;
  port: number;
  restartPolicy: ReplicaRestartPolicy;
  cleanPodPolicy: CleanPodPolicy;
  /** `training.kubeflow.org/operator-name`. */
  operatorName: string;
}

export const PYTORCH: Framework = {
  kind: 'PyTorchJob',
  plural: 'pytorchjobs',
  specsField: 'pytorchReplicaSpecs',
  replicaTypes: ['Master', 'Worker'],
  container: 'pytorch',
  portName: 'pytorchjob-port',
  port: 23456,
  restartPolicy: 'OnFailure',
  cleanPodPolicy: 'None',
  operatorName: 'pytorchjob-controller',
};

export const TENSORFLOW: Framework = {
  kind: 'TFJob',
  plural: 'tfjobs',
  specsField: 'tfReplicaSpecs',
  replicaTypes: ['Chief', 'Master', 'PS', 'Worker', 'Evaluator'],
  container: 'tensorflow',
  portName: 'tfjob-port',
  port: 2222,
  restartPolicy: 'Never',
  cleanPodPolicy: 'None',
  operatorName: 'tfjob-controller',
};

export const XGBOOST: Framework = {
  kind: 'XGBoostJob',
  plural: 'xgboostjobs',
  specsField: 'xgbReplicaSpecs',
  replicaTypes: ['Master', 'Worker'],
  container: 'xgboost',
  portName: 'xgboostjob-port',
  port: 9999,
  restartPolicy: 'Never',
  cleanPodPolicy: 'None',
  operatorName: 'xgboostjob-controller',
};

export const JAX: Framework = {
  kind: 'JAXJob',
  plural: 'jaxjobs',
  specsField: 'jaxReplicaSpecs',
  replicaTypes: ['Worker'],
  container: 'jax',
  portName: 'jaxjob-port',
  port: 6666,
  restartPolicy: 'Never',
  cleanPodPolicy: 'None',
  operatorName: 'jaxjob-controller',
};

export const PADDLE: Framework = {
  kind: 'PaddleJob',
  plural: 'paddlejobs',
  specsField: 'paddleReplicaSpecs',
  replicaTypes: ['Master', 'Worker'],
  container: 'paddle',
  portName: 'master',
  port: 36543,
  restartPolicy: 'OnFailure',
  cleanPodPolicy: 'None',
  operatorName: 'paddlejob-controller',
};

export const FRAMEWORKS: readonly Framework[] = [PYTORCH, TENSORFLOW, XGBOOST, JAX, PADDLE];

export function frameworkOf(kind: string): Framework | undefined {
  return FRAMEWORKS.find((f) => f.kind === kind);
}

/** The replica specs of a job, by replica type, in the framework's order. */
export function replicaSpecs(fw: Framework, job: TrainingJob): [string, ReplicaSpec][] {
  const specs = (job.spec?.[fw.specsField] ?? {}) as Record<string, ReplicaSpec>;
  const order = (t: string): number => {
    const i = fw.replicaTypes.indexOf(t);
    return i < 0 ? fw.replicaTypes.length : i;
  };
  return Object.entries(specs).sort(([a], [b]) => order(a) - order(b));
}

/** The container that carries the framework's port and variables: the one named as upstream names it, else the first. */
export function defaultContainer(fw: Framework, containers: Container[]): Container | undefined {
  return containers.find((c) => c.name === fw.container) ?? containers[0];
}
