/**
 * How a Notebook is validated: the CRD's shape (spec.template with metadata and a pod spec; unknown
 * fields are errors), the pod spec checked as any Pod is (core's schema and support table) with
 * paths into the notebook so errors carry file:line, and the rules of Kubeflow's controller (a
 * first container with an image; names that become the pod's and a label's).
 */
import { defineKind } from '../../api/kinds.js';
import { type FieldPath, type Finding, describeValue, formatPath, isRecord } from '../../api/fieldpath.js';
import { type KindValidation, checkKind } from '../../api/manifests.js';
import { checkLabels } from '../../api/semantics.js';
import { ok } from '../../api/support.js';
import { VALIDATION as CORE_VALIDATION } from '../core/validate.js';

const POD_KIND = defineKind('v1', 'Pod', 'pods');
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function err(findings: Finding[], path: FieldPath, message: string, anchor: Finding['anchor'] = 'value', severity: Finding['severity'] = 'error'): void {
  findings.push({ severity, path, message, anchor });
}

function unknownKeys(findings: Finding[], obj: Record<string, unknown>, allowed: readonly string[], path: FieldPath): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) err(findings, [...path, k], `unknown field ${JSON.stringify(k)}`, 'key');
}

/** The pod template, checked as the Pod it becomes; findings re-rooted at the template. */
function checkPodSpec(findings: Finding[], spec: unknown, path: FieldPath): void {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'notebook' }, spec };
  for (const x of checkKind(pod, POD_KIND, CORE_VALIDATION['Pod']!)) {
    if (x.path[0] !== 'spec') continue;
    // The controller sets the hostname of the pod it makes.
    if (x.severity === 'warning' && x.path[1] === 'hostname') continue;
    const full = [...path, ...x.path.slice(1)];
    findings.push({ ...x, path: full, message: x.message.split(formatPath(x.path)).join(formatPath(full)) });
  }
}

export function checkNotebook(obj: Record<string, unknown>): Finding[] {
  const findings: Finding[] = [];
  const name = isRecord(obj['metadata']) ? obj['metadata']['name'] : undefined;
  // The name becomes the pod's (`<name>-0`), a label's value and the URL's path.
  if (typeof name === 'string' && !DNS_1035.test(name)) {
    err(findings, ['metadata', 'name'], `a Notebook's name must be a DNS-1035 label (lower case letters, digits and '-', starting with a letter and ending with a letter or digit): it names its pod, a label and its URL, got ${JSON.stringify(name)}`);
  }
  const spec = obj['spec'];
  if (spec === undefined) {
    err(findings, ['spec'], 'required field "spec" is missing', 'parent');
    return findings;
  }
  if (!isRecord(spec)) {
    err(findings, ['spec'], `expected object, got ${describeValue(spec)}`);
    return findings;
  }
  unknownKeys(findings, spec, ['template'], ['spec']);
  const template = spec['template'];
  if (template === undefined) {
    err(findings, ['spec', 'template'], 'required field "template" is missing', 'parent');
    return findings;
  }
  if (!isRecord(template)) {
    err(findings, ['spec', 'template'], `expected object, got ${describeValue(template)}`);
    return findings;
  }
  unknownKeys(findings, template, ['metadata', 'spec'], ['spec', 'template']);
  const meta = template['metadata'];
  if (meta !== undefined && meta !== null) {
    if (!isRecord(meta)) err(findings, ['spec', 'template', 'metadata'], `expected object, got ${describeValue(meta)}`);
    else {
      unknownKeys(findings, meta, ['labels', 'annotations', 'name', 'namespace', 'creationTimestamp'], ['spec', 'template', 'metadata']);
      checkLabels({ findings }, meta['labels'], ['spec', 'template', 'metadata', 'labels']);
    }
  }
  const podSpec = template['spec'];
  const at = ['spec', 'template', 'spec'];
  if (podSpec === undefined) {
    err(findings, at, 'required field "spec" is missing: the notebook\'s pod spec (containers, volumes)', 'parent');
    return findings;
  }
  checkPodSpec(findings, podSpec, at);
  if (!isRecord(podSpec)) return findings;
  const containers = podSpec['containers'];
  if (Array.isArray(containers) && containers.length > 0 && isRecord(containers[0])) {
    const image = containers[0]['image'];
    // A missing image is the Pod schema's error already; an empty one is not.
    if (image === '') err(findings, [...at, 'containers', 0], 'the notebook container (the first) needs an image: it says which environment the notebook runs (a name with "jupyter" runs JupyterLab)', 'key');
  }
  const restart = podSpec['restartPolicy'];
  if (restart !== undefined && restart !== 'Always') err(findings, [...at, 'restartPolicy'], `a notebook's pod is a StatefulSet's and restarts Always, got ${JSON.stringify(restart)}`);
  return findings;
}

export const NOTEBOOK_VALIDATION: KindValidation = {
  support: { apiVersion: ok, kind: ok, metadata: ok, status: ok, spec: ok },
  name: { maxLength: 63 },
  semantics: checkNotebook,
};
