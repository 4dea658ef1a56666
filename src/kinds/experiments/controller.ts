/**
 * The Experiment and Trial controllers (Katib's, in one process and without a suggestion
 * service): an Experiment asks its algorithm for assignments and creates Trials; a Trial runs its
 * Job, has its metrics collected and gets its outcome; the Experiment summarises its trials and
 * completes, stopping the trials still running.
 *
 * Level-triggered like the other controllers. Trials are created in one transaction per batch
 * under names derived from the experiment's uid and the trial's index, and algorithms are pure
 * functions of the history, so a restart at any moment neither duplicates nor loses a trial.
 */
import { parse as parseYaml } from 'yaml';
import type { Job, KubeObject, OwnerReference, Pod, Stored } from '../../api/types.js';
import { AlreadyExistsError, NotFoundError } from '../../api/errors.js';
import { Informer, type Store } from '../../store/index.js';
import type { PodRuntime } from '../../runtime/index.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { WorkQueue, type ReconcileResult } from '../../store/queue.js';
import { createAlgorithm, medianStop, medianStopThreshold, type Algorithm, type Observation as TuningObservation } from '../../tuning/index.js';
import { conditionHolds } from '../../util/gjson.js';
import { fnv32a } from '../../util/hash.js';
import { MetricsCollector, collectorKind, metricNames, metricsFileDir, primaryContainer } from './collector.js';
import {
  completionOf,
  experimentConditions,
  historyOf,
  inCreationOrder,
  isRestartable,
  newTrial,
  setCondition,
  summarize,
  trialsToAdd,
  viewOf,
  type TrialView,
} from './experiment.js';
import { objectiveSeries, objectiveValue, observationOf } from './metrics.js';
import {
  JOB_FAILURE_CONDITION,
  JOB_SUCCESS_CONDITION,
  KATIB_ANNOTATIONS,
  KATIB_API_VERSION,
  KATIB_LABELS,
  experimentPhase,
  isTrialFinished,
  trialPhase,
  type Experiment,
  type ExperimentStatus,
  type Trial,
  type TrialConditionType,
  type TrialReason,
} from './types.js';

const SOURCE = 'experiment-controller';
/** Shortest time between two writes of an experiment's status that change only counts and lists. */
const STATUS_WRITE_INTERVAL_MS = 250;
const TRIAL_SOURCE = 'trial-controller';

export interface ExperimentControllerOptions {
  store: Store;
  runtime: Pick<PodRuntime, 'logs'>;
  clock: Clock;
  logger: Logger;
  /** Host directory for File-collected trials' metrics files. */
  filesDir: string;
  /** What the API server does to an object before storing it (defaults, derived labels). */
  admit(obj: KubeObject): KubeObject;
  /** The server's base URL, for trials that push their metrics. */
  apiUrl(): string;
}

type StoredExperiment = Stored<Experiment>;
type StoredTrial = Stored<Trial>;

