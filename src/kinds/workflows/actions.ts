/**
 * What `drover retry|resubmit|suspend|resume|stop|terminate` ask of a Workflow, as Argo's server
 * does them: each is a change to the stored Workflow (and, for retry, deleting the pods of the
 * nodes that run again), after which the controller carries on.
 */
import { BadRequestError, NotFoundError } from '../../api/errors.js';
import type { KubeObject, Stored } from '../../api/types.js';
import type { Store } from '../../store/index.js';
import { podName } from './names.js';
import { ARGO_API_VERSION, WF_LABELS, isFulfilledPhase, isWorkflowDone, type NodeStatus, type Workflow } from './types.js';

export const WORKFLOW_ACTIONS = ['retry', 'resubmit', 'suspend', 'resume', 'stop', 'terminate'] as const;
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];

export interface ActionBody {
  /** retry: also run again the succeeded nodes the selector picks. */
  restartSuccessful?: boolean;
  /** `displayName=train`, `templateName=x`, `id=…`, `name=…`; several joined by `,`. */
  nodeFieldSelector?: string;
  /** `name=value` overrides of workflow parameters (retry, resubmit). */
  parameters?: string[];
  /** resume: `name=value` for the resumed suspend nodes' `valueFrom.supplied` output parameters. */
  outputParameters?: string[];
  message?: string;
}

type StoredWorkflow = Stored<Workflow>;

export function isWorkflowAction(a: string): a is WorkflowAction {
  return (WORKFLOW_ACTIONS as readonly string[]).includes(a);
}

function matchesSelector(n: NodeStatus, selector: string | undefined): boolean {
  if (!selector) return false;
  return selector.split(',').every((term) => {
    const neg = term.includes('!=');
    const [k, v] = term.split(neg ? '!=' : '=').map((s) => s.trim()) as [string, string];
    const actual = k === 'displayName' ? n.displayName : k === 'templateName' ? n.templateName : k === 'id' ? n.id : k === 'name' ? n.name : k === 'phase' ? n.phase : k === 'type' ? n.type : undefined;
    return neg ? actual !== v : actual === v;
  });
}

function overrideParameters(wf: StoredWorkflow, params: string[] | undefined): void {
  if (!params?.length) return;
  const list = (wf.spec!.arguments ??= {}).parameters ?? [];
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new BadRequestError(`parameter "${p}" must be NAME=VALUE`);
    const name = p.slice(0, eq);
    const value = p.slice(eq + 1);
    const cur = list.find((x) => x.name === name);
    if (cur) cur.value = value;
    else list.push({ name, value });
  }
  wf.spec!.arguments!.parameters = list;
}

/** Applies `action` to the stored Workflow; `now` (ms) stamps what it finishes (a resumed suspend node). */
export async function runWorkflowAction(store: Store, namespace: string, name: string, action: WorkflowAction, body: ActionBody, now: number): Promise<KubeObject> {
  const ref = { apiVersion: ARGO_API_VERSION, kind: 'Workflow', namespace, name };
  const wf = await store.get<StoredWorkflow>(ref);
  if (!wf) throw new NotFoundError('workflows.argoproj.io', name, namespace);
  switch (action) {
    case 'suspend':
      if (isWorkflowDone(wf)) throw new BadRequestError(`cannot suspend completed workflow "${name}"`);
      return store.patch<StoredWorkflow>(ref, (w) => {
        w.spec = { ...w.spec, suspend: true };
      });
    case 'resume': {
      if (isWorkflowDone(wf)) throw new BadRequestError(`cannot resume completed workflow "${name}"`);
      const supplied = (body.outputParameters ?? []).map((p) => {
        const eq = p.indexOf('=');
        if (eq <= 0) throw new BadRequestError(`output parameter "${p}" must be NAME=VALUE`);
        return { name: p.slice(0, eq), value: p.slice(eq + 1) };
      });
      return store.patch<StoredWorkflow>(ref, (w) => {
        const spec = { ...w.spec };
        delete spec.suspend;
        w.spec = spec;
        // Suspend nodes (all, or those the selector picks) end as Succeeded.
        for (const n of Object.values(w.status?.nodes ?? {})) {
          if (n.type !== 'Suspend' || isFulfilledPhase(n.phase)) continue;
          if (body.nodeFieldSelector && !matchesSelector(n, body.nodeFieldSelector)) continue;
          n.phase = 'Succeeded';
          n.finishedAt = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
          if (supplied.length) n.outputs = { ...(n.outputs ?? {}), parameters: supplied };
        }
      });
    }
    case 'stop':
    case 'terminate':
      if (isWorkflowDone(wf)) throw new BadRequestError(`cannot ${action} completed workflow "${name}"`);
      return store.patch<StoredWorkflow>(ref, (w) => {
        w.spec = { ...w.spec, shutdown: action === 'stop' ? 'Stop' : 'Terminate' };
        const spec = w.spec;
        delete spec.suspend;
        if (body.message) w.metadata.annotations = { ...(w.metadata.annotations ?? {}), 'workflows.argoproj.io/shutdown-message': body.message };
      });
    case 'resubmit': {
      const copy: StoredWorkflow = {
        apiVersion: wf.apiVersion,
        kind: wf.kind,
        metadata: {
          generateName: wf.metadata.generateName ?? `${name}-`,
          namespace,
          labels: { ...Object.fromEntries(Object.entries(wf.metadata.labels ?? {}).filter(([k]) => !k.startsWith('workflows.argoproj.io/'))), 'workflows.argoproj.io/resubmitted-from-workflow': name },
          annotations: wf.metadata.annotations,
        },
        spec: structuredClone(wf.spec),
      };
      delete copy.spec!.shutdown;
      overrideParameters(copy, body.parameters);
      return store.create(copy);
    }
    case 'retry':
      return retry(store, wf, body);
  }
}

