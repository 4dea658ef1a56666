/**
 * The Workflow controller: for each workflow whose status or pods changed, reads the outputs of
 * its finished steps, runs a pass (pass.ts, pure), then applies what the pass decided: claims,
 * status, then each new step's files and pod, deletions, cache entries, events. Level-triggered: a
 * pass after a restart recomputes from the stored status and the pods that exist.
 */
import type { ConfigMap, KubeObject, PersistentVolumeClaim, Pod, Stored } from '../../api/types.js';
import { AlreadyExistsError, DroverError, NotFoundError } from '../../api/errors.js';
import { Informer, type Store } from '../../store/index.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { WorkQueue, type ReconcileResult } from '../../store/queue.js';
import { runPass } from './pass.js';
import type { PassInput, PassResult, TemplateSource } from './operation.js';
import type { CollectedOutputs, ContainerLog, ResourceOutcome, StepIO, StepPodPlan } from './io.js';
import { performResource, type ResourceDeps } from './resource-io.js';
import { RESOURCE_POLL_MS } from './resource.js';
import { afterFinish, podsToCollect } from './gc.js';
import { buildStepPod, needsStaging, type InputArtifactFile } from './steppod.js';
import { ARGO_API_VERSION, WF_LABELS, isFulfilledPhase, isWorkflowDone, type ClusterWorkflowTemplate, type Template, type Workflow, type WorkflowTemplate } from './types.js';
import { InMemoryLockTable, heldLocks } from './sync.js';
import { stepTrace } from '../../util/steptrace.js';

export interface WorkflowControllerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  io: StepIO & { removeWorkflow(wf: Pick<Workflow, 'metadata'>): Promise<void>; releaseClaim(namespace: string, name: string): Promise<void> };
  /** A pod's container log (archiveLogs); absent, logs are not archived. */
  podLogs?(pod: Pod, container: string): AsyncIterable<string>;
  /** What resource templates act through; absent, a resource step fails saying so. */
  resources?: ResourceDeps;
}

const SOURCE = 'workflow-controller';
type StoredWorkflow = Stored<Workflow>;

function isPodDone(pod: Pod | undefined): boolean {
  return pod?.status?.phase === 'Succeeded' || pod?.status?.phase === 'Failed';
}

/**
 * What a pass reads of a pod (pod.ts `podNode`), apart from an ended pod's details, which come
 * with its phase: the phase, and why it cannot be scheduled. Its node (`hostNodeName`) is read
 * by every pass that looks at the pod, so the bind alone needs none.
 */
export function passRelevant(pod: Pod): string {
  const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  // A pod made without a status is Pending, as the API server would have said: the bind that
  // writes `Pending` is no news.
  // Readiness too: a daemon step is up once its pod is ready (a readiness probe may say so later).
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '';
  return `${pod.status?.phase ?? 'Pending'}\n${unschedulable?.message ?? ''}\n${pod.metadata?.deletionTimestamp ?? ''}\n${ready}`;
}

function key(ns: string | undefined, name: string | undefined): string {
  return `${ns ?? ''}/${name ?? ''}`;
}

/**
 * Pods one pass creates before it lets the next pass run. Creating 10,000 in one pass held the
 * workflow's queue slot until the last existed, so its status (and `Progress`) stood still for
 * many minutes while the first thousands of steps had already finished.
 */
const MAX_POD_STARTS_PER_PASS = 250;

/** How long a step's start (pod Running) may wait for a pass of its own (WorkQueue.addSoon). */
const RUNNING_NEWS_MS = 250;

