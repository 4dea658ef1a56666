/**
 * Parses Kubernetes-shaped API paths into what they address:
 *   /api/v1/namespaces/{ns}/{plural}[/{name}[/{subresource}]]
 *   /apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}[/{subresource}]]
 *   /api/v1/{plural}[/{name}]   (cluster-scoped kinds, or every namespace)
 */
import type { KindInfo, KindTable } from '../api/kinds.js';

export interface ResourcePath {
  kind: KindInfo;
  /** Undefined: all namespaces (lists) or a cluster-scoped kind. */
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function parseResourcePath(pathname: string, kinds: KindTable): ResourcePath | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    [group, version, rest] = ['', parts[1]!, parts.slice(2)];
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
  } else return undefined;
  const find = (plural: string) => kinds.byPlural(group, plural, version);
  // `namespaces/{ns}/{plural}/...` addresses a namespaced kind; `namespaces[/{name}]` the Namespace kind itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const kind = find(rest[2]!);
    if (!kind || !kind.namespaced) return undefined;
    return { kind, namespace: rest[1]!, name: rest[3], subresource: rest[4] };
  }
  const kind = find(rest[0]!);
  if (!kind) return undefined;
  return { kind, name: rest[1], subresource: rest[2] };
}

/** The path of one object or a collection, the inverse of parseResourcePath. */
export function resourcePath(kind: KindInfo, namespace?: string, name?: string): string {
  const base = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
  const ns = kind.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${kind.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}
