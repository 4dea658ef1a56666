/**
 * Gives each ClusterIP Service its address from `network.serviceCIDR` (the lowest one no other
 * Service holds), as the API server's allocator does at create; the local runtime then serves it.
 * Where the runtime shares addresses with other servers (one bridge per machine), the address is
 * also claimed there, so two servers never serve the same ClusterIP.
 */
import type { KubeObject } from '../../api/types.js';
import { NotFoundError } from '../../api/errors.js';
import { Informer, type Store } from '../../store/index.js';
import { WorkQueue } from '../../store/queue.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Controller } from '../types.js';
import { needsClusterIP, pickClusterIP } from './service.js';

export class ServiceAddressController implements Controller {
  private readonly services: Informer;
  private readonly queue: WorkQueue;

  constructor(private readonly o: { store: Store; clock: Clock; logger: Logger; serviceCIDR: string; claim?: (ip: string, serviceUid: string) => Promise<boolean> }) {
    this.services = new Informer(o.store, { apiVersion: 'v1', kind: 'Service' });
    // One at a time: two Services must not be given the same address.
    this.queue = new WorkQueue('services', (key) => this.reconcile(key), o.clock, o.logger, 1);
    this.services.onChange((e) => e.type !== 'DELETED' && needsClusterIP(e.object) && this.queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`));
  }

  async start(): Promise<void> {
    await this.services.start();
  }

  stop(): void {
    this.queue.stop();
    this.services.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.services.get(namespace, name);
    if (!svc || !needsClusterIP(svc)) return;
    const used = new Set(this.services.list().map((s) => (s.spec as { clusterIP?: string } | undefined)?.clusterIP).filter((x): x is string => Boolean(x)));
    let ip = pickClusterIP(this.o.serviceCIDR, used);
    // Another server on this machine may hold the lowest free one: the next, then.
    while (ip && this.o.claim && !(await this.o.claim(ip, svc.metadata.uid!))) {
      used.add(ip);
      ip = pickClusterIP(this.o.serviceCIDR, used);
    }
    if (!ip) {
      await this.o.store.recordEvent({ involved: svc, type: 'Warning', reason: 'ClusterIPNotAllocated', message: `no address left in network.serviceCIDR ${this.o.serviceCIDR}`, source: 'ipallocator' }).catch(() => undefined);
      return;
    }
    try {
      await this.o.store.patch<KubeObject>({ apiVersion: 'v1', kind: 'Service', namespace, name }, (s) => {
        const spec = (s.spec ??= {}) as { clusterIP?: string; clusterIPs?: string[] };
        if (s.metadata.uid !== svc.metadata.uid || spec.clusterIP) return false;
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
        return undefined;
      });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}
