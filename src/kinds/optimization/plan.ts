/**
 * One reconcile of an OptimizationJob, as a pure function of the job, its trial TrainJobs and the
 * time: which trials to create (the algorithm's suggestions, rendered), which to stop, and the
 * status. Its I/O is in controller.ts. The algorithms are Drover's own (src/tuning), seeded by the
 * job's uid, so a controller restarted at any moment asks for, and gets, the same next trial.
 */
import type { Stored } from '../../api/types.js';
import { isoSeconds } from '../../util/clock.js';
import { fnv32a } from '../../util/hash.js';
import { createAlgorithm, type Assignments, type Observation, type ParameterSpec } from '../../tuning/index.js';
import { TRAINER_API_VERSION, type TrainJob, trainJobFinished } from '../training/trainjob.js';
import { render } from './render.js';
import {
  DEFAULT_NUM_TRIALS,
  DEFAULT_PARALLEL_TRIALS,
  OPTIMIZATION_ANNOTATIONS,
  OPTIMIZATION_API_VERSION,
  OPTIMIZATION_LABELS,
  type BestTrial,
  type OptimizationCondition,
  type OptimizationJob,
  type OptimizationJobStatus,
  type OptimizationParameter,
} from './types.js';
import { ANNOTATIONS } from '../../api/types.js';

export interface OptimizationPlan {
  create: TrainJob[];
  /** Trials still running when the job ends. */
  stop: string[];
  status?: OptimizationJobStatus;
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
}

/** The search space in the tuning library's terms. */
export function parameterSpecs(parameters: readonly OptimizationParameter[]): ParameterSpec[] {
  return parameters.map((p) => ({
    name: p.name,
    parameterType: p.searchSpace.type,
    feasibleSpace: p.searchSpace.type === 'categorical'
      ? { list: p.searchSpace.list ?? [] }
      : { min: p.searchSpace.min!, max: p.searchSpace.max!, distribution: p.searchSpace.distribution ?? 'uniform' },
  }));
}

/** A trial's number (its place in creation order). */
export function trialIndex(t: TrainJob): number {
  return Number(t.metadata.annotations?.[OPTIMIZATION_ANNOTATIONS.index] ?? NaN);
}

function assignmentsOf(t: TrainJob): Assignments {
  try {
    return JSON.parse(t.metadata.annotations?.[OPTIMIZATION_ANNOTATIONS.parameters] ?? '{}') as Assignments;
  } catch {
    return {};
  }
}

