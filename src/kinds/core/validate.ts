/**
 * How the core kinds are validated: the support tables for pods and claims (what the local runtime
 * implements, field by field; the one place to edit when a field becomes supported), and the API
 * server's checks beyond the schema. Jobs, workflow steps and trials reuse the pod parts.
 */
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { KindValidation } from '../../api/index.js';
import { parseQuantity } from '../../api/quantity.js';
import { type FieldPath, type Finding, formatPath, isRecord } from '../../api/fieldpath.js';
import { type Ctx, checkDnsLabel, error, missing } from '../../api/semantics.js';
import {
  type Shape, SUPPORTED, ignore, objectShape, ok, onlyValues, reject, rejectTrue, struct, warn, warnUnless,
} from '../../api/support.js';

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** `fieldRef.fieldPath` values the local runtime can fill in. */
const FIELD_REF_PATHS = /^(metadata\.(name|namespace|uid)|metadata\.(labels|annotations)\['[^']+'\]|spec\.nodeName|status\.podIP)$/;

const ENV_VAR: Shape = {
  name: ok,
  value: ok,
  valueFrom: struct({
    configMapKeyRef: ok,
    secretKeyRef: ok,
    resourceFieldRef: ok,
    fieldRef: struct({
      apiVersion: ok,
      fieldPath: {
        decide: (v) =>
          typeof v === 'string' && FIELD_REF_PATHS.test(v)
            ? SUPPORTED
            : { verdict: 'reject', value: v, reason: "supported: metadata.name, metadata.namespace, metadata.uid, metadata.labels['…'], metadata.annotations['…'], spec.nodeName, status.podIP" },
      },
    }),
  }),
};

/**
 * A container's securityContext: who it runs as and what it may do (src/api/podsecurity.ts;
 * what the admin allows is checked at admission, not here).
 */
export const CONTAINER_SECURITY: Shape = {
  runAsUser: ok,
  runAsGroup: ok,
  runAsNonRoot: ok,
  privileged: ok,
  capabilities: ok,
  allowPrivilegeEscalation: warn('containers always run with no_new_privs'),
  seccompProfile: ok,
  procMount: ok,
  readOnlyRootFilesystem: warn("the container's root is the host's, copy-on-write or read-only as the runtime decides"),
  seLinuxOptions: warn('SELinux labels are not applied'),
  appArmorProfile: warn('AppArmor profiles are not applied'),
  windowsOptions: ignore,
};

/** A pod's securityContext: defaults for its containers, and the groups its volumes get. */
export const POD_SECURITY: Shape = {
  runAsUser: ok,
  runAsGroup: ok,
  runAsNonRoot: ok,
  fsGroup: ok,
  fsGroupChangePolicy: ok,
  supplementalGroups: ok,
  supplementalGroupsPolicy: ok,
  seccompProfile: ok,
  sysctls: ok,
  seLinuxOptions: warn('SELinux labels are not applied'),
  appArmorProfile: warn('AppArmor profiles are not applied'),
  seLinuxChangePolicy: ignore,
  windowsOptions: ignore,
};

const PROBE_HOST = "a probe reaches the pod's own address";

/** A probe: exec, httpGet or tcpSocket, with the kubelet's timing fields. */
const PROBE: Shape = {
  exec: struct({ command: ok }),
  // The server runs httpGet and tcpSocket probes from its own network: only the pod's address.
  httpGet: struct({ path: ok, port: ok, host: reject(PROBE_HOST), scheme: ok, httpHeaders: ok }),
  tcpSocket: struct({ port: ok, host: reject(PROBE_HOST) }),
  grpc: reject('gRPC probes are not run: use exec, httpGet or tcpSocket'),
  initialDelaySeconds: ok,
  periodSeconds: ok,
  timeoutSeconds: ok,
  successThreshold: ok,
  failureThreshold: ok,
  terminationGracePeriodSeconds: ok,
};

export const CONTAINER: Shape = {
  name: ok,
  image: ok,
  command: ok,
  args: ok,
  workingDir: ok,
  env: struct(ENV_VAR),
  envFrom: ok,
  resources: ok,
  ports: ok,
  volumeMounts: struct({
    name: ok,
    mountPath: ok,
    readOnly: ok,
    subPath: ok,
    mountPropagation: reject(),
    subPathExpr: reject(),
  }),
  imagePullPolicy: warn('images are not pulled'),
  securityContext: struct(CONTAINER_SECURITY),
  terminationMessagePath: warnUnless('/dev/termination-log', 'termination messages are not collected'),
  terminationMessagePolicy: warnUnless('File', 'termination messages are not collected'),
  livenessProbe: struct(PROBE),
  readinessProbe: struct(PROBE),
  startupProbe: struct(PROBE),
  resizePolicy: warn('containers are not resized in place'),
  stdin: rejectTrue(),
  stdinOnce: rejectTrue(),
  tty: rejectTrue(),
  lifecycle: reject(),
  volumeDevices: reject(),
};

/** An init container; restartPolicy Always makes it a sidecar, which runs beside the others. */
export const INIT_CONTAINER: Shape = {
  ...CONTAINER,
  restartPolicy: onlyValues(['Always'], 'only "Always" (a sidecar)'),
};

export const VOLUME: Shape = {
  name: ok,
  persistentVolumeClaim: ok,
  configMap: ok,
  secret: ok,
  emptyDir: ok,
  hostPath: ok,
  // Any other volume source (nfs, csi, projected, ...) is unlisted, so it is rejected by name.
};

export const POD_SPEC: Shape = {
  containers: struct(CONTAINER),
  restartPolicy: ok,
  volumes: struct(VOLUME),
  nodeSelector: ok,
  priority: ok,
  activeDeadlineSeconds: ok,
  terminationGracePeriodSeconds: ok,
  hostname: ok,
  os: { decide: (v) => (isRecord(v) && v['name'] === 'linux' ? SUPPORTED : { verdict: 'reject', reason: 'only linux' }) },
  priorityClassName: warn('priority classes are not resolved; set spec.priority instead'),
  serviceAccountName: ok,
  serviceAccount: ok,
  // Honoured by the scheduler: the local node is tainted node.kubernetes.io/disk-pressure under disk pressure.
  tolerations: ok,
  affinity: warn('there is one local node'),
  // Names: <hostname>.<subdomain>.<ns>.svc.cluster.local, with a headless Service named <subdomain>.
  subdomain: ok,
  securityContext: struct(POD_SECURITY),
  imagePullSecrets: warn('images are not pulled'),
  // Honoured in podSecurity.privilegedNamespaces only (src/api/podsecurity.ts).
  hostNetwork: ok,
  dnsPolicy: warnUnless('ClusterFirst', 'pods use the server\'s resolver (cluster names, then the host\'s resolvers)'),
  dnsConfig: ok, // merged into the pod's resolv.conf as the kubelet does (network/names.ts)
  topologySpreadConstraints: warn('there is one local node'),
  readinessGates: warn('pod readiness is not tracked'),
  preemptionPolicy: warn('the local scheduler does not preempt'),
  enableServiceLinks: ignore,
  automountServiceAccountToken: ok,
  schedulerName: onlyValues(['default-scheduler'], 'only "default-scheduler"'),
  hostPID: rejectTrue(),
  hostIPC: rejectTrue(),
  initContainers: struct(INIT_CONTAINER),
  ephemeralContainers: reject(),
  runtimeClassName: reject(),
};

const PVC_SPEC: Shape = {
  accessModes: ok,
  resources: struct({ requests: ok, limits: warn('local claims are directories without a size limit') }),
  storageClassName: warn('local claims are directories'),
  volumeName: warn('local claims are directories'),
  volumeMode: onlyValues(['Filesystem'], 'local claims are directories'),
  selector: reject(),
  dataSource: reject(),
  dataSourceRef: reject(),
};


/** The checks of a pod spec (a Pod's, or a template's at `path`): containers, volumes and mounts. */
export function checkPodSpec(ctx: Ctx, spec: unknown, path: FieldPath): void {
  if (spec === undefined || spec === null) {
    missing(ctx, [...path.slice(0, -1), 'spec']);
    return;
  }
  if (!isRecord(spec)) return;
  const containers = spec['containers'];
  if (containers === undefined || containers === null || (Array.isArray(containers) && containers.length === 0)) {
    if (containers === undefined) return; // the schema already said it is required
    error(ctx, [...path, 'containers'], 'at least one container is required');
    return;
  }
  if (!Array.isArray(containers)) return;
  const volumeNames = new Set<string>();
  const volumes = spec['volumes'];
  if (Array.isArray(volumes)) {
    volumes.forEach((v, i) => {
      const name = isRecord(v) ? v['name'] : undefined;
      if (typeof name !== 'string') return;
      if (volumeNames.has(name)) error(ctx, [...path, 'volumes', i, 'name'], `duplicate volume name ${JSON.stringify(name)}`);
      else checkDnsLabel(ctx, [...path, 'volumes', i, 'name'], name);
      volumeNames.add(name);
    });
  }
  // Names are unique across init and regular containers: logs and statuses are kept by name.
  const containerNames = new Set<string>();
  const inits = Array.isArray(spec['initContainers']) ? (spec['initContainers'] as unknown[]) : [];
  const all: [unknown, FieldPath][] = [...inits.map((c, i): [unknown, FieldPath] => [c, [...path, 'initContainers', i]]), ...containers.map((c, i): [unknown, FieldPath] => [c, [...path, 'containers', i]])];
  all.forEach(([c, cPath]) => {
    if (!isRecord(c)) return;
    const name = c['name'];
    if (typeof name === 'string') {
      if (containerNames.has(name)) error(ctx, [...cPath, 'name'], `duplicate container name ${JSON.stringify(name)}`);
      else checkDnsLabel(ctx, [...cPath, 'name'], name);
      containerNames.add(name);
    }
    // Kubernetes requires an image on every pod's container, so a manifest without one would not run there.
    if (c['image'] === undefined || c['image'] === null || c['image'] === '') missing(ctx, [...cPath, 'image']);
    const mounts = c['volumeMounts'];
    if (Array.isArray(mounts)) {
      mounts.forEach((m, j) => {
        const vol = isRecord(m) ? m['name'] : undefined;
        if (typeof vol === 'string' && !volumeNames.has(vol)) {
          error(ctx, [...cPath, 'volumeMounts', j, 'name'], `no volume named ${JSON.stringify(vol)} in ${formatPath([...path, 'volumes'])}`);
        }
      });
    }
    if (isRecord(c['resources'])) checkResources(ctx, c['resources'], [...cPath, 'resources']);
    const plainInit = cPath[cPath.length - 2] === 'initContainers' && c['restartPolicy'] !== 'Always';
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (!isRecord(c[kind])) continue;
      // An init container runs to its end before the others: only a sidecar is probed.
      if (plainInit) error(ctx, [...cPath, kind], 'may not be set for init containers without restartPolicy=Always');
      else checkProbe(ctx, c, c[kind], kind, [...cPath, kind]);
    }
  });
}

