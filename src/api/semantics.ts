/**
 * Checks the API server makes beyond the OpenAPI schema (names, references between fields, Job
 * rules), so a manifest Drover accepts is one Kubernetes accepts too, and mistakes surface at apply
 * time instead of when a pod starts. Values of the wrong type were already reported by the schema
 * check and are skipped here.
 */
import { checkArgo } from '../kinds/workflows/validate.js';
import { checkKatib } from '../kinds/experiments/validate.js';
import { type FieldPath, type Finding, formatPath, isRecord } from './fieldpath.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

interface Ctx {
  findings: Finding[];
}

function error(ctx: Ctx, path: FieldPath, message: string, anchor: Finding['anchor'] = 'value'): void {
  ctx.findings.push({ severity: 'error', path, message, anchor });
}

function warning(ctx: Ctx, path: FieldPath, message: string): void {
  ctx.findings.push({ severity: 'warning', path, message, anchor: 'key' });
}

function missing(ctx: Ctx, path: FieldPath): void {
  error(ctx, path, `required field ${JSON.stringify(path[path.length - 1])} is missing`, 'parent');
}

function checkDnsSubdomain(ctx: Ctx, path: FieldPath, v: string, max = 253): void {
  if (v.length > max) error(ctx, path, `must be no more than ${max} characters, got ${v.length}`);
  else if (!DNS1123_SUBDOMAIN.test(v)) error(ctx, path, `expected a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.'; starting and ending with a letter or digit), got ${JSON.stringify(v)}`);
}

function checkDnsLabel(ctx: Ctx, path: FieldPath, v: string): void {
  if (v.length > 63) error(ctx, path, `must be no more than 63 characters, got ${v.length}`);
  else if (!DNS1123_LABEL.test(v)) error(ctx, path, `expected a lowercase RFC 1123 label (a-z, 0-9, '-'; starting and ending with a letter or digit), got ${JSON.stringify(v)}`);
}

/** Label and annotation keys: an optional DNS subdomain prefix and a name. */
function checkQualifiedName(ctx: Ctx, path: FieldPath, key: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const ok = name.length <= 63 && LABEL_NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix)));
  if (!ok) error(ctx, path, `invalid key ${JSON.stringify(key)}: expected an optional DNS subdomain prefix and '/', then a name of at most 63 letters, digits, '-', '_' or '.'`, 'key');
}

function checkMetadata(ctx: Ctx, obj: Record<string, unknown>, kind: string, namespaced: boolean): void {
  const meta = obj['metadata'];
  if (meta !== undefined && meta !== null && !isRecord(meta)) return;
  const m = meta ?? {};
  const name = m['name'];
  const generateName = m['generateName'];
  if (name === undefined || name === null || name === '') {
    if (typeof generateName !== 'string' || generateName === '') missing(ctx, ['metadata', 'name']);
  } else if (typeof name === 'string') {
    // A Job's name becomes a label value on its pods, hence 63; a Namespace's name is a DNS label.
    if (kind === 'Namespace') checkDnsLabel(ctx, ['metadata', 'name'], name);
    else checkDnsSubdomain(ctx, ['metadata', 'name'], name, kind === 'Job' ? 63 : 253);
  }
  if (typeof generateName === 'string' && generateName !== '' && (name === undefined || name === null)) {
    // The generated suffix is 5 characters; the prefix must leave a valid name.
    checkDnsSubdomain(ctx, ['metadata', 'generateName'], generateName.replace(/-$/, '') || 'x', (kind === 'Job' ? 63 : 253) - 5);
  }
  const ns = m['namespace'];
  if (typeof ns === 'string' && ns !== '') {
    if (!namespaced) warning(ctx, ['metadata', 'namespace'], `metadata.namespace is ignored (${kind} is cluster-scoped)`);
    else checkDnsLabel(ctx, ['metadata', 'namespace'], ns);
  }
  checkLabels(ctx, m['labels'], ['metadata', 'labels']);
  const annotations = m['annotations'];
  if (isRecord(annotations)) for (const key of Object.keys(annotations)) checkQualifiedName(ctx, ['metadata', 'annotations', key], key);
}

