/**
 * Exit handlers: the workflow's (`onExit` or `hooks.exit`, run once the main tree is done, with
 * `{{workflow.status}}`, `{{workflow.failures}}` and `{{workflow.duration}}`) and a step's or
 * task's own, after which the step counts as done. They run after a deadline and after Stop, not
 * after Terminate.
 */
import { substitute, withEntries, type Scope } from './scope.js';
import { localScope } from './globals.js';
import { isFailurePhase, type ExecOptions, type Operation, type TemplateScope } from './operation.js';
import type { DAGTask, NodeStatus, WorkflowStep } from './types.js';
import { isFulfilledPhase } from './types.js';

/** The step has an exit handler that has not finished yet. */
export function exitPending(op: Operation, name: string, step: WorkflowStep | DAGTask): boolean {
  if (!step.onExit && !step.hooks?.['exit']) return false;
  const e = op.node(`${name}.onExit`);
  return !e || !isFulfilledPhase(e.phase);
}

/** Runs a finished step's exit handler; until it is done the step is reported as still Running. */
export function runStepExit(op: Operation, node: NodeStatus, step: WorkflowStep | DAGTask, displayName: string, tscope: TemplateScope, scope: Scope, boundaryID: string, o: ExecOptions): NodeStatus {
  const exit = step.onExit ? { template: step.onExit } : step.hooks?.['exit'];
  if (!exit || op.shutdown === 'Terminate') return node;
  const exitScope = withEntries(scope, [
    ['steps.status', String(node.phase)],
    ['tasks.status', String(node.phase)],
  ]);
  const e = op.execute(`${node.name}.onExit`, exit, tscope, exit.arguments ? substitute(exit.arguments, exitScope) : undefined, exitScope, {
    ...o,
    boundaryID,
    displayName: `${displayName}.onExit`,
    isExitHandler: true,
  });
  if (!e || !isFulfilledPhase(e.phase)) return { ...node, phase: 'Running' };
  return node;
}

function workflowExitScope(op: Operation, root: NodeStatus): [string, string][] {
  const failures = Object.values(op.nodes)
    .filter((n) => isFailurePhase(n.phase) && n.type === 'Pod')
    .map((n) => ({ displayName: n.displayName, message: n.message, templateName: n.templateName, phase: n.phase, podName: op.podNameOf(n), finishedAt: n.finishedAt }));
  const started = op.status.startedAt ? Date.parse(op.status.startedAt) : op.now;
  const status = op.deadlineExceeded || op.shutdown ? (root.phase === 'Succeeded' ? 'Succeeded' : 'Failed') : root.phase;
  return [
    ['workflow.status', String(status)],
    ['workflow.failures', JSON.stringify(failures)],
    ['workflow.duration', String((op.now - started) / 1000)],
  ];
}

/**
 * The workflow's exit handler, once the main tree (`root`) is fulfilled. `pending` while it runs;
 * `node` is its node when there is one.
 */
export function runWorkflowExit(op: Operation, root: NodeStatus): { pending: boolean; node?: NodeStatus } {
  const holder = op.spec.onExit ? { template: op.spec.onExit } : op.spec.hooks?.['exit'];
  if (!holder || op.shutdown === 'Terminate') return { pending: false };
  const scope = withEntries(op.global, workflowExitScope(op, root));
  const name = `${op.wfName}.onExit`;
  const node = op.execute(name, holder, localScope(op), holder.arguments, scope, { boundaryID: '', displayName: name, isExitHandler: true });
  if (!node || !isFulfilledPhase(node.phase)) return { pending: true };
  return { pending: false, node };
}
