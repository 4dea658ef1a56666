/**
 * From an Experiment's trialTemplate to a Trial's run object, as Katib's manifest generator does
 * it: every `${trialParameters.NAME}` placeholder is replaced by the value its trialParameter's
 * reference names (a suggested parameter, or trial metadata such as `${trialSpec.Name}`), and the
 * run object takes the trial's name and namespace.
 *
 * Katib substitutes over the template's JSON text. Drover substitutes inside each string of the
 * parsed template, keys included, which gives the same result for values that need no JSON
 * escaping, and the value written for any other (a quote or backslash in a value stays that
 * character instead of breaking or changing the JSON).
 */
// A leaf module (no imports of its own), shared rather than duplicated.
import { fnv32a } from '../../util/hash.js';
import type { ParameterAssignment, TrialParameterSpec } from './types.js';

/** `${trialParameters.NAME}`; NAME runs to the first `}`, as Katib's validation reads it. */
const PLACEHOLDER = /\$\{trialParameters\.([^}\n]+)\}/g;
/** A reference to trial metadata, e.g. `${trialSpec.Name}` or `${trialSpec.Labels[app]}`. */
const META_REFERENCE = /\$\{trialSpec\.(.+?)\}/;
const INDEXED_META = /^(.+)\[(.+)\]$/;

export interface RunSpecMeta {
  /** The trial's name: `${trialSpec.Name}` and the run object's metadata.name. */
  name: string;
  /** The trial's namespace: `${trialSpec.Namespace}` and the run object's metadata.namespace. */
  namespace: string;
  /** `${trialSpec.Kind}`; Katib takes it from the trialSpec itself. */
  kind: string;
  /** `${trialSpec.APIVersion}`; Katib takes it from the trialSpec itself. */
  apiVersion: string;
  /** `${trialSpec.Labels[key]}`; Katib takes them from the trialSpec's metadata.labels. */
  labels: Record<string, string>;
  /** `${trialSpec.Annotations[key]}`; Katib takes them from the trialSpec's metadata.annotations. */
  annotations: Record<string, string>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Visits every object key and string value, depth first, keys before their values. */
function eachString(value: unknown, visit: (s: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) for (const v of value) eachString(v, visit);
  else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      visit(k);
      eachString(v, visit);
    }
  }
}

/**
 * The NAME of every `${trialParameters.NAME}` in the template's strings (object keys included),
 * each once, in order of appearance.
 */
export function trialParametersUsed(trialSpec: Record<string, unknown>): string[] {
  const seen = new Set<string>();
  eachString(trialSpec, (s) => {
    for (const m of s.matchAll(PLACEHOLDER)) seen.add(m[1]!);
  });
  return [...seen];
}

/** The value each trialParameter stands for; throws for a reference that cannot be resolved. */
function placeholderValues(
  trialParameters: readonly TrialParameterSpec[],
  assignments: readonly ParameterAssignment[],
  meta: RunSpecMeta,
): Map<string, string> {
  const assigned = new Map(assignments.map((a) => [a.name, a.value]));
  const used = new Set<string>();
  const values = new Map<string, string>();
  for (const param of trialParameters) {
    const ref = META_REFERENCE.exec(param.reference);
    if (!ref) {
      const value = assigned.get(param.reference);
      if (value === undefined) {
        const have = [...assigned.keys()].join(', ') || 'none';
        throw new Error(`trialParameter ${JSON.stringify(param.name)} references ${JSON.stringify(param.reference)}, which has no value in the trial's parameter assignments (${have})`);
      }
      values.set(param.name, value);
      used.add(param.reference);
      continue;
    }
    const key = ref[1]!;
    const illegal = (why: string): never => {
      throw new Error(`trialParameter ${JSON.stringify(param.name)}: cannot resolve the trial metadata reference ${JSON.stringify(param.reference)}: ${why}`);
    };
    const indexed = INDEXED_META.exec(key);
    if (indexed) {
      const [, field, index] = indexed as unknown as [string, string, string];
      const source = field === 'Labels' ? meta.labels : field === 'Annotations' ? meta.annotations : illegal(`only Labels[…] and Annotations[…] take a key`);
      if (!Object.prototype.hasOwnProperty.call(source, index)) {
        illegal(`the trial template has no ${field === 'Labels' ? 'label' : 'annotation'} ${JSON.stringify(index)}`);
      }
      values.set(param.name, source[index]!);
      continue;
    }
    switch (key) {
      case 'Name': values.set(param.name, meta.name); break;
      case 'Namespace': values.set(param.name, meta.namespace); break;
      case 'Kind': values.set(param.name, meta.kind); break;
      case 'APIVersion': values.set(param.name, meta.apiVersion); break;
      default: illegal('known are Name, Namespace, Kind, APIVersion, Labels[key] and Annotations[key]');
    }
  }
  // Katib refuses a trial whose assignments outnumber the parameters the template consumes.
  const unused = [...assigned.keys()].filter((n) => !used.has(n));
  if (unused.length > 0) {
    throw new Error(`parameter assignment(s) ${unused.map((n) => JSON.stringify(n)).join(', ')} are not referenced by any trialParameter`);
  }
  return values;
}

