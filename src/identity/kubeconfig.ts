/**
 * The kubeconfig `drover up` writes into its home (`$DROVER_HOME/kubeconfig`, mode 0600), so
 * kubectl and the client libraries reach this server with `export KUBECONFIG=…`: the server's
 * URL and the admin's bearer token (the only place it is kept in clear).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const KUBECONFIG_FILE = 'kubeconfig';

/**
 * A kubeconfig with one cluster, user and context, all named `drover`, namespace `default`;
 * `ca`: the PEM of the CA that signed an HTTPS server's certificate, for clients to trust.
 */
export function kubeconfigFor(url: string, token?: string, ca?: string): string {
  // JSON is YAML: every kubeconfig reader accepts it, and no YAML writer is needed here.
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'drover', cluster: { server: url, ...(ca ? { 'certificate-authority-data': Buffer.from(ca).toString('base64') } : {}) } }],
    users: [{ name: 'drover', user: token ? { token } : {} }],
    contexts: [{ name: 'drover', context: { cluster: 'drover', user: 'drover', namespace: 'default' } }],
    'current-context': 'drover',
    preferences: {},
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Writes the kubeconfig for `url` into `home`, renamed into place so no reader sees it half written. */
export function writeKubeconfig(home: string, url: string, token?: string, ca?: string): string {
  const path = join(home, KUBECONFIG_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, kubeconfigFor(url, token, ca), { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}

/** The CA (PEM) the kubeconfig in `home` trusts for its server, if it names one. */
export function kubeconfigCa(home: string): string | undefined {
  try {
    const config = JSON.parse(readFileSync(join(home, KUBECONFIG_FILE), 'utf8')) as { clusters?: { cluster?: { 'certificate-authority-data'?: unknown } }[] };
    const data = config.clusters?.[0]?.cluster?.['certificate-authority-data'];
    return typeof data === 'string' && data ? Buffer.from(data, 'base64').toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** The bearer token of the kubeconfig in `home`, if it has one (what the CLI sends). */
export function kubeconfigToken(home: string): string | undefined {
  try {
    const config = JSON.parse(readFileSync(join(home, KUBECONFIG_FILE), 'utf8')) as { users?: { user?: { token?: unknown } }[] };
    const token = config.users?.[0]?.user?.token;
    return typeof token === 'string' && token ? token : undefined;
  } catch {
    return undefined;
  }
}
