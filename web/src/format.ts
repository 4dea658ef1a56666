/** Pure helpers: Kubernetes quantities, ages, phases. */
import type { Obj } from './api.js';

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** `500m` → 0.5, `2Gi` → 2147483648, `1e3` → 1000; undefined when not a quantity. */
export function quantity(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m || SUFFIX[m[2]!] === undefined) return undefined;
  return Number(m[1]) * SUFFIX[m[2]!]!;
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

export function cpu(n: number): string {
  return n < 1 ? `${Math.round(n * 1000)}m` : `${Number(n.toFixed(2))}`;
}

export function age(ts: string | undefined, now = Date.now()): string {
  if (!ts) return '';
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function duration(from: string | undefined, to: string | undefined, now = Date.now()): string {
  if (!from) return '';
  const s = Math.max(0, Math.round(((to ? Date.parse(to) : now) - Date.parse(from)) / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${s % 60}s` : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export function conditions(o: Obj): Condition[] {
  return (o.status?.conditions ?? []) as Condition[];
}

/** A Job's state as `kubectl get jobs` says it. */
export function jobStatus(job: Obj): string {
  const c = conditions(job).find((x) => x.status === 'True' && ['Complete', 'Failed', 'Suspended', 'FailureTarget', 'SuccessCriteriaMet'].includes(x.type));
  if (c?.type === 'Complete' || c?.type === 'SuccessCriteriaMet') return 'Complete';
  if (c?.type === 'Failed' || c?.type === 'FailureTarget') return 'Failed';
  if (c?.type === 'Suspended') return 'Suspended';
  return (job.status?.active ?? 0) > 0 ? 'Running' : 'Pending';
}

/** A pod's state as `kubectl get pods` says it (a waiting or terminated reason wins over the phase). */
export function podStatus(pod: Obj): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  for (const c of (pod.status?.containerStatuses ?? []) as { state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }[]) {
    const r = c.state?.waiting?.reason ?? (pod.status?.phase === 'Failed' ? c.state?.terminated?.reason : undefined);
    if (r) return r;
  }
  return pod.status?.phase ?? 'Pending';
}

/** A CSS class for a phase or status word. */
export function tone(status: string | undefined): string {
  switch (status) {
    case 'Succeeded': case 'Complete': case 'Completed': case 'Ready': case 'True': return 'ok';
    case 'Running': case 'Active': return 'run';
    case 'Failed': case 'Error': case 'NotReady': case 'OOMKilled': case 'CrashLoopBackOff': case 'ImagePullBackOff': return 'bad';
    case 'Skipped': case 'Omitted': case 'Terminating': case 'Suspended': case 'False': return 'dim';
    default: return 'wait';
  }
}

/** Requests of a pod's containers (what the scheduler counts), per resource name. */
export function podRequests(pod: Obj): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const c of (pod.spec?.containers ?? []) as { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }[]) {
    const req = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
    for (const [k, v] of Object.entries(req)) sum[k] = (sum[k] ?? 0) + (quantity(v) ?? 0);
  }
  return sum;
}
