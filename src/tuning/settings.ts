/**
 * Algorithm settings under Katib's names, checked the way Katib's suggestion services check
 * them: an unknown setting is refused by name, with the accepted ones listed.
 *
 * Names follow the service Katib runs for each algorithm: `random` and `tpe` (hyperopt:
 * gamma, prior_weight, n_EI_candidates), `grid` and `multivariate-tpe` (optuna:
 * n_startup_trials, n_ei_candidates), `cmaes` and `sobol` (goptuna), `bayesianoptimization`
 * (skopt), `hyperband` (Katib's own). `tpe` also takes optuna's spellings, which Katib's
 * optuna service accepted for it. Drover additions are marked so.
 */
import type { FieldIssue } from '../api/errors.js';
import { ALGORITHM_NAMES, type AlgorithmName, type ExperimentContext } from './types.js';
import { Space, validateSearchSpace } from './space.js';

type Kind =
  | { type: 'int'; min: number }
  | { type: 'number'; gt?: number; lt?: number }
  | { type: 'enum'; values: readonly string[]; unsupported?: readonly string[] }
  | { type: 'string' };

interface SettingSpec {
  name: string;
  kind: Kind;
  required?: boolean;
}

const RANDOM_STATE: SettingSpec = { name: 'random_state', kind: { type: 'int', min: 0 } };

export const SETTINGS: Record<AlgorithmName, readonly SettingSpec[]> = {
  random: [RANDOM_STATE],
  // Katib's grid (optuna) takes random_state and shuffles the visiting order with it.
  grid: [RANDOM_STATE],
  // Katib's sobol takes none; Drover accepts random_state to scramble (random digital shift).
  sobol: [RANDOM_STATE],
  tpe: [
    RANDOM_STATE,
    { name: 'n_startup_trials', kind: { type: 'int', min: 0 } },
    { name: 'n_ei_candidates', kind: { type: 'int', min: 1 } },
    { name: 'n_EI_candidates', kind: { type: 'int', min: 1 } },
    { name: 'gamma', kind: { type: 'number', gt: 0, lt: 1 } },
    { name: 'prior_weight', kind: { type: 'number', gt: 0 } },
  ],
  'multivariate-tpe': [
    RANDOM_STATE,
    { name: 'n_startup_trials', kind: { type: 'int', min: 0 } },
    { name: 'n_ei_candidates', kind: { type: 'int', min: 1 } },
  ],
  bayesianoptimization: [
    RANDOM_STATE,
    { name: 'base_estimator', kind: { type: 'enum', values: ['GP'], unsupported: ['RF', 'ET', 'GBRT'] } },
    { name: 'n_initial_points', kind: { type: 'int', min: 0 } },
    { name: 'acq_func', kind: { type: 'enum', values: ['gp_hedge', 'EI', 'LCB', 'PI'], unsupported: ['EIps', 'PIps'] } },
    { name: 'acq_optimizer', kind: { type: 'enum', values: ['auto', 'sampling', 'lbfgs'] } },
  ],
  cmaes: [
    RANDOM_STATE,
    { name: 'sigma', kind: { type: 'number', gt: 0 } },
    { name: 'restart_strategy', kind: { type: 'enum', values: ['none', 'None', 'ipop', 'bipop'] } },
  ],
  hyperband: [
    { name: 'r_l', kind: { type: 'number', gt: 0 }, required: true },
    { name: 'eta', kind: { type: 'number', gt: 1 } },
    { name: 'resource_name', kind: { type: 'string' }, required: true },
    // Drover addition: seeds the random configurations of each bracket.
    RANDOM_STATE,
  ],
};

export const EARLY_STOPPING_SETTINGS: Record<'medianstop', readonly SettingSpec[]> = {
  medianstop: [
    { name: 'min_trials_required', kind: { type: 'int', min: 1 } },
    { name: 'start_step', kind: { type: 'int', min: 1 } },
  ],
};

const isAlgorithmName = (name: string): name is AlgorithmName => (ALGORITHM_NAMES as readonly string[]).includes(name);

