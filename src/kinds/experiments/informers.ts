/**
 * What the Experiment and Trial reconcilers both read: the informers of the kinds they watch,
 * an experiment's trials, and the trials' views, each computed once per stored object.
 */
import type { Job, KubeObject, Pod, Stored } from '../../api/types.js';
import { Informer, type Store } from '../../store/index.js';
import { viewOf, type TrialView } from './experiment.js';
import { KATIB_API_VERSION, type Experiment, type Trial } from './types.js';

export type StoredExperiment = Stored<Experiment>;
export type StoredTrial = Stored<Trial>;

/** A work-queue key: `namespace/name`. */
export const key = (ns: string | undefined, name: string | undefined): string => `${ns ?? ''}/${name ?? ''}`;
/** RFC 3339 with seconds, as Katib writes its times. */
export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class KatibInformers {
  readonly experiments: Informer<StoredExperiment>;
  readonly trials: Informer<StoredTrial>;
  readonly jobs: Informer<Stored<Job>>;
  /** Trials whose run is a Kubeflow PyTorchJob. */
  readonly pytorchJobs: Informer<Stored<KubeObject>>;
  readonly pods: Informer<Stored<Pod>>;
  readonly configMaps: Informer<KubeObject & { data?: Record<string, string> }>;
  /**
   * Views of the trials, by object: the informer replaces a trial's object when it changes, so a
   * pass recomputes only the views of trials that changed since the last one.
   */
  private readonly views = new WeakMap<Trial, TrialView>();
  readonly view = (t: Trial): TrialView => {
    let v = this.views.get(t);
    if (!v) this.views.set(t, (v = viewOf(t)));
    return v;
  };

  constructor(store: Store) {
    this.experiments = new Informer(store, { apiVersion: KATIB_API_VERSION, kind: 'Experiment' });
    this.trials = new Informer(store, { apiVersion: KATIB_API_VERSION, kind: 'Trial' });
    this.jobs = new Informer(store, { apiVersion: 'batch/v1', kind: 'Job' });
    this.pytorchJobs = new Informer(store, { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob' });
    this.pods = new Informer(store, { apiVersion: 'v1', kind: 'Pod' });
    this.configMaps = new Informer(store, { apiVersion: 'v1', kind: 'ConfigMap' });
  }

  /** Starts them in the order the reconcilers need: what a trial's pass reads before the trials and experiments. */
  async start(): Promise<void> {
    await this.configMaps.start();
    await this.pods.start();
    await this.jobs.start();
    await this.pytorchJobs.start();
    await this.trials.start();
    await this.experiments.start();
  }

  stop(): void {
    for (const i of [this.experiments, this.trials, this.jobs, this.pytorchJobs, this.pods, this.configMaps]) i.stop();
  }

  trialsOf(exp: StoredExperiment): StoredTrial[] {
    return this.trials.list().filter((t) => t.metadata.namespace === exp.metadata.namespace && t.metadata.ownerReferences?.some((r) => r.uid === exp.metadata.uid));
  }
}
