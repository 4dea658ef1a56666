/**
 * How kubeflow.org/v1 training jobs are validated: the CRD's structure field by field (unknown
 * fields and wrong types are errors; fields Drover does not implement are refused by name), the
 * training operator's webhook rules (replica types, a container named `pytorch`/`tensorflow` with
 * an image, one master, DNS-1035 names), and each replica's pod template checked as any Pod is
 * (core's schema and support table), with paths into the job so errors carry file:line.
 */
import { defineKind } from '../../api/kinds.js';
import { type FieldPath, type Finding, describeValue, formatPath, isRecord } from '../../api/fieldpath.js';
import { type KindValidation, checkKind } from '../../api/manifests.js';
import { checkLabels } from '../../api/semantics.js';
import { ok } from '../../api/support.js';
import { type StructField, type StructSpec, S_BOOLEAN, S_INTEGER, S_STRING, field, object, rejectedField, walkStructure } from '../../api/structure.js';
import { VALIDATION as CORE_VALIDATION } from '../core/validate.js';
import { type Framework, FRAMEWORKS } from './types.js';

type Spec = StructSpec;
type Field = StructField;

const STRING = S_STRING;
const INTEGER = S_INTEGER;
const BOOLEAN = S_BOOLEAN;
const f = field;
const obj = object;
const rejected = rejectedField;

const REPLICA: Spec = obj({
  replicas: f(INTEGER, { min: 0 }),
  restartPolicy: f({ t: 'enum', values: ['Always', 'OnFailure', 'Never', 'ExitCode'] }),
  template: f({ t: 'any' }, { required: true }),
});

/** runPolicy; `managedBy` names the operator that may run the kind. */
export const runPolicySpec = (managedBy: string): Spec => obj({
  cleanPodPolicy: f({ t: 'enum', values: ['All', 'Running', 'None'] }),
  ttlSecondsAfterFinished: f(INTEGER, { min: 0 }),
  activeDeadlineSeconds: f(INTEGER, { min: 1 }),
  backoffLimit: f(INTEGER, { min: 0 }),
  suspend: f(BOOLEAN),
  managedBy: f({ t: 'enum', values: [managedBy] }),
  schedulingPolicy: f(
    obj({
      minAvailable: f(INTEGER, { min: 1 }),
      queue: f(STRING, { warn: 'there are no scheduler queues; the job is gang-scheduled on its own' }),
      minResources: f({ t: 'map', values: { t: 'intOrString' } }, { warn: 'gang placement asks for the replicas\' own requests' }),
      priorityClass: f(STRING, { warn: 'priority classes are not resolved' }),
      scheduleTimeoutSeconds: f(INTEGER, { warn: 'a job waits for room as long as it takes' }),
    }),
  ),
});
const RUN_POLICY = runPolicySpec('kubeflow.org/training-operator');

const ELASTIC: Spec = obj({
  minReplicas: f(INTEGER, { min: 1 }),
  maxReplicas: f(INTEGER, { min: 1 }),
  rdzvBackend: f({ t: 'enum', values: ['c10d', 'etcd', 'etcd-v2'] }),
  rdzvPort: f(INTEGER),
  rdzvHost: f(STRING),
  rdzvId: f(STRING),
  rdzvConf: f({ t: 'array', items: obj({ key: f(STRING), value: f(STRING) }) }),
  standalone: f(BOOLEAN),
  nProcPerNode: f(INTEGER, { min: 1 }),
  maxRestarts: f(INTEGER, { min: 0 }),
  metrics: rejected('no HorizontalPodAutoscaler scales the workers'),
});

