/**
 * The state one pass over one Workflow shares between the files that make up the engine (pass.ts
 * runs it; steps.ts, dag.ts, retry.ts, pod.ts… each evaluate one kind of node against it), and the
 * node bookkeeping they all use. Nothing here does I/O: everything the pass needs from outside is
 * in PassInput, everything it decides is in PassResult.
 *
 * Glossary: a *node* is one entry of `status.nodes`; a node is *fulfilled* once its phase is final;
 * a *holder* is what names a template (a step, a task, onExit); a *template scope* is where its
 * `template:` names resolve.
 */
import type { ConfigMap, PersistentVolumeClaim, Pod, Volume } from '../../api/types.js';
import { DroverError } from '../../api/errors.js';
import { isoSeconds } from '../../util/clock.js';
import { nodeId, podName } from './names.js';
import type { Scope } from './scope.js';
import type { LockTable } from './sync.js';
import type { CollectedOutputs, CollectRequest, ResourceOutcome, ResourceRequest, StepPodPlan } from './io.js';
import type { Expansion } from './loops.js';
import type { Arguments, NodePhase, NodeStatus, NodeType, Template, TemplateRef, Workflow, WorkflowSpec, WorkflowStatus } from './types.js';
import { isDaemoned, isFulfilledPhase } from './types.js';

/** Where `template:` names resolve: the workflow's own templates or a (Cluster)WorkflowTemplate's. */
export interface TemplateScope {
  kind: 'local' | 'namespaced' | 'cluster';
  name?: string;
  templates: readonly Template[];
}

export interface TemplateSource {
  workflowTemplate(namespace: string, name: string): { spec?: WorkflowSpec } | undefined;
  clusterWorkflowTemplate(name: string): { spec?: WorkflowSpec } | undefined;
}

/** Everything a pass reads: the clock, the pods, and what was fetched for it before it ran. */
export interface PassInput {
  now: number;
  /** This workflow's pods, by name. */
  pods: ReadonlyMap<string, Pod>;
  templates: TemplateSource;
  configMap(namespace: string, name: string): ConfigMap | undefined;
  /** Mutexes and semaphores shared between workflows; absent, `synchronization` is not enforced. */
  locks?: LockTable;
  /** Outputs of finished pods, read before the pass, by node id. A finished pod missing here is asked for in `collect`. */
  outputs?: ReadonlyMap<string, CollectedOutputs>;
  /**
   * Step I/O that failed, by node id: staging the files of a pod an earlier pass asked for, or
   * reading a finished pod's outputs into the repository. That node ends in Error with the message.
   */
  stepErrors?: ReadonlyMap<string, string>;
  /**
   * What the previous pass learnt about the stored status (PassResult.memo), handed back only
   * while the status is the one that pass wrote; absent, the pass works everything out again.
   */
  memo?: ReadonlyMap<string, GroupMemo>;
  /** What the controller found for resource nodes (resource.ts), by node id. */
  resources?: ReadonlyMap<string, ResourceOutcome>;
  /** Resource nodes whose action the controller is carrying out now (no outcome yet), by id. */
  resourcesInFlight?: ReadonlySet<string>;
}

/**
 * Facts about one loop group (a TaskGroup, or a StepGroup read as its steps' items in order) that stay true once true, so a pass over a wide loop
 * starts where the last one stopped instead of visiting every item: the items as expanded when the
 * group started, how many leading items are done for good, and what those items add up to.
 */
export interface GroupMemo {
  expansions?: Expansion[];
  /** A StepGroup's: each step's items (or why they could not be expanded), in the group's order. */
  stepExpansions?: ({ items: Expansion[] } | { error: string })[];
  donePrefix: number;
  failureId?: string;
  anySucceeded: boolean;
}

/** Everything a pass decided; the controller applies it (status first, then pods). */
export interface PassResult {
  status: WorkflowStatus;
  /** Steps to start: staged and created by the controller after the status is written. */
  startPods: StepPodPlan[];
  deletePods: string[];
  createClaims: PersistentVolumeClaim[];
  deleteClaims: string[];
  requeueAfterMs?: number;
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  /** memoize: entries to store in cache ConfigMaps (Argo keeps its memoization cache there). */
  cacheWrites: { namespace: string; configMap: string; key: string; value: string }[];
  /** Finished pods whose outputs were not in PassInput.outputs: read them and run the pass again. */
  collect: CollectRequest[];
  /** To hand to the next pass once `status` is stored (PassInput.memo). */
  memo: Map<string, GroupMemo>;
  /** Resource nodes' actions, and reads of the objects they wait on (resource.ts). */
  resources: ResourceRequest[];
  /**
   * The ids of the nodes this pass made or took to change (`status.nodes` holds the input's own
   * objects for every other): the status write compares and stores these alone. No pass removes one.
   */
  changedNodes: ReadonlySet<string>;
}

export type Node = NodeStatus & { phase: NodePhase; type: NodeType };

