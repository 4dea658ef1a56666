/** `wait` on a Workflow: its phase and progress while waiting; a finished phase never changes. */
import type { KindWait } from '../../types.js';

const DONE_PHASES = new Set(['Succeeded', 'Failed', 'Error']);

export const workflowWait: KindWait = {
  progress(obj) {
    const status = (obj['status'] ?? {}) as Record<string, unknown>;
    const progress = typeof status['progress'] === 'string' && status['progress'] ? ` (${status['progress']})` : '';
    return `${typeof status['phase'] === 'string' && status['phase'] ? status['phase'] : 'Pending'}${progress}`;
  },
  unreachable(obj, target) {
    if (target.type !== 'jsonpath' || target.path.length !== 2 || target.path[0] !== 'status' || target.path[1] !== 'phase') return undefined;
    const status = (obj['status'] ?? {}) as { phase?: unknown; message?: string };
    const phase = typeof status.phase === 'string' ? status.phase : '';
    if (!DONE_PHASES.has(phase) || phase === target.value) return undefined;
    return `completed with phase ${phase}${status.message ? `: ${status.message}` : ''}, so it will never be ${target.value}`;
  },
};
