import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import type { Pod, KubeObject, PodStatus } from '../../api/types.js';
import { podContainerName } from '../../api/pods.js';
import { BadRequestError, HostRequirementError, UnsupportedError } from '../../api/errors.js';
import type { WatchEvent } from '../../store/index.js';
import { TokenBucket } from '../../util/ratelimit.js';
import type { ExecOptions, ExecProcess, LogOptions, PodRuntime, PodUsage, RuntimeHost } from '../types.js';
import { REQUIRED_PERMISSIONS } from './permissions.js';
import { ServiceMirror } from './services.js';
import { clusterCopy, clusterPod, droverPodOf, isTerminal, MANAGED_SELECTOR, mirroredStatus, references } from './translate.js';
import { KeyedSync } from './keyed-sync.js';

export interface KubernetesRuntimeOptions {
  kubeConfig: k8s.KubeConfig;
  /** The one namespace Drover creates its objects in (every Drover namespace maps to it). */
  namespace: string;
  /** Writes per second toward the apiserver, and the burst allowed (client-go's defaults are 5/10; ours 50/100). */
  qps?: number;
  burst?: number;
  /** Delay before an informer that lost its watch lists and watches again. */
  rewatchDelayMs?: number;
}

const SOURCE = 'drover-kubernetes-runtime';
type Kind = 'ConfigMap' | 'Secret' | 'PersistentVolumeClaim';

