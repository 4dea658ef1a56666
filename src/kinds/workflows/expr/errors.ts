/**
 * The one error the expression languages raise. Internally the lexers, parsers and evaluators
 * throw `Failure` (a problem and where it sits); the public functions turn it into an
 * `ExpressionError` whose message names the language, the source text and the column.
 */
import { DroverError } from '../../../api/errors.js';

export type ExpressionLanguage = 'expression' | 'when' | 'depends' | 'value';

/** An expression (`{{=…}}`, `when:`, `depends:`) that cannot be parsed or evaluated. */
export class ExpressionError extends DroverError {
  readonly code = 'EXPRESSION_INVALID';
  readonly reason = 'Invalid' as const;
  readonly httpStatus = 422;
  constructor(
    readonly language: ExpressionLanguage,
    /** The text as the user wrote it (after tag substitution, for `when`). */
    readonly source: string | undefined,
    /** What went wrong, without the source: `unknown name "foo"`. */
    readonly problem: string,
    /** 1-based, in characters of `source`. */
    readonly column?: number,
    /**
     * Set when the failure is a name the environment does not hold (`inputs.parameters.foo`), so a
     * caller that allows unresolved tags (as Argo does in early passes) can leave the tag as written.
     */
    readonly unknownName?: string,
  ) {
    super(
      `${source === undefined ? language : `${language} ${JSON.stringify(shorten(source))}`}: ${problem}` +
        (column === undefined ? '' : ` at column ${column}`),
    );
    this.name = 'ExpressionError';
  }
}

/** Keeps messages one readable line: a long source is cut, the column still locates the problem. */
function shorten(source: string): string {
  const cs = Array.from(source);
  return cs.length <= 200 ? source : `${cs.slice(0, 200).join('')}…`;
}

/** Internal: a problem at a position (0-based index into the source's code points). */
export class Failure extends Error {
  constructor(
    readonly problem: string,
    readonly pos?: number,
    readonly unknownName?: string,
  ) {
    super(problem);
  }
}

export function fail(problem: string, pos?: number): never {
  throw new Failure(problem, pos);
}

/** Runs `fn`, turning an internal `Failure` into the public `ExpressionError` for `source`. */
export function guard<T>(language: ExpressionLanguage, source: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Failure) {
      throw new ExpressionError(language, source, err.problem, err.pos === undefined ? undefined : err.pos + 1, err.unknownName);
    }
    if (err instanceof ExpressionError) throw err;
    if (err instanceof RangeError) {
      // Deep recursion in a pathological expression: report it rather than crash the controller.
      throw new ExpressionError(language, source, `cannot evaluate: ${err.message}`);
    }
    throw err;
  }
}
