/**
 * The Notebook controller: one level-triggered reconcile per notebook (plan.ts decides, this file
 * does the I/O): the pod `<name>-0` (and, for one that runs as `default-editor`, that account and
 * its binding in the namespace, as a profile has them), a Service `<name>` (port 80 → the notebook's port, as
 * upstream, where Services are served), the status, and the culler (culling.ts decides; the
 * notebook server is asked over HTTP at the pod's address).
 */
import { request } from 'node:http';
import type { KindTable } from '../../api/kinds.js';
import type { KubeObject, Pod, Stored } from '../../api/types.js';
import { AlreadyExistsError, ForbiddenError } from '../../api/errors.js';
import type { NotebookSettings } from '../../config/index.js';
import { Informer, type Store } from '../../store/index.js';
import { WorkQueue, type ReconcileResult } from '../../store/queue.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { EDITOR_ACCOUNT, ensureNamespaceAccounts } from '../profiles/service-accounts.js';
import { checkDue, cullDecision, probeFrom } from './culling.js';
import { ownedBy, planNotebook, sameStatus } from './plan.js';
import { type Notebook, NOTEBOOK_ANNOTATIONS, NOTEBOOK_API_VERSION, NOTEBOOK_LABELS, NOTEBOOK_PORT, isStopped, notebookPodName, notebookPrefix } from './types.js';

/** How soon a notebook whose pod a quota refused tries again. */
const RETRY_MS = 5000;
/** How long the culler waits for the notebook server's answer (upstream: 10 s). */
const PROBE_TIMEOUT_MS = 10_000;

/** GETs `path` of the pod's notebook port; the parsed JSON, or undefined when it did not answer 200 with JSON. */
export type PodGet = (pod: Pod, path: string) => Promise<unknown>;

export interface NotebookControllerOptions {
  store: Store;
  kinds: KindTable;
  clock: Clock;
  logger: Logger;
  settings: NotebookSettings;
  /**
   * Run notebooks without a ServiceAccount as `default-editor`, made in their namespace: where pods
   * call this server's API. On the Kubernetes runtime pods call the cluster's API with the
   * cluster's accounts, and a name the cluster lacks would keep the pod from being made.
   */
  editorAccount: boolean;
  /** How the culler reaches a notebook server; default: HTTP to the pod's address. */
  podGet?: PodGet;
}

