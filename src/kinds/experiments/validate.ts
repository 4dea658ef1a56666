/**
 * Katib `kubeflow.org/v1beta1` Experiments: the checks Katib's CRD schema and admission webhook
 * make, done at apply time with field paths (and so file:line:col).
 *
 * No published model package covers Katib, so the Experiment's structure is described here, field
 * by field, with Katib's names: unknown fields and wrong types are errors, as with the other
 * kinds. Fields Katib has but Drover does not implement (NAS, some metrics collectors, trial kinds
 * other than a batch/v1 Job) are refused by name. Then come the rules between fields: the search
 * space and algorithm settings (src/tuning), the objective's metrics, the trial counts, the trial
 * template's `${trialParameters.x}` placeholders and references, the metrics collector, and the
 * trial's Job itself, checked as any applied Job is.
 */
import { type FieldIssue } from '../../api/errors.js';
import { type FieldPath, type Finding, type PathSegment, describeValue, formatPath, isRecord, parsePath, valueAt } from '../../api/fieldpath.js';
import { type KindValidation, checkKind } from '../../api/manifests.js';
import { JOB_KIND } from '../jobs/index.js';
import { JOB_VALIDATION } from '../jobs/validate.js';
import { PYTORCHJOB_KIND } from '../training/index.js';
import { TRAINING_VALIDATION } from '../training/validate.js';
import { type ParameterSpec, validateEarlyStoppingSettings, validateSearchSpace, validateSettings } from '../../tuning/index.js';
import { gjsonSyntaxError } from '../../util/gjson.js';
import { compileMetricsFilter, metricsFilterError } from './metrics.js';

// ---- the structure -------------------------------------------------------------------------

type Spec =
  | { t: 'string' | 'number' | 'integer' | 'boolean' | 'any' }
  /** `unsupported`: values Katib knows that Drover refuses by name, with the reason. */
  | { t: 'enum'; values: readonly string[]; unsupported?: Readonly<Record<string, string>> }
  | { t: 'object'; fields: Readonly<Record<string, Field>> }
  /** An object whose contents are checked elsewhere (the trial's Job). */
  | { t: 'freeObject' }
  | { t: 'array'; items: Spec }
  /** String keys, values of one spec (labels). */
  | { t: 'map'; values: Spec };

interface Field {
  spec: Spec;
  required?: boolean;
  /** Katib has this field, Drover does not implement it: refused by name with this reason. */
  rejected?: string;
}

const STRING: Spec = { t: 'string' };
const INTEGER: Spec = { t: 'integer' };
const f = (spec: Spec, required = false): Field => ({ spec, required });
const obj = (fields: Record<string, Field>): Spec => ({ t: 'object', fields });
const rejected = (reason: string): Field => ({ spec: { t: 'any' }, rejected: reason });

export const SUPPORTED_COLLECTORS = ['StdOut', 'File', 'Push', 'None'] as const;

const SETTINGS_LIST: Spec = { t: 'array', items: obj({ name: f(STRING, true), value: f(STRING) }) };