/**
 * A probe as the API server checks it: one handler, thresholds and periods of at least 1 (a
 * liveness or startup probe's successThreshold exactly 1); and, earlier than a kubelet would, a
 * named port the container declares.
 */
function checkProbe(ctx: Ctx, c: Record<string, unknown>, p: Record<string, unknown>, kind: string, path: FieldPath): void {
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => p[h] !== undefined);
  if (handlers.length === 0) error(ctx, path, 'must specify a handler type (exec, httpGet or tcpSocket)');
  else if (handlers.length > 1) error(ctx, [...path, handlers[1]!], `may not specify more than 1 handler type (${handlers.join(', ')})`);
  for (const f of ['periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold'] as const) {
    const v = p[f];
    if (typeof v === 'number' && v < 1) error(ctx, [...path, f], `must be greater than or equal to 1, got ${v}`);
  }
  if (typeof p['initialDelaySeconds'] === 'number' && p['initialDelaySeconds'] < 0) error(ctx, [...path, 'initialDelaySeconds'], `must be greater than or equal to 0, got ${p['initialDelaySeconds']}`);
  if (kind !== 'readinessProbe' && typeof p['successThreshold'] === 'number' && p['successThreshold'] !== 1) error(ctx, [...path, 'successThreshold'], `must be 1, got ${p['successThreshold']}`);
  for (const h of ['httpGet', 'tcpSocket'] as const) {
    const port = isRecord(p[h]) ? p[h]['port'] : undefined;
    if (typeof port !== 'string' || /^\d+$/.test(port)) continue;
    const ports = Array.isArray(c['ports']) ? (c['ports'] as unknown[]) : [];
    if (!ports.some((x) => isRecord(x) && x['name'] === port)) error(ctx, [...path, h, 'port'], `no port named ${JSON.stringify(port)} in this container's ports`);
  }
}

