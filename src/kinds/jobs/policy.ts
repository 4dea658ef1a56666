/**
 * Pure batch/v1 Job rules: how many pods to run, which failures count, back-off delays.
 * The controller applies them; tests check them without processes.
 */
import type { Job, Pod, JobCondition } from '../../api/types.js';

export const DEFAULT_BACKOFF_LIMIT = 6;

export type PodFailureAction = 'FailJob' | 'Ignore' | 'Count';

export interface FailureVerdict {
  action: PodFailureAction;
  message?: string;
}

/** Applies `podFailurePolicy` rules, first match wins; no match counts the failure. */
export function judgeFailedPod(job: Job, pod: Pod): FailureVerdict {
  const rules = job.spec?.podFailurePolicy?.rules ?? [];
  const terminated = (pod.status?.containerStatuses ?? []).map((c) => ({ name: c.name, exitCode: c.state?.terminated?.exitCode ?? c.lastState?.terminated?.exitCode }));
  for (const [index, rule] of rules.entries()) {
    const on = rule.onExitCodes;
    if (!on) continue;
    for (const c of terminated) {
      if (c.exitCode === undefined || c.exitCode === 0) continue;
      if (on.containerName && on.containerName !== c.name) continue;
      const listed = on.values.includes(c.exitCode);
      if (on.operator === 'In' ? listed : !listed) {
        const action = rule.action as PodFailureAction;
        return {
          action,
          message: `Container ${c.name} for pod ${pod.metadata?.namespace}/${pod.metadata?.name} failed with exit code ${c.exitCode} matching ${action} rule at index ${index}`,
        };
      }
    }
  }
  return { action: 'Count' };
}

/** Kubernetes' pod-failure back-off: base · 2^(failures-1), capped. */
export function backoffDelayMs(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
}

/** `0-2,4` from a set of indexes, as `status.completedIndexes`. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function jobFinished(job: Job): JobCondition | undefined {
  return job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}