const EXPERIMENT_SPEC: Spec = obj({
  parameters: f(
    {
      t: 'array',
      items: obj({
        name: f(STRING, true),
        parameterType: f({ t: 'enum', values: ['int', 'double', 'discrete', 'categorical'] }, true),
        feasibleSpace: f(
          obj({
            min: f(STRING),
            max: f(STRING),
            step: f(STRING),
            list: f({ t: 'array', items: STRING }),
            distribution: f({ t: 'enum', values: ['uniform', 'logUniform', 'normal', 'logNormal'] }),
          }),
          true,
        ),
      }),
    },
    true,
  ),
  objective: f(
    obj({
      type: f({ t: 'enum', values: ['minimize', 'maximize'] }, true),
      goal: f({ t: 'number' }),
      objectiveMetricName: f(STRING, true),
      additionalMetricNames: f({ t: 'array', items: STRING }),
      metricStrategies: f({ t: 'array', items: obj({ name: f(STRING, true), value: f({ t: 'enum', values: ['min', 'max', 'latest'] }, true) }) }),
    }),
    true,
  ),
  algorithm: f(obj({ algorithmName: f(STRING, true), algorithmSettings: f(SETTINGS_LIST) }), true),
  earlyStopping: f(obj({ algorithmName: f(STRING, true), algorithmSettings: f(SETTINGS_LIST) })),
  trialTemplate: f(
    obj({
      retain: f({ t: 'boolean' }),
      trialSpec: f({ t: 'freeObject' }),
      configMap: f(obj({ configMapName: f(STRING, true), configMapNamespace: f(STRING, true), templatePath: f(STRING, true) })),
      trialParameters: f({ t: 'array', items: obj({ name: f(STRING, true), description: f(STRING), reference: f(STRING, true) }) }),
      primaryPodLabels: f({ t: 'map', values: STRING }),
      primaryContainerName: f(STRING),
      successCondition: f(STRING),
      failureCondition: f(STRING),
    }),
    true,
  ),
  parallelTrialCount: f(INTEGER),
  maxTrialCount: f(INTEGER),
  maxFailedTrialCount: f(INTEGER),
  metricsCollectorSpec: f(
    obj({
      source: f(
        obj({
          fileSystemPath: f(
            obj({
              path: f(STRING),
              kind: f({ t: 'enum', values: ['File'], unsupported: { Directory: 'only a single metrics file, kind File' } }),
              format: f({ t: 'enum', values: ['TEXT', 'JSON'] }),
            }),
          ),
          filter: f(obj({ metricsFormat: f({ t: 'array', items: STRING }) })),
          httpGet: rejected('metrics are collected from stdout, a file, or pushed'),
        }),
      ),
      collector: f(
        obj({
          kind: f(
            {
              t: 'enum',
              values: SUPPORTED_COLLECTORS,
              unsupported: Object.fromEntries(['TensorFlowEvent', 'PrometheusMetric', 'Custom'].map((k) => [k, `supported: ${SUPPORTED_COLLECTORS.join(', ')}`])),
            },
            true,
          ),
          customCollector: rejected(`custom collector containers are not run; supported collector kinds: ${SUPPORTED_COLLECTORS.join(', ')}`),
        }),
      ),
    }),
  ),
  resumePolicy: f({ t: 'enum', values: ['Never', 'LongRunning', 'FromVolume'] }),
  nasConfig: rejected('neural architecture search is not implemented; use spec.parameters'),
});

/** ObjectMeta's fields; `get -o yaml` output carries the server-written ones back. */
const OBJECT_META: Spec = obj(
  Object.fromEntries(
    [
      ['name', STRING],
      ['generateName', STRING],
      ['namespace', STRING],
      ['labels', { t: 'map', values: STRING }],
      ['annotations', { t: 'map', values: STRING }],
      ['uid', STRING],
      ['resourceVersion', STRING],
      ['generation', INTEGER],
      ['creationTimestamp', STRING],
      ['deletionTimestamp', STRING],
      ['deletionGracePeriodSeconds', INTEGER],
      ['finalizers', { t: 'array', items: STRING }],
      ['ownerReferences', { t: 'array', items: { t: 'freeObject' } }],
      ['managedFields', { t: 'array', items: { t: 'freeObject' } }],
      ['selfLink', STRING],
    ].map(([k, s]) => [k as string, f(s as Spec)]),
  ),
);

const EXPERIMENT: Spec = obj({
  apiVersion: f(STRING),
  kind: f(STRING),
  metadata: f(OBJECT_META),
  spec: f(EXPERIMENT_SPEC, true),
  status: f({ t: 'freeObject' }),
});

const TYPE_NAMES: Record<string, string> = { string: 'string', number: 'number', integer: 'integer', boolean: 'boolean', object: 'object', freeObject: 'object', array: 'array', map: 'object' };

interface Ctx {
  findings: Finding[];
  /** Paths (formatted) already reported by the structure check; later checks stay quiet under them. */
  reported: Set<string>;
}

function report(ctx: Ctx, path: FieldPath, message: string, anchor: Finding['anchor'] = 'value', severity: Finding['severity'] = 'error'): void {
  ctx.findings.push({ severity, path, message, anchor });
  if (severity === 'error') ctx.reported.add(formatPath(path));
}

function typeMatches(v: unknown, spec: Spec): boolean {
  switch (spec.t) {
    case 'any':
      return true;
    case 'string':
    case 'enum':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 2 ** 31 - 1;
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
    case 'freeObject':
    case 'map':
      return isRecord(v);
  }
}

/**
 * Checks `value` against `spec`, reporting what is wrong, and returns a copy holding only the
 * well-typed parts (undefined when `value` itself has the wrong type), for the later checks.
 */