/** The apiserver's own message for a failed call (its Status object), or the error's text. */
export function apiMessage(err: unknown): string {
  if (err instanceof k8s.ApiException) {
    const body = err.body as unknown;
    try {
      const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string };
      if (status?.message) return status.message;
    } catch {
      // not JSON: fall through
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function statusCode(err: unknown): number | undefined {
  return err instanceof k8s.ApiException ? err.code : undefined;
}

/**
 * Runs Drover's pods as ordinary Pods in one namespace of a Kubernetes cluster. The cluster's
 * scheduler places them; an informer mirrors what the kubelet reports (phase, conditions,
 * container states, exit codes, `OOMKilled`) back into Drover's pods. ConfigMaps, Secrets and
 * claims a pod refers to are copied into the namespace first. Names are kept, so a Job's pods
 * are found with `kubectl get pods -l job-name=NAME`; everything made carries
 * `app.kubernetes.io/managed-by=drover`.
 *
 * Cluster pods are named after Drover's pods, so a restart finds what it made (create answers
 * 409 instead of making a second pod) and re-syncs from the informer's list.
 */
export class KubernetesPodRuntime implements PodRuntime {
  readonly name = 'kubernetes';
  readonly placement = 'cluster' as const;
  readonly namespace: string;
  private readonly kc: k8s.KubeConfig;
  private readonly core: k8s.CoreV1Api;
  private readonly bucket: TokenBucket;
  private readonly rewatchDelayMs: number;
  private host?: RuntimeHost;
  private informer?: k8s.Informer<k8s.V1Pod> & k8s.ObjectCache<k8s.V1Pod>;
  private stopped = true;
  /** Until Drover's pods are loaded, a sync could take a live pod for a deleted one: requests wait. */
  private loaded = false;
  private unsubscribe: (() => void)[] = [];
  /** Drover's pods by uid, as last seen in the store. */
  private readonly pods = new Map<string, Pod & KubeObject>();
  /** Cluster pod names by the uid of the Drover pod they run. */
  private readonly clusterNames = new Map<string, string>();
  private readonly syncs = new KeyedSync(
    (uid) => this.sync(uid),
    (uid, err, retryInMs) => this.host?.logger.warn('pod sync failed; retrying', { uid, error: apiMessage(err), retryInMs }),
    () => !this.stopped,
  );
  private readonly background = new Set<Promise<unknown>>();
  /** resourceVersion of each Drover object last copied to the cluster (`Kind/ns/name`). */
  private readonly copied = new Map<string, string>();
  private rewatchTimer: NodeJS.Timeout | undefined;
  private readonly services: ServiceMirror;

  constructor(opts: KubernetesRuntimeOptions) {
    this.kc = opts.kubeConfig;
    this.namespace = opts.namespace;
    this.core = this.kc.makeApiClient(k8s.CoreV1Api);
    this.bucket = new TokenBucket(opts.qps ?? 50, opts.burst ?? 100);
    this.rewatchDelayMs = opts.rewatchDelayMs ?? 1000;
    this.services = new ServiceMirror({ kc: this.kc, core: this.core, namespace: this.namespace, bucket: this.bucket, rewatchDelayMs: this.rewatchDelayMs, apiMessage });
  }

  /** Every Drover namespace lives in the one cluster namespace: the DNS names pods see are under it. */
  dnsNamespace(_namespace: string): string {
    return this.namespace;
  }

  private get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)';
  }

  /** Asks the apiserver whether Drover may make every call it needs in its namespace; names what is missing. */
  async checkHost(): Promise<void> {
    const authz = this.kc.makeApiClient(k8s.AuthorizationV1Api);
    const missing: string[] = [];
    try {
      for (const p of REQUIRED_PERMISSIONS) {
        const [resource, subresource] = p.resource.split('/');
        for (const verb of p.verbs) {
          const review = await authz.createSelfSubjectAccessReview({
            body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: this.namespace, verb, resource: resource!, ...(subresource ? { subresource } : {}) } } },
          });
          if (!review.status?.allowed) missing.push(`${verb} ${p.resource}`);
        }
      }
    } catch (err) {
      throw new HostRequirementError(`cannot reach the Kubernetes API at ${this.server}: ${apiMessage(err)}`);
    }
    if (missing.length) {
      const user = this.kc.getCurrentUser()?.name ?? 'the current user';
      throw new HostRequirementError(
        `Drover's Kubernetes identity (kubeconfig user "${user}") may not ${missing.join(', ')} in namespace "${this.namespace}"; ` +
          `grant them with the Role in deploy/kubernetes/rbac.yaml (bound in namespace "${this.namespace}") or choose a namespace it may edit`,
      );
    }
  }

  async start(host: RuntimeHost): Promise<void> {
    if (!this.stopped) throw new Error('runtime already started');
    this.host = host;
    this.stopped = false;
    const ns = this.namespace;
    const informer = k8s.makeInformer<k8s.V1Pod>(this.kc, `/api/v1/namespaces/${ns}/pods`, () => this.core.listNamespacedPod({ namespace: ns, labelSelector: MANAGED_SELECTOR }), MANAGED_SELECTOR);
    const onCluster = (obj: k8s.V1Pod) => {
      const owner = droverPodOf(obj as KubeObject);
      if (!owner) return;
      this.clusterNames.set(owner.uid, obj.metadata!.name!);
      this.requestSync(owner.uid);
    };
    informer.on('add', onCluster);
    informer.on('update', onCluster);
    informer.on('delete', (obj: k8s.V1Pod) => {
      onCluster(obj);
      // A Drover pod may be waiting for the name (a stale pod of the same name held it).
      for (const [uid, p] of this.pods) if (p.metadata.name === obj.metadata?.name && !isTerminal(p)) this.requestSync(uid);
    });
    // The watch ended (expired resourceVersion, apiserver restart): list and watch again, backing
    // off while the apiserver does not answer.
    const rewatch = (delayMs: number) => {
      this.rewatchTimer = setTimeout(() => {
        if (this.stopped) return;
        informer.start().catch((err: unknown) => {
          host.logger.warn('listing cluster pods failed; trying again', { error: apiMessage(err), retryInMs: Math.min(2 * delayMs, 30_000) });
          rewatch(Math.min(2 * delayMs, 30_000));
        });
      }, delayMs);
    };
    informer.on('error', (err: unknown) => {
      if (this.stopped) return;
      host.logger.warn('cluster pod watch ended; restarting it', { error: apiMessage(err) });
      rewatch(this.rewatchDelayMs);
    });
    this.informer = informer;
    try {
      await informer.start();
    } catch (err) {
      this.stopped = true;
      throw new HostRequirementError(`cannot list pods in namespace "${ns}" at ${this.server}: ${apiMessage(err)}`);
    }

    const list = await host.store.list<Pod & KubeObject>({ apiVersion: 'v1', kind: 'Pod' });
    this.unsubscribe.push(host.store.watch({ apiVersion: 'v1', kind: 'Pod' }, { fromResourceVersion: list.resourceVersion }, (e) => this.onDroverPod(e)));
    for (const kind of ['ConfigMap', 'Secret', 'PersistentVolumeClaim'] as const) {
      this.unsubscribe.push(host.store.watch({ apiVersion: 'v1', kind }, {}, (e) => this.onDroverObject(kind, e)));
    }
    for (const p of list.items) if (p.metadata.uid) this.pods.set(p.metadata.uid, p);
    this.loaded = true;
    for (const uid of this.pods.keys()) this.requestSync(uid);
    // Cluster pods whose Drover pod is gone (deleted while Drover was down) are removed by their sync.
    for (const uid of this.clusterNames.keys()) if (!this.pods.has(uid)) this.requestSync(uid);
    try {
      await this.services.start(host.store, host.logger);
    } catch (err) {
      await this.stop();
      throw new HostRequirementError(`cannot list services in namespace "${ns}" at ${this.server}: ${apiMessage(err)}`);
    }
    host.logger.info('kubernetes runtime started', { server: this.server, namespace: ns, clusterPods: this.clusterNames.size });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.loaded = false;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (this.rewatchTimer) clearTimeout(this.rewatchTimer);
    await this.informer?.stop();
    await this.services.stop();
    await this.syncs.drain();
    while (this.background.size) await Promise.allSettled([...this.background]);
    this.pods.clear();
    this.clusterNames.clear();
    this.copied.clear();
  }

  private onDroverPod(e: WatchEvent): void {
    const pod = e.object as Pod & KubeObject;
    const uid = pod.metadata.uid;
    if (!uid) return;
    if (e.type === 'DELETED') this.pods.delete(uid);
    else this.pods.set(uid, pod);
    this.requestSync(uid);
  }

  private onDroverObject(kind: Kind, e: WatchEvent): void {
    const obj = e.object;
    const key = `${kind}/${obj.metadata.namespace}/${obj.metadata.name}`;
    if (this.copied.has(key)) {
      if (e.type === 'DELETED') this.track(this.removeCopy(kind, key, obj.metadata.name!));
      // A changed ConfigMap or Secret reaches the cluster as a kubelet would see it: mounted files refresh.
      else if (kind !== 'PersistentVolumeClaim') this.track(this.copy(kind, obj).catch((err) => this.host?.logger.warn('updating a copy failed', { object: key, error: apiMessage(err) })));
    }
    if (e.type === 'DELETED') return;
    // Pods waiting for this object may go on.
    for (const [uid, p] of this.pods) if (p.metadata.namespace === obj.metadata.namespace && !this.clusterNames.has(uid) && !isTerminal(p)) this.requestSync(uid);
  }

  /** Work outside a pod's sync (copies updated or removed); stop() waits for it. */
  private track(p: Promise<unknown>): void {
    const done = p.then(() => undefined, () => undefined);
    this.background.add(done);
    void done.then(() => this.background.delete(done));
  }

  /** Syncs one pod; calls for a pod already syncing coalesce into one more pass after it. */
  private requestSync(uid: string): void {
    // Before the load, start() syncs every pod it knows of once loaded; nothing is missed.
    if (this.stopped || !this.loaded) return;
    this.syncs.request(uid);
  }

  private clusterPodOf(uid: string): k8s.V1Pod | undefined {
    const name = this.clusterNames.get(uid);
    if (!name) return undefined;
    const obj = this.informer?.get(name, this.namespace);
    if (!obj || droverPodOf(obj as KubeObject)?.uid !== uid) {
      if (!obj) this.clusterNames.delete(uid);
      return undefined;
    }
    return obj;
  }

  private async sync(uid: string): Promise<void> {
    const pod = this.pods.get(uid);
    const cluster = this.clusterPodOf(uid);
    if (!pod) {
      if (cluster && !cluster.metadata?.deletionTimestamp) await this.deleteClusterPod(cluster.metadata!.name!, uid);
      return;
    }
    if (cluster) {
      await this.mirror(pod, cluster);
      return;
    }
    if (isTerminal(pod)) return;
    if (pod.spec?.nodeName) {
      // It was placed and ran in the cluster, and its Pod is gone: deleted there, not by Drover.
      await this.setStatus(pod, (s) => {
        s.phase = 'Failed';
        s.reason = 'DeletedInCluster';
        s.message = `pod ${this.namespace}/${pod.metadata.name} was deleted from the cluster while it ran`;
      });
      return;
    }
    const waiting = await this.ensureReferences(pod);
    if (waiting) {
      await this.setStatus(pod, (s) => {
        s.phase = 'Pending';
        s.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: waiting }];
      });
      return;
    }
    await this.createClusterPod(pod);
  }

  /** Copies what the pod refers to into the namespace; says what is missing, if anything. */
  private async ensureReferences(pod: Pod & KubeObject): Promise<string | undefined> {
    const refs = references(pod);
    const ns = pod.metadata.namespace ?? 'default';
    const store = this.host!.store;
    const lists: [Kind, Iterable<[string, boolean]>][] = [
      ['ConfigMap', refs.configMaps],
      ['Secret', refs.secrets],
      ['PersistentVolumeClaim', [...refs.claims].map((c) => [c, false] as [string, boolean])],
    ];
    for (const [kind, names] of lists) {
      for (const [name, optional] of names) {
        const obj = await store.get({ apiVersion: 'v1', kind, namespace: ns, name });
        if (!obj) {
          if (optional) continue;
          return `${kind.toLowerCase()} "${name}" not found`;
        }
        const key = `${kind}/${ns}/${name}`;
        if (this.copied.get(key) === obj.metadata.resourceVersion) continue;
        await this.copy(kind, obj);
      }
    }
    return undefined;
  }

  private async copy(kind: Kind, obj: KubeObject): Promise<void> {
    const ns = this.namespace;
    const body = clusterCopy(obj, ns);
    await this.bucket.take();
    try {
      if (kind === 'ConfigMap') await this.core.createNamespacedConfigMap({ namespace: ns, body: body as k8s.V1ConfigMap });
      else if (kind === 'Secret') await this.core.createNamespacedSecret({ namespace: ns, body: body as k8s.V1Secret });
      else await this.core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: body as k8s.V1PersistentVolumeClaim });
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
      // It exists (made before a restart, or by a user): a claim is kept as it is, data is brought
      // up to date (we only get here when the Drover object changed since it was last copied).
      if (kind !== 'PersistentVolumeClaim') {
        await this.bucket.take();
        if (kind === 'ConfigMap') await this.core.replaceNamespacedConfigMap({ name: body.metadata.name!, namespace: ns, body: body as k8s.V1ConfigMap });
        else await this.core.replaceNamespacedSecret({ name: body.metadata.name!, namespace: ns, body: body as k8s.V1Secret });
      }
    }
    this.copied.set(`${kind}/${obj.metadata.namespace}/${obj.metadata.name}`, obj.metadata.resourceVersion ?? '');
  }

  private async removeCopy(kind: Kind, key: string, name: string): Promise<void> {
    this.copied.delete(key);
    const ns = this.namespace;
    await this.bucket.take();
    try {
      if (kind === 'ConfigMap') await this.core.deleteNamespacedConfigMap({ name, namespace: ns });
      else if (kind === 'Secret') await this.core.deleteNamespacedSecret({ name, namespace: ns });
      else await this.core.deleteNamespacedPersistentVolumeClaim({ name, namespace: ns });
    } catch (err) {
      if (statusCode(err) !== 404) this.host?.logger.warn('deleting a copy failed', { object: key, error: apiMessage(err) });
    }
  }

  private async createClusterPod(pod: Pod & KubeObject): Promise<void> {
    const body = clusterPod(pod, this.namespace);
    await this.bucket.take();
    try {
      await this.core.createNamespacedPod({ namespace: this.namespace, body: body as k8s.V1Pod });
      this.clusterNames.set(pod.metadata.uid!, body.metadata.name!);
    } catch (err) {
      const code = statusCode(err);
      if (code === 409) {
        const existing = this.informer?.get(body.metadata.name!, this.namespace);
        const owner = existing ? droverPodOf(existing as KubeObject) : undefined;
        if (existing && owner?.uid !== pod.metadata.uid && (!owner || this.pods.has(owner.uid))) {
          // Someone else's pod holds the name: every Drover namespace shares the one cluster namespace.
          const by = owner ? `Drover's pod ${owner.namespace}/${owner.name}` : 'a pod Drover did not make';
          const message = `pod name "${body.metadata.name}" is already taken in cluster namespace ${this.namespace} by ${by}`;
          await this.setStatus(pod, (s) => {
            s.phase = 'Failed';
            s.reason = 'NameConflict';
            s.message = message;
          });
          await this.event(pod, 'Warning', 'FailedCreate', message);
          return;
        }
        // Ours from before a restart (the informer's event syncs it), or a stale one its own sync deletes.
        this.clusterNames.set(pod.metadata.uid!, body.metadata.name!);
        return;
      }
      const message = code === 403 ? `the cluster refused to create pod ${this.namespace}/${body.metadata.name}: ${apiMessage(err)} (see deploy/kubernetes/rbac.yaml)` : `creating pod ${this.namespace}/${body.metadata.name} failed: ${apiMessage(err)}`;
      // Invalid or forbidden: retrying would fail the same way, so the pod fails with the apiserver's
      // words. A namespace whose ServiceAccount is not made yet also answers 403, but passes.
      if ((code === 400 || code === 403 || code === 422) && !/error looking up service account/.test(apiMessage(err))) {
        await this.setStatus(pod, (s) => {
          s.phase = 'Failed';
          s.reason = code === 403 ? 'Forbidden' : 'Invalid';
          s.message = message;
        });
        await this.event(pod, 'Warning', 'FailedCreate', message);
        return;
      }
      throw err;
    }
  }

  private async deleteClusterPod(name: string, uid: string): Promise<void> {
    await this.bucket.take();
    try {
      // Preconditioned on the uid: a newer pod of the same name is never deleted by mistake.
      const clusterUid = this.informer?.get(name, this.namespace)?.metadata?.uid;
      await this.core.deleteNamespacedPod({ name, namespace: this.namespace, ...(clusterUid ? { body: { preconditions: { uid: clusterUid } } } : {}) });
    } catch (err) {
      if (statusCode(err) !== 404 && statusCode(err) !== 409) throw err;
    }
    this.clusterNames.delete(uid);
  }

  /** Copies the cluster's view of the pod into Drover's, when it differs. */
  private async mirror(pod: Pod & KubeObject, cluster: k8s.V1Pod): Promise<void> {
    const { status, nodeName } = mirroredStatus(cluster as Pod);
    const bound = !pod.spec?.nodeName && nodeName;
    if (JSON.stringify(status) === JSON.stringify(pod.status ?? {}) && (nodeName ?? '') === (pod.spec?.nodeName ?? '')) return;
    const updated = await this.host!.store.patch<Pod & KubeObject>({ apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name! }, (p) => {
      if (p.metadata.uid !== pod.metadata.uid) return false;
      p.status = status;
      if (nodeName) p.spec = { ...p.spec!, nodeName };
    }).catch(() => undefined);
    if (updated) this.pods.set(updated.metadata.uid!, updated);
    if (bound && updated) await this.event(updated, 'Normal', 'Scheduled', `Successfully assigned ${this.namespace}/${pod.metadata.name} to ${nodeName}`);
  }

  private async setStatus(pod: Pod & KubeObject, change: (s: PodStatus) => void): Promise<void> {
    const next: PodStatus = structuredClone(pod.status ?? {});
    change(next);
    if (JSON.stringify(next) === JSON.stringify(pod.status ?? {})) return;
    const updated = await this.host!.store.patch<Pod & KubeObject>({ apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name! }, (p) => {
      if (p.metadata.uid !== pod.metadata.uid) return false;
      p.status = next;
    }).catch(() => undefined);
    if (updated) this.pods.set(updated.metadata.uid!, updated);
  }

  private async event(pod: Pod & KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    await this.host!.store.recordEvent({ involved: pod, type, reason, message, source: SOURCE }).catch(() => undefined);
  }

  logs(pod: Pod, opts: LogOptions): AsyncIterable<string> {
    return this.readLogs(pod, opts);
  }

  private async *readLogs(pod: Pod, opts: LogOptions): AsyncGenerator<string> {
    const podName = pod.metadata?.name ?? '';
    const container = podContainerName(pod, opts.container);
    const out = new PassThrough();
    let req: AbortController;
    try {
      req = await new k8s.Log(this.kc).log(this.namespace, podName, container, out, {
        follow: opts.follow === true,
        timestamps: opts.timestamps === true,
        previous: opts.previous === true,
        ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
        ...(opts.sinceSeconds !== undefined ? { sinceSeconds: opts.sinceSeconds } : {}),
        ...(opts.limitBytes !== undefined ? { limitBytes: opts.limitBytes } : {}),
      });
    } catch (err) {
      throw new BadRequestError(`logs of pod ${this.namespace}/${podName} (container ${container}): ${apiMessage(err)}`);
    }
    const abort = () => req.abort();
    opts.signal?.addEventListener('abort', abort, { once: true });
    try {
      for await (const chunk of out) yield (chunk as Buffer).toString('utf8');
    } catch (err) {
      if (!opts.signal?.aborted) throw err;
    } finally {
      opts.signal?.removeEventListener('abort', abort);
      req.abort();
    }
  }

  /** The cluster's metrics API is optional and not read (yet): `top` shows nothing on this runtime. */
  async usage(_pod: Pod): Promise<PodUsage | undefined> {
    return undefined;
  }

  /** Not yet: the cluster's pods/exec would have to be relayed. */
  async exec(_pod: Pod, _opts: ExecOptions): Promise<ExecProcess> {
    throw new UnsupportedError('exec is not supported yet on the Kubernetes runtime: run kubectl exec against the cluster itself');
  }
}
