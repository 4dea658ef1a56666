/**
 * The OptimizationJob controller: planOptimization decides (./plan.ts); this does the writes.
 * Level-triggered: trials are found again by label after a restart, and named by number, so a
 * trial created just before a crash is found, not made twice.
 */
import { AlreadyExistsError, DroverError, NotFoundError } from '../../api/errors.js';
import type { KubeObject, Stored } from '../../api/types.js';
import { Informer, type Store } from '../../store/index.js';
import { WorkQueue, type ReconcileResult } from '../../store/queue.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { TRAINER_API_VERSION, type TrainJob } from '../training/trainjob.js';
import { ended, isOptimizationFinished, planOptimization } from './plan.js';
import { OPTIMIZATION_API_VERSION, OPTIMIZATION_LABELS, type OptimizationJob } from './types.js';

export class OptimizationJobController {
  private readonly jobs: Informer<Stored<OptimizationJob>>;
  private readonly trials: Informer<Stored<TrainJob>>;
  private readonly queue: WorkQueue;

  constructor(private readonly o: { store: Store; clock: Clock; logger: Logger; admit(obj: KubeObject): KubeObject }) {
    this.jobs = new Informer(o.store, { apiVersion: OPTIMIZATION_API_VERSION, kind: 'OptimizationJob' });
    this.trials = new Informer(o.store, { apiVersion: TRAINER_API_VERSION, kind: 'TrainJob' });
    this.queue = new WorkQueue('optimizationjob-controller', (k) => this.reconcile(k), o.clock, o.logger);
  }

  async start(): Promise<void> {
    const key = (ns: string | undefined, name: string) => `${ns}/${name}`;
    this.jobs.onChange((e) => this.queue.add(key(e.object.metadata.namespace, e.object.metadata.name!)));
    this.trials.onChange((e) => {
      const owner = e.object.metadata.labels?.[OPTIMIZATION_LABELS.job];
      if (owner) this.queue.add(key(e.object.metadata.namespace, owner));
    });
    await this.trials.start();
    await this.jobs.start();
  }

  stop(): void {
    this.queue.stop();
    this.jobs.stop();
    this.trials.stop();
  }

  private async reconcile(k: string): Promise<ReconcileResult | void> {
    const [namespace, name] = k.split('/') as [string, string];
    const job = this.jobs.get(namespace, name);
    if (!job || isOptimizationFinished(job)) return;
    const trials = this.trials.list().filter((t) => t.metadata.namespace === namespace && t.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid));
    const plan = planOptimization(job, trials, this.o.clock.now());
    for (const t of plan.stop) {
      await this.o.store.delete({ apiVersion: TRAINER_API_VERSION, kind: 'TrainJob', namespace, name: t }).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
    }
    let status = plan.status;
    for (const t of plan.create) {
      try {
        await this.o.store.create(this.o.admit(t));
      } catch (err) {
        if (err instanceof AlreadyExistsError) continue;
        // A trial the API refuses (the template rendered to something invalid) will be refused
        // again: the job fails, saying why, instead of retrying forever.
        if (!(err instanceof DroverError) || err.httpStatus >= 500) throw err;
        const message = `trial ${t.metadata.name} could not be created: ${err.message}`;
        status = ended(status ?? job.status ?? {}, 'Failed', 'TrialCreationFailed', message, this.o.clock.now());
        plan.events.push({ type: 'Warning', reason: 'TrialCreationFailed', message });
        break;
      }
    }
    if (status) {
      const next = status;
      await this.o.store.patch<Stored<OptimizationJob>>({ apiVersion: OPTIMIZATION_API_VERSION, kind: 'OptimizationJob', namespace, name }, (j) => {
        if (j.metadata.uid !== job.metadata.uid) return false;
        j.status = next;
      }).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
    }
    for (const e of plan.events) {
      await this.o.store.recordEvent({ involved: job, type: e.type, reason: e.reason, message: e.message, source: 'optimizationjob-controller' }).catch(() => undefined);
    }
  }
}
