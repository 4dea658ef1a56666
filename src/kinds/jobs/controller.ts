/**
 * The Job controller, with batch/v1 semantics: it creates Pods from the template until enough
 * succeed, counts failures against `backoffLimit` (with exponential back-off between them),
 * honours `podFailurePolicy`, `activeDeadlineSeconds`, `suspend`, `completionMode: Indexed` and
 * `ttlSecondsAfterFinished`, and writes `status` and conditions as Kubernetes does.
 *
 * Level-triggered: every reconcile recomputes from the Job and its Pods, so after a restart it
 * converges without running finished work again.
 */
import type { Job, JobCondition, Pod, Stored } from '../../api/types.js';
import { ANNOTATIONS, LABELS } from '../../api/types.js';
import { isPodTerminal } from '../../api/pods.js';
import { ForbiddenError } from '../../api/errors.js';
import { Informer, type Store } from '../../store/index.js';
import type { Clock } from '../../util/clock.js';
import { isoSeconds } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { WorkQueue, type ReconcileResult } from '../../store/queue.js';
import { backoffDelayMs, DEFAULT_BACKOFF_LIMIT, formatIndexes, jobFinished, judgeFailedPod } from './policy.js';

/** How soon a Job whose pod a quota refused tries again (pods ending elsewhere free quota without waking it). */
const QUOTA_RETRY_MS = 5000;

export interface JobControllerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** First delay before re-creating a failed pod; Kubernetes uses 10 s. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

const SOURCE = 'job-controller';
type StoredJob = Stored<Job>;
type StoredPod = Stored<Pod>;

function podIndex(pod: Pod): number | undefined {
  const v = pod.metadata?.annotations?.[LABELS.completionIndex];
  return v === undefined ? undefined : Number(v);
}

function finishedAt(pod: Pod): number {
  const times = (pod.status?.containerStatuses ?? []).map((c) => c.state?.terminated?.finishedAt).filter((t): t is string => !!t);
  return times.length ? Math.max(...times.map((t) => Date.parse(t))) : 0;
}

export class JobController {
  private readonly jobs: Informer<StoredJob>;
  private readonly pods: Informer<StoredPod>;
  private readonly queue: WorkQueue;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;

  constructor(private readonly o: JobControllerOptions) {
    this.jobs = new Informer(o.store, { apiVersion: 'batch/v1', kind: 'Job' });
    this.pods = new Informer(o.store, { apiVersion: 'v1', kind: 'Pod' });
    this.queue = new WorkQueue('job-controller', (k) => this.reconcile(k), o.clock, o.logger);
    this.backoffBaseMs = o.backoffBaseMs ?? 10_000;
    this.backoffMaxMs = o.backoffMaxMs ?? 360_000;
  }

