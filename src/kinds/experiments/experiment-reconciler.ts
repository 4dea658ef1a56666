/**
 * The Experiment reconciler (Katib's experiment controller, without a suggestion service): an
 * experiment asks its algorithm for assignments and creates Trials, summarises its trials in its
 * status, and completes, stopping the trials still running.
 *
 * Trials are created in one transaction per batch under names derived from the experiment's uid
 * and the trial's index, and algorithms are pure functions of the history, so a restart at any
 * moment neither duplicates nor loses a trial.
 */
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/types.js';
import { AlreadyExistsError, NotFoundError } from '../../api/errors.js';
import type { Store } from '../../store/index.js';
import type { ReconcileResult } from '../../store/queue.js';
import type { Clock } from '../../util/clock.js';
import { createAlgorithm, type Algorithm, type Observation as TuningObservation } from '../../tuning/index.js';
import { fnv32a } from '../../util/hash.js';
import { completionOf, experimentConditions, historyOf, inCreationOrder, isRestartable, newTrial, summarize, trialsToAdd, type TrialView } from './experiment.js';
import { suggestionChanged, suggestionFor, type Suggestion } from './suggestion.js';
import { iso, type KatibInformers, type StoredExperiment, type StoredTrial } from './informers.js';
import { objectiveValue } from './metrics.js';
import { KATIB_ANNOTATIONS, KATIB_API_VERSION, experimentPhase, isTrialFinished, type Experiment, type ExperimentStatus, type TrialConditionType, type TrialReason } from './types.js';

export const EXPERIMENT_SOURCE = 'experiment-controller';
const SOURCE = EXPERIMENT_SOURCE;
/** Shortest time between two writes of an experiment's status that change only counts and lists. */
const STATUS_WRITE_INTERVAL_MS = 250;

export interface ExperimentReconcilerDeps {
  store: Store;
  clock: Clock;
  informers: KatibInformers;
  /** Ends a trial with an outcome (the trial reconciler's). */
  finishTrial(trial: StoredTrial, type: TrialConditionType, reason: TrialReason, message: string, now: string): Promise<void>;
}

export class ExperimentReconciler {
  /** One algorithm per experiment uid: some keep caches between suggestions (the GP's fit). */
  private readonly algorithms = new Map<string, Algorithm>();
  /** When each experiment's status was last written (clock ms), to space out count-only writes. */
  private readonly statusWrittenAt = new Map<string, number>();
  /** The experiment whose status this reconciler is writing right now. */
  private writing: string | undefined;
  private readonly informers: KatibInformers;

  constructor(private readonly o: ExperimentReconcilerDeps) {
    this.informers = o.informers;
  }

  /** Whether `k`'s status is being written by this reconciler (its own change needs no pass). */
  isWriting(k: string): boolean {
    return this.writing === k;
  }

  /** The experiment is gone: drop what was kept about it. */
  forget(uid: string): void {
    this.algorithms.delete(uid);
    this.statusWrittenAt.delete(uid);
  }

