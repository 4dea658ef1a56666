/**
 * Argo's published schema is stricter than Argo itself in three places, so manifests that Argo
 * runs would fail it: a template's `steps` is a list of lists (the schema's ParallelSteps is an
 * object), parameter values may be numbers or booleans (Argo's AnyString takes them), and a
 * template's container or script needs no `name` (Argo calls it `main`). The schema is run over a
 * view of the manifest with those shapes adjusted (and claim templates given the apiVersion and
 * kind the schema wants but Argo does not), and paths found in the view are mapped back.
 */
import { CronWorkflow } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/CronWorkflow';
import { ClusterWorkflowTemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/ClusterWorkflowTemplate';
import { Workflow } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Workflow';
import { WorkflowTemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowTemplate';
import type { KindValidation } from '../../api/index.js';
import { type Finding, type PathSegment, isRecord } from '../../api/fieldpath.js';
import type { SchemaView } from '../../api/schema.js';
import { type FieldPolicy, type Shape, SUPPORTED, ignore, objectShape, ok, onlyValues, reject, rejectTrue, struct, warn } from '../../api/support.js';
import { CONTAINER, POD_SECURITY, VOLUME } from '../core/validate.js';


function coerceScalar(v: unknown): unknown {
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
}

function viewOf(value: unknown, parentKey: string | undefined): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => {
      // steps: [[a, b], [c]] → steps: [{steps: [a, b]}, {steps: [c]}]
      if (parentKey === 'steps' && Array.isArray(item)) return { steps: item.map((s) => viewOf(s, undefined)) };
      const v = viewOf(item, undefined);
      // Claim templates are written without apiVersion/kind, which the schema's PVC model demands.
      if (parentKey === 'volumeClaimTemplates' && isRecord(v)) return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...v };
      if (parentKey === 'parameters' && isRecord(v)) {
        for (const k of ['value', 'default']) if (k in v) v[k] = coerceScalar(v[k]);
        // Argo 4 gives parameters a `description` (words for people, no effect on the run) that
        // the published schema Drover checks against predates.
        if (typeof v['description'] === 'string') delete v['description'];
        if (Array.isArray(v['enum'])) v['enum'] = v['enum'].map(coerceScalar);
        if (isRecord(v['valueFrom']) && 'default' in v['valueFrom']) v['valueFrom'] = { ...v['valueFrom'], default: coerceScalar(v['valueFrom']['default']) };
      }
      return v;
    });
  }
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = viewOf(v, k);
  // Argo 3.x wrote one `mutex`/`semaphore`; the current schema has only the lists.
  if (parentKey === 'synchronization') {
    if (out['mutex'] !== undefined) out['mutexes'] = [...(Array.isArray(out['mutexes']) ? out['mutexes'] : []), out['mutex']];
    if (out['semaphore'] !== undefined) out['semaphores'] = [...(Array.isArray(out['semaphores']) ? out['semaphores'] : []), out['semaphore']];
    delete out['mutex'];
    delete out['semaphore'];
  }
  for (const k of ['container', 'script']) {
    const c = out[k];
    if (isRecord(c) && c['name'] === undefined) out[k] = { ...c, name: 'main' };
  }
  return out;
}

export function argoSchemaView(obj: Record<string, unknown>): SchemaView {
  return {
    view: viewOf(obj, undefined) as Record<string, unknown>,
    toOriginal(path) {
      const out: PathSegment[] = [];
      let cur: unknown = obj;
      for (let i = 0; i < path.length; i++) {
        const seg = path[i]!;
        // In the view, a step group is `{steps: [...]}`; in the manifest it is the list itself.
        if (seg === 'steps' && Array.isArray(cur) && out[out.length - 2] === 'steps') continue;
        out.push(seg);
        cur = Array.isArray(cur) ? cur[seg as number] : isRecord(cur) ? cur[seg as string] : undefined;
      }
      return out;
    },
  };
}

// ---- lint: what Argo's own validation refuses, with the field where it happens ----------------

