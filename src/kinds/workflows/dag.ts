/**
 * A DAG template: tasks start when their `depends` (or `dependencies`) hold, up to the template's
 * parallelism; `target` narrows the tasks, failFast stops new ones after a failure, a loop is a
 * TaskGroup node. The DAG's phase is judged as Argo's assessDAGPhase does, branch by branch.
 */
import { integerField } from './fields.js';
import { dependsTasks, parseDepends, evaluateDepends, dependenciesToDepends, type DependsNode, type TaskResult, type NodeResultPhase } from './expr/index.js';
import { substituteString, withEntries, type Scope } from './scope.js';
import { expandItems, isLooped } from './loops.js';
import { setTemplateOutputs, stepScopeEntries } from './outputs.js';
import { exitPending } from './exit.js';
import { continues, executeStepLike } from './task.js';
import { isFailurePhase, type ExecOptions, type Operation, type TemplateScope } from './operation.js';
import type { DAGTask, NodeStatus, Template } from './types.js';
import { isDaemoned, isFulfilledNode, isFulfilledPhase } from './types.js';

function nodeResultPhase(n: NodeStatus | undefined): NodeResultPhase | undefined {
  // A daemon that is up counts as succeeded for the tasks that depend on it, as in Argo.
  if (isDaemoned(n)) return 'Succeeded';
  switch (n?.phase) {
    case 'Succeeded':
      return 'Succeeded';
    case 'Failed':
      return 'Failed';
    case 'Error':
      return 'Errored';
    case 'Skipped':
      return 'Skipped';
    case 'Omitted':
      return 'Omitted';
    default:
      return undefined;
  }
}

/**
 * Adds to `out` the tasks a depends expression expects might fail: named with a result other than
 * Succeeded (`A.Failed`, `A.Completed`), or under a negation (`!A.Succeeded`). Their failure does
 * not stop the DAG from starting new tasks.
 */
function expectsFailure(n: DependsNode, negated: boolean, out: Set<string>): void {
  switch (n.kind) {
    case 'task':
      if (negated || (n.result !== undefined && n.result !== 'Succeeded')) out.add(n.task);
      return;
    case 'not':
      expectsFailure(n.operand, !negated, out);
      return;
    default:
      expectsFailure(n.left, negated, out);
      expectsFailure(n.right, negated, out);
  }
}

