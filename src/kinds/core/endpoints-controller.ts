/**
 * Keeps one v1 `Endpoints` per Service with a selector, as kube-controller-manager's endpoints
 * controller: ready addresses, `notReadyAddresses`, and the ports (a named targetPort resolved per
 * pod, so pods that name a port differently land in subsets of their own). Owned by the Service,
 * so it goes with it. Written only when it changes.
 */
import type { KubeObject, Pod } from '../../api/types.js';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../../api/errors.js';
import { podView, serviceView, targetPortOn, type PodView, type ServiceView } from '../../api/services.js';
import { Informer, type Store } from '../../store/index.js';
import { WorkQueue } from '../../store/queue.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Controller } from '../types.js';

interface Address {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
}
interface Subset {
  addresses?: Address[];
  notReadyAddresses?: Address[];
  ports?: { name?: string; port: number; protocol: string }[];
}

/** The subsets of the Service's Endpoints (pure), in a stable order. */
export function endpointSubsets(svc: ServiceView, pods: readonly { view: PodView; uid: string; nodeName?: string }[]): Subset[] {
  const groups = new Map<string, Subset>();
  for (const { view: p, uid, nodeName } of [...pods].sort((a, b) => (a.view.name < b.view.name ? -1 : 1))) {
    if (p.namespace !== svc.namespace || p.gone || !p.ip || !svc.selector || !Object.keys(svc.selector).length) continue;
    if (!Object.entries(svc.selector).every(([k, v]) => p.labels[k] === v)) continue;
    const ports = svc.ports.flatMap((sp) => {
      const port = targetPortOn(sp, p);
      return port === undefined ? [] : [{ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol }];
    });
    // A pod that has none of the named ports is no endpoint (a Service with ports asked for one).
    if (svc.ports.length && !ports.length) continue;
    const key = JSON.stringify(ports);
    const subset = groups.get(key) ?? { ...(ports.length ? { ports } : {}) };
    groups.set(key, subset);
    const address: Address = { ip: p.ip, ...(p.hostname && p.subdomain === svc.name ? { hostname: p.hostname } : {}), ...(nodeName ? { nodeName } : {}), targetRef: { kind: 'Pod', namespace: p.namespace, name: p.name, uid } };
    if (p.ready || svc.publishNotReadyAddresses) (subset.addresses ??= []).push(address);
    else (subset.notReadyAddresses ??= []).push(address);
  }
  return [...groups.values()];
}

export class EndpointsController implements Controller {
  private readonly services: Informer;
  private readonly pods: Informer<Pod & KubeObject>;
  private readonly queue: WorkQueue;

  constructor(private readonly o: { store: Store; clock: Clock; logger: Logger }) {
    this.services = new Informer(o.store, { apiVersion: 'v1', kind: 'Service' });
    this.pods = new Informer<Pod & KubeObject>(o.store, { apiVersion: 'v1', kind: 'Pod' });
    this.queue = new WorkQueue('endpoints', (key) => this.reconcile(key), o.clock, o.logger);
    this.services.onChange((e) => this.queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`));
    this.pods.onChange((e) => {
      const ns = e.object.metadata.namespace;
      for (const s of this.services.list()) if (s.metadata.namespace === ns) this.queue.add(`${ns}/${s.metadata.name}`);
    });
  }

  async start(): Promise<void> {
    await this.services.start();
    await this.pods.start();
  }

  stop(): void {
    this.queue.stop();
    this.pods.stop();
    this.services.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.services.get(namespace, name);
    const ref = { apiVersion: 'v1', kind: 'Endpoints', namespace, name };
    if (!svc) return; // Its Endpoints go with it (owned).
    const view = serviceView(svc);
    if (!view.selector || !Object.keys(view.selector).length) return; // Selector-less: the user's own Endpoints, if any.
    const pods = this.pods.list().filter((p) => p.metadata.namespace === namespace).map((p) => ({ view: podView(p), uid: p.metadata.uid ?? '', ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}) }));
    const subsets = endpointSubsets(view, pods);
    const existing = await this.o.store.get<KubeObject & { subsets?: Subset[] }>(ref);
    if (existing && JSON.stringify(existing.subsets ?? []) === JSON.stringify(subsets)) return;
    const body = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name,
        namespace,
        ...(svc.metadata.labels ? { labels: svc.metadata.labels } : {}),
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        ...(existing ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
      ...(subsets.length ? { subsets } : {}),
    } as KubeObject;
    try {
      if (existing) await this.o.store.replace(body);
      else await this.o.store.create(body);
    } catch (err) {
      // Changed or made meanwhile: the next event brings it here again.
      if (err instanceof ConflictError || err instanceof AlreadyExistsError) return this.queue.add(key);
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}
