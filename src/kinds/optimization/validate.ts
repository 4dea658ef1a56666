/**
 * How an OptimizationJob is validated: KEP-2605's v1alpha1 fields (unknown ones refused by name),
 * its CEL rules (min/max for numbers, a list for categories, parallelTrials ≤ numTrials), its
 * webhook's rule that every parameter appears as a `{{.name}}` placeholder, and the trial TrainJob
 * the template renders to, checked as any TrainJob with paths into the template, so errors carry
 * the file:line of the OptimizationJob.
 */
import type { KindValidation } from '../../api/manifests.js';
import { type FieldPath, type Finding, isRecord, parsePath, valueAt } from '../../api/fieldpath.js';
import { error, warning, type Ctx } from '../../api/semantics.js';
import { objectShape, ok, reject, struct } from '../../api/support.js';
import { validateSearchSpace, validateSettings } from '../../tuning/index.js';
import { trainJobSpecFindings } from '../training/validate-trainjob.js';
import { parameterSpecs } from './plan.js';
import { placeholders, render } from './render.js';
import { DEFAULT_NUM_TRIALS, DEFAULT_PARALLEL_TRIALS, type OptimizationParameter } from './types.js';

/** What the controller can run: Drover's own implementations (hyperband needs resource budgets trials do not have). */
export const OPTIMIZATION_ALGORITHMS = ['random', 'grid', 'sobol', 'tpe', 'multivariate-tpe', 'bayesianoptimization', 'cmaes'] as const;
/** `provider` names Drover accepts: its own, and Optuna's (Drover's TPE is tested to equal Optuna's). */
const PROVIDERS = ['drover', 'optuna'];
/** A placeholder names a parameter as a Go template field: `{{.learning_rate}}`. */
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const SUPPORT = objectShape({
  objectives: struct({ metric: ok, direction: ok }),
  algorithm: struct({ name: ok, provider: ok, settings: struct({ name: ok, value: ok }) }),
  earlyStopping: reject('early stopping of trials is not run for OptimizationJobs (Katib Experiments have medianstop)'),
  parameters: struct({ name: ok, searchSpace: struct({ type: ok, min: ok, max: ok, list: ok, distribution: ok }) }),
  trialConfig: struct({ numTrials: ok, parallelTrials: ok, maxFailedTrials: ok, storage: reject('trial storage is not implemented: put shared data on a claim the template mounts') }),
  trainJobTemplate: struct({ metadata: struct({ labels: ok, annotations: ok }), spec: ok }),
});

function str(ctx: Ctx, v: unknown, path: FieldPath, what: string): v is string {
  if (typeof v === 'string' && v !== '') return true;
  if (v === undefined) error(ctx, path, `required: ${what}`, 'parent');
  else error(ctx, path, `expected ${what}, got ${JSON.stringify(v)}`);
  return false;
}

