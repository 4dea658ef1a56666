/**
 * The training job controller: one level-triggered reconcile per job (plan.ts decides, this file
 * does the I/O): replica pods and, where the server serves Services, a headless Service per
 * replica; status and events; deletions per cleanPodPolicy and ttlSecondsAfterFinished. After a
 * restart it converges from the job and its pods, so running replicas are adopted, never re-made.
 */
import type { KindTable } from '../../api/kinds.js';
import type { KubeObject, Pod, Stored } from '../../api/types.js';
import { AlreadyExistsError, ForbiddenError } from '../../api/errors.js';
import { Informer, type Store } from '../../store/index.js';
import { WorkQueue, type ReconcileResult } from '../../store/queue.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { planJob } from './plan.js';
import { type Framework, type TrainingJob, FRAMEWORKS, TRAINING_API_VERSION, TRAINING_LABELS, frameworkOf } from './types.js';

/** How soon a job whose pod a quota refused tries again. */
const RETRY_MS = 5000;

export interface TrainingControllerOptions {
  store: Store;
  kinds: KindTable;
  clock: Clock;
  logger: Logger;
  /** The namespace in the DNS names pods resolve, for a job's namespace (PodRuntime.dnsNamespace). */
  dnsNamespace?: (namespace: string) => string;
}

export class TrainingController {
  private readonly jobs: Map<string, Informer<Stored<TrainingJob>>>;
  private readonly pods: Informer<Stored<Pod>>;
  private readonly services: Informer<Stored<KubeObject>> | undefined;
  private readonly queue: WorkQueue;

  constructor(private readonly o: TrainingControllerOptions) {
    this.jobs = new Map(FRAMEWORKS.map((fw) => [fw.kind, new Informer<Stored<TrainingJob>>(o.store, { apiVersion: TRAINING_API_VERSION, kind: fw.kind })]));
    this.pods = new Informer(o.store, { apiVersion: 'v1', kind: 'Pod' });
    // Services come with pod networking; until the kind is served, replicas reach each other without them.
    this.services = o.kinds.of('v1', 'Service') ? new Informer(o.store, { apiVersion: 'v1', kind: 'Service' }) : undefined;
    this.queue = new WorkQueue('training-controller', (k) => this.reconcile(k), o.clock, o.logger);
  }

  async start(): Promise<void> {
    for (const [kind, inf] of this.jobs) inf.onChange((e) => this.queue.add(`${kind}/${e.object.metadata.namespace}/${e.object.metadata.name}`));
    const owned = (e: { object: KubeObject }): void => {
      const owner = e.object.metadata.ownerReferences?.find((r) => r.controller && r.apiVersion === TRAINING_API_VERSION && frameworkOf(r.kind));
      if (owner) this.queue.add(`${owner.kind}/${e.object.metadata.namespace}/${owner.name}`);
    };
    this.pods.onChange(owned);
    this.services?.onChange(owned);
    await this.pods.start();
    await this.services?.start();
    for (const inf of this.jobs.values()) await inf.start();
  }

  stop(): void {
    this.queue.stop();
    for (const inf of this.jobs.values()) inf.stop();
    this.pods.stop();
    this.services?.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private owned<T extends KubeObject>(list: T[], job: Stored<TrainingJob>): T[] {
    return list.filter((o) => o.metadata.namespace === job.metadata.namespace && o.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid));
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const [kind, namespace, name] = key.split('/') as [string, string, string];
    const fw = frameworkOf(kind)!;
    const job = this.jobs.get(kind)!.get(namespace, name);
    if (!job || job.metadata.deletionTimestamp) return; // Deleted or being deleted: the store removes its pods and services.
    const pods = this.owned(this.pods.list(), job);
    const services = this.services ? this.owned(this.services.list(), job).map((s) => s.metadata.name!) : [];
    const now = this.o.clock.now();
    const plan = planJob({ fw, job, pods, services, servicesServed: this.services !== undefined, ...(this.o.dnsNamespace ? { dnsNamespace: this.o.dnsNamespace(namespace) } : {}), now });
    const ref = { apiVersion: TRAINING_API_VERSION, kind, namespace, name };

    for (const n of plan.deletePods) await this.remove({ apiVersion: 'v1', kind: 'Pod', namespace, name: n });
    for (const n of plan.deleteServices) await this.remove({ apiVersion: 'v1', kind: 'Service', namespace, name: n });
    if (plan.status) {
      const status = plan.status;
      try {
        await this.o.store.patch<Stored<TrainingJob>>(ref, (j) => {
          if (j.metadata.uid !== job.metadata.uid) return false;
          j.status = status;
        });
      } catch {
        return; // Deleted meanwhile.
      }
    }
    for (const e of plan.events) await this.event(job, e.type, e.reason, e.message);
    if (plan.deleteJob) {
      await this.remove(ref);
      return;
    }
    let requeue = plan.requeueAfterMs;
    for (const svc of plan.services) {
      try {
        await this.o.store.create(svc as KubeObject);
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
      }
    }
    for (const pod of plan.create) {
      try {
        await this.o.store.create(pod);
        await this.event(job, 'Normal', 'SuccessfulCreatePod', `Created pod: ${pod.metadata.name}`);
      } catch (err) {
        if (err instanceof AlreadyExistsError) continue; // the old pod is still being deleted: next time
        if (!(err instanceof ForbiddenError)) throw err;
        await this.event(job, 'Warning', 'FailedCreatePod', `Error creating: ${err.message}`);
        requeue = Math.min(requeue ?? RETRY_MS, RETRY_MS);
        break;
      }
    }
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  private async remove(ref: { apiVersion: string; kind: string; namespace: string; name: string }): Promise<void> {
    try {
      await this.o.store.delete(ref);
    } catch {
      // Already gone.
    }
  }

  private async event(job: Stored<TrainingJob>, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.o.store.recordEvent({ involved: job, type, reason, message, source: 'training-operator' });
    } catch {
      // The job was deleted meanwhile.
    }
  }
}

export { TRAINING_LABELS, type Framework };
