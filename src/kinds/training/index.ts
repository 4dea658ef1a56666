/**
 * Kubeflow Training Operator v1 jobs (kubeflow.org/v1 PyTorchJob, TFJob, XGBoostJob, JAXJob): replicas as pods with the
 * environment each framework expects, placed as one gang, with the operator's status and policies.
 * The controller is the server's half (./server.ts).
 *
 *   import { training } from './kinds/training/index.js'; // listed in src/registry.ts
 */
import { defineKind } from '../../api/kinds.js';
import type { KindFamily } from '../types.js';
import { trainingPrinter } from './cli/columns.js';
import { trainingDescriber } from './cli/describe.js';
import { FRAMEWORKS, TRAINING_API_VERSION, TRAINING_LABELS } from './types.js';

/** `logs pytorchjob/NAME`: every replica, prefixed. */
const replicaLogs = { selector: (name: string) => `${TRAINING_LABELS.jobName}=${name}` };


export const training: KindFamily = {
  name: 'training',
  kinds: FRAMEWORKS.map((fw) => ({
    info: defineKind(TRAINING_API_VERSION, fw.kind, fw.plural),
    printer: trainingPrinter(fw.specsField),
    describer: trainingDescriber(fw.specsField),
    logs: replicaLogs,
  })),
  server: async () => (await import('./server.js')).trainingServer,
};