function specOf(fw: Framework): Spec {
  const common: Record<string, Field> = {
    runPolicy: f(RUN_POLICY),
    [fw.specsField]: f({ t: 'map', values: REPLICA }, { required: true }),
  };
  if (fw.kind === 'PyTorchJob') {
    common['elasticPolicy'] = f(ELASTIC);
    common['nprocPerNode'] = f(STRING);
  } else if (fw.kind === 'TFJob') {
    common['successPolicy'] = f({ t: 'enum', values: ['', 'AllWorkers'] });
    common['enableDynamicWorker'] = rejected('workers are a fixed set');
  } else if (fw.kind === 'PaddleJob') {
    common['elasticPolicy'] = rejected('elastic PaddleJobs (an etcd rendezvous, workers scaled by metrics) are not implemented');
  }
  return obj(common);
}

export interface Ctx {
  findings: Finding[];
}

export function report(ctx: Ctx, path: FieldPath, message: string, anchor: Finding['anchor'] = 'value', severity: Finding['severity'] = 'error'): void {
  ctx.findings.push({ severity, path, message, anchor });
}

function walk(ctx: Ctx, value: unknown, spec: Spec, path: FieldPath): void {
  walkStructure(ctx.findings, value, spec, path);
}

const POD_KIND = defineKind('v1', 'Pod', 'pods');
export const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A replica's template, checked as the Pod it becomes; findings re-rooted at the template. */
export function checkTemplate(ctx: Ctx, template: unknown, path: FieldPath): void {
  if (!isRecord(template)) {
    if (template !== undefined) report(ctx, path, `expected object, got ${describeValue(template)}`);
    return;
  }
  for (const k of Object.keys(template)) if (k !== 'metadata' && k !== 'spec') report(ctx, [...path, k], `unknown field ${JSON.stringify(k)}`, 'key');
  const meta = template['metadata'];
  if (isRecord(meta)) {
    for (const k of Object.keys(meta)) {
      if (!['labels', 'annotations', 'name', 'namespace', 'creationTimestamp'].includes(k)) report(ctx, [...path, 'metadata', k], `unknown field ${JSON.stringify(k)}`, 'key');
    }
    checkLabels(ctx, meta['labels'], [...path, 'metadata', 'labels']);
  }
  if (template['spec'] === undefined) {
    report(ctx, [...path, 'spec'], 'required field "spec" is missing', 'parent');
    return;
  }
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'replica' }, spec: template['spec'] };
  for (const x of checkKind(pod, POD_KIND, CORE_VALIDATION['Pod']!)) {
    if (x.path[0] !== 'spec') continue;
    // The controller sets these on every replica (hostname = pod name, subdomain = job name).
    if (x.severity === 'warning' && (x.path[1] === 'subdomain' || x.path[1] === 'hostname')) continue;
    const full = [...path, ...x.path];
    ctx.findings.push({ ...x, path: full, message: x.message.split(formatPath(x.path)).join(formatPath(full)) });
  }
}