/** What names the template a node runs: a step, a task, an exit handler, the entrypoint. */
export interface Holder {
  template?: string;
  templateRef?: TemplateRef;
  inline?: Template;
}

export interface ExecOptions {
  boundaryID: string;
  displayName: string;
  /** Set on a retry node's attempts: which one this is. */
  retryAttempt?: number;
  /** Exit handlers run after the workflow's deadline and after Stop. */
  isExitHandler?: boolean;
  /**
   * Whether a pod step keeps its stdout as `outputs.result`: false when it is a step or task whose
   * result its steps or DAG template never names (Argo captures it only then too); a pod without
   * that need runs its command with no pipe, and, needing nothing else, with no wrapper at all.
   */
  captureResult?: boolean;
}

/** Runs (or checks on) the template `holder` names as node `nodeName`; undefined when it may not start yet. */
export type Execute = (op: Operation, nodeName: string, holder: Holder, tscope: TemplateScope, args: Arguments | undefined, outer: Scope, o: ExecOptions) => NodeStatus | undefined;

export class WorkflowError extends Error {}

/** A problem in the workflow itself (a bad expression, a missing template): it ends a node, not the controller. */
export function isUserError(err: unknown): err is Error {
  return err instanceof WorkflowError || err instanceof DroverError;
}

export function isFailurePhase(p: string | undefined): boolean {
  return p === 'Failed' || p === 'Error';
}

/** Argo's default limit on templates calling templates (its controller's stack depth). */
export const MAX_RECURSION_DEPTH = 100;
const RECURSION_MESSAGE = `Maximum recursion depth exceeded: templates may call each other at most ${MAX_RECURSION_DEPTH} deep`;

export class Operation {
  readonly wfName: string;
  readonly status: WorkflowStatus;
  readonly nodes: Record<string, NodeStatus>;
  readonly result: PassResult;
  spec: WorkflowSpec = {};
  global: Scope = new Map();
  requeueAt: number | undefined;
  deadlineExceeded = false;
  shutdown: 'Stop' | 'Terminate' | undefined;
  suspended = false;
  /** Steps running now that count against `parallelism`: their pods, and resource steps (Argo runs those in a pod). */
  activePods = 0;
  /** The resource nodes counted in `activePods`, by id: one that ends in this pass gives its place back. */
  readonly activeResources = new Set<string>();
  readonly volumes: Volume[] = [];
  /** Wide loops make these hot: parent/child links made in this pass, node ids per name. */
  private readonly linked = new Set<string>();
  /** Nodes made in this pass. */
  private readonly made = new Set<string>();
  private readonly ids = new Map<string, string>();
  /** Nodes this pass copied or made, which it may change. */
  private readonly owned = new Set<string>();
  /** How deep the templates being executed now call each other. */
  private depth = 0;
  /** Daemon steps that are up (daemoned), by id: found from the pods each pass, stopped with their scope. */
  readonly daemons = new Set<string>();
  /** Pods asked for in this pass; the pod list will not show them until the next. */
  readonly creating = new Set<string>();

  constructor(
    readonly wf: Workflow,
    readonly input: PassInput,
    /** The recursion point: steps, tasks and retries call back into it (injected, so no file imports its caller). */
    private readonly executeFn: Execute,
  ) {
    this.wfName = wf.metadata.name!;
    // Nodes are not cloned up front: a node is copied when the pass first takes it to change it
    // (node(), writable()), one level deep — the pass replaces a node's nested values (outputs,
    // inputs…) and grows only `children` — so a pass over a wide workflow pays for what it touches.
    const { nodes, ...rest } = wf.status ?? {};
    this.status = structuredClone(rest);
    this.nodes = { ...nodes };
    this.status.nodes = this.nodes;
    this.result = { status: this.status, startPods: [], deletePods: [], createClaims: [], deleteClaims: [], events: [], cacheWrites: [], collect: [], memo: new Map(input.memo ?? []), resources: [], changedNodes: this.owned };
  }

  get now(): number {
    return this.input.now;
  }

  execute(nodeName: string, holder: Holder, tscope: TemplateScope, args: Arguments | undefined, outer: Scope, o: ExecOptions): NodeStatus | undefined {
    // A template that calls itself without end (a `when` that never stops it) fails its node, as
    // Argo's controller does, instead of growing the workflow until the machine gives out.
    if (this.depth >= MAX_RECURSION_DEPTH) {
      const n = this.node(nodeName) ?? this.initNode(nodeName, 'Pod', o, undefined, tscope, 'Error', RECURSION_MESSAGE);
      this.mark(n, 'Error', RECURSION_MESSAGE);
      return n;
    }
    this.depth++;
    try {
      return this.executeFn(this, nodeName, holder, tscope, args, outer, o);
    } finally {
      this.depth--;
    }
  }

  /** This pass's copy of a loop group's memo (PassInput.memo), to read and update. */
  groupMemo(groupId: string): GroupMemo {
    const known = this.result.memo.get(groupId);
    const g: GroupMemo = known ? { ...known } : { donePrefix: 0, anySucceeded: false };
    this.result.memo.set(groupId, g);
    return g;
  }

