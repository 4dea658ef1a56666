/**
 * An Experiment's bookkeeping as pure functions, after Katib's experiment controller: the
 * summary of its trials (lists, counts, the optimal trial), when it is complete and why, how many
 * trials to add, and the Trial objects to create.
 */
import type { OwnerReference } from '../../api/types.js';
import type { Assignments, Observation as TuningObservation } from '../../tuning/index.js';
import { objectiveValue } from './metrics.js';
import { renderRunSpec, trialName } from './template.js';
import {
  KATIB_ANNOTATIONS,
  KATIB_API_VERSION,
  KATIB_LABELS,
  experimentPhase,
  isTrialFinished,
  trialPhase,
  type Condition,
  type Experiment,
  type ExperimentConditionType,
  type ExperimentReason,
  type ExperimentStatus,
  type Trial,
  type TrialPhase,
} from './types.js';

export interface TrialView {
  trial: Trial;
  phase: TrialPhase;
  /** Position in creation order. */
  index: number;
  /** The objective as the trial reported it; undefined while unknown. */
  value: number | undefined;
}

export function viewOf(trial: Trial): TrialView {
  const index = Number(trial.metadata.annotations?.[KATIB_ANNOTATIONS.trialIndex] ?? NaN);
  const metrics = trial.status?.observation?.metrics;
  return {
    trial,
    phase: trialPhase(trial),
    index: Number.isFinite(index) ? index : Number.MAX_SAFE_INTEGER,
    value: metrics ? objectiveValue(metrics, trial.spec.objective) : undefined,
  };
}

/** Trials in creation order (the order algorithms read the history in); `view` may cache viewOf. */
export function inCreationOrder(trials: readonly Trial[], view: (t: Trial) => TrialView = viewOf): TrialView[] {
  return trials.map(view).sort((a, b) => a.index - b.index || (a.trial.metadata.name ?? '').localeCompare(b.trial.metadata.name ?? ''));
}

export interface Summary {
  status: ExperimentStatus;
  goalReached: boolean;
  /** Succeeded, failed, killed, early stopped or without metrics. */
  completed: number;
  active: number;
  failed: number;
}

/** Katib's trial summary: lists and counts by phase, the optimal trial, whether the goal is reached. */
export function summarize(exp: Experiment, views: readonly TrialView[]): Summary {
  const lists: Record<TrialPhase, string[]> = { Pending: [], Running: [], Succeeded: [], Failed: [], Killed: [], EarlyStopped: [], MetricsUnavailable: [] };
  const { type, goal } = exp.spec.objective;
  let best: TrialView | undefined;
  for (const v of views) {
    lists[v.phase].push(v.trial.metadata.name!);
    if (v.value === undefined) continue;
    if (!best || (type === 'maximize' ? v.value > best.value! : v.value < best.value!)) best = v;
  }
  const goalReached = best !== undefined && goal !== undefined && (type === 'maximize' ? best.value! >= goal : best.value! <= goal);
  const status: ExperimentStatus = {
    ...(best
      ? {
          currentOptimalTrial: {
            bestTrialName: best.trial.metadata.name!,
            parameterAssignments: best.trial.spec.parameterAssignments,
            observation: { metrics: best.trial.status?.observation?.metrics ?? [] },
          },
        }
      : {}),
    ...listField('runningTrialList', lists.Running),
    ...listField('pendingTrialList', lists.Pending),
    ...listField('failedTrialList', lists.Failed),
    ...listField('succeededTrialList', lists.Succeeded),
    ...listField('killedTrialList', lists.Killed),
    ...listField('earlyStoppedTrialList', lists.EarlyStopped),
    ...listField('metricsUnavailableTrialList', lists.MetricsUnavailable),
    trials: views.length,
    trialsSucceeded: lists.Succeeded.length,
    trialsFailed: lists.Failed.length,
    trialsKilled: lists.Killed.length,
    trialsPending: lists.Pending.length,
    trialsRunning: lists.Running.length,
    trialsEarlyStopped: lists.EarlyStopped.length,
    trialMetricsUnavailable: lists.MetricsUnavailable.length,
  };
  const completed = lists.Succeeded.length + lists.Failed.length + lists.Killed.length + lists.EarlyStopped.length + lists.MetricsUnavailable.length;
  return { status, goalReached, completed, active: lists.Pending.length + lists.Running.length, failed: lists.Failed.length };
}

function listField<K extends keyof ExperimentStatus>(key: K, names: string[]): Partial<ExperimentStatus> {
  return names.length > 0 ? { [key]: names } : {};
}

export interface Completion {
  type: 'Succeeded' | 'Failed';
  reason: ExperimentReason;
  message: string;
}

/** Whether the experiment is complete now, in Katib's order: goal, failed trials, trial count, suggestions used up. */
export function completionOf(exp: Experiment, s: Summary, suggestionsExhausted: boolean): Completion | undefined {
  if (s.goalReached) return { type: 'Succeeded', reason: 'ExperimentGoalReached', message: 'Experiment has succeeded because the objective goal was reached' };
  const maxFailed = exp.spec.maxFailedTrialCount;
  if (maxFailed !== undefined && s.failed > maxFailed) {
    return { type: 'Failed', reason: 'ExperimentFailed', message: `Experiment has failed because ${s.failed} trials failed, more than maxFailedTrialCount ${maxFailed}` };
  }
  const max = exp.spec.maxTrialCount;
  if (max !== undefined && s.completed >= max) return { type: 'Succeeded', reason: 'ExperimentMaxTrialsReached', message: 'Experiment has succeeded because the max trial count was reached' };
  if (suggestionsExhausted && s.active === 0) {
    return { type: 'Succeeded', reason: 'ExperimentSuggestionEndReached', message: 'Experiment has succeeded because the algorithm has no more suggestions' };
  }
  return undefined;
}

