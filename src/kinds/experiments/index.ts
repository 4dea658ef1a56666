/**
 * Katib Experiments (kubeflow.org/v1beta1): an Experiment asks its search algorithm (src/tuning)
 * for assignments and runs one Trial per assignment, each a Job whose metrics are collected into
 * the observation log. The controllers are the server's half (./server.ts).
 *
 *   import { experiments } from './kinds/experiments/index.js'; // listed in src/registry.ts
 */
import { defineKind } from '../../api/kinds.js';
import type { KindFamily } from '../types.js';
import { experimentPrinter, suggestionPrinter, trialPrinter } from './cli/columns.js';
import { experimentDescriber, trialDescriber } from './cli/describe.js';
import { experimentWait, trialWait } from './cli/status.js';
import { KATIB_API_VERSION } from './types.js';

export const experiments: KindFamily = {
  name: 'experiments',
  kinds: [
    { info: defineKind(KATIB_API_VERSION, 'Experiment', 'experiments'), printer: experimentPrinter, describer: experimentDescriber, wait: experimentWait },
    // Trials are made by their Experiment's controller, as in Katib (users do not apply them).
    { info: defineKind(KATIB_API_VERSION, 'Trial', 'trials', { userCreatable: false }), printer: trialPrinter, describer: trialDescriber, wait: trialWait },
    // What each experiment's algorithm was asked and answered, as Katib's SDK reads it (./suggestion.ts).
    { info: defineKind(KATIB_API_VERSION, 'Suggestion', 'suggestions', { userCreatable: false }), printer: suggestionPrinter },
  ],
  server: async () => (await import('./server.js')).experimentsServer,
};