  iso(): string {
    return isoSeconds(this.input.now);
  }

  /** Asks for another pass after `ms` (the earliest ask wins). */
  requeueIn(ms: number): void {
    const at = this.input.now + Math.max(0, ms);
    if (this.requeueAt === undefined || at < this.requeueAt) this.requeueAt = at;
  }

  node(name: string): NodeStatus | undefined {
    let id = this.ids.get(name);
    if (id === undefined) this.ids.set(name, (id = nodeId(this.wfName, name)));
    return this.writable(id);
  }

  /** The node with this id as this pass's own copy, safe to change (`op.nodes[id]` is for reading). */
  writable(id: string): NodeStatus | undefined {
    const n = this.nodes[id];
    if (!n || this.owned.has(id)) return n;
    const copy = n.children ? { ...n, children: n.children.slice() } : { ...n };
    this.nodes[id] = copy;
    this.owned.add(id);
    return copy;
  }

  initNode(name: string, type: NodeType, o: ExecOptions, t: Template | undefined, tscope: TemplateScope, phase: NodePhase = 'Pending', message?: string): Node {
    const id = nodeId(this.wfName, name);
    const node: Node = {
      id,
      name,
      displayName: o.displayName,
      type,
      phase,
      boundaryID: o.boundaryID || undefined,
      startedAt: this.iso(),
      ...(t?.name ? { templateName: t.name } : {}),
      templateScope: tscope.kind === 'local' ? 'local/' : `${tscope.kind}/${tscope.name}`,
      ...(message ? { message } : {}),
    };
    if (!node.boundaryID) delete node.boundaryID;
    if (isFulfilledPhase(phase)) node.finishedAt = this.iso();
    this.nodes[id] = node;
    this.owned.add(id);
    this.made.add(id);
    return node;
  }

  mark(node: NodeStatus, phase: NodePhase, message?: string): void {
    if (node.phase === phase && (message === undefined || node.message === message)) return;
    node.phase = phase;
    if (message !== undefined) node.message = message;
    if (isFulfilledPhase(phase)) node.finishedAt ??= this.iso();
    // Daemons live as long as the steps or DAG that started them.
    if (this.daemons.size && isFulfilledPhase(phase) && (node.type === 'Steps' || node.type === 'DAG')) this.stopDaemons(node.id);
  }

  /**
   * Stops the daemons started in the steps or DAG node `boundaryID` (every one, without it): their
   * pods go and they succeed, as Argo ends a daemon when its scope ends.
   */
  stopDaemons(boundaryID?: string): void {
    for (const id of this.daemons) {
      const n = this.writable(id);
      if (!n || (boundaryID !== undefined && n.boundaryID !== boundaryID)) continue;
      this.daemons.delete(id);
      if (!isDaemoned(n)) continue;
      const name = this.podNameOf(n);
      if (this.input.pods.has(name)) this.result.deletePods.push(name);
      delete n.daemoned;
      this.mark(n, 'Succeeded');
    }
  }

  addChild(parent: NodeStatus, child: NodeStatus): void {
    const children = (parent.children ??= []);
    const key = `${parent.id}\u0000${child.id}`;
    if (this.linked.has(key)) return;
    this.linked.add(key);
    // A node made in this pass is in no stored list; an older one is looked for from the end,
    // where a wide loop's recent items are, so the whole list is seldom walked.
    if (!this.made.has(child.id) && children.lastIndexOf(child.id) >= 0) return;
    children.push(child.id);
  }

  podNameOf(n: NodeStatus): string {
    return podName(this.wfName, n.templateName ?? '', n.name);
  }

  /** The workflow's `parallelism` is used up: nothing new may start in this pass. */
  atPodLimit(): boolean {
    return this.spec.parallelism !== undefined && this.activePods >= this.spec.parallelism;
  }

  /** Workflow-wide limits on starting something new. */
  canStart(o: ExecOptions): boolean {
    if (this.shutdown === 'Terminate') return false;
    if ((this.shutdown || this.deadlineExceeded) && !o.isExitHandler) return false;
    if (this.suspended && !o.isExitHandler) return false;
    return true;
  }

  /** Why a node that has not finished ends now: a stop, or the workflow's deadline. */
  stopMessage(): string {
    return this.shutdown ? `Stopped with strategy '${this.shutdown}'` : 'Step exceeded its deadline';
  }

  /** Fails a running node and everything still running under it, deleting their pods. */
  killNode(node: NodeStatus, message: string): void {
    for (const id of node.children ?? []) {
      const c = this.writable(id);
      if (c && !isFulfilledPhase(c.phase)) this.killNode(c, message);
    }
    if (node.type === 'Pod') {
      const name = this.podNameOf(node);
      if (this.input.pods.has(name)) this.result.deletePods.push(name);
    }
    this.mark(node, 'Failed', message);
  }
}
