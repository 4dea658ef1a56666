/**
 * What a Service stands for and which names resolve to what, after Kubernetes' rules (pure):
 * the endpoints of a Service (its selector's pods in its namespace that have an address and are
 * ready, or all of them with `publishNotReadyAddresses`), and the DNS table the pods' resolver
 * answers from:
 *   <svc>.<ns>.svc.<domain>                 the ClusterIP, or (headless) every endpoint's address
 *   <hostname>.<svc>.<ns>.svc.<domain>      (headless) an endpoint whose pod sets `hostname` and
 *                                           `subdomain: <svc>`
 *   <a-b-c-d>.<ns>.pod.<domain>             any pod address (answered without a table)
 * The short forms (`<svc>`, `<svc>.<ns>`, `<hostname>.<subdomain>`) come from the search list of
 * the resolv.conf each pod gets (resolvConf), as on Kubernetes.
 */
import type { Pod } from '../../../api/index.js';

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

/** Every name the cluster domain answers, lower case, to its addresses. */
export function nameTable(services: Iterable<ServiceView>, pods: Iterable<PodView>, domain: string): Map<string, string[]> {
  // Pods by namespace and one label pair, so each Service looks only at pods carrying its
  // selector's first label (1,000 pods × 100 Services would be 100,000 matches otherwise).
  const byLabel = new Map<string, PodView[]>();
  for (const p of pods) {
    if (p.gone || !p.ip) continue;
    for (const [k, v] of Object.entries(p.labels)) {
      const key = `${p.namespace}\0${k}\0${v}`;
      const list = byLabel.get(key);
      if (list) list.push(p);
      else byLabel.set(key, [p]);
    }
  }
  const table = new Map<string, string[]>();
  for (const svc of services) {
    const fqdn = `${svc.name}.${svc.namespace}.svc.${domain}`.toLowerCase();
    if (svc.clusterIP && svc.clusterIP !== 'None') {
      table.set(fqdn, [svc.clusterIP]);
      continue;
    }
    if (svc.clusterIP !== 'None') continue;
    const first = Object.entries(svc.selector ?? {})[0];
    const candidates = first ? (byLabel.get(`${svc.namespace}\0${first[0]}\0${first[1]}`) ?? []) : [];
    const eps = endpointsOf(svc, candidates);
    table.set(fqdn, [...new Set(eps.map((e) => e.ip))]);
    for (const e of eps) if (e.hostname) table.set(`${e.hostname}.${fqdn}`.toLowerCase(), [e.ip]);
  }
  return table;
}

/** Whether two views of a pod give the same names and endpoints (a status write that changes neither costs nothing). */
export function samePodView(a: PodView | undefined, b: PodView): boolean {
  if (!a) return false;
  return a.ip === b.ip && a.ready === b.ready && a.gone === b.gone && a.hostname === b.hostname && a.subdomain === b.subdomain && JSON.stringify(a.labels) === JSON.stringify(b.labels) && JSON.stringify(a.ports) === JSON.stringify(b.ports);
}

/** The answer for `name` (lower case, no final dot) under `domain`: addresses, [] for a name that does not exist. */
export function lookup(table: ReadonlyMap<string, string[]>, name: string, domain: string): string[] {
  const found = table.get(name);
  if (found) return found;
  // <a-b-c-d>.<ns>.pod.<domain>, as CoreDNS's `pods insecure`.
  const m = new RegExp(`^(\\d{1,3})-(\\d{1,3})-(\\d{1,3})-(\\d{1,3})\\.[a-z0-9-]+\\.pod\\.${domain.replace(/\./g, '\\.')}$`).exec(name);
  if (m && m.slice(1, 5).every((x) => Number(x) <= 255)) return [m.slice(1, 5).join('.')];
  return [];
}

/** Whether `name` lies in the cluster's domain (answered here, never forwarded). */
export function inDomain(name: string, domain: string): boolean {
  return name === domain || name.endsWith('.' + domain);
}

/** A pod's /etc/resolv.conf: the server's resolver, Kubernetes' search list and ndots. */
export function resolvConf(namespace: string, nameserver: string, domain: string): string {
  return `nameserver ${nameserver}\nsearch ${namespace}.svc.${domain} svc.${domain} ${domain}\noptions ndots:5\n`;
}

/**
 * A pod's /etc/hosts, as the kubelet writes it: the host's lines, then the pod's address with its
 * hostname (and `<hostname>.<subdomain>.<ns>.svc.<domain>` first when it has a subdomain), then
 * its hostAliases.
 */
export function podHostsFile(hostHosts: string, pod: { ip: string; hostname: string; subdomain?: string; namespace: string; domain: string }, aliases: readonly { ip?: string; hostnames?: string[] }[] = []): string {
  let out = hostHosts.endsWith('\n') || hostHosts === '' ? hostHosts : hostHosts + '\n';
  const names = pod.subdomain ? [`${pod.hostname}.${pod.subdomain}.${pod.namespace}.svc.${pod.domain}`, pod.hostname] : [pod.hostname];
  out += `# Added by Drover\n${pod.ip}\t${names.join('\t')}\n`;
  for (const a of aliases) if (a.ip && a.hostnames?.length) out += `${a.ip}\t${a.hostnames.join('\t')}\n`;
  return out;
}
