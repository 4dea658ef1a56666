/**
 * The Workflow controller: runs a WorkflowOperation for each workflow whose status or pods
 * changed, then applies what it decided (claims, status, pods) to the store. Level-triggered: a
 * pass after a restart recomputes from the stored status and the pods that exist.
 */
import type { ConfigMap, KubeObject, PersistentVolumeClaim, Pod, Stored } from '../../api/types.js';
import { AlreadyExistsError, NotFoundError } from '../../api/errors.js';
import { Informer, type Store } from '../../store/index.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { WorkQueue, type ReconcileResult } from '../../store/queue.js';
import { WorkflowOperation, type StepIO, type TemplateSource } from './operator.js';
import { ARGO_API_VERSION, WF_LABELS, isFulfilledPhase, isWorkflowDone, type ClusterWorkflowTemplate, type Workflow, type WorkflowTemplate } from './types.js';
import { podName } from './names.js';
import { InMemoryLockTable, heldLocks } from './sync.js';

export interface WorkflowControllerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  io: StepIO & { removeWorkflow(wf: Pick<Workflow, 'metadata'>): Promise<void>; releaseClaim(namespace: string, name: string): Promise<void> };
}

const SOURCE = 'workflow-controller';
type StoredWorkflow = Stored<Workflow>;

function key(ns: string | undefined, name: string | undefined): string {
  return `${ns ?? ''}/${name ?? ''}`;
}

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
      if (e.type === 'DELETED') set.delete(e.object.metadata.name!);
      else set.add(e.object.metadata.name!);
      this.queue.add(k);
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
    const [namespace, name] = k.split('/') as [string, string];
    if (!this.locksLoaded) {
      this.locksLoaded = true;
      for (const w of this.workflows.list()) if (!isWorkflowDone(w)) for (const [lock, holder] of heldLocks(w)) this.locks.restore(lock, holder);
    }
    const wf = this.workflows.get(namespace, name);
    if (!wf) return;
    const now = this.o.clock.now();
    if (isWorkflowDone(wf)) return this.afterFinish(wf, now);
    const pods = this.podsOf(wf);
    const op = new WorkflowOperation(wf, {
      now,
      pods,
      templates: this.templateSource(),
      configMap: (ns, n) => this.configMaps.get(ns, n) as ConfigMap | undefined,
      io: this.o.io,
      locks: this.locks,
    });
    const result = await op.run();
    const ref = { apiVersion: ARGO_API_VERSION, kind: 'Workflow', namespace, name };

    for (const claim of result.createClaims) await this.createIgnoringExisting(claim as Stored<PersistentVolumeClaim>);
    // The status is written before the pods are made: a crash in between leaves nodes whose pods
    // the next pass creates under the same names, never pods the status does not know.
    const done = result.status.phase === 'Succeeded' || result.status.phase === 'Failed' || result.status.phase === 'Error';
    let written = false;
    try {
      // The store tells watchers of a commit before patch returns, so the flag covers exactly our write.
      this.writing = k;
      await this.o.store.patch<StoredWorkflow>(ref, (w) => {
        if (w.metadata.uid !== wf.metadata.uid || w.metadata.resourceVersion !== wf.metadata.resourceVersion) return false;
        w.status = result.status;
        const labels = { ...(w.metadata.labels ?? {}) };
        if (result.status.phase) labels[WF_LABELS.phase] = result.status.phase;
        if (done) labels[WF_LABELS.completed] = 'true';
        else labels[WF_LABELS.completed] ??= 'false';
        w.metadata.labels = labels;
        written = true;
      });
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    } finally {
      this.writing = undefined;
    }
    // Changed under us (a resume, a stop): the change brings us back here.
    if (!written) return;
    for (const pod of result.createPods) await this.createIgnoringExisting(pod as Stored<Pod>);
    for (const p of result.deletePods) await this.deleteIgnoringMissing({ apiVersion: 'v1', kind: 'Pod', namespace, name: p });
    for (const c of result.deleteClaims) {
      await this.deleteIgnoringMissing({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: c });
      await this.o.io.releaseClaim(namespace, c);
    }
    for (const w of result.cacheWrites) await this.writeCache(w);
    for (const e of result.events) await this.o.store.recordEvent({ involved: wf, type: e.type, reason: e.reason, message: e.message, source: SOURCE });
    // The end is handled here: the write of the final status does not bring a pass of its own.
    if (done) return this.afterFinish({ ...wf, status: result.status }, now);
    await this.collectPods(wf, result.status, pods);
    return result.requeueAfterMs !== undefined ? { requeueAfterMs: result.requeueAfterMs } : undefined;
  }

  /** podGC: OnPodCompletion / OnPodSuccess remove a step's pod as soon as its node is done. */
  private async collectPods(wf: StoredWorkflow, status: Workflow['status'], pods: Map<string, Pod>): Promise<void> {
    const strategy = wf.spec?.podGC?.strategy;
    if (strategy !== 'OnPodCompletion' && strategy !== 'OnPodSuccess') return;
    for (const n of Object.values(status?.nodes ?? {})) {
      if (n.type !== 'Pod' || !isFulfilledPhase(n.phase)) continue;
      if (strategy === 'OnPodSuccess' && n.phase !== 'Succeeded') continue;
      const p = podName(wf.metadata.name!, n.templateName ?? '', n.name);
      if (pods.has(p)) await this.deleteIgnoringMissing({ apiVersion: 'v1', kind: 'Pod', namespace: wf.metadata.namespace!, name: p });
    }
  }

  /** After the end: pod GC for the whole workflow and the TTL. */
  private async afterFinish(wf: StoredWorkflow, now: number): Promise<ReconcileResult | void> {
    const phase = wf.status?.phase;
    const succeeded = phase === 'Succeeded';
    const strategy = wf.spec?.podGC?.strategy;
    const pods = this.podsOf(wf);
    const gcAll = strategy === 'OnWorkflowCompletion' || strategy === 'OnPodCompletion' || (succeeded && (strategy === 'OnWorkflowSuccess' || strategy === 'OnPodSuccess'));
    if (gcAll) {
      for (const [p, pod] of pods) {
        if (strategy === 'OnPodSuccess' && pod.status?.phase !== 'Succeeded') continue;
        await this.deleteIgnoringMissing({ apiVersion: 'v1', kind: 'Pod', namespace: wf.metadata.namespace!, name: p });
      }
    } else {
      // Pods still running when the workflow ended (a failed sibling, a stop) are stopped.
      for (const [p, pod] of pods) {
        if (pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') await this.deleteIgnoringMissing({ apiVersion: 'v1', kind: 'Pod', namespace: wf.metadata.namespace!, name: p });
      }
    }
    const ttl = wf.spec?.ttlStrategy;
    if (!ttl || !wf.status?.finishedAt) return;
    const seconds = succeeded ? (ttl.secondsAfterSuccess ?? ttl.secondsAfterCompletion) : (ttl.secondsAfterFailure ?? ttl.secondsAfterCompletion);
    if (seconds === undefined) return;
    const at = Date.parse(wf.status.finishedAt) + seconds * 1000;
    if (now < at) return { requeueAfterMs: at - now };
    await this.deleteIgnoringMissing({ apiVersion: ARGO_API_VERSION, kind: 'Workflow', namespace: wf.metadata.namespace!, name: wf.metadata.name! });
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
