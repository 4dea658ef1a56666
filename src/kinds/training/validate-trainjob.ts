/**
 * How Kubeflow Trainer v2 objects (trainer.kubeflow.org/v1alpha1 TrainJob, TrainingRuntime,
 * ClusterTrainingRuntime) are validated: the CRDs' structure field by field, the parts Drover does
 * not run refused by name, and every pod-shaped piece (the runtime's templates, the pod parts of a
 * TrainJob's runtimePatches / podTemplateOverrides) checked as a Pod is, re-rooted so errors carry
 * file:line. What needs the runtime and the job together (a patch naming a job the runtime lacks, a
 * reserved variable in trainer.env) is the controller's to say (trainjob-runtime.ts).
 */
import { defineKind } from '../../api/kinds.js';
import { type FieldPath, type Finding, formatPath, isRecord } from '../../api/fieldpath.js';
import { type KindValidation, checkKind } from '../../api/manifests.js';
import { ok } from '../../api/support.js';
import { type StructSpec, S_BOOLEAN, S_INTEGER, S_STRING, field as f, object as obj, rejectedField as rejected, walkStructure } from '../../api/structure.js';
import { VALIDATION as CORE_VALIDATION } from '../core/validate.js';
import { type Ctx, DNS_1035, checkTemplate, report } from './validate.js';

const STRING = S_STRING;
const INTEGER = S_INTEGER;
const BOOLEAN = S_BOOLEAN;
const ANY: StructSpec = { t: 'any' };
const ENV_LIST: StructSpec = { t: 'array', items: ANY };
const STRING_MAP: StructSpec = { t: 'map', values: STRING };
/** ObjectMeta where the trainer takes only labels and annotations. */
const META: StructSpec = obj({ labels: f(STRING_MAP), annotations: f(STRING_MAP) });

const INIT_CONTAINERS_REFUSED = 'a runtime patch cannot add init containers yet';

/** PodSpecPatch (v2.2+) / PodTemplateSpecOverride's spec (v2.1): the pod fields a TrainJob may patch. */
const podSpecPatch = (v21: boolean): StructSpec => obj({
  serviceAccountName: f(STRING),
  nodeSelector: f(STRING_MAP),
  affinity: f(ANY),
  tolerations: f({ t: 'array', items: ANY }),
  volumes: f({ t: 'array', items: ANY }),
  initContainers: rejected(INIT_CONTAINERS_REFUSED),
  containers: f({ t: 'array', items: obj({ name: f(STRING, { required: true }), env: f(ENV_LIST), volumeMounts: f({ t: 'array', items: ANY }), ...(v21 ? {} : { securityContext: f(ANY) }) }) }),
  imagePullSecrets: f({ t: 'array', items: obj({ name: f(STRING, { required: true }) }) }),
  schedulingGates: rejected('nothing here lifts scheduling gates (Kueue does on a cluster), so the pods would never start'),
  ...(v21 ? {} : { securityContext: f(ANY), terminationGracePeriodSeconds: f(INTEGER, { min: 0 }) }),
});

const RUNTIME_PATCH: StructSpec = obj({
  manager: f(STRING, { required: true }),
  time: f(STRING),
  trainingRuntimeSpec: f(obj({
    template: f(obj({
      metadata: f(META),
      spec: f(obj({
        replicatedJobs: f({ t: 'array', items: obj({
          name: f(STRING, { required: true }),
          template: f(obj({ metadata: f(META), spec: f(obj({ template: f(obj({ metadata: f(META), spec: f(podSpecPatch(false)) })) })) })),
        }) }),
      })),
    })),
  })),
});

const POD_TEMPLATE_OVERRIDE: StructSpec = obj({
  targetJobs: f({ t: 'array', items: obj({ name: f(STRING, { required: true }) }) }, { required: true }),
  metadata: f(META),
  spec: f(podSpecPatch(true)),
});

/** DatasetInitializer / ModelInitializer: what goes on the initializer's container. */
const INITIALIZER: StructSpec = obj({ storageUri: f(STRING), env: f(ENV_LIST), secretRef: f(obj({ name: f(STRING, { required: true }) })) });
const STORAGE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/.+$/;

