/**
 * The tuning vocabulary, shaped after Katib v1beta1.
 *
 * - Parameter: one searched dimension (`spec.parameters[]`). Values travel as strings, as in
 *   Katib's ParameterAssignments: ints without decimals, discrete/categorical from `list`.
 * - Observation: a finished trial — its assignments and its objective value as reported
 *   (`undefined` when it failed or reported no metric).
 * - Pending: assignments of trials created but not finished. Algorithms never suggest a point
 *   equal to a pending or a finished one.
 * - Algorithm: `suggest()` is a pure function of its request: the same request gives the same
 *   answer, so a controller restarted at any moment neither duplicates nor loses a suggestion.
 */

export type ParameterType = 'int' | 'double' | 'discrete' | 'categorical';
export type Distribution = 'uniform' | 'logUniform' | 'normal' | 'logNormal';

export interface FeasibleSpace {
  min?: string;
  max?: string;
  step?: string;
  list?: string[];
  /** Katib's `distribution`; empty or absent means uniform. */
  distribution?: Distribution | '';
}

export interface ParameterSpec {
  name: string;
  parameterType: ParameterType;
  feasibleSpace: FeasibleSpace;
}

export type Assignments = Record<string, string>;

export interface Observation {
  assignments: Assignments;
  /** The objective as the trial reported it (orientation given by `objectiveType`); undefined = failed or no metric. */
  value: number | undefined;
}

export type ObjectiveType = 'minimize' | 'maximize';

export interface SuggestRequest {
  parameters: ParameterSpec[];
  objectiveType: ObjectiveType;
  /** Finished trials, in creation order (CMA-ES, hyperband and TPE's weights read the order). */
  completed: Observation[];
  /** Trials created and not finished yet, in creation order. */
  pending: Assignments[];
  /** How many new suggestions the caller wants now. */
  count: number;
}

export interface SuggestResult {
  /**
   * New assignments, at most `count`, never equal to each other, to a pending or to a finished
   * trial. Fewer than asked with `exhausted: false` means "wait for running trials" (a hyperband
   * rung or a CMA-ES generation must finish first).
   */
  assignments: Assignments[];
  /** No suggestion will ever come again: the grid is done, the finite space is used up, hyperband's last bracket is created. */
  exhausted: boolean;
}

export const ALGORITHM_NAMES = [
  'random',
  'grid',
  'sobol',
  'tpe',
  'multivariate-tpe',
  'bayesianoptimization',
  'cmaes',
  'hyperband',
] as const;
export type AlgorithmName = (typeof ALGORITHM_NAMES)[number];

export interface Algorithm {
  readonly name: AlgorithmName;
  suggest(req: SuggestRequest): SuggestResult;
}

export interface AlgorithmOptions {
  /**
   * Seed used when the settings carry no `random_state` (e.g. a hash of the Experiment's uid),
   * so experiments differ while each stays reproducible. Defaults to a fixed constant.
   */
  seed?: number;
  /**
   * false: the model leaves running trials out (they are still never suggested again), as
   * Optuna's constant_liar=False does. Only for measuring what the constant liar buys
   * (bench:tuning --parallel); experiments always use the default, true.
   */
  pendingAware?: boolean;
}

/** What manifest validation knows beyond the settings, for the checks that need it. */
export interface ExperimentContext {
  parameters?: ParameterSpec[];
  maxTrialCount?: number;
}
