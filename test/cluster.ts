/**
 * The private test cluster (scripts/test-cluster.sh) as the Kubernetes-runtime tests see it: an
 * admin client to read the real objects, and a fresh namespace per suite where Drover runs with
 * only the ServiceAccount and Role of deploy/kubernetes/rbac.yaml.
 */
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { REPO, sleep } from './drover.js';

export const STATE = process.env.DROVER_TEST_CLUSTER_DIR ?? join(homedir(), '.local', 'state', 'drover', 'test-cluster');

export interface TestCluster {
  admin: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  /** The namespace made for this suite. */
  namespace: string;
  /** A kubeconfig holding only the namespace's `drover` ServiceAccount token. */
  droverKubeconfig: string;
  /** Deletes the namespace (and with it everything Drover made there). */
  dispose(): Promise<void>;
}

/**
 * Why the cluster cannot be used, or undefined when it can. A suite skips with this reason
 * unless DROVER_REQUIRE_TEST_CLUSTER is set (CI sets it: there a missing cluster is a failure).
 */
export async function clusterUnavailable(): Promise<string | undefined> {
  const file = join(STATE, 'admin.kubeconfig');
  const fix = 'start it with: npm run test-cluster -- up';
  if (!existsSync(file)) return `no test cluster (${file} is missing); ${fix}`;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  try {
    await kc.makeApiClient(k8s.CoreV1Api).listNode({ limit: 1 });
    return undefined;
  } catch (err) {
    return `the test cluster does not answer (${err instanceof Error ? err.message : String(err)}); ${fix}`;
  }
}

export function skipUnlessCluster(reason: string | undefined): string | false {
  if (reason && process.env.DROVER_REQUIRE_TEST_CLUSTER) throw new Error(`DROVER_REQUIRE_TEST_CLUSTER is set but ${reason}`);
  return reason ?? false;
}

/** A fresh namespace with deploy/kubernetes/rbac.yaml applied and a token for its ServiceAccount. */
export async function prepareNamespace(prefix: string): Promise<TestCluster> {
  const admin = new k8s.KubeConfig();
  admin.loadFromFile(join(STATE, 'admin.kubeconfig'));
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
  const namespace = `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  for (const doc of parseAllDocuments(readFileSync(join(REPO, 'deploy', 'kubernetes', 'rbac.yaml'), 'utf8'))) {
    const obj = doc.toJS() as k8s.KubernetesObject & Record<string, unknown>;
    obj.metadata = { ...obj.metadata, namespace };
    if (obj.kind === 'ServiceAccount') await core.createNamespacedServiceAccount({ namespace, body: obj as k8s.V1ServiceAccount });
    else if (obj.kind === 'Role') await rbac.createNamespacedRole({ namespace, body: obj as k8s.V1Role });
    else if (obj.kind === 'RoleBinding') {
      const rb = obj as unknown as k8s.V1RoleBinding;
      for (const s of rb.subjects ?? []) if (s.kind === 'ServiceAccount') s.namespace = namespace;
      await rbac.createNamespacedRoleBinding({ namespace, body: rb });
    }
  }
  const token = await core.createNamespacedServiceAccountToken({ name: 'drover', namespace, body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } } });
  const cluster = admin.getCurrentCluster()!;
  const dir = mkdtempSync(join(tmpdir(), 'drover-kube-'));
  const droverKubeconfig = join(dir, 'drover.kubeconfig');
  writeFileSync(
    droverKubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: cluster.server, 'certificate-authority': cluster.caFile } }],
      users: [{ name: `system:serviceaccount:${namespace}:drover`, user: { token: token.status!.token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: `system:serviceaccount:${namespace}:drover`, namespace } }],
      'current-context': 'test',
    }),
  );
  // The pods' own `default` ServiceAccount comes from kube-controller-manager; without it pods are refused.
  await eventually(`ServiceAccount ${namespace}/default`, () => core.readNamespacedServiceAccount({ name: 'default', namespace }), 60_000);
  return {
    admin,
    core,
    namespace,
    droverKubeconfig,
    async dispose() {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `ms` with what was last seen. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}
