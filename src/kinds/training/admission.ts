/** What the training operator's defaulting webhook fills in, so `get -o yaml` shows what a cluster would. */
import type { KubeObject } from '../../api/types.js';
import type { KindAdmission } from '../types.js';
import type { TrainJob } from './trainjob.js';
import { type MPIJob, applyMPIDefaults } from './mpi.js';
import { MPI_V1_API_VERSION, admitV1MPIJob, mpiJobAsVersion } from './mpi-v1.js';
import { type Framework, type ReplicaSpec, type TrainingJob, FRAMEWORKS, defaultContainer } from './types.js';

function specsOf(fw: Framework, obj: KubeObject): Record<string, ReplicaSpec> {
  return ((obj as TrainingJob).spec?.[fw.specsField] ?? {}) as Record<string, ReplicaSpec>;
}

export function applyDefaults(fw: Framework, obj: KubeObject): void {
  const job = obj as TrainingJob;
  const spec = job.spec;
  spec.runPolicy ??= {};
  spec.runPolicy.cleanPodPolicy ??= fw.cleanPodPolicy;
  // Replica types in any case become the canonical spelling (`worker` → `Worker`).
  const specs = specsOf(fw, obj);
  for (const key of Object.keys(specs)) {
    const canonical = fw.replicaTypes.find((t) => t.toLowerCase() === key.toLowerCase());
    if (canonical && canonical !== key && specs[canonical] === undefined) {
      specs[canonical] = specs[key]!;
      delete specs[key];
    }
  }
  for (const replica of Object.values(specs)) {
    replica.replicas ??= 1;
    replica.restartPolicy ??= fw.restartPolicy;
    const c = defaultContainer(fw, replica.template?.spec?.containers ?? []);
    if (c && !c.ports?.some((p) => p.name === fw.portName)) c.ports = [...(c.ports ?? []), { name: fw.portName, containerPort: fw.port }];
  }
  if (fw.kind === 'PyTorchJob') {
    const elastic = spec.elasticPolicy;
    if (elastic) {
      const workers = specs['Worker']?.replicas;
      if (elastic.minReplicas === undefined && elastic.maxReplicas !== undefined) elastic.minReplicas = elastic.maxReplicas;
      else if (elastic.maxReplicas === undefined && elastic.minReplicas !== undefined) elastic.maxReplicas = elastic.minReplicas;
      else if (elastic.minReplicas === undefined && elastic.maxReplicas === undefined && workers !== undefined) {
        elastic.minReplicas = workers;
        elastic.maxReplicas = workers;
      }
    }
    if (!elastic || elastic.nProcPerNode === undefined) spec.nprocPerNode ??= 'auto';
  } else if (fw.kind === 'TFJob') {
    spec.successPolicy ??= '';
  }
}

function admission(fw: Framework): KindAdmission {
  return {
    sourceDir: true,
    podSpecs: (obj) => Object.entries(specsOf(fw, obj)).map(([type, r]) => ({ path: `spec.${fw.specsField}.${type}.template.spec`, spec: r?.template?.spec })),
    defaults: (obj) => applyDefaults(fw, obj),
  };
}

/** The trainer's webhook defaults for a TrainJob (runtimeRef's group and kind, suspend, managedBy). */
const TRAINJOB_ADMISSION: KindAdmission = {
  sourceDir: true,
  defaults(obj) {
    const spec = (obj as TrainJob).spec;
    if (!spec) return;
    if (spec.runtimeRef) {
      spec.runtimeRef.apiGroup ??= 'trainer.kubeflow.org';
      spec.runtimeRef.kind ??= 'ClusterTrainingRuntime';
    }
    spec.suspend ??= false;
    spec.managedBy ??= 'trainer.kubeflow.org/trainjob-controller';
  },
};

/** A runtime's pod template, held to the pod security policy where it is written. */
const RUNTIME_ADMISSION: KindAdmission = {
  podSpecs: (obj) =>
    ((obj as { spec?: { template?: { spec?: { replicatedJobs?: { template?: { spec?: { template?: { spec?: unknown } } } }[] } } } }).spec?.template?.spec?.replicatedJobs ?? []).map((j, i) => ({
      path: `spec.template.spec.replicatedJobs[${i}].template.spec.template.spec`,
      spec: j.template?.spec?.template?.spec,
    })),
};

/**
 * MPIJob: the operator's defaults (v2beta1's, or v1's then the conversion to the stored v2beta1
 * shape: mpi-v1.ts); both replicas' templates held to the pod security policy; reads at v1 convert back.
 */
const MPIJOB_ADMISSION: KindAdmission = {
  sourceDir: true,
  podSpecs: (obj) =>
    Object.entries((obj as MPIJob).spec?.mpiReplicaSpecs ?? {}).map(([type, r]) => ({ path: `spec.mpiReplicaSpecs.${type}.template.spec`, spec: r?.template?.spec })),
  needs: (obj) => (obj.apiVersion === MPI_V1_API_VERSION ? { need: 'podAccounts', why: "a kubeflow.org/v1 MPIJob's launcher execs into its workers under a ServiceAccount and Role its controller makes, which are not copied into the cluster (kubeflow.org/v2beta1 MPIJobs run there)" } : undefined),
  defaults: (obj) => (obj.apiVersion === MPI_V1_API_VERSION ? admitV1MPIJob(obj) : applyMPIDefaults(obj as MPIJob)),
  asVersion: mpiJobAsVersion,
};

export const TRAINING_ADMISSION: Readonly<Record<string, KindAdmission>> = {
  ...Object.fromEntries(FRAMEWORKS.map((fw) => [fw.kind, admission(fw)])),
  TrainJob: TRAINJOB_ADMISSION,
  MPIJob: MPIJOB_ADMISSION,
  TrainingRuntime: RUNTIME_ADMISSION,
  ClusterTrainingRuntime: RUNTIME_ADMISSION,
};
