/**
 * One pass over one Workflow: from the stored status and the workflow's pods, decide what happens
 * next and what the status becomes. It never writes anything itself; it returns the pods and claims
 * to create or delete and the new status, and the controller applies them.
 *
 * Every pass walks the template tree from the entrypoint, as Argo's operator does: a node already
 * fulfilled is returned as it is, anything else is (re)evaluated. Node ids and pod names come from
 * node names, so a pass after a crash finds what the previous one made and never runs a finished
 * step again.
 */
import type { ConfigMap, PersistentVolumeClaim, Pod, Volume } from '../../api/types.js';
import { DroverError } from '../../api/errors.js';
import { isoSeconds } from '../../util/clock.js';
import { evaluateWhen, dependsTasks, parseDepends, evaluateDepends, dependenciesToDepends, type DependsNode, type TaskResult, type NodeResultPhase } from './expr/index.js';
import { nodeId, podName } from './names.js';
import { type Scope, substitute, substituteString, withEntries } from './scope.js';
import { buildStepPod, parseDurationSeconds, type InputArtifactFile } from './steppod.js';
import { lockRequests, type LockRequest, type LockTable } from './sync.js';
import type {
  Arguments,
  Artifact,
  DAGTask,
  NodePhase,
  NodeStatus,
  NodeType,
  Parameter,
  Template,
  TemplateRef,
  Workflow,
  WorkflowSpec,
  WorkflowStatus,
  WorkflowStep,
} from './types.js';
import { isFulfilledPhase } from './types.js';

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
  collect(wf: Workflow, nodeId: string, template: Template): Promise<CollectedOutputs>;
}

export interface OperatorContext {
  now: number;
  /** This workflow's pods, by name. */
  pods: ReadonlyMap<string, Pod>;
  templates: TemplateSource;
  configMap(namespace: string, name: string): ConfigMap | undefined;
  io: StepIO;
  /** Mutexes and semaphores shared between workflows; absent, `synchronization` is not enforced. */
  locks?: LockTable;
}

export interface OperationResult {
  status: WorkflowStatus;
  createPods: Pod[];
  deletePods: string[];
  createClaims: PersistentVolumeClaim[];
  deleteClaims: string[];
  requeueAfterMs?: number;
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  /** memoize: entries to store in cache ConfigMaps (Argo keeps its memoization cache there). */
  cacheWrites: { namespace: string; configMap: string; key: string; value: string }[];
}

type Node = NodeStatus & { phase: NodePhase; type: NodeType };

interface Holder {
  template?: string;
  templateRef?: TemplateRef;
  inline?: Template;
}

interface ExecOptions {
  boundaryID: string;
  displayName: string;
  /** For steps and dag children: the step or task that asked, for onExit/hooks and continueOn. */
  retryAttempt?: number;
  /** Exit handlers run after the workflow's deadline and after Stop. */
  isExitHandler?: boolean;
}

class WorkflowError extends Error {}

/** A problem in the workflow itself (a bad expression, a missing template): it ends a node, not the controller. */
function isUserError(err: unknown): err is Error {
  return err instanceof WorkflowError || err instanceof DroverError;
}


function nodeResultPhase(n: NodeStatus | undefined): NodeResultPhase | undefined {
  switch (n?.phase) {
    case 'Succeeded':
      return 'Succeeded';
    case 'Failed':
      return 'Failed';
    case 'Error':
      return 'Errored';
    case 'Skipped':
      return 'Skipped';
    case 'Omitted':
      return 'Omitted';
    default:
      return undefined;
  }
}

function isFailurePhase(p: string | undefined): boolean {
  return p === 'Failed' || p === 'Error';
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Label for a loop child's name: `(0:hello)`, maps as `key:value,…` with sorted keys. */
function itemLabel(item: unknown): string {
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    return Object.keys(item)
      .sort()
      .map((k) => `${k}:${str((item as Record<string, unknown>)[k])}`)
      .join(',');
  }
  return str(item);
}

function itemScope(item: unknown): [string, string][] {
  const out: [string, string][] = [['item', str(item)]];
  const walk = (prefix: string, v: unknown): void => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    for (const [k, child] of Object.entries(v)) {
      out.push([`${prefix}.${k}`, str(child)]);
      walk(`${prefix}.${k}`, child);
    }
  };
  walk('item', item);
  return out;
}

/** printf-style formats that withSequence uses: `%d`, `%02d`, `%x`, `%s`, with surrounding text. */
function formatSequence(format: string | undefined, n: number): string {
  if (!format) return String(n);
  return format.replace(/%(0?)(\d*)([dxXos])/g, (_m, zero: string, width: string, verb: string) => {
    let s = verb === 'x' ? n.toString(16) : verb === 'X' ? n.toString(16).toUpperCase() : verb === 'o' ? n.toString(8) : String(n);
    const w = Number(width || 0);
    if (s.length < w) s = (zero ? '0' : ' ').repeat(w - s.length) + s;
    return s;
  });
}

/**
 * templateDefaults under a template, as a strategic merge: maps merge key by key, lists of named
 * items (env, volumeMounts, parameters) merge by name, anything else the template sets wins.
 */
function mergeDefaults(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (Array.isArray(base) && Array.isArray(over)) {
    const keyOf = (x: unknown): string | undefined => {
      if (x === null || typeof x !== 'object') return undefined;
      const r = x as Record<string, unknown>;
      return typeof r['name'] === 'string' ? r['name'] : typeof r['mountPath'] === 'string' ? r['mountPath'] : undefined;
    };
    if (![...base, ...over].every((x) => keyOf(x) !== undefined)) return over;
    const out = new Map<string, unknown>();
    for (const x of base) out.set(keyOf(x)!, x);
    for (const x of over) out.set(keyOf(x)!, mergeDefaults(out.get(keyOf(x)!), x));
    return [...out.values()];
  }
  if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(base) && !Array.isArray(over)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over)) out[k] = mergeDefaults(out[k], v);
    return out;
  }
  return over;
}

/**
 * Adds to `out` the tasks a depends expression expects might fail: named with a result other than
 * Succeeded (`A.Failed`, `A.Completed`), or under a negation (`!A.Succeeded`). Their failure does
 * not stop the DAG from starting new tasks.
 */
function expectsFailure(n: DependsNode, negated: boolean, out: Set<string>): void {
  switch (n.kind) {
    case 'task':
      if (negated || (n.result !== undefined && n.result !== 'Succeeded')) out.add(n.task);
      return;
    case 'not':
      expectsFailure(n.operand, !negated, out);
      return;
    default:
      expectsFailure(n.left, negated, out);
      expectsFailure(n.right, negated, out);
  }
}

export class WorkflowOperation {
  private readonly wf: Workflow;
  private readonly nodes: Record<string, NodeStatus>;
  private readonly status: WorkflowStatus;
  private readonly result: OperationResult;
  private readonly wfName: string;
  private spec!: WorkflowSpec;
  private global: Scope = new Map();
  private requeueAt: number | undefined;
  private deadlineExceeded = false;
  private shutdown: 'Stop' | 'Terminate' | undefined;
  private suspended = false;
  private activePods = 0;
  private readonly volumes: Volume[] = [];
  /** Wide loops make these hot: children per parent as sets, node ids per name. */
  private readonly childSets = new Map<string, Set<string>>();
  private readonly ids = new Map<string, string>();
  /** Pods asked for in this pass; the informer will not show them until the next. */
  private readonly creating = new Set<string>();

  constructor(
    wf: Workflow,
    private readonly ctx: OperatorContext,
  ) {
    this.wf = wf;
    this.wfName = wf.metadata.name!;
    this.status = structuredClone(wf.status ?? {});
    this.nodes = this.status.nodes ?? {};
    this.status.nodes = this.nodes;
    this.result = { status: this.status, createPods: [], deletePods: [], createClaims: [], deleteClaims: [], events: [], cacheWrites: [] };
  }

  private iso(): string {
    return isoSeconds(this.ctx.now);
  }

  private requeueIn(ms: number): void {
    const at = this.ctx.now + Math.max(0, ms);
    if (this.requeueAt === undefined || at < this.requeueAt) this.requeueAt = at;
  }

  async run(): Promise<OperationResult> {
    try {
      await this.operate();
    } catch (err) {
      if (!isUserError(err)) throw err;
      this.finish('Error', err.message);
    }
    if (this.requeueAt !== undefined) this.result.requeueAfterMs = this.requeueAt - this.ctx.now;
    return this.result;
  }

