/**
 * The control plane on one machine: store, node registration, scheduler, the families'
 * controllers (src/registry.ts), pod runtime and the HTTP API, wired together and stopped in
 * reverse order.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { chmodSync, mkdirSync, writeFileSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { servesTls, type DroverConfig } from '../config/index.js';
import { loadKeyFile, SqliteStore, type Store } from '../store/index.js';
import { Scheduler } from '../scheduler/index.js';
import { KINDS, loadServerParts } from '../registry.js';
import { ManifestLoader } from '../api/manifests.js';
import type { Controller, RuntimeNeed } from '../kinds/types.js';
import type { ApiAccess, PodRuntime } from '../runtime/index.js';
import { LocalPodRuntime } from '../runtime/local/index.js';
import { detectCapacity, gpuIdsFor, localNode, NodeMonitor, binary } from '../node/index.js';
import { GarbageCollector } from './gc.js';
import { systemClock, type Clock } from '../util/clock.js';
import { jsonLogger, type Logger } from '../util/logger.js';
import { HostRequirementError } from '../api/errors.js';
import { droverHostPathRoots, type PodSecurityPolicy } from '../api/podsecurity.js';
import { createApiHandler } from './api.js';
import { Admission } from './admission.js';
import { ServerMetrics } from './metrics.js';
import { kubeconfigToken, writeKubeconfig } from '../identity/kubeconfig.js';
import { AuditLog, Authorizer, loadCredentials } from '../identity/index.js';
import { serverTls } from '../identity/tls.js';
import { openArtifactRepository } from '../artifacts/index.js';
import { QuotaAdmission } from '../kinds/core/quota-admission.js';
import { lockHome, type HomeLock } from './home-lock.js';
import { isLoopback } from './origin.js';

export const VERSION = '0.1.0';

/** The kinds whose objects are encrypted at rest. */
const ENCRYPTED_KINDS = [{ apiVersion: 'v1', kind: 'Secret' }];

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
async function configuredRuntime(config: DroverConfig, detected: ReturnType<typeof detectCapacity>, disk: () => NodeMonitor | undefined): Promise<PodRuntime> {
  const rc = config.runtime;
  if (rc.kind === 'local') {
    const b = config.pods;
    return new LocalPodRuntime({
      diskPressure: () => {
        const s = disk()?.sampleNow();
        return s?.pressure ? `${binary(s.sample.availableBytes)} of ${binary(s.sample.totalBytes)} available on the file system holding ${config.home}` : undefined;
      },
      home: config.home,
      gpuIds: gpuIdsFor(config, detected),
      images: config.images,
      restartBackoffBaseMs: config.restartBackoffBaseMs,
      podSecurity: podSecurityPolicy(config),
      podPidsLimit: b.pidsLimit,
      network: config.network,
      containerTmpBytes: b.tmpBytes,
      containerLogMaxBytes: b.logMaxBytes,
      containerLogMaxFiles: b.logMaxFiles,
      containerParallelStarts: b.parallelStarts,
      containerStartsPerSecond: b.startsPerSecond,
    });
  }
  const { KubernetesPodRuntime, loadKubeConfig, contextNamespace } = await import('../runtime/kubernetes/index.js');
  const kubeConfig = loadKubeConfig({ ...(rc.kubeconfig ? { file: rc.kubeconfig } : {}), ...(rc.context ? { context: rc.context } : {}) });
  return new KubernetesPodRuntime({ kubeConfig, namespace: rc.namespace ?? contextNamespace(kubeConfig) ?? 'default', ...(rc.qps ? { qps: rc.qps, burst: 2 * rc.qps } : {}) });
}

/** The names a server certificate must cover: loopback, this machine, the configured names and host. */
function isLoopbackOrAny(host: string): boolean {
  return isLoopback(host) || host === '0.0.0.0' || host === '::';
}

export function certificateNamesFor(config: DroverConfig): string[] {
  const wildcard = config.host === '0.0.0.0' || config.host === '::' || config.host === '';
  return ['localhost', '127.0.0.1', '::1', hostname(), ...config.serverNames, ...(wildcard ? [] : [config.host])];
}

