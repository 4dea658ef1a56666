/**
 * DAG `depends:` logic (Argo's "enhanced depends"), and `dependencies:` lists.
 *
 * Semantics from Argo (workflow/common/ancestry.go and the DAG operator):
 * - operands are `task.Result` with Result one of Succeeded, Failed, Errored, Skipped, Omitted,
 *   Daemoned, AnySucceeded, AllFailed; task names match `[a-zA-Z0-9][-a-zA-Z0-9]*`;
 * - a bare `task` means `(task.Succeeded || task.Skipped || task.Daemoned)`, widened with
 *   `|| task.Errored` / `|| task.Failed` when that task sets `continueOn.error` / `.failed`;
 * - `dependencies: [a, b]` is `a && b` with the bare-name meaning;
 * - `AnySucceeded` / `AllFailed` look at the children of a fanned-out task (withItems/withParam);
 *   AllFailed needs at least one child;
 * - Drover also accepts `task.Completed` (Succeeded or Failed), which Argo does not have;
 * - operators are `&&`, `||`, `!` and parentheses;
 * - nothing is decided until every task the expression names is fulfilled, even when the
 *   answer is already known (Argo evaluates only then).
 */
import { ExpressionError, fail, guard } from './errors.js';

export type NodeResultPhase = 'Succeeded' | 'Failed' | 'Errored' | 'Skipped' | 'Omitted' | 'Daemoned';

export interface TaskResult {
  /** The task has finished (or is a running daemon); until then nothing depending on it is decided. */
  fulfilled: boolean;
  phase?: NodeResultPhase;
  /** Loops/fan-outs: phases of the children. */
  childPhases?: NodeResultPhase[];
  /** The task's own `continueOn`, which widens what a bare reference to it accepts. */
  continueOn?: { error?: boolean; failed?: boolean };
}

export const TASK_RESULTS = ['Succeeded', 'Failed', 'Errored', 'Skipped', 'Omitted', 'Daemoned', 'AnySucceeded', 'AllFailed', 'Completed'] as const;
export type TaskResultName = (typeof TASK_RESULTS)[number];

export type DependsNode =
  | { kind: 'task'; task: string; result?: TaskResultName; column: number }
  | { kind: 'not'; operand: DependsNode }
  | { kind: 'and' | 'or'; left: DependsNode; right: DependsNode };

export interface DependsExpression {
  readonly source: string;
  /** null for an empty expression, which depends on nothing. */
  readonly root: DependsNode | null;
}

const NAME = /[a-zA-Z0-9][-a-zA-Z0-9]*/y;
const WORD = /[A-Za-z]+/y;

export function parseDepends(source: string): DependsExpression {
  return guard('depends', source, () => {
    const cs = source;
    let i = 0;
    const skip = (): void => {
      while (i < cs.length && /\s/.test(cs[i]!)) i++;
    };
    const peek = (): string => (skip(), cs.slice(i, i + 2));

    const primary = (): DependsNode => {
      skip();
      if (i >= cs.length) fail('expected a task name', i);
      if (cs[i] === '!') {
        i++;
        return { kind: 'not', operand: primary() };
      }
      if (cs[i] === '(') {
        const open = i;
        i++;
        const inner = or();
        skip();
        if (cs[i] !== ')') fail(i >= cs.length ? `"(" at column ${open + 1} is not closed` : `expected ")" or an operator but found ${JSON.stringify(cs[i])}`, i);
        i++;
        return inner;
      }
      NAME.lastIndex = i;
      const m = NAME.exec(cs);
      if (!m) fail(`expected a task name but found ${JSON.stringify(cs[i])}`, i);
      const column = i + 1;
      i += m![0].length;
      if (cs[i] === '_') fail('task names contain only letters, digits and "-"', i);
      if (cs[i] !== '.') return { kind: 'task', task: m![0], column };
      i++;
      WORD.lastIndex = i;
      const r = WORD.exec(cs);
      const result = r?.[0] ?? '';
      if (!(TASK_RESULTS as readonly string[]).includes(result)) {
        fail(`unknown task result ${JSON.stringify(result)} for task ${JSON.stringify(m![0])}; expected one of ${TASK_RESULTS.join(', ')}`, i);
      }
      i += result.length;
      return { kind: 'task', task: m![0], result: result as TaskResultName, column };
    };

    const and = (): DependsNode => {
      let left = primary();
      while (peek() === '&&') {
        i += 2;
        left = { kind: 'and', left, right: primary() };
      }
      return left;
    };

    function or(): DependsNode {
      let left = and();
      while (peek() === '||') {
        i += 2;
        left = { kind: 'or', left, right: and() };
      }
      return left;
    }

    skip();
    if (i >= cs.length) return { source, root: null };
    const root = or();
    skip();
    if (i < cs.length) {
      const two = cs.slice(i, i + 2);
      const problem = two === '&' || cs[i] === '&' || cs[i] === '|'
        ? `expected "&&" or "||" but found ${JSON.stringify(two)}`
        : `expected "&&", "||" or the end but found ${JSON.stringify(cs[i])}`;
      fail(problem, i);
    }
    return { source, root };
  });
}

/** Every task the expression names, in order of first appearance. */
export function dependsTasks(expr: DependsExpression): string[] {
  const seen: string[] = [];
  const walk = (n: DependsNode): void => {
    if (n.kind === 'task') {
      if (!seen.includes(n.task)) seen.push(n.task);
    } else if (n.kind === 'not') walk(n.operand);
    else {
      walk(n.left);
      walk(n.right);
    }
  };
  if (expr.root) walk(expr.root);
  return seen;
}

function holds(r: TaskResult, result: TaskResultName | undefined): boolean {
  switch (result) {
    case undefined:
      return r.phase === 'Succeeded' || r.phase === 'Skipped' || r.phase === 'Daemoned'
        || (r.continueOn?.error === true && r.phase === 'Errored')
        || (r.continueOn?.failed === true && r.phase === 'Failed');
    case 'AnySucceeded':
      return (r.childPhases ?? []).some((p) => p === 'Succeeded');
    case 'AllFailed':
      return (r.childPhases ?? []).length > 0 && r.childPhases!.every((p) => p === 'Failed');
    case 'Completed':
      // Not one of Argo's results: Drover's shorthand for "ran to an end", Succeeded or Failed.
      return r.phase === 'Succeeded' || r.phase === 'Failed';
    default:
      return r.phase === result;
  }
}

/**
 * Decides whether a task may run: true or false once every named task is fulfilled, `'pending'`
 * before. An empty expression is true.
 */
export function evaluateDepends(expr: DependsExpression, result: (task: string) => TaskResult): boolean | 'pending' {
  if (!expr.root) return true;
  const results = new Map<string, TaskResult>();
  for (const task of dependsTasks(expr)) {
    const r = result(task);
    if (!r.fulfilled) return 'pending';
    results.set(task, r);
  }
  const walk = (n: DependsNode): boolean => {
    switch (n.kind) {
      case 'task':
        return holds(results.get(n.task)!, n.result);
      case 'not':
        return !walk(n.operand);
      case 'and':
        return walk(n.left) && walk(n.right);
      case 'or':
        return walk(n.left) || walk(n.right);
    }
  };
  return walk(expr.root);
}

/** `dependencies: [a, b]` as the equivalent `depends` text, `a && b`. */
export function dependenciesToDepends(deps: string[]): string {
  for (const d of deps) {
    if (!/^[a-zA-Z0-9][-a-zA-Z0-9]*$/.test(d)) {
      throw new ExpressionError('depends', d, 'a dependency must be a task name of letters, digits and "-"');
    }
  }
  return deps.join(' && ');
}
