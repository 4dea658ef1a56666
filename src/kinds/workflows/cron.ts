/**
 * The CronWorkflow controller: starts a Workflow from `spec.workflowSpec` at each scheduled time,
 * honouring `timezone`, `concurrencyPolicy`, `startingDeadlineSeconds`, `suspend` and the history
 * limits. Each run's name comes from its scheduled time, so a restart never starts a run twice.
 * As with Kubernetes CronJobs, runs missed while the server was down collapse into the latest.
 */
import { CronExpressionParser } from 'cron-parser';
import { AlreadyExistsError, NotFoundError } from '../../api/errors.js';
import type { KubeObject, Stored } from '../../api/types.js';
import { ANNOTATIONS } from '../../api/types.js';
import { Informer, type Store } from '../../store/index.js';
import type { Clock } from '../../util/clock.js';
import { isoSeconds } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { WorkQueue, type ReconcileResult } from '../../store/queue.js';
import { parseDurationSeconds } from './steppod.js';
import { ARGO_API_VERSION, WF_ANNOTATIONS, WF_LABELS, isWorkflowDone, type CronWorkflow, type Workflow } from './types.js';

const SOURCE = 'cron-workflow-controller';
type StoredCron = Stored<CronWorkflow>;
type StoredWorkflow = Stored<Workflow>;

export interface CronWorkflowControllerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
}

/** `@every 90s`, which Argo's cron library accepts besides cron fields: the period in ms. */
function everyPeriod(schedule: string): number | undefined {
  const m = /^@every\s+(.+)$/.exec(schedule.trim());
  if (!m) return undefined;
  const ms = parseDurationSeconds(m[1]!.trim()) * 1000;
  if (!(ms > 0)) throw new Error(`invalid schedule ${JSON.stringify(schedule)}: the period must be positive`);
  return ms;
}

/** The run times of one schedule around `now`; `@every` periods count from `anchor` (the CronWorkflow's creation). */
function around(schedule: string, tz: string | undefined, now: number, anchor: number): { prev: number; next: number } {
  const period = everyPeriod(schedule);
  if (period !== undefined) {
    const n = Math.floor((now - anchor) / period);
    return { prev: anchor + n * period, next: anchor + (n + 1) * period };
  }
  const opts = tz ? { tz } : {};
  return {
    prev: CronExpressionParser.parse(schedule, { currentDate: new Date(now + 1), ...opts }).prev().toDate().getTime(),
    next: CronExpressionParser.parse(schedule, { currentDate: new Date(now), ...opts }).next().toDate().getTime(),
  };
}

/** The latest time in (after, now] that any schedule names, or undefined. */
export function lastScheduleBefore(schedules: readonly string[], tz: string | undefined, after: number, now: number, anchor = after): number | undefined {
  let best: number | undefined;
  for (const s of schedules) {
    const t = around(s, tz, now, anchor).prev;
    if (t > after && t <= now && (best === undefined || t > best)) best = t;
  }
  return best;
}

/** The next time after `now` that any schedule names. */
export function nextSchedule(schedules: readonly string[], tz: string | undefined, now: number, anchor = now): number | undefined {
  let best: number | undefined;
  for (const s of schedules) {
    const t = around(s, tz, now, anchor).next;
    if (best === undefined || t < best) best = t;
  }
  return best;
}

export class CronWorkflowController {
  private readonly crons: Informer<StoredCron>;
  private readonly workflows: Informer<StoredWorkflow>;
  private readonly queue: WorkQueue;

  constructor(private readonly o: CronWorkflowControllerOptions) {
    this.crons = new Informer(o.store, { apiVersion: ARGO_API_VERSION, kind: 'CronWorkflow' });
    this.workflows = new Informer(o.store, { apiVersion: ARGO_API_VERSION, kind: 'Workflow' });
    this.queue = new WorkQueue(SOURCE, (k) => this.reconcile(k), o.clock, o.logger);
  }

