/**
 * What Drover's local runtime implements, field by field. This is the one table to edit when a
 * field becomes supported.
 *
 * Each listed field is supported, ignored silently, ignored with a warning (only when ignoring it
 * cannot change how a workload ends), or rejected. Inside a struct given with `fields`, any field
 * not listed is rejected, so fields that new Kubernetes versions add are refused until someone
 * decides about them, rather than silently dropped. A supported field without `fields` is accepted
 * with everything under it (the schema still checks it).
 */
import { type FieldPath, type Finding, formatPath, isRecord } from './fieldpath.js';

export type Verdict =
  | { verdict: 'supported' }
  | { verdict: 'ignore' }
  | { verdict: 'warn'; reason: string }
  /** `value`: only this value is refused, not the field (`volumeMode: Block`). */
  | { verdict: 'reject'; reason?: string; value?: unknown };

export interface FieldPolicy {
  decide: (value: unknown) => Verdict;
  /** Sub-fields of the object, or of each element of an array. Unlisted sub-fields are rejected. */
  fields?: Shape;
}

export type Shape = Readonly<Record<string, FieldPolicy>>;

const SUPPORTED: Verdict = { verdict: 'supported' };
const ok: FieldPolicy = { decide: () => SUPPORTED };
const struct = (fields: Shape): FieldPolicy => ({ decide: () => SUPPORTED, fields });
const ignore: FieldPolicy = { decide: () => ({ verdict: 'ignore' }) };
const warn = (reason: string): FieldPolicy => ({ decide: () => ({ verdict: 'warn', reason }) });
/** Warns unless the value is the Kubernetes default (which `kubectl get -o yaml` prints), where ignoring changes nothing. */
const warnUnless = (defaultValue: unknown, reason: string): FieldPolicy => ({
  decide: (v) => (v === defaultValue ? SUPPORTED : { verdict: 'warn', reason }),
});
const reject = (reason?: string): FieldPolicy => ({ decide: () => (reason ? { verdict: 'reject', reason } : { verdict: 'reject' }) });
/** Rejects only when the field is set to true (`stdin: false` is the default and harmless). */
const rejectTrue = (reason?: string): FieldPolicy => ({
  decide: (v) => (v === true ? (reason ? { verdict: 'reject', reason } : { verdict: 'reject' }) : SUPPORTED),
});
/** Accepts the listed values and rejects any other. */
const onlyValues = (allowed: readonly unknown[], reason?: string): FieldPolicy => ({
  decide: (v) => (allowed.includes(v) ? SUPPORTED : { verdict: 'reject', value: v, ...(reason ? { reason } : {}) }),
});