/** podSpecPatch: YAML or JSON text, read once substituted (podspecpatch.ts says what it may change). */
const PATCH_TEXT: FieldPolicy = { decide: (v: unknown) => (typeof v === 'string' ? SUPPORTED : { verdict: 'reject', value: v, reason: 'expected a string of YAML or JSON' }) };

const TAG = /\{\{(.*?)\}\}/gs;
const TEMPLATE_TYPES = ['container', 'script', 'steps', 'dag', 'suspend', 'resource', 'http', 'data', 'containerSet', 'plugin'] as const;

function rec(v: unknown): Record<string, unknown> | undefined {
  return isRecord(v) ? v : undefined;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Every string under `value`, with its path (for `{{…}}` references). */
function strings(value: unknown, path: PathSegment[], out: { path: PathSegment[]; s: string }[]): void {
  if (typeof value === 'string') out.push({ path, s: value });
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, [...path, i], out));
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) strings(v, [...path, k], out);
}

/** Checks a Workflow, WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow as Argo's validation does. */
export function checkArgo(obj: Record<string, unknown>, kind: string): Finding[] {
  const findings: Finding[] = [];
  const err = (path: PathSegment[], message: string, anchor: Finding['anchor'] = 'value') => findings.push({ severity: 'error', path, message, anchor });
  const specPath: PathSegment[] = kind === 'CronWorkflow' ? ['spec', 'workflowSpec'] : ['spec'];
  const spec = kind === 'CronWorkflow' ? rec(rec(obj['spec'])?.['workflowSpec']) : rec(obj['spec']);
  if (!spec) return findings;
  const usesRef = rec(spec['workflowTemplateRef']) !== undefined;
  const templates = arr(spec['templates']);
  const byName = new Map<string, Record<string, unknown>>();
  templates.forEach((t, i) => {
    const tr = rec(t);
    const name = tr?.['name'];
    if (typeof name !== 'string') return;
    if (byName.has(name)) err([...specPath, 'templates', i, 'name'], `duplicate template name ${JSON.stringify(name)}`);
    byName.set(name, tr!);
  });
  if (kind !== 'WorkflowTemplate' && kind !== 'ClusterWorkflowTemplate' && !usesRef) {
    const entry = spec['entrypoint'];
    if (entry === undefined) err([...specPath, 'entrypoint'], 'required field "entrypoint" is missing', 'parent');
    else if (typeof entry === 'string' && !entry.includes('{{') && !byName.has(entry)) err([...specPath, 'entrypoint'], `template ${JSON.stringify(entry)} not found; templates: ${[...byName.keys()].join(', ') || 'none'}`);
  }
  const globals = new Set(arr(rec(spec['arguments'])?.['parameters']).map((p) => rec(p)?.['name']).filter((n): n is string => typeof n === 'string'));
  const checkTemplateRef = (name: unknown, path: PathSegment[]): void => {
    if (typeof name === 'string' && !name.includes('{{') && !byName.has(name)) err(path, `template ${JSON.stringify(name)} not found; templates: ${[...byName.keys()].join(', ') || 'none'}`);
  };
  if (!usesRef) checkTemplateRef(spec['onExit'], [...specPath, 'onExit']);
  const exitHook = rec(rec(spec['hooks'])?.['exit']);
  if (exitHook && !usesRef) checkTemplateRef(exitHook['template'], [...specPath, 'hooks', 'exit', 'template']);

  /** A step or task calling a local template must supply its parameters that have no value. */
  const checkCall = (call: Record<string, unknown>, path: PathSegment[]): void => {
    const target = call['template'];
    if (typeof target !== 'string') return;
    checkTemplateRef(target, [...path, 'template']);
    const t = byName.get(target);
    if (!t) return;
    const given = new Set(arr(rec(call['arguments'])?.['parameters']).map((p) => rec(p)?.['name']));
    for (const p of arr(rec(t['inputs'])?.['parameters'])) {
      const pr = rec(p);
      if (!pr || typeof pr['name'] !== 'string') continue;
      const hasValue = pr['value'] !== undefined || pr['default'] !== undefined || rec(pr['valueFrom']) !== undefined;
      if (!hasValue && !given.has(pr['name'])) err(path, `inputs.parameters.${pr['name']} was not supplied (template ${JSON.stringify(target)} needs it)`, 'parent');
    }
    const hook = rec(rec(call['hooks'])?.['exit']);
    if (hook) checkTemplateRef(hook['template'], [...path, 'hooks', 'exit', 'template']);
    checkTemplateRef(call['onExit'], [...path, 'onExit']);
  };

  templates.forEach((t, i) => {
    const tr = rec(t);
    if (!tr) return;
    const tPath: PathSegment[] = [...specPath, 'templates', i];
    const types = TEMPLATE_TYPES.filter((k) => tr[k] !== undefined);
    if (types.length === 0) err(tPath, `template ${JSON.stringify(tr['name'])} needs one of container, script, containerSet, steps, dag or suspend`, 'parent');
    else if (types.length > 1) err(tPath, `template ${JSON.stringify(tr['name'])} has more than one of ${types.join(', ')}`, 'parent');
    checkContainerSet(rec(tr['containerSet']), [...tPath, 'containerSet'], err);
    checkPodContainerNames(tr, tPath, err);
    const inputs = new Set(arr(rec(tr['inputs'])?.['parameters']).map((p) => rec(p)?.['name']).filter((n): n is string => typeof n === 'string'));
    const inputArtifacts = new Set(arr(rec(tr['inputs'])?.['artifacts']).map((p) => rec(p)?.['name']).filter((n): n is string => typeof n === 'string'));
    const stepNames = new Set<string>();
    const taskNames = new Set<string>();
    arr(tr['steps']).forEach((group, g) =>
      arr(group).forEach((s, k) => {
        const sr = rec(s);
        if (!sr) return;
        if (typeof sr['name'] === 'string') stepNames.add(sr['name']);
        checkCall(sr, [...tPath, 'steps', g, k]);
      }),
    );
    const tasks = arr(rec(tr['dag'])?.['tasks']);
    tasks.forEach((task) => {
      const name = rec(task)?.['name'];
      if (typeof name === 'string') taskNames.add(name);
    });
    const seenTasks = new Set<string>();
    tasks.forEach((task, k) => {
      const tk = rec(task);
      if (!tk) return;
      const path = [...tPath, 'dag', 'tasks', k];
      const name = tk['name'];
      if (typeof name === 'string') {
        if (seenTasks.has(name)) err([...path, 'name'], `duplicate task name ${JSON.stringify(name)}`);
        seenTasks.add(name);
      }
      checkCall(tk, path);
      arr(tk['dependencies']).forEach((d, j) => {
        if (typeof d === 'string' && !taskNames.has(d)) err([...path, 'dependencies', j], `dependency ${JSON.stringify(d)} is not a task of this dag`);
      });
      const depends = tk['depends'];
      if (typeof depends === 'string') {
        for (const m of depends.matchAll(/[A-Za-z0-9_-]+(?:\([^)]*\))?(?=\.[A-Za-z]+|\s|\)|$|&|\|)/g)) {
          const dep = m[0];
          if (['Succeeded', 'Failed', 'Errored', 'Skipped', 'Omitted', 'Daemoned', 'Completed', 'AnySucceeded', 'AllFailed'].includes(dep)) continue;
          if (!taskNames.has(dep)) err([...path, 'depends'], `depends names ${JSON.stringify(dep)}, which is not a task of this dag`);
        }
      }
    });
    // References in {{…}} tags to names this template cannot see.
    const refs: { path: PathSegment[]; s: string }[] = [];
    strings(tr, tPath, refs);
    for (const { path, s } of refs) {
      for (const m of s.matchAll(TAG)) {
        const body = m[1]!.trim();
        if (body.startsWith('=')) continue;
        let mm: RegExpMatchArray | null;
        if ((mm = body.match(/^inputs\.parameters\.([^.]+)$/)) && !inputs.has(mm[1]!)) {
          err(path, `{{${body}}}: template ${JSON.stringify(tr['name'])} declares no input parameter ${JSON.stringify(mm[1])}${inputs.size ? ` (declared: ${[...inputs].join(', ')})` : ''}`);
        } else if ((mm = body.match(/^inputs\.artifacts\.([^.]+)\.path$/)) && !inputArtifacts.has(mm[1]!)) {
          err(path, `{{${body}}}: template ${JSON.stringify(tr['name'])} declares no input artifact ${JSON.stringify(mm[1])}`);
        } else if ((mm = body.match(/^workflow\.parameters\.([^.]+)$/)) && !usesRef && kind !== 'WorkflowTemplate' && kind !== 'ClusterWorkflowTemplate' && !globals.has(mm[1]!)) {
          err(path, `{{${body}}}: the workflow declares no parameter ${JSON.stringify(mm[1])} in spec.arguments.parameters`);
        } else if ((mm = body.match(/^steps\.([^.]+)\./)) && tr['steps'] !== undefined && !stepNames.has(mm[1]!)) {
          err(path, `{{${body}}}: no step named ${JSON.stringify(mm[1])} in template ${JSON.stringify(tr['name'])}`);
        } else if ((mm = body.match(/^tasks\.([^.]+)\./)) && tr['dag'] !== undefined && !taskNames.has(mm[1]!)) {
          err(path, `{{${body}}}: no task named ${JSON.stringify(mm[1])} in template ${JSON.stringify(tr['name'])}`);
        }
      }
    }
  });
  return findings;
}