function checkSettings(
  owner: string,
  specs: readonly SettingSpec[],
  settings: Record<string, string>,
  path: string,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const accepted = specs.map((s) => s.name).join(', ') || '(none)';
  for (const [name, raw] of Object.entries(settings)) {
    const spec = specs.find((s) => s.name === name);
    if (!spec) {
      issues.push({ path, message: `unknown setting "${name}" for algorithm ${owner}; accepted settings: ${accepted}` });
      continue;
    }
    const value = String(raw ?? '').trim();
    const k = spec.kind;
    if (k.type === 'int') {
      if (!/^[-+]?\d+$/.test(value) || Number(value) < k.min) {
        issues.push({ path, message: `setting ${name} must be an integer ≥ ${k.min}, got "${raw}"` });
      }
    } else if (k.type === 'number') {
      const v = value === '' ? NaN : Number(value);
      const ok = Number.isFinite(v) && (k.gt === undefined || v > k.gt) && (k.lt === undefined || v < k.lt);
      if (!ok) {
        const range = [k.gt !== undefined ? `> ${k.gt}` : '', k.lt !== undefined ? `< ${k.lt}` : ''].filter(Boolean).join(' and ');
        issues.push({ path, message: `setting ${name} must be a number${range ? ' ' + range : ''}, got "${raw}"` });
      }
    } else if (k.type === 'enum') {
      if (k.unsupported?.includes(value)) {
        issues.push({ path, message: `setting ${name}=${value} is not supported by Drover; accepted values: ${k.values.join(', ')}` });
      } else if (!k.values.includes(value)) {
        issues.push({ path, message: `setting ${name} must be one of ${k.values.join(', ')}, got "${raw}"` });
      }
    } else if (value === '') {
      issues.push({ path, message: `setting ${name} must not be empty` });
    }
  }
  for (const spec of specs) {
    if (spec.required && !(spec.name in settings)) {
      issues.push({ path, message: `setting ${spec.name} is required for algorithm ${owner}` });
    }
  }
  return issues;
}

/**
 * Problems with an algorithm name and its settings, for manifest validation. With the
 * experiment's parameters and maxTrialCount it also checks what depends on them: grid needs a
 * step on every double and at least maxTrialCount combinations; hyperband's resource_name must
 * name a numeric parameter.
 */
export function validateSettings(name: string, settings: Record<string, string>, experiment: ExperimentContext = {}): FieldIssue[] {
  if (!isAlgorithmName(name)) {
    return [{ path: 'spec.algorithm.algorithmName', message: `unknown algorithm "${name}"; accepted: ${ALGORITHM_NAMES.join(', ')}` }];
  }
  const path = 'spec.algorithm.algorithmSettings';
  const issues = checkSettings(name, SETTINGS[name], settings, path);
  if (name === 'tpe' && 'n_ei_candidates' in settings && 'n_EI_candidates' in settings) {
    issues.push({ path, message: 'settings n_ei_candidates and n_EI_candidates are the same setting; give one' });
  }
  const params = experiment.parameters;
  if (!params || validateSearchSpace(params).length > 0) return issues;
  if (name === 'grid') {
    params.forEach((p, i) => {
      if (p.parameterType === 'double' && !(p.feasibleSpace.step && p.feasibleSpace.step.trim() !== '')) {
        issues.push({ path: `spec.parameters[${i}].feasibleSpace.step`, message: `grid needs a step for every double parameter; "${p.name}" has none` });
      }
    });
    if (issues.length === 0 && experiment.maxTrialCount !== undefined) {
      const combinations = Space.of(params).size;
      if (experiment.maxTrialCount > combinations) {
        issues.push({ path: 'spec.maxTrialCount', message: `maxTrialCount ${experiment.maxTrialCount} is greater than the ${combinations} combinations grid can try` });
      }
    }
  }
  if (name === 'hyperband' && settings.resource_name !== undefined) {
    const p = params.find((q) => q.name === settings.resource_name);
    if (!p) issues.push({ path, message: `setting resource_name="${settings.resource_name}" must name one of the parameters (${params.map((q) => q.name).join(', ')})` });
    else if (p.parameterType !== 'int' && p.parameterType !== 'double') issues.push({ path, message: `setting resource_name="${p.name}" must name an int or double parameter, not ${p.parameterType}` });
  }
  // Katib asks for two; one numeric parameter is enough here (categorical ones are drawn at random).
  if (name === 'cmaes' && !params.some((p) => p.parameterType === 'int' || p.parameterType === 'double')) {
    issues.push({ path: 'spec.parameters', message: 'cmaes needs at least one int or double parameter' });
  }
  return issues;
}

/** Problems with `spec.earlyStopping`. */
export function validateEarlyStoppingSettings(name: string, settings: Record<string, string>): FieldIssue[] {
  if (name !== 'medianstop') {
    return [{ path: 'spec.earlyStopping.algorithmName', message: `unknown early stopping algorithm "${name}"; accepted: medianstop` }];
  }
  return checkSettings(name, EARLY_STOPPING_SETTINGS.medianstop, settings, 'spec.earlyStopping.algorithmSettings');
}

export function intSetting(settings: Record<string, string>, name: string, fallback: number): number {
  const v = settings[name];
  return v === undefined ? fallback : Number(v.trim());
}

export function numberSetting(settings: Record<string, string>, name: string, fallback: number): number {
  const v = settings[name];
  return v === undefined ? fallback : Number(v.trim());
}
