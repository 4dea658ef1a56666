/**
 * What a TrainJob's runtime becomes before any pod is made (pure): the runtime's JobSet template,
 * the TrainJob's runtimePatches (or v2.1's podTemplateOverrides) merged over it, then the ML
 * policy's plugin (torch, JAX, XGBoost, MPI, or none) and the `trainer` block, in the order the
 * trainer controller applies them (patches, then policy, then trainer fields), as pod sets: one per
 * replicated job, with its pod count and finished pod template. Facts from Kubeflow Trainer v2.3.
 */
import type { Container, EnvVar, PodSpec, Volume, VolumeMount } from '../../api/types.js';

/** The trainer's port for node-to-node traffic (constants.ContainerTrainerPort). */
export const TRAINER_PORT = 29500;
/** The replicated job and container the trainer runs (`constants.Node`). */
export const NODE = 'node';
export const LAUNCHER = 'launcher';
export const ANCESTOR_LABEL = 'trainer.kubeflow.org/trainjob-ancestor-step';
export const COMPLETION_INDEX_FIELD = "metadata.annotations['batch.kubernetes.io/job-completion-index']";

export const MPI_SSH_VOLUME = 'mpi-ssh-auth';
export const MPI_HOSTFILE_VOLUME = 'mpi-hostfile';
export const MPI_HOSTFILE_DIR = '/etc/mpi';
export const mpiSSHSecretName = (job: string): string => `${job}-mpi-ssh-auth`;
export const mpiHostfileName = (job: string): string => `${job}-mpi-hostfile`;
export const DATASET_INITIALIZER = 'dataset-initializer';
export const MODEL_INITIALIZER = 'model-initializer';
/** The volume an initializer writes to and the trainer reads from (jobset plugin's VolumeNameInitializer). */
export const INITIALIZER_VOLUME = 'initializer';
/** A claim JobSet makes from a volumeClaimPolicies template: `<template>-<jobset>`. */
export const sharedClaimName = (template: string, job: string): string => `${template}-${job}`;

/** Names a user may not set in `trainer.env` under each policy: the plugin owns them. */
export const RESERVED_ENV: Record<string, readonly string[]> = {
  torch: ['PET_NNODES', 'PET_NPROC_PER_NODE', 'PET_NODE_RANK', 'PET_MASTER_ADDR', 'PET_MASTER_PORT'],
  xgboost: ['DMLC_TRACKER_URI', 'DMLC_TRACKER_PORT', 'DMLC_TASK_ID', 'DMLC_NUM_WORKER'],
  mpi: ['OMPI_MCA_orte_default_hostfile', 'OMPI_MCA_plm_rsh_args', 'OMPI_MCA_orte_keep_fqdn_hostnames', 'OMPI_MCA_orte_set_default_slots'],
};

type Meta = { labels?: Record<string, string>; annotations?: Record<string, string> };
export interface PodTemplate { metadata?: Meta; spec?: PodSpec }
export interface ReplicatedJob {
  name: string;
  replicas?: number;
  dependsOn?: { name: string; status: 'Ready' | 'Complete' }[];
  template?: { metadata?: Meta; spec?: { backoffLimit?: number; parallelism?: number; completions?: number; template?: PodTemplate } };
}

export interface MPIPolicy { numProcPerNode?: number; mpiImplementation?: string; sshAuthMountPath?: string; runLauncherAsNode?: boolean }
export interface MLPolicy {
  numNodes?: number;
  torch?: { numProcPerNode?: number | string };
  jax?: Record<string, never>;
  xgboost?: Record<string, never>;
  mpi?: MPIPolicy;
}

export interface ClaimTemplate { metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> }
export interface VolumeClaimPolicy { templates?: ClaimTemplate[]; retentionPolicy?: { whenDeleted?: 'Delete' | 'Retain' } }

export interface JobSetSpec {
  replicatedJobs?: ReplicatedJob[];
  volumeClaimPolicies?: VolumeClaimPolicy[];
  network?: { subdomain?: string; publishNotReadyAddresses?: boolean; enableDNSHostnames?: boolean };
  successPolicy?: { operator?: 'All' | 'Any'; targetReplicatedJobs?: string[] };
}

