/**
 * From what a user types (`jobs,pods`, `job/train`, `po`) to kinds and API paths. Table-driven by
 * src/registry.ts, so a kind added there works here without changes.
 */
import type { KindInfo } from '../api/kinds.js';
import { KINDS } from '../registry.js';
import { UsageError } from './args.js';
import { CliError } from './context.js';

/** `/api/v1` or `/apis/batch/v1`. */
export function apiBase(k: Pick<KindInfo, 'group' | 'version'>): string {
  return k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
}

/** The collection URL; `namespace` undefined means all namespaces (or a cluster-scoped kind). */
export function collectionPath(k: KindInfo, namespace: string | undefined): string {
  if (!k.namespaced || namespace === undefined) return `${apiBase(k)}/${k.plural}`;
  return `${apiBase(k)}/namespaces/${encodeURIComponent(namespace)}/${k.plural}`;
}

export function objectPath(k: KindInfo, namespace: string, name: string): string {
  return `${collectionPath(k, namespace)}/${encodeURIComponent(name)}`;
}

/** How kubectl names a kind in `-o name` and apply output: `job.batch`, `pod`, `configmap`. */
export function qualifiedName(k: Pick<KindInfo, 'kind' | 'group'>): string {
  return k.group ? `${k.kind.toLowerCase()}.${k.group}` : k.kind.toLowerCase();
}

/** How kubectl names a resource type in messages: `jobs.batch`, `pods`. */
export function resourceName(k: Pick<KindInfo, 'plural' | 'group'>): string {
  return k.group ? `${k.plural}.${k.group}` : k.plural;
}

/** `qualifiedName` for a manifest's apiVersion/kind, also for kinds this CLI does not know. */
export function qualifiedNameOf(apiVersion: string, kind: string): string {
  const known = KINDS.of(apiVersion, kind);
  if (known) return qualifiedName(known);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return qualifiedName({ kind, group });
}

/** Finds a kind by any of its names, or fails the way kubectl does for an unknown type. */
export function resolveKind(name: string): KindInfo {
  const k = KINDS.lookup(name);
  if (!k) throw new CliError(`the server doesn't have a resource type "${name}"`);
  return k;
}

export function kindByName(kind: string): KindInfo | undefined {
  return KINDS.named(kind);
}

/** What `get all` means: the kinds in the `all` category (the ones a user runs), in the registry's order. */
export const ALL_KINDS = KINDS.all.filter((k) => k.categories.includes('all')).map((k) => k.plural);

export interface ResourceRequest {
  kind: KindInfo;
  /** Empty means "all of this kind". */
  names: string[];
}

/**
 * Reads `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME [TYPE/NAME...]` positionals as kubectl does.
 * `all` expands to pods and jobs. Several `TYPE/NAME` of one kind are grouped, in order.
 */
export function parseResourceArgs(positionals: readonly string[], command: string): ResourceRequest[] {
  if (positionals.length === 0) throw new UsageError('you must specify the type of resource to ' + command, command);
  const first = positionals[0]!;
  if (first.includes('/')) {
    const out: ResourceRequest[] = [];
    for (const p of positionals) {
      const slash = p.indexOf('/');
      if (slash <= 0 || slash === p.length - 1) {
        throw new UsageError(`arguments in resource/name form must have a single resource and name: "${p}"`, command);
      }
      const kind = resolveKind(p.slice(0, slash));
      const name = p.slice(slash + 1);
      const existing = out.find((r) => r.kind === kind);
      if (existing) existing.names.push(name);
      else out.push({ kind, names: [name] });
    }
    return out;
  }
  const names = positionals.slice(1);
  if (names.some((n) => n.includes('/'))) {
    throw new UsageError(
      `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'drover ${command} resource/<resource_name>' instead of 'drover ${command} resource resource/<resource_name>')`,
      command,
    );
  }
  const typeNames = first.split(',').filter(Boolean).flatMap((t) => (t.toLowerCase() === 'all' ? ALL_KINDS : [t]));
  const kinds: KindInfo[] = [];
  for (const t of typeNames) {
    const k = resolveKind(t);
    if (!kinds.includes(k)) kinds.push(k);
  }
  return kinds.map((kind) => ({ kind, names: [...names] }));
}
