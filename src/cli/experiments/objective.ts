/**
 * The value a trial is ranked by, read the way Katib reads it: the objective metric's min, max or
 * latest as its metric strategy says, and its latest value when the chosen one is unavailable.
 * Kept small and local to the CLI until a shared helper exists.
 */
import { UNAVAILABLE, type Metric, type MetricStrategyValue, type ObjectiveSpec, type Observation } from '../../experiments/types.js';

/**
 * The strategy for one metric: the objective's own list first; otherwise Katib's defaults (the
 * objective metric by its direction, min when minimizing and max when maximizing; others latest).
 */
export function strategyFor(objective: ObjectiveSpec | undefined, metricName: string): MetricStrategyValue {
  const given = objective?.metricStrategies?.find((s) => s.name === metricName)?.value;
  if (given) return given;
  if (objective && metricName === objective.objectiveMetricName) return objective.type === 'minimize' ? 'min' : 'max';
  return 'latest';
}

function parseValue(text: string | undefined): number | undefined {
  if (text === undefined || text === UNAVAILABLE || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** One metric under a strategy; min and max fall back to latest when they were not reported. */
export function metricValue(metric: Metric | undefined, strategy: MetricStrategyValue): number | undefined {
  if (!metric) return undefined;
  const chosen = parseValue(metric[strategy]);
  if (chosen !== undefined || strategy === 'latest') return chosen;
  return parseValue(metric.latest);
}

/** The objective metric's ranking value in an observation; undefined when there is none yet. */
export function objectiveValue(observation: Observation | undefined, objective: ObjectiveSpec | undefined): number | undefined {
  const name = objective?.objectiveMetricName;
  if (!name) return undefined;
  const metric = observation?.metrics?.find((m) => m.name === name);
  return metricValue(metric, strategyFor(objective, name));
}