export class WorkflowController {
  private readonly workflows: Informer<StoredWorkflow>;
  private readonly pods: Informer<Stored<Pod>>;
  private readonly templates: Informer<Stored<WorkflowTemplate>>;
  private readonly clusterTemplates: Informer<Stored<ClusterWorkflowTemplate>>;
  private readonly configMaps: Informer<KubeObject & { data?: Record<string, string> }>;
  private readonly queue: WorkQueue;
  /** Mutexes and semaphores; rebuilt from the stored workflows' holds before the first pass. */
  private readonly locks = new InMemoryLockTable((_key, waiters) => {
    for (const w of waiters) this.queue.add(w.split('/').slice(0, 2).join('/'));
  });
  private locksLoaded = false;
  /** The workflow whose status this controller is writing right now. */
  private writing: string | undefined;
  /** Pod names per workflow, so a pass does not scan every pod in the store. */
  private readonly podsByWorkflow = new Map<string, Set<string>>();
  /**
   * Per workflow, the resolved template of each step whose pod runs, by node id: what to read when
   * it ends, so its outputs are ready before the pass that needs them. Lost on restart; then the
   * pass asks for them (`collect`) and runs again.
   */
  private readonly running = new Map<string, Map<string, { podName: string; template: Template }>>();
  /** Per workflow, the last pass's memo and the resourceVersion of the status it goes with. */
  private readonly memos = new Map<string, { rv: string; memo: PassResult['memo'] }>();
  /** Per pod (namespace/name), what a pass reads of it when it last brought a pass (passRelevant). */
  private readonly podSeen = new Map<string, string>();
  /** Per workflow, staging that failed since its last pass, by node id: the next pass errs the node. */
  private readonly stagingErrors = new Map<string, Map<string, string>>();
  /** Per workflow: what resource nodes' actions found (PassInput.resources), and the nodes whose action is under way. */
  private readonly resourceOutcomes = new Map<string, Map<string, ResourceOutcome>>();
  private readonly resourcesBusy = new Map<string, Set<string>>();

  constructor(private readonly o: WorkflowControllerOptions) {
    this.workflows = new Informer(o.store, { apiVersion: ARGO_API_VERSION, kind: 'Workflow' });
    this.pods = new Informer(o.store, { apiVersion: 'v1', kind: 'Pod' });
    this.templates = new Informer(o.store, { apiVersion: ARGO_API_VERSION, kind: 'WorkflowTemplate' });
    this.clusterTemplates = new Informer(o.store, { apiVersion: ARGO_API_VERSION, kind: 'ClusterWorkflowTemplate' });
    this.configMaps = new Informer(o.store, { apiVersion: 'v1', kind: 'ConfigMap' });
    this.queue = new WorkQueue(SOURCE, (k) => this.reconcile(k), o.clock, o.logger);
  }

  async start(): Promise<void> {
    this.workflows.onChange((e) => {
      const k = key(e.object.metadata.namespace, e.object.metadata.name);
      if (e.type === 'DELETED') {
        this.podsByWorkflow.delete(k);
        this.forget(k);
        this.locks.releaseAll(k);
        void this.o.io.removeWorkflow(e.object).catch((err: unknown) => this.o.logger.warn('removing staging files failed', { workflow: k, error: String(err) }));
        return;
      }
      // Our own status write needs no pass of its own: it holds what the pass just decided.
      if (this.writing === k) return;
      this.queue.add(k);
    });
    this.pods.onChange((e) => {
      const wf = e.object.metadata.labels?.[WF_LABELS.workflow];
      if (!wf) return;
      const k = key(e.object.metadata.namespace, wf);
      let set = this.podsByWorkflow.get(k);
      if (!set) this.podsByWorkflow.set(k, (set = new Set()));
      const podKey = key(e.object.metadata.namespace, e.object.metadata.name);
      if (e.type === 'DELETED') {
        set.delete(e.object.metadata.name!);
        this.podSeen.delete(podKey);
        // A pod that had ended going away (podGC's own deletes, a user's clean-up) is no news:
        // the pass that saw it end already holds what it said. One pass per pod less.
        const phase = e.object.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') return;
      } else {
        set.add(e.object.metadata.name!);
        // A change the pass would not see (a container's waiting message, the node bound before
        // the pod runs, the pod we just made appearing) brings no pass: each would cost a pass,
        // and with a wide workflow's pods, passes per pod are what the server spends.
        const seen = passRelevant(e.object);
        if (this.podSeen.get(podKey) === seen) return;
        this.podSeen.set(podKey, seen);
      }
      // A step that started running is news that may wait a little: its node shows Running then,
      // and a pod ending meanwhile (a short step, or any of a wide fan-out's) brings the pass that
      // tells both. One pass and one status write of the whole workflow less per pod.
      if (e.type !== 'DELETED' && e.object.status?.phase === 'Running') this.queue.addSoon(k, RUNNING_NEWS_MS);
      else this.queue.add(k);
    });
    await this.configMaps.start();
    await this.templates.start();
    await this.clusterTemplates.start();
    await this.pods.start();
    await this.workflows.start();
  }

