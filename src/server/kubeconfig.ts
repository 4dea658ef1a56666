/**
 * The kubeconfig `drover up` writes into its home (`$DROVER_HOME/kubeconfig`, mode 0600), so
 * kubectl and the client libraries reach this server with `export KUBECONFIG=…`. It names the
 * server only: requests carry no credentials yet.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const KUBECONFIG_FILE = 'kubeconfig';

/** A kubeconfig with one cluster, user and context, all named `drover`, namespace `default`. */
export function kubeconfigFor(url: string): string {
  // JSON is YAML: every kubeconfig reader accepts it, and no YAML writer is needed here.
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'drover', cluster: { server: url } }],
    users: [{ name: 'drover', user: {} }],
    contexts: [{ name: 'drover', context: { cluster: 'drover', user: 'drover', namespace: 'default' } }],
    'current-context': 'drover',
    preferences: {},
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Writes the kubeconfig for `url` into `home`, renamed into place so no reader sees it half written. */
export function writeKubeconfig(home: string, url: string): string {
  const path = join(home, KUBECONFIG_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, kubeconfigFor(url), { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}
