/**
 * What goes away, and when: podGC (a step's pod as soon as its node is done, or every pod at the
 * end) and ttlStrategy (the Workflow itself some seconds after it ends). Pure decisions over the
 * workflow, its pods and the clock; the controller deletes.
 */
import type { Pod } from '../../api/types.js';
import { podName } from './names.js';
import { WF_ANNOTATIONS, isFulfilledPhase, type Workflow, type WorkflowStatus } from './types.js';

/** While it runs: podGC OnPodCompletion / OnPodSuccess remove a step's pod once its node is done. */
export function podsToCollect(wf: Workflow, status: WorkflowStatus | undefined, pods: ReadonlyMap<string, Pod>): string[] {
  const strategy = wf.spec?.podGC?.strategy;
  if (strategy !== 'OnPodCompletion' && strategy !== 'OnPodSuccess') return [];
  const out: string[] = [];
  // From the pods that exist (few, once collected), not from every node of a wide workflow.
  for (const [p, pod] of pods) {
    const id = pod.metadata?.annotations?.[WF_ANNOTATIONS.nodeId];
    const n = id === undefined ? undefined : status?.nodes?.[id];
    if (!n || n.type !== 'Pod' || !isFulfilledPhase(n.phase)) continue;
    if (strategy === 'OnPodSuccess' && n.phase !== 'Succeeded') continue;
    if (podName(wf.metadata.name!, n.templateName ?? '', n.name) === p) out.push(p);
  }
  return out;
}

export interface AfterFinish {
  deletePods: string[];
  /** ttlStrategy: the workflow's time is up. */
  deleteWorkflow: boolean;
  /** ttlStrategy: come back then. */
  requeueAfterMs?: number;
}

/** After the end: pods to delete (podGC, or those still running) and the TTL. */
export function afterFinish(wf: Workflow, pods: ReadonlyMap<string, Pod>, now: number): AfterFinish {
  const phase = wf.status?.phase;
  const succeeded = phase === 'Succeeded';
  const strategy = wf.spec?.podGC?.strategy;
  const gcAll = strategy === 'OnWorkflowCompletion' || strategy === 'OnPodCompletion' || (succeeded && (strategy === 'OnWorkflowSuccess' || strategy === 'OnPodSuccess'));
  const deletePods: string[] = [];
  for (const [p, pod] of pods) {
    const podPhase = pod.status?.phase;
    if (gcAll) {
      if (strategy === 'OnPodSuccess' && podPhase !== 'Succeeded') continue;
      deletePods.push(p);
    } else if (podPhase !== 'Succeeded' && podPhase !== 'Failed') {
      // Pods still running when the workflow ended (a failed sibling, a stop) are stopped.
      deletePods.push(p);
    }
  }
  const ttl = wf.spec?.ttlStrategy;
  if (!ttl || !wf.status?.finishedAt) return { deletePods, deleteWorkflow: false };
  const seconds = succeeded ? (ttl.secondsAfterSuccess ?? ttl.secondsAfterCompletion) : (ttl.secondsAfterFailure ?? ttl.secondsAfterCompletion);
  if (seconds === undefined) return { deletePods, deleteWorkflow: false };
  const at = Date.parse(wf.status.finishedAt) + seconds * 1000;
  if (now < at) return { deletePods, deleteWorkflow: false, requeueAfterMs: at - now };
  return { deletePods, deleteWorkflow: true };
}
