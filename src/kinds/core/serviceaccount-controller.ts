/** Every namespace has a `default` ServiceAccount, as a cluster's service-account controller makes it. */
import type { KubeObject } from '../../api/types.js';
import { AlreadyExistsError, NotFoundError } from '../../api/errors.js';
import { Informer, type Store } from '../../store/index.js';
import { WorkQueue } from '../../store/queue.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Controller } from '../types.js';

export class DefaultServiceAccountController implements Controller {
  private readonly namespaces: Informer;
  private readonly queue: WorkQueue;

  constructor(private readonly o: { store: Store; clock: Clock; logger: Logger }) {
    this.namespaces = new Informer(o.store, { apiVersion: 'v1', kind: 'Namespace' });
    this.queue = new WorkQueue('serviceaccounts', (ns) => this.reconcile(ns), o.clock, o.logger);
    this.namespaces.onChange((e) => e.type !== 'DELETED' && this.queue.add(e.object.metadata.name!));
  }

  async start(): Promise<void> {
    await this.namespaces.start();
  }

  stop(): void {
    this.queue.stop();
    this.namespaces.stop();
  }

  private async reconcile(namespace: string): Promise<void> {
    if (!this.namespaces.get('', namespace)) return;
    const ref = { apiVersion: 'v1', kind: 'ServiceAccount', namespace, name: 'default' };
    if (await this.o.store.get(ref)) return;
    try {
      await this.o.store.create<KubeObject>({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });
    } catch (err) {
      // Made meanwhile, or the namespace went.
      if (!(err instanceof AlreadyExistsError) && !(err instanceof NotFoundError)) throw err;
    }
  }
}