/** A GET to the pod's address on the notebook port. */
export const httpPodGet: PodGet = (pod, path) =>
  new Promise((resolve) => {
    const host = pod.status?.podIP;
    if (!host) return resolve(undefined);
    const req = request({ host, port: NOTEBOOK_PORT, path, method: 'GET', timeout: PROBE_TIMEOUT_MS, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });

export class NotebookController {
  private readonly notebooks: Informer<Stored<Notebook>>;
  private readonly pods: Informer<Stored<Pod>>;
  private readonly servicesServed: boolean;
  private readonly queue: WorkQueue;
  private readonly podGet: PodGet;

  constructor(private readonly o: NotebookControllerOptions) {
    this.notebooks = new Informer(o.store, { apiVersion: NOTEBOOK_API_VERSION, kind: 'Notebook' });
    this.pods = new Informer(o.store, { apiVersion: 'v1', kind: 'Pod' });
    this.servicesServed = o.kinds.of('v1', 'Service') !== undefined;
    this.queue = new WorkQueue('notebook-controller', (k) => this.reconcile(k), o.clock, o.logger);
    this.podGet = o.podGet ?? httpPodGet;
  }

  async start(): Promise<void> {
    this.notebooks.onChange((e) => this.queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`));
    this.pods.onChange((e) => {
      const name = e.object.metadata.labels?.[NOTEBOOK_LABELS.name];
      if (name && e.object.metadata.ownerReferences?.some((r) => r.kind === 'Notebook')) this.queue.add(`${e.object.metadata.namespace}/${name}`);
    });
    await this.pods.start();
    await this.notebooks.start();
  }

  stop(): void {
    this.queue.stop();
    this.notebooks.stop();
    this.pods.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const nb = this.notebooks.get(namespace, name);
    if (!nb || nb.metadata.deletionTimestamp) return;
    const found = this.pods.get(namespace, notebookPodName(name));
    if (found && !ownedBy(found, nb)) {
      await this.event(nb, 'Warning', 'PodExists', `pod ${notebookPodName(name)} exists and is not this notebook's: delete it or rename the notebook`);
      return;
    }
    const now = this.o.clock.now();
    const plan = planNotebook({ nb, pod: found, jupyterEnv: this.o.settings.jupyterEnv, now, ...(this.o.editorAccount ? { serviceAccount: EDITOR_ACCOUNT } : {}) });
    let requeue: number | undefined;
    if (plan.deletePod) {
      await this.remove({ apiVersion: 'v1', kind: 'Pod', namespace, name: notebookPodName(name) });
      await this.event(nb, 'Normal', 'SuccessfulDelete', `delete Pod ${notebookPodName(name)} in StatefulSet ${name} successful`);
    }
    if (this.servicesServed) await this.ensureService(nb);
    if (plan.create) {
      try {
        // Its account must exist before the pod: the pod's token names it, RBAC binds it.
        if (plan.create.spec?.serviceAccountName === EDITOR_ACCOUNT) await ensureNamespaceAccounts(this.o.store, namespace);
        await this.o.store.create(plan.create);
        await this.event(nb, 'Normal', 'SuccessfulCreate', `create Pod ${plan.create.metadata.name} in StatefulSet ${name} successful`);
      } catch (err) {
        if (err instanceof ForbiddenError) {
          await this.event(nb, 'Warning', 'FailedCreate', `create Pod ${plan.create.metadata.name} in StatefulSet ${name} failed error: ${err.message}`);
          requeue = RETRY_MS;
        } else if (!(err instanceof AlreadyExistsError)) throw err;
      }
    }
    if (!sameStatus(nb.status, plan.status)) {
      const written = await this.o.store.writeStatus(nb, plan.status);
      // Changed meanwhile: the change brings another reconcile.
      if (!written) return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
    }
    if (this.o.settings.cullIdleMs > 0) {
      const next = await this.cull(nb, plan.deletePod || plan.create ? undefined : found);
      if (next !== undefined) requeue = Math.min(requeue ?? next, next);
    }
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  /** The culler's pass over one notebook: when a check is due, ask the server and write the verdict. */
  private async cull(nb: Stored<Notebook>, pod: Stored<Pod> | undefined): Promise<number | undefined> {
    const input = { annotations: nb.metadata.annotations ?? {}, hasPod: pod !== undefined, now: this.o.clock.now(), cullIdleMs: this.o.settings.cullIdleMs, checkPeriodMs: this.o.settings.checkPeriodMs };
    if (!input.hasPod || isStopped(nb)) {
      // Nothing to ask: the activity annotations go, as upstream's culler removes them.
      const clear = cullDecision(input, undefined);
      if (Object.keys(clear.annotations).length) await this.annotate(nb, clear.annotations);
      return undefined;
    }
    const due = checkDue(input);
    if (!due.due) return due.waitMs;
    const prefix = notebookPrefix(nb.metadata.namespace!, nb.metadata.name!);
    const status = pod?.status?.phase === 'Running' ? await this.podGet(pod, `${prefix}/api/status`) : undefined;
    let probe = status === undefined ? undefined : probeFrom(status);
    let decision = cullDecision({ ...input, now: this.o.clock.now() }, probe);
    // About to stop a notebook with kernels: a busy one is activity now (culling.ts says why only now).
    if (decision.stop && probe && probe.kernels > 0 && pod) {
      probe = probeFrom(status, await this.podGet(pod, `${prefix}/api/kernels`));
      if (probe.busy) decision = cullDecision({ ...input, now: this.o.clock.now() }, probe);
    }
    if (Object.keys(decision.annotations).length) await this.annotate(nb, decision.annotations);
    if (decision.stop) {
      this.o.logger.info('notebook idle past the cull time: stopping it', { namespace: nb.metadata.namespace, name: nb.metadata.name });
      await this.event(nb, 'Normal', 'Culled', `idle since ${decision.annotations[NOTEBOOK_ANNOTATIONS.lastActivity] ?? nb.metadata.annotations?.[NOTEBOOK_ANNOTATIONS.lastActivity]}: stopped (culling after ${Math.round(this.o.settings.cullIdleMs / 60_000)} min)`);
    }
    return decision.nextCheckMs;
  }

  private async annotate(nb: Stored<Notebook>, changes: Record<string, string | null>): Promise<void> {
    try {
      await this.o.store.patch<Stored<Notebook>>({ apiVersion: NOTEBOOK_API_VERSION, kind: 'Notebook', namespace: nb.metadata.namespace!, name: nb.metadata.name! }, (n) => {
        if (n.metadata.uid !== nb.metadata.uid) return false;
        const a = { ...(n.metadata.annotations ?? {}) };
        for (const [k, v] of Object.entries(changes)) {
          if (v === null) delete a[k];
          else a[k] = v;
        }
        n.metadata.annotations = a;
      });
    } catch {
      // Deleted meanwhile.
    }
  }

  private async ensureService(nb: Stored<Notebook>): Promise<void> {
    const name = nb.metadata.name!;
    const namespace = nb.metadata.namespace!;
    if (await this.o.store.get({ apiVersion: 'v1', kind: 'Service', namespace, name })) return;
    const port = nb.spec.template.spec.containers[0]?.ports?.[0]?.containerPort ?? NOTEBOOK_PORT;
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, ownerReferences: [{ apiVersion: NOTEBOOK_API_VERSION, kind: 'Notebook', name, uid: nb.metadata.uid!, controller: true, blockOwnerDeletion: true }] },
      spec: { type: 'ClusterIP', selector: { [NOTEBOOK_LABELS.statefulSet]: name }, ports: [{ name: `http-${name}`, port: 80, targetPort: port, protocol: 'TCP' }] },
    };
    try {
      await this.o.store.create(svc);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError || err instanceof ForbiddenError)) throw err;
    }
  }

  private async remove(ref: { apiVersion: string; kind: string; namespace: string; name: string }): Promise<void> {
    try {
      await this.o.store.delete(ref);
    } catch {
      // Already gone.
    }
  }

  private async event(nb: Stored<Notebook>, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.o.store.recordEvent({ involved: nb, type, reason, message, source: 'notebook-controller' });
    } catch {
      // The notebook was deleted meanwhile.
    }
  }
}