function walk(ctx: Ctx, value: unknown, spec: Spec, path: PathSegment[]): unknown {
  if (!typeMatches(value, spec)) {
    const expected = spec.t === 'enum' ? 'string' : TYPE_NAMES[spec.t] ?? spec.t;
    // Katib's CRD types these as strings, so numbers must be quoted (`min: "0.01"`).
    const hint = expected === 'string' && (typeof value === 'number' || typeof value === 'boolean') ? ` (quote it: "${String(value)}")` : '';
    report(ctx, path, `expected ${expected}, got ${describeValue(value)}${hint}`);
    return undefined;
  }
  switch (spec.t) {
    case 'enum': {
      const v = value as string;
      const reason = spec.unsupported?.[v];
      if (reason !== undefined) report(ctx, path, `value ${JSON.stringify(v)} of field ${formatPath(path)} is not supported by Drover yet (${reason})`);
      else if (!spec.values.includes(v)) report(ctx, path, `expected one of ${spec.values.map((x) => JSON.stringify(x)).join(', ')}, got ${describeValue(v)}`);
      else return v;
      return undefined;
    }
    case 'array': {
      const items = spec.items;
      return (value as unknown[]).map((item, i) => {
        const clean = walk(ctx, item, items, [...path, i]);
        // Keep indices aligned with the manifest; a bad element stands as an empty object.
        return clean === undefined && items.t === 'object' ? {} : clean;
      });
    }
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const clean = walk(ctx, v, spec.values, [...path, k]);
        if (clean !== undefined) out[k] = clean;
      }
      return out;
    }
    case 'object': {
      const given = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(given)) {
        const field = spec.fields[k];
        const childPath = [...path, k];
        if (!field) {
          report(ctx, childPath, `unknown field ${JSON.stringify(k)}`, 'key');
        } else if (field.rejected !== undefined) {
          // As in support.ts: an empty value asks for nothing, so there is nothing to refuse.
          if (isEmpty(v)) continue;
          report(ctx, childPath, `field ${formatPath(childPath)} is not supported by Drover yet (${field.rejected})`, 'key');
        } else {
          const clean = walk(ctx, v, field.spec, childPath);
          if (clean !== undefined) out[k] = clean;
        }
      }
      for (const [k, field] of Object.entries(spec.fields)) {
        if (!field.required) continue;
        const v = given[k];
        if (v === undefined) report(ctx, [...path, k], `required field ${JSON.stringify(k)} is missing`, 'parent');
        else if (v === '') report(ctx, [...path, k], 'must not be empty');
      }
      return out;
    }
    default:
      return value;
  }
}

// ---- helpers -------------------------------------------------------------------------------

function isEmpty(v: unknown): boolean {
  return v === null || (Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).length === 0);
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return isRecord(v) ? v : undefined;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Under a path the structure check already reported (or that path itself). */
function underReported(ctx: Ctx, path: FieldPath): boolean {
  for (let n = path.length; n >= 1; n--) if (ctx.reported.has(formatPath(path.slice(0, n)))) return true;
  return false;
}

const PLACEHOLDER = /\$\{trialParameters\.([^}]*)\}/g;
const META_REFERENCE = /^\$\{trialSpec\.(Name|Namespace|Kind|APIVersion|(Labels|Annotations)\[[^\]]+\])\}$/;
const META_REFERENCES = '${trialSpec.Name}, ${trialSpec.Namespace}, ${trialSpec.Kind}, ${trialSpec.APIVersion}, ${trialSpec.Labels[KEY]}, ${trialSpec.Annotations[KEY]}';

/** Every string in `value` (map keys too), with its path and whether it is a key. */
function stringsIn(value: unknown, path: PathSegment[], out: { path: PathSegment[]; s: string; key: boolean }[]): void {
  if (typeof value === 'string') out.push({ path, s: value, key: false });
  else if (Array.isArray(value)) value.forEach((v, i) => stringsIn(v, [...path, i], out));
  else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('${')) out.push({ path: [...path, k], s: k, key: true });
      stringsIn(v, [...path, k], out);
    }
  }
}

/** The trialSpec with every placeholder given a stand-in value, as Katib checks it. */
function substituted(value: unknown): unknown {
  const sub = (s: string): string => s.replace(PLACEHOLDER, '1');
  if (typeof value === 'string') return sub(value);
  if (Array.isArray(value)) return value.map(substituted);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [sub(k), substituted(v)]));
  return value;
}