const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

/**
 * A container's requests and limits as the API server checks them: no negative amount, no
 * request above its limit, extended resources (`nvidia.com/gpu`) in whole units with the request
 * equal to the limit, and resource names that are standard or domain-qualified.
 */
function checkResources(ctx: Ctx, resources: Record<string, unknown>, path: FieldPath): void {
  const amounts: Record<'requests' | 'limits', Record<string, number>> = { requests: {}, limits: {} };
  for (const which of ['requests', 'limits'] as const) {
    const list = resources[which];
    if (!isRecord(list)) continue;
    for (const [name, v] of Object.entries(list)) {
      const at = [...path, which, name];
      if (!STANDARD_RESOURCES.has(name) && !name.includes('/') && !name.startsWith('hugepages-')) {
        error(ctx, at, `${JSON.stringify(name)} must be a standard resource type (cpu, memory, ephemeral-storage) or fully qualified (nvidia.com/gpu)`, 'key');
        continue;
      }
      if (typeof v !== 'string' && typeof v !== 'number') continue;
      let amount: number;
      try {
        amount = parseQuantity(v);
      } catch {
        continue; // the schema reports a malformed quantity
      }
      if (amount < 0) error(ctx, at, `must be greater than or equal to 0, got ${JSON.stringify(v)}`);
      else if (name.includes('/') && !Number.isInteger(amount)) error(ctx, at, `must be an integer, got ${JSON.stringify(v)}`);
      else amounts[which][name] = amount;
    }
  }
  for (const [name, request] of Object.entries(amounts.requests)) {
    const limit = amounts.limits[name];
    if (limit === undefined) continue;
    if (name.includes('/') && request !== limit) error(ctx, [...path, 'requests', name], `must be equal to ${name} limit of ${limit}`);
    else if (request > limit) error(ctx, [...path, 'requests', name], `must be less than or equal to ${name} limit of ${String((resources['limits'] as Record<string, unknown>)[name])}`);
  }
}

