/**
 * ResourceQuota enforced where objects are created: a store whose creates (by users through the
 * API, and by controllers making a Job's or a workflow's pods) are refused with the API server's
 * message when they would exceed a quota of their namespace. Creates in one namespace are checked
 * one at a time, so two racing pods cannot both take the last GPU.
 */
import type { KindTable } from '../../api/kinds.js';
import type { KubeObject, Pod } from '../../api/types.js';
import { ForbiddenError } from '../../api/errors.js';
import type { Store, WriteOp } from '../../store/index.js';
import { countedKind, exceeded, missingDeclarations, podAmount, usage, type ResourceQuotaObject } from './quota.js';

const QUOTA = { apiVersion: 'v1', kind: 'ResourceQuota' };

export class QuotaAdmission {
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly kinds: KindTable,
  ) {}

  /** `store` with its creates checked against the quotas. */
  guard(): Store {
    const admission = this;
    const store = this.store;
    return new Proxy(store, {
      get(target, prop) {
        if (prop === 'create') return <T extends KubeObject>(obj: T) => admission.inNamespace(obj.metadata.namespace, () => admission.check([obj]).then(() => target.create(obj)));
        if (prop === 'writeAll') {
          return (ops: WriteOp[]) => {
            const creates = ops.filter((o) => o.op === 'create').map((o) => o.object);
            const ns = creates.find((o) => o.metadata.namespace)?.metadata.namespace;
            return admission.inNamespace(ns, () => admission.check(creates).then(() => target.writeAll(ops)));
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  /** Runs `work` after the namespace's earlier creates. */
  private inNamespace<T>(namespace: string | undefined, work: () => Promise<T>): Promise<T> {
    if (!namespace) return work();
    const prev = this.chains.get(namespace) ?? Promise.resolve();
    const next = prev.then(work, work);
    const tail = next.catch(() => undefined);
    this.chains.set(namespace, tail);
    void tail.then(() => {
      if (this.chains.get(namespace) === tail) this.chains.delete(namespace);
    });
    return next;
  }

  /** Throws Forbidden when creating `objs` would exceed a quota of their namespace. */
  async check(objs: readonly KubeObject[]): Promise<void> {
    const byNs = new Map<string, KubeObject[]>();
    for (const o of objs) if (o.metadata.namespace && o.kind !== 'ResourceQuota') byNs.set(o.metadata.namespace, [...(byNs.get(o.metadata.namespace) ?? []), o]);
    for (const [namespace, list] of byNs) {
      const quotas = (await this.store.list<ResourceQuotaObject>(QUOTA, { namespace })).items;
      if (quotas.length === 0) continue;
      const usedOf = await this.usageOf(namespace, quotas);
      const extra: Record<string, number> = {};
      for (const obj of list) {
        const adds = this.amounts(obj, quotas);
        if (Object.keys(adds).length === 0) continue;
        const name = obj.metadata.name ?? obj.metadata.generateName ?? '';
        const info = this.kinds.of(obj.apiVersion, obj.kind);
        const what = `${info ? (info.group ? `${info.plural}.${info.group}` : info.plural) : obj.kind} "${name}"`;
        if (obj.kind === 'Pod') {
          const missing = missingDeclarations(quotas, obj as Pod);
          if (missing.length) throw new ForbiddenError(`${what} is forbidden: failed quota: ${quotas.map((q) => q.metadata.name).join(',')}: must specify ${missing.join(',')}`);
        }
        const why = exceeded(quotas, adds, (q) => {
          const base = usedOf(q);
          const sum: Record<string, number> = {};
          for (const k of Object.keys(base)) sum[k] = base[k]! + (extra[k] ?? 0);
          return sum;
        });
        if (why) throw new ForbiddenError(`${what} is forbidden: ${why}`);
        for (const [k, v] of Object.entries(adds)) extra[k] = (extra[k] ?? 0) + v;
      }
    }
  }

  /** What one new object adds to each quota'd name. */
  private amounts(obj: KubeObject, quotas: readonly ResourceQuotaObject[]): Record<string, number> {
    const info = this.kinds.of(obj.apiVersion, obj.kind);
    const adds: Record<string, number> = {};
    for (const q of quotas) {
      for (const name of Object.keys(q.spec?.hard ?? {})) {
        const counted = countedKind(name);
        if (counted) {
          if (info && info.plural === counted.plural && info.group === counted.group) adds[name] = 1;
        } else if (obj.kind === 'Pod') {
          const amount = podAmount(obj as Pod, name);
          if (amount > 0) adds[name] = amount;
        }
      }
    }
    return adds;
  }

  /** Usage of every quota in `namespace`, from the store as it is now. */
  async usageOf(namespace: string, quotas: readonly ResourceQuotaObject[]): Promise<(q: ResourceQuotaObject) => Record<string, number>> {
    const pods = (await this.store.list<Pod & KubeObject>({ apiVersion: 'v1', kind: 'Pod' }, { namespace })).items;
    const counts = new Map<string, number>();
    for (const q of quotas) {
      for (const name of Object.keys(q.spec?.hard ?? {})) {
        const counted = countedKind(name);
        if (!counted || counts.has(name)) continue;
        const info = this.kinds.byPlural(counted.group, counted.plural);
        counts.set(name, info ? (await this.store.list({ apiVersion: info.apiVersion, kind: info.kind }, { namespace })).items.length : 0);
      }
    }
    return (q) => usage(q.spec?.hard ?? {}, pods, (name) => counts.get(name) ?? 0);
  }
}
