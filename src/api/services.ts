/**
 * What a Service stands for, after Kubernetes' rules (pure): its endpoints are its selector's
 * pods in its namespace that have an address and are ready (all of them with
 * `publishNotReadyAddresses`), each with the container port a Service port's `targetPort`
 * names. The local runtime's resolver and proxy and the Endpoints controller all ask this.
 */
import type { Pod } from './types.js';

export interface PodView {
  namespace: string;
  name: string;
  ip?: string;
  hostname?: string;
  subdomain?: string;
  labels: Readonly<Record<string, string>>;
  /** The pod's Ready condition is True. */
  ready: boolean;
  /** Ended or being deleted: never an endpoint. */
  gone: boolean;
  /** Named container ports, for targetPort by name. */
  ports: readonly { name?: string; containerPort: number; protocol: string }[];
}

export interface ServicePortView {
  name?: string;
  port: number;
  protocol: string;
  targetPort: number | string;
}

export interface ServiceView {
  namespace: string;
  name: string;
  /** An address, `None` (headless), or undefined (not allocated yet). */
  clusterIP?: string;
  selector?: Readonly<Record<string, string>>;
  ports: readonly ServicePortView[];
  publishNotReadyAddresses: boolean;
}

export interface Endpoint {
  ip: string;
  pod: string;
  /** The pod's hostname, when its subdomain is this Service. */
  hostname?: string;
  ready: boolean;
}

export function podView(p: Pod): PodView {
  const s = p.spec;
  const phase = p.status?.phase;
  const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  return {
    namespace: p.metadata?.namespace ?? 'default',
    name: p.metadata?.name ?? '',
    ...(p.status?.podIP ? { ip: p.status.podIP } : {}),
    ...(s?.hostname ? { hostname: s.hostname } : {}),
    ...(s?.subdomain ? { subdomain: s.subdomain } : {}),
    labels: p.metadata?.labels ?? {},
    ready,
    gone: phase === 'Succeeded' || phase === 'Failed' || Boolean(p.metadata?.deletionTimestamp),
    ports: (s?.containers ?? []).flatMap((c) => (c.ports ?? []).map((x) => ({ ...(x.name ? { name: x.name } : {}), containerPort: x.containerPort, protocol: x.protocol ?? 'TCP' }))),
  };
}

/** The Service object as the network sees it. */
export function serviceView(obj: { metadata?: { namespace?: string; name?: string }; spec?: unknown }): ServiceView {
  const spec = (obj.spec ?? {}) as { clusterIP?: string; selector?: Record<string, string>; ports?: { name?: string; port: number; protocol?: string; targetPort?: number | string }[]; publishNotReadyAddresses?: boolean };
  return {
    namespace: obj.metadata?.namespace ?? 'default',
    name: obj.metadata?.name ?? '',
    ...(spec.clusterIP ? { clusterIP: spec.clusterIP } : {}),
    ...(spec.selector ? { selector: spec.selector } : {}),
    ports: (spec.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port })),
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
  };
}

function selects(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  // A Service without a selector has no endpoints Drover computes (upstream: user-managed Endpoints).
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The Service's endpoints, sorted by pod name: only those it publishes (ready, unless publishNotReadyAddresses). */
export function endpointsOf(svc: ServiceView, pods: Iterable<PodView>): Endpoint[] {
  const out: Endpoint[] = [];
  for (const p of pods) {
    if (p.namespace !== svc.namespace || p.gone || !p.ip || !selects(svc.selector, p.labels)) continue;
    if (!p.ready && !svc.publishNotReadyAddresses) continue;
    out.push({ ip: p.ip, pod: p.name, ready: p.ready, ...(p.hostname && p.subdomain === svc.name ? { hostname: p.hostname } : {}) });
  }
  return out.sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
}

/** The container port a Service port reaches on `pod`: a number as is, a name looked up among its ports (undefined: no such port). */
export function targetPortOn(port: ServicePortView, pod: PodView): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  if (/^\d+$/.test(port.targetPort)) return Number(port.targetPort);
  return pod.ports.find((p) => p.name === port.targetPort && p.protocol === port.protocol)?.containerPort;
}

