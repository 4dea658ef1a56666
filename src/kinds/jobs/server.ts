/** The server's half of the Jobs family: validation, admission and the Job controller. */
import type { FamilyServer } from '../types.js';
import { JOB_ADMISSION } from './admission.js';
import { JobController } from './controller.js';
import { JOB_VALIDATION } from './validate.js';

export { JobController, type JobControllerOptions } from './controller.js';
export { backoffDelayMs, judgeFailedPod, formatIndexes, jobFinished } from './policy.js';
export { JOB_VALIDATION } from './validate.js';

export const jobsServer: FamilyServer = {
  validation: { Job: JOB_VALIDATION },
  admission: { Job: JOB_ADMISSION },
  controllers: ({ store, clock, logger, config }) => [
    new JobController({ store, clock, logger: logger.child({ component: 'job-controller' }), backoffBaseMs: config.jobs.backoffBaseMs, backoffMaxMs: config.jobs.backoffMaxMs }),
  ],
};
