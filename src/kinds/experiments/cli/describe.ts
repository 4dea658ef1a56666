/**
 * The bodies of `describe experiment` and `describe trial`: what comes between the header (name,
 * namespace, labels, annotations) and the Events, written around them by the describers at the end. Lines are
 * `Key:<TAB>value` at indentation levels, aligned by describe's tabwriter.
 */
import type { KubeObject } from '../../../api/types.js';
import {
  experimentPhase, trialPhase,
  type AlgorithmSpec, type Condition, type Metric, type ObjectiveSpec, type ParameterAssignment, type ParameterSpecManifest,
} from '../types.js';
import { humanDuration } from '../../../print/units.js';
import { controlledBy, events, PrefixWriter, simpleHeader, timeFormatter, type Describer } from '../../../print/describe.js';
import {
  asExperiment, asTrial, bestTrial, experimentPhaseCondition, formatMetric, strategyFor, trialCounts, trialExperiment, trialObjective,
  trialPhaseCondition,
} from './status.js';

/** What describe.ts's writer offers: text at an indentation level. */
export interface LevelWriter {
  write(level: number, text: string): void;
}

export interface BodyOptions {
  now: number;
  /** A timestamp as describe prints it (`Mon, 01 Jan 2024 00:59:00 +0000`). */
  ts(t: string | undefined): string;
}

function algorithm(w: LevelWriter, title: string, spec: AlgorithmSpec | undefined): void {
  w.write(0, `${title}:\t${spec?.algorithmName || '<unset>'}\n`);
  const settings = spec?.algorithmSettings ?? [];
  if (settings.length === 0) return;
  settings.forEach((s, i) => w.write(1, `${i === 0 ? 'Settings:' : ''}\t${s.name}=${s.value}\n`));
}

function objective(w: LevelWriter, obj: ObjectiveSpec | undefined): void {
  w.write(0, 'Objective:\n');
  if (!obj) {
    w.write(1, '<unset>\n');
    return;
  }
  w.write(1, `Type:\t${obj.type}\n`);
  w.write(1, `Metric:\t${obj.objectiveMetricName}\n`);
  w.write(1, `Goal:\t${obj.goal ?? '<none>'}\n`);
  const extra = obj.additionalMetricNames ?? [];
  if (extra.length) w.write(1, `Additional Metrics:\t${extra.join(', ')}\n`);
  const strategies = [obj.objectiveMetricName, ...extra].map((n) => `${n}=${strategyFor(obj, n)}`);
  w.write(1, `Metric Strategies:\t${strategies.join(', ')}\n`);
}

/** A search-space entry: `double [0.01, 0.1] logUniform`, `int [2, 5] step 1`, `categorical {sgd, adam}`. */
export function feasibleSpace(p: ParameterSpecManifest): string {
  const fs = p.feasibleSpace ?? {};
  const parts: string[] = [p.parameterType];
  if (fs.list?.length) parts.push(`{${fs.list.join(', ')}}`);
  else parts.push(`[${fs.min ?? ''}, ${fs.max ?? ''}]`);
  if (fs.step) parts.push(`step ${fs.step}`);
  if (fs.distribution) parts.push(fs.distribution);
  return parts.join(' ');
}

function assignments(w: LevelWriter, level: number, list: readonly ParameterAssignment[] | undefined): void {
  w.write(level - 1, `Parameters:${list?.length ? '' : '\t<none>'}\n`);
  for (const a of list ?? []) w.write(level, `${a.name}:\t${a.value}\n`);
}

function metricsTable(w: LevelWriter, level: number, metrics: readonly Metric[] | undefined): void {
  if (!metrics?.length) {
    w.write(level - 1, 'Metrics:\t<none>\n');
    return;
  }
  w.write(level - 1, 'Metrics:\n');
  w.write(level, 'Name\tMin\tMax\tLatest\n');
  w.write(level, '----\t---\t---\t------\n');
  for (const m of metrics) w.write(level, `${m.name}\t${m.min}\t${m.max}\t${m.latest}\n`);
}

function conditionsTable(w: LevelWriter, conds: readonly Condition<string>[] | undefined): void {
  if (!conds?.length) {
    w.write(0, 'Conditions:\t<none>\n');
    return;
  }
  w.write(0, 'Conditions:\n');
  w.write(1, 'Type\tStatus\tReason\tMessage\n');
  w.write(1, '----\t------\t------\t-------\n');
  for (const c of conds) w.write(1, `${c.type}\t${c.status}\t${c.reason ?? ''}\t${(c.message ?? '').trim()}\n`);
}

function times(w: LevelWriter, start: string | undefined, end: string | undefined, opts: BodyOptions): void {
  if (start) w.write(0, `Start Time:\t${opts.ts(start)}\n`);
  if (end) w.write(0, `Completion Time:\t${opts.ts(end)}\n`);
  if (start) w.write(0, `Duration:\t${humanDuration((end ? Date.parse(end) : opts.now) - Date.parse(start))}\n`);
}

