/**
 * What a step and a DAG task have in common: `when`, arguments resolved in the caller's scope
 * (artifact `from` included), the call of its template, then its own exit handler.
 */
import { evaluateWhen } from './expr/index.js';
import { substitute, substituteString, withEntries, type Scope } from './scope.js';
import { resolveArtifactArgument } from './outputs.js';
import { exitPending, runStepExit } from './exit.js';
import type { ExecOptions, Holder, Operation, TemplateScope } from './operation.js';
import type { DAGTask, NodeStatus, Template, WorkflowStep } from './types.js';
import { isFulfilledPhase } from './types.js';

/** `continueOn` lets this failed or errored step count as done for what follows. */
export function continues(step: { continueOn?: { failed?: boolean; error?: boolean } }, n: NodeStatus): boolean {
  return (n.phase === 'Failed' && step.continueOn?.failed === true) || (n.phase === 'Error' && step.continueOn?.error === true);
}

/** Each steps or DAG template as JSON, made once per template object (a pass asks once per step). */
const templateText = new WeakMap<Template, string>();

/**
 * Whether `parent` (a steps or DAG template) names step `name`'s `outputs.result`, by tag or in an
 * expression (`steps.NAME…`, `tasks['NAME']…`): only then is its stdout kept, as Argo decides. A
 * mention anywhere in the template counts, so this errs on keeping it.
 */
export function resultReferenced(parent: Template, name: string): boolean {
  let text = templateText.get(parent);
  if (text === undefined) templateText.set(parent, (text = JSON.stringify(parent)));
  return [`.${name}.outputs.result`, `['${name}'].outputs.result`, `[\\"${name}\\"].outputs.result`].some((s) => text.includes(s));
}

/** A step or a task of `parent`: `when`, then the template, then its onExit / hooks.exit. */
export function executeStepLike(op: Operation, name: string, displayName: string, step: WorkflowStep | DAGTask, parent: Template, tscope: TemplateScope, scope: Scope, boundaryID: string, o: ExecOptions): NodeStatus | undefined {
  let node = op.node(name);
  if (node && isFulfilledPhase(node.phase) && !exitPending(op, name, step)) return node;
  if (!node && step.when) {
    let ok: boolean;
    const expr = substituteString(step.when, scope);
    try {
      ok = evaluateWhen(expr);
    } catch (err) {
      return op.initNode(name, 'Skipped', { ...o, boundaryID, displayName }, undefined, tscope, 'Error', `invalid when expression "${expr}": ${(err as Error).message}`);
    }
    if (!ok) return op.initNode(name, 'Skipped', { ...o, boundaryID, displayName }, undefined, tscope, 'Skipped', `when '${expr}' evaluated false`);
  }
  // Global outputs set earlier in this same pass are visible too.
  scope = withEntries(scope, [...op.global].filter(([k]) => k.startsWith('workflow.outputs.')));
  const args = substitute(step.arguments, scope);
  const holder: Holder = { ...(step.template ? { template: step.template } : {}), ...(step.templateRef ? { templateRef: step.templateRef } : {}), ...(step.inline ? { inline: step.inline } : {}) };
  if (args?.artifacts) args.artifacts = args.artifacts.map((a) => resolveArtifactArgument(a, scope));
  node = op.execute(name, holder, tscope, args, scope, { ...o, boundaryID, displayName, retryAttempt: undefined, captureResult: resultReferenced(parent, step.name ?? '') });
  if (!node || !isFulfilledPhase(node.phase)) return node;
  // The step's own exit handler runs after it; the step counts as done when that is done too.
  return runStepExit(op, node, step, displayName, tscope, scope, boundaryID, o);
}