/** The training operator's webhook rules, beyond the structure. */
function checkJob(fw: Framework, obj: Record<string, unknown>): Finding[] {
  const ctx: Ctx = { findings: [] };
  const spec = obj['spec'];
  const name = isRecord(obj['metadata']) ? obj['metadata']['name'] : undefined;
  // Upstream: DNS-1035 labels, as the names become Service names (`<job>-worker-0`).
  if (typeof name === 'string' && !DNS_1035.test(name)) {
    report(ctx, ['metadata', 'name'], `${fw.kind} name is invalid: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character, got ${JSON.stringify(name)}`);
  }
  if (spec === undefined) {
    report(ctx, ['spec'], 'required field "spec" is missing', 'parent');
    return ctx.findings;
  }
  walk(ctx, spec, specOf(fw), ['spec']);
  if (!isRecord(spec)) return ctx.findings;
  const specs = spec[fw.specsField];
  if (!isRecord(specs)) return ctx.findings;
  if (Object.keys(specs).length === 0) report(ctx, ['spec', fw.specsField], `at least one replica type is required (${fw.replicaTypes.join(', ')})`);
  let chiefs = 0;
  for (const [type, replica] of Object.entries(specs)) {
    const path = ['spec', fw.specsField, type];
    const canonical = fw.replicaTypes.find((t) => t.toLowerCase() === type.toLowerCase());
    if (!canonical) {
      report(ctx, path, `${fw.kind === 'TFJob' ? 'TF' : fw.kind.replace(/Job$/, '')}ReplicaType is ${JSON.stringify(type)} but must be one of ${fw.replicaTypes.join(', ')}`, 'key');
      continue;
    }
    if (!isRecord(replica)) continue;
    checkTemplate(ctx, replica['template'], [...path, 'template']);
    const podSpec = isRecord(replica['template']) ? replica['template']['spec'] : undefined;
    const containers = isRecord(podSpec) && Array.isArray(podSpec['containers']) ? podSpec['containers'] : [];
    if (containers.length > 0) {
      containers.forEach((c, i) => {
        if (isRecord(c) && (c['image'] === undefined || c['image'] === '')) report(ctx, [...path, 'template', 'spec', 'containers', i], `${fw.kind}Spec is not valid: Image is undefined in the container of ${type}`, 'key');
      });
      if (!containers.some((c) => isRecord(c) && c['name'] === fw.container)) {
        report(ctx, [...path, 'template', 'spec', 'containers'], `${fw.kind}Spec is not valid: There is no container named ${fw.container} in ${type}`, 'key');
      }
    }
    if (isRecord(podSpec) && podSpec['restartPolicy'] !== undefined) {
      report(ctx, [...path, 'template', 'spec', 'restartPolicy'], `set ${formatPath([...path, 'restartPolicy'])} instead: the controller sets each pod's restartPolicy from the replica's`, 'key', 'warning');
    }
    // Paddle's Master replicas are parameter servers: as many as asked.
    if (canonical === 'Master' && fw.kind !== 'TFJob' && fw.kind !== 'PaddleJob' && typeof replica['replicas'] === 'number' && replica['replicas'] !== 1) {
      report(ctx, [...path, 'replicas'], `${fw.kind}Spec is not valid: There must be only 1 master replica`);
    }
    if (canonical === 'Chief' || canonical === 'Master') chiefs++;
  }
  if (fw.kind === 'XGBoostJob' && !Object.keys(specs).some((t) => t.toLowerCase() === 'master')) {
    report(ctx, ['spec', fw.specsField], 'XGBoostJobSpec is not valid: Master ReplicaSpec must be present', 'key');
  }
  if (fw.kind === 'TFJob' && chiefs > 1) report(ctx, ['spec', fw.specsField], 'TFJobSpec is not valid: more than 1 chief/master found', 'key');
  if (fw.kind === 'PyTorchJob') {
    const elastic = spec['elasticPolicy'];
    if (isRecord(elastic) && elastic['nProcPerNode'] !== undefined && spec['nprocPerNode'] !== undefined) {
      report(ctx, ['spec', 'elasticPolicy', 'nProcPerNode'], '.spec.elasticPolicy.nProcPerNode is deprecated, use .spec.nprocPerNode instead', 'key');
    }
    const nproc = spec['nprocPerNode'];
    if (typeof nproc === 'string' && !/^(auto|cpu|gpu|[1-9]\d*)$/.test(nproc)) report(ctx, ['spec', 'nprocPerNode'], `expected "auto", "cpu", "gpu" or a positive number, got ${JSON.stringify(nproc)}`);
    if (isRecord(elastic) && !Object.keys(specs).some((t) => t.toLowerCase() === 'worker')) report(ctx, ['spec', 'elasticPolicy'], 'elasticPolicy needs Worker replicas', 'key');
  }
  return ctx.findings;
}

function validation(fw: Framework): KindValidation {
  // Names become label values and Service names: 63 characters.
  return { support: { apiVersion: ok, kind: ok, metadata: ok, status: ok, spec: ok }, name: { maxLength: 63 }, semantics: (obj) => checkJob(fw, obj) };
}

export const TRAINING_VALIDATION: Readonly<Record<string, KindValidation>> = Object.fromEntries(FRAMEWORKS.map((fw) => [fw.kind, validation(fw)]));