/**
 * A step pod's containers, as Argo makes them: the main container (`main`, or a containerSet's
 * own), then the template's init containers and sidecars, each named and no two alike.
 */
function checkPodContainerNames(tr: Record<string, unknown>, path: PathSegment[], err: (path: PathSegment[], message: string) => void): void {
  const set = arr(rec(tr['containerSet'])?.['containers']).map((c) => rec(c)?.['name']).filter((n): n is string => typeof n === 'string');
  const main = rec(tr['container'] ?? tr['script']);
  const names = new Set<string>(set.length ? set : main ? [typeof main['name'] === 'string' && main['name'] ? main['name'] : 'main'] : []);
  for (const field of ['initContainers', 'sidecars'] as const) {
    arr(tr[field]).forEach((c, i) => {
      const name = rec(c)?.['name'];
      if (typeof name !== 'string' || name === '') return err([...path, field, i, 'name'], `required: each of a template's ${field} has a name`);
      if (names.has(name)) return err([...path, field, i, 'name'], `duplicate container name ${JSON.stringify(name)} in the step's pod (${[...names].join(', ')})`);
      names.add(name);
    });
  }
}

/** A containerSet's containers: names unique, every dependency one of them, and no cycle among them. */
function checkContainerSet(cs: Record<string, unknown> | undefined, path: PathSegment[], err: (path: PathSegment[], message: string) => void): void {
  if (!cs) return;
  const containers = Array.isArray(cs['containers']) ? (cs['containers'] as unknown[]) : [];
  if (containers.length === 0) err([...path, 'containers'], 'at least one container is required');
  const deps = new Map<string, string[]>();
  containers.forEach((c, i) => {
    const name = typeof (c as Record<string, unknown>)?.['name'] === 'string' ? ((c as Record<string, unknown>)['name'] as string) : undefined;
    if (!name) return err([...path, 'containers', i, 'name'], 'required: each container of a set has a name');
    if (deps.has(name)) return err([...path, 'containers', i, 'name'], `duplicate container name ${JSON.stringify(name)}`);
    const d = (c as Record<string, unknown>)['dependencies'];
    deps.set(name, Array.isArray(d) ? d.filter((x): x is string => typeof x === 'string') : []);
  });
  containers.forEach((c, i) => {
    const name = (c as Record<string, unknown>)?.['name'];
    for (const d of deps.get(name as string) ?? []) if (!deps.has(d)) err([...path, 'containers', i, 'dependencies'], `no container named ${JSON.stringify(d)} in the set (${[...deps.keys()].join(', ')})`);
  });
  // A cycle would leave every container in it waiting for ever.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (n: string, trail: string[]): boolean => {
    if (state.get(n) === 'done') return false;
    if (state.get(n) === 'visiting') {
      err([...path, 'containers'], `dependencies form a cycle: ${[...trail.slice(trail.indexOf(n)), n].join(' → ')}`);
      return true;
    }
    state.set(n, 'visiting');
    for (const d of deps.get(n) ?? []) if (deps.has(d) && visit(d, [...trail, n])) return true;
    state.set(n, 'done');
    return false;
  };
  for (const n of deps.keys()) if (visit(n, [])) break;
}

