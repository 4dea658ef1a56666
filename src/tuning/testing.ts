/** Helpers for the tuning tests: run an algorithm against a function, trial by trial. */
import type { Algorithm, Assignments, Observation, ObjectiveType, ParameterSpec } from './types.js';

export const double = (name: string, min: number, max: number, extra: Partial<ParameterSpec['feasibleSpace']> = {}): ParameterSpec => ({
  name,
  parameterType: 'double',
  feasibleSpace: { min: String(min), max: String(max), ...extra },
});

export const int = (name: string, min: number, max: number, extra: Partial<ParameterSpec['feasibleSpace']> = {}): ParameterSpec => ({
  name,
  parameterType: 'int',
  feasibleSpace: { min: String(min), max: String(max), ...extra },
});

export const categorical = (name: string, list: string[]): ParameterSpec => ({ name, parameterType: 'categorical', feasibleSpace: { list } });

/** Runs `trials` sequential trials (count 1, nothing pending); returns the observations. */
export function optimise(
  algorithm: Algorithm,
  parameters: ParameterSpec[],
  f: (a: Assignments) => number | undefined,
  trials: number,
  objectiveType: ObjectiveType = 'minimize',
): Observation[] {
  const completed: Observation[] = [];
  for (let t = 0; t < trials; t++) {
    const { assignments } = algorithm.suggest({ parameters, objectiveType, completed, pending: [], count: 1 });
    if (assignments.length === 0) break;
    completed.push({ assignments: assignments[0]!, value: f(assignments[0]!) });
  }
  return completed;
}

export const best = (obs: Observation[]): number => Math.min(...obs.map((o) => o.value ?? Infinity));
