/**
 * Kubeflow Trainer's OptimizationJob (trainer.kubeflow.org/v1alpha1): hyperparameter search
 * whose trials are TrainJobs and whose metrics are what the trials push. The controller is the
 * server's half (./server.ts).
 *
 *   import { optimization } from './kinds/optimization/index.js'; // listed in src/registry.ts
 */
import { defineKind } from '../../api/kinds.js';
import { ageColumn, nameColumn, type KindPrinter } from '../../print/columns.js';
import type { KindFamily, KindWait } from '../types.js';
import { OPTIMIZATION_API_VERSION, type OptimizationJob } from './types.js';

const status = (o: Record<string, unknown>) => (o as unknown as OptimizationJob).status;
const spec = (o: Record<string, unknown>) => (o as unknown as OptimizationJob).spec;

const printer: KindPrinter = {
  columns: [
    nameColumn,
    { header: 'STATE', cell: (o) => status(o)?.phase ?? '' },
    { header: 'ALGORITHM', cell: (o) => spec(o)?.algorithm?.name ?? '' },
    { header: 'TRIALS', cell: (o) => { const s = status(o); return `${(s?.succeeded ?? 0) + (s?.failed ?? 0)}/${spec(o)?.trialConfig?.numTrials ?? 10}`; } },
    { header: 'BEST', cell: (o) => { const b = status(o)?.bestTrial; return b ? `${spec(o)?.objectives?.[0]?.metric}=${b.value}` : ''; } },
    ageColumn,
  ],
};

const wait: KindWait = {
  progress: (o) => { const s = (o as OptimizationJob).status; return `${s?.phase ?? 'Pending'}: ${s?.active ?? 0} active, ${s?.succeeded ?? 0} succeeded, ${s?.failed ?? 0} failed`; },
};

export const optimization: KindFamily = {
  name: 'optimization',
  kinds: [{ info: defineKind(OPTIMIZATION_API_VERSION, 'OptimizationJob', 'optimizationjobs'), printer, wait }],
  server: async () => (await import('./server.js')).optimizationServer,
};