// ---- the rules between fields --------------------------------------------------------------

/** Maps the src/tuning issues (string paths) to findings, pointing at a setting's own line when the message names it. */
function fromTuning(ctx: Ctx, issues: FieldIssue[], clean: Record<string, unknown>, settingsAt?: { path: PathSegment[]; list: unknown[] }): void {
  for (const issue of issues) {
    let path = parsePath(issue.path);
    let anchor: Finding['anchor'] = 'value';
    if (settingsAt && formatPath(path) === formatPath(settingsAt.path)) {
      const named = /\bsetting "?([A-Za-z0-9_-]+)"?/.exec(issue.message)?.[1];
      const i = named === undefined ? -1 : settingsAt.list.findIndex((s) => rec(s)?.['name'] === named);
      if (i >= 0) path = [...settingsAt.path, i, issue.message.startsWith('unknown setting') ? 'name' : 'value'];
      else anchor = 'key';
    }
    if (valueAt(clean, path) === undefined) anchor = 'parent';
    if (underReported(ctx, path)) continue;
    report(ctx, path, issue.message, anchor);
  }
}

function settingsMap(ctx: Ctx, list: unknown[], path: PathSegment[]): Record<string, string> {
  const out: Record<string, string> = {};
  list.forEach((s, i) => {
    const name = str(rec(s)?.['name']);
    if (name === undefined || name === '') return;
    if (name in out) report(ctx, [...path, i, 'name'], `duplicate setting name ${JSON.stringify(name)}`);
    else out[name] = str(rec(s)?.['value']) ?? '';
  });
  return out;
}

function checkObjective(ctx: Ctx, objective: Record<string, unknown>): void {
  const path = ['spec', 'objective'];
  const main = str(objective['objectiveMetricName']);
  const additional = arr(objective['additionalMetricNames']);
  const seen = new Set<string>();
  additional.forEach((m, i) => {
    if (typeof m !== 'string') return;
    if (m === main) report(ctx, [...path, 'additionalMetricNames', i], `${JSON.stringify(m)} is the objective metric (spec.objective.objectiveMetricName); list only other metrics here`);
    else if (seen.has(m)) report(ctx, [...path, 'additionalMetricNames', i], `duplicate metric name ${JSON.stringify(m)}`);
    seen.add(m);
  });
  const known = [main, ...additional].filter((m): m is string => typeof m === 'string' && m !== '');
  const strategies = new Set<string>();
  arr(objective['metricStrategies']).forEach((s, i) => {
    const name = str(rec(s)?.['name']);
    if (name === undefined || name === '') return;
    const at = [...path, 'metricStrategies', i, 'name'];
    if (!known.includes(name)) report(ctx, at, `metric ${JSON.stringify(name)} is neither the objective metric nor one of additionalMetricNames (expected one of: ${known.join(', ')})`);
    else if (strategies.has(name)) report(ctx, at, `duplicate strategy for metric ${JSON.stringify(name)}`);
    strategies.add(name);
  });
}

function checkCounts(ctx: Ctx, spec: Record<string, unknown>): void {
  const n = (k: string): number | undefined => (typeof spec[k] === 'number' ? (spec[k] as number) : undefined);
  const parallel = n('parallelTrialCount');
  const max = n('maxTrialCount');
  const maxFailed = n('maxFailedTrialCount');
  if (parallel !== undefined && parallel < 1) report(ctx, ['spec', 'parallelTrialCount'], `must be at least 1, got ${parallel}`);
  if (max !== undefined && max < 1) report(ctx, ['spec', 'maxTrialCount'], `must be at least 1, got ${max}`);
  if (maxFailed !== undefined && maxFailed < 0) report(ctx, ['spec', 'maxFailedTrialCount'], `must be zero or more, got ${maxFailed}`);
  if (max === undefined || max < 1) return;
  if (parallel !== undefined && parallel > max) {
    report(ctx, ['spec', 'parallelTrialCount'], `must not be greater than spec.maxTrialCount (${max}), got ${parallel}`);
  } else if (parallel === undefined && max < DEFAULT_PARALLEL_TRIAL_COUNT) {
    // Katib defaults before it validates, so it refuses this too.
    report(ctx, ['spec', 'maxTrialCount'], `maxTrialCount ${max} is less than the default parallelTrialCount (${DEFAULT_PARALLEL_TRIAL_COUNT}); set spec.parallelTrialCount to at most ${max}`);
  }
  if (maxFailed !== undefined && maxFailed > max) report(ctx, ['spec', 'maxFailedTrialCount'], `must not be greater than spec.maxTrialCount (${max}), got ${maxFailed}`);
}

