/**
 * Time limits measured against the pass's clock: the workflow's activeDeadlineSeconds and a
 * template's `timeout`. (A template's activeDeadlineSeconds is the pod's own, enforced by the
 * runtime; pod.ts reads its DeadlineExceeded end.) Each asks for a pass at the moment it expires.
 */
import { durationField, integerField } from './fields.js';
import type { Scope } from './scope.js';
import type { Operation } from './operation.js';
import type { NodeStatus, Template } from './types.js';
import { isFulfilledPhase } from './types.js';

/** Sets `op.deadlineExceeded` once spec.activeDeadlineSeconds has passed since the start. */
export function checkWorkflowDeadline(op: Operation): void {
  const deadline = integerField(undefined, 'spec.activeDeadlineSeconds', op.spec.activeDeadlineSeconds as number | string | undefined, op.global);
  if (deadline === undefined || !op.status.startedAt) return;
  const end = Date.parse(op.status.startedAt) + deadline * 1000;
  if (op.now >= end) op.deadlineExceeded = true;
  else op.requeueIn(end - op.now);
}

/**
 * A template's `timeout` (substituted in the node's scope first, as Argo does): a node still
 * running past it fails, with what runs under it. A value that does not parse errs the node.
 */
export function checkTemplateTimeout(op: Operation, node: NodeStatus, t: Template, scope: Scope): void {
  if (isFulfilledPhase(node.phase) || !t.timeout || !node.startedAt) return;
  const seconds = durationField(t.name, 'timeout', t.timeout as string | number, scope)!;
  const end = Date.parse(node.startedAt) + seconds * 1000;
  if (op.now >= end) op.killNode(node, 'Step exceeded its deadline');
  else op.requeueIn(end - op.now);
}