export function executeDag(op: Operation, nodeName: string, t: Template, tscope: TemplateScope, scope: Scope, inputs: Template['inputs'], o: ExecOptions): NodeStatus | undefined {
  let node = op.node(nodeName);
  if (!node) {
    if (!op.canStart(o)) return undefined;
    node = op.initNode(nodeName, 'DAG', o, t, tscope, 'Running');
    if (inputs && Object.keys(inputs).length) node.inputs = inputs;
  }
  const dag = t.dag!;
  const tasks = dag.tasks ?? [];
  const byName = new Map(tasks.map((x) => [x.name, x]));
  const taskNodeName = (task: string) => `${nodeName}.${task}`;
  const depends = new Map<string, ReturnType<typeof parseDepends> | undefined>();
  for (const task of tasks) {
    const src = task.depends ?? (task.dependencies?.length ? dependenciesToDepends(task.dependencies) : undefined);
    try {
      depends.set(task.name, src ? parseDepends(src) : undefined);
    } catch (err) {
      op.mark(node, 'Error', `task ${task.name}: invalid depends "${src}": ${(err as Error).message}`);
      return node;
    }
  }
  // `target` runs only the named tasks and what they need.
  let wanted: Set<string> | undefined;
  const target = dag.target ? substituteString(dag.target, scope) : undefined;
  if (target) {
    wanted = new Set();
    const add = (n: string): void => {
      if (wanted!.has(n) || !byName.has(n)) return;
      wanted!.add(n);
      const d = depends.get(n);
      for (const dep of d ? dependsTasks(d) : []) add(dep);
    };
    for (const n of target.split(/\s+/).filter(Boolean)) add(n);
  }
  const ancestors = new Map<string, DAGTask[]>();
  const ancestorsOf = (name: string): DAGTask[] => {
    let known = ancestors.get(name);
    if (known) return known;
    const found = new Set<string>();
    const visit = (n: string): void => {
      const d = depends.get(n);
      for (const parent of d ? dependsTasks(d) : []) {
        if (found.has(parent)) continue;
        found.add(parent);
        visit(parent);
      }
    };
    visit(name);
    known = tasks.filter((t) => found.has(t.name));
    ancestors.set(name, known);
    return known;
  };
  const failFast = dag.failFast !== false;
  // A failure some task's depends expects (`A.Failed`, `A.Completed`…) is handled, not fatal.
  const handled = new Set<string>();
  for (const d of depends.values()) if (d?.root) expectsFailure(d.root, false, handled);
  const limit = integerField(t.name, 'parallelism', t.parallelism as string | number | undefined, scope, 1) ?? Infinity;
  const result = (name: string): TaskResult => {
    const n = op.node(taskNodeName(name));
    if (!n || !isFulfilledNode(n) || exitPending(op, taskNodeName(name), byName.get(name)!)) return { fulfilled: false };
    const phase = nodeResultPhase(n)!;
    const childPhases = n.type === 'TaskGroup' ? (n.children ?? []).map((id) => nodeResultPhase(op.nodes[id])).filter((p): p is NodeResultPhase => !!p) : undefined;
    const continueOn = byName.get(name)?.continueOn;
    return { fulfilled: true, phase, ...(childPhases ? { childPhases } : {}), ...(continueOn ? { continueOn } : {}) };
  };
  let running = tasks.filter((task) => {
    const n = op.node(taskNodeName(task.name));
    return n !== undefined && !isFulfilledNode(n);
  }).length;
  let failedTask = tasks.some((task) => {
    const n = op.node(taskNodeName(task.name));
    return n !== undefined && isFailurePhase(n.phase) && !continues(task, n) && !handled.has(task.name);
  });
  // Topological sweep: one pass in declaration order is repeated while tasks keep finishing.
  for (let pass = 0; pass < tasks.length + 1; pass++) {
    let progressed = false;
    for (const task of tasks) {
      if (wanted && !wanted.has(task.name)) continue;
      const name = taskNodeName(task.name);
      const existing = op.node(name);
      if (existing && isFulfilledPhase(existing.phase) && !exitPending(op, name, task)) continue;
      const dep = depends.get(task.name);
      if (dep && !existing) {
        const verdict = evaluateDepends(dep, result);
        if (verdict === 'pending') continue;
        if (!verdict) {
          const n = op.initNode(name, 'Skipped', { ...o, boundaryID: node.id, displayName: task.name }, undefined, tscope, 'Omitted', 'omitted: depends condition not met');
          op.addChild(node, n);
          progressed = true;
          continue;
        }
      }
      if (!existing && failFast && failedTask) continue;
      if (!existing && running >= limit) continue;
      // A task sees `tasks.X` of the tasks it depends on, directly or not (Argo allows no other);
      // aggregating every task's outputs — a wide loop's above all — for each task would cost O(width).
      const taskScope = withEntries(scope, stepScopeEntries(op, 'tasks', ancestorsOf(task.name), node));
      const n = executeTask(op, name, task, t, tscope, taskScope, node, o);
      if (!n) continue;
      op.addChild(node, n);
      if (isFulfilledNode(n) && !exitPending(op, name, task)) progressed = true;
      else if (!existing) running++;
      if (isFailurePhase(n.phase) && !continues(task, n) && !handled.has(task.name)) failedTask = true;
    }
    if (!progressed) break;
  }
  // Done when every wanted task is fulfilled or can never run.
  const pending = tasks.filter((task) => {
    if (wanted && !wanted.has(task.name)) return false;
    const n = op.node(taskNodeName(task.name));
    if (n) return !isFulfilledNode(n) || exitPending(op, taskNodeName(task.name), task);
    // Not started: blocked by failFast, or still waiting on dependencies.
    if (failFast && failedTask) return false;
    return true;
  });
  const anyRunning = pending.some((task) => !!op.node(taskNodeName(task.name)));
  if (pending.length && (anyRunning || !(failFast && failedTask))) {
    if (!anyRunning && !op.canStart(o)) {
      // Nothing runs and nothing may start (deadline, stop): the DAG ends here.
    } else return node;
  }
  // Phase, as Argo judges it: walk each branch from the root tasks down the dependencies; an
  // Omitted task carries its parent's phase, and the DAG fails when a branch ends (a task no
  // other task depends on) in failure. A failure that a dependent ran on is so handled.
  const inScope = (name: string) => !wanted || wanted.has(name);
  const dependents = new Map<string, string[]>();
  for (const task of tasks) {
    const d = depends.get(task.name);
    for (const parent of d ? dependsTasks(d) : []) dependents.set(parent, [...(dependents.get(parent) ?? []), task.name]);
  }
  let failure: NodeStatus | undefined;
  const seen = new Set<string>();
  const walk = (name: string, inherited: { phase: string; node?: NodeStatus }): void => {
    const task = byName.get(name);
    if (!task || !inScope(name) || failure) return;
    const n = op.node(taskNodeName(name));
    let branch = inherited;
    if (n && n.phase !== 'Omitted') branch = (isFailurePhase(n.phase) && continues(task, n)) || isDaemoned(n) ? { phase: 'Succeeded' } : { phase: String(n.phase), node: n };
    const key = `${name}\u0000${branch.phase}`;
    if (seen.has(key)) return;
    seen.add(key);
    const next = (dependents.get(name) ?? []).filter(inScope);
    if (next.length === 0) {
      if (isFailurePhase(branch.phase)) failure = branch.node ?? n;
      return;
    }
    for (const child of next) walk(child, branch);
  };
  for (const task of tasks) {
    const d = depends.get(task.name);
    if (!d || dependsTasks(d).filter(inScope).length === 0) walk(task.name, { phase: 'Succeeded' });
  }
  const scopeAll = withEntries(scope, stepScopeEntries(op, 'tasks', tasks, node));
  if (failure) {
    op.mark(node, 'Failed', failure.message ?? `child '${failure.id}' failed`);
    return node;
  }
  if (pending.length && !op.canStart(o)) {
    op.mark(node, 'Failed', op.stopMessage());
    return node;
  }
  setTemplateOutputs(op, node, t, scopeAll);
  return node;
}

