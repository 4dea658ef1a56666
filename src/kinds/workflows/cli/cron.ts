/**
 * CronWorkflow columns for `get cronworkflows`, as `argo cron list` shows them. cron-parser is
 * required only when a CronWorkflow row is printed, so `drover get pods` does not load it.
 */
import { createRequire } from 'node:module';
import type { KubeObject } from '../../../api/types.js';

interface CronView {
  spec?: { schedule?: string; schedules?: string[]; timezone?: string; suspend?: boolean };
  status?: { lastScheduledTime?: string };
}

type Parser = { parse(expr: string, opts: { currentDate: Date; tz?: string }): { next(): { getTime(): number } } };
let parser: Parser | undefined;

function cronParser(): Parser {
  parser ??= (createRequire(import.meta.url)('cron-parser') as { CronExpressionParser: Parser }).CronExpressionParser;
  return parser;
}

/** `spec.schedules`, or the older single `spec.schedule`. */
export function cronSchedules(obj: KubeObject): string[] {
  const spec = (obj as CronView).spec;
  if (spec?.schedules?.length) return spec.schedules;
  return spec?.schedule ? [spec.schedule] : [];
}

/** The next time any schedule fires after `now` (ms), or undefined when none parses. */
export function nextCronRun(obj: KubeObject, now: number): number | undefined {
  const tz = (obj as CronView).spec?.timezone || undefined;
  let best: number | undefined;
  for (const s of cronSchedules(obj)) {
    try {
      const t = cronParser().parse(s, { currentDate: new Date(now), ...(tz ? { tz } : {}) }).next().getTime();
      if (best === undefined || t < best) best = t;
    } catch {
      // An unparsable schedule has no next run; the others may.
    }
  }
  return best;
}

export function lastCronRun(obj: KubeObject): string | undefined {
  return (obj as CronView).status?.lastScheduledTime || undefined;
}

export function cronTimezone(obj: KubeObject): string {
  return (obj as CronView).spec?.timezone ?? '';
}

export function cronSuspended(obj: KubeObject): boolean {
  return (obj as CronView).spec?.suspend === true;
}
