/** `wait` on a Job: its pod counts while waiting, and an end that rules out what is waited for. */
import type { KubeObject } from '../../../api/types.js';
import { conditions, type Condition } from '../../../print/columns.js';
import type { KindWait } from '../../types.js';

function trueCondition(obj: KubeObject, type: string): Condition | undefined {
  return conditions(obj as { status?: unknown }).find((c) => c.type === type && c.status === 'True');
}

export const jobWait: KindWait = {
  progress(obj) {
    const status = (obj['status'] ?? {}) as Record<string, unknown>;
    const parts = [`${Number(status['active'] ?? 0)} active`, `${Number(status['succeeded'] ?? 0)} succeeded`];
    if (Number(status['failed'] ?? 0) > 0) parts.push(`${Number(status['failed'])} failed`);
    return parts.join(', ');
  },
  /** kubectl would wait for the timeout; a Job that failed will never complete (nor the reverse). */
  unreachable(obj, target) {
    if (target.type !== 'condition' || target.value.toLowerCase() !== 'true') return undefined;
    const wanted = target.condition.toLowerCase();
    if (wanted === 'complete' || wanted === 'successcriteriamet') {
      const failed = trueCondition(obj, 'Failed');
      if (failed) return `failed: ${[failed.reason, failed.message].filter((p): p is string => !!p).join(': ') || 'Failed'}`;
    } else if (wanted === 'failed' || wanted === 'failuretarget') {
      if (trueCondition(obj, 'Complete')) return 'completed successfully, so it will never fail';
    }
    return undefined;
  },
};