/** One task; a looped one is a TaskGroup node holding one child per item. */
function executeTask(op: Operation, name: string, task: DAGTask, t: Template, tscope: TemplateScope, scope: Scope, dagNode: NodeStatus, o: ExecOptions): NodeStatus | undefined {
  if (!isLooped(task)) {
    const single = expandItems(task, scope, name, task.name);
    if ('error' in single) return op.node(name) ?? op.initNode(name, 'Skipped', { ...o, boundaryID: dagNode.id, displayName: task.name }, undefined, tscope, 'Error', single.error);
    return executeStepLike(op, name, task.name, task, t, tscope, scope, dagNode.id, o);
  }
  let group = op.node(name);
  if (group && isFulfilledPhase(group.phase)) return group;
  // The items are fixed when the group starts (as Argo's are); a memo of them spares expanding a
  // wide loop on every pass.
  const memo = group ? op.groupMemo(group.id) : undefined;
  let items = memo?.expansions;
  if (!items) {
    const expansions = expandItems(task, scope, name, task.name);
    if ('error' in expansions) {
      return op.node(name) ?? op.initNode(name, 'Skipped', { ...o, boundaryID: dagNode.id, displayName: task.name }, undefined, tscope, 'Error', expansions.error);
    }
    items = expansions.items;
  }
  if (!group) {
    if (!op.canStart(o)) return undefined;
    group = op.initNode(name, 'TaskGroup', { ...o, boundaryID: dagNode.id, displayName: task.name }, undefined, tscope, 'Running');
  }
  const g = memo ?? op.groupMemo(group.id);
  g.expansions = items;
  let allDone = true;
  // Leading items done for good in the stored status are not visited again: a pass costs what
  // changed (the running window), not the width of the loop.
  let failure: NodeStatus | undefined = g.failureId ? op.nodes[g.failureId] : undefined;
  let anySucceeded = g.anySucceeded;
  let prefix = g.donePrefix;
  let advancing = true;
  // Items that exist are children of the group; once all of them were seen and no pod may start,
  // the rest of the loop has nothing to look at.
  const existingChildren = group.children?.length ?? 0;
  let seen = prefix;
  const single = { ...task, withItems: undefined, withParam: undefined, withSequence: undefined };
  for (let i = prefix; i < items.length; i++) {
    const x = items[i]!;
    const existing = op.node(x.name);
    if (existing) seen++;
    if (!existing && op.atPodLimit()) {
      allDone = false;
      advancing = false;
      if (seen >= existingChildren) break;
      continue;
    }
    const done = existing && isFulfilledPhase(existing.phase) && !exitPending(op, x.name, task);
    const n = done ? existing : executeStepLike(op, x.name, x.displayName, single, t, tscope, withEntries(scope, x.scope), dagNode.id, o);
    if (!n) {
      allDone = false;
      advancing = false;
      continue;
    }
    op.addChild(group, n);
    if (!isFulfilledPhase(n.phase)) allDone = false;
    else if (isFailurePhase(n.phase) && !continues(task, n)) failure ??= n;
    else if (n.phase === 'Succeeded') anySucceeded = true;
    // The memo reaches the next pass only with this pass's status stored, so what is final now is
    // final in the status that pass starts from.
    if (advancing && isFulfilledPhase(n.phase) && (done || !exitPending(op, x.name, task))) {
      prefix = i + 1;
      g.donePrefix = prefix;
      g.anySucceeded = anySucceeded;
      if (failure) g.failureId = failure.id;
    } else advancing = false;
  }
  const expansions = { items };
  if (!allDone) return group;
  if (failure) op.mark(group, 'Failed', failure.message ?? `child '${failure.id}' failed`);
  else op.mark(group, expansions.items.length === 0 || anySucceeded ? 'Succeeded' : 'Skipped');
  return group;
}
