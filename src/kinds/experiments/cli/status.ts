/**
 * What the CLI reads off Katib Experiments and Trials, as pure functions: phases and their
 * reasons, trial counts, the best trial so far, the order trials are listed in, the wait
 * progress line, and when waiting on a condition can stop early.
 */
import type { KubeObject } from '../../../api/types.js';
import {
  experimentPhase, isTrialFinished, KATIB_LABELS, trialPhase, UNAVAILABLE,
  type Condition, type Experiment, type ExperimentPhase, type Metric, type MetricStrategyValue, type ObjectiveSpec, type Observation,
  type ParameterAssignment, type Trial, type TrialPhase,
} from '../types.js';
import { metricNumber, objectiveStrategy, objectiveValue } from '../metrics.js';
import type { KindWait } from '../../types.js';

export function asExperiment(obj: KubeObject): Experiment {
  return obj as unknown as Experiment;
}

export function asTrial(obj: KubeObject): Trial {
  return obj as unknown as Trial;
}

// ---------------------------------------------------------------- metrics

/**
 * The strategy a metric is read with: the objective metric's as the experiment controller reads
 * it; another metric's own entry in metricStrategies, else Katib's default for every metric (min
 * when minimizing, max when maximizing).
 */
export function strategyFor(objective: ObjectiveSpec | undefined, metricName: string): MetricStrategyValue {
  if (objective && metricName === objective.objectiveMetricName) return objectiveStrategy(objective);
  const given = objective?.metricStrategies?.find((s) => s.name === metricName)?.value;
  if (given) return given;
  return objective?.type === 'minimize' ? 'min' : objective?.type === 'maximize' ? 'max' : 'latest';
}

/** One metric under a strategy, latest when min or max is unavailable; undefined when not a number. */
export function metricValue(metric: Metric | undefined, strategy: MetricStrategyValue): number | undefined {
  if (!metric) return undefined;
  const chosen = metric[strategy];
  const n = metricNumber(chosen === UNAVAILABLE ? metric.latest : chosen);
  return n === undefined || Number.isNaN(n) ? undefined : n;
}

/** The value that ranks an observation under an objective (the shared experiments helper). */
export function observedObjective(observation: Observation | undefined, objective: ObjectiveSpec | undefined): number | undefined {
  if (!objective?.objectiveMetricName) return undefined;
  return objectiveValue(observation?.metrics ?? [], objective);
}