// ---- support: what Drover implements of Argo's fields ----------------------------------------------

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
  securityContext: struct(POD_SECURITY),
  serviceAccountName: warn('steps run without Kubernetes credentials'),
  automountServiceAccountToken: ignore,
  executor: warn('steps run without Kubernetes credentials'),
  metrics: warn('Prometheus metrics of templates are not emitted'),
  hostAliases: warn('steps use the host network'),
  schedulerName: warn('there is one scheduler'),
  memoize: ok,
  synchronization: struct({ mutexes: ok, semaphores: ok, mutex: ok, semaphore: ok }),
  daemon: ok,
  sidecars: struct({ ...CONTAINER, mirrorVolumeMounts: ok }),
  initContainers: struct({ ...CONTAINER, mirrorVolumeMounts: ok }),
  resource: struct({
    action: onlyValues(['get', 'create', 'apply', 'replace', 'patch', 'delete'], 'get, create, apply, replace, patch or delete'),
    manifest: ok,
    manifestFrom: reject('write the manifest inline'),
    successCondition: ok,
    failureCondition: ok,
    setOwnerReference: ok,
    mergeStrategy: onlyValues(['strategic', 'merge', 'json'], 'strategic, merge or json'),
    flags: ok,
  }),
  http: reject(),
  data: reject(),
  containerSet: struct({
    containers: struct({ ...CONTAINER, dependencies: ok }),
    volumeMounts: ok,
    retryStrategy: reject('retries of single containers in a set are not supported; set retryStrategy on the template'),
  }),
  plugin: reject(),
  podSpecPatch: PATCH_TEXT,
  archiveLocation: struct({ archiveLogs: ok }),
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
  archiveLogs: ok,
  automountServiceAccountToken: ignore,
  serviceAccountName: warn('steps run without Kubernetes credentials'),
  executor: warn('steps run without Kubernetes credentials'),
  securityContext: struct(POD_SECURITY),
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
  podSpecPatch: PATCH_TEXT,
  hostNetwork: rejectTrue(),
};

const CRON_WORKFLOW_SPEC: Shape = {
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
};

function argoValidation(schema: KindValidation['schema'], kind: string, spec: Shape): KindValidation {
  return { schema, schemaView: argoSchemaView, support: objectShape(spec), semantics: (obj) => checkArgo(obj, kind) };
}

export const VALIDATION: Readonly<Record<string, KindValidation>> = {
  Workflow: argoValidation(Workflow, 'Workflow', ARGO_WORKFLOW_SPEC),
  WorkflowTemplate: argoValidation(WorkflowTemplate, 'WorkflowTemplate', ARGO_WORKFLOW_SPEC),
  ClusterWorkflowTemplate: argoValidation(ClusterWorkflowTemplate, 'ClusterWorkflowTemplate', ARGO_WORKFLOW_SPEC),
  CronWorkflow: argoValidation(CronWorkflow, 'CronWorkflow', CRON_WORKFLOW_SPEC),
};