function phaseLines(w: LevelWriter, phase: string, cond: { reason?: string; message?: string } | undefined): void {
  w.write(0, `Status:\t${phase}\n`);
  if (cond?.reason) w.write(0, `Reason:\t${cond.reason}\n`);
  if (cond?.message?.trim()) w.write(0, `Message:\t${cond.message.trim()}\n`);
}

/** Algorithm, objective, search space, trial limits, status, trial counts and the best trial. */
export function writeExperiment(w: LevelWriter, obj: KubeObject, opts: BodyOptions): void {
  const exp = asExperiment(obj);
  const spec = exp.spec;
  const status = exp.status ?? {};
  algorithm(w, 'Algorithm', spec?.algorithm);
  if (spec?.earlyStopping?.algorithmName) algorithm(w, 'Early Stopping', spec.earlyStopping);
  objective(w, spec?.objective);
  const params = spec?.parameters ?? [];
  w.write(0, `Search Space:${params.length ? '' : '\t<none>'}\n`);
  for (const p of params) w.write(1, `${p.name}:\t${feasibleSpace(p)}\n`);
  w.write(0, `Parallel Trials:\t${spec?.parallelTrialCount ?? '<unset>'}\n`);
  w.write(0, `Max Trials:\t${spec?.maxTrialCount ?? '<unset>'}\n`);
  w.write(0, `Max Failed Trials:\t${spec?.maxFailedTrialCount ?? '<unset>'}\n`);
  w.write(0, `Resume Policy:\t${spec?.resumePolicy ?? 'LongRunning'}\n`);
  times(w, status.startTime, status.completionTime, opts);
  phaseLines(w, experimentPhase(exp), experimentPhaseCondition(exp));
  conditionsTable(w, status.conditions);
  const c = trialCounts(exp);
  w.write(0, 'Trials:\n');
  const counts: [string, number][] = [
    ['Total', c.total], ['Pending', c.pending], ['Running', c.running], ['Succeeded', c.succeeded], ['Failed', c.failed],
    ['Killed', c.killed], ['Early Stopped', c.earlyStopped], ['Metrics Unavailable', c.metricsUnavailable],
  ];
  for (const [k, v] of counts) w.write(1, `${k}:\t${v}\n`);
  const best = bestTrial(exp);
  const opt = status.currentOptimalTrial;
  if (!best && !opt?.bestTrialName) {
    w.write(0, 'Best Trial:\t<none>\n');
    return;
  }
  w.write(0, `Best Trial:\t${opt?.bestTrialName || '<unknown>'}\n`);
  if (best) w.write(1, `Objective:\t${best.metric}=${formatMetric(best.value)}\n`);
  assignments(w, 2, opt?.parameterAssignments);
  metricsTable(w, 2, opt?.observation?.metrics);
}

/** Experiment, run, parameters, objective, early stopping rules, status and observed metrics. */
export function writeTrial(w: LevelWriter, obj: KubeObject, opts: BodyOptions): void {
  const trial = asTrial(obj);
  const spec = trial.spec;
  const status = trial.status ?? {};
  w.write(0, `Experiment:\t${trialExperiment(trial) || '<none>'}\n`);
  const run = spec?.runSpec as { kind?: string; metadata?: { name?: string } } | undefined;
  if (run?.kind) w.write(0, `Run:\t${run.kind}/${run.metadata?.name || obj.metadata.name}\n`);
  assignments(w, 1, spec?.parameterAssignments);
  objective(w, spec?.objective);
  const rules = spec?.earlyStoppingRules ?? [];
  if (rules.length) {
    w.write(0, 'Early Stopping Rules:\n');
    for (const r of rules) w.write(1, `${r.name} ${r.comparison} ${r.value}${r.startStep != null ? ` (from step ${r.startStep})` : ''}\n`);
  }
  times(w, status.startTime, status.completionTime, opts);
  phaseLines(w, trialPhase(trial), trialPhaseCondition(trial));
  conditionsTable(w, status.conditions);
  const metrics = status.observation?.metrics;
  if (!metrics?.length) {
    w.write(0, 'Observation:\t<none>\n');
    return;
  }
  w.write(0, 'Observation:\n');
  const v = trialObjective(trial);
  w.write(1, `Objective:\t${v === undefined ? '<none>' : `${spec.objective.objectiveMetricName}=${formatMetric(v)}`}\n`);
  metricsTable(w, 2, metrics);
}

/** Katib kinds: the header, the body above, then events. */
export const experimentDescriber: Describer = {
  describe(obj, input) {
    const w = new PrefixWriter();
    simpleHeader(w, obj);
    writeExperiment(w, obj, { now: input.now, ts: timeFormatter(input) });
    events(w, input.events, input.now);
    return w.toString();
  },
};

export const trialDescriber: Describer = {
  describe(obj, input) {
    const w = new PrefixWriter();
    simpleHeader(w, obj);
    controlledBy(w, obj);
    writeTrial(w, obj, { now: input.now, ts: timeFormatter(input) });
    events(w, input.events, input.now);
    return w.toString();
  },
};