function checkPvc(ctx: Ctx, obj: Record<string, unknown>): void {
  const spec = obj['spec'];
  if (!isRecord(spec)) {
    if (spec === undefined || spec === null) missing(ctx, ['spec']);
    return;
  }
  const modes = spec['accessModes'];
  if (modes === undefined || modes === null || (Array.isArray(modes) && modes.length === 0)) {
    error(ctx, ['spec', 'accessModes'], 'at least one access mode is required', 'parent');
  }
  const resources = spec['resources'];
  const requests = isRecord(resources) ? resources['requests'] : undefined;
  if (!isRecord(requests) || requests['storage'] === undefined) {
    error(ctx, ['spec', 'resources', 'requests', 'storage'], 'required field "storage" is missing', 'parent');
  }
}

/** Every hard limit is a quantity Kubernetes would accept, and not negative. */
function checkQuota(ctx: Ctx, obj: Record<string, unknown>): void {
  const hard = (isRecord(obj['spec']) && isRecord(obj['spec']['hard']) ? obj['spec']['hard'] : {}) as Record<string, unknown>;
  for (const [name, v] of Object.entries(hard)) {
    let amount: number;
    try {
      amount = parseQuantity(typeof v === 'number' ? v : String(v));
    } catch (err) {
      error(ctx, ['spec', 'hard', name], (err as Error).message);
      continue;
    }
    if (amount < 0) error(ctx, ['spec', 'hard', name], 'must be greater than or equal to 0');
  }
}

