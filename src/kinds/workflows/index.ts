/**
 * Argo Workflows on Drover: Workflow, WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow
 * manifests run unchanged, each step a Pod through the same scheduler and runtime as Jobs. The
 * controllers and the engine are the server's half (./server.ts).
 *
 *   import { workflows } from './kinds/workflows/index.js'; // listed in src/registry.ts
 */
import { defineKind } from '../../api/kinds.js';
import type { KindFamily } from '../types.js';
import { cronWorkflowPrinter, workflowPrinter } from './cli/columns.js';
import { workflowDescriber } from './cli/describe.js';
import { workflowWait } from './cli/wait.js';

export const workflows: KindFamily = {
  name: 'workflows',
  kinds: [
    { info: defineKind('argoproj.io/v1alpha1', 'Workflow', 'workflows', { shortNames: ['wf'], statusRows: 'nodes' }), printer: workflowPrinter, describer: workflowDescriber, wait: workflowWait },
    { info: defineKind('argoproj.io/v1alpha1', 'WorkflowTemplate', 'workflowtemplates', { shortNames: ['wftmpl'] }) },
    { info: defineKind('argoproj.io/v1alpha1', 'ClusterWorkflowTemplate', 'clusterworkflowtemplates', { shortNames: ['cwftmpl', 'cwft'], namespaced: false }) },
    { info: defineKind('argoproj.io/v1alpha1', 'CronWorkflow', 'cronworkflows', { shortNames: ['cwf', 'cronwf'] }), printer: cronWorkflowPrinter },
  ],
  server: async () => (await import('./server.js')).workflowsServer,
};
