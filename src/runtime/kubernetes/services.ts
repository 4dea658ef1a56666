/**
 * Drover's v1 Services, mirrored into the cluster namespace beside the pods: the training, MPI and
 * notebook controllers make headless Services whose names the replicas' environment holds
 * (`MASTER_ADDR=<job>-master-0`, the MPI hostfile's `<pod>.<job>.<ns>.svc`), and the cluster's DNS
 * answers those names only for Services that exist there. Every Drover Service is mirrored (a
 * user's own Service selects cluster pods as well as a controller's does).
 *
 * One sync per Drover Service uid, calls coalescing as the pods' do: create, replace when what
 * Drover asks for changed (a digest annotation, so the cluster's defaults never read as a change),
 * delete preconditioned on the cluster object's uid. A ClusterIP comes from the cluster and is
 * copied into Drover's Service. After a restart the informer's list holds what exists: create's
 * 409 finds it, and copies whose Drover Service went while Drover was down are deleted.
 */
import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from '../../api/types.js';
import type { Store, WatchEvent } from '../../store/index.js';
import type { TokenBucket } from '../../util/ratelimit.js';
import type { Logger } from '../../util/logger.js';
import { clusterIPToMirror, clusterService, droverPodOf, MANAGED_SELECTOR, serviceReplacement, serviceUpToDate } from './translate.js';
import { KeyedSync } from './keyed-sync.js';

const SOURCE = 'drover-kubernetes-runtime';

export interface ServiceMirrorOptions {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  namespace: string;
  bucket: TokenBucket;
  rewatchDelayMs: number;
  apiMessage(err: unknown): string;
}

function statusCode(err: unknown): number | undefined {
  return err instanceof k8s.ApiException ? err.code : undefined;
}