/** ConfigMap and Secret keys become file names, so Kubernetes restricts them. */
function checkDataKeys(ctx: Ctx, obj: Record<string, unknown>, fields: string[]): void {
  const seen = new Map<string, string>();
  for (const field of fields) {
    const data = obj[field];
    if (!isRecord(data)) continue;
    for (const key of Object.keys(data)) {
      if (key.length > 253 || !CONFIG_KEY.test(key) || key === '.' || key === '..') {
        error(ctx, [field, key], `invalid key ${JSON.stringify(key)}: expected letters, digits, '-', '_' or '.'`, 'key');
      }
      const other = seen.get(key);
      // For a Secret, stringData deliberately overrides data; for a ConfigMap a duplicate is an error.
      if (other !== undefined && obj['kind'] === 'ConfigMap') error(ctx, [field, key], `key ${JSON.stringify(key)} is also in ${other}`, 'key');
      seen.set(key, field);
    }
  }
  checkDataSize(ctx, obj, fields);
}

/** Kubernetes' limit on what one ConfigMap or Secret holds (its data, as stored). */
const MAX_DATA_BYTES = 1024 * 1024;

function checkDataSize(ctx: Ctx, obj: Record<string, unknown>, fields: string[]): void {
  let total = 0;
  for (const field of fields) {
    const data = obj[field];
    if (!isRecord(data)) continue;
    for (const [key, v] of Object.entries(data)) {
      if (typeof v !== 'string') continue;
      // `data` of a Secret and `binaryData` are base64: what is kept is the decoded bytes.
      const encoded = field === 'binaryData' || (obj['kind'] === 'Secret' && field === 'data');
      total += key.length + (encoded ? Math.floor((v.length * 3) / 4) : Buffer.byteLength(v));
    }
  }
  if (total > MAX_DATA_BYTES) error(ctx, [], `Too long: must have at most ${MAX_DATA_BYTES} bytes (has ${total}); keep large files on a claim`, 'key');
}


function findings(check: (ctx: Ctx, obj: Record<string, unknown>) => void): (obj: Record<string, unknown>) => Finding[] {
  return (obj) => {
    const ctx: Ctx = { findings: [] };
    check(ctx, obj);
    return ctx.findings;
  };
}

export const VALIDATION: Readonly<Record<string, KindValidation>> = {
  Namespace: { schema: Namespace, name: { dnsLabel: true } },
  ServiceAccount: {
    schema: ServiceAccount,
    support: { apiVersion: ok, kind: ok, metadata: ok, automountServiceAccountToken: ok, secrets: warn('tokens are not kept in Secrets: pods get bound tokens'), imagePullSecrets: warn('images are not pulled') },
  },
  ResourceQuota: { schema: ResourceQuota, support: objectShape({ hard: ok, scopes: reject('quota scopes'), scopeSelector: reject('quota scopes') }), semantics: findings(checkQuota) },
  ConfigMap: { schema: ConfigMap, semantics: findings((ctx, obj) => checkDataKeys(ctx, obj, ['data', 'binaryData'])) },
  Secret: { schema: Secret, hideValues: true, semantics: findings((ctx, obj) => checkDataKeys(ctx, obj, ['data', 'stringData'])) },
  PersistentVolumeClaim: { schema: PersistentVolumeClaim, support: objectShape(PVC_SPEC), semantics: findings(checkPvc) },
  Pod: {
    schema: Pod,
    support: objectShape(POD_SPEC),
    semantics: findings((ctx, obj) => {
      if (obj['spec'] === undefined || obj['spec'] === null) missing(ctx, ['spec']);
      else checkPodSpec(ctx, obj['spec'], ['spec']);
    }),
  },
};
