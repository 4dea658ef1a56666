/**
 * An in-memory cache of one kind, kept current by a watch: controllers read from it instead
 * of querying the store on every reconcile, and hear of every change.
 */
import type { KubeObject } from '../api/types.js';
import type { KindSelector, Store, WatchEvent } from './types.js';

export function objectKey(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly handlers: ((e: WatchEvent<T>) => void)[] = [];
  private unsubscribe?: () => void;

  constructor(private readonly store: Store, readonly kind: KindSelector) {}

  onChange(handler: (e: WatchEvent<T>) => void): void {
    this.handlers.push(handler);
  }

  /** Lists, then follows the watch; events older than the list are dropped. */
  async start(): Promise<void> {
    const buffered: WatchEvent<T>[] = [];
    let listRv = -1;
    this.unsubscribe = this.store.watch(this.kind, {}, (e) => {
      if (listRv < 0) buffered.push(e as WatchEvent<T>);
      else this.apply(e as WatchEvent<T>);
    });
    const list = await this.store.list<T>(this.kind);
    for (const item of list.items) this.items.set(objectKey(item), item);
    listRv = Number(list.resourceVersion);
    for (const e of buffered) if (Number(e.object.metadata.resourceVersion) > listRv) this.apply(e);
    for (const item of list.items) this.emit({ type: 'ADDED', object: item });
  }

  private apply(e: WatchEvent<T>): void {
    const key = objectKey(e.object);
    if (e.type === 'DELETED') this.items.delete(key);
    else {
      const cur = this.items.get(key);
      // A stale event (older than what we hold) must not overwrite newer state.
      if (cur && Number(cur.metadata.resourceVersion) > Number(e.object.metadata.resourceVersion)) return;
      this.items.set(key, e.object);
    }
    this.emit(e);
  }

  private emit(e: WatchEvent<T>): void {
    for (const h of this.handlers) h(e);
  }

  get(namespace: string, name: string): T | undefined {
    return this.items.get(`${namespace}/${name}`);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  stop(): void {
    this.unsubscribe?.();
  }
}