  async start(): Promise<void> {
    this.jobs.onChange((e) => this.queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`));
    this.pods.onChange((e) => {
      const owner = e.object.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Job');
      if (owner) this.queue.add(`${e.object.metadata.namespace}/${owner.name}`);
    });
    await this.pods.start();
    await this.jobs.start();
  }

  stop(): void {
    this.queue.stop();
    this.jobs.stop();
    this.pods.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private podsOf(job: StoredJob): StoredPod[] {
    const uid = job.metadata.uid;
    return this.pods.list().filter((p) => p.metadata.namespace === job.metadata.namespace && p.metadata.ownerReferences?.some((r) => r.uid === uid));
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const job = this.jobs.get(namespace, name);
    if (!job) return; // Deleted: the store removed its pods with it.
    if (job.metadata.deletionTimestamp) return; // Being deleted: no new pods.
    const now = this.o.clock.now();
    const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace, name };
    const pods = this.podsOf(job);

    const done = jobFinished(job);
    if (done) return this.afterFinish(job, done, now);

    const spec = job.spec ?? { template: {} };
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions ?? (indexed ? 1 : undefined);
    const parallelism = spec.parallelism ?? 1;
    const backoffLimit = spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
    const onFailureRestarts = spec.template.spec?.restartPolicy === 'OnFailure';

    const active = pods.filter((p) => !isPodTerminal(p));
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded');
    const failedPods = pods.filter((p) => p.status?.phase === 'Failed');
    const ready = active.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;

    // podFailurePolicy decides whether each failure fails the job, is ignored, or counts.
    let counted = 0;
    for (const p of failedPods) {
      const verdict = judgeFailedPod(job, p);
      if (verdict.action === 'FailJob') return this.finish(job, active, 'Failed', 'PodFailurePolicy', verdict.message!, pods, now);
      if (verdict.action === 'Count') counted++;
    }
    // With OnFailure the kubelet restarts containers in place; each restart is a failure.
    const restarts = onFailureRestarts ? active.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, c) => m + (c.restartCount ?? 0), 0), 0) : 0;
    const failures = Math.max(counted + restarts, job.status?.failed ?? 0);

    const startTime = job.status?.startTime ? Date.parse(job.status.startTime) : undefined;
    if (spec.suspend) {
      for (const p of active) await this.deletePod(job, p);
      await this.writeStatus(ref, job, {
        active: 0, ready: 0, succeeded: succeeded.length, failed: failures,
        conditions: upsert(job.status?.conditions, { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' }, now),
      }, startTime);
      if (job.status?.conditions?.find((c) => c.type === 'Suspended')?.status !== 'True') await this.event(job, 'Normal', 'Suspended', 'Job suspended');
      return;
    }

    if (failures > backoffLimit) {
      return this.finish(job, active, 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', pods, now);
    }
    const deadline = spec.activeDeadlineSeconds;
    if (deadline !== undefined && startTime !== undefined && now - startTime >= deadline * 1000) {
      return this.finish(job, active, 'Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline', pods, now);
    }

    // What is complete, and what still has to run.
    let complete: boolean;
    const wanted: number[] = []; // indexes (Indexed) or -1 placeholders (NonIndexed) to create now
    const doneIndexes = new Set(succeeded.map(podIndex).filter((i): i is number => i !== undefined));
    if (indexed) {
      complete = doneIndexes.size >= completions!;
      const running = new Set(active.map(podIndex));
      for (let i = 0; i < completions! && wanted.length + active.length < parallelism; i++) {
        if (!doneIndexes.has(i) && !running.has(i)) wanted.push(i);
      }
    } else if (completions === undefined) {
      // Work-queue mode: done once any pod succeeded and the rest have finished.
      complete = succeeded.length > 0 && active.length === 0;
      if (succeeded.length === 0) for (let n = active.length; n < parallelism; n++) wanted.push(-1);
    } else {
      complete = succeeded.length >= completions;
      const remaining = completions - succeeded.length;
      for (let n = active.length; n < Math.min(parallelism, remaining); n++) wanted.push(-1);
    }
    if (complete) return this.finish(job, active, 'Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', pods, now);

    // Back-off after failures: the next pod waits base·2^(n-1) after the last failure.
    let requeue: number | undefined;
    if (wanted.length > 0 && failures > 0 && failedPods.length > 0) {
      const lastFailure = Math.max(...failedPods.map(finishedAt));
      const readyAt = lastFailure + backoffDelayMs(failures, this.backoffBaseMs, this.backoffMaxMs);
      if (now < readyAt) {
        requeue = readyAt - now;
        wanted.length = 0;
      }
    }
    let created = 0;
    for (const index of wanted) {
      try {
        await this.createPod(job, index >= 0 ? index : undefined);
        created++;
      } catch (err) {
        if (!(err instanceof ForbiddenError)) throw err;
        // Refused at admission (a ResourceQuota is full): said on the Job, tried again later, as the Job controller does.
        await this.event(job, 'Warning', 'FailedCreate', `Error creating: ${err.message}`);
        requeue = Math.min(requeue ?? QUOTA_RETRY_MS, QUOTA_RETRY_MS);
        break;
      }
    }
    wanted.length = created;

    const status = {
      active: active.length + wanted.length,
      ready,
      succeeded: succeeded.length,
      failed: failures,
      ...(indexed ? { completedIndexes: formatIndexes(doneIndexes) } : {}),
      conditions: job.status?.conditions?.some((c) => c.type === 'Suspended')
        ? upsert(job.status?.conditions, { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' }, now)
        : job.status?.conditions,
    };
    await this.writeStatus(ref, job, status, startTime ?? now);
    if (deadline !== undefined) {
      const left = (startTime ?? now) + deadline * 1000 - now;
      requeue = Math.min(requeue ?? Infinity, Math.max(left, 0));
    }
    return requeue !== undefined && Number.isFinite(requeue) ? { requeueAfterMs: requeue } : undefined;
  }

  private async writeStatus(ref: { apiVersion: string; kind: string; namespace: string; name: string }, job: StoredJob, fields: Record<string, unknown>, startTime: number | undefined): Promise<void> {
    await this.o.store.patch<StoredJob>(ref, (j) => {
      if (j.metadata.uid !== job.metadata.uid || jobFinished(j)) return false;
      const next = { ...(j.status ?? {}), ...fields } as Record<string, unknown>;
      if (startTime !== undefined && !j.status?.startTime) next.startTime = isoSeconds(startTime);
      for (const k of Object.keys(next)) if (next[k] === undefined) delete next[k];
      j.status = next;
    });
  }

  private async finish(job: StoredJob, active: StoredPod[], type: 'Complete' | 'Failed', reason: string, message: string, pods: StoredPod[], now: number): Promise<ReconcileResult | void> {
    // Kubernetes stops what still runs when a job ends either way.
    for (const p of active) await this.deletePod(job, p);
    const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace: job.metadata.namespace!, name: job.metadata.name! };
    const ts = isoSeconds(now);
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded');
    const updated = await this.o.store.patch<StoredJob>(ref, (j) => {
      if (j.metadata.uid !== job.metadata.uid || jobFinished(j)) return false;
      const conditions: JobCondition[] = (j.status?.conditions ?? []).filter((c) => c.type !== 'Suspended' || c.status === 'True');
      const criteria = type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget';
      conditions.push({ type: criteria, status: 'True', reason, message, lastProbeTime: ts, lastTransitionTime: ts });
      conditions.push({ type, status: 'True', reason, message, lastProbeTime: ts, lastTransitionTime: ts });
      j.status = {
        ...(j.status ?? {}),
        startTime: j.status?.startTime ?? ts,
        active: 0,
        ready: 0,
        succeeded: succeeded.length,
        failed: Math.max(j.status?.failed ?? 0, pods.filter((p) => p.status?.phase === 'Failed').length + (type === 'Failed' ? active.length : 0)),
        ...(j.spec?.completionMode === 'Indexed' ? { completedIndexes: formatIndexes(succeeded.map(podIndex).filter((i): i is number => i !== undefined)) } : {}),
        conditions,
        ...(type === 'Complete' ? { completionTime: ts } : {}),
      };
    });
    if (jobFinished(updated)?.type === type) {
      await this.event(job, type === 'Complete' ? 'Normal' : 'Warning', type === 'Complete' ? 'Completed' : reason, type === 'Complete' ? 'Job completed' : message);
    }
    return this.afterFinish(updated, jobFinished(updated)!, now);
  }

  /** `ttlSecondsAfterFinished`: delete the finished job (and so its pods) when its time is up. */
  private async afterFinish(job: StoredJob, done: JobCondition, now: number): Promise<ReconcileResult | void> {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    const expires = Date.parse(done.lastTransitionTime ?? new Date(now).toISOString()) + ttl * 1000;
    if (now < expires) return { requeueAfterMs: expires - now };
    try {
      await this.o.store.delete({ apiVersion: 'batch/v1', kind: 'Job', namespace: job.metadata.namespace!, name: job.metadata.name! });
    } catch {
      // Already gone.
    }
  }

  private async createPod(job: StoredJob, index: number | undefined): Promise<void> {
    const template = job.spec?.template ?? {};
    const meta = template.metadata ?? {};
    const jobName = job.metadata.name!;
    const uid = job.metadata.uid!;
    const labels: Record<string, string> = {
      ...(meta.labels ?? {}),
      [LABELS.controllerUid]: uid,
      [LABELS.batchControllerUid]: uid,
      [LABELS.jobName]: jobName,
      [LABELS.batchJobName]: jobName,
    };
    const annotations: Record<string, string> = { ...(meta.annotations ?? {}) };
    const sourceDir = job.metadata.annotations?.[ANNOTATIONS.sourceDir];
    if (sourceDir) annotations[ANNOTATIONS.sourceDir] = sourceDir;
    const spec = structuredClone(template.spec ?? { containers: [] });
    if (index !== undefined) {
      labels[LABELS.completionIndex] = String(index);
      annotations[LABELS.completionIndex] = String(index);
      // Kubernetes injects the index through the downward API; the value is the same.
      for (const c of spec.containers) c.env = [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', value: String(index) }];
    }
    const pod: StoredPod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: index !== undefined ? `${jobName}-${index}-` : `${jobName}-`,
        namespace: job.metadata.namespace!,
        labels,
        annotations,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid, controller: true, blockOwnerDeletion: true }],
      },
      spec,
      status: { phase: 'Pending' },
    };
    // The queue runs one reconcile per job at a time and the informer sees a create before it
    // returns, so the next reconcile counts this pod: no duplicate creation.
    const created = await this.o.store.create(pod);
    await this.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
  }

  private async deletePod(job: StoredJob, pod: StoredPod): Promise<void> {
    try {
      await this.o.store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name! });
      await this.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch {
      // Already gone.
    }
  }

  private async event(job: StoredJob, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.o.store.recordEvent({ involved: job, type, reason, message, source: SOURCE });
    } catch {
      // The job was deleted meanwhile.
    }
  }
}

function upsert(conditions: JobCondition[] | undefined, next: Omit<JobCondition, 'lastTransitionTime' | 'lastProbeTime'>, now: number): JobCondition[] {
  const list = [...(conditions ?? [])];
  const ts = isoSeconds(now);
  const i = list.findIndex((c) => c.type === next.type);
  if (i >= 0 && list[i]!.status === next.status) return list;
  const cond = { ...next, lastProbeTime: ts, lastTransitionTime: ts };
  if (i >= 0) list[i] = cond;
  else list.push(cond);
  return list;
}
