/**
 * Experiments and trials for the CLI's tests, shaped as Katib's controller writes them.
 */
import type { KubeObject } from '../../../api/types.js';
import type { Condition, Metric, ObjectiveSpec, ParameterAssignment } from '../types.js';

export const NOW = Date.parse('2024-01-01T01:00:00Z');
export const ago = (ms: number): string => new Date(NOW - ms).toISOString();

export function cond<T extends string>(type: T, status: 'True' | 'False', reason: string, message = ''): Condition<T> {
  return { type, status, reason, message, lastTransitionTime: ago(60_000), lastUpdateTime: ago(60_000) };
}

export function metric(name: string, min: string, max: string, latest: string): Metric {
  return { name, min, max, latest };
}

const params = (text: string): ParameterAssignment[] =>
  text.split(',').map((kv) => ({ name: kv.slice(0, kv.indexOf('=')), value: kv.slice(kv.indexOf('=') + 1) }));

export const MAXIMIZE: ObjectiveSpec = {
  type: 'maximize', goal: 0.99, objectiveMetricName: 'accuracy', additionalMetricNames: ['loss'],
  metricStrategies: [{ name: 'accuracy', value: 'max' }, { name: 'loss', value: 'latest' }],
};

export const MINIMIZE: ObjectiveSpec = { type: 'minimize', objectiveMetricName: 'loss' };

/** `tune`: maximizing accuracy, 7 of 12 trials done, 2 running and 1 pending. */
export function runningExperiment(): KubeObject {
  return {
    apiVersion: 'kubeflow.org/v1beta1', kind: 'Experiment',
    metadata: { name: 'tune', namespace: 'default', creationTimestamp: ago(300_000), labels: { team: 'ml' } },
    spec: {
      objective: MAXIMIZE,
      algorithm: { algorithmName: 'bayesianoptimization', algorithmSettings: [{ name: 'random_state', value: '10' }, { name: 'n_initial_points', value: '4' }] },
      earlyStopping: { algorithmName: 'medianstop', algorithmSettings: [{ name: 'min_trials_required', value: '3' }] },
      parameters: [
        { name: 'lr', parameterType: 'double', feasibleSpace: { min: '0.001', max: '0.1', distribution: 'logUniform' } },
        { name: 'layers', parameterType: 'int', feasibleSpace: { min: '2', max: '5', step: '1' } },
        { name: 'optimizer', parameterType: 'categorical', feasibleSpace: { list: ['sgd', 'adam'] } },
      ],
      trialTemplate: {},
      parallelTrialCount: 3, maxTrialCount: 12, maxFailedTrialCount: 3,
    },
    status: {
      startTime: ago(290_000),
      conditions: [
        cond('Created', 'True', 'ExperimentCreated', 'Experiment is created'),
        cond('Running', 'True', 'ExperimentRunning', 'Experiment is running'),
      ],
      currentOptimalTrial: {
        bestTrialName: 'tune-ab12cd34',
        parameterAssignments: params('lr=0.0123,layers=3,optimizer=adam'),
        observation: { metrics: [metric('accuracy', '0.8811', '0.9312', '0.9299'), metric('loss', '0.2011', '0.4402', '0.2011')] },
      },
      trials: 10, trialsPending: 1, trialsRunning: 2, trialsSucceeded: 6, trialsFailed: 1, trialsKilled: 0, trialsEarlyStopped: 0, trialMetricsUnavailable: 0,
    },
  };
}

/** `sweep`: minimizing loss, ended by its trial budget for good (resumePolicy Never). */
export function succeededExperiment(): KubeObject {
  return {
    apiVersion: 'kubeflow.org/v1beta1', kind: 'Experiment',
    metadata: { name: 'sweep', namespace: 'default', creationTimestamp: ago(7_200_000) },
    spec: {
      objective: MINIMIZE,
      algorithm: { algorithmName: 'random' },
      parameters: [{ name: 'lr', parameterType: 'double', feasibleSpace: { min: '0.01', max: '0.1' } }],
      trialTemplate: {},
      parallelTrialCount: 2, maxTrialCount: 12, maxFailedTrialCount: 3, resumePolicy: 'Never',
    },
    status: {
      startTime: ago(7_100_000), completionTime: ago(3_600_000),
      conditions: [
        cond('Created', 'True', 'ExperimentCreated', 'Experiment is created'),
        cond('Running', 'False', 'ExperimentRunning', 'Experiment is running'),
        cond('Succeeded', 'True', 'ExperimentMaxTrialsReached', 'Experiment has succeeded because max trial count has reached'),
      ],
      currentOptimalTrial: {
        bestTrialName: 'sweep-9f8e7d6c',
        parameterAssignments: params('lr=0.042'),
        observation: { metrics: [metric('loss', '0.2145', '0.9', '0.2301')] },
      },
      trials: 12, trialsSucceeded: 10, trialsFailed: 1, trialsEarlyStopped: 1,
    },
  };
}

/** `broken`: failed because too many trials failed. */
export function failedExperiment(): KubeObject {
  const exp = succeededExperiment();
  exp.metadata = { name: 'broken', namespace: 'default', creationTimestamp: ago(600_000) };
  exp['status'] = {
    startTime: ago(590_000), completionTime: ago(60_000),
    conditions: [
      cond('Created', 'True', 'ExperimentCreated', 'Experiment is created'),
      cond('Running', 'False', 'ExperimentRunning', 'Experiment is running'),
      cond('Failed', 'True', 'ExperimentFailed', 'Experiment has failed because max failed count has reached'),
    ],
    trials: 4, trialsSucceeded: 0, trialsFailed: 4,
  };
  return exp;
}

export interface TrialOptions {
  objective?: ObjectiveSpec;
  experiment?: string;
  metrics?: Metric[];
  phase?: 'Running' | 'Succeeded' | 'Failed' | 'Pending';
  createdMsAgo?: number;
}

export function trial(name: string, assignments: string, opts: TrialOptions = {}): KubeObject {
  const objective = opts.objective ?? MAXIMIZE;
  const phase = opts.phase ?? 'Succeeded';
  const conditions: Condition<string>[] = [];
  if (phase !== 'Pending') {
    conditions.push(cond('Created', 'True', 'TrialCreated', 'Trial is created'));
    conditions.push(cond('Running', phase === 'Running' ? 'True' : 'False', 'TrialRunning', 'Trial is running'));
  }
  if (phase === 'Succeeded') conditions.push(cond('Succeeded', 'True', 'TrialSucceeded', 'Trial has succeeded'));
  if (phase === 'Failed') conditions.push(cond('Failed', 'True', 'TrialFailed', 'Trial has failed. Job message: exit code 1'));
  const experiment = opts.experiment ?? 'tune';
  return {
    apiVersion: 'kubeflow.org/v1beta1', kind: 'Trial',
    metadata: {
      name, namespace: 'default', creationTimestamp: ago(opts.createdMsAgo ?? 120_000),
      labels: { 'katib.kubeflow.org/experiment': experiment, 'katib.kubeflow.org/trial': name },
      ownerReferences: [{ apiVersion: 'kubeflow.org/v1beta1', kind: 'Experiment', name: experiment, uid: 'u1', controller: true }],
    },
    spec: {
      objective, parameterAssignments: params(assignments),
      runSpec: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name } },
    },
    status: {
      ...(phase !== 'Pending' ? { startTime: ago(110_000) } : {}),
      ...(phase === 'Succeeded' || phase === 'Failed' ? { completionTime: ago(50_000) } : {}),
      conditions,
      ...(opts.metrics ? { observation: { metrics: opts.metrics } } : {}),
    },
  };
}