const key = (ns: string | undefined, name: string | undefined) => `${ns ?? ''}/${name ?? ''}`;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class ExperimentController {
  private readonly experiments: Informer<StoredExperiment>;
  private readonly trials: Informer<StoredTrial>;
  private readonly jobs: Informer<Stored<Job>>;
  private readonly pods: Informer<Stored<Pod>>;
  private readonly configMaps: Informer<KubeObject & { data?: Record<string, string> }>;
  private readonly experimentQueue: WorkQueue;
  private readonly trialQueue: WorkQueue;
  private readonly collector: MetricsCollector;
  /** One algorithm per experiment uid: some keep caches between suggestions (the GP's fit). */
  private readonly algorithms = new Map<string, Algorithm>();
  /** Objective curves of succeeded trials (they never change), for median stopping. */
  private readonly curves = new Map<string, number[]>();
  /**
   * Views of the trials, by object: the informer replaces a trial's object when it changes, so a
   * pass recomputes only the views of trials that changed since the last one.
   */
  private readonly views = new WeakMap<Trial, TrialView>();
  private readonly view = (t: Trial): TrialView => {
    let v = this.views.get(t);
    if (!v) this.views.set(t, (v = viewOf(t)));
    return v;
  };
  /** When each experiment's status was last written (clock ms), to space out count-only writes. */
  private readonly statusWrittenAt = new Map<string, number>();
  /** The experiment whose status this controller is writing right now. */
  private writing: string | undefined;

  constructor(private readonly o: ExperimentControllerOptions) {
    this.experiments = new Informer(o.store, { apiVersion: KATIB_API_VERSION, kind: 'Experiment' });
    this.trials = new Informer(o.store, { apiVersion: KATIB_API_VERSION, kind: 'Trial' });
    this.jobs = new Informer(o.store, { apiVersion: 'batch/v1', kind: 'Job' });
    this.pods = new Informer(o.store, { apiVersion: 'v1', kind: 'Pod' });
    this.configMaps = new Informer(o.store, { apiVersion: 'v1', kind: 'ConfigMap' });
    this.experimentQueue = new WorkQueue(SOURCE, (k) => this.reconcileExperiment(k), o.clock, o.logger);
    this.trialQueue = new WorkQueue(TRIAL_SOURCE, (k) => this.reconcileTrial(k), o.clock, o.logger);
    this.collector = new MetricsCollector({ store: o.store, runtime: o.runtime, logger: o.logger, filesDir: o.filesDir, onProgress: (k) => this.trialQueue.add(k) });
  }

  async start(): Promise<void> {
    this.experiments.onChange((e) => {
      const k = key(e.object.metadata.namespace, e.object.metadata.name);
      if (e.type === 'DELETED') {
        this.algorithms.delete(e.object.metadata.uid!);
        this.statusWrittenAt.delete(e.object.metadata.uid!);
        return;
      }
      if (this.writing === k) return;
      this.experimentQueue.add(k);
    });
    this.trials.onChange((e) => {
      const t = e.object;
      if (e.type === 'DELETED') {
        this.collector.forget(t.metadata.uid!);
        this.curves.delete(t.metadata.uid!);
      } else this.trialQueue.add(key(t.metadata.namespace, t.metadata.name));
      const exp = t.metadata.labels?.[KATIB_LABELS.experiment];
      if (exp) this.experimentQueue.add(key(t.metadata.namespace, exp));
    });
    const toTrial = (obj: KubeObject) => {
      const trial = obj.metadata.labels?.[KATIB_LABELS.trial];
      if (trial) this.trialQueue.add(key(obj.metadata.namespace, trial));
    };
    this.jobs.onChange((e) => toTrial(e.object));
    this.pods.onChange((e) => toTrial(e.object));
    await this.configMaps.start();
    await this.pods.start();
    await this.jobs.start();
    await this.trials.start();
    await this.experiments.start();
  }

  stop(): void {
    this.experimentQueue.stop();
    this.trialQueue.stop();
    this.collector.stop();
    for (const i of [this.experiments, this.trials, this.jobs, this.pods, this.configMaps]) i.stop();
  }

  async idle(): Promise<void> {
    await this.experimentQueue.idle();
    await this.trialQueue.idle();
  }

  private trialsOf(exp: StoredExperiment): StoredTrial[] {
    return this.trials.list().filter((t) => t.metadata.namespace === exp.metadata.namespace && t.metadata.ownerReferences?.some((r) => r.uid === exp.metadata.uid));
  }

  // ---- Experiments ----

  private async reconcileExperiment(k: string): Promise<ReconcileResult | void> {
    const [namespace, name] = k.split('/') as [string, string];
    const exp = this.experiments.get(namespace, name);
    if (!exp) return;
    const now = iso(this.o.clock.now());
    const views = inCreationOrder(this.trialsOf(exp), this.view);
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
        await this.finishTrial(v.trial as StoredTrial, 'Killed', 'TrialKilled', `Trial is stopped because experiment ${name} is complete`, now);
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
    const source = this.experiments.get(exp.metadata.namespace!, from);
    if (!source) return [];
    const names = exp.spec.parameters.map((p) => p.name);
    const out: TuningObservation[] = [];
    for (const v of inCreationOrder(this.trialsOf(source), this.view)) {
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
    const cm = this.configMaps.get(ns, t.configMap?.configMapName ?? '');
    const text = cm?.data?.[t.configMap?.templatePath ?? ''];
    if (text === undefined) {
      throw new TemplateUnavailable(`trial template ${t.configMap?.templatePath ?? ''} not found in ConfigMap ${ns}/${t.configMap?.configMapName ?? ''}`);
    }
    const parsed = parseYaml(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TemplateUnavailable(`trial template ${t.configMap?.templatePath} in ConfigMap ${ns}/${t.configMap?.configMapName} is not a YAML object`);
    return parsed as Record<string, unknown>;
  }

  // ---- Trials ----

  private async reconcileTrial(k: string): Promise<ReconcileResult | void> {
    const [namespace, name] = k.split('/') as [string, string];
    const trial = this.trials.get(namespace, name);
    if (!trial) return;
    const phase = trialPhase(trial);
    const job = this.jobs.get(namespace, name);
    const owned = job && job.metadata.ownerReferences?.some((r) => r.uid === trial.metadata.uid) ? job : undefined;
    if (isTrialFinished(phase)) {
      // Killed and early-stopped trials stop their run; finished ones drop it unless retained.
      const keep = trial.spec.retainRun && phase !== 'Killed' && phase !== 'EarlyStopped';
      if (owned && !keep) await this.deleteIgnoringMissing({ apiVersion: 'batch/v1', kind: 'Job', namespace, name });
      this.collector.forget(trial.metadata.uid!);
      return;
    }
    if (!owned) {
      if (!job) await this.createRun(trial);
      return;
    }
    const pods = this.pods.list().filter((p) => p.metadata.namespace === namespace && p.metadata.ownerReferences?.some((r) => r.uid === owned.metadata.uid));
    const now = iso(this.o.clock.now());
    const drained = this.collector.sync(trial, pods);
    const running = pods.some((p) => p.status?.phase === 'Running') || (owned.status?.active ?? 0) > 0;
    if (running && phase === 'Pending') {
      await this.patchTrial(trial, (t) => {
        t.status = { ...t.status, startTime: t.status?.startTime ?? now, conditions: setCondition(t.status?.conditions, { type: 'Running', status: 'True', reason: 'TrialRunning', message: 'Trial is running' }, now) };
      });
    }

    const stop = await this.earlyStopping(trial);
    if (stop) {
      await this.finishTrial(trial, 'EarlyStopped', 'TrialEarlyStopped', stop, now);
      return;
    }
    // Failure is judged first, as Katib does: a run meeting both conditions failed.
    const failed = conditionHolds(owned, trial.spec.failureCondition ?? JOB_FAILURE_CONDITION);
    const succeeded = !failed && conditionHolds(owned, trial.spec.successCondition ?? JOB_SUCCESS_CONDITION);
    if (!succeeded && !failed) return;
    // The outcome waits until every log is read: the last lines often hold the final metrics.
    if (!drained) return;
    if (failed) {
      const reason = owned.status?.conditions?.find((c) => c.type === 'Failed')?.message;
      await this.finishTrial(trial, 'Failed', 'TrialFailed', `Trial has failed${reason ? `: ${reason}` : ''}`, now);
    } else await this.finishTrial(trial, 'Succeeded', 'TrialSucceeded', 'Trial has succeeded', now);
  }

  /** Creates the trial's Job: its labels, the owner reference, and the File collector's directory. */
  private async createRun(trial: StoredTrial): Promise<void> {
    const run = structuredClone(trial.spec.runSpec) as KubeObject & Job;
    const labels = trial.spec.labels ?? {};
    run.metadata = { ...(run.metadata ?? {}), name: trial.metadata.name!, namespace: trial.metadata.namespace! };
    run.metadata.labels = { ...(run.metadata.labels ?? {}), ...labels };
    const sourceDir = trial.metadata.annotations?.['drover.dev/source-dir'];
    if (sourceDir) run.metadata.annotations = { ...(run.metadata.annotations ?? {}), 'drover.dev/source-dir': sourceDir };
    const owner: OwnerReference = { apiVersion: KATIB_API_VERSION, kind: 'Trial', name: trial.metadata.name!, uid: trial.metadata.uid!, controller: true, blockOwnerDeletion: true };
    run.metadata.ownerReferences = [owner];
    const template = run.spec?.template;
    if (template) {
      template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), ...labels, ...(trial.spec.primaryPodLabels ?? {}) } };
      if (collectorKind(trial) === 'File' && template.spec) {
        const container = template.spec.containers.find((c) => c.name === (trial.spec.primaryContainerName ?? template.spec!.containers[0]?.name));
        if (container) {
          template.spec.volumes = [...(template.spec.volumes ?? []), { name: 'metrics-volume', hostPath: { path: this.collector.trialFilesDir(trial), type: 'DirectoryOrCreate' } }];
          container.volumeMounts = [...(container.volumeMounts ?? []), { name: 'metrics-volume', mountPath: metricsFileDir(trial.spec.metricsCollector) }];
        }
      }
      if (collectorKind(trial) === 'Push' && template.spec) {
        const url = `${this.o.apiUrl()}/apis/${KATIB_API_VERSION}/namespaces/${trial.metadata.namespace}/trials/${trial.metadata.name}/metrics`;
        for (const c of template.spec.containers) {
          c.env = [...(c.env ?? []), { name: 'KATIB_TRIAL_NAME', value: trial.metadata.name! }, { name: 'DROVER_METRICS_URL', value: url }];
        }
      }
    }
    try {
      await this.o.store.create(this.o.admit(run));
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }

  /** Median stopping, when the experiment asks for it: a reason to stop the trial now, or undefined. */
  private async earlyStopping(trial: StoredTrial): Promise<string | undefined> {
    const expName = trial.metadata.labels?.[KATIB_LABELS.experiment];
    const exp = expName ? this.experiments.get(trial.metadata.namespace!, expName) : undefined;
    const rule = exp?.spec.earlyStopping;
    if (!exp || !rule || rule.algorithmName !== 'medianstop') return undefined;
    const settings = Object.fromEntries((rule.algorithmSettings ?? []).map((s) => [s.name, s.value]));
    const objective = trial.spec.objective.objectiveMetricName;
    const curve = objectiveSeries(await this.o.store.observationLog(trial.metadata.uid!), objective);
    const completed: number[][] = [];
    for (const t of this.trialsOf(exp)) {
      if (trialPhase(t) !== 'Succeeded') continue;
      let c = this.curves.get(t.metadata.uid!);
      if (!c) this.curves.set(t.metadata.uid!, (c = objectiveSeries(await this.o.store.observationLog(t.metadata.uid!), objective)));
      completed.push(c);
    }
    if (!medianStop(settings, trial.spec.objective.type, curve, completed)) return undefined;
    const threshold = medianStopThreshold(settings, curve, completed)!;
    const best = trial.spec.objective.type === 'maximize' ? Math.max(...curve) : Math.min(...curve);
    return `Trial is early stopped: best ${objective}=${best} after ${curve.length} reports is worse than the median ${threshold} of completed trials`;
  }

  /** Ends a trial: its observation from the log, the terminal condition, Running set to False. */
  private async finishTrial(trial: StoredTrial, type: TrialConditionType, reason: TrialReason, message: string, now: string): Promise<void> {
    const log = await this.o.store.observationLog(trial.metadata.uid!);
    const names = metricNames(trial);
    const metrics = observationOf(log, names);
    let outcome: { type: TrialConditionType; reason: TrialReason; message: string } = { type, reason, message };
    if (type === 'Succeeded' && collectorKind(trial) !== 'None' && objectiveValue(metrics, trial.spec.objective) === undefined) {
      outcome = { type: 'MetricsUnavailable', reason: 'TrialMetricsUnavailable', message: `Metrics are not available: the trial reported no ${trial.spec.objective.objectiveMetricName}` };
    }
    await this.patchTrial(trial, (t) => {
      if (isTrialFinished(trialPhase(t))) return false;
      let conditions = t.status?.conditions;
      if (conditions?.some((c) => c.type === 'Running')) conditions = setCondition(conditions, { type: 'Running', status: 'False', reason: outcome.reason, message: outcome.message }, now);
      conditions = setCondition(conditions, { type: outcome.type, status: 'True', reason: outcome.reason, message: outcome.message }, now);
      t.status = { ...t.status, conditions, completionTime: now, ...(log.length > 0 || collectorKind(t) !== 'None' ? { observation: { metrics } } : {}) };
    });
    await this.o.store.recordEvent({ involved: trial, type: outcome.type === 'Succeeded' ? 'Normal' : 'Warning', reason: outcome.reason, message: outcome.message, source: TRIAL_SOURCE });
  }

  private async patchTrial(trial: StoredTrial, mutate: (t: StoredTrial) => void | boolean): Promise<void> {
    try {
      await this.o.store.patch<StoredTrial>({ apiVersion: KATIB_API_VERSION, kind: 'Trial', namespace: trial.metadata.namespace!, name: trial.metadata.name! }, (t) => {
        if (t.metadata.uid !== trial.metadata.uid) return false;
        return mutate(t);
      });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  private async event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    await this.o.store.recordEvent({ involved: obj, type, reason, message, source: SOURCE });
  }

  private async deleteIgnoringMissing(ref: { apiVersion: string; kind: string; namespace: string; name: string }): Promise<void> {
    try {
      await this.o.store.delete(ref);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}

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
