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
import { isFulfilledNode, isFulfilledPhase } from './types.js';

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

/**
 * Runs one group of parallel steps; true when every step is fulfilled. The group's items (each
 * step's, in order) are fixed when it starts; as for a DAG loop (dag.ts), leading items done for
 * good in the stored status are skipped by the group's memo, and once every existing item was
 * seen and no more may start, the rest is not visited: a pass over a wide loop costs its window.
 */
function executeGroup(op: Operation, groupNode: NodeStatus, group: WorkflowStep[], t: Template, tscope: TemplateScope, scope: Scope, boundaryID: string, o: ExecOptions): boolean {
  if (isFulfilledPhase(groupNode.phase)) return true;
  const limit = integerField(t.name, 'parallelism', t.parallelism as string | number | undefined, scope, 1) ?? Infinity;
  const g = op.groupMemo(groupNode.id);
  const expansions = (g.stepExpansions = [...(g.stepExpansions ?? [])]);
  let failure: NodeStatus | undefined = g.failureId ? op.nodes[g.failureId] : undefined;
  let running = 0;
  let allDone = true;
  let advancing = true;
  const existingChildren = groupNode.children?.length ?? 0;
  const prefix = g.donePrefix;
  let seen = 0;
  /** Moves the done prefix past flat item `k` while every item before it is done for good. */
  const settle = (k: number, final: boolean) => {
    if (advancing && final) {
      g.donePrefix = k + 1;
      if (failure) g.failureId = failure.id;
    } else advancing = false;
  };
  let k = 0; // the flat index of the item at hand, across the group's steps
  steps: for (let s = 0; s < group.length; s++) {
    const step = group[s]!;
    const stepName = step.name ?? '';
    const base = `${groupNode.name}.${stepName}`;
    const ex = (expansions[s] ??= expandItems(step, scope, base, stepName));
    if ('error' in ex) {
      if (k < prefix) {
        seen++;
        k++;
        continue;
      }
      const existed = op.node(base);
      if (existed) seen++;
      const n = existed ?? op.initNode(base, 'Skipped', { ...o, boundaryID, displayName: stepName }, undefined, tscope, 'Error', ex.error);
      op.addChild(groupNode, n);
      failure ??= n;
      settle(k++, true);
      continue;
    }
    if (k + ex.items.length <= prefix) {
      seen += ex.items.length;
      k += ex.items.length;
      continue;
    }
    const first = Math.max(0, prefix - k);
    seen += first;
    for (let j = first; j < ex.items.length; j++) {
      const x = ex.items[j]!;
      const at = k + j;
      const existing = op.node(x.name);
      if (existing) seen++;
      if (!existing && (running >= limit || op.atPodLimit())) {
        allDone = false;
        advancing = false;
        if (seen >= existingChildren) break steps;
        continue;
      }
      // Finished steps need no scope: skipping its construction keeps wide loops cheap per pass.
      const done = existing && isFulfilledPhase(existing.phase) && !exitPending(op, x.name, step);
      const n = done ? existing : executeStepLike(op, x.name, x.displayName, step, t, tscope, withEntries(scope, x.scope), boundaryID, o);
      if (!n) {
        allDone = false;
        advancing = false;
        continue;
      }
      op.addChild(groupNode, n);
      if (!isFulfilledNode(n)) {
        allDone = false;
        running++;
      } else if (isFailurePhase(n.phase) && !continues(step, n)) failure ??= n;
      // The memo reaches the next pass only with this pass's status stored (see dag.ts).
      settle(at, isFulfilledPhase(n.phase) && (!!done || !exitPending(op, x.name, step)));
    }
    k += ex.items.length;
  }
  if (!allDone) return false;
  if (failure) op.mark(groupNode, 'Failed', failure.message ?? `child '${failure.id}' failed`);
  else op.mark(groupNode, 'Succeeded');
  return true;
}
