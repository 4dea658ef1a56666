/**
 * Which names resolve to what, after Kubernetes' DNS rules (pure), from the Services' endpoints
 * (src/api/services.ts): the table the pods' resolver answers from:
 *   <svc>.<ns>.svc.<domain>                 the ClusterIP, or (headless) every endpoint's address
 *   <hostname>.<svc>.<ns>.svc.<domain>      (headless) an endpoint whose pod sets `hostname` and
 *                                           `subdomain: <svc>`
 *   <a-b-c-d>.<ns>.pod.<domain>             any pod address (answered without a table)
 * The short forms (`<svc>`, `<svc>.<ns>`, `<hostname>.<subdomain>`) come from the search list of
 * the resolv.conf each pod gets (resolvConf), as on Kubernetes. Reverse names, as CoreDNS answers
 * PTR queries: an endpoint with a hostname → `<hostname>.<svc>.<ns>.svc.<domain>`, other endpoints
 * of a headless Service → `<a-b-c-d>.<svc>.<ns>.svc.<domain>`, a ClusterIP → the Service's name.
 */
import { endpointsOf, type PodView, type ServiceView } from '../../../api/index.js';

export { endpointsOf, podView, serviceView, targetPortOn, type Endpoint, type PodView, type ServicePortView, type ServiceView } from '../../../api/index.js';

/** Every name the cluster domain answers, lower case, to its addresses. */
export function nameTable(services: Iterable<ServiceView>, pods: Iterable<PodView>, domain: string, reverse?: Map<string, string>): Map<string, string[]> {
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
      reverse?.set(svc.clusterIP, fqdn);
      continue;
    }
    if (svc.clusterIP !== 'None') continue;
    const first = Object.entries(svc.selector ?? {})[0];
    const candidates = first ? (byLabel.get(`${svc.namespace}\0${first[0]}\0${first[1]}`) ?? []) : [];
    const eps = endpointsOf(svc, candidates);
    table.set(fqdn, [...new Set(eps.map((e) => e.ip))]);
    for (const e of eps) {
      if (e.hostname) table.set(`${e.hostname}.${fqdn}`.toLowerCase(), [e.ip]);
      // A hostname's name wins over the dashed form whichever Service comes first.
      if (reverse && (e.hostname || !reverse.has(e.ip))) reverse.set(e.ip, e.hostname ? `${e.hostname}.${fqdn}`.toLowerCase() : `${e.ip.replace(/\./g, '-')}.${fqdn}`);
    }
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

/**
 * The hostname a pod's containers see: `spec.hostname`, else its name cut to 63 characters with
 * trailing '-' and '.' trimmed, as the kubelet does (a pod name may be 253 long; a hostname may not
 * pass 64, and sethostname refuses longer, e.g. an Argo step pod named after a long workflow).
 */
export function podHostname(pod: { metadata?: { name?: string }; spec?: { hostname?: string } }): string {
  const name = pod.spec?.hostname || pod.metadata?.name || '';
  return name.length <= 63 ? name : name.slice(0, 63).replace(/[-.]+$/, '');
}

/** The address a reverse name (`d.c.b.a.in-addr.arpa`) asks about, if it is one. */
export function reverseAddress(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  return m && m.slice(1, 5).every((x) => Number(x) <= 255) ? [m[4], m[3], m[2], m[1]].join('.') : undefined;
}

/** Whether IPv4 `ip` lies in `cidr` (`10.88.0.0/16`). */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = (a: string): number => a.split('.').reduce((v, p) => v * 256 + Number(p), 0);
  const size = 2 ** (32 - Number(bits ?? 32));
  return Math.floor(n(ip) / size) === Math.floor(n(base ?? '') / size);
}

/** Whether `name` lies in the cluster's domain (answered here, never forwarded). */
export function inDomain(name: string, domain: string): boolean {
  return name === domain || name.endsWith('.' + domain);
}

/** A pod's `spec.dnsConfig`: what the kubelet merges into the resolv.conf it writes. */
export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name?: string; value?: string }[];
}

/**
 * A pod's /etc/resolv.conf: the server's resolver, Kubernetes' search list and ndots, with the
 * pod's dnsConfig merged in as the kubelet does for ClusterFirst: its nameservers and searches
 * appended (duplicates dropped), its options replacing those of the same name. (The MPI
 * operator's workers search `<job>.<ns>.svc.<domain>`, so Intel MPI and MPICH reach the
 * launcher by its short hostname.)
 */
export function resolvConf(namespace: string, nameserver: string, domain: string, dns?: PodDNSConfig): string {
  const unique = (xs: string[]): string[] => xs.filter((x, i) => xs.indexOf(x) === i);
  const servers = unique([nameserver, ...(dns?.nameservers ?? [])]);
  const searches = unique([`${namespace}.svc.${domain}`, `svc.${domain}`, domain, ...(dns?.searches ?? [])]);
  const options = new Map<string, string | undefined>([['ndots', '5']]);
  for (const o of dns?.options ?? []) if (o.name) options.set(o.name, o.value);
  const opts = [...options].map(([k, v]) => (v === undefined || v === '' ? k : `${k}:${v}`));
  return `${servers.map((n) => `nameserver ${n}\n`).join('')}search ${searches.join(' ')}\noptions ${opts.join(' ')}\n`;
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