  private async operate(): Promise<void> {
    const phase = this.status.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Error') return;
    this.spec = this.effectiveSpec();
    if (!this.acquireLocks(this.spec.synchronization, this.wfName)) {
      this.status.phase = phase ?? 'Pending';
      return;
    }
    if (!phase || phase === 'Pending') {
      delete this.status.message;
      this.status.phase = 'Running';
      this.status.startedAt = this.iso();
      this.result.events.push({ type: 'Normal', reason: 'WorkflowRunning', message: 'Workflow Running' });
    }
    // Outputs with a globalName are visible to every later step as soon as their step is done.
    this.collectGlobalOutputs();
    this.global = this.globalScope();
    this.setupClaims();
    this.shutdown = this.spec.shutdown === 'Stop' || this.spec.shutdown === 'Terminate' ? this.spec.shutdown : undefined;
    this.suspended = this.spec.suspend === true;
    const deadline = this.spec.activeDeadlineSeconds;
    if (deadline !== undefined && this.status.startedAt) {
      const end = Date.parse(this.status.startedAt) + deadline * 1000;
      if (this.ctx.now >= end) this.deadlineExceeded = true;
      else this.requeueIn(end - this.ctx.now);
    }
    this.activePods = Object.values(this.nodes).filter((n) => n.type === 'Pod' && !isFulfilledPhase(n.phase) && this.ctx.pods.has(this.podNameOf(n))).length;

    const entry = this.spec.entrypoint;
    if (!entry) throw new WorkflowError('spec.entrypoint is required');
    const root = await this.execute(this.wfName, { template: entry }, this.localScope(), this.spec.arguments, this.global, { boundaryID: '', displayName: this.wfName });
    if (!root || !isFulfilledPhase(root.phase)) {
      if (this.deadlineExceeded && !root) this.finish('Failed', 'Step exceeded its deadline');
      return;
    }
    this.collectGlobalOutputs();

    // The exit handler runs once the main tree is done, with workflow.status set.
    const exitHolder = this.spec.onExit ? { template: this.spec.onExit } : this.spec.hooks?.['exit'];
    let exitNode: NodeStatus | undefined;
    if (exitHolder && this.shutdown !== 'Terminate') {
      const scope = withEntries(this.global, this.exitScope(root));
      exitNode = await this.execute(`${this.wfName}.onExit`, exitHolder, this.localScope(), exitHolder.arguments, scope, {
        boundaryID: '',
        displayName: `${this.wfName}.onExit`,
        isExitHandler: true,
      });
      if (!exitNode || !isFulfilledPhase(exitNode.phase)) return;
    }
    let final = root.phase as 'Succeeded' | 'Failed' | 'Error';
    let message = root.message;
    if (this.deadlineExceeded && final !== 'Succeeded') message = 'Step exceeded its deadline';
    if (this.shutdown && final !== 'Succeeded') message = `Stopped with strategy '${this.shutdown}'`;
    if (final === 'Succeeded' && exitNode && isFailurePhase(exitNode.phase)) {
      final = 'Failed';
      message = exitNode.message ?? `child '${exitNode.id}' failed`;
    }
    this.finish(final, final === 'Succeeded' ? undefined : message);
  }

  private finish(phase: 'Succeeded' | 'Failed' | 'Error', message: string | undefined): void {
    this.releaseAllLocks();
    this.status.phase = phase;
    if (message) this.status.message = message;
    else delete this.status.message;
    this.status.finishedAt = this.iso();
    this.status.startedAt ??= this.iso();
    const conditions = (this.status.conditions ?? []).filter((c) => c.type !== 'Completed' && c.type !== 'PodRunning');
    conditions.push({ type: 'PodRunning', status: 'False' }, { type: 'Completed', status: 'True' });
    this.status.conditions = conditions;
    // Claims made from volumeClaimTemplates go with the workflow's end (Argo's default volumeClaimGC).
    for (const c of this.status.persistentVolumeClaims ?? []) {
      const claim = (c as Volume).persistentVolumeClaim?.claimName;
      if (claim) this.result.deleteClaims.push(claim);
    }
    this.result.events.push({
      type: phase === 'Succeeded' ? 'Normal' : 'Warning',
      reason: `Workflow${phase === 'Succeeded' ? 'Succeeded' : phase === 'Failed' ? 'Failed' : 'Error'}`,
      message: message ?? `Workflow ${phase.toLowerCase()}`,
    });
    this.requeueAt = undefined;
  }

  // ---- spec, scopes, claims -------------------------------------------------------------------

  /** The workflow's spec, merged over its workflowTemplateRef's (kept in status so later template edits don't change a running workflow). */
  private effectiveSpec(): WorkflowSpec {
    const own = this.wf.spec ?? {};
    const ref = own.workflowTemplateRef;
    if (!ref) return own;
    let base = this.status.storedWorkflowTemplateSpec as WorkflowSpec | undefined;
    if (!base) {
      const found = ref.clusterScope ? this.ctx.templates.clusterWorkflowTemplate(ref.name ?? '') : this.ctx.templates.workflowTemplate(this.wf.metadata.namespace!, ref.name ?? '');
      if (!found?.spec) throw new WorkflowError(`${ref.clusterScope ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate'} "${ref.name}" not found`);
      base = found.spec;
      this.status.storedWorkflowTemplateSpec = structuredClone(base) as never;
    }
    const { workflowTemplateRef: _ref, ...rest } = own;
    const params = new Map<string, Parameter>();
    for (const p of base.arguments?.parameters ?? []) params.set(p.name, p);
    for (const p of own.arguments?.parameters ?? []) params.set(p.name, { ...params.get(p.name), ...p });
    const artifacts = new Map<string, Artifact>();
    for (const a of [...(base.arguments?.artifacts ?? []), ...(own.arguments?.artifacts ?? [])]) artifacts.set(a.name, a);
    return { ...base, ...rest, arguments: { parameters: [...params.values()], artifacts: [...artifacts.values()] } };
  }

  private localScope(): TemplateScope {
    const ref = this.wf.spec?.workflowTemplateRef;
    return { kind: ref ? (ref.clusterScope ? 'cluster' : 'namespaced') : 'local', ...(ref?.name ? { name: ref.name } : {}), templates: this.spec.templates ?? [] };
  }

  private globalScope(): Scope {
    const m = this.wf.metadata;
    const s: Scope = new Map([
      ['workflow.name', this.wfName],
      ['workflow.namespace', m.namespace ?? ''],
      ['workflow.uid', m.uid ?? ''],
      ['workflow.serviceAccountName', this.spec.serviceAccountName ?? ''],
      ['workflow.mainEntrypoint', this.spec.entrypoint ?? ''],
      ['workflow.creationTimestamp', m.creationTimestamp ?? ''],
      ['workflow.priority', String(this.spec.priority ?? 0)],
    ]);
    for (const [k, v] of Object.entries(m.labels ?? {})) s.set(`workflow.labels.${k}`, v);
    for (const [k, v] of Object.entries(m.annotations ?? {})) s.set(`workflow.annotations.${k}`, v);
    const params: { name: string; value: string }[] = [];
    for (const p of this.spec.arguments?.parameters ?? []) {
      const value = this.resolveParameterValue(p, `spec.arguments.parameters.${p.name}`, undefined);
      if (value === undefined) throw new WorkflowError(`spec.arguments.parameters.${p.name}: a value is required (value, default or valueFrom)`);
      this.checkEnum(p, value, `spec.arguments.parameters.${p.name}`);
      s.set(`workflow.parameters.${p.name}`, value);
      params.push({ name: p.name, value });
    }
    s.set('workflow.parameters', JSON.stringify(params));
    for (const p of this.status.outputs?.parameters ?? []) if (p.value !== undefined) s.set(`workflow.outputs.parameters.${p.name}`, String(p.value));
    for (const a of this.status.outputs?.artifacts ?? []) s.set(`workflow.outputs.artifacts.${a.name}`, JSON.stringify(a));
    return s;
  }

  private exitScope(root: NodeStatus): [string, string][] {
    const failures = Object.values(this.nodes)
      .filter((n) => isFailurePhase(n.phase) && n.type === 'Pod')
      .map((n) => ({ displayName: n.displayName, message: n.message, templateName: n.templateName, phase: n.phase, podName: this.podNameOf(n), finishedAt: n.finishedAt }));
    const started = this.status.startedAt ? Date.parse(this.status.startedAt) : this.ctx.now;
    const status = this.deadlineExceeded || this.shutdown ? (root.phase === 'Succeeded' ? 'Succeeded' : 'Failed') : root.phase;
    return [
      ['workflow.status', String(status)],
      ['workflow.failures', JSON.stringify(failures)],
      ['workflow.duration', String((this.ctx.now - started) / 1000)],
    ];
  }