/** A URL a client can connect to: the wildcard address the server may listen on is no address to call. */
function clientUrl(scheme: string, host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `${scheme}://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

export async function startControlPlane(config: DroverConfig, opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? jsonLogger(config.logLevel);
  // Drover's state (the store, pods' files, secrets' volumes) is its user's alone.
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  chmodSync(config.home, 0o700);
  if (!isLoopback(config.host)) {
    if (!servesTls(config) && !config.plainHttp) {
      throw new HostRequirementError(
        `listening on ${config.host} over plain HTTP would let tokens and requests cross the network in clear: serve TLS (tls: auto or on, DROVER_TLS; the default beyond loopback), keep the default host 127.0.0.1, or set DROVER_PLAIN_HTTP=1 to accept that (behind a TLS proxy)`,
      );
    }
    if (config.auth === 'none') {
      throw new HostRequirementError(`listening on ${config.host} without authentication (auth: none) would let anyone who reaches the port run anything: use auth: token (the default), or keep the host 127.0.0.1`);
    }
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
  let monitor: NodeMonitor | undefined;
  const runtime = opts.runtime ?? (await configuredRuntime(config, detected, () => monitor));
  await runtime.checkHost();

  const parts = await loadServerParts();
  // Secrets are sealed in the store with a key kept beside it, not in it (as the API server's aesgcm provider).
  const cipher = loadKeyFile(config.secretsKeyFile.path, !config.secretsKeyFile.configured);
  // Every create, by a user or a controller, is checked against its namespace's ResourceQuotas.
  const storePath = join(config.home, 'state.db');
  const r = config.retention;
  const sqlite = new SqliteStore(storePath, { kinds: KINDS, sync: config.storeSync, changeLogSize: config.changeLogSize, changeLogMaxAgeMs: r.changeLogMaxAgeMs, changeLogMaxBytes: r.changeLogMaxBytes, encryption: { cipher, kinds: ENCRYPTED_KINDS }, warn: (msg, fields) => logger.warn(msg, { component: 'store', ...fields }) });
  const store = new QuotaAdmission(sqlite, KINDS).guard();
  const authorizer = new Authorizer(store, KINDS);
  await authorizer.start();
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

  // Disk pressure is known before the scheduler's first pass: no pod starts on a full disk.
  if (onNode) {
    monitor = new NodeMonitor({
      store, clock, logger: logger.child({ component: 'node' }), nodeName: node.metadata.name!, path: config.home,
      threshold: config.diskPressure.threshold, intervalMs: config.diskPressure.checkIntervalMs,
      storeSize: () => ({ path: storePath, ...sqlite.stats() }),
    });
    await monitor.start();
  }
  const gc = new GarbageCollector({ store, clock, logger: logger.child({ component: 'gc' }), retention: r, maintainStore: () => sqlite.maintain() });
  gc.start();
  const scheduler = onNode ? new Scheduler({ store, clock, logger: logger.child({ component: 'scheduler' }) }) : undefined;
  // Pods on this machine can mount its directories; pods on a cluster cannot.
  const admission = new Admission(KINDS, parts.admission, { name: runtime.name, gives: new Set<RuntimeNeed>(onNode ? ['hostPaths', 'podAccounts'] : []) }, podSecurityPolicy(config));
  let url = '';
  /** The API's URL as pods reach it (their own network's side of the bridge, else the same as url). */
  let podUrl = '';
  const loader = new ManifestLoader({ kinds: KINDS, validation: parts.validation });
  const controllers: Controller[] = parts.families.flatMap((f) =>
    f.controllers?.({
      store,
      kinds: KINDS,
      runtime,
      clock,
      logger,
      config,
      admit: (obj) => admission.prepareCreate(admission.admit(obj, { namespace: obj.metadata.namespace ?? '' })),
      validate: (obj) => loader.validate(obj),
      apiUrl: () => podUrl,
      podToken: (path) => credentials?.podToken(path) ?? '',
    }) ?? [],
  );
  // Pods reach the API over TLS with their ServiceAccount's token (set once the server listens).
  let podEndpoint: { host: string; port: number; caPem: string } | undefined;
  const apiAccess: ApiAccess | undefined = credentials
    ? { endpoint: () => podEndpoint, token: (p) => credentials.serviceAccountToken({ namespace: p.namespace, name: p.name, uid: p.uid, serviceAccount: p.serviceAccount }) }
    : undefined;
  await runtime.start({ store, nodeName: onNode ? node.metadata.name! : '', clock, logger: logger.child({ component: 'runtime' }), ...(apiAccess ? { apiAccess } : {}) });
  await scheduler?.start();

  const metrics = new ServerMetrics();
  // Pods with a network of their own reach the server at its address on the bridge.
  const podAddress = runtime.podAddress?.();
  const podSide = podAddress && podAddress !== '127.0.0.1' ? podAddress : undefined;
  const certNames = [...certificateNamesFor(config), ...(podSide ? [podSide] : [])];
  const tls = servesTls(config) ? serverTls(config.home, certNames, { certFile: config.tls.certFile, keyFile: config.tls.keyFile, caFile: config.tls.caFile }) : undefined;
  if (tls?.issued) logger.info('issued a server certificate', { names: certNames, ca: join(config.home, 'ca.crt') });
  const audit = config.audit.file ? new AuditLog({ file: config.audit.file, maxBytes: config.audit.maxBytes, maxFiles: config.audit.maxFiles, logger: logger.child({ component: 'audit' }) }) : undefined;
  // The workflows' repository once more, for downloads (the controller has its own handle).
  const artifacts = openArtifactRepository(config.artifactRepository, { home: config.home });
  const handler = createApiHandler({ audit, credentials, authorizer, store, kinds: KINDS, loader, admission, subresource: parts.subresource, subresources: parts.subresources, logContainer: parts.logContainer, clock, workdir: config.workdir, hostPolicy: { listenHost: config.host, names: [hostname(), ...config.serverNames, ...(podSide ? [podSide] : [])] }, runtime, logger, metrics, version: VERSION, notebooks: { secure: tls !== undefined }, artifacts });
  const http: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createServer(handler);
  // kubectl exec and port-forward (WebSocket): ./streams.ts.
  http.on('upgrade', handler.upgrade);
  http.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  url = clientUrl(tls ? 'https' : 'http', config.host, port);
  podUrl = url;
  const listenOn = async (server: Server, host: string): Promise<number> => {
    server.on('upgrade', handler.upgrade);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  };
  // A server on loopback is out of reach of pods in their own network: they get a listener of the
  // same kind on the server's bridge address.
  let podMain: Server | undefined;
  if (podSide && onNode && config.host !== '0.0.0.0' && config.host !== '::') {
    podMain = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createServer(handler);
    podUrl = clientUrl(tls ? 'https' : 'http', podSide, await listenOn(podMain, podSide));
  } else if (podSide && onNode) {
    podUrl = clientUrl(tls ? 'https' : 'http', podSide, port);
  }
  // In-cluster clients speak HTTPS only: a server on plain HTTP gives its pods an HTTPS listener
  // of their own, with a certificate of Drover's CA.
  let podHttps: Server | undefined;
  if (apiAccess && onNode) {
    const podHost = podSide ?? '127.0.0.1';
    if (tls?.ca && (podSide || isLoopbackOrAny(config.host))) {
      podEndpoint = { host: podHost, port: Number(new URL(podUrl).port), caPem: tls.ca };
    } else {
      const own = serverTls(config.home, certNames);
      podHttps = createHttpsServer({ cert: own.cert, key: own.key }, handler);
      podEndpoint = { host: podHost, port: await listenOn(podHttps, podHost), caPem: own.ca ?? '' };
    }
  }
  // Started once the URL is known: trials that push metrics are told where to.
  for (const c of controllers) await c.start();
  const kubeconfig = writeKubeconfig(config.home, url, credentials?.adminToken, tls?.ca);
  // Renamed into place: a CLI polling for the file never reads it half written.
  const serverFile = join(config.home, 'server.json');
  writeFileSync(`${serverFile}.${process.pid}.tmp`, JSON.stringify({ port, pid: process.pid, url } satisfies ServerFile));
  renameSync(`${serverFile}.${process.pid}.tmp`, serverFile);
  logger.info('Drover is running', { url, listen: `${config.host}:${port}`, tls: Boolean(tls), home: config.home, kubeconfig, runtime: runtime.name, ...(onNode ? { node: node.metadata.name } : {}) });

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
      for (const server of [http, podMain, podHttps]) {
        if (!server) continue;
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
      }
      for (const c of [...controllers].reverse()) c.stop();
      gc.stop();
      monitor?.stop();
      authorizer.stop();
      scheduler?.stop();
      await runtime.stop();
      await store.close();
      audit?.close();
      artifacts.close();
      lock.release();
      const f = readServerFile(config.home);
      if (f?.pid === process.pid && existsSync(join(config.home, 'server.json'))) rmSync(join(config.home, 'server.json'), { force: true });
    },
  };
}