function checkLabels(ctx: Ctx, labels: unknown, path: FieldPath): void {
  if (!isRecord(labels)) return;
  for (const [key, value] of Object.entries(labels)) {
    checkQualifiedName(ctx, [...path, key], key);
    if (typeof value === 'string' && (value.length > 63 || !LABEL_VALUE.test(value))) {
      error(ctx, [...path, key], `invalid label value ${JSON.stringify(value)}: expected at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`);
    }
  }
}

function checkPodSpec(ctx: Ctx, spec: unknown, path: FieldPath): void {
  if (spec === undefined || spec === null) {
    missing(ctx, [...path.slice(0, -1), 'spec']);
    return;
  }
  if (!isRecord(spec)) return;
  const containers = spec['containers'];
  if (containers === undefined || containers === null || (Array.isArray(containers) && containers.length === 0)) {
    if (containers === undefined) return; // the schema already said it is required
    error(ctx, [...path, 'containers'], 'at least one container is required');
    return;
  }
  if (!Array.isArray(containers)) return;
  const volumeNames = new Set<string>();
  const volumes = spec['volumes'];
  if (Array.isArray(volumes)) {
    volumes.forEach((v, i) => {
      const name = isRecord(v) ? v['name'] : undefined;
      if (typeof name !== 'string') return;
      if (volumeNames.has(name)) error(ctx, [...path, 'volumes', i, 'name'], `duplicate volume name ${JSON.stringify(name)}`);
      else checkDnsLabel(ctx, [...path, 'volumes', i, 'name'], name);
      volumeNames.add(name);
    });
  }
  const containerNames = new Set<string>();
  containers.forEach((c, i) => {
    if (!isRecord(c)) return;
    const cPath = [...path, 'containers', i];
    const name = c['name'];
    if (typeof name === 'string') {
      if (containerNames.has(name)) error(ctx, [...cPath, 'name'], `duplicate container name ${JSON.stringify(name)}`);
      else checkDnsLabel(ctx, [...cPath, 'name'], name);
      containerNames.add(name);
    }
    // Kubernetes requires an image on every pod's container, so a manifest without one would not run there.
    if (c['image'] === undefined || c['image'] === null || c['image'] === '') missing(ctx, [...cPath, 'image']);
    const mounts = c['volumeMounts'];
    if (Array.isArray(mounts)) {
      mounts.forEach((m, j) => {
        const vol = isRecord(m) ? m['name'] : undefined;
        if (typeof vol === 'string' && !volumeNames.has(vol)) {
          error(ctx, [...cPath, 'volumeMounts', j, 'name'], `no volume named ${JSON.stringify(vol)} in ${formatPath([...path, 'volumes'])}`);
        }
      });
    }
  });
}

function nonNegative(ctx: Ctx, spec: Record<string, unknown>, path: FieldPath, field: string, min = 0): void {
  const v = spec[field];
  if (typeof v === 'number' && Number.isInteger(v) && v < min) error(ctx, [...path, field], `must be ${min === 0 ? 'zero or more' : `at least ${min}`}, got ${v}`);
}