export interface Trainer {
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  numNodes?: number;
  numProcPerNode?: number | string;
  resourcesPerNode?: Container['resources'];
}

/** One of `initializer.dataset` / `initializer.model`. */
export interface InitializerSpec { storageUri?: string; env?: EnvVar[]; secretRef?: { name: string } }
export interface Initializer { dataset?: InitializerSpec; model?: InitializerSpec }

/** A patch of one container (ContainerPatch): by name, env by name, volumeMounts by mountPath. */
export interface ContainerPatch { name: string; env?: EnvVar[]; volumeMounts?: VolumeMount[]; securityContext?: Container['securityContext'] }
export interface PodSpecPatch {
  serviceAccountName?: string;
  volumes?: Volume[];
  initContainers?: ContainerPatch[];
  containers?: ContainerPatch[];
  imagePullSecrets?: { name: string }[];
  securityContext?: PodSpec['securityContext'];
  nodeSelector?: Record<string, string>;
  affinity?: PodSpec['affinity'];
  tolerations?: PodSpec['tolerations'];
  schedulingGates?: { name: string }[];
  terminationGracePeriodSeconds?: number;
}
export interface ReplicatedJobPatch { name: string; template?: { metadata?: Meta; spec?: { template?: { metadata?: Meta; spec?: PodSpecPatch } } } }
/** v2.2+ `spec.runtimePatches[]`. */
export interface RuntimePatch {
  manager: string;
  time?: string;
  /** Where the patch came from, for errors (`spec.runtimePatches[0]`); Drover's own, never stored. */
  origin?: string;
  trainingRuntimeSpec?: { template?: { metadata?: Meta; spec?: { replicatedJobs?: ReplicatedJobPatch[] } } } }
/** v2.1 `spec.podTemplateOverrides[]`. */
export interface PodTemplateOverride { targetJobs?: { name: string }[]; metadata?: Meta; spec?: PodSpecPatch }

/** One replicated job, resolved: how many pods and the template each is made from. */
export interface PodSet {
  name: string;
  count: number;
  /** The job the `trainer` block targets (label trainjob-ancestor-step: trainer). */
  trainer: boolean;
  jobMeta: Meta;
  template: PodTemplate & { spec: PodSpec };
  backoffLimit: number;
  dependsOn: { name: string; status: 'Ready' | 'Complete' }[];
}

export interface Resolved {
  podSets: PodSet[];
  subdomain: string;
  publishNotReadyAddresses: boolean;
  success: { operator: 'All' | 'Any'; targets: string[] };
  /** The policy's name (`torch`, `jax`, `xgboost`, `mpi`), or none. */
  policy?: 'torch' | 'jax' | 'xgboost' | 'mpi';
  /** Under the MPI policy: the hostfile's text and slots. */
  mpi?: { hostfile: string; slots: number };
  /** Shared claims from volumeClaimPolicies: name, template, whether the job owns it (whenDeleted: Delete). */
  claims: { name: string; template: ClaimTemplate; owned: boolean }[];
}

/** Why a TrainJob cannot run on its runtime: what upstream's admission webhook would refuse. */
export class RuntimeMismatch extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

