/**
 * Katib's median stopping rule (`medianstop`), as its documentation states it (after Google
 * Vizier): a running trial is stopped at step S when its best objective value up to S is
 * strictly worse than the median of the running averages, up to step S, of the completed
 * trials. It applies from `start_step` reported values on (default 4) and once
 * `min_trials_required` trials have completed (default 3).
 *
 * Katib's service (v0.17) departs from its documentation in ways we do not copy: it averages
 * only the first start_step values of each completed trial, takes the mean of those averages
 * rather than their median, and its metrics collector checks the rule once, at exactly
 * start_step, with the latest value. At S = start_step with few trials the two mostly agree.
 */
import { ValidationError } from '../api/errors.js';
import { validateEarlyStoppingSettings } from './settings.js';
import { median } from './stats.js';
import type { ObjectiveType } from './types.js';

export interface MedianStopSettings {
  minTrialsRequired: number;
  startStep: number;
}

/** Parsed medianstop settings; throws a ValidationError naming a bad or unknown setting. */
export function medianStopSettings(settings: Record<string, string>): MedianStopSettings {
  const issues = validateEarlyStoppingSettings('medianstop', settings);
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    minTrialsRequired: settings.min_trials_required !== undefined ? Number(settings.min_trials_required) : 3,
    startStep: settings.start_step !== undefined ? Number(settings.start_step) : 4,
  };
}

/**
 * The value a trial must beat at its current step, or undefined while the rule does not apply
 * (too few steps reported, too few completed trials).
 */
export function medianStopThreshold(
  settings: Record<string, string>,
  trial: readonly number[],
  completedTrials: readonly (readonly number[])[],
): number | undefined {
  const { minTrialsRequired, startStep } = medianStopSettings(settings);
  const step = trial.length;
  if (step < startStep) return undefined;
  const averages: number[] = [];
  for (const curve of completedTrials) {
    const upTo = curve.slice(0, step).filter(Number.isFinite);
    if (upTo.length > 0) averages.push(upTo.reduce((a, b) => a + b, 0) / upTo.length);
  }
  if (averages.length < minTrialsRequired) return undefined;
  return median(averages);
}

/**
 * Whether to stop a running trial now. `trial` holds its objective per reported step so far;
 * `completedTrials` the same for each succeeded trial.
 */
export function medianStop(
  settings: Record<string, string>,
  objectiveType: ObjectiveType,
  trial: readonly number[],
  completedTrials: readonly (readonly number[])[],
): boolean {
  const threshold = medianStopThreshold(settings, trial, completedTrials);
  if (threshold === undefined) return false;
  const values = trial.filter(Number.isFinite);
  if (values.length === 0) return false;
  const best = objectiveType === 'maximize' ? Math.max(...values) : Math.min(...values);
  return objectiveType === 'maximize' ? best < threshold : best > threshold;
}
