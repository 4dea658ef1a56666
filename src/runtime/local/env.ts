/**
 * A container's environment and argv, resolved the way the kubelet does it
 * (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables): `envFrom` sources first, then `env` in
 * order, each `value` expanded against what came before; then `$(VAR)` in command and args
 * against the final environment. Pure: the ConfigMaps and Secrets are looked up by the caller.
 */
import { cpuMillis, parseQuantity, type ConfigMap, type Container, type Pod, type Secret } from '../../api/index.js';
import { expandVars } from './expand.js';

/** Why a container cannot be created yet; the kubelet's `CreateContainerConfigError`. Retried when the sources change. */
export class ContainerConfigError extends Error {
  readonly reason = 'CreateContainerConfigError';
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

/** A container that can never run as written (no command); the kubelet's `ContainerCannotRun`. */
export class ContainerCannotRunError extends Error {
  readonly reason = 'ContainerCannotRun';
  constructor(message: string) {
    super(message);
    this.name = 'ContainerCannotRunError';
  }
}

export interface EnvContext {
  pod: Pod;
  container: Container;
  nodeName: string;
  hostIP: string;
  podIP: string;
  /** What `limits.*` resolve to when a container has no limit (the node's allocatable). */
  nodeAllocatable: { cpuMillis: number; memoryBytes: number };
  configMap(name: string): ConfigMap | undefined;
  secret(name: string): Secret | undefined;
}

/** The user's environment (`envFrom` + `env`), in the order Kubernetes builds it. Throws ContainerConfigError. */
export function resolveUserEnv(ctx: EnvContext): Map<string, string> {
  const { pod, container } = ctx;
  const ns = pod.metadata?.namespace ?? 'default';
  const env = new Map<string, string>();
  for (const src of container.envFrom ?? []) {
    const prefix = src.prefix ?? '';
    if (src.configMapRef) {
      const name = src.configMapRef.name ?? '';
      const cm = ctx.configMap(name);
      if (!cm) {
        if (src.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) setFrom(env, prefix + k, v);
    } else if (src.secretRef) {
      const name = src.secretRef.name ?? '';
      const s = ctx.secret(name);
      if (!s) {
        if (src.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      for (const [k, v] of Object.entries(secretData(s))) setFrom(env, prefix + k, v.toString('utf8'));
    }
  }
  for (const v of container.env ?? []) {
    if (!v.valueFrom) {
      env.set(v.name, expandVars(v.value ?? '', (n) => env.get(n)));
      continue;
    }
    const from = v.valueFrom;
    if (from.configMapKeyRef) {
      const { name = '', key, optional } = from.configMapKeyRef;
      const cm = ctx.configMap(name);
      if (!cm) {
        if (optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      const value = cm.data?.[key];
      if (value === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
      }
      env.set(v.name, value);
    } else if (from.secretKeyRef) {
      const { name = '', key, optional } = from.secretKeyRef;
      const s = ctx.secret(name);
      if (!s) {
        if (optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      const value = secretData(s)[key];
      if (value === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in Secret ${ns}/${name}`);
      }
      env.set(v.name, value.toString('utf8'));
    } else if (from.fieldRef) {
      env.set(v.name, fieldRefValue(ctx, from.fieldRef.fieldPath));
    } else if (from.resourceFieldRef) {
      const ref = from.resourceFieldRef;
      const target = ref.containerName ? pod.spec?.containers.find((c) => c.name === ref.containerName) : container;
      if (!target) throw new ContainerConfigError(`container "${ref.containerName}" not found in pod ${ns}/${pod.metadata?.name}`);
      env.set(v.name, resourceFieldValue(ctx, target, ref.resource, ref.divisor));
    } else {
      env.set(v.name, '');
    }
  }
  return env;
}

/** Keys a ConfigMap or Secret gives `envFrom`; keys that cannot be variable names are skipped, as the kubelet does. */
function setFrom(env: Map<string, string>, name: string, value: string): void {
  if (name === '' || name.includes('=')) return;
  env.set(name, value);
}

/** A Secret's values as bytes: `data` is base64; `stringData` (normally merged by the API) is taken as is and wins. */
export function secretData(s: Secret): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = Buffer.from(v, 'utf8');
  return out;
}

/** A ConfigMap's values as bytes (`data` and base64 `binaryData`). */
export function configMapData(cm: ConfigMap): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

const LABEL_REF = /^metadata\.(labels|annotations)\['(.*)'\]$/;

function fieldRefValue(ctx: EnvContext, path: string): string {
  const meta = ctx.pod.metadata ?? {};
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? 'default';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels ?? {});
    case 'metadata.annotations':
      return formatMap(meta.annotations ?? {});
    case 'spec.nodeName':
      return ctx.pod.spec?.nodeName ?? ctx.nodeName;
    case 'spec.serviceAccountName':
      return ctx.pod.spec?.serviceAccountName ?? 'default';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP;
  }
  const m = LABEL_REF.exec(path);
  if (m) {
    const map = m[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[m[2]!] ?? '';
  }
  throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
}

/** `key="value"` lines sorted by key, as Kubernetes' downward API formats a whole map. */
function formatMap(m: Record<string, string>): string {
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${JSON.stringify(m[k])}`)
    .join('\n');
}

function resourceFieldValue(ctx: EnvContext, c: Container, resource: string, divisor: string | undefined): string {
  const limits = c.resources?.limits ?? {};
  // API defaulting: a request that is not given equals the limit.
  const requests = { ...limits, ...(c.resources?.requests ?? {}) };
  const [kind, name] = resource.split('.', 2) as [string, string | undefined];
  const q = kind === 'limits' ? limits[name ?? ''] : kind === 'requests' ? requests[name ?? ''] : undefined;
  if (name === 'cpu') {
    const millis = q !== undefined ? cpuMillis(q) : kind === 'limits' ? ctx.nodeAllocatable.cpuMillis : 0;
    const div = cpuMillis(divisor ?? '1');
    return String(Math.ceil(millis / (div || 1000)));
  }
  if (name === 'memory' || name === 'ephemeral-storage') {
    const bytes = q !== undefined ? parseQuantity(q) : kind === 'limits' && name === 'memory' ? ctx.nodeAllocatable.memoryBytes : 0;
    const div = parseQuantity(divisor ?? '1');
    return String(Math.ceil(bytes / (div || 1)));
  }
  throw new ContainerConfigError(`unsupported resource: ${resource}`);
}

/**
 * The argv to run. `command` replaces the image's entrypoint and `args` follow it. Locally an
 * image has an entrypoint only when `images:` gives it one; without, `args` alone are run as the
 * command. Nothing to run is a ContainerCannotRunError.
 */
export function resolveArgv(container: Container, env: ReadonlyMap<string, string>, entrypoint: readonly string[] = []): string[] {
  const lookup = (n: string) => env.get(n);
  const command = container.command?.length ? container.command.map((s) => expandVars(s, lookup)) : [...entrypoint];
  const args = (container.args ?? []).map((s) => expandVars(s, lookup));
  const argv = [...command, ...args];
  if (argv.length === 0) {
    throw new ContainerCannotRunError(
      `container "${container.name}" has neither command nor args: the local runtime does not pull images, so there is no image entrypoint to run (image "${container.image ?? ''}"); set command, e.g. command: [python, train.py]`,
    );
  }
  return argv;
}
