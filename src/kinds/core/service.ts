/**
 * The v1 Service, as far as one machine serves it: `ClusterIP` (a virtual address the local
 * runtime forwards TCP from to a ready endpoint) and headless (`clusterIP: None`: names resolve
 * to the ready pods' own addresses), both by selector. What only a cluster's nodes and load
 * balancers could give (NodePort, LoadBalancer, ExternalName, external IPs, session affinity) is
 * refused by name. Validation, the API server's defaults, and the address choice (pure).
 */
import { Service } from 'kubernetes-models/v1/Service';
import type { KindValidation, KubeObject } from '../../api/index.js';
import { type Finding, isRecord } from '../../api/fieldpath.js';
import { type Ctx, checkDnsLabel, checkLabels, error } from '../../api/semantics.js';
import { objectShape, ok, onlyValues, reject, struct, warn, warnUnless } from '../../api/support.js';
import type { KindAdmission } from '../types.js';

const LOCAL_ONLY = 'Services are reached on this machine only: use ClusterIP (or a headless Service, clusterIP: None)';

const SERVICE_SPEC = {
  selector: ok,
  ports: struct({
    name: ok,
    port: ok,
    targetPort: ok,
    protocol: { decide: (v: unknown) => (v === undefined || v === 'TCP' ? { verdict: 'supported' as const } : v === 'UDP' ? { verdict: 'warn' as const, reason: 'UDP is not forwarded from a ClusterIP (names still resolve)' } : { verdict: 'reject' as const, value: v, reason: 'TCP or UDP' }) },
    appProtocol: ok,
    nodePort: reject(LOCAL_ONLY),
  }),
  clusterIP: ok,
  clusterIPs: ok,
  type: onlyValues(['ClusterIP'], LOCAL_ONLY),
  publishNotReadyAddresses: ok,
  sessionAffinity: onlyValues(['None'], 'connections go round robin to the ready endpoints'),
  sessionAffinityConfig: reject('session affinity'),
  ipFamilies: onlyValues([['IPv4']].map((x) => x[0]), 'IPv4 only'),
  ipFamilyPolicy: onlyValues(['SingleStack'], 'IPv4 only (SingleStack)'),
  internalTrafficPolicy: warnUnless('Cluster', 'there is one node'),
  trafficDistribution: warn('there is one node'),
  externalIPs: reject(LOCAL_ONLY),
  externalName: reject(LOCAL_ONLY),
  externalTrafficPolicy: reject(LOCAL_ONLY),
  loadBalancerIP: reject(LOCAL_ONLY),
  loadBalancerSourceRanges: reject(LOCAL_ONLY),
  loadBalancerClass: reject(LOCAL_ONLY),
  allocateLoadBalancerNodePorts: reject(LOCAL_ONLY),
  healthCheckNodePort: reject(LOCAL_ONLY),
};

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** IANA_SVC_NAME, as a named targetPort must be. */
const PORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function checkPortName(ctx: Ctx, path: (string | number)[], v: string): void {
  if (v.length > 15 || !PORT_NAME.test(v) || !/[a-z]/.test(v) || v.includes('--')) error(ctx, path, `must be a port number or an IANA_SVC_NAME (at most 15 lower-case letters, digits and '-', with a letter), got ${JSON.stringify(v)}`);
}

