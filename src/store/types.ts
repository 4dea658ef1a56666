import type { KubeObject, ObjectRef } from '../api/types.js';
import type { LabelSelector } from '../api/selectors.js';

/** Which objects a list or watch covers. */
export interface ListOptions {
  /** Omit for all namespaces. */
  namespace?: string;
  labelSelector?: LabelSelector;
  /** Only objects with an owner reference to this uid. */
  ownerUid?: string;
}

export interface KindSelector {
  apiVersion: string;
  kind: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface ListResult<T extends KubeObject = KubeObject> {
  items: T[];
  /** The store's resourceVersion when the list was read; a watch from it misses nothing. */
  resourceVersion: string;
}

export type WriteOp = { op: 'create'; object: KubeObject } | { op: 'replace'; object: KubeObject };

/** What `recordEvent` needs; the store fills in names, times and counts. */
export interface EventInput {
  involved: KubeObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** Component that saw it (`job-controller`, `default-scheduler`, `kubelet`). */
  source: string;
}

/**
 * One metric value a trial reported (a line of Katib's observation log). `source` names where it
 * was read (a pod's log, a metrics file, a push) and `seq` counts the values read from that
 * source, so reading the same source again from its start adds nothing twice.
 */
export interface ObservationLogEntry {
  source: string;
  /** Omitted: the next number for the source (values pushed one request at a time). */
  seq?: number;
  name: string;
  value: string;
  /** RFC 3339. */
  time: string;
}

/**
 * The state of everything, transactional. Every write bumps one global resourceVersion and is
 * delivered, after it commits, to watchers in commit order.
 */
export interface Store {
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(kind: KindSelector, opts?: ListOptions): Promise<ListResult<T>>;
  /** Assigns uid, resourceVersion, creationTimestamp and a name from generateName. Throws AlreadyExists. */
  create<T extends KubeObject>(obj: T): Promise<T>;
  /**
   * Replaces metadata and spec-like fields but keeps status. When `metadata.resourceVersion`
   * is given it must match the stored one (optimistic concurrency), else Conflict.
   */
  replace<T extends KubeObject>(obj: T): Promise<T>;
  /** Replaces only `status`; same concurrency rule as replace. */
  replaceStatus<T extends KubeObject>(obj: T): Promise<T>;
  /**
   * Reads, changes and writes one object atomically (no conflict possible). `mutate` may change
   * anything but identity; returning false leaves the object untouched. Throws NotFound.
   */
  patch<T extends KubeObject>(ref: ObjectRef, mutate: (obj: T) => void | boolean): Promise<T>;
  /**
   * A controller's status write from the copy it holds (an informer's): when `base` is still the
   * stored version, stores it with `status` and `labels` in place of its own, without reading or
   * parsing the stored body (what makes `patch` cost O(size) twice over for a large status).
   * Returns the stored object; `base` itself when nothing changed; undefined when the object
   * changed since `base` or is gone. `changed`, for a kind whose status map is kept in rows: the
   * map's keys the caller replaced or added (it removed none, and every other entry is the base's
   * own object), so the write compares and stores those alone instead of walking the whole map.
   */
  writeStatus<T extends KubeObject>(base: T, status: T['status'], labels?: Record<string, string>, statusJson?: string, changed?: ReadonlySet<string>): Promise<T | undefined>;
  /**
   * Deletes the object and everything it owns (recursively), dependents before their owners;
   * returns what was deleted, the object last. Usually one transaction; a large cascade goes in
   * slices with the owner marked (deletionTimestamp, finalizer `foregroundDeletion`) until it
   * goes last, and a store reopened after a crash finishes it.
   */
  delete(ref: ObjectRef): Promise<KubeObject[]>;
  /**
   * Creates or replaces several objects in one transaction: all are stored or none is
   * (a multi-document `apply`). Replace follows the same concurrency rule as `replace`.
   */
  writeAll(ops: WriteOp[]): Promise<KubeObject[]>;
  /** Appends a core/v1 Event, folding repeats of the same reason and message into a count. */
  recordEvent(e: EventInput): Promise<void>;
  /** Calls `handler` for each change after `fromResourceVersion` (default: from now). Returns an unsubscribe function. */
  watch(kind: KindSelector | undefined, opts: ListOptions & { fromResourceVersion?: string }, handler: (e: WatchEvent) => void): () => void;
  /**
   * Appends metric values reported for an object (a Trial), ignoring entries whose (source, seq)
   * is already stored. Returns how many were new. The entries go when the object is deleted.
   */
  appendObservationLog(ownerUid: string, entries: readonly ObservationLogEntry[]): Promise<number>;
  /** The values reported for an object, in time order (ties in the order they were stored). */
  observationLog(ownerUid: string): Promise<Required<ObservationLogEntry>[]>;
  /** A consistent copy of the whole store written to `dest`, while it serves. */
  backup(dest: string): Promise<void>;
  close(): Promise<void>;
}
