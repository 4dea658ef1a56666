/**
 * One pass over one Workflow, as a pure, synchronous function: from the workflow (its stored
 * status), its pods, the outputs already read from finished steps and the clock, decide the new
 * status and what the controller should do — pods to start (their files staged first) or delete,
 * claims, cache entries, events, outputs still to read. It never writes or waits on anything; the
 * one shared thing it touches is the in-memory lock table (sync.ts), whose acquire is idempotent.
 *
 * Every pass walks the template tree from the entrypoint, as Argo's operator does: a node already
 * fulfilled is returned as it is, anything else is (re)evaluated. Node ids and pod names come from
 * node names, so a pass after a crash finds what the previous one made and never runs a finished
 * step again.
 */
import type { Volume } from '../../api/types.js';
import { collectGlobalOutputs, effectiveSpec, globalScope, localScope, setupClaims } from './globals.js';
import { acquireLocks, releaseLocks } from './locks.js';
import { checkWorkflowDeadline } from './deadlines.js';
import { runWorkflowExit } from './exit.js';
import { execute } from './execute.js';
import { Operation, WorkflowError, isFailurePhase, isUserError, type PassInput, type PassResult } from './operation.js';
import type { Workflow } from './types.js';
import { isFulfilledPhase, WF_ANNOTATIONS } from './types.js';

export function runPass(wf: Workflow, input: PassInput): PassResult {
  const op = new Operation(wf, input, execute);
  try {
    operate(op);
  } catch (err) {
    if (!isUserError(err)) throw err;
    finish(op, 'Error', err.message);
  }
  if (op.requeueAt !== undefined) op.result.requeueAfterMs = op.requeueAt - op.now;
  return op.result;
}

function operate(op: Operation): void {
  const { status } = op;
  const phase = status.phase;
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Error') return;
  op.spec = effectiveSpec(op);
  if (!acquireLocks(op, op.spec.synchronization, op.wfName)) {
    status.phase = phase ?? 'Pending';
    return;
  }
  if (!phase || phase === 'Pending') {
    delete status.message;
    status.phase = 'Running';
    status.startedAt = op.iso();
    op.result.events.push({ type: 'Normal', reason: 'WorkflowRunning', message: 'Workflow Running' });
  }
  // Outputs with a globalName are visible to every later step as soon as their step is done.
  collectGlobalOutputs(op);
  op.global = globalScope(op);
  setupClaims(op);
  op.shutdown = op.spec.shutdown === 'Stop' || op.spec.shutdown === 'Terminate' ? op.spec.shutdown : undefined;
  op.suspended = op.spec.suspend === true;
  checkWorkflowDeadline(op);
  // Counted from the pods (few, with podGC), not the nodes (as many as the workflow is wide).
  op.activePods = 0;
  for (const [name, pod] of op.input.pods) {
    const id = pod.metadata?.annotations?.[WF_ANNOTATIONS.nodeId];
    const n = id === undefined ? undefined : op.nodes[id];
    if (n && n.type === 'Pod' && !isFulfilledPhase(n.phase) && op.podNameOf(n) === name) {
      op.activePods++;
      if (n.daemoned) op.daemons.add(n.id);
    }
  }
  // Resource steps count too (Argo runs each in a pod): those the controller is acting for, or has
  // an outcome for, that have not ended. Few: the ended ones' outcomes are dropped.
  for (const id of [...(op.input.resources?.keys() ?? []), ...(op.input.resourcesInFlight ?? [])]) {
    const n = op.nodes[id];
    if (n && !isFulfilledPhase(n.phase) && !op.activeResources.has(id)) {
      op.activeResources.add(id);
      op.activePods++;
    }
  }

  const entry = op.spec.entrypoint;
  if (!entry) throw new WorkflowError('spec.entrypoint is required');
  const root = op.execute(op.wfName, { template: entry }, localScope(op), op.spec.arguments, op.global, { boundaryID: '', displayName: op.wfName });
  if (!root || !isFulfilledPhase(root.phase)) {
    if (op.deadlineExceeded && !root) finish(op, 'Failed', 'Step exceeded its deadline');
    return;
  }
  collectGlobalOutputs(op);

  // The exit handler runs once the main tree is done, with workflow.status set.
  const exit = runWorkflowExit(op, root);
  if (exit.pending) return;
  let final = root.phase as 'Succeeded' | 'Failed' | 'Error';
  let message = root.message;
  if (op.deadlineExceeded && final !== 'Succeeded') message = 'Step exceeded its deadline';
  if (op.shutdown && final !== 'Succeeded') message = `Stopped with strategy '${op.shutdown}'`;
  if (final === 'Succeeded' && exit.node && isFailurePhase(exit.node.phase)) {
    final = 'Failed';
    message = exit.node.message ?? `child '${exit.node.id}' failed`;
  }
  finish(op, final, final === 'Succeeded' ? undefined : message);
}

function finish(op: Operation, phase: 'Succeeded' | 'Failed' | 'Error', message: string | undefined): void {
  const { status } = op;
  releaseLocks(op);
  op.stopDaemons();
  status.phase = phase;
  if (message) status.message = message;
  else delete status.message;
  status.finishedAt = op.iso();
  status.startedAt ??= op.iso();
  const conditions = (status.conditions ?? []).filter((c) => c.type !== 'Completed' && c.type !== 'PodRunning');
  conditions.push({ type: 'PodRunning', status: 'False' }, { type: 'Completed', status: 'True' });
  status.conditions = conditions;
  // Claims made from volumeClaimTemplates go with the workflow's end (Argo's default volumeClaimGC).
  for (const c of status.persistentVolumeClaims ?? []) {
    const claim = (c as Volume).persistentVolumeClaim?.claimName;
    if (claim) op.result.deleteClaims.push(claim);
  }
  op.result.events.push({
    type: phase === 'Succeeded' ? 'Normal' : 'Warning',
    reason: `Workflow${phase === 'Succeeded' ? 'Succeeded' : phase === 'Failed' ? 'Failed' : 'Error'}`,
    message: message ?? `Workflow ${phase.toLowerCase()}`,
  });
  op.requeueAt = undefined;
}