/** A metric value for tables and progress lines: at most 6 significant digits (`0.931235`). */
export function formatMetric(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** `lr=0.1,layers=3` in the order assigned, or `<none>`. */
export function formatAssignments(assignments: readonly ParameterAssignment[] | undefined): string {
  return assignments?.length ? assignments.map((a) => `${a.name}=${a.value}`).join(',') : '<none>';
}

/** The true condition that gives a phase, for its reason and message. */
function phaseCondition<T extends string>(conditions: Condition<T>[] | undefined, phase: string): Condition<T> | undefined {
  return conditions?.find((c) => c.type === phase && c.status === 'True');
}

/** `REASON: message`, either part left out when empty. */
export function reasonAndMessage(c: { reason?: string; message?: string } | undefined): string {
  return [c?.reason, c?.message?.trim()].filter((p): p is string => !!p).join(': ');
}

// ---------------------------------------------------------------- experiments

/** The reason of the condition behind the experiment's phase (`ExperimentGoalReached`). */
export function experimentReason(exp: Experiment): string | undefined {
  return phaseCondition(exp.status?.conditions, experimentPhase(exp))?.reason || undefined;
}

export function experimentPhaseCondition(exp: Experiment): Condition<string> | undefined {
  return phaseCondition(exp.status?.conditions, experimentPhase(exp));
}

export interface TrialCounts {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  killed: number;
  earlyStopped: number;
  metricsUnavailable: number;
  /** Trials that reached an end: succeeded, failed, killed, early stopped or without metrics. */
  done: number;
}

/** The status counters, falling back to the lengths of the trial name lists. */
export function trialCounts(exp: Experiment): TrialCounts {
  const s = exp.status ?? {};
  const n = (count: number | undefined, list: string[] | undefined) => count ?? list?.length ?? 0;
  const c = {
    pending: n(s.trialsPending, s.pendingTrialList),
    running: n(s.trialsRunning, s.runningTrialList),
    succeeded: n(s.trialsSucceeded, s.succeededTrialList),
    failed: n(s.trialsFailed, s.failedTrialList),
    killed: n(s.trialsKilled, s.killedTrialList),
    earlyStopped: n(s.trialsEarlyStopped, s.earlyStoppedTrialList),
    metricsUnavailable: n(s.trialMetricsUnavailable, s.metricsUnavailableTrialList),
  };
  const done = c.succeeded + c.failed + c.killed + c.earlyStopped + c.metricsUnavailable;
  return { ...c, done, total: s.trials ?? done + c.pending + c.running };
}

export interface BestTrial {
  /** The objective metric's name. */
  metric: string;
  value: number;
  /** The trial's name; empty when the status does not say. */
  trial: string;
  assignments: ParameterAssignment[];
}

/** The optimal trial so far, when one has an objective value. */
export function bestTrial(exp: Experiment): BestTrial | undefined {
  const opt = exp.status?.currentOptimalTrial;
  const value = observedObjective(opt?.observation, exp.spec?.objective);
  if (value === undefined) return undefined;
  return { metric: exp.spec.objective.objectiveMetricName, value, trial: opt?.bestTrialName ?? '', assignments: opt?.parameterAssignments ?? [] };
}

/** BEST: `accuracy=0.9312`, or `<none>` before any trial reported it. */
export function bestText(exp: Experiment): string {
  const b = bestTrial(exp);
  return b ? `${b.metric}=${formatMetric(b.value)}` : '<none>';
}

/** TRIALS (R/S/F): running/succeeded/failed. */
export function trialsRSF(exp: Experiment): string {
  const c = trialCounts(exp);
  return `${c.running}/${c.succeeded}/${c.failed}`;
}

/** DONE/MAX: `12/30`; `12/-` without a maximum. */
export function doneOfMax(exp: Experiment): string {
  const max = exp.spec?.maxTrialCount;
  return `${trialCounts(exp).done}/${max ?? '-'}`;
}

/**
 * The state `wait` shows for an experiment:
 * `7/12 trials done (2 running), best accuracy=0.9312 (tune-ab12cd34)`, led by the phase when it
 * is neither Created nor Running.
 */
export function experimentProgress(exp: Experiment): string {
  const c = trialCounts(exp);
  const max = exp.spec?.maxTrialCount;
  const inFlight = [`${c.running} running`];
  if (c.pending > 0) inFlight.push(`${c.pending} pending`);
  const b = bestTrial(exp);
  const best = b ? `best ${b.metric}=${formatMetric(b.value)}${b.trial ? ` (${b.trial})` : ''}` : 'no best trial yet';
  const phase = experimentPhase(exp);
  const lead = phase === 'Created' || phase === 'Running' ? '' : `${phase}, `;
  return `${lead}${c.done}${max != null ? `/${max}` : ''} trials done (${inFlight.join(', ')}), ${best}`;
}

// ---------------------------------------------------------------- trials

export function trialObjective(trial: Trial): number | undefined {
  return observedObjective(trial.status?.observation, trial.spec?.objective);
}

/** OBJECTIVE: `accuracy=0.9312`, or `<none>` before the trial reported it. */
export function trialObjectiveText(trial: Trial): string {
  const v = trialObjective(trial);
  return v === undefined ? '<none>' : `${trial.spec.objective.objectiveMetricName}=${formatMetric(v)}`;
}

/**
 * The metrics besides the objective (`loss=0.31,recall=0.8`) under their strategies: the declared
 * additional metrics first, then any other metric the trial reported; `<none>` when there are none.
 */
export function additionalMetricsText(objective: ObjectiveSpec | undefined, observation: Observation | undefined): string {
  const observed = observation?.metrics ?? [];
  const names = [...(objective?.additionalMetricNames ?? [])];
  for (const m of observed) if (m.name !== objective?.objectiveMetricName && !names.includes(m.name)) names.push(m.name);
  const parts: string[] = [];
  for (const name of names) {
    const v = metricValue(observed.find((m) => m.name === name), strategyFor(objective, name));
    if (v !== undefined) parts.push(`${name}=${formatMetric(v)}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

export function trialExperiment(trial: Trial): string {
  return trial.metadata?.labels?.[KATIB_LABELS.experiment] ?? '';
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Trials best first: grouped by namespace and experiment, then by objective value in the
 * direction of the trial's own objective; trials without a value after those with one; ties and
 * the rest in creation order, then by name.
 */
export function compareTrials(a: Trial, b: Trial): number {
  const group = byText(a.metadata?.namespace ?? '', b.metadata?.namespace ?? '') || byText(trialExperiment(a), trialExperiment(b));
  if (group) return group;
  const va = trialObjective(a);
  const vb = trialObjective(b);
  if (va !== undefined && vb !== undefined && va !== vb) return a.spec?.objective?.type === 'minimize' ? va - vb : vb - va;
  if ((va === undefined) !== (vb === undefined)) return va === undefined ? 1 : -1;
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  return ta - tb || byText(a.metadata?.name ?? '', b.metadata?.name ?? '');
}

export function trialPhaseCondition(trial: Trial): Condition<string> | undefined {
  return phaseCondition(trial.status?.conditions, trialPhase(trial));
}

/** The state `wait` shows for a trial: its phase, and its objective once reported. */
export function trialProgress(trial: Trial): string {
  const v = trialObjective(trial);
  return v === undefined ? trialPhase(trial) : `${trialPhase(trial)}, ${trial.spec.objective.objectiveMetricName}=${formatMetric(v)}`;
}

// ---------------------------------------------------------------- waiting

const EXPERIMENT_CONDITIONS = ['Created', 'Running', 'Restarting', 'Succeeded', 'Failed'];
const TRIAL_CONDITIONS = ['Created', 'Running', 'Succeeded', 'Killed', 'Failed', 'MetricsUnavailable', 'EarlyStopped'];

/** The condition type as Katib spells it, for one typed in any case; undefined for others. */
function known(types: readonly string[], typed: string): string | undefined {
  return types.find((t) => t.toLowerCase() === typed.toLowerCase());
}

/**
 * Whether the experiment's end is final. A failed experiment stays failed. One that succeeded by
 * reaching maxTrialCount restarts when the count is raised, unless its resume policy is Never (as
 * in Katib; the policy defaults to LongRunning, as Drover's admission sets it).
 */
function experimentFinal(exp: Experiment, phase: ExperimentPhase): boolean {
  if (phase === 'Failed') return true;
  if (phase !== 'Succeeded') return false;
  const restartable = experimentReason(exp) === 'ExperimentMaxTrialsReached' && (exp.spec?.resumePolicy ?? 'LongRunning') !== 'Never';
  return !restartable;
}

/**
 * While `wait --for=condition=TYPE` is not met: stops at once, with why, when an Experiment or
 * Trial has ended in a way that rules TYPE out (an experiment that failed while the caller waits
 * for Succeeded). Undefined means keep waiting. Only `=True` waits on known condition types are
 * judged here.
 */
/** `wait` on an Experiment: its progress, and an end that rules out the condition waited for. */
export const experimentWait: KindWait = {
  progress: (obj) => experimentProgress(asExperiment(obj)),
  unreachable(obj, target) {
    if (target.type !== 'condition' || target.value.toLowerCase() !== 'true') return undefined;
    const exp = asExperiment(obj);
    const phase = experimentPhase(exp);
    const wanted = known(EXPERIMENT_CONDITIONS, target.condition);
    if (!wanted || wanted === phase || !experimentFinal(exp, phase)) return undefined;
    return endMessage(phase, experimentPhaseCondition(exp), wanted);
  },
};

/** `wait` on a Trial, as on an Experiment. */
export const trialWait: KindWait = {
  progress: (obj) => trialProgress(asTrial(obj)),
  unreachable(obj, target) {
    if (target.type !== 'condition' || target.value.toLowerCase() !== 'true') return undefined;
    const trial = asTrial(obj);
    const phase: TrialPhase = trialPhase(trial);
    const wanted = known(TRIAL_CONDITIONS, target.condition);
    if (!wanted || wanted === phase || !isTrialFinished(phase)) return undefined;
    return endMessage(phase, trialPhaseCondition(trial), wanted);
  },
};

function endMessage(phase: string, cond: { reason?: string; message?: string } | undefined, wanted: string): string {
  const why = reasonAndMessage(cond);
  if (phase === 'Failed') return `failed${why ? `: ${why}` : ''}`;
  const said = why ? ` (${why})` : '';
  if (phase === 'Succeeded') return wanted === 'Failed' ? `succeeded${said}, so it will never fail` : `succeeded${said}, so it will never be ${wanted}`;
  return `ended ${phase}${said}, so it will never be ${wanted}`;
}