const TRAINJOB_SPEC: StructSpec = obj({
  runtimeRef: f(obj({
    name: f(STRING, { required: true }),
    apiGroup: f({ t: 'enum', values: ['trainer.kubeflow.org'] }),
    kind: f({ t: 'enum', values: ['ClusterTrainingRuntime', 'TrainingRuntime'] }),
  }), { required: true }),
  trainer: f(obj({
    image: f(STRING),
    command: f({ t: 'array', items: STRING }),
    args: f({ t: 'array', items: STRING }),
    env: f(ENV_LIST),
    numNodes: f(INTEGER, { min: 1 }),
    // An integer since v2.2; v2.1's "auto"/"cpu"/"gpu" strings are still taken.
    numProcPerNode: f({ t: 'intOrString' }),
    resourcesPerNode: f(ANY),
  })),
  suspend: f(BOOLEAN),
  managedBy: f({ t: 'enum', values: ['trainer.kubeflow.org/trainjob-controller'] }),
  labels: f(STRING_MAP, { warn: 'labels of the JobSet Drover does not make' }),
  annotations: f(STRING_MAP, { warn: 'annotations of the JobSet Drover does not make' }),
  initializer: f(obj({ dataset: f(INITIALIZER), model: f(INITIALIZER) })),
  runtimePatches: f({ t: 'array', items: RUNTIME_PATCH }),
  podTemplateOverrides: f({ t: 'array', items: POD_TEMPLATE_OVERRIDE }),
  podSpecOverrides: rejected('v2.0\'s podSpecOverrides are gone upstream: write runtimePatches (v2.2+) or podTemplateOverrides (v2.1)'),
  templateOverrides: rejected('template overrides are not implemented; use runtimePatches'),
  activeDeadlineSeconds: f(INTEGER, { min: 1 }),
});

const RUNTIME_SPEC: StructSpec = obj({
  mlPolicy: f(obj({
    numNodes: f(INTEGER, { min: 1 }),
    torch: f(obj({
      numProcPerNode: f({ t: 'intOrString' }),
      elasticPolicy: rejected('elastic TrainJobs are not implemented'),
      envInjection: rejected('PET_* reach the node container only'),
    })),
    mpi: f(obj({
      numProcPerNode: f(INTEGER, { min: 1 }),
      mpiImplementation: f({ t: 'enum', values: ['OpenMPI', ''] }),
      sshAuthMountPath: f(STRING),
      runLauncherAsNode: f(BOOLEAN),
    })),
    jax: f(obj({})),
    xgboost: f(obj({})),
    flux: rejected('Flux runtimes are not implemented (supported: torch, MPI, JAX, XGBoost, or no policy)'),
  })),
  podGroupPolicy: f(ANY, { warn: "the job's pods are gang-scheduled by Drover's own scheduler" }),
  template: f(obj({
    metadata: f(ANY),
    spec: f(obj({
      replicatedJobs: f({ t: 'array', items: obj({
        name: f(STRING, { required: true }),
        replicas: f(INTEGER, { min: 1 }),
        dependsOn: f({ t: 'array', items: obj({ name: f(STRING, { required: true }), status: f({ t: 'enum', values: ['Ready', 'Complete'] }, { required: true }) }) }),
        groupName: f(STRING),
        template: f(obj({
          metadata: f(ANY),
          spec: f(obj({
            template: f(ANY, { required: true }),
            backoffLimit: f(INTEGER, { min: 0 }),
            parallelism: f(INTEGER, { min: 1 }),
            completions: f(INTEGER),
            completionMode: f(STRING),
          }), { required: true }),
        }), { required: true }),
      }) }, { required: true }),
      network: f(obj({ subdomain: f(STRING), publishNotReadyAddresses: f(BOOLEAN), enableDNSHostnames: f(BOOLEAN) })),
      volumeClaimPolicies: f({ t: 'array', items: obj({
        templates: f({ t: 'array', items: obj({ metadata: f(obj({ name: f(STRING, { required: true }), labels: f(STRING_MAP), annotations: f(STRING_MAP) }), { required: true }), spec: f(ANY) }) }),
        retentionPolicy: f(obj({ whenDeleted: f({ t: 'enum', values: ['Delete', 'Retain'] }) })),
      }) }),
      successPolicy: f(obj({ operator: f({ t: 'enum', values: ['All', 'Any'] }), targetReplicatedJobs: f({ t: 'array', items: STRING }) })),
      failurePolicy: f(ANY, { warn: 'the TrainJob fails when a node does' }),
      startupPolicy: f(ANY, { warn: 'jobs start together, or as dependsOn says' }),
    }), { required: true }),
  }), { required: true }),
});

const POD_KIND = defineKind('v1', 'Pod', 'pods');
/** A manager is a domain-prefixed path, e.g. `kueue.x-k8s.io/manager` (upstream's IsDomainPrefixedPath). */
const DOMAIN_PREFIXED = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:@]+$/;

