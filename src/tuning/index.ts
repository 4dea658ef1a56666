/**
 * Tuning: Katib's search algorithms and early stopping as pure, deterministic functions.
 * No I/O, no clock; randomness comes from seeded streams (xoshiro128**) keyed by
 * `random_state` and the request, so the same request always gets the same answer.
 *
 *   const algorithm = createAlgorithm('tpe', { random_state: '7' });
 *   const { assignments, exhausted } = algorithm.suggest({
 *     parameters, objectiveType: 'maximize', completed, pending, count: 3,
 *   });
 *   if (medianStop({ start_step: '4' }, 'maximize', trialCurve, succeededCurves)) stopTrial();
 *
 * Algorithms: random, grid, sobol, tpe, multivariate-tpe, bayesianoptimization, cmaes,
 * hyperband — with Katib's setting names (see settings.ts); unknown settings are refused.
 */
import { ValidationError } from '../api/errors.js';
import { FitCache, suggestBayes, type Acquisition } from './bayesopt.js';
import { suggestCmaes, type RestartStrategy } from './cmaes.js';
import { suggestGrid } from './grid.js';
import { History } from './history.js';
import { suggestHyperband } from './hyperband.js';
import { suggestRandom } from './random.js';
import { intSetting, numberSetting, validateSettings } from './settings.js';
import { suggestSobol } from './sobol.js';
import { Space } from './space.js';
import { seedOf } from './suggest-points.js';
import { suggestTpe } from './tpe.js';
import type { Algorithm, AlgorithmName, AlgorithmOptions, SuggestRequest, SuggestResult } from './types.js';

export type {
  Algorithm,
  AlgorithmName,
  AlgorithmOptions,
  Assignments,
  Distribution,
  ExperimentContext,
  FeasibleSpace,
  ObjectiveType,
  Observation,
  ParameterSpec,
  ParameterType,
  SuggestRequest,
  SuggestResult,
} from './types.js';
export { ALGORITHM_NAMES } from './types.js';
export { validateSettings, validateEarlyStoppingSettings } from './settings.js';
export { validateSearchSpace } from './space.js';
export { medianStop, medianStopThreshold, medianStopSettings } from './medianstop.js';
export { hyperbandSchedule, type Bracket, type Rung } from './hyperband.js';

/** How many distinct points the parameters allow (Infinity with a continuous double); grid's combination count. */
export function searchSpaceSize(parameters: SuggestRequest['parameters']): number {
  return Space.of(parameters).size;
}

/**
 * An algorithm by its Katib name. Throws a ValidationError for an unknown name or an unknown
 * or invalid setting, naming it and listing what is accepted.
 */
export function createAlgorithm(name: string, given: Record<string, string> = {}, options: AlgorithmOptions = {}): Algorithm {
  const issues = validateSettings(name, given);
  if (issues.length > 0) throw new ValidationError(issues);
  const settings = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, String(v).trim()]));
  const algorithmName = name as AlgorithmName;
  const seed = seedOf(settings, options.seed);
  const run = strategy(algorithmName, settings, seed);
  return {
    name: algorithmName,
    suggest(req: SuggestRequest): SuggestResult {
      if (!Number.isInteger(req.count) || req.count < 0) {
        throw new ValidationError([{ path: 'count', message: `count must be a non-negative integer, got ${req.count}` }]);
      }
      const space = Space.of(req.parameters);
      const history = new History(space, req, options.pendingAware ?? true);
      return run(history, req.count);
    },
  };
}

function strategy(name: AlgorithmName, settings: Record<string, string>, seed: number): (h: History, count: number) => SuggestResult {
  const hasSeed = settings.random_state !== undefined;
  switch (name) {
    case 'random':
      return (h, count) => suggestRandom(h, count, seed);
    case 'grid':
      return (h, count) => suggestGrid(h, count, seed, hasSeed);
    case 'sobol':
      return (h, count) => suggestSobol(h, count, seed, hasSeed);
    case 'tpe':
    case 'multivariate-tpe': {
      const opts = {
        nStartup: intSetting(settings, 'n_startup_trials', 10),
        // Optuna's 24 for the univariate TPE; 36 for the multivariate one, which measured at or
        // below Optuna's median regret on all five functions at 200 trials over 40 seeds
        // (ARCHITECTURE.md "Search quality"), where 24 was above it on Hartmann-6.
        nCandidates: intSetting(settings, 'n_ei_candidates', intSetting(settings, 'n_EI_candidates', name === 'multivariate-tpe' ? 36 : 24)),
        gamma: settings.gamma !== undefined ? Number(settings.gamma) : undefined,
        priorWeight: numberSetting(settings, 'prior_weight', 1),
        multivariate: name === 'multivariate-tpe',
      };
      return (h, count) => suggestTpe(h, count, seed, opts);
    }
    case 'bayesianoptimization': {
      const cache = new FitCache();
      const opts = {
        nInitial: intSetting(settings, 'n_initial_points', 10),
        acquisition: (settings.acq_func ?? 'gp_hedge') as Acquisition,
        refine: (settings.acq_optimizer ?? 'auto') !== 'sampling',
      };
      return (h, count) => suggestBayes(h, count, seed, opts, cache);
    }
    case 'cmaes': {
      const restart = (settings.restart_strategy ?? 'none').toLowerCase() as RestartStrategy;
      const opts = { sigma0: numberSetting(settings, 'sigma', 1 / 6), restart };
      return (h, count) => suggestCmaes(h, count, seed, opts);
    }
    case 'hyperband': {
      const opts = { rl: Number(settings.r_l), eta: numberSetting(settings, 'eta', 3), resourceName: settings.resource_name! };
      return (h, count) => {
        const d = h.space.dims[h.space.indexOf(opts.resourceName) ?? -1];
        if (!d || d.kind !== 'numeric') {
          throw new ValidationError([{ path: 'spec.algorithm.algorithmSettings', message: `setting resource_name="${opts.resourceName}" must name an int or double parameter` }]);
        }
        return suggestHyperband(h, count, seed, opts);
      };
    }
  }
}