  stop(): void {
    this.queue.stop();
    for (const i of [this.workflows, this.pods, this.templates, this.clusterTemplates, this.configMaps]) i.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private templateSource(): TemplateSource {
    return {
      workflowTemplate: (ns, name) => this.templates.get(ns, name),
      clusterWorkflowTemplate: (name) => this.clusterTemplates.get('', name),
    };
  }

  private podsOf(wf: StoredWorkflow): Map<string, Pod> {
    const out = new Map<string, Pod>();
    for (const name of this.podsByWorkflow.get(key(wf.metadata.namespace, wf.metadata.name)) ?? []) {
      const p = this.pods.get(wf.metadata.namespace!, name);
      if (p && p.metadata.ownerReferences?.some((r) => r.uid === wf.metadata.uid)) out.set(name, p);
    }
    return out;
  }

  private async reconcile(k: string): Promise<ReconcileResult | void> {
    const passStart = stepTrace.on ? performance.now() : 0;
    const [namespace, name] = k.split('/') as [string, string];
    if (!this.locksLoaded) {
      this.locksLoaded = true;
      for (const w of this.workflows.list()) if (!isWorkflowDone(w)) for (const [lock, holder] of heldLocks(w)) this.locks.restore(lock, holder);
    }
    const wf = this.workflows.get(namespace, name);
    // Being deleted (its pods going in slices): nothing more to decide.
    if (!wf || wf.metadata.deletionTimestamp) return;
    const now = this.o.clock.now();
    if (isWorkflowDone(wf)) return this.afterFinish(wf, now);
    const pods = this.podsOf(wf);
    const stagingErrors = this.stagingErrors.get(k);
    const stepErrors = new Map(stagingErrors);
    const outputs = new Map<string, CollectedOutputs>();
    await this.readEndedSteps(wf, k, pods, outputs, stepErrors);
    const input: PassInput = {
      now,
      pods,
      templates: this.templateSource(),
      configMap: (ns, n) => this.configMaps.get(ns, n) as ConfigMap | undefined,
      locks: this.locks,
      outputs,
      stepErrors,
      resources: this.resourceOutcomes.get(k) ?? new Map(),
      resourcesInFlight: this.resourcesBusy.get(k) ?? new Set(),
    };
    // Good only for the status it was learnt from: a write by anyone else (a retry, a stop) drops it.
    const memo = this.memos.get(k);
    if (memo && memo.rv === wf.metadata.resourceVersion) input.memo = memo.memo;
    else this.memos.delete(k);
    let result = runPass(wf, input);
    if (result.collect.length) {
      // Steps that ended while another controller ran them (a restart): read them, decide again.
      for (const c of result.collect) {
        this.remember(k, c.nodeId, c.podName, c.template);
        await this.readOutputs(wf, c.nodeId, c.podName, c.template, outputs, stepErrors);
      }
      result = runPass(wf, input);
    }
    const passed = stepTrace.on ? performance.now() : 0;
    const ref = { apiVersion: ARGO_API_VERSION, kind: 'Workflow', namespace, name };

    for (const claim of result.createClaims) await this.createIgnoringExisting(claim as Stored<PersistentVolumeClaim>);
    // The status is written before the pods are made: a crash in between leaves nodes whose pods
    // the next pass creates under the same names, never pods the status does not know.
    const done = result.status.phase === 'Succeeded' || result.status.phase === 'Failed' || result.status.phase === 'Error';
    let written = false;
    try {
      // The store tells watchers of a commit before writeStatus returns, so the flag covers exactly our write.
      this.writing = k;
      // From the informer's copy, if it is still the stored version: a wide workflow's status is
      // not read back and parsed for each write.
      const labels = { ...(wf.metadata.labels ?? {}) };
      if (result.status.phase) labels[WF_LABELS.phase] = result.status.phase;
      if (done) labels[WF_LABELS.completed] = 'true';
      else labels[WF_LABELS.completed] ??= 'false';
      const stored = await this.o.store.writeStatus<StoredWorkflow>(wf, result.status, labels, undefined, result.changedNodes);
      if (stored) {
        written = true;
        this.memos.set(k, { rv: stored.metadata.resourceVersion!, memo: result.memo });
      }
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    } finally {
      this.writing = undefined;
    }
    // Changed under us (a resume, a stop): the change brings us back here.
    if (!written) return;
    // The pass has seen these errors; the nodes that had them now say so in status.
    if (stagingErrors) this.stagingErrors.delete(k);
    if (stepTrace.on) {
      const statusWritten = performance.now();
      for (const plan of result.startPods) {
        const pk = `${namespace}/${plan.podName}`;
        stepTrace.mark(pk, 'wf.pass', passStart);
        stepTrace.mark(pk, 'wf.passed', passed);
        stepTrace.mark(pk, 'wf.status', statusWritten);
      }
    }
    let started = 0;
    for (const plan of result.startPods) {
      // A wide pass makes hundreds of pods; a stop, terminate or deletion meanwhile ends that at once
      // (the pass it brings decides what becomes of the nodes left without pods).
      const current = this.workflows.get(namespace, name);
      if (!current || current.metadata.uid !== wf.metadata.uid || (current.spec?.shutdown && !wf.spec?.shutdown)) break;
      // At most so many per pass: the next pass (queued now) writes the progress made meanwhile and
      // asks again for the pods still missing, under the same names.
      if (started++ === MAX_POD_STARTS_PER_PASS) {
        this.queue.add(k);
        break;
      }
      await this.startPod(wf, k, plan);
    }
    for (const p of result.deletePods) await this.deleteIgnoringMissing({ apiVersion: 'v1', kind: 'Pod', namespace, name: p });
    for (const c of result.deleteClaims) {
      await this.deleteIgnoringMissing({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: c });
      await this.o.io.releaseClaim(namespace, c);
    }
    for (const w of result.cacheWrites) await this.writeCache(w);
    this.runResourceActions(wf, k, result);
    for (const e of result.events) await this.o.store.recordEvent({ involved: wf, type: e.type, reason: e.reason, message: e.message, source: SOURCE });
    // The end is handled here: the write of the final status does not bring a pass of its own.
    if (done) {
      // Once per workflow (a finished one gets no pass): why it failed, e.g. a field that can never parse.
      if (result.status.phase !== 'Succeeded') this.o.logger.info('workflow ended', { workflow: k, phase: result.status.phase, message: result.status.message });
      return this.afterFinish({ ...wf, status: result.status }, now);
    }
    for (const p of podsToCollect(wf, result.status, pods)) await this.deleteIgnoringMissing({ apiVersion: 'v1', kind: 'Pod', namespace, name: p });
    // A staging failure is told to the next pass; outputs still unread (never expected after the
    // second pass) are read by it.
    if (this.stagingErrors.has(k) || result.collect.length) this.queue.add(k);
    return result.requeueAfterMs !== undefined ? { requeueAfterMs: result.requeueAfterMs } : undefined;
  }

  /** The outputs of every step this controller started whose pod has ended since the last pass. */
  private async readEndedSteps(wf: StoredWorkflow, k: string, pods: Map<string, Pod>, outputs: Map<string, CollectedOutputs>, errors: Map<string, string>): Promise<void> {
    const running = this.running.get(k);
    for (const [id, step] of running ?? []) {
      const node = wf.status?.nodes?.[id];
      // Done in the stored status (or gone, by a retry action): nothing more to read.
      if (!node || isFulfilledPhase(node.phase)) running!.delete(id);
      else if (isPodDone(pods.get(step.podName))) await this.readOutputs(wf, id, step.podName, step.template, outputs, errors);
    }
  }

  /**
   * A finished step's outputs (its artifacts moved into the repository), read before the pass that
   * marks it done; reading twice is harmless. A refusal by the repository errs the step, as Argo does.
   */
  private async readOutputs(wf: StoredWorkflow, id: string, podName: string, template: Template, outputs: Map<string, CollectedOutputs>, errors: Map<string, string>): Promise<void> {
    try {
      outputs.set(id, await this.o.io.collect(wf, id, template, this.logsToArchive(wf, template, podName)));
    } catch (err) {
      if (!(err instanceof DroverError)) throw err;
      errors.set(id, err.message);
    }
  }

  /** The step's containers' logs when its template (`archiveLocation.archiveLogs`) or the workflow (`archiveLogs`) asks to keep them. */
  private logsToArchive(wf: StoredWorkflow, template: Template, podName: string): ContainerLog[] {
    const wanted = template.archiveLocation?.archiveLogs ?? wf.spec?.archiveLogs;
    const pod = wanted === true && this.o.podLogs ? this.pods.get(wf.metadata.namespace!, podName) : undefined;
    if (!pod) return [];
    return (pod.spec?.containers ?? []).map((c) => ({ container: c.name, read: () => this.o.podLogs!(pod, c.name) }));
  }

  private remember(k: string, nodeId: string, podName: string, template: Template): void {
    let m = this.running.get(k);
    if (!m) this.running.set(k, (m = new Map()));
    m.set(nodeId, { podName, template });
  }

  private forget(k: string): void {
    this.running.delete(k);
    this.resourceOutcomes.delete(k);
    this.memos.delete(k);
    this.stagingErrors.delete(k);
  }

  /**
   * Resource nodes' actions (resource-io.ts), after the status that asked for them is stored: each
   * node's at most once at a time, a poll after its delay; what each found is handed to the next
   * pass, which it brings. Outcomes of nodes now done are dropped.
   */
  private runResourceActions(wf: StoredWorkflow, k: string, result: PassResult): void {
    const outcomes = this.resourceOutcomes.get(k);
    if (outcomes) for (const id of outcomes.keys()) if (isFulfilledPhase(result.status.nodes?.[id]?.phase)) outcomes.delete(id);
    for (const req of result.resources) {
      let busy = this.resourcesBusy.get(k);
      if (busy?.has(req.nodeId)) continue;
      if (!busy) this.resourcesBusy.set(k, (busy = new Set()));
      busy.add(req.nodeId);
      const run = async () => {
        let retry = false;
        try {
          const current = this.workflows.get(wf.metadata.namespace!, wf.metadata.name!);
          if (!current || current.metadata.uid !== wf.metadata.uid || isWorkflowDone(current)) return;
          const outcome = this.o.resources ? await performResource(this.o.resources, current, req) : { error: 'resource templates are not available on this server' };
          let map = this.resourceOutcomes.get(k);
          if (!map) this.resourceOutcomes.set(k, (map = new Map()));
          map.set(req.nodeId, outcome);
        } catch (err) {
          // Not the action's own failure (that is its outcome): the store refused. Asked again by a pass a while later.
          this.o.logger.error('resource action failed', { workflow: k, node: req.nodeId, action: req.action, error: (err as Error).message });
          retry = true;
        } finally {
          busy.delete(req.nodeId);
          if (!busy.size && this.resourcesBusy.get(k) === busy) this.resourcesBusy.delete(k);
          if (retry) this.o.clock.setTimer(RESOURCE_POLL_MS, () => this.queue.add(k));
          else this.queue.add(k);
        }
      };
      if (req.afterMs) this.o.clock.setTimer(req.afterMs, () => void run());
      else void run();
    }
  }

  /** Stages a step's files, then creates its pod; a staging failure is handed to the next pass. */
  private async startPod(wf: StoredWorkflow, k: string, plan: StepPodPlan): Promise<void> {
    let inputArtifacts: InputArtifactFile[] = [];
    const bound = { ...plan.template, inputs: plan.inputs };
    try {
      if (needsStaging(bound, plan.captureResult)) inputArtifacts = await this.o.io.prepare(wf, plan.nodeId, bound);
    } catch (err) {
      let errors = this.stagingErrors.get(k);
      if (!errors) this.stagingErrors.set(k, (errors = new Map()));
      errors.set(plan.nodeId, (err as Error).message);
      return;
    }
    const traceKey = stepTrace.on ? `${wf.metadata.namespace}/${plan.podName}` : '';
    stepTrace.mark(traceKey, 'wf.staged');
    const pod = buildStepPod({ wf, template: plan.template, podName: plan.podName, nodeId: plan.nodeId, nodeName: plan.nodeName, stagingDir: this.o.io.stagingDir(wf, plan.nodeId), inputArtifacts, volumes: plan.volumes, captureResult: plan.captureResult, ...(plan.podSpecPatches ? { podSpecPatches: plan.podSpecPatches } : {}) });
    this.remember(k, plan.nodeId, plan.podName, plan.template);
    // The pass that made it knows it exists: its appearance brings no pass of its own.
    this.podSeen.set(key(wf.metadata.namespace, plan.podName), passRelevant(pod));
    await this.createIgnoringExisting(pod as Stored<Pod>);
    stepTrace.mark(traceKey, 'wf.created');
  }

  /** After the end: pod GC for the whole workflow and the TTL. */
  private async afterFinish(wf: StoredWorkflow, now: number): Promise<ReconcileResult | void> {
    const ns = wf.metadata.namespace!;
    this.forget(key(ns, wf.metadata.name));
    const decided = afterFinish(wf, this.podsOf(wf), now);
    for (const p of decided.deletePods) await this.deleteIgnoringMissing({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: p });
    if (decided.deleteWorkflow) await this.deleteIgnoringMissing({ apiVersion: ARGO_API_VERSION, kind: 'Workflow', namespace: ns, name: wf.metadata.name! });
    return decided.requeueAfterMs !== undefined ? { requeueAfterMs: decided.requeueAfterMs } : undefined;
  }

  /** memoize: one key of a cache ConfigMap, made on first use with Argo's cache label. */
  private async writeCache(w: { namespace: string; configMap: string; key: string; value: string }): Promise<void> {
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: w.namespace, name: w.configMap };
    try {
      await this.o.store.patch<KubeObject & { data?: Record<string, string> }>(ref, (cm) => {
        cm.data = { ...(cm.data ?? {}), [w.key]: w.value };
      });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      await this.o.store.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: w.configMap, namespace: w.namespace, labels: { 'workflows.argoproj.io/configmap-type': 'Cache' } },
        data: { [w.key]: w.value },
      });
    }
  }

  private async createIgnoringExisting(obj: Stored<Pod> | Stored<PersistentVolumeClaim>): Promise<void> {
    try {
      await this.o.store.create(obj);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }

  private async deleteIgnoringMissing(ref: { apiVersion: string; kind: string; namespace: string; name: string }): Promise<void> {
    try {
      await this.o.store.delete(ref);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}
