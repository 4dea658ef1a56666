/**
 * The Experiment and Trial controllers (Katib's, in one process): the two reconcilers
 * (experiment-reconciler.ts, trial-reconciler.ts) over shared informers, each with its own work
 * queue, and the routing of changes between them: a trial's change is also its experiment's, a
 * Job's or Pod's is its trial's.
 *
 * Level-triggered like the other controllers, so a restart at any moment converges.
 */
import type { KubeObject } from '../../api/types.js';
import type { Store } from '../../store/index.js';
import type { PodRuntime } from '../../runtime/index.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { WorkQueue } from '../../store/queue.js';
import { MetricsCollector } from './collector.js';
import { EXPERIMENT_SOURCE, ExperimentReconciler } from './experiment-reconciler.js';
import { KatibInformers, key } from './informers.js';
import { TRIAL_SOURCE, TrialReconciler } from './trial-reconciler.js';
import { KATIB_LABELS } from './types.js';

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
  /** A credential for one API path, for the trial's pod to push its metrics with. */
  podToken(path: string): string;
}

export class ExperimentController {
  private readonly informers: KatibInformers;
  private readonly experimentQueue: WorkQueue;
  private readonly trialQueue: WorkQueue;
  private readonly collector: MetricsCollector;
  private readonly experimentReconciler: ExperimentReconciler;
  private readonly trialReconciler: TrialReconciler;

  constructor(o: ExperimentControllerOptions) {
    this.informers = new KatibInformers(o.store);
    this.collector = new MetricsCollector({ store: o.store, runtime: o.runtime, logger: o.logger, filesDir: o.filesDir, onProgress: (k) => this.trialQueue.add(k) });
    this.trialReconciler = new TrialReconciler({ store: o.store, clock: o.clock, informers: this.informers, collector: this.collector, admit: o.admit, apiUrl: o.apiUrl, podToken: o.podToken });
    this.experimentReconciler = new ExperimentReconciler({
      store: o.store,
      clock: o.clock,
      informers: this.informers,
      finishTrial: (...args) => this.trialReconciler.finishTrial(...args),
    });
    this.experimentQueue = new WorkQueue(EXPERIMENT_SOURCE, (k) => this.experimentReconciler.reconcile(k), o.clock, o.logger);
    this.trialQueue = new WorkQueue(TRIAL_SOURCE, (k) => this.trialReconciler.reconcile(k), o.clock, o.logger);
  }

  async start(): Promise<void> {
    const { experiments, trials, jobs, pytorchJobs, pods } = this.informers;
    experiments.onChange((e) => {
      const k = key(e.object.metadata.namespace, e.object.metadata.name);
      if (e.type === 'DELETED') {
        this.experimentReconciler.forget(e.object.metadata.uid!);
        return;
      }
      if (this.experimentReconciler.isWriting(k)) return;
      this.experimentQueue.add(k);
    });
    trials.onChange((e) => {
      const t = e.object;
      if (e.type === 'DELETED') this.trialReconciler.forget(t.metadata.uid!);
      else this.trialQueue.add(key(t.metadata.namespace, t.metadata.name));
      const exp = t.metadata.labels?.[KATIB_LABELS.experiment];
      if (exp) this.experimentQueue.add(key(t.metadata.namespace, exp));
    });
    const toTrial = (obj: KubeObject) => {
      const trial = obj.metadata.labels?.[KATIB_LABELS.trial];
      if (trial) this.trialQueue.add(key(obj.metadata.namespace, trial));
    };
    jobs.onChange((e) => toTrial(e.object));
    pytorchJobs.onChange((e) => toTrial(e.object));
    pods.onChange((e) => toTrial(e.object));
    await this.informers.start();
  }

  stop(): void {
    this.experimentQueue.stop();
    this.trialQueue.stop();
    this.collector.stop();
    this.informers.stop();
  }

  async idle(): Promise<void> {
    await this.experimentQueue.idle();
    await this.trialQueue.idle();
  }
}
