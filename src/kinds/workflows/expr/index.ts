/**
 * Argo Workflows' three expression languages, as pure functions.
 *
 * ```ts
 * const env = expressionEnv(new Map([['inputs.parameters.x', '41']]));
 * formatValue(evaluateExpression('asInt(inputs.parameters.x) + 1', env)); // "42"
 * evaluateWhen('heads == heads');                                        // true
 * const d = parseDepends('train.Succeeded || train.Failed');
 * evaluateDepends(d, (task) => ({ fulfilled: true, phase: 'Failed' }));  // true
 * ```
 *
 * - `{{=…}}` tags: the expr language (github.com/expr-lang/expr) with Argo's environment.
 * - `when:` conditions: govaluate as Argo calls it (bare words are strings).
 * - `depends:` logic and `dependencies:` lists.
 * Every failure is an `ExpressionError` (code `EXPRESSION_INVALID`) naming the text and column.
 */
import { ExpressionError, Failure } from './errors.js';
import { goJSON, isNil } from './values.js';

export { ExpressionError } from './errors.js';
export { evaluateExpression } from './evaluate.js';
export { expressionEnv } from './env.js';
export { evaluateWhen } from './when.js';
export {
  parseDepends, dependsTasks, evaluateDepends, dependenciesToDepends,
  type DependsExpression, type DependsNode, type NodeResultPhase, type TaskResult, type TaskResultName,
} from './depends.js';

/**
 * The text Argo substitutes for an expression's result: strings as they are, anything else as Go's
 * `encoding/json` writes it (`1`, `1.5`, `true`, `["a","b"]`, maps with sorted keys).
 * A nil result has no text (Argo refuses it); that throws.
 */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (isNil(v)) throw new ExpressionError('value', undefined, 'nil has no text form');
  try {
    return goJSON(v);
  } catch (err) {
    if (err instanceof Failure) throw new ExpressionError('value', undefined, err.problem);
    throw err;
  }
}
