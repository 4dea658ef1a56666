/**
 * retryStrategy: a Retry node whose children are the attempts `<node>(0)`, `<node>(1)`…. After a
 * failed attempt it decides, from the limit, the retryPolicy, the expression and backoff.maxDuration,
 * whether another runs, and when: backoff.duration × factor^(attempts-1), capped, after the last
 * attempt finished.
 */
import { substituteString, withEntries, type Scope } from './scope.js';
import { durationField, integerField, numberField } from './fields.js';
import { isUserError } from './operation.js';
import type { Bound, Resolved } from './inputs.js';
import type { ExecOptions, Holder, Operation } from './operation.js';
import type { Arguments, NodePhase, NodeStatus, RetryStrategy } from './types.js';
import { isFulfilledPhase } from './types.js';

export function executeRetry(op: Operation, nodeName: string, holder: Holder, resolved: Resolved, args: Arguments | undefined, outer: Scope, o: ExecOptions, bound: Bound): NodeStatus | undefined {
  const t = resolved.template;
  const rs = t.retryStrategy!;
  let node = op.node(nodeName);
  let limit: number;
  try {
    limit = integerField(t.name, 'retryStrategy.limit', rs.limit as string | number | undefined, bound.scope) ?? Infinity;
    // Checked now, so a bad back-off errs the node before its first attempt, not after it.
    backoffOf(t.name, rs, bound.scope);
  } catch (err) {
    if (!isUserError(err)) throw err;
    node ??= op.initNode(nodeName, 'Retry', o, t, resolved.tscope);
    op.mark(node, 'Error', err.message);
    return node;
  }
  if (!node) {
    if (!op.canStart(o)) return undefined;
    node = op.initNode(nodeName, 'Retry', o, t, resolved.tscope, 'Running');
    if (bound.inputs) node.inputs = bound.inputs;
  }
  const attempt = (n: number) => ({ ...o, boundaryID: o.boundaryID, displayName: `${o.displayName}(${n})`, retryAttempt: n });
  // An attempt that ends in this pass is judged in the same pass: loop until one runs or the node ends.
  for (;;) {
    const attempts = (node.children ?? []).map((id) => op.nodes[id]).filter((n): n is NodeStatus => !!n);
    const last = attempts[attempts.length - 1];
    if (last && !isFulfilledPhase(last.phase)) {
      // Look again at the running attempt.
      const again = op.execute(last.name, holder, resolved.tscope, args, outer, attempt(attempts.length - 1));
      if (!again || !isFulfilledPhase(again.phase)) return node;
      continue;
    }
    if (last) {
      const verdict = judgeAttempt(op, node, rs, limit, attempts, last, bound.scope);
      if (verdict !== 'again') return node;
    }
    const n = attempts.length;
    const child = op.execute(`${nodeName}(${n})`, holder, resolved.tscope, args, outer, attempt(n));
    if (child) op.addChild(node, child);
    if (!child || !isFulfilledPhase(child.phase)) return node;
  }
}

/**
 * After a fulfilled last attempt: ends the Retry node (success, no retries left, maxDuration),
 * waits out the back-off ('wait'), or clears the way for the next attempt ('again').
 */
function judgeAttempt(op: Operation, node: NodeStatus, rs: RetryStrategy, limit: number, attempts: NodeStatus[], last: NodeStatus, scope: Scope): 'done' | 'wait' | 'again' {
  if (last.phase === 'Succeeded') {
    node.outputs = last.outputs;
    op.mark(node, 'Succeeded');
    return 'done';
  }
  const policy = rs.retryPolicy ?? 'OnFailure';
  const retryable =
    attempts.length <= limit &&
    (policy === 'Always' || (policy === 'OnFailure' && last.phase === 'Failed') || (policy === 'OnError' && last.phase === 'Error') || (policy === 'OnTransientError' && last.phase === 'Error'));
  let ok = retryable && !op.deadlineExceeded && !op.shutdown;
  if (ok && rs.expression) {
    const exitCode = last.outputs?.exitCode ?? '';
    const lastDuration = last.startedAt && last.finishedAt ? (Date.parse(last.finishedAt) - Date.parse(last.startedAt)) / 1000 : 0;
    const env = withEntries(scope, [
      ['lastRetry.exitCode', String(exitCode)],
      ['lastRetry.status', String(last.phase)],
      ['lastRetry.duration', String(lastDuration)],
      ['lastRetry.message', last.message ?? ''],
    ]);
    // Its own tags (`{{inputs.parameters.safe}}`) are substituted first, as Argo substitutes the
    // whole template; then it is evaluated with lastRetry.* in scope.
    ok = substituteString(`{{=${substituteString(rs.expression, scope)}}}`, env) === 'true';
  }
  const backoff = backoffOf(node.templateName, rs, scope);
  if (ok && backoff.maxDuration !== undefined && attempts[0]?.startedAt) {
    const max = backoff.maxDuration * 1000;
    if (op.now - Date.parse(attempts[0].startedAt) >= max) {
      op.mark(node, last.phase as NodePhase, 'Max duration limit exceeded');
      node.outputs = last.outputs;
      return 'done';
    }
  }
  if (!ok) {
    node.outputs = last.outputs;
    op.mark(node, last.phase as NodePhase, last.message ?? `No more retries left`);
    return 'done';
  }
  if (backoff.duration !== undefined) {
    const base = backoff.duration * 1000;
    let wait = base * Math.pow(backoff.factor, attempts.length - 1);
    if (backoff.cap !== undefined) wait = Math.min(wait, backoff.cap * 1000);
    const readyAt = Date.parse(last.finishedAt ?? op.iso()) + wait;
    if (op.now < readyAt) {
      node.message = `Backoff for ${Math.ceil((readyAt - op.now) / 1000)}s`;
      op.requeueIn(readyAt - op.now);
      return 'wait';
    }
  }
  delete node.message;
  return 'again';
}

/** retryStrategy.backoff, substituted and parsed (durations in seconds). */
function backoffOf(templateName: string | undefined, rs: RetryStrategy, scope: Scope): { duration?: number; factor: number; cap?: number; maxDuration?: number } {
  const b = rs.backoff;
  if (!b) return { factor: 1 };
  type Raw = string | number | undefined;
  const duration = durationField(templateName, 'retryStrategy.backoff.duration', b.duration as Raw, scope);
  const cap = durationField(templateName, 'retryStrategy.backoff.cap', b.cap as Raw, scope);
  const maxDuration = durationField(templateName, 'retryStrategy.backoff.maxDuration', b.maxDuration as Raw, scope);
  return {
    ...(duration !== undefined ? { duration } : {}),
    factor: numberField(templateName, 'retryStrategy.backoff.factor', b.factor as Raw, scope) ?? 1,
    ...(cap !== undefined ? { cap } : {}),
    ...(maxDuration !== undefined ? { maxDuration } : {}),
  };
}
