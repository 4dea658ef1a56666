/**
 * What a browser could make of a local server: a page on any site can send requests to
 * 127.0.0.1 (a form or `fetch` with `text/plain` needs no preflight), and a site whose name
 * resolves to 127.0.0.1 (DNS rebinding) even reads the answers. So the Host header must be a name
 * this server answers to, and a request that says it comes from a page of another origin is
 * refused. Clients that are no browser (the CLI, kubectl, the SDKs) send no Origin.
 */
import { isIP } from 'node:net';

export interface HostPolicy {
  /** The address the server listens on (`127.0.0.1`, `0.0.0.0`). */
  listenHost: string;
  /** This machine's name, and any name configured for the server. */
  names: readonly string[];
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

/** `example.com:7450` → `example.com`; `[::1]:7450` → `::1`. */
function hostname(hostPort: string): string {
  const h = hostPort.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/** Whether an address to listen on is this machine's alone (nothing from the network reaches it). */
export function isLoopback(listenHost: string): boolean {
  const h = listenHost.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Whether the server answers to `host` (a Host header's value). */
export function servesHost(policy: HostPolicy, host: string): boolean {
  const name = hostname(host);
  if (LOOPBACK.has(name) || name.endsWith('.localhost')) return true;
  if (policy.names.some((n) => n.toLowerCase() === name)) return true;
  if (name === policy.listenHost.toLowerCase()) return true;
  // Listening on every address: any address of this machine may be used, but no other name.
  return (policy.listenHost === '0.0.0.0' || policy.listenHost === '::') && isIP(name) !== 0;
}

/**
 * Why the request must be refused (a foreign Host, or a page of another origin), or undefined.
 * `headers` are Node's lower-cased request headers.
 */
export function refusal(policy: HostPolicy, headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const host = typeof headers['host'] === 'string' ? headers['host'] : '';
  if (!host || !servesHost(policy, host)) {
    return `the Host header ${JSON.stringify(host)} is not a name this server answers to (a page of another site may be trying to reach it); use 127.0.0.1, localhost or a name configured in serverNames`;
  }
  const origin = typeof headers['origin'] === 'string' ? headers['origin'] : undefined;
  if (origin !== undefined) {
    let same = false;
    try {
      same = new URL(origin).host.toLowerCase() === host.toLowerCase();
    } catch {
      same = false;
    }
    if (!same) return `requests from pages of another origin (${origin}) are refused`;
  }
  if (headers['sec-fetch-site'] === 'cross-site') return 'requests from pages of another site are refused';
  return undefined;
}
