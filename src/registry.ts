/**
 * The one list of kind families. The server, the API's paths, `drover get/describe/lint` and
 * `api-resources` read it; a new family is a folder under src/kinds and one line here.
 *
 * Loading this module loads only the families' light halves (names, columns, describers); the
 * server's halves come from `loadServerParts()`.
 */
import { KindTable, type KindInfo } from './api/kinds.js';
import type { Pod } from './api/types.js';
import type { KindAdmission, KindFamily, FamilyServer, KindWait, Subresource } from './kinds/types.js';
import type { KindValidation, ManifestLoader } from './api/manifests.js';
import { DEFAULT_PRINTER, type KindPrinter } from './print/columns.js';
import { genericDescriber, type Describer } from './print/describe.js';
import { core } from './kinds/core/index.js';
import { jobs } from './kinds/jobs/index.js';
import { workflows } from './kinds/workflows/index.js';
import { experiments } from './kinds/experiments/index.js';
import { rbac } from './kinds/rbac/index.js';
import { profiles } from './kinds/profiles/index.js';
import { training } from './kinds/training/index.js';
import { optimization } from './kinds/optimization/index.js';

export const FAMILIES: readonly KindFamily[] = [core, jobs, workflows, experiments, rbac, profiles, training, optimization];

/** Every kind Drover serves, in the order `api-resources` lists them. */
export const KINDS = new KindTable(FAMILIES.flatMap((f) => f.kinds.map((k) => k.info)));

const printers = new Map(FAMILIES.flatMap((f) => f.kinds.flatMap((k) => (k.printer ? [[k.info.kind, k.printer] as const] : []))));
const waits = new Map(FAMILIES.flatMap((f) => f.kinds.flatMap((k) => (k.wait ? [[k.info.kind, k.wait] as const] : []))));
const podLogs = new Map(FAMILIES.flatMap((f) => f.kinds.flatMap((k) => (k.logs ? [[k.info.kind, k.logs] as const] : []))));
const describers = new Map(FAMILIES.flatMap((f) => f.kinds.flatMap((k) => (k.describer ? [[k.info.kind, k.describer] as const] : []))));

/** The `get` columns of a kind (by `kind`); NAME AGE for kinds without their own. */
export function printerFor(kind: string): KindPrinter {
  return printers.get(kind) ?? DEFAULT_PRINTER;
}

/** The `describe` of a kind (by `kind`); every field for kinds without their own. */
export function describerFor(kind: string): Describer {
  return describers.get(kind) ?? genericDescriber;
}

/** How `logs KIND/NAME` finds an object's pods (by `kind`), for kinds whose logs are all their pods'. */
export function podLogsFor(kind: string): { selector(name: string): string } | undefined {
  return podLogs.get(kind);
}

/** What `wait` knows of a kind (by `kind`), if anything. */
export function waitFor(kind: string): KindWait | undefined {
  return waits.get(kind);
}

/** The families' server halves, gathered by kind. */
export interface ServerParts {
  families: readonly FamilyServer[];
  validation(info: KindInfo): KindValidation | undefined;
  admission(kind: string): KindAdmission | undefined;
  subresource(kind: string, name: string): Subresource | undefined;
  /** The family's own subresources of a kind, by name. */
  subresources(kind: string): ReadonlyMap<string, Subresource>;
  /** A family's answer for a log of a container the pod does not have, if any. */
  logContainer(pod: Pod, container: string): string | undefined;
}

/** Loads every family's server half (schemas, support tables, defaults, controllers). */
export async function loadServerParts(): Promise<ServerParts> {
  const families = await Promise.all(FAMILIES.map((f) => f.server()));
  const validation = new Map<string, KindValidation>();
  const admission = new Map<string, KindAdmission>();
  const subresources = new Map<string, Map<string, Subresource>>();
  FAMILIES.forEach((family, i) => {
    const server = families[i]!;
    for (const { info } of family.kinds) {
      const v = server.validation?.[info.kind];
      if (v) validation.set(`${info.apiVersion}/${info.kind}`, v);
      const a = server.admission?.[info.kind];
      if (a) admission.set(info.kind, a);
      subresources.set(info.kind, new Map(Object.entries(server.subresources?.[info.kind] ?? {})));
    }
  });
  return {
    families,
    validation: (info) => validation.get(`${info.apiVersion}/${info.kind}`),
    admission: (kind) => admission.get(kind),
    subresource: (kind, name) => subresources.get(kind)?.get(name),
    subresources: (kind) => subresources.get(kind) ?? new Map(),
    logContainer: (pod, container) => {
      for (const f of families) {
        const alias = f.logContainer?.(pod, container);
        if (alias) return alias;
      }
      return undefined;
    },
  };
}

/**
 * A manifest loader that validates every kind with its family's checks. The loader's module is
 * imported here, on demand, so that the CLI (which bundles this file) loads the YAML parser only
 * when it validates.
 */
export async function manifestLoader(parts?: ServerParts): Promise<ManifestLoader> {
  const [{ ManifestLoader: Loader }, { validation }] = await Promise.all([import('./api/manifests.js'), parts ?? loadServerParts()]);
  return new Loader({ kinds: KINDS, validation });
}