/** Katib's default for spec.parallelTrialCount. */
export const DEFAULT_PARALLEL_TRIAL_COUNT = 3;

function checkTrialTemplate(ctx: Ctx, tt: Record<string, unknown>, parameterNames: string[], original: Record<string, unknown>): void {
  const path: PathSegment[] = ['spec', 'trialTemplate'];
  const trialSpec = rec(tt['trialSpec']);
  const configMap = rec(tt['configMap']);
  if (!trialSpec && !configMap && !underReported(ctx, [...path, 'trialSpec']) && !underReported(ctx, [...path, 'configMap'])) {
    report(ctx, path, 'needs one of trialSpec (the Job to run for each trial) or configMap (where that template is kept)', 'key');
  } else if (trialSpec && configMap) {
    report(ctx, [...path, 'configMap'], 'give either trialSpec or configMap, not both', 'key');
  }
  const conditions = ['successCondition', 'failureCondition'] as const;
  for (const c of conditions) {
    const expr = str(tt[c]);
    if (expr === undefined || expr === '') continue;
    const problem = gjsonSyntaxError(expr);
    if (problem !== undefined) report(ctx, [...path, c], `invalid GJSON path: ${problem}`);
  }

  // trialParameters: declared names and what they refer to.
  const declared = new Map<string, number>();
  const references = new Set<string>();
  if (tt['trialParameters'] === undefined && !underReported(ctx, [...path, 'trialParameters'])) {
    report(ctx, [...path, 'trialParameters'], 'required field "trialParameters" is missing (it maps spec.parameters to ${trialParameters.NAME} placeholders in the trial template)', 'parent');
  }
  arr(tt['trialParameters']).forEach((p, i) => {
    const name = str(rec(p)?.['name']);
    const reference = str(rec(p)?.['reference']);
    const at = [...path, 'trialParameters', i];
    if (name !== undefined && name !== '') {
      if (/[{}]/.test(name)) report(ctx, [...at, 'name'], `must not contain '{' or '}', got ${JSON.stringify(name)}`);
      else if (declared.has(name)) report(ctx, [...at, 'name'], `duplicate trial parameter name ${JSON.stringify(name)}`);
      else declared.set(name, i);
    }
    if (reference !== undefined && reference !== '') {
      if (references.has(reference)) report(ctx, [...at, 'reference'], `duplicate reference ${JSON.stringify(reference)}: another trial parameter already refers to it`);
      references.add(reference);
      if (reference.startsWith('${trialSpec.')) {
        if (!META_REFERENCE.test(reference)) report(ctx, [...at, 'reference'], `unknown trial metadata reference ${JSON.stringify(reference)}; expected one of ${META_REFERENCES}`);
      } else if (parameterNames.length > 0 && !parameterNames.includes(reference)) {
        report(ctx, [...at, 'reference'], `reference ${JSON.stringify(reference)} is not a parameter in spec.parameters (${parameterNames.join(', ')}) nor trial metadata (${META_REFERENCES})`);
      }
    }
  });

  const primary = str(tt['primaryContainerName']);
  if (!trialSpec) return;
  const specPath = [...path, 'trialSpec'];
  const apiVersion = trialSpec['apiVersion'];
  const kind = trialSpec['kind'];
  if (apiVersion === undefined || kind === undefined) {
    for (const k of ['apiVersion', 'kind'] as const) if (trialSpec[k] === undefined) report(ctx, [...specPath, k], `required field "${k}" is missing (the trial template must say what it is; supported now: batch/v1 Job)`, 'parent');
    return;
  }
  const pytorch = apiVersion === PYTORCHJOB_KIND.apiVersion && kind === PYTORCHJOB_KIND.kind;
  if ((apiVersion !== 'batch/v1' || kind !== 'Job') && !pytorch) {
    report(ctx, [...specPath, 'kind'], `trials of kind ${String(apiVersion)} ${String(kind)} are not supported by Drover yet (supported now: batch/v1 Job, kubeflow.org/v1 PyTorchJob)`);
    return;
  }

  // Placeholders: every one used must be declared, every declared one used (Katib checks both).
  const used = new Set<string>();
  const strings: { path: PathSegment[]; s: string; key: boolean }[] = [];
  stringsIn(original, specPath, strings);
  const declaredList = [...declared.keys()];
  for (const { path: at, s, key } of strings) {
    for (const m of s.matchAll(PLACEHOLDER)) {
      const name = m[1]!;
      used.add(name);
      if (!declared.has(name)) {
        report(ctx, at, `\${trialParameters.${name}} is not declared in spec.trialTemplate.trialParameters${declaredList.length ? ` (declared: ${declaredList.join(', ')})` : ''}`, key ? 'key' : 'value');
      }
    }
  }
  for (const [name, i] of declared) {
    if (!used.has(name)) report(ctx, [...path, 'trialParameters', i, 'name'], `trial parameter ${JSON.stringify(name)} is not used: expected \${trialParameters.${name}} somewhere in spec.trialTemplate.trialSpec`);
  }

  // The Job itself, as any applied Job, with placeholders standing in for values.
  const meta = rec(original['metadata']);
  for (const k of ['name', 'namespace'] as const) {
    if (meta?.[k] !== undefined) report(ctx, [...specPath, 'metadata', k], `must be omitted: the controller creates each trial's Job, named after the trial, in the experiment's namespace`, 'key');
  }
  const job = substituted(original) as Record<string, unknown>;
  // The controller names the Job, so a missing name is no mistake here.
  const jobFindings = (pytorch ? checkKind(job, PYTORCHJOB_KIND, TRAINING_VALIDATION['PyTorchJob']!) : checkKind(job, JOB_KIND, JOB_VALIDATION)).filter((x) => !(formatPath(x.path) === 'metadata.name' && x.anchor === 'parent'));
  for (const x of jobFindings) {
    // Messages quote the value checked; show the manifest's (with its placeholder) instead.
    const was = valueAt(original, x.path);
    const now = valueAt(job, x.path);
    const message =
      typeof was === 'string' && was !== now
        ? x.message.split(describeValue(now)).join(describeValue(was)).split(JSON.stringify(now)).join(JSON.stringify(was))
        : x.message;
    ctx.findings.push({ ...x, path: [...specPath, ...x.path], message });
    if (x.severity === 'error') ctx.reported.add(formatPath([...specPath, ...x.path]));
  }

  // The primary container: the one whose metrics count (a PyTorchJob's: in its Master).
  const template = pytorch ? rec(rec(rec(rec(original['spec'])?.['pytorchReplicaSpecs'])?.['Master'])?.['template']) : rec(rec(original['spec'])?.['template']);
  const podSpec = rec(template?.['spec']);
  const containers = arr(podSpec?.['containers']).map((c) => str(rec(c)?.['name'])).filter((n): n is string => n !== undefined);
  if (primary !== undefined && primary !== '') {
    if (containers.length > 0 && !containers.includes(primary)) {
      report(ctx, [...path, 'primaryContainerName'], `no container named ${JSON.stringify(primary)} in spec.trialTemplate.trialSpec.spec.template.spec.containers (containers: ${containers.join(', ')})`);
    }
  } else if (containers.length > 1 && !underReported(ctx, [...path, 'primaryContainerName'])) {
    report(ctx, [...path, 'primaryContainerName'], `required when the trial's pod has more than one container: name the one that reports the metrics (one of: ${containers.join(', ')})`, 'parent');
  }
}

