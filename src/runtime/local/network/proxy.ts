/**
 * ClusterIP Services in user space, as kube-proxy's old `userspace` mode: the Service's address
 * is put on the bridge, and the server listens on each of its TCP ports there; a connection is
 * joined to one ready endpoint (round robin) at its target port. Pods reach it through their
 * default route, processes of the host directly.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { endpointsOf, targetPortOn, type PodView, type ServicePortView, type ServiceView } from './names.js';

interface Listener {
  server: Server;
  key: string;
  ip: string;
  port: ServicePortView;
  svc: ServiceView;
  next: number;
  sockets: Set<Socket>;
}

export class ServiceProxy {
  private readonly listeners = new Map<string, Listener>();
  /** Ports that could not be served, each said once (tried again on every sync). */
  private readonly failed = new Set<string>();
  private pods: () => Iterable<PodView> = () => [];

  constructor(private readonly o: { warn(message: string, fields?: Record<string, unknown>): void; address(ip: string, present: boolean): Promise<void> }) {}

  setPods(pods: () => Iterable<PodView>): void {
    this.pods = pods;
  }

  /** The addresses the proxy holds on the bridge. */
  addresses(): string[] {
    return [...new Set([...this.listeners.values()].map((l) => l.ip))];
  }

  /** Listens for every TCP port of every ClusterIP Service, and stops for those gone. */
  async sync(services: Iterable<ServiceView>): Promise<void> {
    const want = new Map<string, { svc: ServiceView; port: ServicePortView }>();
    for (const svc of services) {
      if (!svc.clusterIP || svc.clusterIP === 'None') continue;
      for (const port of svc.ports) if (port.protocol === 'TCP') want.set(`${svc.namespace}/${svc.name}/${svc.clusterIP}:${port.port}`, { svc, port });
    }
    for (const [key, l] of this.listeners) {
      const w = want.get(key);
      if (w) {
        l.svc = w.svc;
        l.port = w.port;
        continue;
      }
      this.listeners.delete(key);
      l.server.close();
      for (const s of l.sockets) s.destroy();
      if (![...this.listeners.values()].some((x) => x.ip === l.ip)) await this.o.address(l.ip, false).catch(() => undefined);
    }
    for (const [key, { svc, port }] of want) {
      if (this.listeners.has(key)) continue;
      const ip = svc.clusterIP!;
      const l: Listener = { server: createServer({ allowHalfOpen: true }, (c) => this.join(l, c)), key, ip, port, svc, next: 0, sockets: new Set() };
      this.listeners.set(key, l);
      try {
        await this.o.address(ip, true);
        await new Promise<void>((resolve, reject) => {
          l.server.once('error', reject);
          l.server.listen(port.port, ip, () => resolve());
        });
        this.failed.delete(key);
        l.server.on('error', (err) => this.o.warn('service proxy error', { service: `${svc.namespace}/${svc.name}`, error: err.message }));
      } catch (err) {
        this.listeners.delete(key);
        if (this.failed.has(key)) continue;
        this.failed.add(key);
        this.o.warn('cannot serve a ClusterIP', { service: `${svc.namespace}/${svc.name}`, address: `${ip}:${port.port}`, error: (err as Error).message });
      }
    }
  }

  private join(l: Listener, client: Socket): void {
    const pods = new Map([...this.pods()].map((p) => [`${p.namespace}/${p.name}`, p]));
    const targets = endpointsOf(l.svc, pods.values())
      .map((e) => ({ ip: e.ip, port: targetPortOn(l.port, pods.get(`${l.svc.namespace}/${e.pod}`)!) }))
      .filter((t): t is { ip: string; port: number } => t.port !== undefined);
    if (!targets.length) {
      // As kube-proxy: no endpoint, the connection is refused (here: reset).
      client.resetAndDestroy();
      return;
    }
    const t = targets[l.next++ % targets.length]!;
    // Half-open both ways: a client that ends its request still gets the answer.
    const upstream = connect({ port: t.port, host: t.ip, allowHalfOpen: true });
    l.sockets.add(client);
    l.sockets.add(upstream);
    const end = () => {
      l.sockets.delete(client);
      l.sockets.delete(upstream);
    };
    client.on('close', end);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async close(): Promise<void> {
    await this.sync([]);
  }
}
