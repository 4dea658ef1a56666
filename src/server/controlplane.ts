/**
 * The control plane on one machine: store, node registration, scheduler, the families'
 * controllers (src/registry.ts), pod runtime and the HTTP API, wired together and stopped in
 * reverse order.
 */
import { createServer, type Server } from 'node:http';
import { chmodSync, mkdirSync, writeFileSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { DroverConfig } from '../config/index.js';
import { openSqliteStore, type Store } from '../store/index.js';
import { Scheduler } from '../scheduler/index.js';
import { KINDS, loadServerParts } from '../registry.js';
import { ManifestLoader } from '../api/manifests.js';
import type { Controller, RuntimeNeed } from '../kinds/types.js';
import type { PodRuntime } from '../runtime/index.js';
import { LocalPodRuntime } from '../runtime/local/index.js';
import { detectCapacity, gpuIdsFor, localNode } from '../node/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { jsonLogger, type Logger } from '../util/logger.js';
import { HostRequirementError } from '../api/errors.js';
import { droverHostPathRoots, type PodSecurityPolicy } from '../api/podsecurity.js';
import { createApiHandler } from './api.js';
import { Admission } from './admission.js';
import { ServerMetrics } from './metrics.js';
import { kubeconfigToken, writeKubeconfig } from '../identity/kubeconfig.js';
import { loadCredentials } from '../identity/index.js';
import { lockHome, type HomeLock } from './home-lock.js';
import { isLoopback } from './origin.js';

export const VERSION = '0.1.0';

export interface ControlPlane {
  url: string;
  /** The admin's bearer token (undefined when authentication is off). */
  token: string | undefined;
  port: number;
  store: Store;
  runtime: PodRuntime;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  runtime?: PodRuntime;
  clock?: Clock;
  logger?: Logger;
}

interface ServerFile {
  port: number;
  pid: number;
  url: string;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readServerFile(home: string): ServerFile | undefined {
  try {
    return JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as ServerFile;
  } catch {
    return undefined;
  }
}

/** The configured pod security, with Drover's own per-namespace directories pods may mount. */
function podSecurityPolicy(config: DroverConfig): PodSecurityPolicy {
  return { ...config.podSecurity, systemHostPathRoots: droverHostPathRoots(config.home) };
}

/** The runtime the configuration names; the Kubernetes client is loaded only when it is used. */
async function configuredRuntime(config: DroverConfig, detected: ReturnType<typeof detectCapacity>): Promise<PodRuntime> {
  const rc = config.runtime;
  if (rc.kind === 'local') {
    return new LocalPodRuntime({ home: config.home, gpuIds: gpuIdsFor(config, detected), images: config.images, restartBackoffBaseMs: config.restartBackoffBaseMs, podSecurity: podSecurityPolicy(config) });
  }
  const { KubernetesPodRuntime, loadKubeConfig, contextNamespace } = await import('../runtime/kubernetes/index.js');
  const kubeConfig = loadKubeConfig({ ...(rc.kubeconfig ? { file: rc.kubeconfig } : {}), ...(rc.context ? { context: rc.context } : {}) });
  return new KubernetesPodRuntime({ kubeConfig, namespace: rc.namespace ?? contextNamespace(kubeConfig) ?? 'default', ...(rc.qps ? { qps: rc.qps, burst: 2 * rc.qps } : {}) });
}

export async function startControlPlane(config: DroverConfig, opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? jsonLogger(config.logLevel);
  // Drover's state (the store, pods' files, secrets' volumes) is its user's alone.
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  chmodSync(config.home, 0o700);
  if (!isLoopback(config.host) && !config.plainHttp) {
    throw new HostRequirementError(
      `listening on ${config.host} would let tokens and requests cross the network in clear, and Drover serves no TLS yet: keep the default 127.0.0.1 (reach it through an SSH tunnel or a TLS proxy), or set DROVER_PLAIN_HTTP=1 to accept that`,
    );
  }
  const lock = lockHome(config.home);
  const running = readServerFile(config.home);
  if (!lock) {
    const who = running && pidAlive(running.pid) ? ` (pid ${running.pid}, ${running.url})` : '';
    throw new HostRequirementError(`another Drover server${who} is using ${config.home}; stop it with "drover down" or use another DROVER_HOME`);
  }
  try {
    return await startLocked(config, opts, clock, logger, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function startLocked(config: DroverConfig, opts: ControlPlaneOptions, clock: Clock, logger: Logger, lock: HomeLock): Promise<ControlPlane> {
  const credentials = config.auth === 'token' ? loadCredentials(config.home, kubeconfigToken(config.home)) : undefined;
  if (!credentials) logger.warn('authentication is off (auth: none): anyone who reaches the port may run anything');
  const detected = detectCapacity();
  const runtime = opts.runtime ?? (await configuredRuntime(config, detected));
  await runtime.checkHost();

  const parts = await loadServerParts();
  const store = await openSqliteStore(join(config.home, 'state.db'), { kinds: KINDS, sync: config.storeSync, changeLogSize: config.changeLogSize });
  const node = localNode(config, detected);
  // On a cluster the cluster's scheduler places pods on its own nodes; this machine is no node.
  const onNode = runtime.placement === 'node';
  if (onNode) {
    // Capacity and labels may change between runs (config, hardware): refresh them at every start.
    const nodeRef = { apiVersion: 'v1', kind: 'Node', namespace: '', name: node.metadata.name! };
    if (await store.get(nodeRef)) {
      await store.patch<typeof node>(nodeRef, (n) => {
        n.metadata.labels = node.metadata.labels;
        n.status = node.status;
      });
    } else await store.create(node);
  }

  const scheduler = onNode ? new Scheduler({ store, clock, logger: logger.child({ component: 'scheduler' }) }) : undefined;
  // Pods on this machine can mount its directories; pods on a cluster cannot.
  const admission = new Admission(KINDS, parts.admission, { name: runtime.name, gives: new Set<RuntimeNeed>(onNode ? ['hostPaths'] : []) }, podSecurityPolicy(config));
  let url = '';
  const controllers: Controller[] = parts.families.flatMap((f) =>
    f.controllers?.({
      store,
      runtime,
      clock,
      logger,
      config,
      admit: (obj) => admission.prepareCreate(admission.admit(obj, { namespace: obj.metadata.namespace ?? '' })),
      apiUrl: () => url,
      podToken: (path) => credentials?.podToken(path) ?? '',
    }) ?? [],
  );
  await runtime.start({ store, nodeName: onNode ? node.metadata.name! : '', clock, logger: logger.child({ component: 'runtime' }) });
  await scheduler?.start();

  const metrics = new ServerMetrics();
  const http: Server = createServer(createApiHandler({ credentials, store, kinds: KINDS, loader: new ManifestLoader({ kinds: KINDS, validation: parts.validation }), admission, subresource: parts.subresource, subresources: parts.subresources, logContainer: parts.logContainer, clock, workdir: config.workdir, hostPolicy: { listenHost: config.host, names: [hostname(), ...config.serverNames] }, runtime, logger, metrics, version: VERSION }));
  http.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  url = `http://${config.host}:${port}`;
  // Started once the URL is known: trials that push metrics are told where to.
  for (const c of controllers) await c.start();
  // A client cannot connect to the wildcard address the server may listen on.
  const kubeconfig = writeKubeconfig(config.home, url.replace("//0.0.0.0:", "//127.0.0.1:"), credentials?.adminToken);
  // Renamed into place: a CLI polling for the file never reads it half written.
  const serverFile = join(config.home, 'server.json');
  writeFileSync(`${serverFile}.${process.pid}.tmp`, JSON.stringify({ port, pid: process.pid, url } satisfies ServerFile));
  renameSync(`${serverFile}.${process.pid}.tmp`, serverFile);
  logger.info('Drover is running', { url, home: config.home, kubeconfig, runtime: runtime.name, ...(onNode ? { node: node.metadata.name } : {}) });

  let stopped = false;
  return {
    url,
    token: credentials?.adminToken,
    port,
    store,
    runtime,
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((r) => {
        http.close(() => r());
        http.closeAllConnections();
      });
      for (const c of [...controllers].reverse()) c.stop();
      scheduler?.stop();
      await runtime.stop();
      await store.close();
      lock.release();
      const f = readServerFile(config.home);
      if (f?.pid === process.pid && existsSync(join(config.home, 'server.json'))) rmSync(join(config.home, 'server.json'), { force: true });
    },
  };
}
