/**
 * Kubeflow Training Operator v1 jobs (kubeflow.org/v1 PyTorchJob, TFJob, XGBoostJob, JAXJob, PaddleJob), the
 * MPI Operator's MPIJob (kubeflow.org/v2beta1), and
 * Kubeflow Trainer v2's TrainJob with its (Cluster)TrainingRuntimes (trainer.kubeflow.org/v1alpha1): replicas as pods with the
 * environment each framework expects, placed as one gang, with the operator's status and policies.
 * The controller is the server's half (./server.ts).
 *
 *   import { training } from './kinds/training/index.js'; // listed in src/registry.ts
 */
import { defineKind } from '../../api/kinds.js';
import type { KindFamily } from '../types.js';
import { ageColumn, nameColumn } from '../../print/columns.js';
import { trainingPrinter, trainingState } from './cli/columns.js';
import { JOBSET_LABELS, TRAINER_API_VERSION } from './trainjob.js';
import { trainingDescriber } from './cli/describe.js';
import { FRAMEWORKS, TRAINING_API_VERSION, TRAINING_LABELS } from './types.js';

/** `logs pytorchjob/NAME`: every replica, prefixed. */
const replicaLogs = { selector: (name: string) => `${TRAINING_LABELS.jobName}=${name}` };


/** The PyTorchJob kind, for families that run one (Katib trials). */
export const PYTORCHJOB_KIND = defineKind(TRAINING_API_VERSION, 'PyTorchJob', 'pytorchjobs');

export const training: KindFamily = {
  name: 'training',
  kinds: [
    ...FRAMEWORKS.map((fw) => ({
    info: fw.kind === 'PyTorchJob' ? PYTORCHJOB_KIND : defineKind(TRAINING_API_VERSION, fw.kind, fw.plural),
    printer: trainingPrinter(fw.specsField),
    describer: trainingDescriber(fw.specsField),
    logs: replicaLogs,
  })),
    // The MPI Operator v2: the same columns over mpiReplicaSpecs; logs of the launcher and workers.
    {
      info: defineKind('kubeflow.org/v2beta1', 'MPIJob', 'mpijobs'),
      printer: trainingPrinter('mpiReplicaSpecs'),
      describer: trainingDescriber('mpiReplicaSpecs'),
      logs: replicaLogs,
    },
    // The Training Operator v1's MPIJob: the same resource (stored as v2beta1, read back as v1).
    {
      info: defineKind('kubeflow.org/v1', 'MPIJob', 'mpijobs'),
      printer: trainingPrinter('mpiReplicaSpecs'),
      describer: trainingDescriber('mpiReplicaSpecs'),
      logs: replicaLogs,
    },
    // Kubeflow Trainer v2.
    {
      info: defineKind(TRAINER_API_VERSION, 'TrainJob', 'trainjobs'),
      printer: { columns: [nameColumn, { header: 'STATE', cell: trainingState }, { header: 'NODES', cell: (o) => String((o as { spec?: { trainer?: { numNodes?: number } } }).spec?.trainer?.numNodes ?? '') }, { header: 'PROGRESS %', cell: (o) => String((o as { status?: { trainerStatus?: { progressPercentage?: number } } }).status?.trainerStatus?.progressPercentage ?? '') }, ageColumn] },
      logs: { selector: (name: string) => `${JOBSET_LABELS.jobSetName}=${name}` },
    },
    { info: defineKind(TRAINER_API_VERSION, 'TrainingRuntime', 'trainingruntimes', { hasStatus: false }) },
    { info: defineKind(TRAINER_API_VERSION, 'ClusterTrainingRuntime', 'clustertrainingruntimes', { namespaced: false, hasStatus: false }) },
  ],
  server: async () => (await import('./server.js')).trainingServer,
};
