/**
 * Pod security: who a container runs as and what it may ask for, as pure functions of a pod spec
 * and the admin's policy. Admission refuses what the policy forbids (at the user's object: a Pod,
 * a Job's template, a workflow's templates, a trial template) and the local runtime checks the
 * same again before it starts a container, so a pod made by a controller is held to the same rules.
 *
 * Kubernetes' semantics: container `securityContext` fields win over the pod's; an unset
 * `runAsUser` means the image's user, which for Drover (no images) is the policy's `runAsUser`
 * (65534, "nobody", by default), never root.
 */
import { isAbsolute, normalize } from 'node:path';

/** What the admin allows pods (config.yaml `podSecurity`). */
export interface PodSecurityPolicy {
  /** uid a container runs as when neither it nor its pod sets runAsUser (default 65534). */
  runAsUser: number;
  /** gid when runAsGroup is unset (default 65534). */
  runAsGroup: number;
  /**
   * Namespaces whose pods may run as root, be privileged, add capabilities, or run unconfined
   * (no seccomp profile). `*` is every namespace. Default: none.
   */
  privilegedNamespaces: readonly string[];
  /** Host directories pods may mount as `hostPath` volumes (the path itself or below it). Default: none. */
  allowedHostPaths: readonly string[];
  /**
   * Drover's own directories of a namespace that pods of that namespace may mount (a workflow
   * step's staging directory, a trial's metrics directory): `<root>/<namespace>/…`.
   */
  systemHostPathRoots: readonly string[];
}

export const DEFAULT_POD_UID = 65534;

/**
 * Drover's own per-namespace directories pods are given as hostPath volumes: workflow steps'
 * staging files and File-collected trials' metrics (`<root>/<namespace>/…`).
 */
export function droverHostPathRoots(home: string): string[] {
  return [`${home}/workflows`, `${home}/trials`];
}

export function defaultPodSecurityPolicy(): PodSecurityPolicy {
  return { runAsUser: DEFAULT_POD_UID, runAsGroup: DEFAULT_POD_UID, privilegedNamespaces: [], allowedHostPaths: [], systemHostPathRoots: [] };
}

/** containerd's default capability set (what a root container keeps). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
];

/** What one container runs with. */
export interface ContainerSecurity {
  uid: number;
  gid: number;
  /** Supplementary groups: fsGroup, then supplementalGroups. */
  groups: number[];
  /** `privileged: true`: every capability, no seccomp filter, devices as the host's. */
  privileged: boolean;
  /** The bounding set (names without CAP_): the default set + add − drop; all capabilities when privileged. */
  capabilities: string[];
  /** PR_SET_NO_NEW_PRIVS: on unless `allowPrivilegeEscalation: true` (or privileged). */
  noNewPrivs: boolean;
  /** RuntimeDefault (Drover's filter) unless `seccompProfile.type: Unconfined` (admin-allowed). */
  seccomp: 'RuntimeDefault' | 'Unconfined';
  /** fsGroup: volumes Drover makes are group-owned by it. */
  fsGroup?: number;
}