function checkMetricsCollector(ctx: Ctx, mc: Record<string, unknown>): void {
  const path: PathSegment[] = ['spec', 'metricsCollectorSpec'];
  const kind = str(rec(mc['collector'])?.['kind']) ?? 'StdOut';
  if (!(SUPPORTED_COLLECTORS as readonly string[]).includes(kind)) return;
  const source = rec(mc['source']);
  const fsp = rec(source?.['fileSystemPath']);
  const filter = rec(source?.['filter']);
  const srcPath = [...path, 'source'];
  if (kind === 'File') {
    const p = str(fsp?.['path']);
    if (p !== undefined && p !== '' && !p.startsWith('/')) report(ctx, [...srcPath, 'fileSystemPath', 'path'], `expected an absolute path (the file the trial writes its metrics to), got ${describeValue(p)}`);
    if (str(fsp?.['format']) === 'JSON' && filter !== undefined) {
      report(ctx, [...srcPath, 'filter'], 'not allowed with format JSON: JSON lines carry metric names as keys, so there is nothing to match', 'key');
    }
  } else if (fsp !== undefined) {
    report(ctx, [...srcPath, 'fileSystemPath'], `only the File collector reads a file; collector kind is ${kind}`, 'key');
  }
  if ((kind === 'Push' || kind === 'None') && filter !== undefined) {
    report(ctx, [...srcPath, 'filter'], `${formatPath([...srcPath, 'filter'])} is ignored (the ${kind} collector parses no output)`, 'key', 'warning');
  }
  arr(filter?.['metricsFormat']).forEach((src, i) => {
    if (typeof src !== 'string') return;
    const at = [...srcPath, 'filter', 'metricsFormat', i];
    // The collector's own check: Go syntax (what Katib compiles) translated, two groups asked for.
    const problem = metricsFilterError(src);
    if (problem !== undefined) {
      report(ctx, at, `invalid metrics filter: ${problem.replace(`metrics filter ${JSON.stringify(src)}: `, '')}`);
      return;
    }
    // Katib only counts parentheses; `(a)(?:b)` passes that but captures one group.
    const groups = compileMetricsFilter(src).groupCount;
    if (groups < 2) report(ctx, at, `expected at least 2 capture groups (the metric name, then its value), found ${groups}`);
  });
}