/** How many trials to add now: up to parallelTrialCount active, never past maxTrialCount. */
export function trialsToAdd(exp: Experiment, s: Summary): number {
  const parallel = exp.spec.parallelTrialCount ?? 3;
  const max = exp.spec.maxTrialCount;
  const wanted = max === undefined ? parallel : Math.min(parallel, max - s.completed);
  return Math.max(0, wanted - s.active);
}

/** Katib lets a finished experiment go on when more trials are allowed, unless resumePolicy is Never. */
export function isRestartable(exp: Experiment, s: Summary): boolean {
  const reason = exp.status?.conditions?.find((c) => c.type === 'Succeeded' && c.status === 'True')?.reason;
  return (
    experimentPhase(exp) === 'Succeeded' &&
    reason === 'ExperimentMaxTrialsReached' &&
    (exp.spec.resumePolicy ?? 'LongRunning') !== 'Never' &&
    (exp.spec.maxTrialCount === undefined || exp.spec.maxTrialCount > s.completed)
  );
}

/** What the algorithm reads: finished trials with their objective (none for failed or killed ones) and pending assignments. */
export function historyOf(views: readonly TrialView[]): { completed: TuningObservation[]; pending: Assignments[] } {
  const completed: TuningObservation[] = [];
  const pending: Assignments[] = [];
  for (const v of views) {
    const assignments = Object.fromEntries(v.trial.spec.parameterAssignments.map((p) => [p.name, p.value]));
    if (isTrialFinished(v.phase)) completed.push({ assignments, value: v.phase === 'Succeeded' || v.phase === 'EarlyStopped' ? v.value : undefined });
    else pending.push(assignments);
  }
  return { completed, pending };
}

/** Sets a condition, keeping its transition time when its status does not change. */
export function setCondition<T extends string>(conditions: Condition<T>[] | undefined, c: Omit<Condition<T>, 'lastUpdateTime' | 'lastTransitionTime'>, now: string): Condition<T>[] {
  const out = [...(conditions ?? [])];
  const i = out.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? out[i] : undefined;
  const next: Condition<T> = { ...c, lastUpdateTime: now, lastTransitionTime: prev && prev.status === c.status ? (prev.lastTransitionTime ?? now) : now };
  if (prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message) return out;
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

export function experimentConditions(exp: Experiment, type: ExperimentConditionType, reason: ExperimentReason, message: string, now: string): Condition<ExperimentConditionType>[] {
  let conditions = exp.status?.conditions;
  if (type === 'Succeeded' || type === 'Failed') conditions = setCondition(conditions, { type: 'Running', status: 'False', reason, message }, now);
  if (type === 'Running') {
    conditions = conditions?.filter((c) => c.type !== 'Succeeded' && c.type !== 'Failed' && c.type !== 'Restarting');
  }
  return setCondition(conditions, { type, status: 'True', reason, message }, now);
}

/** The Trial for one suggestion: its run object rendered from the template, owned by the experiment. */
export function newTrial(exp: Experiment, index: number, assignments: Assignments, trialSpec: Record<string, unknown>, now: string): Trial {
  const name = trialName(exp.metadata.name!, exp.metadata.uid!, index);
  const namespace = exp.metadata.namespace!;
  const tmpl = exp.spec.trialTemplate;
  const parameterAssignments = exp.spec.parameters.map((p) => ({ name: p.name, value: assignments[p.name]! }));
  const labels = { [KATIB_LABELS.experiment]: exp.metadata.name!, [KATIB_LABELS.trial]: name };
  const kind = typeof trialSpec['kind'] === 'string' ? trialSpec['kind'] : 'Job';
  const apiVersion = typeof trialSpec['apiVersion'] === 'string' ? trialSpec['apiVersion'] : 'batch/v1';
  const specMeta = (trialSpec['metadata'] ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
  const runSpec = renderRunSpec(trialSpec, tmpl.trialParameters ?? [], parameterAssignments, {
    name,
    namespace,
    kind,
    apiVersion,
    labels: specMeta.labels ?? {},
    annotations: specMeta.annotations ?? {},
  });
  const owner: OwnerReference = { apiVersion: KATIB_API_VERSION, kind: 'Experiment', name: exp.metadata.name!, uid: exp.metadata.uid!, controller: true, blockOwnerDeletion: true };
  const sourceDir = exp.metadata.annotations?.['drover.dev/source-dir'];
  return {
    apiVersion: KATIB_API_VERSION,
    kind: 'Trial',
    metadata: {
      name,
      namespace,
      labels,
      annotations: { [KATIB_ANNOTATIONS.trialIndex]: String(index), ...(sourceDir ? { 'drover.dev/source-dir': sourceDir } : {}) },
      ownerReferences: [owner],
    },
    spec: {
      objective: exp.spec.objective,
      parameterAssignments,
      runSpec,
      ...(exp.spec.metricsCollectorSpec ? { metricsCollector: exp.spec.metricsCollectorSpec } : {}),
      ...(tmpl.primaryPodLabels ? { primaryPodLabels: tmpl.primaryPodLabels } : {}),
      ...(tmpl.primaryContainerName ? { primaryContainerName: tmpl.primaryContainerName } : {}),
      ...(tmpl.successCondition ? { successCondition: tmpl.successCondition } : {}),
      ...(tmpl.failureCondition ? { failureCondition: tmpl.failureCondition } : {}),
      retainRun: tmpl.retain ?? false,
      labels,
    },
    status: {
      conditions: [{ type: 'Created', status: 'True', reason: 'TrialCreated', message: 'Trial is created', lastUpdateTime: now, lastTransitionTime: now }],
    },
  };
}
