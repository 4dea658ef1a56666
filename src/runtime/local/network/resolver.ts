/**
 * The pods' DNS resolver: UDP on the server's address, port 53. Names in the cluster domain are
 * answered from the table names.ts builds (kept current by the network, an in-memory lookup per
 * query); any other name is relayed to the host's own resolvers (its /etc/resolv.conf, which pods
 * could not use themselves: a loopback resolver like systemd-resolved's 127.0.0.53 is the host's,
 * not theirs). Reverse queries for the pod and Service ranges are answered here too (a name, or
 * NXDOMAIN): forwarded, they wait on resolvers that cannot know them (torch's gloo looks its peers
 * up and stalled 10 s per peer so). No TCP: a truncated forwarded answer reaches the pod truncated.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { buildAnswer, buildPtrAnswer, errorReply, parseQuery, RCODE_FORMERR, RCODE_NXDOMAIN, RCODE_OK, RCODE_SERVFAIL, TYPE_A, TYPE_ANY, TYPE_PTR } from './dns.js';
import { inCidr, inDomain, lookup, reverseAddress } from './names.js';

const FORWARD_TIMEOUT_MS = 2000;

/** The `nameserver` lines of a resolv.conf. */
export function nameservers(resolvConfText: string): string[] {
  return resolvConfText
    .split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => Boolean(x) && /^[\d.]+$/.test(x!));
}

export class Resolver {
  private socket?: Socket;
  table: ReadonlyMap<string, string[]> = new Map();
  /** Address → name, for PTR queries (names.ts fills it with the table). */
  reverse: ReadonlyMap<string, string> = new Map();

  /** `ranges`: the pod and Service CIDRs, whose reverse names are answered here. */
  constructor(private readonly o: { address: string; domain: string; upstream: readonly string[]; ranges?: readonly string[]; warn(message: string, fields?: Record<string, unknown>): void }) {}

  async listen(port = 53): Promise<void> {
    const s = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, this.o.address, () => {
        s.off('error', reject);
        resolve();
      });
    });
    s.on('error', (err) => this.o.warn('DNS socket error', { error: err.message }));
    s.on('message', (msg, from) => this.answer(msg, from));
    this.socket = s;
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  /** The reply to one packet, when it is answered here (undefined: forward it). */
  reply(msg: Buffer): Buffer | undefined {
    const q = parseQuery(msg);
    if (!q) return errorReply(msg, RCODE_FORMERR);
    const ptrOf = reverseAddress(q.name);
    if (ptrOf !== undefined) {
      const target = this.reverse.get(ptrOf);
      if (target !== undefined) return q.type === TYPE_PTR || q.type === TYPE_ANY ? buildPtrAnswer(msg, q, target) : buildAnswer(msg, q, RCODE_OK);
      if (this.o.ranges?.some((r) => inCidr(ptrOf, r))) return buildAnswer(msg, q, RCODE_NXDOMAIN);
      return undefined;
    }
    if (!inDomain(q.name, this.o.domain)) return undefined;
    const ips = lookup(this.table, q.name, this.o.domain);
    if (!ips.length) return buildAnswer(msg, q, RCODE_NXDOMAIN);
    return buildAnswer(msg, q, RCODE_OK, q.type === TYPE_A || q.type === TYPE_ANY ? ips : []);
  }

  private answer(msg: Buffer, from: RemoteInfo): void {
    const out = this.reply(msg);
    if (out) {
      this.socket?.send(out, from.port, from.address);
      return;
    }
    void this.forward(msg).then((answer) => {
      const back = answer ?? errorReply(msg, RCODE_SERVFAIL);
      if (back) this.socket?.send(back, from.port, from.address);
    });
  }

  /** Asks the host's resolvers in turn; the first answer wins. */
  private async forward(msg: Buffer): Promise<Buffer | undefined> {
    for (const server of this.o.upstream) {
      const answer = await new Promise<Buffer | undefined>((resolve) => {
        const s = createSocket('udp4');
        const done = (b: Buffer | undefined) => {
          clearTimeout(timer);
          s.close();
          resolve(b);
        };
        const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
        s.on('error', () => done(undefined));
        s.on('message', (b) => done(b));
        s.send(msg, 53, server);
      });
      if (answer) return answer;
    }
    return undefined;
  }
}
