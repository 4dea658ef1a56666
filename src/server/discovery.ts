/**
 * API discovery as the Kubernetes API server answers it (`/api`, `/api/v1`, `/apis`,
 * `/apis/{group}/{version}`), built from the kinds table and the families' subresources, so
 * kubectl and the client libraries find every kind Drover serves, with the verbs it really
 * answers. Pure: the HTTP layer only sends what these return.
 */
import type { KindInfo, KindTable } from '../api/kinds.js';
import type { Subresource } from '../kinds/types.js';

export interface DiscoverySource {
  kinds: KindTable;
  /** A kind's own subresources, from its family (a Workflow's `retry`). */
  subresources(kind: string): ReadonlyMap<string, Subresource>;
}

interface ApiResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

/** The resource metrics `kubectl top` reads (src/server/api.ts answers them from the runtime). */
const METRICS_GROUP = 'metrics.k8s.io';
const METRICS_VERSION = 'v1beta1';
const METRICS_RESOURCES: ApiResource[] = [
  { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
  { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
];

/** What the server answers for a kind: users' kinds are created, updated and patched; Drover's own only read and deleted. */
export function verbsOf(k: KindInfo): string[] {
  return k.userCreatable ? ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] : ['delete', 'get', 'list', 'watch'];
}

function resourcesOf(source: DiscoverySource, k: KindInfo): ApiResource[] {
  const main: ApiResource = { name: k.plural, singularName: k.singular, namespaced: k.namespaced, kind: k.kind, verbs: verbsOf(k) };
  if (k.shortNames.length) main.shortNames = [...k.shortNames];
  if (k.categories.length) main.categories = [...k.categories];
  const sub = (name: string, verbs: readonly string[]): ApiResource => ({ name: `${k.plural}/${name}`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: [...verbs] });
  const out = [main];
  if (k.hasStatus) out.push(sub('status', ['get', 'update']));
  if (k.group === '' && k.kind === 'Pod') out.push(sub('log', ['get']), { ...sub('exec', ['create', 'get']), kind: 'PodExecOptions' }, { ...sub('portforward', ['create', 'get']), kind: 'PodPortForwardOptions' });
  for (const [name, s] of source.subresources(k.kind)) out.push(sub(name, s.verbs));
  return out;
}

/** `/api`: the core group's versions. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

/**
 * Kubernetes' version priority: GA before beta before alpha, higher numbers first (`v1` over
 * `v1beta1`); a group served in several versions prefers the first.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    return [m[2] === 'alpha' ? 1 : m[2] === 'beta' ? 2 : 3, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return y[i]! - x[i]!;
  return a.localeCompare(b);
}

/** The named groups in the order their first kind is declared (then the metrics group), each with its versions, preferred first. */
function groups(kinds: KindTable): { name: string; versions: string[] }[] {
  const seen = new Map<string, Set<string>>();
  for (const k of kinds.all) if (k.group) seen.set(k.group, (seen.get(k.group) ?? new Set()).add(k.version));
  seen.set(METRICS_GROUP, new Set([METRICS_VERSION]));
  return [...seen].map(([name, versions]) => ({ name, versions: [...versions].sort(compareVersions) }));
}

function groupDoc(g: { name: string; versions: string[] }): { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion: { groupVersion: string; version: string } } {
  const versions = g.versions.map((version) => ({ groupVersion: `${g.name}/${version}`, version }));
  return { name: g.name, versions, preferredVersion: versions[0]! };
}

/** `/apis`: every named group with its versions. */
export function apiGroupList(kinds: KindTable): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups(kinds).map(groupDoc) };
}

/** `/apis/{group}`: one group. */
export function apiGroup(kinds: KindTable, group: string): Record<string, unknown> | undefined {
  const g = groups(kinds).find((x) => x.name === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) } : undefined;
}

/** `/api/v1` or `/apis/{group}/{version}`: the resources of one group version, or undefined when none. */
export function apiResourceList(source: DiscoverySource, group: string, version: string): Record<string, unknown> | undefined {
  const groupVersion = group ? `${group}/${version}` : version;
  const resources =
    group === METRICS_GROUP && version === METRICS_VERSION
      ? METRICS_RESOURCES
      : source.kinds.all.filter((k) => k.group === group && k.version === version).flatMap((k) => resourcesOf(source, k));
  if (resources.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}