/** `fieldRef.fieldPath` values the local runtime can fill in. */
const FIELD_REF_PATHS = /^(metadata\.(name|namespace|uid)|metadata\.(labels|annotations)\['[^']+'\]|spec\.nodeName|status\.podIP)$/;

const ENV_VAR: Shape = {
  name: ok,
  value: ok,
  valueFrom: struct({
    configMapKeyRef: ok,
    secretKeyRef: ok,
    resourceFieldRef: ok,
    fieldRef: struct({
      apiVersion: ok,
      fieldPath: {
        decide: (v) =>
          typeof v === 'string' && FIELD_REF_PATHS.test(v)
            ? SUPPORTED
            : { verdict: 'reject', value: v, reason: "supported: metadata.name, metadata.namespace, metadata.uid, metadata.labels['…'], metadata.annotations['…'], spec.nodeName, status.podIP" },
      },
    }),
  }),
};

const CONTAINER: Shape = {
  name: ok,
  image: ok,
  command: ok,
  args: ok,
  workingDir: ok,
  env: struct(ENV_VAR),
  envFrom: ok,
  resources: ok,
  ports: ok,
  volumeMounts: struct({
    name: ok,
    mountPath: ok,
    readOnly: ok,
    subPath: ok,
    mountPropagation: reject(),
    subPathExpr: reject(),
  }),
  imagePullPolicy: warn('images are not pulled'),
  securityContext: warn('processes run as the Drover user'),
  terminationMessagePath: warnUnless('/dev/termination-log', 'termination messages are not collected'),
  terminationMessagePolicy: warnUnless('File', 'termination messages are not collected'),
  livenessProbe: warn('probes are not run'),
  readinessProbe: warn('probes are not run'),
  startupProbe: warn('probes are not run'),
  resizePolicy: warn('containers are not resized in place'),
  stdin: rejectTrue(),
  stdinOnce: rejectTrue(),
  tty: rejectTrue(),
  lifecycle: reject(),
  volumeDevices: reject(),
};

const VOLUME: Shape = {
  name: ok,
  persistentVolumeClaim: ok,
  configMap: ok,
  secret: ok,
  emptyDir: ok,
  hostPath: ok,
  // Any other volume source (nfs, csi, projected, ...) is unlisted, so it is rejected by name.
};

export const POD_SPEC: Shape = {
  containers: struct(CONTAINER),
  restartPolicy: ok,
  volumes: struct(VOLUME),
  nodeSelector: ok,
  priority: ok,
  activeDeadlineSeconds: ok,
  terminationGracePeriodSeconds: ok,
  hostname: ok,
  os: { decide: (v) => (isRecord(v) && v['name'] === 'linux' ? SUPPORTED : { verdict: 'reject', reason: 'only linux' }) },
  priorityClassName: warn('priority classes are not resolved; set spec.priority instead'),
  serviceAccountName: warn('there are no service accounts locally'),
  serviceAccount: warn('there are no service accounts locally'),
  tolerations: warn('the local node has no taints'),
  affinity: warn('there is one local node'),
  subdomain: warn('there is no cluster DNS'),
  securityContext: warn('processes run as the Drover user'),
  imagePullSecrets: warn('images are not pulled'),
  hostNetwork: { decide: (v) => (v === true ? { verdict: 'warn', reason: 'local processes share the host network anyway' } : SUPPORTED) },
  dnsPolicy: warnUnless('ClusterFirst', 'local processes use the host resolver'),
  dnsConfig: warn('local processes use the host resolver'),
  topologySpreadConstraints: warn('there is one local node'),
  readinessGates: warn('pod readiness is not tracked'),
  preemptionPolicy: warn('the local scheduler does not preempt'),
  enableServiceLinks: ignore,
  automountServiceAccountToken: ignore,
  schedulerName: onlyValues(['default-scheduler'], 'only "default-scheduler"'),
  hostPID: rejectTrue(),
  hostIPC: rejectTrue(),
  initContainers: reject(),
  ephemeralContainers: reject(),
  runtimeClassName: reject(),
};

const POD_FAILURE_POLICY: Shape = {
  rules: struct({
    action: onlyValues(['FailJob', 'Ignore', 'Count'], 'supported: FailJob, Ignore, Count'),
    onExitCodes: ok,
    onPodConditions: {
      decide: (v) => {
        const types = Array.isArray(v) ? v.map((c) => (isRecord(c) ? c['type'] : undefined)) : [];
        // DisruptionTarget never happens locally, so a rule on it can never fire.
        if (types.every((t) => t === 'DisruptionTarget')) return { verdict: 'warn', reason: 'the local runtime never disrupts pods' };
        return { verdict: 'reject', reason: 'only type DisruptionTarget' };
      },
    },
  }),
};

const JOB_SPEC: Shape = {
  parallelism: ok,
  completions: ok,
  completionMode: ok,
  backoffLimit: ok,
  activeDeadlineSeconds: ok,
  podFailurePolicy: struct(POD_FAILURE_POLICY),
  ttlSecondsAfterFinished: ok,
  suspend: ok,
  selector: ok,
  manualSelector: rejectTrue(),
  template: struct({ metadata: ok, spec: struct(POD_SPEC) }),
  // The reserved value names the built-in Job controller, which is what Drover implements.
  managedBy: onlyValues(['kubernetes.io/job-controller']),
  backoffLimitPerIndex: reject(),
  maxFailedIndexes: reject(),
  successPolicy: reject(),
  podReplacementPolicy: reject(),
};

const PVC_SPEC: Shape = {
  accessModes: ok,
  resources: struct({ requests: ok, limits: warn('local claims are directories without a size limit') }),
  storageClassName: warn('local claims are directories'),
  volumeName: warn('local claims are directories'),
  volumeMode: onlyValues(['Filesystem'], 'local claims are directories'),
  selector: reject(),
  dataSource: reject(),
  dataSourceRef: reject(),
};

/** Argo templates: the container and volume rules above apply to steps as to pods. */
const ARGO_TEMPLATE: Shape = {
  name: ok,
  inputs: ok,
  outputs: ok,
  container: struct(CONTAINER),
  script: struct({ ...CONTAINER, source: ok }),
  steps: ok,
  dag: ok,
  suspend: ok,
  retryStrategy: struct({ limit: ok, retryPolicy: ok, backoff: ok, expression: ok, affinity: warn('there is one node') }),
  activeDeadlineSeconds: ok,
  timeout: ok,
  parallelism: ok,
  failFast: ok,
  nodeSelector: ok,
  tolerations: ok,
  affinity: ok,
  volumes: struct(VOLUME),
  metadata: ok,
  priorityClassName: ok,
  securityContext: warn('processes run as the Drover user'),
  serviceAccountName: warn('steps run without Kubernetes credentials'),
  automountServiceAccountToken: ignore,
  executor: warn('steps run without Kubernetes credentials'),
  metrics: warn('Prometheus metrics of templates are not emitted'),
  hostAliases: warn('steps use the host network'),
  schedulerName: warn('there is one scheduler'),
  memoize: ok,
  synchronization: struct({ mutexes: ok, semaphores: ok, mutex: ok, semaphore: ok }),
  daemon: rejectTrue(),
  sidecars: reject(),
  initContainers: reject(),
  resource: reject(),
  http: reject(),
  data: reject(),
  containerSet: reject(),
  plugin: reject(),
  podSpecPatch: reject(),
  archiveLocation: reject(),
};

const ARGO_WORKFLOW_SPEC: Shape = {
  entrypoint: ok,
  arguments: ok,
  templates: struct(ARGO_TEMPLATE),
  templateDefaults: struct(ARGO_TEMPLATE),
  onExit: ok,
  hooks: ok,
  activeDeadlineSeconds: ok,
  parallelism: ok,
  volumes: struct(VOLUME),
  volumeClaimTemplates: ok,
  nodeSelector: ok,
  tolerations: ok,
  affinity: ok,
  podGC: struct({ strategy: ok, labelSelector: reject(), deleteDelayDuration: reject() }),
  ttlStrategy: ok,
  workflowTemplateRef: ok,
  suspend: ok,
  shutdown: ok,
  priority: ignore,
  podPriorityClassName: ignore,
  podDisruptionBudget: ignore,
  archiveLogs: ignore,
  automountServiceAccountToken: ignore,
  serviceAccountName: warn('steps run without Kubernetes credentials'),
  executor: warn('steps run without Kubernetes credentials'),
  securityContext: warn('processes run as the Drover user'),
  imagePullSecrets: warn('images are not pulled'),
  metrics: warn('Prometheus metrics of workflows are not emitted'),
  schedulerName: warn('there is one scheduler'),
  dnsConfig: warn('steps use the host network'),
  dnsPolicy: warn('steps use the host network'),
  hostAliases: warn('steps use the host network'),
  podMetadata: ok,
  workflowMetadata: ok,
  volumeClaimGC: struct({ strategy: onlyValues(['OnWorkflowCompletion'], 'claims are removed when the workflow ends') }),
  retryStrategy: reject('set retryStrategy on the templates'),
  synchronization: struct({ mutexes: ok, semaphores: ok, mutex: ok, semaphore: ok }),
  artifactRepositoryRef: reject('the artifact repository is set in Drover\'s config'),
  artifactGC: reject(),
  podSpecPatch: reject(),
  hostNetwork: rejectTrue(),
};

const TOP = { apiVersion: ok, kind: ok, metadata: ok, status: ok };

/** Root shapes by `apiVersion/kind`; kinds without an entry are covered by their schema alone. */
const ROOTS: ReadonlyMap<string, Shape> = new Map<string, Shape>([
  ['batch/v1/Job', { ...TOP, spec: struct(JOB_SPEC) }],
  ['v1/Pod', { ...TOP, spec: struct(POD_SPEC) }],
  ['v1/PersistentVolumeClaim', { ...TOP, spec: struct(PVC_SPEC) }],
  ['argoproj.io/v1alpha1/Workflow', { ...TOP, spec: struct(ARGO_WORKFLOW_SPEC) }],
  ['argoproj.io/v1alpha1/WorkflowTemplate', { ...TOP, spec: struct(ARGO_WORKFLOW_SPEC) }],
  ['argoproj.io/v1alpha1/ClusterWorkflowTemplate', { ...TOP, spec: struct(ARGO_WORKFLOW_SPEC) }],
  [
    'argoproj.io/v1alpha1/CronWorkflow',
    {
      ...TOP,
      spec: struct({
        schedules: ok,
        timezone: ok,
        concurrencyPolicy: ok,
        startingDeadlineSeconds: ok,
        successfulJobsHistoryLimit: ok,
        failedJobsHistoryLimit: ok,
        suspend: ok,
        workflowMetadata: ok,
        workflowSpec: struct(ARGO_WORKFLOW_SPEC),
        when: reject(),
        stopStrategy: reject(),
      }),
    },
  ],
]);

/**
 * Walks `obj` against the support table of its kind. `skip` holds paths already reported (unknown
 * fields), so a field is not reported twice. Warnings come once per table entry per object: five
 * containers with `imagePullPolicy` give one warning, at the first.
 */
export function checkSupport(obj: Record<string, unknown>, apiVersion: string, kind: string, skip: ReadonlySet<string>): Finding[] {
  const root = ROOTS.get(`${apiVersion}/${kind}`);
  if (!root) return [];
  const findings: Finding[] = [];
  const warned = new Set<FieldPolicy>();
  const walkShape = (value: unknown, shape: Shape, path: FieldPath): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walkShape(item, shape, [...path, i]));
      return;
    }
    if (!isRecord(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const childPath = [...path, key];
      // null means unset in Kubernetes; listed again in `skip` means already reported.
      if (child === null || skip.has(formatPath(childPath))) continue;
      const policy = shape[key];
      const verdict: Verdict = policy ? policy.decide(child) : { verdict: 'reject' };
      switch (verdict.verdict) {
        case 'supported':
          if (policy?.fields) walkShape(child, policy.fields, childPath);
          break;
        case 'ignore':
          break;
        case 'warn':
          // `tolerations: []` asks for nothing, so there is nothing to ignore.
          if (isEmpty(child)) break;
          if (policy && !warned.has(policy)) {
            warned.add(policy);
            findings.push({ severity: 'warning', path: childPath, message: `${formatPath(childPath)} is ignored (${verdict.reason})`, anchor: 'key' });
          }
          break;
        case 'reject': {
          if (isEmpty(child)) break;
          const field = formatPath(childPath);
          const what = 'value' in verdict ? `value ${JSON.stringify(verdict.value)} of field ${field}` : `field ${field}`;
          const why = verdict.reason ? ` (${verdict.reason})` : '';
          findings.push({ severity: 'error', path: childPath, message: `${what} is not supported by Drover yet${why}`, anchor: 'value' in verdict ? 'value' : 'key' });
          break;
        }
      }
    }
  };
  walkShape(obj, root, []);
  return findings;
}

function isEmpty(v: unknown): boolean {
  return (Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).length === 0);
}