  /** One pass over one experiment (`namespace/name`). */
  async reconcile(k: string): Promise<ReconcileResult | void> {
    const [namespace, name] = k.split('/') as [string, string];
    const exp = this.informers.experiments.get(namespace, name);
    // Being deleted (its trials going in slices): no new trials.
    if (!exp || exp.metadata.deletionTimestamp) return;
    const now = iso(this.o.clock.now());
    const views = inCreationOrder(this.informers.trialsOf(exp), this.informers.view);
    const summary = summarize(exp, views);
    let conditions = exp.status?.conditions;
    const status: ExperimentStatus = { ...summary.status, startTime: exp.status?.startTime ?? now };
    if (exp.status?.completionTime) status.completionTime = exp.status.completionTime;
    if (!conditions?.some((c) => c.type === 'Created')) {
      conditions = experimentConditions({ ...exp, status: { conditions } }, 'Created', 'ExperimentCreated', 'Experiment is created', now);
      await this.event(exp, 'Normal', 'ExperimentCreated', `Experiment ${name} is created`);
    }
    let phase = experimentPhase({ status: { conditions } });
    let requeue: number | undefined;
    const events: [string, string, string][] = [];

    if ((phase === 'Succeeded' || phase === 'Failed') && isRestartable({ ...exp, status: { conditions } }, summary)) {
      conditions = experimentConditions({ ...exp, status: { conditions } }, 'Running', 'ExperimentRestarting', 'Experiment is restarted with a higher maxTrialCount', now);
      delete status.completionTime;
      phase = 'Running';
      events.push(['Normal', 'ExperimentRestarting', 'Experiment restarted: maxTrialCount was raised']);
    }

    if (phase !== 'Succeeded' && phase !== 'Failed') {
      let failure: string | undefined;
      let completion = completionOf(exp, summary, false);
      const add = completion ? 0 : trialsToAdd(exp, summary);
      if (!completion && add > 0) {
        try {
          const suggested = await this.suggest(exp, views, add);
          const exhausted = suggested.exhausted;
          if (suggested.assignments.length > 0) {
            const template = this.trialTemplate(exp);
            const first = views.reduce((m, v) => Math.max(m, v.index === Number.MAX_SAFE_INTEGER ? -1 : v.index), -1) + 1;
            const trials = suggested.assignments.map((a, i) => newTrial(exp, first + i, a, template, now));
            // One transaction: a crash leaves all of the batch or none of it.
            const created = (await this.o.store.writeAll(trials.map((t) => ({ op: 'create' as const, object: t })))) as StoredTrial[];
            // The counts follow in the pass the new trials bring; each trial tells of its own creation
            // (thousands of them would bury the experiment's own events).
            for (const t of created) {
              const assigned = t.spec.parameterAssignments.map((p) => `${p.name}=${p.value}`).join(', ');
              await this.o.store.recordEvent({ involved: t, type: 'Normal', reason: 'TrialCreated', message: `Created by experiment ${name} with ${assigned}`, source: SOURCE });
            }
          }
          if (exhausted && suggested.assignments.length === 0) completion = completionOf(exp, summary, true);
        } catch (err) {
          if (err instanceof AlreadyExistsError) return { requeueAfterMs: 100 };
          if (err instanceof TemplateUnavailable) {
            events.push(['Warning', 'TrialTemplateUnavailable', err.message]);
            requeue = 5000;
          } else {
            failure = err instanceof Error ? err.message : String(err);
          }
        }
      }
      if (failure !== undefined) completion = { type: 'Failed', reason: 'ExperimentFailed', message: `Experiment has failed: ${failure}` };
      if (completion) {
        conditions = experimentConditions({ ...exp, status: { conditions } }, completion.type, completion.reason, completion.message, now);
        status.completionTime = now;
        events.push([completion.type === 'Succeeded' ? 'Normal' : 'Warning', completion.reason, completion.message]);
        phase = completion.type;
      } else if (phase !== 'Running') {
        conditions = experimentConditions({ ...exp, status: { conditions } }, 'Running', 'ExperimentRunning', 'Experiment is running', now);
        phase = 'Running';
      }
    }

    // A complete experiment stops the trials still running (Katib leaves them running).
    if (phase === 'Succeeded' || phase === 'Failed') {
      for (const v of views) {
        if (isTrialFinished(v.phase)) continue;
        await this.o.finishTrial(v.trial as StoredTrial, 'Killed', 'TrialKilled', `Trial is stopped because experiment ${name} is complete`, now);
      }
    }

    status.conditions = conditions;
    const before = JSON.stringify({ ...exp.status, lastReconcileTime: undefined });
    const after = JSON.stringify({ ...status, lastReconcileTime: undefined });
    // Counts and trial lists change with every step of every trial, and the status lists every
    // trial by name: written each time, it was most of a short trial's cost in a long
    // experiment. They are written at most every STATUS_WRITE_INTERVAL_MS (they are derived from
    // the trials, which are stored at once); a change of condition is written at once.
    const sinceWrite = this.o.clock.now() - (this.statusWrittenAt.get(exp.metadata.uid!) ?? -Infinity);
    const urgent = JSON.stringify(exp.status?.conditions) !== JSON.stringify(conditions) || exp.status?.completionTime !== status.completionTime;
    if (before !== after && !urgent && sinceWrite < STATUS_WRITE_INTERVAL_MS) {
      const wait = STATUS_WRITE_INTERVAL_MS - sinceWrite;
      requeue = requeue === undefined ? wait : Math.min(requeue, wait);
    } else if (before !== after) {
      status.lastReconcileTime = now;
      this.statusWrittenAt.set(exp.metadata.uid!, this.o.clock.now());
      // First the record, so a client that sees the experiment done sees its Suggestion done.
      await this.recordSuggestion({ ...exp, status }, views, now);
      try {
        this.writing = k;
        await this.o.store.patch<StoredExperiment>({ apiVersion: KATIB_API_VERSION, kind: 'Experiment', namespace, name }, (cur) => {
          if (cur.metadata.uid !== exp.metadata.uid) return false;
          cur.status = status;
        });
      } catch (err) {
        if (err instanceof NotFoundError) return;
        throw err;
      } finally {
        this.writing = undefined;
      }
    }
    for (const [type, reason, message] of events) await this.event(exp, type as 'Normal' | 'Warning', reason, message);
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  /** Katib's Suggestion record (./suggestion.ts), kept beside the status it is derived from. */
  private async recordSuggestion(exp: StoredExperiment, views: readonly TrialView[], now: string): Promise<void> {
    const ref = { apiVersion: KATIB_API_VERSION, kind: 'Suggestion', namespace: exp.metadata.namespace!, name: exp.metadata.name! };
    const previous = await this.o.store.get<Suggestion>(ref);
    // One left by an earlier experiment of the same name goes with it (owner references).
    const own = previous?.metadata.ownerReferences?.some((r) => r.uid === exp.metadata.uid) ? previous : undefined;
    if (previous && !own) return;
    const next = suggestionFor(exp, views, own, now);
    if (!suggestionChanged(own, next)) return;
    try {
      if (!own) await this.o.store.create(next);
      else {
        await this.o.store.patch<Suggestion>(ref, (cur) => {
          if (cur.metadata.uid !== own.metadata.uid) return false;
          cur.spec = next.spec;
          cur.status = next.status;
        });
      }
    } catch (err) {
      // Made or deleted meanwhile: the next status write brings it up to date.
      if (err instanceof AlreadyExistsError || err instanceof NotFoundError) return;
      throw err;
    }
  }

  private algorithmFor(exp: StoredExperiment): Algorithm {
    let a = this.algorithms.get(exp.metadata.uid!);
    if (!a) {
      const settings = Object.fromEntries((exp.spec.algorithm.algorithmSettings ?? []).map((s) => [s.name, s.value]));
      a = createAlgorithm(exp.spec.algorithm.algorithmName, settings, { seed: fnv32a(exp.metadata.uid!) });
      this.algorithms.set(exp.metadata.uid!, a);
    }
    return a;
  }

  private async suggest(exp: StoredExperiment, views: ReturnType<typeof inCreationOrder>, count: number) {
    const { completed, pending } = historyOf(views);
    const warm = this.warmStart(exp);
    return this.algorithmFor(exp).suggest({
      parameters: exp.spec.parameters,
      objectiveType: exp.spec.objective.type,
      completed: [...warm, ...completed],
      pending,
      count,
    });
  }

  /** Observations of the finished experiment named by the warm-start annotation, where they fit this search space. */
  private warmStart(exp: StoredExperiment): TuningObservation[] {
    const from = exp.metadata.annotations?.[KATIB_ANNOTATIONS.warmStartFrom];
    if (!from) return [];
    const source = this.informers.experiments.get(exp.metadata.namespace!, from);
    if (!source) return [];
    const names = exp.spec.parameters.map((p) => p.name);
    const out: TuningObservation[] = [];
    for (const v of inCreationOrder(this.informers.trialsOf(source), this.informers.view)) {
      if (!isTrialFinished(v.phase) || v.phase === 'Killed') continue;
      const assignments = Object.fromEntries(v.trial.spec.parameterAssignments.map((p) => [p.name, p.value]));
      if (!names.every((n) => n in assignments) || !fits(exp, assignments)) continue;
      const metrics = v.trial.status?.observation?.metrics;
      const value = metrics ? objectiveValue(metrics, exp.spec.objective) : undefined;
      out.push({ assignments: Object.fromEntries(names.map((n) => [n, assignments[n]!])), value: v.phase === 'Succeeded' || v.phase === 'EarlyStopped' ? value : undefined });
    }
    return out;
  }

  /** The trial template's run object: inline, or from a ConfigMap key. */
  private trialTemplate(exp: StoredExperiment): Record<string, unknown> {
    const t = exp.spec.trialTemplate;
    if (t.trialSpec) return t.trialSpec;
    const ns = t.configMap?.configMapNamespace ?? exp.metadata.namespace!;
    const cm = this.informers.configMaps.get(ns, t.configMap?.configMapName ?? '');
    const text = cm?.data?.[t.configMap?.templatePath ?? ''];
    if (text === undefined) {
      throw new TemplateUnavailable(`trial template ${t.configMap?.templatePath ?? ''} not found in ConfigMap ${ns}/${t.configMap?.configMapName ?? ''}`);
    }
    const parsed = parseYaml(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TemplateUnavailable(`trial template ${t.configMap?.templatePath} in ConfigMap ${ns}/${t.configMap?.configMapName} is not a YAML object`);
    return parsed as Record<string, unknown>;
  }

  private async event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    await this.o.store.recordEvent({ involved: obj, type, reason, message, source: SOURCE });
  }
}

/** The trial template's ConfigMap or key is missing: the experiment waits for it. */
class TemplateUnavailable extends Error {}

/** Whether earlier assignments lie in this experiment's search space (warm start). */
function fits(exp: Experiment, assignments: Record<string, string>): boolean {
  return exp.spec.parameters.every((p) => {
    const v = assignments[p.name]!;
    const fs = p.feasibleSpace;
    if (p.parameterType === 'categorical' || p.parameterType === 'discrete') return (fs.list ?? []).includes(v);
    const x = Number(v);
    return Number.isFinite(x) && (fs.min === undefined || x >= Number(fs.min)) && (fs.max === undefined || x <= Number(fs.max));
  });
}