/**
 * The run object for one trial: a deep copy of `trialSpec` with every `${trialParameters.X}`
 * replaced (see the module comment), metadata.name and metadata.namespace set to the trial's.
 * Throws for a placeholder whose X is not a trialParameter, a trialParameter whose reference has
 * no assignment or names unknown metadata, and an assignment no trialParameter references.
 */
export function renderRunSpec(
  trialSpec: Record<string, unknown>,
  trialParameters: TrialParameterSpec[],
  assignments: ParameterAssignment[],
  meta: RunSpecMeta,
): Record<string, unknown> {
  const values = placeholderValues(trialParameters, assignments, meta);
  const substitute = (s: string): string =>
    s.includes('${trialParameters.')
      ? s.replace(PLACEHOLDER, (whole, name: string) => {
          const v = values.get(name);
          if (v === undefined) {
            const declared = trialParameters.map((p) => p.name).join(', ') || 'none';
            throw new Error(`the trial template uses ${whole}, but ${JSON.stringify(name)} is not in spec.trialTemplate.trialParameters (declared: ${declared})`);
          }
          return v;
        })
      : s;
  const copy = (value: unknown): unknown => {
    if (typeof value === 'string') return substitute(value);
    if (Array.isArray(value)) return value.map(copy);
    if (isRecord(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[substitute(k)] = copy(v);
      return out;
    }
    return value;
  };
  const run = copy(trialSpec) as Record<string, unknown>;
  const metadata = isRecord(run.metadata) ? run.metadata : {};
  run.metadata = { ...metadata, name: meta.name, namespace: meta.namespace };
  return run;
}

/** Kubernetes' alphabet for random name suffixes: no vowels, no look-alikes. */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SUFFIX_LENGTH = 8;
const MAX_NAME = 63;

/**
 * The name of an experiment's trial number `index`: `<experiment>-<8 characters>`. Katib draws
 * the suffix at random; Drover derives it from the experiment's uid and the index, so a trial
 * re-created after a crash gets the name of the one it replaces instead of becoming a second
 * trial. The experiment part is shortened so the whole is a DNS label of at most 63 characters.
 */
export function trialName(experimentName: string, experimentUid: string, index: number): string {
  const seed = `${experimentUid}/${index}`;
  let h = (BigInt(fnv32a(seed)) << 32n) | BigInt(fnv32a(`${index}:${experimentUid}`));
  let suffix = '';
  const base = BigInt(SUFFIX_ALPHABET.length);
  for (let i = 0; i < SUFFIX_LENGTH; i++) {
    suffix += SUFFIX_ALPHABET[Number(h % base)];
    h /= base;
  }
  const prefix = experimentName
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, MAX_NAME - SUFFIX_LENGTH - 1)
    .replace(/^-+|-+$/g, '');
  return prefix === '' ? `trial-${suffix}` : `${prefix}-${suffix}`;
}
