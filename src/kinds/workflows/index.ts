/**
 * Argo Workflows on Drover: Workflow, WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow
 * manifests run unchanged, each step a Pod through the same scheduler and runtime as Jobs.
 *
 *   const io = new LocalStepIO(join(home, 'workflows'), openArtifactRepository(cfg, { home }));
 *   const workflows = new WorkflowController({ store, clock, logger, io });
 *   await workflows.start();
 */
export { WorkflowController, type WorkflowControllerOptions } from './controller.js';
export { runPass } from './pass.js';
export type { PassInput, PassResult, TemplateSource } from './operation.js';
export type { StepIO, CollectedOutputs, StepPodPlan, CollectRequest } from './io.js';
export { LocalStepIO } from './staging.js';
export { CronWorkflowController } from './cron.js';
export { nodeId, podName } from './names.js';
export * from './types.js';
