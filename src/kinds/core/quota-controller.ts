/** Keeps each ResourceQuota's status (hard, used) current as pods come and go, for `describe quota`. */
import type { KindTable } from '../../api/kinds.js';
import type { KubeObject } from '../../api/types.js';
import { Informer, type Store } from '../../store/index.js';
import { WorkQueue } from '../../store/queue.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Controller } from '../types.js';
import { QuotaAdmission } from './quota-admission.js';
import { quotaStatus, type ResourceQuotaObject } from './quota.js';

export class QuotaStatusController implements Controller {
  private readonly quotas: Informer<ResourceQuotaObject>;
  private readonly pods: Informer;
  private readonly queue: WorkQueue;
  private readonly usage: QuotaAdmission;

  constructor(private readonly o: { store: Store; kinds: KindTable; clock: Clock; logger: Logger }) {
    this.quotas = new Informer(o.store, { apiVersion: 'v1', kind: 'ResourceQuota' });
    this.pods = new Informer(o.store, { apiVersion: 'v1', kind: 'Pod' });
    this.usage = new QuotaAdmission(o.store, o.kinds);
    this.queue = new WorkQueue('quota-status', (ns) => this.reconcile(ns), o.clock, o.logger);
    const touch = (obj: KubeObject) => {
      const ns = obj.metadata.namespace;
      if (ns && this.quotas.list().some((q) => q.metadata.namespace === ns)) this.queue.add(ns);
    };
    this.quotas.onChange((e) => e.object.metadata.namespace && this.queue.add(e.object.metadata.namespace));
    this.pods.onChange((e) => touch(e.object));
  }

  async start(): Promise<void> {
    await this.quotas.start();
    await this.pods.start();
  }

  stop(): void {
    this.queue.stop();
    this.quotas.stop();
    this.pods.stop();
  }

  private async reconcile(namespace: string): Promise<void> {
    const quotas = this.quotas.list().filter((q) => q.metadata.namespace === namespace);
    if (quotas.length === 0) return;
    const usedOf = await this.usage.usageOf(namespace, quotas);
    for (const q of quotas) {
      const status = quotaStatus(q, usedOf(q));
      if (JSON.stringify(q.status ?? {}) === JSON.stringify(status)) continue;
      await this.o.store.replaceStatus({ ...q, status }).catch(() => undefined);
    }
  }
}
