/**
 * Kubeflow Training Operator v1 jobs (kubeflow.org/v1 PyTorchJob, TFJob): replicas as pods with the
 * environment each framework expects, placed as one gang, with the operator's status and policies.
 * The controller is the server's half (./server.ts).
 *
 *   import { training } from './kinds/training/index.js'; // listed in src/registry.ts
 */
import { defineKind } from '../../api/kinds.js';
import type { KindFamily } from '../types.js';
import { trainingPrinter } from './cli/columns.js';
import { trainingDescriber } from './cli/describe.js';
import { PYTORCH, TENSORFLOW, TRAINING_API_VERSION, TRAINING_LABELS } from './types.js';

/** `logs pytorchjob/NAME`: every replica, prefixed. */
const replicaLogs = { selector: (name: string) => `${TRAINING_LABELS.jobName}=${name}` };

export const PYTORCHJOB_KIND = defineKind(TRAINING_API_VERSION, 'PyTorchJob', 'pytorchjobs', { categories: ['all', 'kubeflow'] });
export const TFJOB_KIND = defineKind(TRAINING_API_VERSION, 'TFJob', 'tfjobs', { categories: ['all', 'kubeflow'] });

export const training: KindFamily = {
  name: 'training',
  kinds: [
    { info: PYTORCHJOB_KIND, printer: trainingPrinter(PYTORCH.specsField), describer: trainingDescriber(PYTORCH.specsField), logs: replicaLogs },
    { info: TFJOB_KIND, printer: trainingPrinter(TENSORFLOW.specsField), describer: trainingDescriber(TENSORFLOW.specsField), logs: replicaLogs },
  ],
  server: async () => (await import('./server.js')).trainingServer,
};
