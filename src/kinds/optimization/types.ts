/**
 * Kubeflow Trainer's OptimizationJob (`trainer.kubeflow.org/v1alpha1`, KEP-2605 phase 1): tune a
 * TrainJob's hyperparameters. Each trial is a TrainJob rendered from `trainJobTemplate` with the
 * trial's values in its `{{.name}}` placeholders; its objective comes from what its pods push
 * to `status.trainerStatus.metrics` (no log scraping, no Trial objects).
 */
import type { KubeObject } from '../../api/types.js';

export const OPTIMIZATION_API_VERSION = 'trainer.kubeflow.org/v1alpha1';

export const OPTIMIZATION_LABELS = {
  /** On each trial TrainJob: its OptimizationJob. */
  job: 'trainer.kubeflow.org/optimizationjob-name',
} as const;

export const OPTIMIZATION_ANNOTATIONS = {
  /** On each trial TrainJob: its parameter values, JSON `{"name": "value"}`. */
  parameters: 'trainer.kubeflow.org/trial-parameters',
  /** On each trial TrainJob: its number, from 0 in creation order (the algorithms read the order). */
  index: 'trainer.kubeflow.org/trial-index',
} as const;

export interface SettingKV {
  name: string;
  value: string;
}

export interface SearchSpace {
  type: 'int' | 'double' | 'categorical';
  min?: string;
  max?: string;
  list?: string[];
  /** Drover's addition (Katib's values): `logUniform` searches min..max on a log scale. */
  distribution?: 'uniform' | 'logUniform';
}

export interface OptimizationParameter {
  name: string;
  searchSpace: SearchSpace;
}

export interface Objective {
  metric: string;
  direction: 'maximize' | 'minimize';
}

export interface OptimizationJobSpec {
  objectives: Objective[];
  algorithm: { name: string; provider?: string; settings?: SettingKV[] };
  parameters: OptimizationParameter[];
  trialConfig?: { numTrials?: number; parallelTrials?: number; maxFailedTrials?: number };
  trainJobTemplate: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown> };
}

export interface OptimizationCondition {
  type: 'Created' | 'Running' | 'Succeeded' | 'Failed';
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface BestTrial {
  name: string;
  value: string;
  parameters: SettingKV[];
}

export interface OptimizationJobStatus {
  phase?: 'Created' | 'Running' | 'Succeeded' | 'Failed';
  conditions?: OptimizationCondition[];
  active?: number;
  suspended?: number;
  succeeded?: number;
  failed?: number;
  bestTrial?: BestTrial;
}

export type OptimizationJob = KubeObject & { spec: OptimizationJobSpec; status?: OptimizationJobStatus };

/** The defaults of the Kubeflow SDK's TrialConfig. */
export const DEFAULT_NUM_TRIALS = 10;
export const DEFAULT_PARALLEL_TRIALS = 1;
