/**
 * What the workflow engine asks of the world around a pass, and what it hands back: step files in
 * and out (StepIO, done by the controller), the pods it wants started, the outputs it needs read.
 * A pass itself never waits on any of this; see pass.ts.
 */
import type { Volume } from '../../api/types.js';
import type { InputArtifactFile } from './steppod.js';
import type { Template, Workflow } from './types.js';
import type { PodSpecPatch } from './podspecpatch.js';

/** What a finished step left in its staging directory. */
export interface CollectedOutputs {
  parameters: Map<string, string>;
  /** stdout, last 256 kB, one trailing newline dropped. */
  result?: string;
  /** Output artifacts saved in the repository, by name; missing ones are absent. */
  artifacts: Map<string, Record<string, unknown>>;
}

/** Files in and out of steps: the staging directories and the artifact repository. */
export interface StepIO {
  stagingDir(wf: Workflow, nodeId: string): string;
  /** Writes the script and the input artifacts into the step's staging directory. */
  prepare(wf: Workflow, nodeId: string, template: Template): Promise<InputArtifactFile[]>;
  /** Reads a finished step's outputs and moves its output artifacts into the repository. */
  collect(wf: Workflow, nodeId: string, template: Template, logs?: ContainerLog[]): Promise<CollectedOutputs>;
}

/** A step whose pod a pass wants: the controller stages its files, then builds and creates the pod. */
export interface StepPodPlan {
  podName: string;
  nodeId: string;
  nodeName: string;
  /** The template with every `{{…}}` tag resolved; `inputs` are the bound inputs, for staging. */
  template: Template;
  inputs: NonNullable<Template['inputs']>;
  /** Workflow-level volumes plus the claims made from volumeClaimTemplates. */
  volumes: Volume[];
  /** The workflow's podSpecPatch, then the template's, read and checked by the pass. */
  podSpecPatches?: PodSpecPatch[];
  /** Keep the main container's stdout as `outputs.result` (ExecOptions.captureResult). */
  captureResult: boolean;
}

/** A container's log to keep with the step's outputs (archiveLogs), as `<container>-logs`. */
export interface ContainerLog {
  container: string;
  read(): AsyncIterable<string>;
}

/** A finished pod whose outputs the pass needs and was not given. */
export interface CollectRequest {
  nodeId: string;
  podName: string;
  /** The resolved template: which parameters and artifacts to read. */
  template: Template;
}

// ---- resource templates (resource.ts decides, the controller acts) ----------------------------

export const RESOURCE_ACTIONS = ['get', 'create', 'apply', 'replace', 'patch', 'delete'] as const;
export type ResourceAction = (typeof RESOURCE_ACTIONS)[number];
export type MergeStrategy = 'strategic' | 'merge' | 'json';

/** What the controller is asked to do for a resource node. */
export interface ResourceRequest {
  nodeId: string;
  /** The action, or `get` to read the object again while its conditions are waited for. */
  action: ResourceAction;
  /** The substituted manifest (a patch's body for `patch`). */
  manifest: string;
  mergeStrategy: MergeStrategy;
  /** `get`/`patch`/`delete` of an object named in flags (`[pod, NAME]`) rather than by the manifest; a delete may name them by `--selector`. */
  target?: { kind: string; name: string } | { kind: string; selector: string };
  ignoreNotFound: boolean;
  setOwnerReference: boolean;
  /** Read again only after this long (a poll). */
  afterMs?: number;
  /** For a poll: the object the action found. */
  ref?: { apiVersion: string; kind: string; name: string };
}

/** What the controller found: the object after the action (absent after a delete), or why it failed. */
export type ResourceOutcome = { object?: Record<string, unknown> } | { error: string };