/**
 * The pod parts of a patch, checked as a Pod (core's schema and support table): a synthetic pod
 * holds them, containers only with what the patch gives; findings re-rooted at the patch.
 */
function checkPodSpecPatch(ctx: Ctx, patch: unknown, path: FieldPath): void {
  if (!isRecord(patch)) return;
  const containers = Array.isArray(patch['containers']) ? patch['containers'] : [];
  const pieces: Record<string, unknown> = {};
  for (const k of ['serviceAccountName', 'nodeSelector', 'affinity', 'tolerations', 'volumes', 'imagePullSecrets', 'securityContext', 'terminationGracePeriodSeconds']) {
    if (patch[k] !== undefined) pieces[k] = patch[k];
  }
  const podContainers = containers.map((c) => (isRecord(c) ? { ...c, image: 'patch' } : c));
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'patch' }, spec: { ...pieces, containers: podContainers.length ? podContainers : [{ name: 'patch', image: 'patch' }] } };
  for (const x of checkKind(pod, POD_KIND, CORE_VALIDATION['Pod']!)) {
    if (x.path[0] !== 'spec') continue;
    // A mount of a volume the runtime has is not this patch's error; nor the lone stand-in container.
    if (/volumeMounts.*not found|no volume named|not a volume/i.test(x.message)) continue;
    if (x.path[1] === 'containers' && containers.length === 0) continue;
    const full = [...path, ...x.path.slice(1)];
    ctx.findings.push({ ...x, path: full, message: x.message.split(formatPath(x.path)).join(formatPath(full)) });
  }
}

function checkTrainJob(o: Record<string, unknown>): Finding[] {
  const ctx: Ctx = { findings: [] };
  const name = isRecord(o['metadata']) ? o['metadata']['name'] : undefined;
  if (typeof name === 'string' && !DNS_1035.test(name)) report(ctx, ['metadata', 'name'], `metadata.name must match RFC 1035 DNS label format, got ${JSON.stringify(name)}`);
  if (o['spec'] === undefined) report(ctx, ['spec'], 'required field "spec" is missing', 'parent');
  else checkTrainJobSpec(ctx, o['spec']);
  return ctx.findings;
}

function checkTrainJobSpec(ctx: Ctx, spec: unknown): void {
  walkStructure(ctx.findings, spec, TRAINJOB_SPEC, ['spec']);
  if (!isRecord(spec)) return;
  const init = spec['initializer'];
  for (const step of ['dataset', 'model']) {
    const uri = isRecord(init) && isRecord(init[step]) ? init[step]['storageUri'] : undefined;
    if (typeof uri === 'string' && uri !== '' && !STORAGE_URI.test(uri)) report(ctx, ['spec', 'initializer', step, 'storageUri'], `storageUri may be empty, or it must be a valid URI (scheme://...), got ${JSON.stringify(uri)}`);
  }
  const patches = spec['runtimePatches'];
  if (Array.isArray(patches)) {
    if (patches.length > 16) report(ctx, ['spec', 'runtimePatches'], `must have at most 16 items, got ${patches.length}`);
    const managers = new Set<string>();
    patches.forEach((p, i) => {
      if (!isRecord(p)) return;
      const path = ['spec', 'runtimePatches', i];
      const m = p['manager'];
      if (typeof m === 'string') {
        if (!DOMAIN_PREFIXED.test(m)) report(ctx, [...path, 'manager'], `must be a domain-prefixed path (such as "acme.io/foo"), got ${JSON.stringify(m)}`);
        if (managers.has(m)) report(ctx, [...path, 'manager'], `duplicate manager ${JSON.stringify(m)}: patches are keyed by manager`);
        managers.add(m);
      }
      const rt = isRecord(p['trainingRuntimeSpec']) ? p['trainingRuntimeSpec'] : undefined;
      const tmpl = rt && isRecord(rt['template']) ? rt['template'] : undefined;
      const jobs = tmpl && isRecord(tmpl['spec']) && Array.isArray(tmpl['spec']['replicatedJobs']) ? tmpl['spec']['replicatedJobs'] : [];
      jobs.forEach((j, k) => {
        const jt = isRecord(j) && isRecord(j['template']) && isRecord(j['template']['spec']) && isRecord(j['template']['spec']['template']) ? j['template']['spec']['template'] : undefined;
        const jpath = [...path, 'trainingRuntimeSpec', 'template', 'spec', 'replicatedJobs', k, 'template', 'spec', 'template', 'spec'];
        if (jt) checkPodSpecPatch(ctx, jt['spec'], jpath);
      });
    });
  }
  const overrides = spec['podTemplateOverrides'];
  if (Array.isArray(overrides)) overrides.forEach((o, i) => isRecord(o) && checkPodSpecPatch(ctx, o['spec'], ['spec', 'podTemplateOverrides', i, 'spec']));
}

