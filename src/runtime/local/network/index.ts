/**
 * Pod networking on one machine (the door of this folder): each pod in its own network namespace
 * on Drover's bridge (bridge.ts), names answered by the server's resolver (resolver.ts, from the
 * table of names.ts), ClusterIP Services forwarded in user space (proxy.ts). Where the server may
 * not make namespaces (no CAP_NET_ADMIN, no `ip`), or `network.mode: host`, pods share the host's
 * network as before: their address is 127.0.0.1, and two of them cannot listen on one port.
 *
 *   const net = await PodNetworking.open(config, { home, logger });
 *   const { ip, netns } = await net.setupPod(uid);   // before the pod's first container
 *   net.podChanged(pod); net.serviceChanged(svc, deleted);  // from the runtime's watch
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Pod } from '../../../api/index.js';
import { containerSecurity } from '../../../api/podsecurity.js';
import type { Logger } from '../../../util/logger.js';
import { which } from '../host.js';
import { BridgeNetwork, hasNetAdmin, NETNS_DIR, netnsName, type BridgeOptions, type PodAddress } from './bridge.js';
import { nameTable, podHostname, podHostsFile, podView, resolvConf, samePodView, serviceView, type PodDNSConfig, type PodView, type ServiceView } from './names.js';
import { ServiceProxy } from './proxy.js';
import { nameservers, Resolver } from './resolver.js';

export { podHostname, podHostsFile, resolvConf } from './names.js';
export { parseCidr, CidrError } from './ipam.js';
export { dialInNamespace, dialTcp } from './dial.js';

const run = promisify(execFile);

export interface NetworkConfig {
  /** `auto`: a namespace per pod when the server may make one, else the host's network. */
  mode: 'auto' | 'bridge' | 'host';
  bridge: string;
  podCIDR: string;
  /** Where ClusterIPs come from (allocated by the Service controller). */
  serviceCIDR: string;
  clusterDomain: string;
  /** NAT pods' traffic to the outside (iptables MASQUERADE) when iptables is there. */
  egress: boolean;
}

export const DEFAULT_NETWORK: NetworkConfig = { mode: 'auto', bridge: 'drover0', podCIDR: '10.88.0.0/16', serviceCIDR: '10.96.0.0/16', clusterDomain: 'cluster.local', egress: true };

export class PodNetworking {
  private readonly pods = new Map<string, PodView>();
  private readonly services = new Map<string, ServiceView>();
  private resolver?: Resolver;
  private proxy?: ServiceProxy;
  private dirty = false;
  private syncing?: Promise<void>;

  private constructor(
    readonly mode: 'bridge' | 'host',
    /** Why pods share the host's network, in words (host mode). */
    readonly why: string | undefined,
    readonly config: NetworkConfig,
    private readonly bridge: BridgeNetwork | undefined,
    private readonly logger: Logger,
  ) {}

  /** Sets up the bridge, the resolver and the proxy, or settles for the host's network and says why. */
  static async open(config: NetworkConfig, o: { home: string; logger: Logger; run?: BridgeOptions['run'] }): Promise<PodNetworking> {
    const host = (why: string) => {
      if (config.mode !== 'host') o.logger.warn('pods share the host network: two pods cannot listen on the same port, and Services and cluster names do not resolve', { why });
      return new PodNetworking('host', why, config, undefined, o.logger);
    };
    if (config.mode === 'host') return host('network.mode is host');
    const ip = which('ip') ?? which('ip', '/usr/sbin:/sbin:/usr/bin:/bin');
    const problem = !ip ? 'iproute2 (`ip`) is not installed' : !(await hasNetAdmin()) ? 'the server lacks CAP_NET_ADMIN (run it as root to give pods their own network)' : undefined;
    if (problem) {
      if (config.mode === 'bridge') throw new Error(`network.mode is bridge, but ${problem}`);
      return host(problem);
    }
    const bridge = new BridgeNetwork({ ip: ip!, bridge: config.bridge, podCidr: config.podCIDR, home: o.home, ...(o.run ? { run: o.run } : {}) });
    try {
      await bridge.start();
    } catch (err) {
      if (config.mode === 'bridge') throw err;
      return host(`the bridge ${config.bridge} could not be set up: ${(err as Error).message}`);
    }
    const net = new PodNetworking('bridge', undefined, config, bridge, o.logger);
    const warn = (message: string, fields?: Record<string, unknown>) => o.logger.warn(message, fields);
    let upstream: string[] = [];
    try {
      upstream = nameservers(readFileSync('/etc/resolv.conf', 'utf8'));
    } catch {
      // No host resolver: cluster names only.
    }
    net.resolver = new Resolver({ address: bridge.serverAddress, domain: config.clusterDomain, upstream, ranges: [config.podCIDR, config.serviceCIDR], warn });
    try {
      await net.resolver.listen();
    } catch (err) {
      warn('the pods\' DNS resolver could not listen: cluster names will not resolve', { address: `${bridge.serverAddress}:53`, error: (err as Error).message });
      net.resolver = undefined;
    }
    net.proxy = new ServiceProxy({ warn, address: (a, present) => bridge.address(a, present) });
    net.proxy.setPods(() => net.pods.values());
    await net.firewall();
    o.logger.info('pod network ready', { bridge: config.bridge, podCIDR: config.podCIDR, gateway: bridge.gateway, server: bridge.serverAddress });
    return net;
  }

