/**
 * ResourceQuota, pure: what a namespace's pods use of each quota'd resource, and whether one more
 * pod fits, with the API server's refusal message. Names as Kubernetes': `pods`, `cpu` and
 * `requests.cpu` (the same), `memory`/`requests.memory`, `limits.cpu`, `limits.memory`,
 * `requests.<extended>` (`requests.nvidia.com/gpu`; the bare name is accepted too), and object
 * counts `count/<plural>.<group>` plus the legacy `configmaps`, `secrets`,
 * `persistentvolumeclaims`. Finished pods (Succeeded, Failed) do not count, as upstream.
 */
import type { KubeObject, Pod } from '../../api/types.js';
import { isPodTerminal, podResources } from '../../api/pods.js';
import { formatResource, safeQuantity } from '../../api/quantity.js';

export interface ResourceQuotaObject extends KubeObject {
  spec?: { hard?: Record<string, string | number> };
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
}

const LEGACY_COUNTS: Record<string, string> = { configmaps: 'ConfigMap', secrets: 'Secret', persistentvolumeclaims: 'PersistentVolumeClaim', pods: 'Pod' };

/** The base resource a quota name measures on a pod, and whether it is the limit. */
function podMeasure(name: string): { resource: string; which: 'requests' | 'limits' } | undefined {
  if (name === 'cpu' || name === 'memory' || name === 'ephemeral-storage') return { resource: name, which: 'requests' };
  if (name.startsWith('requests.')) return { resource: name.slice('requests.'.length), which: 'requests' };
  if (name.startsWith('limits.')) return { resource: name.slice('limits.'.length), which: 'limits' };
  // An extended resource by its bare name (`nvidia.com/gpu`), as Kubeflow profiles often write it.
  if (name.includes('/') && !name.startsWith('count/')) return { resource: name, which: 'requests' };
  return undefined;
}

/** What `pod` adds to quota name `name` (1 for `pods`). */
export function podAmount(pod: Pod, name: string): number {
  if (name === 'pods' || name === 'count/pods') return 1;
  const m = podMeasure(name);
  if (!m) return 0;
  return podResources(pod)[m.which][m.resource] ?? 0;
}

/** Which kind an object-count quota counts (`count/jobs.batch` → jobs in group batch), if it is one. */
export function countedKind(name: string): { plural: string; group: string } | undefined {
  if (LEGACY_COUNTS[name] && name !== 'pods') return { plural: name, group: '' };
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? { plural: rest, group: '' } : { plural: rest.slice(0, dot), group: rest.slice(dot + 1) };
}

/** Usage of every name in `hard` by the namespace's live pods (object counts come from `counts`). */
export function usage(hard: Record<string, unknown>, pods: readonly Pod[], counts: (name: string) => number): Record<string, number> {
  const live = pods.filter((p) => !isPodTerminal(p));
  const used: Record<string, number> = {};
  for (const name of Object.keys(hard)) {
    used[name] = countedKind(name) ? counts(name) : live.reduce((sum, p) => sum + podAmount(p, name), 0);
  }
  return used;
}

function show(name: string, value: number): string {
  const m = podMeasure(name);
  return formatResource(m?.resource ?? name, value);
}

/**
 * Why one more object (`adds`: quota name → amount) does not fit the namespace's quotas, in the
 * API server's words, or undefined when it fits.
 */
export function exceeded(quotas: readonly ResourceQuotaObject[], adds: Record<string, number>, usedOf: (q: ResourceQuotaObject) => Record<string, number>): string | undefined {
  for (const q of quotas) {
    const hard = q.spec?.hard ?? {};
    const used = usedOf(q);
    const over = Object.keys(hard).filter((name) => (adds[name] ?? 0) > 0 && (used[name] ?? 0) + adds[name]! > safeQuantity(hard[name]) + 1e-9);
    if (over.length === 0) continue;
    const list = (f: (n: string) => string) => over.map((n) => `${n}=${f(n)}`).join(',');
    return `exceeded quota: ${q.metadata.name}, requested: ${list((n) => show(n, adds[n]!))}, used: ${list((n) => show(n, used[n] ?? 0))}, limited: ${list((n) => show(n, safeQuantity(hard[n])))}`;
  }
  return undefined;
}

/** Quota names whose amount must be declared by every new pod (Kubernetes refuses a pod without a cpu limit under a `limits.cpu` quota). */
export function missingDeclarations(quotas: readonly ResourceQuotaObject[], pod: Pod): string[] {
  const missing = new Set<string>();
  for (const q of quotas) {
    for (const name of Object.keys(q.spec?.hard ?? {})) {
      const m = podMeasure(name);
      if (!m || (m.resource !== 'cpu' && m.resource !== 'memory')) continue;
      const containers = pod.spec?.containers ?? [];
      const declared = containers.every((c) => (m.which === 'limits' ? c.resources?.limits?.[m.resource] : (c.resources?.requests?.[m.resource] ?? c.resources?.limits?.[m.resource])) !== undefined);
      if (!declared) missing.add(`${m.which}.${m.resource}`);
    }
  }
  return [...missing];
}

/** The status a quota shows (`kubectl describe quota`): its hard limits and what is used. */
export function quotaStatus(q: ResourceQuotaObject, used: Record<string, number>): { hard: Record<string, string>; used: Record<string, string> } {
  const hard: Record<string, string> = {};
  const u: Record<string, string> = {};
  for (const [name, v] of Object.entries(q.spec?.hard ?? {})) {
    hard[name] = String(v);
    u[name] = show(name, used[name] ?? 0);
  }
  return { hard, used: u };
}