  async start(): Promise<void> {
    this.crons.onChange((e) => {
      if (e.type !== 'DELETED') this.queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`);
    });
    this.workflows.onChange((e) => {
      const cron = e.object.metadata.labels?.[WF_LABELS.cronWorkflow];
      if (cron) this.queue.add(`${e.object.metadata.namespace}/${cron}`);
    });
    await this.workflows.start();
    await this.crons.start();
  }

  stop(): void {
    this.queue.stop();
    this.crons.stop();
    this.workflows.stop();
  }

  private children(cron: StoredCron): StoredWorkflow[] {
    return this.workflows
      .list()
      .filter((w) => w.metadata.namespace === cron.metadata.namespace && w.metadata.ownerReferences?.some((r) => r.uid === cron.metadata.uid));
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const cron = this.crons.get(namespace, name);
    if (!cron || cron.metadata.deletionTimestamp) return;
    const spec = cron.spec;
    const now = this.o.clock.now();
    const schedules = spec.schedules ?? [];
    const tz = spec.timezone || undefined;
    const children = this.children(cron);
    let active = children.filter((w) => !isWorkflowDone(w));
    const status = { ...(cron.status ?? {}) } as NonNullable<CronWorkflow['status']> & Record<string, unknown>;
    const created = Date.parse(cron.metadata.creationTimestamp ?? isoSeconds(now));
    const last = status.lastScheduledTime ? Date.parse(status.lastScheduledTime) : created;

    let due: number | undefined;
    try {
      due = schedules.length ? lastScheduleBefore(schedules, tz, last, now, created) : undefined;
    } catch (err) {
      await this.o.store.recordEvent({ involved: cron, type: 'Warning', reason: 'InvalidSchedule', message: (err as Error).message, source: SOURCE });
      return;
    }
    if (due !== undefined) {
      const late = (now - due) / 1000;
      const tooLate = spec.startingDeadlineSeconds !== undefined && late > spec.startingDeadlineSeconds;
      const policy = spec.concurrencyPolicy ?? 'Allow';
      if (spec.suspend) {
        // A suspended cron workflow does not make up for runs it skipped once resumed.
      } else if (tooLate) {
        await this.event(cron, 'Warning', 'MissedSchedule', `missed the run scheduled at ${isoSeconds(due)} by more than ${spec.startingDeadlineSeconds}s`);
      } else if (policy === 'Forbid' && active.length > 0) {
        await this.event(cron, 'Normal', 'ConcurrencyForbidden', `skipped the run scheduled at ${isoSeconds(due)}: ${active.map((w) => w.metadata.name).join(', ')} still running`);
      } else {
        if (policy === 'Replace') {
          for (const w of active) await this.stopWorkflow(w);
        }
        const wf = await this.createRun(cron, due);
        if (wf) active = [...active.filter((w) => w.metadata.name !== wf.metadata.name), wf as StoredWorkflow];
      }
      status.lastScheduledTime = isoSeconds(due);
    }
    await this.collectHistory(cron, children);
    status.active = active.map((w) => ({ apiVersion: w.apiVersion, kind: w.kind, name: w.metadata.name, namespace: w.metadata.namespace, uid: w.metadata.uid }));
    status.succeeded = children.filter((w) => w.status?.phase === 'Succeeded').length;
    status.failed = children.filter((w) => w.status?.phase === 'Failed' || w.status?.phase === 'Error').length;
    status.phase = spec.suspend ? 'Stopped' : 'Active';
    try {
      await this.o.store.patch<StoredCron>({ apiVersion: ARGO_API_VERSION, kind: 'CronWorkflow', namespace, name }, (c) => {
        if (c.metadata.uid !== cron.metadata.uid) return false;
        if (JSON.stringify(c.status ?? {}) === JSON.stringify(status)) return false;
        c.status = status as never;
      });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    const next = schedules.length ? nextSchedule(schedules, tz, now, created) : undefined;
    return next !== undefined ? { requeueAfterMs: Math.max(next - now, 10) } : undefined;
  }

  private async createRun(cron: StoredCron, scheduled: number): Promise<KubeObject | undefined> {
    const meta = cron.spec.workflowMetadata ?? {};
    const sourceDir = cron.metadata.annotations?.[ANNOTATIONS.sourceDir];
    const wf: StoredWorkflow = {
      apiVersion: ARGO_API_VERSION,
      kind: 'Workflow',
      metadata: {
        name: `${cron.metadata.name}-${Math.floor(scheduled / 1000)}`,
        namespace: cron.metadata.namespace,
        labels: { ...(meta.labels ?? {}), [WF_LABELS.cronWorkflow]: cron.metadata.name! },
        annotations: { ...(meta.annotations ?? {}), [WF_ANNOTATIONS.scheduledTime]: isoSeconds(scheduled), ...(sourceDir ? { [ANNOTATIONS.sourceDir]: sourceDir } : {}) },
        ownerReferences: [{ apiVersion: cron.apiVersion, kind: cron.kind, name: cron.metadata.name!, uid: cron.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(cron.spec.workflowSpec),
    };
    try {
      const created = await this.o.store.create(wf);
      await this.event(cron, 'Normal', 'WorkflowCreated', `created workflow ${wf.metadata.name} for the run scheduled at ${isoSeconds(scheduled)}`);
      return created;
    } catch (err) {
      if (err instanceof AlreadyExistsError) return undefined;
      throw err;
    }
  }

  private async stopWorkflow(w: StoredWorkflow): Promise<void> {
    try {
      await this.o.store.patch<StoredWorkflow>({ apiVersion: ARGO_API_VERSION, kind: 'Workflow', namespace: w.metadata.namespace!, name: w.metadata.name! }, (x) => {
        if (isWorkflowDone(x)) return false;
        x.spec = { ...x.spec, shutdown: 'Terminate' };
      });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  /** Keeps the newest successful and failed runs up to the history limits (3 and 1 by default). */
  private async collectHistory(cron: StoredCron, children: StoredWorkflow[]): Promise<void> {
    const done = children.filter(isWorkflowDone).sort((a, b) => String(b.status?.finishedAt ?? '').localeCompare(String(a.status?.finishedAt ?? '')));
    const keepOk = cron.spec.successfulJobsHistoryLimit ?? 3;
    const keepFailed = cron.spec.failedJobsHistoryLimit ?? 1;
    const ok = done.filter((w) => w.status?.phase === 'Succeeded');
    const failed = done.filter((w) => w.status?.phase !== 'Succeeded');
    for (const w of [...ok.slice(keepOk), ...failed.slice(keepFailed)]) {
      try {
        await this.o.store.delete({ apiVersion: ARGO_API_VERSION, kind: 'Workflow', namespace: w.metadata.namespace!, name: w.metadata.name! });
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
  }

  private event(cron: StoredCron, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    return this.o.store.recordEvent({ involved: cron, type, reason, message, source: SOURCE });
  }
}