function checkRuntime(o: Record<string, unknown>): Finding[] {
  const ctx: Ctx = { findings: [] };
  const spec = o['spec'];
  if (spec === undefined) {
    report(ctx, ['spec'], 'required field "spec" is missing', 'parent');
    return ctx.findings;
  }
  walkStructure(ctx.findings, spec, RUNTIME_SPEC, ['spec']);
  const policy = isRecord(spec) && isRecord(spec['mlPolicy']) ? spec['mlPolicy'] : undefined;
  const policies = ['torch', 'mpi', 'jax', 'xgboost', 'flux'].filter((k) => policy?.[k] !== undefined);
  if (policies.length > 1) report(ctx, ['spec', 'mlPolicy'], `Only one of the policy can be configured, got ${policies.join(', ')}`, 'key');
  const jobs = isRecord(spec) && isRecord(spec['template']) && isRecord(spec['template']['spec']) ? spec['template']['spec']['replicatedJobs'] : undefined;
  if (!Array.isArray(jobs)) return ctx.findings;
  const names = jobs.map((j) => (isRecord(j) ? j['name'] : undefined));
  const mpi = policies.includes('mpi');
  if (!names.includes('node')) report(ctx, ['spec', 'template', 'spec', 'replicatedJobs'], 'a replicated job named "node" (the trainer) is required', 'key');
  if (mpi && !names.includes('launcher')) report(ctx, ['spec', 'template', 'spec', 'replicatedJobs'], 'an MPI runtime needs a replicated job named "launcher" (it runs mpirun) beside "node"', 'key');
  jobs.forEach((j, i) => {
    if (!isRecord(j)) return;
    const path = ['spec', 'template', 'spec', 'replicatedJobs', i];
    const supported = ['node', 'dataset-initializer', 'model-initializer', ...(mpi ? ['launcher'] : [])];
    if (!supported.includes(j['name'] as string)) {
      report(ctx, [...path, 'name'], `replicated job ${JSON.stringify(j['name'])} is not supported by Drover yet (it runs "node", "dataset-initializer" and "model-initializer"${mpi ? ', and "launcher" under MPI' : ''})`);
    }
    const deps = Array.isArray(j['dependsOn']) ? j['dependsOn'] : [];
    deps.forEach((d, k) => {
      if (isRecord(d) && typeof d['name'] === 'string' && !names.includes(d['name'])) report(ctx, [...path, 'dependsOn', k, 'name'], `no replicated job named ${JSON.stringify(d['name'])} in this runtime`);
    });
    const tmpl = isRecord(j['template']) && isRecord(j['template']['spec']) ? j['template']['spec']['template'] : undefined;
    if (tmpl !== undefined) checkTemplate(ctx, tmpl, [...path, 'template', 'spec', 'template']);
  });
  // A mount of a volumeClaimPolicies template's name gets that claim as its volume.
  const claimed = new Set<string>();
  const claimPolicies = isRecord(spec) && isRecord(spec['template']) && isRecord(spec['template']['spec']) ? spec['template']['spec']['volumeClaimPolicies'] : undefined;
  for (const p of Array.isArray(claimPolicies) ? claimPolicies : []) {
    for (const t of isRecord(p) && Array.isArray(p['templates']) ? p['templates'] : []) {
      if (isRecord(t) && isRecord(t['metadata']) && typeof t['metadata']['name'] === 'string') claimed.add(t['metadata']['name']);
    }
  }
  return ctx.findings.filter((x) => !Array.from(claimed).some((n) => x.message.includes(`no volume named ${JSON.stringify(n)}`)));
}

const FREE_TOP = { apiVersion: ok, kind: ok, metadata: ok, status: ok, spec: ok };

export const TRAINER_VALIDATION: Readonly<Record<string, KindValidation>> = {
  TrainJob: { support: FREE_TOP, name: { maxLength: 63 }, semantics: checkTrainJob },
  TrainingRuntime: { support: FREE_TOP, semantics: checkRuntime },
  ClusterTrainingRuntime: { support: FREE_TOP, semantics: checkRuntime },
};

/** The findings of a TrainJob's spec alone (paths from `spec`): for kinds that hold one as a template. */
export function trainJobSpecFindings(spec: unknown): Finding[] {
  const ctx: Ctx = { findings: [] };
  checkTrainJobSpec(ctx, spec);
  return ctx.findings;
}