export function mergeEnv(base: EnvVar[] | undefined, over: readonly EnvVar[]): EnvVar[] {
  const out = [...(base ?? [])];
  for (const e of over) {
    const i = out.findIndex((x) => x.name === e.name);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/** Merge a list of objects keyed by `key`: same key replaced, others appended (a strategic merge's list rule, one level deep). */
function mergeBy<T>(base: T[] | undefined, over: readonly T[] | undefined, key: (t: T) => string | undefined): T[] | undefined {
  if (!over) return base;
  const out = [...(base ?? [])];
  for (const item of over) {
    const i = out.findIndex((x) => key(x) === key(item));
    if (i >= 0) out[i] = item;
    else out.push(item);
  }
  return out;
}

function mergeMeta(base: Meta | undefined, over: Meta | undefined): Meta | undefined {
  if (!over) return base;
  return {
    ...(base ?? {}),
    ...(over.labels ? { labels: { ...(base?.labels ?? {}), ...over.labels } } : {}),
    ...(over.annotations ? { annotations: { ...(base?.annotations ?? {}), ...over.annotations } } : {}),
  };
}

function patchContainers(list: Container[], patches: readonly ContainerPatch[] | undefined, job: string, what: string, origin: string): void {
  for (const p of patches ?? []) {
    const c = list.find((x) => x.name === p.name);
    if (!c) throw new RuntimeMismatch(origin, `must not have ${what} that doesn't exist in the runtime job ${job} (no ${what} named ${JSON.stringify(p.name)})`);
    if (p.env) c.env = mergeEnv(c.env, p.env);
    if (p.volumeMounts) c.volumeMounts = mergeBy(c.volumeMounts, p.volumeMounts, (m) => m.mountPath);
    if (p.securityContext) c.securityContext = { ...(c.securityContext ?? {}), ...p.securityContext };
  }
}

/** One PodSpecPatch over a pod spec, as the strategic merge upstream runs does for these fields. */
export function patchPodSpec(spec: PodSpec, patch: PodSpecPatch, job: string, origin = 'spec.runtimePatches'): void {
  if (patch.serviceAccountName !== undefined) spec.serviceAccountName = patch.serviceAccountName;
  if (patch.volumes) spec.volumes = mergeBy(spec.volumes, patch.volumes, (v) => v.name);
  if (patch.initContainers) patchContainers(spec.initContainers ?? [], patch.initContainers, job, 'initContainer', origin);
  patchContainers(spec.containers, patch.containers, job, 'container', origin);
  if (patch.imagePullSecrets) spec.imagePullSecrets = mergeBy(spec.imagePullSecrets, patch.imagePullSecrets, (s) => s.name);
  if (patch.securityContext) spec.securityContext = { ...(spec.securityContext ?? {}), ...patch.securityContext };
  if (patch.nodeSelector) spec.nodeSelector = { ...(spec.nodeSelector ?? {}), ...patch.nodeSelector };
  if (patch.affinity) spec.affinity = { ...(spec.affinity ?? {}), ...patch.affinity };
  // A plain list in PodSpec: replaced whole.
  if (patch.tolerations) spec.tolerations = patch.tolerations;
  if (patch.schedulingGates) spec.schedulingGates = mergeBy(spec.schedulingGates, patch.schedulingGates, (g) => g.name);
  if (patch.terminationGracePeriodSeconds !== undefined) spec.terminationGracePeriodSeconds = patch.terminationGracePeriodSeconds;
}

/** v2.1's podTemplateOverrides as the runtimePatches they became in v2.2 (one patch per override). */
export function overridesAsPatches(overrides: readonly PodTemplateOverride[] | undefined): RuntimePatch[] {
  return (overrides ?? []).map((o, i) => ({
    manager: `podTemplateOverrides[${i}]`,
    origin: `spec.podTemplateOverrides[${i}]`,
    trainingRuntimeSpec: { template: { spec: { replicatedJobs: (o.targetJobs ?? []).map((t) => ({ name: t.name, template: { spec: { template: { ...(o.metadata ? { metadata: o.metadata } : {}), ...(o.spec ? { spec: o.spec } : {}) } } } })) } } },
  }));
}

/** The runtime's JobSet spec with the patches merged over it, in order. */
export function applyRuntimePatches(base: JobSetSpec, patches: readonly RuntimePatch[]): JobSetSpec {
  const spec = structuredClone(base);
  for (const p of patches) {
    const origin = p.origin ?? 'spec.runtimePatches';
    for (const rp of p.trainingRuntimeSpec?.template?.spec?.replicatedJobs ?? []) {
      const rj = spec.replicatedJobs?.find((r) => r.name === rp.name);
      if (!rj) throw new RuntimeMismatch(origin, `must not have replicated job that doesn't exist in the runtime job template (${JSON.stringify(rp.name)}; the runtime has ${(spec.replicatedJobs ?? []).map((r) => r.name).join(', ')})`);
      rj.template ??= {};
      const jm = mergeMeta(rj.template.metadata, rp.template?.metadata);
      if (jm) rj.template.metadata = jm;
      const pt = rp.template?.spec?.template;
      if (!pt) continue;
      rj.template.spec ??= {};
      rj.template.spec.template ??= {};
      const tmpl = rj.template.spec.template;
      const pm = mergeMeta(tmpl.metadata, pt.metadata);
      if (pm) tmpl.metadata = pm;
      if (pt.spec) {
        for (const c of pt.spec.containers ?? []) {
          if (c.env?.length && (c.name === NODE || c.name === 'dataset-initializer' || c.name === 'model-initializer')) {
            throw new RuntimeMismatch(origin, `must not have envs for the dataset-initializer, model-initializer, node containers (set the node's through spec.trainer.env)`);
          }
        }
        tmpl.spec ??= { containers: [] };
        patchPodSpec(tmpl.spec, pt.spec, rp.name, origin);
      }
    }
  }
  return spec;
}

/** GPUs per node as upstream counts them: the first resource whose name contains "gpu", requests before limits. */
export function gpusPerNode(res: Container['resources'] | undefined): number {
  const count = (list: Record<string, unknown> | undefined): number => {
    for (const [k, v] of Object.entries(list ?? {})) if (k.toLowerCase().includes('gpu')) return Number(v) || 0;
    return 0;
  };
  return count(res?.requests) || count(res?.limits);
}

/** CPUs per node as the torch plugin counts them: requests, else limits, rounded up as a Quantity's Value() is. */
export function cpusPerNode(res: Container['resources'] | undefined): number {
  const cores = (q: unknown): number => {
    if (q === undefined || q === null) return 0;
    const str = String(q);
    return Math.ceil(str.endsWith('m') ? Number(str.slice(0, -1)) / 1000 : Number(str)) || 0;
  };
  return cores(res?.requests?.['cpu']) || cores(res?.limits?.['cpu']);
}

function nodeContainer(spec: PodSpec): Container | undefined {
  return spec.containers.find((c) => c.name === NODE);
}

/** Resolve the runtime for one TrainJob; throws RuntimeMismatch where upstream's webhook would refuse the pair. */
export function resolveRuntime(job: { name: string; trainer?: Trainer; initializer?: Initializer; patches: readonly RuntimePatch[] }, runtime: { mlPolicy?: MLPolicy; template?: { spec?: JobSetSpec } }): Resolved {
  const policy = runtime.mlPolicy;
  const policyName = policy?.torch ? 'torch' : policy?.jax ? 'jax' : policy?.xgboost ? 'xgboost' : policy?.mpi ? 'mpi' : undefined;
  const trainer = job.trainer ?? {};
  for (const [i, e] of (trainer.env ?? []).entries()) {
    if (policyName && RESERVED_ENV[policyName]?.includes(e.name)) {
      throw new RuntimeMismatch(`spec.trainer.env[${i}]`, `must not have reserved envs: ${e.name} is set by the ${policyName} runtime`);
    }
  }
  const spec = applyRuntimePatches(runtime.template?.spec ?? {}, job.patches);
  const jobs = spec.replicatedJobs ?? [];
  const runLauncherAsNode = policy?.mpi?.runLauncherAsNode === true;
  const numNodes = trainer.numNodes ?? policy?.numNodes ?? 1;
  // The trainer's job is the one labelled so; a runtime without the label runs its `node` job as it.
  const labelled = jobs.some((r) => r.template?.metadata?.labels?.[ANCESTOR_LABEL] === 'trainer');
  const isTrainer = (r: ReplicatedJob) => (labelled ? r.template?.metadata?.labels?.[ANCESTOR_LABEL] === 'trainer' : r.name === NODE);
  const podSets: PodSet[] = jobs.map((r) => {
    const template = structuredClone(r.template?.spec?.template ?? {}) as PodTemplate;
    const t = { ...template, spec: template.spec ?? { containers: [] } };
    let count = r.template?.spec?.parallelism ?? 1;
    if (isTrainer(r) && policy) count = policy.numNodes ?? 1;
    return { name: r.name, count, trainer: isTrainer(r), jobMeta: r.template?.metadata ?? {}, template: t, backoffLimit: r.template?.spec?.backoffLimit ?? 6, dependsOn: r.dependsOn ?? [] };
  });
  applyInitializers(podSets, job.initializer);
  const claims = sharedClaims(spec, podSets, job.name);
  const trainerSet = podSets.find((p) => p.trainer);
  const nodeSet = podSets.find((p) => p.name === NODE);
  // numNodes: the trainer's job, except under MPI, where it counts the `node` job (less the launcher when it runs ranks).
  if (policyName === 'mpi') {
    if (!nodeSet || !podSets.some((p) => p.name === LAUNCHER)) throw new RuntimeMismatch('spec.runtimeRef', 'an MPI runtime needs replicated jobs named "launcher" and "node"');
    nodeSet.count = runLauncherAsNode ? Math.max(numNodes - 1, 1) : numNodes;
    // One launcher, whatever the runtime's numNodes says.
    podSets.find((p) => p.name === LAUNCHER)!.count = 1;
  } else if (trainerSet && trainer.numNodes !== undefined) {
    trainerSet.count = trainer.numNodes;
  }
  // resourcesPerNode merges over the node container's resources, key by key.
  for (const ps of podSets) {
    const c = nodeContainer(ps.template.spec);
    if (!c || !trainer.resourcesPerNode || !(ps.trainer || (runLauncherAsNode && ps.name === NODE))) continue;
    c.resources = {
      ...(c.resources ?? {}),
      ...(trainer.resourcesPerNode.limits ? { limits: { ...(c.resources?.limits ?? {}), ...trainer.resourcesPerNode.limits } } : {}),
      ...(trainer.resourcesPerNode.requests ? { requests: { ...(c.resources?.requests ?? {}), ...trainer.resourcesPerNode.requests } } : {}),
    };
  }
  // Its `node` container (a runtime without the ancestor label: its first, as Drover always took).
  const trainerC = trainerSet ? nodeContainer(trainerSet.template.spec) ?? (!labelled ? trainerSet.template.spec.containers[0] : undefined) : undefined;
  const resources = trainer.resourcesPerNode ?? (trainerC?.resources);
  const subdomain = spec.network?.subdomain ?? job.name;
  const master = `${job.name}-${NODE}-0-0.${job.name}`;
  const addPort = (c: Container) => {
    if (!c.ports?.some((p) => p.containerPort === TRAINER_PORT)) c.ports = [...(c.ports ?? []), { containerPort: TRAINER_PORT }];
  };
  const out: Resolved = {
    podSets,
    subdomain,
    publishNotReadyAddresses: spec.network?.publishNotReadyAddresses ?? true,
    success: { operator: spec.successPolicy?.operator ?? 'All', targets: spec.successPolicy?.targetReplicatedJobs?.length ? spec.successPolicy.targetReplicatedJobs : jobs.map((r) => r.name) },
    ...(policyName ? { policy: policyName } : {}),
    claims,
  };
  // The trainer's env first, then the policy's (upstream refuses a clash, above).
  if (trainerC) trainerC.env = mergeEnv(trainerC.env, trainer.env ?? []);
  const count = trainerSet?.count ?? 1;
  if (trainerC && policyName === 'torch') {
    let nproc = trainer.numProcPerNode ?? policy?.torch?.numProcPerNode ?? 'auto';
    // v2.2+: "auto" without GPUs is the node's CPUs (at least 1), as the torch plugin counts them.
    if (nproc === 'auto' && gpusPerNode(resources) === 0) nproc = Math.max(1, cpusPerNode(resources));
    trainerC.env = mergeEnv(trainerC.env, [
      { name: 'PET_NNODES', value: String(count) },
      { name: 'PET_NPROC_PER_NODE', value: String(nproc) },
      { name: 'PET_NODE_RANK', valueFrom: { fieldRef: { fieldPath: COMPLETION_INDEX_FIELD } } },
      { name: 'PET_MASTER_ADDR', value: master },
      { name: 'PET_MASTER_PORT', value: String(TRAINER_PORT) },
    ]);
    addPort(trainerC);
  } else if (trainerC && policyName === 'jax' && job.trainer) {
    trainerC.env = mergeEnv(trainerC.env, [
      { name: 'JAX_NUM_PROCESSES', value: String(count) },
      { name: 'JAX_PROCESS_ID', valueFrom: { fieldRef: { fieldPath: COMPLETION_INDEX_FIELD } } },
      { name: 'JAX_COORDINATOR_ADDRESS', value: `${master}:${TRAINER_PORT}` },
    ]);
    addPort(trainerC);
  } else if (trainerC && policyName === 'xgboost' && job.trainer) {
    // One worker per GPU, else one per node (XGBoost's threads use the node's CPUs).
    const perNode = gpusPerNode(resources) || 1;
    trainerC.env = mergeEnv(trainerC.env, [
      { name: 'DMLC_TRACKER_URI', value: master },
      { name: 'DMLC_TRACKER_PORT', value: String(TRAINER_PORT) },
      { name: 'DMLC_TASK_ID', valueFrom: { fieldRef: { fieldPath: COMPLETION_INDEX_FIELD } } },
      { name: 'DMLC_NUM_WORKER', value: String(count * perNode) },
    ]);
    addPort(trainerC);
  } else if (policyName === 'mpi') {
    out.mpi = applyMPI(job.name, policy!.mpi!, trainer, resources, podSets, subdomain);
  }
  // The trainer block's image, command and args; under MPI with runLauncherAsNode its env reaches the nodes too.
  for (const ps of podSets) {
    const c = nodeContainer(ps.template.spec) ?? (ps.trainer && !labelled ? ps.template.spec.containers[0] : undefined);
    if (!c) continue;
    if (ps.trainer) {
      if (trainer.image !== undefined) c.image = trainer.image;
      if (trainer.command !== undefined) c.command = trainer.command;
      if (trainer.args !== undefined) c.args = trainer.args;
      if (c !== trainerC) c.env = mergeEnv(c.env, trainer.env ?? []);
    } else if (runLauncherAsNode && ps.name === NODE) {
      c.env = mergeEnv(c.env, trainer.env ?? []);
    }
  }
  return out;
}

/**
 * The initializer jobs (labelled dataset-initializer / model-initializer): one pod each, and the
 * TrainJob's `initializer` block over their container of that name (STORAGE_URI, env, envFrom the
 * secretRef), with upstream's webhook rules on what the runtime must have.
 */
function applyInitializers(podSets: PodSet[], init: Initializer | undefined): void {
  for (const [step, spec] of [[DATASET_INITIALIZER, init?.dataset], [MODEL_INITIALIZER, init?.model]] as const) {
    const sets = podSets.filter((p) => p.jobMeta.labels?.[ANCESTOR_LABEL] === step);
    for (const ps of sets) ps.count = 1;
    if (!spec) continue;
    const what = step === DATASET_INITIALIZER ? 'datasetConfig' : 'modelConfig';
    const ps = podSets.find((p) => p.name === step);
    if (!ps) throw new RuntimeMismatch('spec.runtimeRef', `must have ${step} job when trainJob is configured with input ${what}`);
    const c = ps.template.spec.containers.find((x) => x.name === step);
    if (!c) throw new RuntimeMismatch('spec.runtimeRef', `must have container with name - ${step} in the ${step} job`);
    if (!c.volumeMounts?.some((m) => m.name === INITIALIZER_VOLUME)) throw new RuntimeMismatch('spec.runtimeRef', `must have volumeMount with name - ${INITIALIZER_VOLUME} in container ${step} of the ${step} job`);
    // Upstream applies the block to jobs labelled with the step; the check above names the job.
    for (const target of sets) {
      const k = target.template.spec.containers.find((x) => x.name === step);
      if (!k) continue;
      if (spec.storageUri !== undefined) k.env = mergeEnv(k.env, [{ name: 'STORAGE_URI', value: spec.storageUri }]);
      k.env = mergeEnv(k.env, spec.env ?? []);
      if (spec.secretRef) k.envFrom = [...(k.envFrom ?? []), { secretRef: { name: spec.secretRef.name } }];
    }
  }
}

/** volumeClaimPolicies: one claim per template, `<template>-<job>`, given to every pod that mounts a volume of the template's name. */
function sharedClaims(spec: JobSetSpec, podSets: PodSet[], job: string): Resolved['claims'] {
  const out: Resolved['claims'] = [];
  for (const policy of spec.volumeClaimPolicies ?? []) {
    for (const t of policy.templates ?? []) {
      const volume = t.metadata?.name;
      if (!volume) continue;
      const name = sharedClaimName(volume, job);
      out.push({ name, template: t, owned: policy.retentionPolicy?.whenDeleted !== 'Retain' });
      for (const ps of podSets) {
        const spec = ps.template.spec;
        const mounts = [...spec.containers, ...(spec.initContainers ?? [])].some((c) => c.volumeMounts?.some((m) => m.name === volume));
        if (mounts && !spec.volumes?.some((v) => v.name === volume)) spec.volumes = [...(spec.volumes ?? []), { name: volume, persistentVolumeClaim: { claimName: name } }];
      }
    }
  }
  return out;
}

/** The MPI plugin: slots, the key volume on every node container, the hostfile and OpenMPI's variables on the launcher. */
function applyMPI(job: string, mpi: MPIPolicy, trainer: Trainer, resources: Container['resources'] | undefined, podSets: PodSet[], subdomain: string): { hostfile: string; slots: number } {
  let slots = mpi.numProcPerNode ?? 1;
  if (typeof trainer.numProcPerNode === 'number') slots = trainer.numProcPerNode;
  else if (slots === 1 && gpusPerNode(resources) > 1) slots = gpusPerNode(resources);
  const mountPath = mpi.sshAuthMountPath ?? '/root/.ssh';
  const runLauncherAsNode = mpi.runLauncherAsNode === true;
  const lines: string[] = [];
  for (const ps of podSets) {
    if (ps.name !== NODE && ps.name !== LAUNCHER) continue;
    const spec = ps.template.spec;
    spec.volumes = mergeBy(spec.volumes, [{
      name: MPI_SSH_VOLUME,
      secret: {
        secretName: mpiSSHSecretName(job),
        defaultMode: 0o400,
        items: [
          { key: 'ssh-privatekey', path: 'id_rsa', mode: 0o640 },
          { key: 'ssh-publickey', path: 'id_rsa.pub', mode: 0o644 },
          { key: 'ssh-publickey', path: 'authorized_keys', mode: 0o644 },
        ],
      },
    }], (v) => v.name);
    if (ps.name === LAUNCHER) {
      spec.volumes = mergeBy(spec.volumes, [{ name: MPI_HOSTFILE_VOLUME, configMap: { name: mpiHostfileName(job), items: [{ key: 'hostfile', path: 'hostfile', mode: 0o444 }] } }], (v) => v.name);
    }
    const c = nodeContainer(spec);
    if (c) {
      c.volumeMounts = mergeBy(c.volumeMounts, [{ name: MPI_SSH_VOLUME, mountPath }], (m) => m.mountPath);
      if (ps.name === LAUNCHER) {
        c.volumeMounts = mergeBy(c.volumeMounts, [{ name: MPI_HOSTFILE_VOLUME, mountPath: MPI_HOSTFILE_DIR }], (m) => m.mountPath);
        c.env = mergeEnv(c.env, [
          { name: 'OMPI_MCA_orte_default_hostfile', value: `${MPI_HOSTFILE_DIR}/hostfile` },
          { name: 'OMPI_MCA_orte_keep_fqdn_hostnames', value: 'true' },
          { name: 'OMPI_MCA_orte_set_default_slots', value: String(slots) },
          { name: 'OMPI_MCA_plm_rsh_args', value: '-o ConnectionAttempts=10' },
        ]);
      }
    }
    // The hostfile lists the pods that run ranks, in the runtime's job order.
    if (ps.name === NODE || runLauncherAsNode) {
      for (let i = 0; i < ps.count; i++) lines.push(`${job}-${ps.name}-0-${i}.${subdomain} slots=${slots}`);
    }
  }
  return { hostfile: lines.map((l) => `${l}\n`).join(''), slots };
}
