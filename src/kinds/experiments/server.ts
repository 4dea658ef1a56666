/** The server's half of the Katib family: validation, Katib's defaults and the experiment controllers. */
import { join } from 'node:path';
import type { FamilyServer } from '../types.js';
import { EXPERIMENT_ADMISSION } from './admission.js';
import { ExperimentController } from './controller.js';
import { trialMetrics } from './pushed-metrics.js';
import { VALIDATION } from './validate.js';
import { KATIB_LABELS } from './types.js';

export { ExperimentController, type ExperimentControllerOptions } from './controller.js';

export const experimentsServer: FamilyServer = {
  validation: VALIDATION,
  admission: { Experiment: EXPERIMENT_ADMISSION },
  subresources: { Trial: { metrics: { verbs: ['get', 'create'], handle: trialMetrics } } },
  /**
   * Katib's StdOut collector is a sidecar that re-prints the training output, and its SDK reads a
   * trial's log from it; Drover reads the training container itself, so that is the answer.
   */
  logContainer: (pod, container) =>
    container === 'metrics-logger-and-collector' && pod.metadata?.labels?.[KATIB_LABELS.trial] ? pod.spec?.containers[0]?.name : undefined,
  controllers: ({ store, runtime, clock, logger, config, admit, apiUrl, podToken }) => [
    new ExperimentController({ store, runtime, clock, logger: logger.child({ component: 'experiment-controller' }), filesDir: join(config.home, 'trials'), admit, apiUrl, podToken }),
  ],
};
