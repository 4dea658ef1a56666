/**
 * The Trial reconciler (Katib's trial controller): a trial runs its Job, has its metrics collected
 * while it runs, may be stopped early by median stopping, and gets its outcome and observation
 * when its run meets the success or failure condition and every log has been read.
 */
import type { Job, KubeObject, OwnerReference } from '../../api/types.js';
import { AlreadyExistsError, NotFoundError } from '../../api/errors.js';
import type { Store } from '../../store/index.js';
import type { ReconcileResult } from '../../store/queue.js';
import type { Clock } from '../../util/clock.js';
import { medianStop, medianStopThreshold } from '../../tuning/index.js';
import { conditionHolds } from '../../util/gjson.js';
import { collectorKind, metricNames, metricsFileDir, type MetricsCollector } from './collector.js';
import { setCondition } from './experiment.js';
import { iso, type KatibInformers, type StoredTrial } from './informers.js';
import { objectiveSeries, objectiveValue, observationOf } from './metrics.js';
import {
  JOB_FAILURE_CONDITION,
  JOB_SUCCESS_CONDITION,
  KATIB_API_VERSION,
  KATIB_LABELS,
  isTrialFinished,
  trialPhase,
  type TrialConditionType,
  type TrialReason,
} from './types.js';

export const TRIAL_SOURCE = 'trial-controller';

/** The kind of a trial's run object: a batch/v1 Job, or a Kubeflow PyTorchJob. */
function runKindOf(trial: StoredTrial): { apiVersion: string; kind: string } {
  const run = trial.spec.runSpec as { apiVersion?: string; kind?: string } | undefined;
  return run?.kind === 'PyTorchJob' ? { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob' } : { apiVersion: 'batch/v1', kind: 'Job' };
}

export interface TrialReconcilerDeps {
  store: Store;
  clock: Clock;
  informers: KatibInformers;
  collector: MetricsCollector;
  /** What the API server does to an object before storing it (defaults, derived labels). */
  admit(obj: KubeObject): KubeObject;
  /** The server's base URL, for trials that push their metrics. */
  apiUrl(): string;
  podToken(path: string): string;
}

export class TrialReconciler {
  /** Objective curves of succeeded trials (they never change), for median stopping. */
  private readonly curves = new Map<string, number[]>();
  private readonly o: TrialReconcilerDeps;
  private readonly informers: KatibInformers;
  private readonly collector: MetricsCollector;

  constructor(deps: TrialReconcilerDeps) {
    this.o = deps;
    this.informers = deps.informers;
    this.collector = deps.collector;
  }

  /** The trial is gone: drop what was kept about it. */
  forget(uid: string): void {
    this.collector.forget(uid);
    this.curves.delete(uid);
  }

  /** One pass over one trial (`namespace/name`). */
  async reconcile(k: string): Promise<ReconcileResult | void> {
    const [namespace, name] = k.split('/') as [string, string];
    const trial = this.informers.trials.get(namespace, name);
    if (!trial) return;
    const phase = trialPhase(trial);
    const runKind = runKindOf(trial);
    const job = (runKind.kind === 'PyTorchJob' ? this.informers.pytorchJobs : this.informers.jobs).get(namespace, name) as (KubeObject & Job) | undefined;
    const owned = job && job.metadata.ownerReferences?.some((r) => r.uid === trial.metadata.uid) ? job : undefined;
    if (isTrialFinished(phase)) {
      // Killed and early-stopped trials stop their run; finished ones drop it unless retained.
      const keep = trial.spec.retainRun && phase !== 'Killed' && phase !== 'EarlyStopped';
      if (owned && !keep) await this.deleteIgnoringMissing({ ...runKind, namespace, name });
      this.collector.forget(trial.metadata.uid!);
      return;
    }
    if (!owned) {
      if (!job) await this.createRun(trial);
      return;
    }
    // Metrics come from the primary pods (a training job's master), as Katib injects its collector there.
    const primary = Object.entries(trial.spec.primaryPodLabels ?? {});
    const pods = this.informers.pods
      .list()
      .filter((p) => p.metadata.namespace === namespace && p.metadata.ownerReferences?.some((r) => r.uid === owned.metadata.uid))
      .filter((p) => runKind.kind === 'Job' || primary.every(([k, v]) => p.metadata.labels?.[k] === v));
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
    // A PyTorchJob's pods carry its replica templates' labels: the trial's go on every one; metrics come from the master.
    const replicas = (run.spec as { pytorchReplicaSpecs?: Record<string, { template?: NonNullable<Job['spec']>['template'] }> } | undefined)?.pytorchReplicaSpecs;
    if (replicas) {
      for (const r of Object.values(replicas)) if (r.template) r.template.metadata = { ...(r.template.metadata ?? {}), labels: { ...(r.template.metadata?.labels ?? {}), ...labels } };
    }
    const template = replicas ? replicas['Master']?.template : run.spec?.template;
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
        const path = `/apis/${KATIB_API_VERSION}/namespaces/${trial.metadata.namespace}/trials/${trial.metadata.name}/metrics`;
        // The pod may push to this path only: its credential is in the URL, so scripts need no change.
        const url = `${this.o.apiUrl()}${path}?token=${encodeURIComponent(this.o.podToken(path))}`;
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
    const exp = expName ? this.informers.experiments.get(trial.metadata.namespace!, expName) : undefined;
    const rule = exp?.spec.earlyStopping;
    if (!exp || !rule || rule.algorithmName !== 'medianstop') return undefined;
    const settings = Object.fromEntries((rule.algorithmSettings ?? []).map((s) => [s.name, s.value]));
    const objective = trial.spec.objective.objectiveMetricName;
    const curve = objectiveSeries(await this.o.store.observationLog(trial.metadata.uid!), objective);
    const completed: number[][] = [];
    for (const t of this.informers.trialsOf(exp)) {
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
  async finishTrial(trial: StoredTrial, type: TrialConditionType, reason: TrialReason, message: string, now: string): Promise<void> {
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

  private async deleteIgnoringMissing(ref: { apiVersion: string; kind: string; namespace: string; name: string }): Promise<void> {
    try {
      await this.o.store.delete(ref);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}
