/**
 * Katib's Suggestion object, from Drover's own state. Katib runs a suggestion service per
 * experiment and records what it asked and got in a `Suggestion` of the experiment's name; its
 * SDK (`get_suggestion`) and dashboards read it. Drover's algorithms run in the server, so the
 * Suggestion is a record only: written by the experiment reconciler beside the experiment's
 * status, derived from the trials it created. Users cannot create one.
 */
import type { KubeObject } from '../../api/types.js';
import { setCondition, type TrialView } from './experiment.js';
import { KATIB_API_VERSION, experimentPhase, type AlgorithmSpec, type Condition, type Experiment, type ParameterAssignment, type ResumePolicy } from './types.js';

export type SuggestionConditionType = 'Created' | 'DeploymentReady' | 'Running' | 'Succeeded' | 'Failed';

export interface Suggestion extends KubeObject {
  spec: { algorithm: AlgorithmSpec; earlyStopping?: AlgorithmSpec; requests: number; resumePolicy: ResumePolicy };
  status?: {
    suggestionCount?: number;
    suggestions?: { name: string; parameterAssignments: ParameterAssignment[] }[];
    startTime?: string;
    completionTime?: string;
    lastReconcileTime?: string;
    conditions?: Condition<SuggestionConditionType>[];
  };
}

/**
 * The Suggestion for an experiment as its trials stand: one assignment per trial, in creation
 * order. `previous` keeps its condition times; `now` stamps what changes.
 */
export function suggestionFor(exp: Experiment, views: readonly TrialView[], previous: Suggestion | undefined, now: string): Suggestion {
  const suggestions = views.map((v) => ({ name: v.trial.metadata.name!, parameterAssignments: v.trial.spec.parameterAssignments }));
  let conditions = previous?.status?.conditions;
  if (!conditions?.some((c) => c.type === 'Created')) conditions = setCondition(conditions, { type: 'Created', status: 'True', reason: 'SuggestionCreated', message: 'Suggestion is created' }, now);
  // No deployment to wait for: the algorithm runs inside Drover's server.
  if (!conditions.some((c) => c.type === 'DeploymentReady')) {
    conditions = setCondition(conditions, { type: 'DeploymentReady', status: 'True', reason: 'DeploymentReady', message: 'The algorithm runs in the Drover server' }, now);
  }
  const phase = experimentPhase(exp);
  const done = phase === 'Succeeded' || phase === 'Failed';
  if (done) {
    conditions = setCondition(conditions, { type: 'Running', status: 'False', reason: 'Suggestion is succeeded', message: 'Suggestion is succeeded' }, now);
    conditions = setCondition(conditions, { type: 'Succeeded', status: 'True', reason: 'Suggestion is succeeded', message: 'Suggestion is succeeded' }, now);
  } else {
    conditions = conditions.filter((c) => c.type !== 'Succeeded');
    conditions = setCondition(conditions, { type: 'Running', status: 'True', reason: 'SuggestionRunning', message: 'Suggestion is running' }, now);
  }
  const startTime = previous?.status?.startTime ?? now;
  return {
    apiVersion: KATIB_API_VERSION,
    kind: 'Suggestion',
    metadata: {
      name: exp.metadata.name!,
      namespace: exp.metadata.namespace!,
      ...(previous ? { uid: previous.metadata.uid, resourceVersion: previous.metadata.resourceVersion, creationTimestamp: previous.metadata.creationTimestamp } : {}),
      ownerReferences: [{ apiVersion: KATIB_API_VERSION, kind: 'Experiment', name: exp.metadata.name!, uid: exp.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      algorithm: exp.spec.algorithm,
      ...(exp.spec.earlyStopping ? { earlyStopping: exp.spec.earlyStopping } : {}),
      requests: suggestions.length,
      resumePolicy: exp.spec.resumePolicy ?? 'Never',
    },
    status: {
      suggestionCount: suggestions.length,
      suggestions,
      startTime,
      ...(done ? { completionTime: previous?.status?.completionTime ?? exp.status?.completionTime ?? now } : {}),
      lastReconcileTime: now,
      conditions,
    },
  };
}

/** Whether two Suggestions differ in more than their reconcile time. */
export function suggestionChanged(a: Suggestion | undefined, b: Suggestion): boolean {
  if (!a) return true;
  const strip = (s: Suggestion) => JSON.stringify([s.spec, { ...s.status, lastReconcileTime: undefined }]);
  return strip(a) !== strip(b);
}