function checkJob(ctx: Ctx, obj: Record<string, unknown>): void {
  const spec = obj['spec'];
  if (!isRecord(spec)) {
    if (spec === undefined || spec === null) missing(ctx, ['spec']);
    return;
  }
  const path = ['spec'];
  nonNegative(ctx, spec, path, 'parallelism');
  nonNegative(ctx, spec, path, 'completions');
  nonNegative(ctx, spec, path, 'backoffLimit');
  nonNegative(ctx, spec, path, 'ttlSecondsAfterFinished');
  nonNegative(ctx, spec, path, 'activeDeadlineSeconds', 1);
  if (spec['completionMode'] === 'Indexed' && (spec['completions'] === undefined || spec['completions'] === null)) {
    error(ctx, ['spec', 'completions'], 'required when completionMode is Indexed', 'parent');
  }
  const template = spec['template'];
  if (!isRecord(template)) return;
  checkLabels(ctx, isRecord(template['metadata']) ? template['metadata']['labels'] : undefined, ['spec', 'template', 'metadata', 'labels']);
  const podSpec = template['spec'];
  checkPodSpec(ctx, podSpec, ['spec', 'template', 'spec']);
  if (!isRecord(podSpec)) return;
  // Kubernetes refuses the default (Always) for Jobs: a Job's pods must be able to finish.
  const restart = podSpec['restartPolicy'];
  if (restart === undefined || restart === null) {
    error(ctx, ['spec', 'template', 'spec', 'restartPolicy'], 'required field "restartPolicy" is missing (a Job needs "Never" or "OnFailure")', 'parent');
  } else if (restart === 'Always') {
    error(ctx, ['spec', 'template', 'spec', 'restartPolicy'], 'expected "Never" or "OnFailure" for a Job, got "Always"');
  } else if (restart === 'OnFailure' && isRecord(spec['podFailurePolicy'])) {
    error(ctx, ['spec', 'podFailurePolicy'], 'requires spec.template.spec.restartPolicy "Never"', 'key');
  }
}

function checkPvc(ctx: Ctx, obj: Record<string, unknown>): void {
  const spec = obj['spec'];
  if (!isRecord(spec)) {
    if (spec === undefined || spec === null) missing(ctx, ['spec']);
    return;
  }
  const modes = spec['accessModes'];
  if (modes === undefined || modes === null || (Array.isArray(modes) && modes.length === 0)) {
    error(ctx, ['spec', 'accessModes'], 'at least one access mode is required', 'parent');
  }
  const resources = spec['resources'];
  const requests = isRecord(resources) ? resources['requests'] : undefined;
  if (!isRecord(requests) || requests['storage'] === undefined) {
    error(ctx, ['spec', 'resources', 'requests', 'storage'], 'required field "storage" is missing', 'parent');
  }
}

/** ConfigMap and Secret keys become file names, so Kubernetes restricts them. */
function checkDataKeys(ctx: Ctx, obj: Record<string, unknown>, fields: string[]): void {
  const seen = new Map<string, string>();
  for (const field of fields) {
    const data = obj[field];
    if (!isRecord(data)) continue;
    for (const key of Object.keys(data)) {
      if (key.length > 253 || !CONFIG_KEY.test(key) || key === '.' || key === '..') {
        error(ctx, [field, key], `invalid key ${JSON.stringify(key)}: expected letters, digits, '-', '_' or '.'`, 'key');
      }
      const other = seen.get(key);
      // For a Secret, stringData deliberately overrides data; for a ConfigMap a duplicate is an error.
      if (other !== undefined && obj['kind'] === 'ConfigMap') error(ctx, [field, key], `key ${JSON.stringify(key)} is also in ${other}`, 'key');
      seen.set(key, field);
    }
  }
}

/** Kubernetes API-server checks not expressed in the schema, for the kinds Drover serves. */
export function checkSemantics(obj: Record<string, unknown>, kind: string, namespaced: boolean): Finding[] {
  const ctx: Ctx = { findings: [] };
  checkMetadata(ctx, obj, kind, namespaced);
  switch (kind) {
    case 'Job':
      checkJob(ctx, obj);
      break;
    case 'Pod':
      if (obj['spec'] === undefined || obj['spec'] === null) missing(ctx, ['spec']);
      else checkPodSpec(ctx, obj['spec'], ['spec']);
      break;
    case 'PersistentVolumeClaim':
      checkPvc(ctx, obj);
      break;
    case 'ConfigMap':
      checkDataKeys(ctx, obj, ['data', 'binaryData']);
      break;
    case 'Secret':
      checkDataKeys(ctx, obj, ['data', 'stringData']);
      break;
    case 'Workflow':
    case 'WorkflowTemplate':
    case 'ClusterWorkflowTemplate':
    case 'CronWorkflow':
      ctx.findings.push(...checkArgo(obj, kind));
      break;
    case 'Experiment':
      ctx.findings.push(...checkKatib(obj, kind));
      break;
  }
  return ctx.findings;
}