/** Checks a Katib Experiment (kubeflow.org/v1beta1). Other Katib kinds are made by Drover only. */
export function checkKatib(obj: Record<string, unknown>, kind: string): Finding[] {
  if (kind !== 'Experiment') return [];
  const ctx: Ctx = { findings: [], reported: new Set() };
  const clean = (walk(ctx, obj, EXPERIMENT, []) ?? {}) as Record<string, unknown>;
  const name = str(rec(obj['metadata'])?.['name']);
  // Katib's webhook wants experiment names to start with a letter (they prefix trial and suggestion names).
  if (name !== undefined && /^[0-9]/.test(name)) report(ctx, ['metadata', 'name'], `must start with a lowercase letter (Katib's rule for experiment names), got ${JSON.stringify(name)}`);
  const spec = rec(clean['spec']);
  if (!spec) return ctx.findings;

  const parameters = arr(spec['parameters']) as ParameterSpec[];
  if (spec['parameters'] !== undefined) fromTuning(ctx, validateSearchSpace(parameters, 'spec.parameters'), clean);
  const parameterNames = parameters.map((p) => str(rec(p)?.['name'])).filter((n): n is string => n !== undefined && n !== '');

  const algorithm = rec(spec['algorithm']);
  const algorithmName = str(algorithm?.['algorithmName']);
  if (algorithm && algorithmName) {
    const settingsPath = ['spec', 'algorithm', 'algorithmSettings'];
    const list = arr(algorithm['algorithmSettings']);
    const settings = settingsMap(ctx, list, settingsPath);
    const maxTrialCount = typeof spec['maxTrialCount'] === 'number' ? spec['maxTrialCount'] : undefined;
    fromTuning(ctx, validateSettings(algorithmName, settings, { parameters, ...(maxTrialCount !== undefined ? { maxTrialCount } : {}) }), clean, { path: settingsPath, list });
  }
  const early = rec(spec['earlyStopping']);
  const earlyName = str(early?.['algorithmName']);
  if (early && earlyName) {
    const settingsPath = ['spec', 'earlyStopping', 'algorithmSettings'];
    const list = arr(early['algorithmSettings']);
    fromTuning(ctx, validateEarlyStoppingSettings(earlyName, settingsMap(ctx, list, settingsPath)), clean, { path: settingsPath, list });
  }

  const objective = rec(spec['objective']);
  if (objective) checkObjective(ctx, objective);
  checkCounts(ctx, spec);
  const tt = rec(spec['trialTemplate']);
  const originalTrialSpec = rec(rec(rec(obj['spec'])?.['trialTemplate'])?.['trialSpec']);
  if (tt) checkTrialTemplate(ctx, tt, parameterNames, originalTrialSpec ?? {});
  const mc = rec(spec['metricsCollectorSpec']);
  if (mc) checkMetricsCollector(ctx, mc);
  return ctx.findings;
}

export const VALIDATION: Readonly<Record<string, KindValidation>> = {
  Experiment: { semantics: (obj) => checkKatib(obj, 'Experiment') },
};