  /** The iptables rules of this network: [table, chain, rule…]. */
  private rules(): string[][] {
    const br = this.config.bridge;
    const intra = ['filter', 'FORWARD', '-i', br, '-o', br, '-j', 'ACCEPT'];
    if (!this.config.egress) return [intra];
    return [
      intra,
      ['filter', 'FORWARD', '-i', br, '!', '-o', br, '-j', 'ACCEPT'],
      ['filter', 'FORWARD', '-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
      ['nat', 'POSTROUTING', '-s', this.config.podCIDR, '!', '-o', br, '-j', 'MASQUERADE'],
    ];
  }

  /**
   * With iptables: traffic between pods is accepted even where the FORWARD policy drops (a host
   * with Docker, br_netfilter loaded: bridged packets pass FORWARD), and with `egress` pods reach
   * beyond the machine through NAT (MASQUERADE, ip_forward). Without it: the machine and each
   * other only. Not run on the CI machine, which has no iptables.
   */
  private async firewall(): Promise<void> {
    const iptables = which('iptables') ?? which('iptables', '/usr/sbin:/sbin');
    if (!iptables) {
      this.logger.info('no iptables: pods reach this machine and each other, not beyond it (no NAT)');
      return;
    }
    try {
      for (const [table, chain, ...rule] of this.rules()) {
        // -C first: a restarted server (or a second one) adds nothing twice.
        await run(iptables, ['-t', table!, '-C', chain!, ...rule]).catch(() => run(iptables, ['-t', table!, chain === 'FORWARD' ? '-I' : '-A', chain!, ...rule]));
      }
      if (this.config.egress) await writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
    } catch (err) {
      this.logger.warn('could not set up iptables rules for pods: they may reach this machine only', { error: (err as Error).message });
    }
  }

  private async dropFirewall(): Promise<void> {
    const iptables = which('iptables') ?? which('iptables', '/usr/sbin:/sbin');
    if (!iptables) return;
    for (const [table, chain, ...rule] of this.rules()) await run(iptables, ['-t', table!, '-D', chain!, ...rule]).catch(() => undefined);
  }

  /** The address pods reach the server (its API, its resolver) at. */
  get serverAddress(): string {
    return this.bridge?.serverAddress ?? '127.0.0.1';
  }

  /** A ClusterIP for this server's Service `owner`, machine-wide (see BridgeNetwork.claimService); any on the host's network. */
  async claimClusterIP(ip: string, owner: string): Promise<boolean> {
    return this.bridge ? this.bridge.claimService(ip, owner) : true;
  }

  /** Pods of this home that held an address when the server started. */
  podsWithAddress(): string[] {
    return this.bridge?.podsWithAddress() ?? [];
  }

  /** The pod's own address and namespace (host mode: 127.0.0.1, no namespace). */
  async setupPod(uid: string): Promise<{ ip: string; netns?: string }> {
    if (!this.bridge) return { ip: '127.0.0.1' };
    const a: PodAddress = await this.bridge.setup(uid);
    return a;
  }

  addressOf(uid: string): string | undefined {
    return this.bridge ? this.bridge.addressOf(uid) : '127.0.0.1';
  }

  /** The pod's network namespace, when it has one. */
  netnsOf(uid: string): string | undefined {
    return this.bridge?.netnsOf(uid);
  }

  /** The pod ended: its network is released shortly (see BridgeNetwork.ending). */
  podEnding(uid: string): void {
    this.bridge?.ending(uid);
  }

  /** Frees the pod's network; `reuse`: its processes are all gone, and its namespace may serve another pod (BridgeNetwork.release). */
  async releasePod(uid: string, reuse = false): Promise<void> {
    await this.bridge?.release(uid, reuse);
  }

  /** The pod's /etc/resolv.conf (bridge mode), or undefined: the host's is kept. */
  resolvConf(namespace: string, dns?: PodDNSConfig): string | undefined {
    if (!this.bridge || !this.resolver) return undefined;
    return resolvConf(namespace, this.bridge.serverAddress, this.config.clusterDomain, dns);
  }

  hostsFile(hostHosts: string, pod: Pod, ip: string, aliases: readonly { ip?: string; hostnames?: string[] }[] = []): string {
    const hostname = podHostname(pod);
    const subdomain = pod.spec?.subdomain;
    return podHostsFile(hostHosts, { ip, hostname, ...(subdomain ? { subdomain } : {}), namespace: pod.metadata?.namespace ?? 'default', domain: this.config.clusterDomain }, aliases);
  }

  podChanged(pod: Pod, deleted: boolean): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (deleted) {
      if (!this.pods.delete(key)) return;
    } else {
      const view = podView(pod);
      if (samePodView(this.pods.get(key), view)) return;
      this.pods.set(key, view);
    }
    this.changed();
  }

