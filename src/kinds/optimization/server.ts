/** The server's half of OptimizationJobs: validation and the controller. */
import type { FamilyServer } from '../types.js';
import { OptimizationJobController } from './controller.js';
import { OPTIMIZATION_VALIDATION } from './validate.js';

export const optimizationServer: FamilyServer = {
  validation: OPTIMIZATION_VALIDATION,
  // Trials run `python train.py` from the manifest's directory, as a Job's containers do.
  admission: { OptimizationJob: { sourceDir: true } },
  controllers: ({ store, clock, logger, admit }) => [new OptimizationJobController({ store, clock, logger: logger.child({ component: 'optimizationjob-controller' }), admit })],
};
