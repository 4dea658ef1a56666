/** The server's half of the Argo family: validation, admission and the workflow controllers. */
import { join } from 'node:path';
import { openArtifactRepository } from '../../artifacts/index.js';
import { BadRequestError } from '../../api/errors.js';
import type { Controller, FamilyServer, KindAdmission, PodSpecAt, Subresource } from '../types.js';
import { WORKFLOW_ACTIONS, runWorkflowAction, type ActionBody, type WorkflowAction } from './actions.js';
import { CronWorkflowController } from './cron.js';
import { WorkflowController } from './controller.js';
import { LocalStepIO } from './staging.js';
import { VALIDATION } from './validate.js';

export { WorkflowController, type WorkflowControllerOptions } from './controller.js';
export { runPass } from './pass.js';
export type { PassInput, PassResult, TemplateSource } from './operation.js';
export type { StepIO, CollectedOutputs, StepPodPlan, CollectRequest } from './io.js';
export { LocalStepIO } from './staging.js';
export { CronWorkflowController } from './cron.js';
export { nodeId, podName } from './names.js';
export * from './types.js';

/**
 * Steps without workingDir start in the manifest's directory, as a Job's containers do; they
 * stage inputs and outputs in directories of the server's machine.
 */
const RUNS_STEPS: KindAdmission = {
  sourceDir: true,
  needs: () => ({ need: 'hostPaths', why: "workflow steps stage their inputs and outputs in directories of the server's machine" }),
  podSpecs: (obj) => stepPodSpecs(obj.spec, 'spec'),
};
const STEPS_IN_SOURCE_DIR: KindAdmission = { sourceDir: true, podSpecs: (obj) => stepPodSpecs(obj.spec, 'spec') };
const CRON: KindAdmission = { ...RUNS_STEPS, podSpecs: (obj) => stepPodSpecs(record(obj.spec)?.['workflowSpec'], 'spec.workflowSpec') };

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * Each container or script template as the pod it becomes (its securityContext, else the
 * workflow's; its volumes), plus the workflow's own volumes: what pod security admission checks.
 */
function stepPodSpecs(specValue: unknown, at: string): PodSpecAt[] {
  const spec = record(specValue);
  if (!spec) return [];
  const out: PodSpecAt[] = [{ path: at, spec: { volumes: spec['volumes'], securityContext: spec['securityContext'] }, containers: [] }];
  const templates = Array.isArray(spec['templates']) ? (spec['templates'] as unknown[]) : [];
  templates.forEach((t, i) => {
    const tpl = record(t);
    if (!tpl) return;
    const path = `${at}.templates[${i}]`;
    const which = tpl['container'] !== undefined ? 'container' : tpl['script'] !== undefined ? 'script' : undefined;
    // Every container the step's pod would run: the main one (or a set's), init containers, sidecars.
    const listed = (at: string, v: unknown) => (Array.isArray(v) ? v.map((container, j) => ({ path: `${path}.${at}[${j}]`, container })) : []);
    out.push({
      path,
      spec: { volumes: tpl['volumes'], securityContext: tpl['securityContext'] ?? spec['securityContext'] },
      containers: [
        ...(which ? [{ path: `${path}.${which}`, container: tpl[which] }] : []),
        ...listed('containerSet.containers', record(tpl['containerSet'])?.['containers']),
        ...listed('initContainers', tpl['initContainers']),
        ...listed('sidecars', tpl['sidecars']),
      ],
    });
  });
  return out;
}

/** `PUT …/workflows/NAME/{retry,resubmit,suspend,resume,stop,terminate}`, as Argo's server answers them. */
function action(name: WorkflowAction): Subresource {
  return {
    verbs: ['update'],
    handle: async ({ method, namespace, name: workflow, store, body, now }) => {
      if (method !== 'PUT') throw new BadRequestError(`method ${method} is not allowed on workflows/${name}`);
      return runWorkflowAction(store, namespace, workflow, name, ((await body()) ?? {}) as ActionBody, now());
    },
  };
}

export const workflowsServer: FamilyServer = {
  validation: VALIDATION,
  admission: { Workflow: RUNS_STEPS, CronWorkflow: CRON, WorkflowTemplate: STEPS_IN_SOURCE_DIR, ClusterWorkflowTemplate: STEPS_IN_SOURCE_DIR },
  subresources: { Workflow: Object.fromEntries(WORKFLOW_ACTIONS.map((a) => [a, action(a)])) },
  controllers: ({ store, clock, logger, config, kinds, admit, validate, runtime }) => {
    const artifacts = openArtifactRepository(config.artifactRepository, { home: config.home });
    const io = new LocalStepIO(join(config.home, 'workflows'), artifacts, join(config.home, 'claims'));
    const workflows = new WorkflowController({ store, clock, logger: logger.child({ component: 'workflow-controller' }), io, resources: { store, kinds, admit, validate }, podLogs: (pod, container) => runtime.logs(pod, { container }) });
    const cron = new CronWorkflowController({ store, clock, logger: logger.child({ component: 'cron-workflow-controller' }) });
    // The repository (an S3 client's sockets) lives as long as the controller that uses it.
    const repository: Controller = { start: async () => {}, stop: () => artifacts.close() };
    return [workflows, cron, repository];
  },
};