/** Resets the failed part of a finished workflow: failed nodes go, their ancestors run again. */
async function retry(store: Store, wf: StoredWorkflow, body: ActionBody): Promise<KubeObject> {
  const phase = wf.status?.phase;
  if (phase !== 'Failed' && phase !== 'Error') throw new BadRequestError(`workflow "${wf.metadata.name}" is ${phase ?? 'not started'}; only failed workflows can be retried`);
  const nodes = structuredClone(wf.status?.nodes ?? {});
  const parents = new Map<string, string>();
  for (const n of Object.values(nodes)) for (const c of n.children ?? []) parents.set(c, n.id);
  const drop = new Set<string>();
  const dropTree = (id: string): void => {
    if (drop.has(id)) return;
    drop.add(id);
    for (const c of nodes[id]?.children ?? []) dropTree(c);
  };
  for (const n of Object.values(nodes)) {
    const failedLeaf = (n.phase === 'Failed' || n.phase === 'Error') && (n.type === 'Pod' || n.type === 'Suspend' || n.type === 'Skipped');
    const restart = body.restartSuccessful && n.phase === 'Succeeded' && matchesSelector(n, body.nodeFieldSelector);
    if (failedLeaf || restart) dropTree(n.id);
  }
  // Exit handlers run again after the retried part.
  for (const n of Object.values(nodes)) if (n.name.endsWith('.onExit')) dropTree(n.id);
  // Retry nodes whose attempts failed are run again from a fresh attempt.
  const reset = new Set<string>();
  for (const id of drop) {
    let p = parents.get(id);
    while (p) {
      reset.add(p);
      p = parents.get(p);
    }
  }
  for (const n of Object.values(nodes)) {
    if (n.boundaryID && drop.has(n.boundaryID)) dropTree(n.id);
  }
  const doomedPods = [...drop].map((id) => nodes[id]).filter((n): n is NodeStatus => !!n && n.type === 'Pod').map((n) => podName(wf.metadata.name!, n.templateName ?? '', n.name));
  // Pods first: the controller must never see a reset node next to the old attempt's pod.
  for (const p of doomedPods) {
    try {
      await store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: wf.metadata.namespace!, name: p });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  const ref = { apiVersion: ARGO_API_VERSION, kind: 'Workflow', namespace: wf.metadata.namespace!, name: wf.metadata.name! };
  return store.patch<StoredWorkflow>(ref, (w) => {
    const next: Record<string, NodeStatus> = {};
    for (const [id, n] of Object.entries(nodes)) {
      if (drop.has(id)) continue;
      if (reset.has(id)) {
        n.phase = 'Running';
        delete n.finishedAt;
        delete n.message;
        delete n.outputs;
        n.children = (n.children ?? []).filter((c) => !drop.has(c));
      }
      next[id] = n;
    }
    overrideParameters(w, body.parameters);
    const status = { ...(w.status ?? {}) };
    status.nodes = next;
    status.phase = 'Running';
    delete status.finishedAt;
    delete status.message;
    status.conditions = (status.conditions ?? []).filter((c) => c.type !== 'Completed');
    w.status = status;
    w.metadata.labels = { ...(w.metadata.labels ?? {}), [WF_LABELS.completed]: 'false', [WF_LABELS.phase]: 'Running' };
  });
}
