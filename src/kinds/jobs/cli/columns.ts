/** `get jobs`: kubectl's columns for batch/v1 Jobs. */
import type { Job } from '../../../api/types.js';
import { ageColumn, formatLabelSelector, hasCondition, nameColumn, type KindPrinter } from '../../../print/columns.js';
import { humanDuration } from '../../../print/units.js';

/** The Job STATUS column, in kubectl's precedence. */
export function jobStatus(job: Job): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

export function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const spec = job.spec;
  if (spec?.completions != null) return `${succeeded}/${spec.completions}`;
  if (spec?.parallelism != null && spec.parallelism > 1) return `${succeeded}/1 of ${spec.parallelism}`;
  return `${succeeded}/1`;
}

export function jobDuration(job: Job, now: number): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime;
  return humanDuration((end ? Date.parse(end) : now) - Date.parse(start));
}

export const jobPrinter: KindPrinter = {
  columns: [
    nameColumn,
    { header: 'STATUS', cell: (o) => jobStatus(o as Job) },
    { header: 'COMPLETIONS', cell: (o) => jobCompletions(o as Job) },
    { header: 'DURATION', cell: (o, now) => jobDuration(o as Job, now) },
    ageColumn,
    { header: 'CONTAINERS', wide: true, cell: (o) => (o as Job).spec?.template?.spec?.containers?.map((c) => c.name).join(',') ?? '' },
    { header: 'IMAGES', wide: true, cell: (o) => (o as Job).spec?.template?.spec?.containers?.map((c) => c.image ?? '').join(',') ?? '' },
    { header: 'SELECTOR', wide: true, cell: (o) => formatLabelSelector((o as Job).spec?.selector) },
  ],
};
