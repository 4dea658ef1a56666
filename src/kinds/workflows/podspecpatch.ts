/**
 * `podSpecPatch` (the workflow's, then the template's), as Argo applies it: substituted first, read
 * as YAML or JSON, and merged into the step's pod spec the way a strategic merge patch merges a
 * PodSpec (containers and env by name, maps key by key, the rest replaced).
 *
 * The pod is built by the controller, after the workflow was admitted, so a patch could otherwise
 * carry what admission refuses. Only what the examples and users patch is taken (a container's
 * resources and env; the pod's deadline, node selector, tolerations, priority class); any other
 * field is refused by name, and the step ends in Error saying so.
 */
import { parse } from 'yaml';
import { parseQuantity } from '../../api/quantity.js';
import type { Pod } from '../../api/types.js';

type PodSpec = NonNullable<Pod['spec']>;
type Container = PodSpec['containers'][number];

export interface PodSpecPatch {
  containers?: { name: string; resources?: { limits?: Record<string, string>; requests?: Record<string, string> }; env?: { name: string; value?: string }[] }[];
  activeDeadlineSeconds?: number;
  nodeSelector?: Record<string, string>;
  tolerations?: NonNullable<PodSpec['tolerations']>;
  priorityClassName?: string;
}

/** Why a patch cannot be taken; the pass turns it into the step's error. */
export class PodSpecPatchError extends Error {}