/** The trial's objective as its pods last pushed it; undefined when it pushed none (or not a number). */
export function objectiveOf(t: TrainJob, metric: string): number | undefined {
  const v = t.status?.trainerStatus?.metrics?.find((m) => m.name === metric)?.value;
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Trial `n`'s name: the job's, numbered (a TrainJob's name is at most 63 characters, its pods' longer). */
export function trialName(job: string, n: number): string {
  return `${job}-${n}`;
}

function setCond(list: OptimizationCondition[] | undefined, next: Omit<OptimizationCondition, 'lastTransitionTime'>, now: number): OptimizationCondition[] {
  const cur = list?.find((c) => c.type === next.type);
  if (cur && cur.status === next.status && cur.reason === next.reason && cur.message === next.message) return list!;
  return [...(list ?? []).filter((c) => c.type !== next.type), { ...next, lastTransitionTime: cur && cur.status === next.status ? cur.lastTransitionTime : isoSeconds(now) }];
}

/** The status of a job that ends now: its phase, `Running` false and the end's condition, for the same reason. */
export function ended(status: OptimizationJobStatus, type: 'Succeeded' | 'Failed', reason: string, message: string, now: number): OptimizationJobStatus {
  let conditions = setCond(status.conditions, { type: 'Running', status: 'False', reason, message }, now);
  conditions = setCond(conditions, { type, status: 'True', reason, message }, now);
  return { ...status, phase: type, conditions };
}

export function isOptimizationFinished(job: OptimizationJob): boolean {
  return job.status?.phase === 'Succeeded' || job.status?.phase === 'Failed';
}

export function planOptimization(job: Stored<OptimizationJob>, trials: readonly TrainJob[], now: number): OptimizationPlan {
  const plan: OptimizationPlan = { create: [], stop: [], events: [] };
  const prev = job.status ?? {};
  const status: OptimizationJobStatus = structuredClone(prev);
  const finish = (): OptimizationPlan => {
    if (JSON.stringify(prev) !== JSON.stringify(status)) plan.status = status;
    return plan;
  };
  if (isOptimizationFinished(job)) return plan;
  const spec = job.spec;
  const objective = spec.objectives[0]!;
  const numTrials = spec.trialConfig?.numTrials ?? DEFAULT_NUM_TRIALS;
  const parallel = spec.trialConfig?.parallelTrials ?? DEFAULT_PARALLEL_TRIALS;
  const maxFailed = spec.trialConfig?.maxFailedTrials;
  const ordered = [...trials].sort((a, b) => trialIndex(a) - trialIndex(b));

  const completed: Observation[] = [];
  const pending: Assignments[] = [];
  let succeeded = 0;
  let failed = 0;
  let suspended = 0;
  let best: { trial: TrainJob; value: number } | undefined;
  const better = (a: number, b: number) => (objective.direction === 'maximize' ? a > b : a < b);
  for (const t of ordered) {
    const end = trainJobFinished(t);
    if (!end) {
      pending.push(assignmentsOf(t));
      if (t.spec.suspend) suspended++;
      continue;
    }
    const value = end.type === 'Complete' ? objectiveOf(t, objective.metric) : undefined;
    if (end.type === 'Complete') succeeded++;
    else failed++;
    completed.push({ assignments: assignmentsOf(t), value });
    if (value !== undefined && (!best || better(value, best.value))) best = { trial: t, value };
  }
  const active = pending.length;
  Object.assign(status, { active, suspended, succeeded, failed });
  if (best) {
    const bestTrial: BestTrial = {
      name: best.trial.metadata.name!,
      value: String(best.value),
      parameters: Object.entries(assignmentsOf(best.trial)).map(([name, value]) => ({ name, value })),
    };
    status.bestTrial = bestTrial;
  }
  status.conditions = setCond(status.conditions, { type: 'Created', status: 'True', reason: 'OptimizationJobCreated', message: 'OptimizationJob is created' }, now);
  status.phase ??= 'Created';

  const end = (type: 'Succeeded' | 'Failed', reason: string, message: string): OptimizationPlan => {
    Object.assign(status, ended(status, type, reason, message, now));
    plan.events.push({ type: type === 'Failed' ? 'Warning' : 'Normal', reason, message });
    plan.stop = ordered.filter((t) => !trainJobFinished(t)).map((t) => t.metadata.name!);
    return finish();
  };
  if (maxFailed !== undefined && failed > maxFailed) return end('Failed', 'MaxFailedTrialsReached', `${failed} trials failed, more than maxFailedTrials (${maxFailed})`);
  if (succeeded + failed >= numTrials) return end('Succeeded', 'MaxTrialsReached', `all ${numTrials} trials finished${best ? `; the best, ${best.trial.metadata.name}, reached ${objective.metric}=${best.value}` : ''}`);

  const room = Math.min(parallel - active, numTrials - ordered.length);
  let exhausted = false;
  if (room > 0) {
    const settings = Object.fromEntries((spec.algorithm.settings ?? []).map((s) => [s.name, s.value]));
    let result;
    try {
      const algorithm = createAlgorithm(spec.algorithm.name, settings, { seed: fnv32a(job.metadata.uid!) });
      result = algorithm.suggest({ parameters: parameterSpecs(spec.parameters), objectiveType: objective.direction, completed, pending, count: room });
    } catch (err) {
      return end('Failed', 'SuggestionFailed', `the ${spec.algorithm.name} algorithm could not suggest: ${(err as Error).message}`);
    }
    exhausted = result.exhausted;
    let n = ordered.length ? Math.max(...ordered.map(trialIndex)) + 1 : 0;
    for (const values of result.assignments) plan.create.push(trialJob(job, n++, values));
  }
  if (exhausted && active === 0 && plan.create.length === 0) return end('Succeeded', 'SearchSpaceExhausted', `the search space has no more points (${succeeded + failed} trials ran)`);
  if (active > 0 || plan.create.length > 0) {
    status.phase = 'Running';
    status.conditions = setCond(status.conditions, { type: 'Running', status: 'True', reason: 'TrialsRunning', message: `${active + plan.create.length} trials running` }, now);
  }
  return finish();
}

/** Trial `n`: the template rendered with its values, owned by the job, its values annotated. */
export function trialJob(job: Stored<OptimizationJob>, n: number, values: Assignments): TrainJob {
  const tmpl = job.spec.trainJobTemplate;
  const sourceDir = job.metadata.annotations?.[ANNOTATIONS.sourceDir];
  return {
    apiVersion: TRAINER_API_VERSION,
    kind: 'TrainJob',
    metadata: {
      name: trialName(job.metadata.name!, n),
      namespace: job.metadata.namespace!,
      labels: { ...(tmpl.metadata?.labels ?? {}), [OPTIMIZATION_LABELS.job]: job.metadata.name! },
      annotations: {
        ...(tmpl.metadata?.annotations ?? {}),
        [OPTIMIZATION_ANNOTATIONS.parameters]: JSON.stringify(values),
        [OPTIMIZATION_ANNOTATIONS.index]: String(n),
        ...(sourceDir ? { [ANNOTATIONS.sourceDir]: sourceDir } : {}),
      },
      ownerReferences: [{ apiVersion: OPTIMIZATION_API_VERSION, kind: 'OptimizationJob', name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: render(tmpl.spec, values) as TrainJob['spec'],
  };
}
