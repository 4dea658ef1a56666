/**
 * Argo Workflows types (argoproj.io/v1alpha1), from the maintained `@kubernetes-models` package
 * rather than copies, under short names, plus the labels and annotations Argo puts on what it makes.
 */
import type { IWorkflow } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Workflow';
import type { IWorkflowTemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowTemplate';
import type { IClusterWorkflowTemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/ClusterWorkflowTemplate';
import type { ICronWorkflow } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/CronWorkflow';
import type { ObjectMeta } from '../../api/types.js';

export type { ITemplate as Template } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Template';
export type { IWorkflowSpec as WorkflowSpec } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowSpec';
export type { IWorkflowStatus as WorkflowStatus } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowStatus';
export type { INodeStatus as NodeStatus } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/NodeStatus';
export type { IDAGTask as DAGTask } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/DAGTask';
export type { IWorkflowStep as WorkflowStep } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowStep';
export type { IParameter as Parameter } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Parameter';
export type { IArtifact as Artifact } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Artifact';
export type { IArguments as Arguments } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Arguments';
export type { IInputs as Inputs } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Inputs';
export type { IOutputs as Outputs } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Outputs';
export type { IRetryStrategy as RetryStrategy } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/RetryStrategy';
export type { ICronWorkflowSpec as CronWorkflowSpec } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/CronWorkflowSpec';
export type { ICondition as WorkflowCondition } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Condition';
export type { ISequence as Sequence } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Sequence';
export type { ITemplateRef as TemplateRef } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/TemplateRef';
export type { ILifecycleHook as LifecycleHook } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/LifecycleHook';

/** The model types mark metadata read-only in places; Drover is the server and writes it. */
type Served<T> = Omit<T, 'metadata' | 'status'> & { apiVersion: string; kind: string; metadata: ObjectMeta; status?: Record<string, unknown> };

export type Workflow = Omit<Served<IWorkflow>, 'status'> & { status?: import('@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowStatus').IWorkflowStatus };
export type WorkflowTemplate = Served<IWorkflowTemplate>;
export type ClusterWorkflowTemplate = Served<IClusterWorkflowTemplate>;
export type CronWorkflow = Omit<Served<ICronWorkflow>, 'status'> & {
  status?: import('@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/CronWorkflowStatus').ICronWorkflowStatus;
};

export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';

export type WorkflowPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error';
export type NodePhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Skipped' | 'Omitted';
export type NodeType = 'Pod' | 'Steps' | 'StepGroup' | 'DAG' | 'TaskGroup' | 'Retry' | 'Skipped' | 'Suspend';

export const WF_LABELS = {
  workflow: 'workflows.argoproj.io/workflow',
  completed: 'workflows.argoproj.io/completed',
  phase: 'workflows.argoproj.io/phase',
  cronWorkflow: 'workflows.argoproj.io/cron-workflow',
  workflowTemplate: 'workflows.argoproj.io/workflow-template',
  clusterWorkflowTemplate: 'workflows.argoproj.io/cluster-workflow-template',
} as const;

export const WF_ANNOTATIONS = {
  nodeName: 'workflows.argoproj.io/node-name',
  nodeId: 'workflows.argoproj.io/node-id',
  /** Argo's CronWorkflow records the scheduled time of each workflow it starts. */
  scheduledTime: 'workflows.argoproj.io/scheduled-time',
} as const;

export function isFulfilledPhase(p: string | undefined): boolean {
  return p === 'Succeeded' || p === 'Failed' || p === 'Error' || p === 'Skipped' || p === 'Omitted';
}

/** A daemon step whose pod is up and ready: the steps after it go on while it runs (Argo's `daemoned`). */
export function isDaemoned(n: { daemoned?: boolean; phase?: string } | undefined): boolean {
  return n?.daemoned === true && n.phase === 'Running';
}

/** Done as far as its scope is concerned: its phase is final, or it is a daemon that is up. */
export function isFulfilledNode(n: { daemoned?: boolean; phase?: string }): boolean {
  return isFulfilledPhase(n.phase) || isDaemoned(n);
}

export function isWorkflowDone(wf: Pick<Workflow, 'status'>): boolean {
  const p = wf.status?.phase;
  return p === 'Succeeded' || p === 'Failed' || p === 'Error';
}