  private setupClaims(): void {
    for (const v of this.spec.volumes ?? []) this.volumes.push(v as Volume);
    const templates = this.spec.volumeClaimTemplates ?? [];
    if (templates.length === 0) return;
    const recorded: Volume[] = [];
    for (const t of templates) {
      const name = t.metadata?.name;
      if (!name) throw new WorkflowError('spec.volumeClaimTemplates[].metadata.name is required');
      const claimName = `${this.wfName}-${name}`;
      const vol: Volume = { name, persistentVolumeClaim: { claimName } };
      this.volumes.push(vol);
      recorded.push(vol);
    }
    if (!this.status.persistentVolumeClaims) {
      this.status.persistentVolumeClaims = recorded as never;
      for (const t of templates) {
        this.result.createClaims.push({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name: `${this.wfName}-${t.metadata!.name}`,
            namespace: this.wf.metadata.namespace,
            labels: { ...(t.metadata?.labels ?? {}), 'workflows.argoproj.io/workflow': this.wfName },
            ownerReferences: [{ apiVersion: this.wf.apiVersion, kind: this.wf.kind, name: this.wfName, uid: this.wf.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          },
          spec: t.spec as PersistentVolumeClaim['spec'],
          // Local claims are directories, bound as soon as they exist (as the API server's admission does for applied claims).
          status: { phase: 'Bound', accessModes: t.spec?.accessModes, capacity: t.spec?.resources?.requests },
        } as PersistentVolumeClaim);
      }
    }
  }

  private refreshGlobalOutputs(): void {
    this.collectGlobalOutputs();
    for (const p of this.status.outputs?.parameters ?? []) if (p.value !== undefined) this.global.set(`workflow.outputs.parameters.${p.name}`, String(p.value));
    for (const a of this.status.outputs?.artifacts ?? []) this.global.set(`workflow.outputs.artifacts.${a.name}`, JSON.stringify(a));
  }

  private collectGlobalOutputs(): void {
    const params = new Map<string, string>();
    const artifacts = new Map<string, Record<string, unknown>>();
    const nodes = Object.values(this.nodes).sort((a, b) => String(a.finishedAt ?? '').localeCompare(String(b.finishedAt ?? '')));
    for (const n of nodes) {
      const tmpl = this.templateOfNode(n);
      for (const p of tmpl?.outputs?.parameters ?? []) {
        if (!p.globalName) continue;
        const v = n.outputs?.parameters?.find((x) => x.name === p.name)?.value;
        if (v !== undefined) params.set(p.globalName, String(v));
      }
      for (const a of tmpl?.outputs?.artifacts ?? []) {
        if (!a.globalName) continue;
        const v = n.outputs?.artifacts?.find((x) => x.name === a.name);
        if (v) artifacts.set(a.globalName, { ...v, name: a.globalName });
      }
    }
    if (params.size || artifacts.size) {
      this.status.outputs = {
        ...(params.size ? { parameters: [...params].map(([name, value]) => ({ name, value })) } : {}),
        ...(artifacts.size ? { artifacts: [...artifacts.values()] as never } : {}),
      };
    }
  }

  private templateOfNode(n: NodeStatus): Template | undefined {
    if (!n.templateName) return undefined;
    const scope = n.templateScope ?? 'local/';
    const [kind, name] = scope.split('/');
    const templates =
      kind === 'namespaced' && name && name !== this.wf.spec?.workflowTemplateRef?.name
        ? this.ctx.templates.workflowTemplate(this.wf.metadata.namespace!, name)?.spec?.templates
        : kind === 'cluster' && name && name !== this.wf.spec?.workflowTemplateRef?.name
          ? this.ctx.templates.clusterWorkflowTemplate(name)?.spec?.templates
          : this.spec.templates;
    return templates?.find((t) => t.name === n.templateName);
  }

  // ---- parameters -----------------------------------------------------------------------------

  private resolveParameterValue(p: Parameter, where: string, supplied: string | undefined): string | undefined {
    if (supplied !== undefined) return supplied;
    if (p.value !== undefined && p.value !== null) return String(p.value);
    const cm = p.valueFrom?.configMapKeyRef;
    if (cm) {
      const map = this.ctx.configMap(this.wf.metadata.namespace!, cm.name ?? '');
      const v = map?.data?.[cm.key];
      if (v !== undefined) return v;
      if (p.valueFrom?.default !== undefined) return String(p.valueFrom.default);
      if (cm.optional) return '';
      throw new WorkflowError(`${where}: ConfigMap "${cm.name}" has no key "${cm.key}"`);
    }
    if (p.default !== undefined) return String(p.default);
    if (p.valueFrom?.default !== undefined) return String(p.valueFrom.default);
    return undefined;
  }

  private checkEnum(p: Parameter, value: string, where: string): void {
    if (p.enum && p.enum.length > 0 && !p.enum.map(String).includes(value)) {
      throw new WorkflowError(`${where}: value ${JSON.stringify(value)} is not one of ${p.enum.map((e) => JSON.stringify(String(e))).join(', ')}`);
    }
  }

  // ---- synchronization ------------------------------------------------------------------------

  /**
   * Takes every lock a `synchronization` block names for `holder` (the workflow's name, or
   * `<workflow>/<node id>`), recording holds in status. False while any is held by others; the
   * controller brings this workflow back when one frees up.
   */
  private acquireLocks(sync: Template['synchronization'] | undefined, holder: string, node?: NodeStatus): boolean {
    const locks = this.ctx.locks;
    if (!sync || !locks) return true;
    const ns = this.wf.metadata.namespace ?? 'default';
    const reqs = lockRequests(sync, ns, (n, name) => this.ctx.configMap(n, name));
    if (typeof reqs === 'string') throw new WorkflowError(reqs);
    for (const req of reqs) {
      if (!locks.acquire(req, `${ns}/${holder}`)) {
        const message = `Waiting for ${req.display} lock. Lock status: 0/${req.limit}`;
        if (node) node.message = message;
        else this.status.message = message;
        return false;
      }
      this.recordHold(req, holder);
    }
    if (node?.message?.startsWith('Waiting for ')) delete node.message;
    return true;
  }

  private recordHold(req: LockRequest, holder: string): void {
    const sync = ((this.status as Record<string, unknown>)['synchronization'] ??= {}) as {
      mutex?: { holding?: { mutex: string; holder: string }[] };
      semaphore?: { holding?: { semaphore: string; holders: string[] }[] };
    };
    if (req.kind === 'mutex') {
      const holding = ((sync.mutex ??= {}).holding ??= []);
      if (!holding.some((h) => h.mutex === req.key && h.holder === holder)) holding.push({ mutex: req.key, holder });
    } else {
      const holding = ((sync.semaphore ??= {}).holding ??= []);
      let entry = holding.find((h) => h.semaphore === req.key);
      if (!entry) holding.push((entry = { semaphore: req.key, holders: [] }));
      if (!entry.holders.includes(holder)) entry.holders.push(holder);
    }
  }

  /** Releases what `holder` holds (all holders when undefined) and drops it from status. */
  private releaseLocks(holder?: string): void {
    const sync = (this.status as Record<string, unknown>)['synchronization'] as
      | { mutex?: { holding?: { mutex: string; holder: string }[] }; semaphore?: { holding?: { semaphore: string; holders: string[] }[] } }
      | undefined;
    if (!sync) return;
    const ns = this.wf.metadata.namespace ?? 'default';
    const mine = (h: string) => holder === undefined || h === holder;
    for (const h of sync.mutex?.holding ?? []) if (mine(h.holder)) this.ctx.locks?.release(h.mutex, `${ns}/${h.holder}`);
    if (sync.mutex?.holding) sync.mutex.holding = sync.mutex.holding.filter((h) => !mine(h.holder));
    for (const e of sync.semaphore?.holding ?? []) {
      for (const h of e.holders) if (mine(h)) this.ctx.locks?.release(e.semaphore, `${ns}/${h}`);
      e.holders = e.holders.filter((h) => !mine(h));
    }
    if (sync.semaphore?.holding) sync.semaphore.holding = sync.semaphore.holding.filter((e) => e.holders.length > 0);
  }

  private releaseAllLocks(): void {
    this.releaseLocks(undefined);
  }

  // ---- templates ------------------------------------------------------------------------------

  private resolveTemplate(holder: Holder, tscope: TemplateScope): { template: Template; tscope: TemplateScope } {
    if (holder.inline) return { template: { name: '', ...holder.inline }, tscope };
    if (holder.templateRef) {
      const ref = holder.templateRef;
      const owner = ref.clusterScope ? this.ctx.templates.clusterWorkflowTemplate(ref.name ?? '') : this.ctx.templates.workflowTemplate(this.wf.metadata.namespace!, ref.name ?? '');
      const kindName = ref.clusterScope ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate';
      if (!owner) throw new WorkflowError(`${kindName} "${ref.name}" not found`);
      const templates = owner.spec?.templates ?? [];
      const t = templates.find((x) => x.name === ref.template);
      if (!t) throw new WorkflowError(`template "${ref.template}" not found in ${kindName} "${ref.name}"`);
      return { template: t, tscope: { kind: ref.clusterScope ? 'cluster' : 'namespaced', name: ref.name!, templates } };
    }
    const name = holder.template;
    const t = tscope.templates.find((x) => x.name === name);
    if (!t) throw new WorkflowError(`template "${name}" not found`);
    return { template: t, tscope };
  }

  /** templateDefaults, then the template's own fields over them. */
  private withDefaults(t: Template): Template {
    const d = this.spec.templateDefaults;
    if (!d) return t;
    const merged = mergeDefaults(d as Record<string, unknown>, t as Record<string, unknown>) as Record<string, unknown>;
    // A default container/script shape only applies to templates of that type.
    for (const k of ['container', 'script', 'steps', 'dag', 'suspend'] as const) if (!(k in t)) delete merged[k];
    return merged as Template;
  }

  /** Binds the caller's arguments to the template's inputs; returns the scope inside the template. */
  private bindInputs(t: Template, args: Arguments | undefined, outer: Scope, nodeName: string): { scope: Scope; inputs: Template['inputs'] } {
    const scope = new Map(this.global);
    // Workflow outputs set by earlier steps are visible everywhere.
    for (const [k, v] of outer) if (k.startsWith('workflow.')) scope.set(k, v);
    const given = new Map((args?.parameters ?? []).map((p) => [p.name, p]));
    const params: Parameter[] = [];
    const all: Record<string, string> = {};
    for (const p of t.inputs?.parameters ?? []) {
      const arg = given.get(p.name);
      const argValue = arg ? (arg.value !== undefined && arg.value !== null ? String(arg.value) : this.resolveParameterValue(arg, `inputs.parameters.${p.name}`, undefined)) : undefined;
      const value = this.resolveParameterValue(p, `inputs.parameters.${p.name}`, argValue);
      if (value === undefined) {
        if (p.valueFrom?.supplied !== undefined) continue;
        throw new WorkflowError(`inputs.parameters.${p.name} was not supplied (template "${t.name}", node ${nodeName})`);
      }
      this.checkEnum(p, value, `inputs.parameters.${p.name}`);
      scope.set(`inputs.parameters.${p.name}`, value);
      all[p.name] = value;
      params.push({ name: p.name, value });
    }
    scope.set('inputs.parameters', JSON.stringify(Object.entries(all).map(([name, value]) => ({ name, value }))));
    const givenArts = new Map((args?.artifacts ?? []).map((a) => [a.name, a]));
    const artifacts: Artifact[] = [];
    for (const a of t.inputs?.artifacts ?? []) {
      const arg = givenArts.get(a.name);
      const bound: Artifact = { ...a, ...(arg ?? {}), name: a.name, ...(a.path ? { path: a.path } : {}) };
      if (!arg && !a.raw && !a.http && !a.s3 && !a.from && !a.optional) throw new WorkflowError(`inputs.artifacts.${a.name} was not supplied (template "${t.name}")`);
      if (a.path) scope.set(`inputs.artifacts.${a.name}.path`, a.path);
      artifacts.push(bound);
    }
    for (const p of t.outputs?.parameters ?? []) if (p.valueFrom?.path) scope.set(`outputs.parameters.${p.name}.path`, p.valueFrom.path);
    for (const a of t.outputs?.artifacts ?? []) if (a.path) scope.set(`outputs.artifacts.${a.name}.path`, a.path);
    return { scope, inputs: { ...(params.length ? { parameters: params } : {}), ...(artifacts.length ? { artifacts } : {}) } };
  }

  // ---- nodes ----------------------------------------------------------------------------------

  private node(name: string): NodeStatus | undefined {
    let id = this.ids.get(name);
    if (id === undefined) this.ids.set(name, (id = nodeId(this.wfName, name)));
    return this.nodes[id];
  }

  private initNode(name: string, type: NodeType, o: ExecOptions, t: Template | undefined, tscope: TemplateScope, phase: NodePhase = 'Pending', message?: string): Node {
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
    return node;
  }

  private mark(node: NodeStatus, phase: NodePhase, message?: string): void {
    if (node.phase === phase && (message === undefined || node.message === message)) return;
    node.phase = phase;
    if (message !== undefined) node.message = message;
    if (isFulfilledPhase(phase)) node.finishedAt ??= this.iso();
  }

  private addChild(parent: NodeStatus, child: NodeStatus): void {
    const children = (parent.children ??= []);
    let known = this.childSets.get(parent.id);
    if (!known) this.childSets.set(parent.id, (known = new Set(children)));
    if (known.has(child.id)) return;
    known.add(child.id);
    children.push(child.id);
  }

  private podNameOf(n: NodeStatus): string {
    return podName(this.wfName, n.templateName ?? '', n.name);
  }

  /**
   * Runs (or checks on) the template `holder` names, as node `nodeName`. Returns the node, or
   * undefined when it could not start yet (parallelism, suspension, a deadline).
   */
  private async execute(nodeName: string, holder: Holder, tscope: TemplateScope, args: Arguments | undefined, outer: Scope, o: ExecOptions): Promise<NodeStatus | undefined> {
    const existing = this.node(nodeName);
    if (existing && isFulfilledPhase(existing.phase)) return existing;
    let resolved: { template: Template; tscope: TemplateScope };
    let bound: { scope: Scope; inputs: Template['inputs'] };
    try {
      resolved = this.resolveTemplate(holder, tscope);
      resolved = { ...resolved, template: this.withDefaults(resolved.template) };
      bound = this.bindInputs(resolved.template, args, outer, nodeName);
    } catch (err) {
      if (!isUserError(err)) throw err;
      const n = existing ?? this.initNode(nodeName, 'Pod', o, undefined, tscope, 'Error', err.message);
      this.mark(n, 'Error', err.message);
      return n;
    }
    const { template } = resolved;
    const memo = template.memoize && o.retryAttempt === undefined ? this.memoKey(template, bound.scope) : undefined;
    if (memo && !existing) {
      const hit = this.memoLookup(memo, template);
      if (hit) {
        const type: NodeType = template.steps ? 'Steps' : template.dag ? 'DAG' : template.suspend ? 'Suspend' : 'Pod';
        const n = this.initNode(nodeName, type, o, template, resolved.tscope, 'Succeeded');
        if (hit.outputs) n.outputs = hit.outputs;
        n.memoizationStatus = { hit: true, key: memo.key, cacheName: memo.cacheName };
        return n;
      }
    }
    // A template's locks are held by its node (the retry node, not each attempt) until it is done.
    const lockHolder = template.synchronization && o.retryAttempt === undefined ? `${this.wfName}/${nodeId(this.wfName, nodeName)}` : undefined;
    if (lockHolder) {
      let waiting = existing;
      try {
        if (!this.canStart(o) && !existing) return undefined;
        const type: NodeType = template.retryStrategy ? 'Retry' : template.steps ? 'Steps' : template.dag ? 'DAG' : template.suspend ? 'Suspend' : 'Pod';
        const pending = existing ?? this.initNode(nodeName, type, o, template, resolved.tscope);
        waiting = pending;
        if (!this.acquireLocks(template.synchronization, lockHolder, pending)) return pending;
        if (pending.phase === 'Pending' && type !== 'Pod') this.mark(pending, 'Running');
      } catch (err) {
        if (!isUserError(err)) throw err;
        const n = waiting ?? this.initNode(nodeName, 'Pod', o, template, resolved.tscope);
        this.mark(n, 'Error', err.message);
        return n;
      }
    }
    const retry = template.retryStrategy;
    const node = retry && o.retryAttempt === undefined ? await this.executeRetry(nodeName, holder, resolved, args, outer, o, bound) : await this.executeKind(nodeName, resolved, bound, o);
    if (lockHolder && node && isFulfilledPhase(node.phase)) this.releaseLocks(lockHolder);
    if (memo && node?.phase === 'Succeeded' && !node.memoizationStatus) {
      node.memoizationStatus = { hit: false, key: memo.key, cacheName: memo.cacheName };
      const entry = { nodeID: node.id, outputs: node.outputs ?? {}, creationTimestamp: this.iso(), lastHitTimestamp: this.iso() };
      this.result.cacheWrites.push({ namespace: this.wf.metadata.namespace ?? 'default', configMap: memo.cacheName, key: memo.key, value: JSON.stringify(entry) });
    }
    return node;
  }

  /** The memoization key (a ConfigMap key: other characters become `-`) and its cache. */
  private memoKey(t: Template, scope: Scope): { key: string; cacheName: string } {
    const m = t.memoize!;
    const cacheName = m.cache?.configMap?.name;
    if (!cacheName) throw new WorkflowError(`template "${t.name}": memoize.cache.configMap.name is required`);
    return { key: substituteString(m.key, scope).replace(/[^-._a-zA-Z0-9]/g, '-'), cacheName };
  }

  /** A cached entry younger than maxAge, as Argo's memoization reads it. */
  private memoLookup(memo: { key: string; cacheName: string }, t: Template): { outputs?: NodeStatus['outputs'] } | undefined {
    const written = this.result.cacheWrites.find((w) => w.configMap === memo.cacheName && w.key === memo.key)?.value;
    const raw = written ?? this.ctx.configMap(this.wf.metadata.namespace ?? 'default', memo.cacheName)?.data?.[memo.key];
    if (!raw) return undefined;
    try {
      const entry = JSON.parse(raw) as { outputs?: NodeStatus['outputs']; creationTimestamp?: string };
      const maxAge = t.memoize?.maxAge ? parseDurationSeconds(t.memoize.maxAge) * 1000 : Infinity;
      const created = entry.creationTimestamp ? Date.parse(entry.creationTimestamp) : 0;
      if (this.ctx.now - created > maxAge) return undefined;
      return entry;
    } catch {
      return undefined;
    }
  }

  private async executeKind(nodeName: string, resolved: { template: Template; tscope: TemplateScope }, bound: { scope: Scope; inputs: Template['inputs'] }, o: ExecOptions): Promise<NodeStatus | undefined> {
    const { template: t, tscope } = resolved;
    const scope = withEntries(bound.scope, [
      ['node.name', nodeName],
      ['retries', String(o.retryAttempt ?? 0)],
    ]);
    let node: NodeStatus | undefined;
    try {
      if (t.container || t.script) node = await this.executePod(nodeName, t, tscope, scope, bound.inputs, o);
      else if (t.steps) node = await this.executeSteps(nodeName, t, tscope, scope, bound.inputs, o);
      else if (t.dag) node = await this.executeDag(nodeName, t, tscope, scope, bound.inputs, o);
      else if (t.suspend) node = this.executeSuspend(nodeName, t, tscope, scope, bound.inputs, o);
      else throw new WorkflowError(`template "${t.name}" has no container, script, steps, dag or suspend`);
    } catch (err) {
      if (!isUserError(err)) throw err;
      const n = this.node(nodeName) ?? this.initNode(nodeName, 'Pod', o, t, tscope);
      this.mark(n, 'Error', err.message);
      return n;
    }
    if (node && !isFulfilledPhase(node.phase) && t.timeout && node.startedAt) {
      const end = Date.parse(node.startedAt) + parseDurationSeconds(String(t.timeout)) * 1000;
      if (this.ctx.now >= end) {
        this.killNode(node, 'Step exceeded its deadline');
      } else this.requeueIn(end - this.ctx.now);
    }
    return node;
  }

  /** Fails a running node and everything still running under it, deleting their pods. */
  private killNode(node: NodeStatus, message: string): void {
    for (const id of node.children ?? []) {
      const c = this.nodes[id];
      if (c && !isFulfilledPhase(c.phase)) this.killNode(c, message);
    }
    if (node.type === 'Pod') {
      const name = this.podNameOf(node);
      if (this.ctx.pods.has(name)) this.result.deletePods.push(name);
    }
    this.mark(node, 'Failed', message);
  }

  private async executeRetry(
    nodeName: string,
    holder: Holder,
    resolved: { template: Template; tscope: TemplateScope },
    args: Arguments | undefined,
    outer: Scope,
    o: ExecOptions,
    bound: { scope: Scope; inputs: Template['inputs'] },
  ): Promise<NodeStatus | undefined> {
    const t = resolved.template;
    const rs = t.retryStrategy!;
    let node = this.node(nodeName);
    const children = () => (node?.children ?? []).map((id) => this.nodes[id]).filter((n): n is NodeStatus => !!n);
    const limit = rs.limit === undefined ? Infinity : Number(substituteString(String(rs.limit), bound.scope));
    const policy = rs.retryPolicy ?? 'OnFailure';
    if (!node) {
      if (!this.canStart(o)) return undefined;
      node = this.initNode(nodeName, 'Retry', o, t, resolved.tscope, 'Running');
      if (bound.inputs) node.inputs = bound.inputs;
    }
    const attempts = children();
    const last = attempts[attempts.length - 1];
    if (last && !isFulfilledPhase(last.phase)) {
      // Look again at the running attempt.
      const n = attempts.length - 1;
      const again = await this.execute(last.name, holder, resolved.tscope, args, outer, { ...o, boundaryID: o.boundaryID, displayName: `${o.displayName}(${n})`, retryAttempt: n });
      if (!again || !isFulfilledPhase(again.phase)) return node;
      return this.executeRetry(nodeName, holder, resolved, args, outer, o, bound);
    }
    if (last) {
      if (last.phase === 'Succeeded') {
        node.outputs = last.outputs;
        this.mark(node, 'Succeeded');
        return node;
      }
      const retryable =
        attempts.length <= limit &&
        (policy === 'Always' || (policy === 'OnFailure' && last.phase === 'Failed') || (policy === 'OnError' && last.phase === 'Error') || (policy === 'OnTransientError' && last.phase === 'Error'));
      let ok = retryable && !this.deadlineExceeded && !this.shutdown;
      if (ok && rs.expression) {
        const exitCode = last.outputs?.exitCode ?? '';
        const lastDuration = last.startedAt && last.finishedAt ? (Date.parse(last.finishedAt) - Date.parse(last.startedAt)) / 1000 : 0;
        const env = withEntries(bound.scope, [
          ['lastRetry.exitCode', String(exitCode)],
          ['lastRetry.status', String(last.phase)],
          ['lastRetry.duration', String(lastDuration)],
          ['lastRetry.message', last.message ?? ''],
        ]);
        const v = substituteString(`{{=${rs.expression}}}`, env);
        ok = v === 'true';
      }
      const backoff = rs.backoff;
      if (ok && backoff?.maxDuration !== undefined && attempts[0]?.startedAt) {
        const max = parseDurationSeconds(String(backoff.maxDuration)) * 1000;
        if (this.ctx.now - Date.parse(attempts[0].startedAt) >= max) {
          this.mark(node, last.phase as NodePhase, 'Max duration limit exceeded');
          node.outputs = last.outputs;
          return node;
        }
      }
      if (!ok) {
        node.outputs = last.outputs;
        this.mark(node, last.phase as NodePhase, last.message ?? `No more retries left`);
        return node;
      }
      if (backoff?.duration !== undefined) {
        const base = parseDurationSeconds(String(backoff.duration)) * 1000;
        const factor = backoff.factor === undefined ? 1 : Number(backoff.factor);
        let wait = base * Math.pow(factor, attempts.length - 1);
        if (backoff.cap !== undefined) wait = Math.min(wait, parseDurationSeconds(String(backoff.cap)) * 1000);
        const readyAt = Date.parse(last.finishedAt ?? this.iso()) + wait;
        if (this.ctx.now < readyAt) {
          node.message = `Backoff for ${Math.ceil((readyAt - this.ctx.now) / 1000)}s`;
          this.requeueIn(readyAt - this.ctx.now);
          return node;
        }
      }
      delete node.message;
    }
    const n = attempts.length;
    const child = await this.execute(`${nodeName}(${n})`, holder, resolved.tscope, args, outer, { ...o, boundaryID: o.boundaryID, displayName: `${o.displayName}(${n})`, retryAttempt: n });
    if (child) this.addChild(node, child);
    if (child && isFulfilledPhase(child.phase)) return this.executeRetry(nodeName, holder, resolved, args, outer, o, bound);
    return node;
  }

  /** The workflow's `parallelism` is used up: nothing new may start in this pass. */
  private atPodLimit(): boolean {
    return this.spec.parallelism !== undefined && this.activePods >= this.spec.parallelism;
  }

  /** Workflow-wide limits on starting something new. */
  private canStart(o: ExecOptions): boolean {
    if (this.shutdown === 'Terminate') return false;
    if ((this.shutdown || this.deadlineExceeded) && !o.isExitHandler) return false;
    if (this.suspended && !o.isExitHandler) return false;
    return true;
  }

  private async executePod(nodeName: string, t: Template, tscope: TemplateScope, scope: Scope, inputs: Template['inputs'], o: ExecOptions): Promise<NodeStatus | undefined> {
    let node = this.node(nodeName);
    const name = podName(this.wfName, t.name ?? '', nodeName);
    const pod = this.ctx.pods.get(name);
    if (!node) {
      if (!this.canStart(o)) return undefined;
      const limit = this.spec.parallelism;
      if (limit !== undefined && this.activePods >= limit) return undefined;
      node = this.initNode(nodeName, 'Pod', o, t, tscope);
      if (inputs && Object.keys(inputs).length) node.inputs = inputs;
    }
    if (!pod) {
      if (this.creating.has(name)) return node;
      if (node.phase === 'Running') {
        this.mark(node, 'Error', 'pod deleted');
        return node;
      }
      if (!this.canStart(o)) {
        if (this.deadlineExceeded || this.shutdown) this.mark(node, 'Failed', this.shutdown ? `Stopped with strategy '${this.shutdown}'` : 'Step exceeded its deadline');
        return node;
      }
      const withPod = withEntries(scope, [['pod.name', name]]);
      const processed = substitute(t, withPod);
      const id = nodeId(this.wfName, nodeName);
      let inputFiles: InputArtifactFile[];
      try {
        inputFiles = await this.ctx.io.prepare(this.wf, id, { ...processed, inputs: inputs ?? {} });
      } catch (err) {
        this.mark(node, 'Error', (err as Error).message);
        return node;
      }
      this.result.createPods.push(
        buildStepPod({ wf: this.wf, template: processed, podName: name, nodeId: id, nodeName, stagingDir: this.ctx.io.stagingDir(this.wf, id), inputArtifacts: inputFiles, volumes: this.volumes }),
      );
      this.creating.add(name);
      this.activePods++;
      return node;
    }
    // Mirror the pod.
    if (pod.spec?.nodeName) node.hostNodeName = pod.spec.nodeName;
    const phase = pod.status?.phase;
    if (this.deadlineExceeded && !o.isExitHandler && phase !== 'Succeeded' && phase !== 'Failed') {
      this.killNode(node, 'Step exceeded its deadline');
      return node;
    }
    if (this.shutdown && !o.isExitHandler && phase !== 'Succeeded' && phase !== 'Failed') {
      this.killNode(node, `Stopped with strategy '${this.shutdown}'`);
      return node;
    }
    if (phase === 'Pending') {
      // Why it waits ("0/1 nodes are available: 1 Insufficient cpu.") is worth showing until it runs.
      const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      if (unschedulable?.message) node.message = unschedulable.message;
    } else if (node.phase === 'Pending') {
      delete node.message;
      if (phase === 'Running') this.mark(node, 'Running');
    }
    if (phase !== 'Succeeded' && phase !== 'Failed') return node;
    const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
    const id = nodeId(this.wfName, nodeName);
    const processed = substitute(t, withEntries(scope, [['pod.name', name]]));
    const collected = await this.ctx.io.collect(this.wf, id, processed);
    const outputs: NonNullable<NodeStatus['outputs']> = {};
    if (term?.exitCode !== undefined) outputs.exitCode = String(term.exitCode);
    if (collected.result !== undefined) outputs.result = collected.result;
    const params: Parameter[] = [];
    let outputError: string | undefined;
    for (const p of processed.outputs?.parameters ?? []) {
      let v = collected.parameters.get(p.name);
      if (v === undefined && p.valueFrom?.expression) v = substituteString(`{{=${p.valueFrom.expression}}}`, scope);
      if (v === undefined && p.valueFrom?.default !== undefined) v = String(p.valueFrom.default);
      if (v === undefined && p.value !== undefined) v = String(p.value);
      if (v === undefined) {
        outputError ??= `outputs.parameters.${p.name}: ${p.valueFrom?.path ? `open ${p.valueFrom.path}: no such file or directory` : 'no value'}`;
        continue;
      }
      params.push({ name: p.name, value: v });
    }
    if (params.length) outputs.parameters = params;
    const arts: Record<string, unknown>[] = [];
    for (const a of processed.outputs?.artifacts ?? []) {
      const saved = collected.artifacts.get(a.name);
      if (saved) arts.push(saved);
      else if (!a.optional && phase === 'Succeeded') outputError ??= `outputs.artifacts.${a.name}: path ${a.path} does not exist`;
    }
    if (arts.length) outputs.artifacts = arts as never;
    node.outputs = outputs;
    if (phase === 'Succeeded') {
      if (outputError) this.mark(node, 'Error', outputError);
      else this.mark(node, 'Succeeded');
    } else {
      const reason = pod.status?.reason === 'DeadlineExceeded' ? undefined : term?.reason;
      const message =
        pod.status?.reason === 'DeadlineExceeded'
          ? 'Pod was active on the node longer than the specified deadline'
          : term
            ? `${reason === 'OOMKilled' ? 'OOMKilled' : 'Error'} (exit code ${term.exitCode})`
            : (pod.status?.message ?? 'pod failed');
      this.mark(node, 'Failed', message);
    }
    if (processed.outputs?.parameters?.some((p) => p.globalName) || processed.outputs?.artifacts?.some((a) => a.globalName)) this.refreshGlobalOutputs();
    if (term?.startedAt) node.startedAt = term.startedAt;
    if (term?.finishedAt) node.finishedAt = term.finishedAt;
    this.activePods = Math.max(0, this.activePods - 1);
    return node;
  }

  private executeSuspend(nodeName: string, t: Template, tscope: TemplateScope, scope: Scope, inputs: Template['inputs'], o: ExecOptions): NodeStatus | undefined {
    let node = this.node(nodeName);
    if (!node) {
      if (!this.canStart(o)) return undefined;
      node = this.initNode(nodeName, 'Suspend', o, t, tscope, 'Running');
      if (inputs && Object.keys(inputs).length) node.inputs = inputs;
    }
    if (this.deadlineExceeded || this.shutdown) {
      this.mark(node, 'Failed', this.shutdown ? `Stopped with strategy '${this.shutdown}'` : 'Step exceeded its deadline');
      return node;
    }
    const duration = t.suspend?.duration;
    if (duration !== undefined && node.startedAt) {
      const end = Date.parse(node.startedAt) + parseDurationSeconds(substituteString(String(duration), scope)) * 1000;
      if (this.ctx.now >= end) this.mark(node, 'Succeeded');
      else this.requeueIn(end - this.ctx.now);
    }
    if (node.phase === 'Succeeded') {
      // Output parameters a suspend node declares come from values supplied on resume, or their defaults.
      const params = (t.outputs?.parameters ?? []).map((p) => {
        const supplied = node!.outputs?.parameters?.find((x) => x.name === p.name)?.value;
        return { name: p.name, value: String(supplied ?? p.valueFrom?.default ?? p.value ?? '') };
      });
      if (params.length) node.outputs = { ...(node.outputs ?? {}), parameters: params };
    }
    return node;
  }

  // ---- steps ----------------------------------------------------------------------------------

  private async executeSteps(nodeName: string, t: Template, tscope: TemplateScope, scope: Scope, inputs: Template['inputs'], o: ExecOptions): Promise<NodeStatus | undefined> {
    let node = this.node(nodeName);
    if (!node) {
      if (!this.canStart(o)) return undefined;
      node = this.initNode(nodeName, 'Steps', o, t, tscope, 'Running');
      if (inputs && Object.keys(inputs).length) node.inputs = inputs;
    }
    let stepScope = scope;
    const groups = t.steps ?? [];
    for (let i = 0; i < groups.length; i++) {
      const group = (groups[i] ?? []) as WorkflowStep[];
      const groupName = `${nodeName}[${i}]`;
      let groupNode = this.node(groupName);
      if (!groupNode) {
        if (!this.canStart(o)) break;
        groupNode = this.initNode(groupName, 'StepGroup', { ...o, boundaryID: node.id, displayName: `[${i}]` }, undefined, tscope, 'Running');
        groupNode.templateName = t.name;
      }
      this.addChild(node, groupNode);
      const done = await this.executeGroup(groupNode, group, t, tscope, stepScope, node.id, o);
      if (!done) return node;
      stepScope = withEntries(stepScope, this.stepScopeEntries('steps', group, groupNode));
      if (isFailurePhase(groupNode.phase)) {
        this.mark(node, 'Failed', groupNode.message);
        return node;
      }
    }
    if (this.node(`${nodeName}[${groups.length - 1}]`)?.phase !== 'Succeeded' && groups.length > 0) return node;
    this.setTemplateOutputs(node, t, stepScope);
    return node;
  }

  /** Runs one group of parallel steps; true when every step is fulfilled. */
  private async executeGroup(groupNode: NodeStatus, group: WorkflowStep[], t: Template, tscope: TemplateScope, scope: Scope, boundaryID: string, o: ExecOptions): Promise<boolean> {
    if (isFulfilledPhase(groupNode.phase)) return true;
    const limit = t.parallelism === undefined ? Infinity : Number(t.parallelism);
    let running = 0;
    let allDone = true;
    const failures: NodeStatus[] = [];
    for (const step of group) {
      const stepName = step.name ?? '';
      const base = `${groupNode.name}.${stepName}`;
      const expansions = this.expandItems(step, scope, base, stepName);
      if ('error' in expansions) {
        const n = this.node(base) ?? this.initNode(base, 'Skipped', { ...o, boundaryID, displayName: stepName }, undefined, tscope, 'Error', expansions.error);
        this.addChild(groupNode, n);
        failures.push(n);
        continue;
      }
      for (const x of expansions.items) {
        const existing = this.node(x.name);
        if (!existing && (running >= limit || this.atPodLimit())) {
          allDone = false;
          continue;
        }
        // Finished steps need no scope: skipping its construction keeps wide loops cheap per pass.
        const done = existing && isFulfilledPhase(existing.phase) && !this.exitPending(x.name, step);
        const n = done ? existing : await this.executeStepLike(x.name, x.displayName, step, tscope, withEntries(scope, x.scope), boundaryID, o);
        if (!n) {
          allDone = false;
          continue;
        }
        this.addChild(groupNode, n);
        if (!isFulfilledPhase(n.phase)) {
          allDone = false;
          running++;
        } else if (isFailurePhase(n.phase) && !this.continues(step, n)) failures.push(n);
      }
    }
    if (!allDone) return false;
    if (failures.length) this.mark(groupNode, 'Failed', failures[0]!.message ?? `child '${failures[0]!.id}' failed`);
    else this.mark(groupNode, 'Succeeded');
    return true;
  }

  private continues(step: { continueOn?: { failed?: boolean; error?: boolean } }, n: NodeStatus): boolean {
    return (n.phase === 'Failed' && step.continueOn?.failed === true) || (n.phase === 'Error' && step.continueOn?.error === true);
  }

  /** A step or a task: `when`, then the template, then its onExit / hooks.exit. */
  private async executeStepLike(
    name: string,
    displayName: string,
    step: WorkflowStep | DAGTask,
    tscope: TemplateScope,
    scope: Scope,
    boundaryID: string,
    o: ExecOptions,
  ): Promise<NodeStatus | undefined> {
    let node = this.node(name);
    if (node && isFulfilledPhase(node.phase) && !this.exitPending(name, step)) return node;
    if (!node && step.when) {
      let ok: boolean;
      const expr = substituteString(step.when, scope);
      try {
        ok = evaluateWhen(expr);
      } catch (err) {
        const n = this.initNode(name, 'Skipped', { ...o, boundaryID, displayName }, undefined, tscope, 'Error', `invalid when expression "${expr}": ${(err as Error).message}`);
        return n;
      }
      if (!ok) return this.initNode(name, 'Skipped', { ...o, boundaryID, displayName }, undefined, tscope, 'Skipped', `when '${expr}' evaluated false`);
    }
    // Global outputs set earlier in this same pass are visible too.
    scope = withEntries(scope, [...this.global].filter(([k]) => k.startsWith('workflow.outputs.')));
    const args = substitute(step.arguments, scope);
    const holder: Holder = { ...(step.template ? { template: step.template } : {}), ...(step.templateRef ? { templateRef: step.templateRef } : {}), ...(step.inline ? { inline: step.inline } : {}) };
    if (args?.artifacts) args.artifacts = args.artifacts.map((a) => this.resolveArtifactArgument(a, scope));
    node = await this.execute(name, holder, tscope, args, scope, { ...o, boundaryID, displayName, retryAttempt: undefined });
    if (!node || !isFulfilledPhase(node.phase)) return node;
    // The step's own exit handler runs after it; the step counts as done when that is done too.
    const exit = step.onExit ? { template: step.onExit } : step.hooks?.['exit'];
    if (exit && !this.shutdownTerminate()) {
      const exitScope = withEntries(scope, [
        ['steps.status', String(node.phase)],
        ['tasks.status', String(node.phase)],
      ]);
      const e = await this.execute(`${name}.onExit`, exit, tscope, exit.arguments ? substitute(exit.arguments, exitScope) : undefined, exitScope, {
        ...o,
        boundaryID,
        displayName: `${displayName}.onExit`,
        isExitHandler: true,
      });
      if (!e || !isFulfilledPhase(e.phase)) return { ...node, phase: 'Running' };
    }
    return node;
  }

  private shutdownTerminate(): boolean {
    return this.shutdown === 'Terminate';
  }

  private exitPending(name: string, step: WorkflowStep | DAGTask): boolean {
    if (!step.onExit && !step.hooks?.['exit']) return false;
    const e = this.node(`${name}.onExit`);
    return !e || !isFulfilledPhase(e.phase);
  }

  private resolveArtifactArgument(a: Artifact, scope: Scope): Artifact {
    const from = a.from ?? (a.fromExpression ? `{{=${a.fromExpression}}}` : undefined);
    if (!from) return a;
    const v = substituteString(from, scope);
    if (v.startsWith('{{')) throw new WorkflowError(`artifact ${a.name}: cannot resolve ${from}`);
    const loc = JSON.parse(v) as Artifact;
    const { from: _f, fromExpression: _fe, ...rest } = a;
    return { ...loc, ...rest, name: a.name };
  }

  /** Loop expansion: one entry per item, or the single step. */
  private expandItems(step: WorkflowStep | DAGTask, scope: Scope, base: string, displayBase: string): { items: { name: string; displayName: string; scope: [string, string][] }[] } | { error: string } {
    let items: unknown[] | undefined;
    if (step.withItems) items = substitute(step.withItems as unknown[], scope);
    else if (step.withParam) {
      const raw = substituteString(step.withParam, scope);
      try {
        const parsed: unknown = JSON.parse(raw);
        if (!Array.isArray(parsed)) throw new Error('not a list');
        items = parsed;
      } catch {
        return { error: `withParam value could not be parsed as a JSON list: ${raw.length > 200 ? raw.slice(0, 200) + '…' : raw}` };
      }
    } else if (step.withSequence) {
      const seq = substitute(step.withSequence, scope);
      const start = seq.start !== undefined ? Number(seq.start) : 0;
      let end: number;
      if (seq.count !== undefined) end = start + Number(seq.count) - 1;
      else if (seq.end !== undefined) end = Number(seq.end);
      else return { error: 'withSequence needs count or end' };
      if (!Number.isInteger(start) || !Number.isInteger(end)) return { error: 'withSequence start, end and count must be integers' };
      items = [];
      if (seq.count !== undefined && Number(seq.count) === 0) items = [];
      else if (end >= start) for (let n = start; n <= end; n++) items.push(formatSequence(seq.format, n));
      else for (let n = start; n >= end; n--) items.push(formatSequence(seq.format, n));
    }
    if (!items) return { items: [{ name: base, displayName: displayBase, scope: [] }] };
    return {
      items: items.map((item, i) => ({ name: `${base}(${i}:${itemLabel(item)})`, displayName: `${displayBase}(${i}:${itemLabel(item)})`, scope: itemScope(item) })),
    };
  }

  /** `steps.NAME.*` / `tasks.NAME.*` for the finished nodes of one group or dag, loops aggregated. */
  private stepScopeEntries(prefix: 'steps' | 'tasks', steps: readonly (WorkflowStep | DAGTask)[], parent: NodeStatus): [string, string][] {
    const out: [string, string][] = [];
    const children = (parent.children ?? []).map((id) => this.nodes[id]).filter((n): n is NodeStatus => !!n);
    for (const step of steps) {
      const name = step.name ?? '';
      const looped = !!(step.withItems || step.withParam || step.withSequence);
      if (!looped) {
        const n = children.find((c) => c.displayName === name);
        if (n) out.push(...this.nodeScope(`${prefix}.${name}`, n));
        continue;
      }
      const mine = prefix === 'tasks' ? (this.node(`${parent.name}.${name}`)?.children ?? []).map((id) => this.nodes[id]!).filter(Boolean) : children.filter((c) => c.displayName?.startsWith(`${name}(`));
      const results: unknown[] = [];
      const paramsList: Record<string, string>[] = [];
      const byParam = new Map<string, string[]>();
      for (const c of mine) {
        const r = c.outputs?.result;
        if (r !== undefined) {
          try {
            results.push(JSON.parse(r));
          } catch {
            results.push(r);
          }
        }
        const ps: Record<string, string> = {};
        for (const p of c.outputs?.parameters ?? []) {
          ps[p.name] = String(p.value ?? '');
          byParam.set(p.name, [...(byParam.get(p.name) ?? []), String(p.value ?? '')]);
        }
        if (c.outputs?.parameters) paramsList.push(ps);
      }
      const group = prefix === 'tasks' ? this.node(`${parent.name}.${name}`) : undefined;
      if (group) out.push(...this.nodeScope(`${prefix}.${name}`, group).filter(([k]) => !k.includes('.outputs.')));
      out.push([`${prefix}.${name}.outputs.result`, JSON.stringify(results)]);
      out.push([`${prefix}.${name}.outputs.parameters`, JSON.stringify(paramsList)]);
      for (const [p, values] of byParam) out.push([`${prefix}.${name}.outputs.parameters.${p}`, JSON.stringify(values)]);
    }
    return out;
  }

  private nodeScope(prefix: string, n: NodeStatus): [string, string][] {
    const out: [string, string][] = [
      [`${prefix}.id`, n.id],
      [`${prefix}.status`, String(n.phase ?? '')],
      [`${prefix}.startedAt`, String(n.startedAt ?? '')],
      [`${prefix}.finishedAt`, String(n.finishedAt ?? '')],
    ];
    if (n.hostNodeName) out.push([`${prefix}.hostNodeName`, n.hostNodeName]);
    if (n.outputs?.exitCode !== undefined) out.push([`${prefix}.exitCode`, String(n.outputs.exitCode)]);
    if (n.outputs?.result !== undefined) out.push([`${prefix}.outputs.result`, n.outputs.result]);
    for (const p of n.outputs?.parameters ?? []) out.push([`${prefix}.outputs.parameters.${p.name}`, String(p.value ?? '')]);
    if (n.outputs?.parameters) out.push([`${prefix}.outputs.parameters`, JSON.stringify(Object.fromEntries(n.outputs.parameters.map((p) => [p.name, String(p.value ?? '')])))]);
    for (const a of n.outputs?.artifacts ?? []) out.push([`${prefix}.outputs.artifacts.${a.name}`, JSON.stringify(a)]);
    return out;
  }

  /** A steps or dag template's own outputs, from its children's. */
  private setTemplateOutputs(node: NodeStatus, t: Template, scope: Scope): void {
    const outputs: NonNullable<NodeStatus['outputs']> = {};
    const params: Parameter[] = [];
    for (const p of t.outputs?.parameters ?? []) {
      const src = p.valueFrom?.parameter ?? (p.valueFrom?.expression ? `{{=${p.valueFrom.expression}}}` : undefined);
      let v = src ? substituteString(src, scope) : p.value !== undefined ? String(p.value) : undefined;
      if (v !== undefined && v.includes('{{') && p.valueFrom?.default !== undefined) v = String(p.valueFrom.default);
      if (v === undefined && p.valueFrom?.default !== undefined) v = String(p.valueFrom.default);
      if (v !== undefined) params.push({ name: p.name, value: v });
    }
    if (params.length) outputs.parameters = params;
    const arts: unknown[] = [];
    for (const a of t.outputs?.artifacts ?? []) {
      try {
        arts.push(this.resolveArtifactArgument(a, scope));
      } catch {
        if (!a.optional) {
          this.mark(node, 'Error', `outputs.artifacts.${a.name}: cannot resolve ${a.from ?? a.fromExpression}`);
          return;
        }
      }
    }
    if (arts.length) outputs.artifacts = arts as never;
    if (Object.keys(outputs).length) node.outputs = outputs;
    this.mark(node, 'Succeeded');
  }

  // ---- dag ------------------------------------------------------------------------------------

  private async executeDag(nodeName: string, t: Template, tscope: TemplateScope, scope: Scope, inputs: Template['inputs'], o: ExecOptions): Promise<NodeStatus | undefined> {
    let node = this.node(nodeName);
    if (!node) {
      if (!this.canStart(o)) return undefined;
      node = this.initNode(nodeName, 'DAG', o, t, tscope, 'Running');
      if (inputs && Object.keys(inputs).length) node.inputs = inputs;
    }
    const dag = t.dag!;
    const tasks = dag.tasks ?? [];
    const byName = new Map(tasks.map((x) => [x.name, x]));
    const taskNodeName = (task: string) => `${nodeName}.${task}`;
    const depends = new Map<string, ReturnType<typeof parseDepends> | undefined>();
    for (const task of tasks) {
      const src = task.depends ?? (task.dependencies?.length ? dependenciesToDepends(task.dependencies) : undefined);
      try {
        depends.set(task.name, src ? parseDepends(src) : undefined);
      } catch (err) {
        this.mark(node, 'Error', `task ${task.name}: invalid depends "${src}": ${(err as Error).message}`);
        return node;
      }
    }
    // `target` runs only the named tasks and what they need.
    let wanted: Set<string> | undefined;
    const target = dag.target ? substituteString(dag.target, scope) : undefined;
    if (target) {
      wanted = new Set();
      const add = (n: string): void => {
        if (wanted!.has(n) || !byName.has(n)) return;
        wanted!.add(n);
        const d = depends.get(n);
        for (const dep of d ? dependsTasks(d) : []) add(dep);
      };
      for (const n of target.split(/\s+/).filter(Boolean)) add(n);
    }
    const failFast = dag.failFast !== false;
    // A failure some task's depends expects (`A.Failed`, `A.Completed`…) is handled, not fatal.
    const handled = new Set<string>();
    for (const d of depends.values()) if (d?.root) expectsFailure(d.root, false, handled);
    const limit = t.parallelism === undefined ? Infinity : Number(t.parallelism);
    const result = (name: string): TaskResult => {
      const n = this.node(taskNodeName(name));
      if (!n || !isFulfilledPhase(n.phase) || this.exitPending(taskNodeName(name), byName.get(name)!)) return { fulfilled: false };
      const phase = nodeResultPhase(n)!;
      const childPhases = n.type === 'TaskGroup' ? (n.children ?? []).map((id) => nodeResultPhase(this.nodes[id])).filter((p): p is NodeResultPhase => !!p) : undefined;
      const continueOn = byName.get(name)?.continueOn;
      return { fulfilled: true, phase, ...(childPhases ? { childPhases } : {}), ...(continueOn ? { continueOn } : {}) };
    };
    let running = tasks.filter((task) => {
      const n = this.node(taskNodeName(task.name));
      return n !== undefined && !isFulfilledPhase(n.phase);
    }).length;
    let failedTask = tasks.some((task) => {
      const n = this.node(taskNodeName(task.name));
      return n !== undefined && isFailurePhase(n.phase) && !this.continues(task, n) && !handled.has(task.name);
    });
    // Topological sweep: one pass in declaration order is repeated while tasks keep finishing.
    for (let pass = 0; pass < tasks.length + 1; pass++) {
      let progressed = false;
      for (const task of tasks) {
        if (wanted && !wanted.has(task.name)) continue;
        const name = taskNodeName(task.name);
        const existing = this.node(name);
        if (existing && isFulfilledPhase(existing.phase) && !this.exitPending(name, task)) continue;
        const dep = depends.get(task.name);
        if (dep && !existing) {
          const verdict = evaluateDepends(dep, result);
          if (verdict === 'pending') continue;
          if (!verdict) {
            const n = this.initNode(name, 'Skipped', { ...o, boundaryID: node.id, displayName: task.name }, undefined, tscope, 'Omitted', 'omitted: depends condition not met');
            this.addChild(node, n);
            progressed = true;
            continue;
          }
        }
        if (!existing && failFast && failedTask) continue;
        if (!existing && running >= limit) continue;
        const taskScope = withEntries(scope, this.stepScopeEntries('tasks', tasks, node));
        const n = await this.executeTask(name, task, tscope, taskScope, node, o);
        if (!n) continue;
        this.addChild(node, n);
        if (isFulfilledPhase(n.phase) && !this.exitPending(name, task)) progressed = true;
        else if (!existing) running++;
        if (isFailurePhase(n.phase) && !this.continues(task, n) && !handled.has(task.name)) failedTask = true;
      }
      if (!progressed) break;
    }
    // Done when every wanted task is fulfilled or can never run.
    const pending = tasks.filter((task) => {
      if (wanted && !wanted.has(task.name)) return false;
      const n = this.node(taskNodeName(task.name));
      if (n) return !isFulfilledPhase(n.phase) || this.exitPending(taskNodeName(task.name), task);
      // Not started: blocked by failFast, or still waiting on dependencies.
      if (failFast && failedTask) return false;
      return true;
    });
    const anyRunning = pending.some((task) => !!this.node(taskNodeName(task.name)));
    if (pending.length && (anyRunning || !(failFast && failedTask))) {
      if (!anyRunning && !this.canStart(o)) {
        // Nothing runs and nothing may start (deadline, stop): the DAG ends here.
      } else return node;
    }
    // Phase, as Argo judges it: walk each branch from the root tasks down the dependencies; an
    // Omitted task carries its parent's phase, and the DAG fails when a branch ends (a task no
    // other task depends on) in failure. A failure that a dependent ran on is so handled.
    const inScope = (name: string) => !wanted || wanted.has(name);
    const dependents = new Map<string, string[]>();
    for (const task of tasks) {
      const d = depends.get(task.name);
      for (const parent of d ? dependsTasks(d) : []) dependents.set(parent, [...(dependents.get(parent) ?? []), task.name]);
    }
    let failure: NodeStatus | undefined;
    const seen = new Set<string>();
    const walk = (name: string, inherited: { phase: string; node?: NodeStatus }): void => {
      const task = byName.get(name);
      if (!task || !inScope(name) || failure) return;
      const n = this.node(taskNodeName(name));
      let branch = inherited;
      if (n && n.phase !== 'Omitted') branch = isFailurePhase(n.phase) && this.continues(task, n) ? { phase: 'Succeeded' } : { phase: String(n.phase), node: n };
      const key = `${name}\u0000${branch.phase}`;
      if (seen.has(key)) return;
      seen.add(key);
      const next = (dependents.get(name) ?? []).filter(inScope);
      if (next.length === 0) {
        if (isFailurePhase(branch.phase)) failure = branch.node ?? n;
        return;
      }
      for (const child of next) walk(child, branch);
    };
    for (const task of tasks) {
      const d = depends.get(task.name);
      if (!d || dependsTasks(d).filter(inScope).length === 0) walk(task.name, { phase: 'Succeeded' });
    }
    const scopeAll = withEntries(scope, this.stepScopeEntries('tasks', tasks, node));
    if (failure) {
      this.mark(node, 'Failed', failure.message ?? `child '${failure.id}' failed`);
      return node;
    }
    if (pending.length && !this.canStart(o)) {
      this.mark(node, 'Failed', this.shutdown ? `Stopped with strategy '${this.shutdown}'` : 'Step exceeded its deadline');
      return node;
    }
    this.setTemplateOutputs(node, t, scopeAll);
    return node;
  }

  private async executeTask(name: string, task: DAGTask, tscope: TemplateScope, scope: Scope, dagNode: NodeStatus, o: ExecOptions): Promise<NodeStatus | undefined> {
    const expansions = this.expandItems(task, scope, name, task.name);
    if ('error' in expansions) {
      return this.node(name) ?? this.initNode(name, 'Skipped', { ...o, boundaryID: dagNode.id, displayName: task.name }, undefined, tscope, 'Error', expansions.error);
    }
    const looped = !!(task.withItems || task.withParam || task.withSequence);
    if (!looped) return this.executeStepLike(name, task.name, task, tscope, scope, dagNode.id, o);
    // A loop in a DAG is a TaskGroup node holding one child per item.
    let group = this.node(name);
    if (!group) {
      if (!this.canStart(o)) return undefined;
      group = this.initNode(name, 'TaskGroup', { ...o, boundaryID: dagNode.id, displayName: task.name }, undefined, tscope, 'Running');
    }
    if (isFulfilledPhase(group.phase)) return group;
    let allDone = true;
    let failure: NodeStatus | undefined;
    let anySucceeded = false;
    const single = { ...task, withItems: undefined, withParam: undefined, withSequence: undefined };
    for (const x of expansions.items) {
      const existing = this.node(x.name);
      if (!existing && this.atPodLimit()) {
        allDone = false;
        continue;
      }
      const done = existing && isFulfilledPhase(existing.phase) && !this.exitPending(x.name, task);
      const n = done ? existing : await this.executeStepLike(x.name, x.displayName, single, tscope, withEntries(scope, x.scope), dagNode.id, o);
      if (!n) {
        allDone = false;
        continue;
      }
      this.addChild(group, n);
      if (!isFulfilledPhase(n.phase)) allDone = false;
      else if (isFailurePhase(n.phase) && !this.continues(task, n)) failure ??= n;
      else if (n.phase === 'Succeeded') anySucceeded = true;
    }
    if (!allDone) return group;
    if (failure) this.mark(group, 'Failed', failure.message ?? `child '${failure.id}' failed`);
    else this.mark(group, expansions.items.length === 0 || anySucceeded ? 'Succeeded' : 'Skipped');
    return group;
  }
}