/** The API server's checks of a Service beyond the schema. */
export function checkService(ctx: Ctx, obj: Record<string, unknown>): void {
  const spec = isRecord(obj['spec']) ? obj['spec'] : {};
  const headless = spec['clusterIP'] === 'None';
  const ip = spec['clusterIP'];
  if (typeof ip === 'string' && ip !== '' && ip !== 'None' && !IPV4.test(ip)) error(ctx, ['spec', 'clusterIP'], `must be empty, "None" or an IPv4 address, got ${JSON.stringify(ip)}`);
  const ips = spec['clusterIPs'];
  if (Array.isArray(ips) && ips.length && typeof ip === 'string' && ip !== '' && ips[0] !== ip) error(ctx, ['spec', 'clusterIPs', 0], `must match spec.clusterIP ${JSON.stringify(ip)}`);
  if (spec['selector'] !== undefined) checkLabels(ctx, spec['selector'], ['spec', 'selector']);
  const ports = Array.isArray(spec['ports']) ? (spec['ports'] as unknown[]) : [];
  if (!ports.length && !headless) error(ctx, ['spec', 'ports'], 'Required value: a Service with a cluster IP needs at least one port', 'parent');
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    if (!isRecord(p)) return;
    const at = ['spec', 'ports', i];
    const name = p['name'];
    if (typeof name === 'string' && name !== '') {
      checkDnsLabel(ctx, [...at, 'name'], name);
      if (names.has(name)) error(ctx, [...at, 'name'], `Duplicate value: ${JSON.stringify(name)}`);
      names.add(name);
    } else if (ports.length > 1) error(ctx, [...at, 'name'], 'Required value: every port of a Service with several ports needs a name', 'parent');
    const port = p['port'];
    if (typeof port === 'number' && (!Number.isInteger(port) || port < 1 || port > 65535)) error(ctx, [...at, 'port'], `must be between 1 and 65535, inclusive, got ${port}`);
    const key = `${String(port)}/${String(p['protocol'] ?? 'TCP')}`;
    if (seen.has(key)) error(ctx, [...at, 'port'], `Duplicate value: ${key}`);
    seen.add(key);
    const tp = p['targetPort'];
    if (typeof tp === 'number' && (!Number.isInteger(tp) || tp < 1 || tp > 65535)) error(ctx, [...at, 'targetPort'], `must be between 1 and 65535, inclusive, got ${tp}`);
    if (typeof tp === 'string' && !/^\d+$/.test(tp)) checkPortName(ctx, [...at, 'targetPort'], tp);
  });
}

export const SERVICE_VALIDATION: KindValidation = {
  schema: Service,
  support: objectShape(SERVICE_SPEC),
  name: { dnsLabel: true },
  semantics: (obj) => {
    const ctx: Ctx = { findings: [] as Finding[] };
    checkService(ctx, obj);
    return ctx.findings;
  },
};

type ServiceSpec = { type?: string; clusterIP?: string; clusterIPs?: string[]; sessionAffinity?: string; ipFamilies?: string[]; ipFamilyPolicy?: string; internalTrafficPolicy?: string; ports?: { port: number; protocol?: string; targetPort?: number | string }[] };

export const SERVICE_ADMISSION: KindAdmission = {
  /** What the API server fills in (the ClusterIP itself comes from the Service controller). */
  defaults(obj) {
    const spec = ((obj as { spec?: ServiceSpec }).spec ??= {});
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.internalTrafficPolicy ??= 'Cluster';
    if (spec.clusterIP === 'None') spec.clusterIPs = ['None'];
    for (const p of spec.ports ?? []) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
    (obj as { status?: unknown }).status ??= { loadBalancer: {} };
  },
  /** An applied manifest without clusterIP keeps the address it was given. */
  inherit(existing, next) {
    const prev = (existing as { spec?: ServiceSpec }).spec;
    const spec = ((next as { spec?: ServiceSpec }).spec ??= {});
    if (prev?.clusterIP && !spec.clusterIP) {
      spec.clusterIP = prev.clusterIP;
      spec.clusterIPs = prev.clusterIPs ?? [prev.clusterIP];
    }
  },
  immutableChange(prev, next) {
    const a = (prev as { spec?: ServiceSpec }).spec?.clusterIP;
    const b = (next as { spec?: ServiceSpec }).spec?.clusterIP;
    return a && b !== undefined && b !== '' && a !== b ? 'spec.clusterIP' : undefined;
  },
};

/** Whether the Service wants an address and has none yet. */
export function needsClusterIP(svc: KubeObject): boolean {
  const spec = (svc as { spec?: ServiceSpec }).spec;
  return (spec?.type ?? 'ClusterIP') === 'ClusterIP' && !spec?.clusterIP;
}

/** `10.96.0.0/16` → its first and last host numbers; the first (the range's `.1`) is Kubernetes' `kubernetes` Service's, so never given. */
export function pickClusterIP(cidr: string, used: ReadonlySet<string>): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined;
  const base = ((Number(m[1]) << 24) >>> 0) + (Number(m[2]) << 16) + (Number(m[3]) << 8) + Number(m[4]);
  const size = 2 ** (32 - Number(m[5]));
  for (let i = 10; i < size - 1; i++) {
    const n = base + i;
    const ip = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    if (!used.has(ip)) return ip;
  }
  return undefined;
}