function count(ctx: Ctx, v: unknown, path: FieldPath, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 2 ** 31 - 1) {
    error(ctx, path, `expected an integer of at least ${min}, got ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
}

function checkOptimizationJob(obj: Record<string, unknown>): Finding[] {
  const ctx: Ctx = { findings: [] };
  const spec = obj['spec'];
  if (!isRecord(spec)) {
    error(ctx, ['spec'], 'required: the objectives, algorithm, parameters and trainJobTemplate', 'parent');
    return ctx.findings;
  }
  // objectives: the first guides the search (KEP-2605 phase 1).
  const objectives = spec['objectives'];
  if (!Array.isArray(objectives) || objectives.length === 0) error(ctx, ['spec', 'objectives'], 'at least one objective is required: {metric, direction}', objectives === undefined ? 'parent' : 'value');
  else {
    objectives.forEach((o, i) => {
      const at = ['spec', 'objectives', i];
      if (!isRecord(o)) return error(ctx, at, 'expected {metric, direction}');
      str(ctx, o['metric'], [...at, 'metric'], 'the name of a metric the trials push');
      if (o['direction'] !== 'maximize' && o['direction'] !== 'minimize') error(ctx, [...at, 'direction'], `expected maximize or minimize, got ${JSON.stringify(o['direction'])}`, o['direction'] === undefined ? 'parent' : 'value');
    });
    if (objectives.length > 1) warning(ctx, ['spec', 'objectives', 1], 'only the first objective guides the search; the others are not read');
  }
  // algorithm
  const algorithm = spec['algorithm'];
  let algorithmName: string | undefined;
  if (!isRecord(algorithm)) error(ctx, ['spec', 'algorithm'], `required: {name} (one of ${OPTIMIZATION_ALGORITHMS.join(', ')})`, 'parent');
  else if (str(ctx, algorithm['name'], ['spec', 'algorithm', 'name'], `one of ${OPTIMIZATION_ALGORITHMS.join(', ')}`)) {
    algorithmName = algorithm['name'];
    if (!(OPTIMIZATION_ALGORITHMS as readonly string[]).includes(algorithmName)) {
      error(ctx, ['spec', 'algorithm', 'name'], `unknown algorithm ${JSON.stringify(algorithmName)}: expected one of ${OPTIMIZATION_ALGORITHMS.join(', ')}`);
      algorithmName = undefined;
    }
    const provider = algorithm['provider'];
    if (provider !== undefined && !PROVIDERS.includes(provider as string)) error(ctx, ['spec', 'algorithm', 'provider'], `unsupported provider ${JSON.stringify(provider)}: Drover runs its own algorithms (accepted: ${PROVIDERS.join(', ')})`);
    const settings = algorithm['settings'];
    const given: Record<string, string> = {};
    if (settings !== undefined && !Array.isArray(settings)) error(ctx, ['spec', 'algorithm', 'settings'], 'expected a list of {name, value}');
    else (settings ?? []).forEach((s: unknown, i: number) => {
      const at = ['spec', 'algorithm', 'settings', i];
      if (!isRecord(s) || !str(ctx, s['name'], [...at, 'name'], 'a setting name') || typeof s['value'] !== 'string') {
        if (isRecord(s) && typeof s['value'] !== 'string') error(ctx, [...at, 'value'], `expected a string, got ${JSON.stringify(s['value'])}`, s['value'] === undefined ? 'parent' : 'value');
        return;
      }
      given[s['name'] as string] = s['value'];
    });
    if (algorithmName) {
      for (const issue of validateSettings(algorithmName, given)) {
        const named = /\bsetting "?([A-Za-z0-9_-]+)"?/.exec(issue.message)?.[1];
        const i = named === undefined || !Array.isArray(settings) ? -1 : settings.findIndex((s: unknown) => isRecord(s) && s['name'] === named);
        error(ctx, i >= 0 ? ['spec', 'algorithm', 'settings', i, issue.message.startsWith('unknown setting') ? 'name' : 'value'] : ['spec', 'algorithm'], issue.message.replace('algorithmSettings', 'settings'), i >= 0 ? 'value' : 'key');
      }
    }
  }
  // parameters
  const parameters = spec['parameters'];
  let params: OptimizationParameter[] = [];
  if (!Array.isArray(parameters) || parameters.length === 0) error(ctx, ['spec', 'parameters'], 'at least one parameter is required: {name, searchSpace}', parameters === undefined ? 'parent' : 'value');
  else {
    let shaped = true;
    parameters.forEach((p, i) => {
      const at = ['spec', 'parameters', i];
      if (!isRecord(p)) return void (shaped = false, error(ctx, at, 'expected {name, searchSpace}'));
      if (str(ctx, p['name'], [...at, 'name'], 'a parameter name') && !PARAM_NAME.test(p['name'])) {
        error(ctx, [...at, 'name'], `a parameter name is used as {{.${p['name']}}} in the template: letters, digits and _ only, not starting with a digit`);
      }
      const space = p['searchSpace'];
      if (!isRecord(space)) return void (shaped = false, error(ctx, [...at, 'searchSpace'], 'required: {type, min, max} or {type: categorical, list}', 'parent'));
      const type = space['type'];
      if (type !== 'int' && type !== 'double' && type !== 'categorical') { shaped = false; error(ctx, [...at, 'searchSpace', 'type'], `expected int, double or categorical, got ${JSON.stringify(type)}`, type === undefined ? 'parent' : 'value'); }
      for (const k of ['min', 'max'] as const) if (space[k] !== undefined && typeof space[k] !== 'string') { shaped = false; error(ctx, [...at, 'searchSpace', k], `expected a string (values travel as strings, as "0.01"), got ${JSON.stringify(space[k])}`); }
      if (space['list'] !== undefined && (!Array.isArray(space['list']) || space['list'].some((x: unknown) => typeof x !== 'string'))) { shaped = false; error(ctx, [...at, 'searchSpace', 'list'], 'expected a list of strings'); }
      if (space['distribution'] !== undefined && space['distribution'] !== 'uniform' && space['distribution'] !== 'logUniform') { shaped = false; error(ctx, [...at, 'searchSpace', 'distribution'], `expected uniform or logUniform, got ${JSON.stringify(space['distribution'])}`); }
      if (type === 'categorical' && space['distribution'] !== undefined) error(ctx, [...at, 'searchSpace', 'distribution'], 'a categorical parameter has no distribution');
      if (type === 'categorical' && (space['min'] !== undefined || space['max'] !== undefined)) error(ctx, [...at, 'searchSpace', space['min'] !== undefined ? 'min' : 'max'], 'a categorical parameter takes a list, not min and max');
    });
    if (shaped) {
      params = parameters as OptimizationParameter[];
      for (const issue of validateSearchSpace(parameterSpecs(params), 'spec.parameters')) {
        const path = parsePath(issue.path.replace('.feasibleSpace', '.searchSpace'));
        if (ctx.findings.some((f) => f.severity === 'error' && JSON.stringify(f.path) === JSON.stringify(path))) continue;
        error(ctx, path, issue.message.replace('parameterType', 'type'), valueAt(obj, path) === undefined ? 'parent' : 'value');
      }
    }
  }
  // trialConfig: the CEL rules.
  const tc = spec['trialConfig'];
  if (tc !== undefined && !isRecord(tc)) error(ctx, ['spec', 'trialConfig'], 'expected {numTrials, parallelTrials, maxFailedTrials}');
  else if (tc) {
    const n = count(ctx, tc['numTrials'], ['spec', 'trialConfig', 'numTrials'], 1) ?? DEFAULT_NUM_TRIALS;
    const p = count(ctx, tc['parallelTrials'], ['spec', 'trialConfig', 'parallelTrials'], 1) ?? DEFAULT_PARALLEL_TRIALS;
    count(ctx, tc['maxFailedTrials'], ['spec', 'trialConfig', 'maxFailedTrials'], 0);
    if (p > n) error(ctx, ['spec', 'trialConfig', tc['parallelTrials'] !== undefined ? 'parallelTrials' : 'numTrials'], `parallelTrials (${p}) must not exceed numTrials (${n})`);
  }
  // trainJobTemplate: placeholders both ways, then the TrainJob it renders to.
  const tmpl = spec['trainJobTemplate'];
  if (!isRecord(tmpl) || !isRecord(tmpl['spec'])) {
    error(ctx, ['spec', 'trainJobTemplate', ...(isRecord(tmpl) ? ['spec'] : [])], 'required: the TrainJob spec each trial runs, with {{.name}} where a parameter goes', 'parent');
    return ctx.findings;
  }
  const used = placeholders(tmpl['spec'], ['spec', 'trainJobTemplate', 'spec']);
  const declared = new Set(params.map((p) => p.name));
  for (const [name, at] of used) if (params.length && !declared.has(name)) error(ctx, at, `{{.${name}}} names no parameter (declared: ${[...declared].join(', ')})`);
  params.forEach((p, i) => {
    if (!used.has(p.name)) error(ctx, ['spec', 'parameters', i, 'name'], `parameter ${p.name} is not used in spec.trainJobTemplate.spec: put {{.${p.name}}} where its value goes (e.g. in trainer.args)`);
  });
  if (params.length && ctx.findings.every((f) => f.severity !== 'error')) {
    // A sample trial: every parameter at its first value.
    const sample = Object.fromEntries(params.map((p) => [p.name, p.searchSpace.type === 'categorical' ? p.searchSpace.list![0]! : p.searchSpace.min!]));
    for (const f of trainJobSpecFindings(render(tmpl['spec'], sample))) {
      ctx.findings.push({ ...f, path: ['spec', 'trainJobTemplate', ...f.path] });
    }
  }
  return ctx.findings;
}

export const OPTIMIZATION_VALIDATION: Readonly<Record<string, KindValidation>> = {
  // Room for "-<trial number>" in the trials' names (TrainJob names are at most 63 characters).
  OptimizationJob: { support: SUPPORT, name: { maxLength: 56 }, semantics: checkOptimizationJob },
};
