/**
 * IPv4 arithmetic and address choice for pod and service networks (pure). A range is a CIDR
 * (`10.88.0.0/16`); its network and broadcast addresses and the gateway (the first host) are never
 * handed out.
 */

export class CidrError extends Error {
  readonly code = 'InvalidCIDR';
}

export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
  /** How many addresses the range holds (2^(32-prefix)). */
  size: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new CidrError(`"${ip}" is not an IPv4 address`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/p`; the address must be the network's (no host bits), prefix 8–30. */
export function parseCidr(text: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m) throw new CidrError(`"${text}" is not a CIDR range like 10.88.0.0/16`);
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 30) throw new CidrError(`"${text}": the prefix must be between /8 and /30`);
  const base = ipToInt(m[1]!);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new CidrError(`"${text}" has host bits set: the network address is ${intToIp(base - (base % size))}/${prefix}`);
  return { base, prefix, size };
}

export function cidrContains(c: Cidr, ip: string): boolean {
  let n: number;
  try {
    n = ipToInt(ip);
  } catch {
    return false;
  }
  return n >= c.base && n < c.base + c.size;
}

/** The first host address of the range: the bridge's (pods' default route). */
export function gatewayOf(c: Cidr): string {
  return intToIp(c.base + 1);
}

/**
 * The lowest address of the range that is not `used`, skipping the network address, the gateway
 * and the broadcast address; undefined when the range is full.
 */
export function firstFree(c: Cidr, used: ReadonlySet<string>, from = 2): string | undefined {
  for (let i = Math.max(2, from); i < c.size - 1; i++) {
    const ip = intToIp(c.base + i);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

/** Whether two ranges share an address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}