const POD_FIELDS = new Set(['containers', 'activeDeadlineSeconds', 'nodeSelector', 'tolerations', 'priorityClassName']);
const CONTAINER_FIELDS = new Set(['name', 'resources', 'env']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads one patch (already substituted); throws PodSpecPatchError naming the field that cannot be taken. */
export function readPodSpecPatch(owner: string, text: string): PodSpecPatch {
  const fail = (field: string, why: string): never => {
    throw new PodSpecPatchError(`${owner}podSpecPatch${field ? `: ${field}` : ''}: ${why}`);
  };
  if (text.includes('{{')) fail('', `"${text.trim().slice(0, 120)}" refers to a value that is not defined here`);
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 0 });
  } catch (err) {
    fail('', `not YAML or JSON: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) return fail('', 'expected a pod spec (a mapping)');
  const supported = `supported: ${[...POD_FIELDS].join(', ')}; in a container: ${[...CONTAINER_FIELDS].join(', ')}`;
  for (const k of Object.keys(doc)) if (!POD_FIELDS.has(k)) fail(k, `not supported in a patch (${supported})`);
  const out: PodSpecPatch = {};
  if (doc['containers'] !== undefined) {
    if (!Array.isArray(doc['containers'])) fail('containers', 'expected a list');
    out.containers = (doc['containers'] as unknown[]).map((c, i) => {
      const at = `containers[${i}]`;
      if (!isRecord(c)) return fail(at, 'expected a container (a mapping)');
      for (const k of Object.keys(c)) if (!CONTAINER_FIELDS.has(k)) fail(`${at}.${k}`, `not supported in a patch (${supported})`);
      if (typeof c['name'] !== 'string' || !c['name']) fail(`${at}.name`, 'required: the container to patch (a step runs one, "main")');
      const container: NonNullable<PodSpecPatch['containers']>[number] = { name: c['name'] as string };
      if (c['resources'] !== undefined) {
        if (!isRecord(c['resources'])) fail(`${at}.resources`, 'expected a mapping');
        const res = c['resources'] as Record<string, unknown>;
        const resources: Record<string, Record<string, string>> = {};
        container.resources = resources;
        for (const [kind, list] of Object.entries(res)) {
          if (kind !== 'limits' && kind !== 'requests') fail(`${at}.resources.${kind}`, 'expected limits or requests');
          if (!isRecord(list)) fail(`${at}.resources.${kind}`, 'expected a mapping of resource names to quantities');
          const q: Record<string, string> = {};
          for (const [name, value] of Object.entries(list as Record<string, unknown>)) {
            const s = typeof value === 'number' ? String(value) : value;
            let ok = typeof s === 'string';
            try {
              ok = ok && parseQuantity(s as string) >= 0;
            } catch {
              ok = false;
            }
            if (!ok) fail(`${at}.resources.${kind}.${name}`, `invalid value ${JSON.stringify(value)}: expected a quantity of zero or more, such as "500m" or "1Gi"`);
            q[name] = s as string;
          }
          resources[kind] = q;
        }
      }
      if (c['env'] !== undefined) {
        if (!Array.isArray(c['env'])) fail(`${at}.env`, 'expected a list');
        container.env = (c['env'] as unknown[]).map((e, j) => {
          if (!isRecord(e) || typeof e['name'] !== 'string' || Object.keys(e).some((k) => k !== 'name' && k !== 'value')) return fail(`${at}.env[${j}]`, 'expected {name, value}');
          return { name: e['name'] as string, ...(e['value'] !== undefined ? { value: String(e['value']) } : {}) };
        });
      }
      return container;
    });
  }
  const deadline = doc['activeDeadlineSeconds'];
  if (deadline !== undefined) {
    if (!Number.isSafeInteger(deadline) || (deadline as number) < 1) fail('activeDeadlineSeconds', `invalid value ${JSON.stringify(deadline)}: expected a whole number of at least 1`);
    out.activeDeadlineSeconds = deadline as number;
  }
  if (doc['nodeSelector'] !== undefined) {
    if (!isRecord(doc['nodeSelector']) || Object.values(doc['nodeSelector']).some((v) => typeof v !== 'string')) fail('nodeSelector', 'expected a mapping of label names to strings');
    out.nodeSelector = doc['nodeSelector'] as Record<string, string>;
  }
  if (doc['tolerations'] !== undefined) {
    if (!Array.isArray(doc['tolerations']) || !doc['tolerations'].every(isRecord)) fail('tolerations', 'expected a list of tolerations');
    out.tolerations = doc['tolerations'] as PodSpecPatch['tolerations'];
  }
  if (doc['priorityClassName'] !== undefined) {
    if (typeof doc['priorityClassName'] !== 'string') fail('priorityClassName', 'expected a string');
    out.priorityClassName = doc['priorityClassName'] as string;
  }
  return out;
}

/** The spec with `patch` merged in (the pass has checked that each container it names is in the pod). */
export function applyPodSpecPatch(spec: PodSpec, patch: PodSpecPatch): PodSpec {
  const next: PodSpec = { ...spec };
  if (patch.containers) {
    const containers = [...spec.containers];
    for (const p of patch.containers) {
      const i = containers.findIndex((c) => c.name === p.name);
      if (i < 0) continue;
      const c: Container = { ...containers[i]! };
      if (p.resources) {
        const res = { ...(c.resources ?? {}) };
        if (p.resources.limits) res.limits = { ...(res.limits ?? {}), ...p.resources.limits };
        if (p.resources.requests) res.requests = { ...(res.requests ?? {}), ...p.resources.requests };
        c.resources = res;
      }
      if (p.env) {
        const env = [...(c.env ?? [])];
        for (const e of p.env) {
          const j = env.findIndex((x) => x.name === e.name);
          if (j >= 0) env[j] = e;
          else env.push(e);
        }
        c.env = env;
      }
      containers[i] = c;
    }
    next.containers = containers;
  }
  if (patch.activeDeadlineSeconds !== undefined) next.activeDeadlineSeconds = patch.activeDeadlineSeconds;
  if (patch.nodeSelector) next.nodeSelector = { ...(spec.nodeSelector ?? {}), ...patch.nodeSelector };
  if (patch.tolerations) next.tolerations = patch.tolerations;
  if (patch.priorityClassName !== undefined) next.priorityClassName = patch.priorityClassName;
  return next;
}
