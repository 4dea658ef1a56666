/**
 * One node of any kind: resolve its template and bind its inputs, then memoization and locks,
 * then the retry wrapper or the node itself (pod, steps, dag, suspend). This is the function the
 * Operation's `execute` calls back into from steps, tasks and retries.
 */
import { durationField } from './fields.js';
import { nodeId } from './names.js';
import { withEntries, type Scope } from './scope.js';
import { bindInputs, resolveTemplate, withDefaults, type Bound, type Resolved } from './inputs.js';
import { acquireLocks, releaseLocks } from './locks.js';
import { memoKey, memoLookup, memoRecord } from './memo.js';
import { checkTemplateTimeout } from './deadlines.js';
import { executeRetry } from './retry.js';
import { executePod } from './pod.js';
import { executeSteps } from './steps.js';
import { executeDag } from './dag.js';
import { executeSuspend } from './suspend.js';
import { executeResource } from './resource.js';
import { WorkflowError, isUserError, type ExecOptions, type Holder, type Operation, type TemplateScope } from './operation.js';
import type { Arguments, NodeStatus, NodeType, Template } from './types.js';
import { isFulfilledPhase } from './types.js';

function nodeTypeOf(t: Template): NodeType {
  return t.steps ? 'Steps' : t.dag ? 'DAG' : t.suspend ? 'Suspend' : 'Pod';
}

export function execute(op: Operation, nodeName: string, holder: Holder, tscope: TemplateScope, args: Arguments | undefined, outer: Scope, o: ExecOptions): NodeStatus | undefined {
  const existing = op.node(nodeName);
  if (existing && isFulfilledPhase(existing.phase)) return existing;
  let resolved: Resolved;
  let bound: Bound;
  try {
    resolved = resolveTemplate(op, holder, tscope);
    resolved = { ...resolved, template: withDefaults(op, resolved.template) };
    bound = bindInputs(op, resolved.template, args, outer, nodeName);
  } catch (err) {
    if (!isUserError(err)) throw err;
    const n = existing ?? op.initNode(nodeName, 'Pod', o, undefined, tscope, 'Error', err.message);
    op.mark(n, 'Error', err.message);
    return n;
  }
  const { template } = resolved;
  const memo = template.memoize && o.retryAttempt === undefined ? memoKey(template, bound.scope) : undefined;
  if (memo && !existing) {
    const hit = memoLookup(op, memo, template);
    if (hit) {
      const n = op.initNode(nodeName, nodeTypeOf(template), o, template, resolved.tscope, 'Succeeded');
      if (hit.outputs) n.outputs = hit.outputs;
      n.memoizationStatus = { hit: true, key: memo.key, cacheName: memo.cacheName };
      return n;
    }
  }
  // A template's locks are held by its node (the retry node, not each attempt) until it is done.
  const lockHolder = template.synchronization && o.retryAttempt === undefined ? `${op.wfName}/${nodeId(op.wfName, nodeName)}` : undefined;
  if (lockHolder) {
    let waiting = existing;
    try {
      if (!op.canStart(o) && !existing) return undefined;
      const type: NodeType = template.retryStrategy ? 'Retry' : nodeTypeOf(template);
      const pending = existing ?? op.initNode(nodeName, type, o, template, resolved.tscope);
      waiting = pending;
      if (!acquireLocks(op, template.synchronization, lockHolder, pending)) return pending;
      if (pending.phase === 'Pending' && type !== 'Pod') op.mark(pending, 'Running');
    } catch (err) {
      if (!isUserError(err)) throw err;
      const n = waiting ?? op.initNode(nodeName, 'Pod', o, template, resolved.tscope);
      op.mark(n, 'Error', err.message);
      return n;
    }
  }
  const node = template.retryStrategy && o.retryAttempt === undefined ? executeRetry(op, nodeName, holder, resolved, args, outer, o, bound) : executeKind(op, nodeName, resolved, bound, o);
  if (lockHolder && node && isFulfilledPhase(node.phase)) releaseLocks(op, lockHolder);
  if (memo && node?.phase === 'Succeeded' && !node.memoizationStatus) memoRecord(op, memo, node);
  return node;
}

/** The node itself, by its template's kind; then the template's `timeout`. */
function executeKind(op: Operation, nodeName: string, resolved: Resolved, bound: Bound, o: ExecOptions): NodeStatus | undefined {
  const { template: t, tscope } = resolved;
  const scope = withEntries(bound.scope, [
    ['node.name', nodeName],
    ['retries', String(o.retryAttempt ?? 0)],
  ]);
  let node: NodeStatus | undefined;
  try {
    // A timeout that can never parse ends the node before anything of it starts.
    durationField(t.name, 'timeout', t.timeout as string | number | undefined, scope);
    if (t.container || t.script || t.containerSet) node = executePod(op, nodeName, t, tscope, scope, bound.inputs, o);
    else if (t.steps) node = executeSteps(op, nodeName, t, tscope, scope, bound.inputs, o);
    else if (t.dag) node = executeDag(op, nodeName, t, tscope, scope, bound.inputs, o);
    else if (t.suspend) node = executeSuspend(op, nodeName, t, tscope, scope, bound.inputs, o);
    else if (t.resource) node = executeResource(op, nodeName, t, tscope, scope, bound.inputs, o);
    else throw new WorkflowError(`template "${t.name}" has no container, script, steps, dag, suspend or resource`);
  } catch (err) {
    if (!isUserError(err)) throw err;
    const n = op.node(nodeName) ?? op.initNode(nodeName, 'Pod', o, t, tscope);
    op.mark(n, 'Error', err.message);
    return n;
  }
  if (!node) return node;
  try {
    checkTemplateTimeout(op, node, t, scope);
  } catch (err) {
    if (!isUserError(err)) throw err;
    op.killNode(node, err.message);
    op.mark(node, 'Error', err.message);
  }
  return node;
}
