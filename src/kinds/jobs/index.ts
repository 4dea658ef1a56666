/**
 * batch/v1 Jobs: a Job runs Pods until enough succeed, with Kubernetes' back-off, deadlines,
 * indexes and pod failure policy.
 *
 *   import { jobs } from './kinds/jobs/index.js'; // listed in src/registry.ts
 *   const { controllers } = await jobs.server();
 */
import { defineKind } from '../../api/kinds.js';
import type { KindFamily } from '../types.js';
import { jobPrinter } from './cli/columns.js';
import { jobDescriber } from './cli/describe.js';
import { jobWait } from './cli/wait.js';

export const JOB_KIND = defineKind('batch/v1', 'Job', 'jobs', { categories: ['all'] });

export const jobs: KindFamily = {
  name: 'jobs',
  kinds: [{ info: JOB_KIND, printer: jobPrinter, describer: jobDescriber, wait: jobWait }],
  server: async () => (await import('./server.js')).jobsServer,
};
