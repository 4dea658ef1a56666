/**
 * memoize: a template's outputs cached in a ConfigMap under a key built from its inputs, as Argo
 * keeps them. A hit makes a Succeeded node without a pod; a success records an entry.
 */
import { substituteString, type Scope } from './scope.js';
import { parseDurationSeconds } from './steppod.js';
import { WorkflowError, type Operation } from './operation.js';
import type { NodeStatus, Template } from './types.js';

export interface MemoKey {
  key: string;
  cacheName: string;
}

/** The memoization key (a ConfigMap key: other characters become `-`) and its cache. */
export function memoKey(t: Template, scope: Scope): MemoKey {
  const m = t.memoize!;
  const cacheName = m.cache?.configMap?.name;
  if (!cacheName) throw new WorkflowError(`template "${t.name}": memoize.cache.configMap.name is required`);
  return { key: substituteString(m.key, scope).replace(/[^-._a-zA-Z0-9]/g, '-'), cacheName };
}

/** A cached entry younger than maxAge, as Argo's memoization reads it (this pass's own writes included). */
export function memoLookup(op: Operation, memo: MemoKey, t: Template): { outputs?: NodeStatus['outputs'] } | undefined {
  const written = op.result.cacheWrites.find((w) => w.configMap === memo.cacheName && w.key === memo.key)?.value;
  const raw = written ?? op.input.configMap(op.wf.metadata.namespace ?? 'default', memo.cacheName)?.data?.[memo.key];
  if (!raw) return undefined;
  try {
    const entry = JSON.parse(raw) as { outputs?: NodeStatus['outputs']; creationTimestamp?: string };
    const maxAge = t.memoize?.maxAge ? parseDurationSeconds(t.memoize.maxAge) * 1000 : Infinity;
    const created = entry.creationTimestamp ? Date.parse(entry.creationTimestamp) : 0;
    if (op.now - created > maxAge) return undefined;
    return entry;
  } catch {
    return undefined;
  }
}

/** A node that ran (no hit) and succeeded: its outputs become the cache entry. */
export function memoRecord(op: Operation, memo: MemoKey, node: NodeStatus): void {
  node.memoizationStatus = { hit: false, key: memo.key, cacheName: memo.cacheName };
  const entry = { nodeID: node.id, outputs: node.outputs ?? {}, creationTimestamp: op.iso(), lastHitTimestamp: op.iso() };
  op.result.cacheWrites.push({ namespace: op.wf.metadata.namespace ?? 'default', configMap: memo.cacheName, key: memo.key, value: JSON.stringify(entry) });
}
