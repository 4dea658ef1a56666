/**
 * What Drover knows of a kind's identity: its names, group, version and scope. The kinds
 * themselves are declared by their families (src/kinds/<family>) and gathered into one
 * `KindTable` by src/registry.ts, which drives the HTTP paths, the CLI's kind lookup and the
 * store's keys.
 */

export interface KindInfo {
  /** `v1` or `group/version`, as written in manifests. */
  apiVersion: string;
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural used in URLs (`jobs`). */
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  /** Users may create it with `apply`; otherwise only Drover makes it (Nodes, Events). */
  userCreatable: boolean;
  /** Groups a user may name instead of the kind (`kubectl get all`). */
  categories: string[];
  /** It has a `status` the system writes (served as the `status` subresource). */
  hasStatus: boolean;
  /**
   * A map under `status` whose entries the store keeps as rows of their own (a workflow's
   * `nodes`): a status write stores the entries that changed, not the whole map again.
   */
  statusRows?: string;
}

export interface KindOptions {
  shortNames?: string[];
  /** Cluster-scoped when false (Namespace, Node). Default true. */
  namespaced?: boolean;
  /** Default true; false for kinds only Drover makes (Nodes, Events, Trials). */
  userCreatable?: boolean;
  categories?: string[];
  /** Default true; false for kinds without a status (ConfigMaps, Secrets, Events). */
  hasStatus?: boolean;
  statusRows?: string;
}

/** Declares a kind: `defineKind('batch/v1', 'Job', 'jobs')`. */
export function defineKind(apiVersion: string, kindName: string, plural: string, opts: KindOptions = {}): KindInfo {
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  return {
    apiVersion,
    group,
    version,
    kind: kindName,
    plural,
    singular: kindName.toLowerCase(),
    shortNames: opts.shortNames ?? [],
    namespaced: opts.namespaced ?? true,
    userCreatable: opts.userCreatable ?? true,
    categories: opts.categories ?? [],
    hasStatus: opts.hasStatus ?? true,
    ...(opts.statusRows ? { statusRows: opts.statusRows } : {}),
  };
}

/** Store key of a kind: `Job.batch`, `Pod` (core kinds have no group). */
export function kindKey(k: Pick<KindInfo, 'kind' | 'group'>): string {
  return k.group ? `${k.kind}.${k.group}` : k.kind;
}

/** The kinds a server or CLI serves, and the lookups every layer needs over them. */
export class KindTable {
  readonly all: readonly KindInfo[];

  constructor(kinds: readonly KindInfo[]) {
    const seen = new Set<string>();
    for (const k of kinds) {
      const key = `${k.apiVersion}/${k.kind}`;
      if (seen.has(key)) throw new Error(`kind ${key} is declared twice`);
      seen.add(key);
    }
    this.all = kinds;
  }

  /** Finds a kind by what a user typed: `jobs`, `job`, `Job`, `po`, `jobs.batch`. */
  lookup(name: string): KindInfo | undefined {
    const lower = name.toLowerCase();
    const dot = lower.indexOf('.');
    const base = dot >= 0 ? lower.slice(0, dot) : lower;
    const group = dot >= 0 ? lower.slice(dot + 1) : undefined;
    return this.all.find((k) => (group === undefined || k.group === group) && (k.plural === base || k.singular === base || k.shortNames.includes(base)));
  }

  /** Finds a kind from a manifest's `apiVersion` and `kind`. */
  of(apiVersion: string, kindName: string): KindInfo | undefined {
    return this.all.find((k) => k.apiVersion === apiVersion && k.kind === kindName);
  }

  /** Finds a kind by its `kind` alone (the first of that name). */
  named(kindName: string): KindInfo | undefined {
    return this.all.find((k) => k.kind === kindName);
  }

  byPlural(group: string, plural: string, version?: string): KindInfo | undefined {
    return this.all.find((k) => k.group === group && k.plural === plural && (version === undefined || k.version === version));
  }
}