  serviceChanged(svc: { metadata?: { namespace?: string; name?: string }; spec?: unknown }, deleted: boolean): void {
    const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
    if (deleted) this.services.delete(key);
    else this.services.set(key, serviceView(svc));
    this.changed();
  }

  /** Recomputed once per turn of the event loop however many changes came in it. */
  private changed(): void {
    if (!this.bridge) return;
    this.dirty = true;
    if (this.syncing) return;
    this.syncing = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      while (this.dirty) {
        this.dirty = false;
        if (this.resolver) {
          const reverse = new Map<string, string>();
          this.resolver.table = nameTable(this.services.values(), this.pods.values(), this.config.clusterDomain, reverse);
          this.resolver.reverse = reverse;
        }
        await this.proxy?.sync(this.services.values()).catch((err: unknown) => this.logger.warn('service proxy sync failed', { error: (err as Error).message }));
      }
      this.syncing = undefined;
    });
  }

  /** The names the resolver answers now (tests, `describe`). */
  names(): ReadonlyMap<string, string[]> {
    return this.resolver?.table ?? new Map();
  }

  /**
   * Stops answering. `podsLeft`: pods of this server still hold addresses (they run on, to be
   * adopted), so the server's own address stays for them; otherwise nothing of this server is
   * left on the machine.
   */
  async stop(podsLeft: boolean): Promise<void> {
    await this.syncing;
    this.resolver?.close();
    const held = this.proxy?.addresses() ?? [];
    await this.proxy?.close();
    if (!this.bridge) return;
    await this.bridge.stopSpares();
    if (!podsLeft && (await this.bridge.shutdown(held))) await this.dropFirewall();
  }
}

/**
 * Whether a container of `pod` could have changed its network namespace (privileged, or NET_ADMIN
 * or SYS_ADMIN added, which only an admin's namespaces allow): such a namespace is never given to
 * another pod.
 */
export function mayChangeNetwork(pod: Pod): boolean {
  // Only the capabilities are read (privileged gives ALL); the user the policy would choose is not.
  const anyUser = { runAsUser: 65534, runAsGroup: 65534 };
  return (pod.spec?.containers ?? []).some((c) => containerSecurity(pod.spec, c, anyUser).capabilities.some((cap) => cap === 'ALL' || cap === 'NET_ADMIN' || cap === 'SYS_ADMIN'));
}
