/**
 * batch/v1 Job controller.
 *
 *   const jobs = new JobController({ store, clock, logger, backoffBaseMs: 10_000 });
 *   await jobs.start();
 */
export { JobController, type JobControllerOptions } from './controller.js';
export { backoffDelayMs, judgeFailedPod, formatIndexes, jobFinished } from './policy.js';
