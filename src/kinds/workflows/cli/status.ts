/**
 * What the CLI reads off a Workflow's status, as pure functions: the STATUS Argo shows, progress,
 * whether it is done, the parameters it runs with, and `argo list`'s order.
 */
import type { KubeObject } from '../../../api/types.js';
import type { NodeStatus, Parameter, Workflow, WorkflowSpec } from '../types.js';

/** A Workflow as the API serves it; the CLI only reads it. */
export type WorkflowObject = Workflow;

export function asWorkflow(obj: KubeObject): WorkflowObject {
  return obj as unknown as WorkflowObject;
}

export function nodesOf(wf: WorkflowObject): NodeStatus[] {
  return Object.values(wf.status?.nodes ?? {});
}

/** Succeeded, Failed or Error: the workflow will not change any more. */
export function isWorkflowDone(wf: WorkflowObject): boolean {
  const p = wf.status?.phase;
  return p === 'Succeeded' || p === 'Failed' || p === 'Error';
}

/** A Suspend node waiting, or the whole workflow suspended (Argo's IsWorkflowSuspended). */
export function isWorkflowSuspended(wf: WorkflowObject): boolean {
  if (wf.spec?.suspend === true) return true;
  return nodesOf(wf).some((n) => n.type === 'Suspend' && n.phase === 'Running');
}

/** The STATUS `argo list` and `argo get` show: the phase, `Running (Suspended)`, `Failed (Terminated)`. */
export function workflowStatus(wf: WorkflowObject): string {
  const phase = wf.status?.phase ?? '';
  switch (phase) {
    case 'Running':
      return isWorkflowSuspended(wf) ? 'Running (Suspended)' : 'Running';
    case 'Failed':
      if (wf.spec?.shutdown === 'Terminate') return 'Failed (Terminated)';
      if (wf.spec?.shutdown === 'Stop') return 'Failed (Stopped)';
      return 'Failed';
    case '':
    case 'Pending':
      return wf.metadata?.creationTimestamp ? 'Pending' : 'Unknown';
    default:
      return phase;
  }
}

/** `succeeded/total` pod nodes: the server's `status.progress` when it wrote one, else counted here. */
export function workflowProgress(wf: WorkflowObject): string {
  if (wf.status?.progress) return wf.status.progress;
  const pods = nodesOf(wf).filter((n) => n.type === 'Pod');
  if (pods.length === 0) return '';
  return `${pods.filter((n) => n.phase === 'Succeeded').length}/${pods.length}`;
}

/** Pending, running and completed pod nodes, for `-o wide`'s P/R/C. */
export function podCounts(wf: WorkflowObject): { pending: number; running: number; completed: number } {
  const out = { pending: 0, running: 0, completed: 0 };
  for (const n of nodesOf(wf)) {
    if (n.type !== 'Pod') continue;
    const p = n.phase ?? 'Pending';
    if (p === 'Succeeded' || p === 'Failed' || p === 'Error' || p === 'Skipped' || p === 'Omitted') out.completed++;
    else if (p === 'Running') out.running++;
    else out.pending++;
  }
  return out;
}

/** The spec the workflow runs: its own, or the template's it was stored from (Argo's GetExecSpec). */
export function execSpec(wf: WorkflowObject): WorkflowSpec | undefined {
  const stored = wf.status?.storedWorkflowTemplateSpec;
  if (!stored) return wf.spec;
  // The workflow's own arguments override the template's, as Argo merges them.
  const own = wf.spec?.arguments?.parameters ?? [];
  const merged: Parameter[] = [...own];
  for (const p of stored.arguments?.parameters ?? []) if (!merged.some((m) => m.name === p.name)) merged.push(p);
  return { ...stored, ...wf.spec, arguments: { ...stored.arguments, ...wf.spec?.arguments, parameters: merged } } as WorkflowSpec;
}

/** `name=value,...` with long values shortened in the middle, as `argo list -o wide` does. */
export function parameterString(params: readonly Parameter[] | undefined): string {
  const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n - 3 - 15) + '...' + s.slice(s.length - 15) : s);
  return (params ?? [])
    .filter((p) => p.value !== undefined && p.value !== null)
    .map((p) => `${p.name}=${cut(String(p.value), 50)}`)
    .join(',');
}

function time(t: string | undefined): number {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** `argo list`'s order: unfinished first, newest created first; then finished, latest finished first. */
export function compareWorkflows(a: WorkflowObject, b: WorkflowObject): number {
  const af = time(a.status?.finishedAt);
  const bf = time(b.status?.finishedAt);
  if (!af && !bf) return time(b.metadata?.creationTimestamp) - time(a.metadata?.creationTimestamp) || compareNames(a, b);
  if (!af) return -1;
  if (!bf) return 1;
  return bf - af || compareNames(a, b);
}

function compareNames(a: WorkflowObject, b: WorkflowObject): number {
  const an = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const bn = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return an < bn ? -1 : an > bn ? 1 : 0;
}
