/**
 * A steps template: its groups run in order, the steps of a group in parallel (up to the
 * template's parallelism); a group fails on a failed step unless `continueOn` says otherwise, and
 * later groups read earlier ones through `{{steps.X.*}}`.
 */
import { integerField } from './fields.js';
import { withEntries, type Scope } from './scope.js';
import { expandItems } from './loops.js';
import { setTemplateOutputs, stepScopeEntries } from './outputs.js';
import { exitPending } from './exit.js';
import { continues, executeStepLike } from './task.js';
import { isFailurePhase, type ExecOptions, type Operation, type TemplateScope } from './operation.js';
import type { NodeStatus, Template, WorkflowStep } from './types.js';
import { isFulfilledPhase } from './types.js';

export function executeSteps(op: Operation, nodeName: string, t: Template, tscope: TemplateScope, scope: Scope, inputs: Template['inputs'], o: ExecOptions): NodeStatus | undefined {
  let node = op.node(nodeName);
  if (!node) {
    if (!op.canStart(o)) return undefined;
    node = op.initNode(nodeName, 'Steps', o, t, tscope, 'Running');
    if (inputs && Object.keys(inputs).length) node.inputs = inputs;
  }
  let stepScope = scope;
  const groups = t.steps ?? [];
  for (let i = 0; i < groups.length; i++) {
    const group = (groups[i] ?? []) as WorkflowStep[];
    const groupName = `${nodeName}[${i}]`;
    let groupNode = op.node(groupName);
    if (!groupNode) {
      if (!op.canStart(o)) break;
      groupNode = op.initNode(groupName, 'StepGroup', { ...o, boundaryID: node.id, displayName: `[${i}]` }, undefined, tscope, 'Running');
      groupNode.templateName = t.name;
    }
    op.addChild(node, groupNode);
    const done = executeGroup(op, groupNode, group, t, tscope, stepScope, node.id, o);
    if (!done) return node;
    stepScope = withEntries(stepScope, stepScopeEntries(op, 'steps', group, groupNode));
    if (isFailurePhase(groupNode.phase)) {
      op.mark(node, 'Failed', groupNode.message);
      return node;
    }
  }
  if (op.node(`${nodeName}[${groups.length - 1}]`)?.phase !== 'Succeeded' && groups.length > 0) return node;
  setTemplateOutputs(op, node, t, stepScope);
  return node;
}

/** Runs one group of parallel steps; true when every step is fulfilled. */
function executeGroup(op: Operation, groupNode: NodeStatus, group: WorkflowStep[], t: Template, tscope: TemplateScope, scope: Scope, boundaryID: string, o: ExecOptions): boolean {
  if (isFulfilledPhase(groupNode.phase)) return true;
  const limit = integerField(t.name, 'parallelism', t.parallelism as string | number | undefined, scope, 1) ?? Infinity;
  let running = 0;
  let allDone = true;
  const failures: NodeStatus[] = [];
  for (const step of group) {
    const stepName = step.name ?? '';
    const base = `${groupNode.name}.${stepName}`;
    const expansions = expandItems(step, scope, base, stepName);
    if ('error' in expansions) {
      const n = op.node(base) ?? op.initNode(base, 'Skipped', { ...o, boundaryID, displayName: stepName }, undefined, tscope, 'Error', expansions.error);
      op.addChild(groupNode, n);
      failures.push(n);
      continue;
    }
    for (const x of expansions.items) {
      const existing = op.node(x.name);
      if (!existing && (running >= limit || op.atPodLimit())) {
        allDone = false;
        continue;
      }
      // Finished steps need no scope: skipping its construction keeps wide loops cheap per pass.
      const done = existing && isFulfilledPhase(existing.phase) && !exitPending(op, x.name, step);
      const n = done ? existing : executeStepLike(op, x.name, x.displayName, step, tscope, withEntries(scope, x.scope), boundaryID, o);
      if (!n) {
        allDone = false;
        continue;
      }
      op.addChild(groupNode, n);
      if (!isFulfilledPhase(n.phase)) {
        allDone = false;
        running++;
      } else if (isFailurePhase(n.phase) && !continues(step, n)) failures.push(n);
    }
  }
  if (!allDone) return false;
  if (failures.length) op.mark(groupNode, 'Failed', failures[0]!.message ?? `child '${failures[0]!.id}' failed`);
  else op.mark(groupNode, 'Succeeded');
  return true;
}