/** One thing the policy refuses, at a field path relative to the object. */
export interface PodSecurityIssue {
  path: string;
  message: string;
  /** `Invalid` (contradicts itself: runAsNonRoot with runAsUser 0) or `Forbidden` (the policy). */
  reason: 'Invalid' | 'Forbidden';
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const capName = (c: unknown) => String(c).toUpperCase().replace(/^CAP_/, '');

function firstDefined<T>(...vs: (T | undefined)[]): T | undefined {
  for (const v of vs) if (v !== undefined) return v;
  return undefined;
}

/** What `container` of a pod with `podSpec` runs with under `policy`. */
export function containerSecurity(podSpec: unknown, container: unknown, policy: Pick<PodSecurityPolicy, 'runAsUser' | 'runAsGroup'>): ContainerSecurity {
  const psc = rec(rec(podSpec)?.['securityContext']) ?? {};
  const csc = rec(rec(container)?.['securityContext']) ?? {};
  const uid = firstDefined(int(csc['runAsUser']), int(psc['runAsUser'])) ?? policy.runAsUser;
  // Root without a group keeps group root; anyone else gets the policy's group (there is no image to name one).
  const gid = firstDefined(int(csc['runAsGroup']), int(psc['runAsGroup'])) ?? (uid === 0 ? 0 : policy.runAsGroup);
  const fsGroup = int(psc['fsGroup']);
  const supplemental = Array.isArray(psc['supplementalGroups']) ? (psc['supplementalGroups'] as unknown[]).map(int).filter((g): g is number => g !== undefined) : [];
  const groups = [...new Set([...(fsGroup !== undefined ? [fsGroup] : []), ...supplemental])].filter((g) => g !== gid);
  const privileged = csc['privileged'] === true;
  const caps = rec(csc['capabilities']) ?? {};
  const add = Array.isArray(caps['add']) ? (caps['add'] as unknown[]).map(capName) : [];
  const drop = Array.isArray(caps['drop']) ? (caps['drop'] as unknown[]).map(capName) : [];
  let capabilities: string[];
  if (privileged) capabilities = ['ALL'];
  else if (drop.includes('ALL')) capabilities = [...new Set(add)];
  else capabilities = [...new Set([...DEFAULT_CAPABILITIES, ...add])].filter((c) => !drop.includes(c) || add.includes(c));
  const seccompType = rec(firstDefined(csc['seccompProfile'], psc['seccompProfile']))?.['type'];
  return {
    uid,
    gid,
    groups,
    privileged,
    capabilities,
    noNewPrivs: !privileged && csc['allowPrivilegeEscalation'] !== true,
    seccomp: privileged || seccompType === 'Unconfined' ? 'Unconfined' : 'RuntimeDefault',
    ...(fsGroup !== undefined ? { fsGroup } : {}),
  };
}

function under(path: string, dir: string): boolean {
  const d = dir.endsWith('/') ? dir : dir + '/';
  return path === dir || path.startsWith(d) || dir === '/';
}

/** Whether `path` may be mounted as a hostPath volume by a pod of `namespace`. */
export function hostPathAllowed(path: string, namespace: string, policy: Pick<PodSecurityPolicy, 'allowedHostPaths' | 'systemHostPathRoots'>): boolean {
  if (!isAbsolute(path) || path.split('/').includes('..')) return false;
  const p = normalize(path).replace(/\/+$/, '') || '/';
  if (policy.allowedHostPaths.some((a) => under(p, normalize(a).replace(/\/+$/, '') || '/'))) return true;
  return policy.systemHostPathRoots.some((r) => under(p, `${normalize(r).replace(/\/+$/, '')}/${namespace}`) && p !== `${normalize(r).replace(/\/+$/, '')}/${namespace}`);
}

export function privilegedAllowed(namespace: string, policy: Pick<PodSecurityPolicy, 'privilegedNamespaces'>): boolean {
  return policy.privilegedNamespaces.includes('*') || policy.privilegedNamespaces.includes(namespace);
}

/**
 * What the policy refuses in a pod spec (a Pod's, or a template's at `path`, e.g.
 * `spec.template.spec`) for a pod of `namespace`. `containers` may be given apart from the spec
 * (an Argo template's one container). Empty when the spec is allowed.
 */
export function podSecurityIssues(podSpec: unknown, namespace: string, policy: PodSecurityPolicy, path: string, containers?: { path: string; container: unknown }[]): PodSecurityIssue[] {
  const out: PodSecurityIssue[] = [];
  const spec = rec(podSpec) ?? {};
  const privOk = privilegedAllowed(namespace, policy);
  const how = `in namespace "${namespace}" (an admin may allow it: podSecurity.privilegedNamespaces in Drover's config)`;
  const forbid = (p: string, message: string) => out.push({ path: p, message, reason: 'Forbidden' });
  const psc = rec(spec['securityContext']) ?? {};
  const pscPath = `${path}.securityContext`;
  if (int(psc['runAsUser']) === 0 && !privOk) forbid(`${pscPath}.runAsUser`, `running as root (uid 0) is not allowed ${how}`);
  if (int(psc['runAsGroup']) === 0 && !privOk) forbid(`${pscPath}.runAsGroup`, `running as group root (gid 0) is not allowed ${how}`);
  if (rec(psc['seccompProfile'])?.['type'] === 'Unconfined' && !privOk) forbid(`${pscPath}.seccompProfile.type`, `an unconfined seccomp profile is not allowed ${how}`);
  if (rec(psc['seccompProfile'])?.['type'] === 'Localhost') forbid(`${pscPath}.seccompProfile.type`, 'Localhost seccomp profiles are not supported: use RuntimeDefault');
  // A pod has a network of its own; the host's (its loopback services, every port) is an admin's to give.
  if (spec['hostNetwork'] === true && !privOk) forbid(`${path}.hostNetwork`, `the host's network is not allowed ${how}`);
  if (Array.isArray(psc['sysctls']) && psc['sysctls'].length) forbid(`${pscPath}.sysctls`, 'sysctls are not supported: pods share the host kernel settings');
  const listed = (field: 'initContainers' | 'containers') => (Array.isArray(spec[field]) ? (spec[field] as unknown[]).map((c, i) => ({ path: `${path}.${field}[${i}]`, container: c })) : []);
  const list = containers ?? [...listed('initContainers'), ...listed('containers')];
  for (const { path: cPath, container } of list) {
    const csc = rec(rec(container)?.['securityContext']) ?? {};
    const s = containerSecurity(spec, container, policy);
    const scPath = `${cPath}.securityContext`;
    const nonRoot = firstDefined(csc['runAsNonRoot'], psc['runAsNonRoot']) === true;
    if (nonRoot && s.uid === 0) {
      const where = int(csc['runAsUser']) === 0 ? `${scPath}.runAsUser` : `${pscPath}.runAsUser`;
      out.push({ path: where, message: 'runAsNonRoot is true but the container would run as root (uid 0)', reason: 'Invalid' });
      continue;
    }
    if (privOk) continue;
    if (csc['privileged'] === true) forbid(`${scPath}.privileged`, `privileged containers are not allowed ${how}`);
    if (int(csc['runAsUser']) === 0) forbid(`${scPath}.runAsUser`, `running as root (uid 0) is not allowed ${how}`);
    if (int(csc['runAsGroup']) === 0) forbid(`${scPath}.runAsGroup`, `running as group root (gid 0) is not allowed ${how}`);
    const add = rec(csc['capabilities'])?.['add'];
    if (Array.isArray(add) && add.length) forbid(`${scPath}.capabilities.add`, `adding capabilities (${add.map(capName).join(', ')}) is not allowed ${how}`);
    const profile = rec(csc['seccompProfile'])?.['type'];
    if (profile === 'Unconfined') forbid(`${scPath}.seccompProfile.type`, `an unconfined seccomp profile is not allowed ${how}`);
    if (profile === 'Localhost') forbid(`${scPath}.seccompProfile.type`, 'Localhost seccomp profiles are not supported: use RuntimeDefault');
    if (csc['procMount'] !== undefined && csc['procMount'] !== 'Default') forbid(`${scPath}.procMount`, `an unmasked /proc is not allowed ${how}`);
  }
  const volumes = Array.isArray(spec['volumes']) ? (spec['volumes'] as unknown[]) : [];
  volumes.forEach((v, i) => {
    const hp = rec(rec(v)?.['hostPath']);
    if (!hp) return;
    const p = typeof hp['path'] === 'string' ? hp['path'] : '';
    if (!hostPathAllowed(p, namespace, policy)) {
      forbid(`${path}.volumes[${i}].hostPath.path`, `hostPath volumes may only mount directories an admin allows (podSecurity.allowedHostPaths in Drover's config${policy.allowedHostPaths.length ? `: ${policy.allowedHostPaths.join(', ')}` : ', empty'}); ${JSON.stringify(p)} is not one of them`);
    }
  });
  return out;
}