export class ServiceMirror {
  private store?: Store;
  private logger?: Logger;
  private informer?: k8s.Informer<k8s.V1Service> & k8s.ObjectCache<k8s.V1Service>;
  private stopped = true;
  private loaded = false;
  private unsubscribe?: () => void;
  /** Drover's Services by uid. */
  private readonly services = new Map<string, KubeObject>();
  /** Cluster Service names by the uid of the Drover Service they mirror. */
  private readonly clusterNames = new Map<string, string>();
  private readonly syncs = new KeyedSync(
    (uid) => this.sync(uid),
    (uid, err, retryInMs) => this.logger?.warn('service sync failed; retrying', { uid, error: this.o.apiMessage(err), retryInMs }),
    () => !this.stopped,
  );
  private rewatchTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ServiceMirrorOptions) {}

  async start(store: Store, logger: Logger): Promise<void> {
    this.store = store;
    this.logger = logger;
    this.stopped = false;
    const ns = this.o.namespace;
    const informer = k8s.makeInformer<k8s.V1Service>(this.o.kc, `/api/v1/namespaces/${ns}/services`, () => this.o.core.listNamespacedService({ namespace: ns, labelSelector: MANAGED_SELECTOR }), MANAGED_SELECTOR);
    const onCluster = (obj: k8s.V1Service) => {
      const owner = droverPodOf(obj as KubeObject);
      if (!owner) return;
      this.clusterNames.set(owner.uid, obj.metadata!.name!);
      this.request(owner.uid);
    };
    informer.on('add', onCluster);
    informer.on('update', onCluster);
    informer.on('delete', (obj: k8s.V1Service) => {
      onCluster(obj);
      // A Drover Service may be waiting for the name a stale copy held.
      for (const [uid, s] of this.services) if (s.metadata.name === obj.metadata?.name) this.request(uid);
    });
    const rewatch = (delayMs: number) => {
      this.rewatchTimer = setTimeout(() => {
        if (this.stopped) return;
        informer.start().catch(() => rewatch(Math.min(2 * delayMs, 30_000)));
      }, delayMs);
    };
    informer.on('error', (err: unknown) => {
      if (this.stopped) return;
      logger.warn('cluster service watch ended; restarting it', { error: this.o.apiMessage(err) });
      rewatch(this.o.rewatchDelayMs);
    });
    this.informer = informer;
    await informer.start();
    const list = await store.list<KubeObject>({ apiVersion: 'v1', kind: 'Service' });
    this.unsubscribe = store.watch({ apiVersion: 'v1', kind: 'Service' }, { fromResourceVersion: list.resourceVersion }, (e) => this.onDrover(e));
    for (const s of list.items) if (s.metadata.uid) this.services.set(s.metadata.uid, s);
    this.loaded = true;
    for (const uid of this.services.keys()) this.request(uid);
    // Copies whose Drover Service is gone (deleted while Drover was down) are removed by their sync.
    for (const uid of this.clusterNames.keys()) if (!this.services.has(uid)) this.request(uid);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.loaded = false;
    this.unsubscribe?.();
    if (this.rewatchTimer) clearTimeout(this.rewatchTimer);
    await this.informer?.stop();
    await this.syncs.drain();
    this.services.clear();
    this.clusterNames.clear();
  }

  private onDrover(e: WatchEvent): void {
    const svc = e.object;
    const uid = svc.metadata.uid;
    if (!uid) return;
    if (e.type === 'DELETED') this.services.delete(uid);
    else this.services.set(uid, svc);
    this.request(uid);
  }

  private request(uid: string): void {
    if (this.stopped || !this.loaded) return;
    this.syncs.request(uid);
  }

  private clusterServiceOf(uid: string): KubeObject | undefined {
    const name = this.clusterNames.get(uid);
    if (!name) return undefined;
    const obj = this.informer?.get(name, this.o.namespace) as KubeObject | undefined;
    if (!obj || droverPodOf(obj)?.uid !== uid) {
      if (!obj) this.clusterNames.delete(uid);
      return undefined;
    }
    return obj;
  }

  private async sync(uid: string): Promise<void> {
    const svc = this.services.get(uid);
    const cluster = this.clusterServiceOf(uid);
    if (!svc) {
      if (cluster && !cluster.metadata.deletionTimestamp) await this.remove(cluster.metadata.name!, cluster.metadata.uid);
      this.clusterNames.delete(uid);
      return;
    }
    if (svc.metadata.deletionTimestamp) return;
    const desired = clusterService(svc, this.o.namespace);
    if (!cluster) {
      await this.create(svc, desired);
      return;
    }
    if (!serviceUpToDate(cluster, desired)) await this.replace(svc, cluster, desired);
    else await this.mirrorClusterIP(svc, cluster);
  }

  private async create(svc: KubeObject, desired: KubeObject): Promise<void> {
    const ns = this.o.namespace;
    await this.o.bucket.take();
    try {
      const made = await this.o.core.createNamespacedService({ namespace: ns, body: desired as k8s.V1Service });
      this.clusterNames.set(svc.metadata.uid!, desired.metadata.name!);
      await this.mirrorClusterIP(svc, made as KubeObject);
      return;
    } catch (err) {
      if (statusCode(err) !== 409) {
        if (statusCode(err) === 403 || statusCode(err) === 422) {
          await this.event(svc, 'Warning', 'FailedCreate', `the cluster refused to create service ${ns}/${desired.metadata.name}: ${this.o.apiMessage(err)}`);
          return;
        }
        throw err;
      }
    }
    // The informer lists only Drover's Services: one it has not seen is read (someone else's, or ours not yet listed).
    let existing = this.informer?.get(desired.metadata.name!, ns) as KubeObject | undefined;
    if (!existing) {
      await this.o.bucket.take();
      existing = (await this.o.core.readNamespacedService({ name: desired.metadata.name!, namespace: ns })) as KubeObject;
      // Ours, not listed yet: its add event syncs this Service again.
      if (droverPodOf(existing)) return;
    }
    const owner = droverPodOf(existing);
    if (owner?.uid === svc.metadata.uid) {
      this.clusterNames.set(svc.metadata.uid!, existing.metadata.name!);
      return; // ours from before a restart; the add event syncs it
    }
    if (owner && !this.services.has(owner.uid)) {
      // A copy of a Drover Service that no longer exists (deleted and made again while Drover was
      // down): it goes, and the delete event brings this one back here.
      await this.remove(existing.metadata.name!, existing.metadata.uid);
      return;
    }
    const by = owner ? `Drover's service ${owner.namespace}/${owner.name}` : 'a service Drover did not make';
    await this.event(svc, 'Warning', 'NameConflict', `service name "${desired.metadata.name}" is already taken in cluster namespace ${ns} by ${by}`);
  }

  private async replace(svc: KubeObject, cluster: KubeObject, desired: KubeObject): Promise<void> {
    await this.o.bucket.take();
    try {
      const made = await this.o.core.replaceNamespacedService({ name: cluster.metadata.name!, namespace: this.o.namespace, body: serviceReplacement(cluster, desired) as k8s.V1Service });
      await this.mirrorClusterIP(svc, made as KubeObject);
    } catch (err) {
      // 409: the informer's copy was stale; its update event syncs again. 422: a change the
      // cluster holds immutable (headless to ClusterIP): the copy is made again.
      if (statusCode(err) === 422) await this.remove(cluster.metadata.name!, cluster.metadata.uid);
      else if (statusCode(err) !== 409) throw err;
    }
  }

  private async remove(name: string, clusterUid: string | undefined): Promise<void> {
    await this.o.bucket.take();
    try {
      // Preconditioned on the uid: a newer Service of the same name is never deleted by mistake.
      await this.o.core.deleteNamespacedService({ name, namespace: this.o.namespace, ...(clusterUid ? { body: { preconditions: { uid: clusterUid } } } : {}) });
    } catch (err) {
      if (statusCode(err) !== 404 && statusCode(err) !== 409) throw err;
    }
  }

  /** Drover's Service takes the ClusterIP the cluster gave, so `get svc` shows the address pods reach. */
  private async mirrorClusterIP(svc: KubeObject, cluster: KubeObject): Promise<void> {
    const ip = clusterIPToMirror(svc, cluster);
    if (!ip) return;
    const updated = await this.store!.patch<KubeObject>({ apiVersion: 'v1', kind: 'Service', namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name! }, (s) => {
      if (s.metadata.uid !== svc.metadata.uid) return false;
      const spec = ((s as { spec?: Record<string, unknown> }).spec ??= {});
      spec['clusterIP'] = ip.clusterIP;
      spec['clusterIPs'] = ip.clusterIPs;
      return undefined;
    }).catch(() => undefined);
    if (updated) this.services.set(updated.metadata.uid!, updated);
  }

  private async event(svc: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    await this.store!.recordEvent({ involved: svc, type, reason, message, source: SOURCE }).catch(() => undefined);
  }
}
