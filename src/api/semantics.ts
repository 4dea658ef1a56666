/**
 * Checks the API server makes beyond the OpenAPI schema, so a manifest Drover accepts is one
 * Kubernetes accepts too, and mistakes surface at apply time instead of when a pod starts: the
 * metadata rules every kind shares, and the helpers each kind's own checks (src/kinds) are written
 * with. Values of the wrong type were already reported by the schema check and are skipped here.
 */
import { type FieldPath, type Finding, isRecord } from './fieldpath.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Where a kind's checks collect their findings. */
export interface Ctx {
  findings: Finding[];
}

export function error(ctx: Ctx, path: FieldPath, message: string, anchor: Finding['anchor'] = 'value'): void {
  ctx.findings.push({ severity: 'error', path, message, anchor });
}

export function warning(ctx: Ctx, path: FieldPath, message: string): void {
  ctx.findings.push({ severity: 'warning', path, message, anchor: 'key' });
}

export function missing(ctx: Ctx, path: FieldPath): void {
  error(ctx, path, `required field ${JSON.stringify(path[path.length - 1])} is missing`, 'parent');
}

export function checkDnsSubdomain(ctx: Ctx, path: FieldPath, v: string, max = 253): void {
  if (v.length > max) error(ctx, path, `must be no more than ${max} characters, got ${v.length}`);
  else if (!DNS1123_SUBDOMAIN.test(v)) error(ctx, path, `expected a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.'; starting and ending with a letter or digit), got ${JSON.stringify(v)}`);
}

export function checkDnsLabel(ctx: Ctx, path: FieldPath, v: string): void {
  if (v.length > 63) error(ctx, path, `must be no more than 63 characters, got ${v.length}`);
  else if (!DNS1123_LABEL.test(v)) error(ctx, path, `expected a lowercase RFC 1123 label (a-z, 0-9, '-'; starting and ending with a letter or digit), got ${JSON.stringify(v)}`);
}

/** Label and annotation keys: an optional DNS subdomain prefix and a name. */
export function checkQualifiedName(ctx: Ctx, path: FieldPath, key: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const ok = name.length <= 63 && LABEL_NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix)));
  if (!ok) error(ctx, path, `invalid key ${JSON.stringify(key)}: expected an optional DNS subdomain prefix and '/', then a name of at most 63 letters, digits, '-', '_' or '.'`, 'key');
}

/** How long a kind's names may be and what shape they take. */
export interface NameRule {
  /** A DNS label (Namespaces) rather than a DNS subdomain. */
  dnsLabel?: boolean;
  /** Default 253; 63 where the name becomes a label value (a Job's name is on its pods). */
  maxLength?: number;
}

/** The rules of `metadata` every kind shares: name or generateName, namespace, labels, annotations. */
export function checkMetadata(ctx: Ctx, obj: Record<string, unknown>, kind: string, namespaced: boolean, rule: NameRule = {}): void {
  const meta = obj['metadata'];
  if (meta !== undefined && meta !== null && !isRecord(meta)) return;
  const m = meta ?? {};
  const name = m['name'];
  const generateName = m['generateName'];
  if (name === undefined || name === null || name === '') {
    if (typeof generateName !== 'string' || generateName === '') missing(ctx, ['metadata', 'name']);
  } else if (typeof name === 'string') {
    if (rule.dnsLabel) checkDnsLabel(ctx, ['metadata', 'name'], name);
    else checkDnsSubdomain(ctx, ['metadata', 'name'], name, rule.maxLength ?? 253);
  }
  if (typeof generateName === 'string' && generateName !== '' && (name === undefined || name === null)) {
    // The generated suffix is 5 characters; the prefix must leave a valid name.
    checkDnsSubdomain(ctx, ['metadata', 'generateName'], generateName.replace(/-$/, '') || 'x', (rule.maxLength ?? 253) - 5);
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

export function checkLabels(ctx: Ctx, labels: unknown, path: FieldPath): void {
  if (!isRecord(labels)) return;
  for (const [key, value] of Object.entries(labels)) {
    checkQualifiedName(ctx, [...path, key], key);
    if (typeof value === 'string' && (value.length > 63 || !LABEL_VALUE.test(value))) {
      error(ctx, [...path, key], `invalid label value ${JSON.stringify(value)}: expected at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`);
    }
  }
}

