/** `get workflows` and `get cronworkflows`: argo list's columns, times in kubectl's format. */
import type { KubeObject } from '../../../api/types.js';
import { ageColumn, nameColumn, type KindPrinter } from '../../../print/columns.js';
import { age, humanDuration } from '../../../print/units.js';
import { asWorkflow, compareWorkflows, parameterString, podCounts, workflowStatus } from './status.js';
import { renderWorkflow } from './tree.js';
import { cronSchedules, cronSuspended, cronTimezone, lastCronRun, nextCronRun } from './cron.js';

/** DURATION of a workflow: from start to finish, or to now while it runs; empty before it starts. */
export function workflowDuration(obj: KubeObject, now: number): string {
  const s = asWorkflow(obj).status;
  if (!s?.startedAt) return '';
  return humanDuration((s.finishedAt ? Date.parse(s.finishedAt) : now) - Date.parse(s.startedAt));
}

export const workflowPrinter: KindPrinter = {
  // argo list's columns; times in kubectl's format like every other table.
  columns: [
    nameColumn,
    { header: 'STATUS', cell: (o) => workflowStatus(asWorkflow(o)) },
    ageColumn,
    { header: 'DURATION', cell: (o, now) => workflowDuration(o, now) },
    { header: 'PRIORITY', cell: (o) => String(asWorkflow(o).spec?.priority ?? 0) },
    { header: 'MESSAGE', cell: (o) => asWorkflow(o).status?.message ?? '' },
    {
      header: 'P/R/C',
      wide: true,
      cell: (o) => {
        const c = podCounts(asWorkflow(o));
        return `${c.pending}/${c.running}/${c.completed}`;
      },
    },
    { header: 'PARAMETERS', wide: true, cell: (o) => parameterString(asWorkflow(o).spec?.arguments?.parameters) },
  ],
  compare: (a, b) => compareWorkflows(asWorkflow(a), asWorkflow(b)),
  // -o wide lists every loop item; otherwise wide loops are collapsed (tree.ts collapseLoops).
  detail: (o, opts) => renderWorkflow(asWorkflow(o), { now: opts.now, wide: opts.wide, color: opts.color, noCollapse: opts.wide }),
};

export const cronWorkflowPrinter: KindPrinter = {
  columns: [
    nameColumn,
    ageColumn,
    { header: 'LAST RUN', cell: (o, now) => { const t = lastCronRun(o); return t ? age(t, now) : 'N/A'; } },
    { header: 'NEXT RUN', cell: (o, now) => { const t = nextCronRun(o, now); return t === undefined ? 'N/A' : humanDuration(t - now); } },
    { header: 'SCHEDULES', cell: (o) => cronSchedules(o).join(',') },
    { header: 'TIMEZONE', cell: (o) => cronTimezone(o) },
    { header: 'SUSPENDED', cell: (o) => String(cronSuspended(o)) },
  ],
};

