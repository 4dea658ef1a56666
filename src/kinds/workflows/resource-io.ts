/**
 * What a resource node's action does to the store, for the workflow controller (resource.ts
 * decides what to ask). Every write goes through the checks a user's request meets — validation
 * and admission (pod security included) — and stays in the workflow's namespace: a template can
 * do no more than its author could there. A create labels its object with the node, so the same
 * action asked again after a restart finds that object instead of making a second one.
 */
import { createHash } from 'node:crypto';
import { parseDocument } from 'yaml';
import { DroverError, NotFoundError } from '../../api/errors.js';
import type { FieldIssue } from '../../api/errors.js';
import type { KindInfo, KindTable } from '../../api/kinds.js';
import { parseSelector, selectorFromMap } from '../../api/selectors.js';
import type { KubeObject } from '../../api/types.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../server/patch.js';
import type { Store } from '../../store/index.js';
import type { ResourceOutcome, ResourceRequest } from './io.js';
import type { Workflow } from './types.js';

export interface ResourceDeps {
  store: Store;
  kinds: KindTable;
  /** The manifest checks of a user's request (field paths and what was expected). */
  validate(obj: KubeObject): FieldIssue[];
  /** Admission as for a user's create (defaults, pod security); throws what the API would answer. */
  admit(obj: KubeObject): KubeObject;
}

/** The label a resource node's created object carries (a hash: node ids may be longer than a label value). */
export const RESOURCE_NODE_LABEL = 'drover.dev/resource-node';

export function resourceNodeLabel(wfUid: string, nodeId: string): string {
  return createHash('sha256').update(`${wfUid}/${nodeId}`).digest('hex').slice(0, 40);
}

class ResourceError extends Error {}

function parseManifest(text: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new ResourceError(`resource.manifest is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  return doc.toJS();
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The manifest as an object of a kind the server serves, in the workflow's namespace. */
function objectOf(d: ResourceDeps, value: unknown, ns: string): { obj: KubeObject; info: KindInfo } {
  const obj = record(value) as KubeObject | undefined;
  if (!obj || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') throw new ResourceError('resource.manifest must be one object with apiVersion and kind');
  const info = d.kinds.of(obj.apiVersion, obj.kind);
  if (!info) throw new ResourceError(`resource.manifest: no kind ${obj.kind} in ${obj.apiVersion} is served here`);
  if (!info.namespaced) throw new ResourceError(`resource.manifest: ${obj.kind} is cluster-scoped; a resource template acts only in its workflow's namespace (${ns})`);
  obj.metadata ??= {};
  if (obj.metadata.namespace && obj.metadata.namespace !== ns) throw new ResourceError(`resource.manifest: namespace ${obj.metadata.namespace}: a resource template acts only in its workflow's namespace (${ns})`);
  obj.metadata.namespace = ns;
  return { obj, info };
}

/** The kind flags name, served here and in the workflow's namespace. */
function kindOfFlag(d: ResourceDeps, kind: string, ns: string): KindInfo {
  const info = d.kinds.lookup(kind);
  if (!info) throw new ResourceError(`resource flags: no kind ${JSON.stringify(kind)} is served here`);
  if (!info.namespaced) throw new ResourceError(`resource flags: ${info.kind} is cluster-scoped; a resource template acts only in its workflow's namespace (${ns})`);
  return info;
}

/** The object a get, patch or delete names: by flags (`pod NAME`), else by the manifest. */
function targetOf(d: ResourceDeps, req: ResourceRequest, ns: string): { apiVersion: string; kind: string; namespace: string; name: string } {
  if (req.target && 'name' in req.target) {
    const info = kindOfFlag(d, req.target.kind, ns);
    return { apiVersion: info.apiVersion, kind: info.kind, namespace: ns, name: req.target.name };
  }
  const { obj } = objectOf(d, parseManifest(req.manifest), ns);
  if (!obj.metadata.name) throw new ResourceError(`resource.manifest: metadata.name is required to ${req.action} an object`);
  return { apiVersion: obj.apiVersion, kind: obj.kind, namespace: ns, name: obj.metadata.name };
}

function checked(d: ResourceDeps, obj: KubeObject): void {
  const issues = d.validate(obj);
  if (issues.length) throw new ResourceError(`resource.manifest: ${issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`).join('; ')}`);
}

/** An existing object changed to `next`: checked as an update from a user is, then stored. */
async function update(d: ResourceDeps, next: KubeObject): Promise<KubeObject> {
  checked(d, next);
  d.admit(structuredClone(next)); // its checks only: identity and status stay the stored object's
  return d.store.replace(next);
}

async function create(d: ResourceDeps, wf: Workflow, req: ResourceRequest, obj: KubeObject): Promise<KubeObject> {
  const label = resourceNodeLabel(wf.metadata.uid ?? '', req.nodeId);
  // Made already by this node (asked again after a restart): that one, not a second.
  const mine = await d.store.list({ apiVersion: obj.apiVersion, kind: obj.kind }, { namespace: obj.metadata.namespace!, labelSelector: selectorFromMap({ [RESOURCE_NODE_LABEL]: label }) });
  if (mine.items[0]) return mine.items[0];
  obj.metadata.labels = { ...(obj.metadata.labels ?? {}), [RESOURCE_NODE_LABEL]: label };
  if (req.setOwnerReference) obj.metadata.ownerReferences = [...(obj.metadata.ownerReferences ?? []), { apiVersion: wf.apiVersion, kind: wf.kind, name: wf.metadata.name!, uid: wf.metadata.uid!, blockOwnerDeletion: true }];
  checked(d, obj);
  return d.store.create(d.admit(obj));
}

/** Does what `req` asks; what went wrong is the outcome's error, in words for the node's message. */
export async function performResource(d: ResourceDeps, wf: Workflow, req: ResourceRequest): Promise<ResourceOutcome> {
  const ns = wf.metadata.namespace ?? 'default';
  try {
    if (req.ref) {
      const found = await d.store.get({ ...req.ref, namespace: ns });
      return found ? { object: found as unknown as Record<string, unknown> } : { error: `${req.ref.kind.toLowerCase()}/${req.ref.name} no longer exists` };
    }
    let result: KubeObject | undefined;
    switch (req.action) {
      case 'create':
        result = await create(d, wf, req, objectOf(d, parseManifest(req.manifest), ns).obj);
        break;
      case 'apply':
      case 'replace': {
        const { obj } = objectOf(d, parseManifest(req.manifest), ns);
        const existing = obj.metadata.name ? await d.store.get({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: ns, name: obj.metadata.name }) : undefined;
        if (!existing) {
          if (req.action === 'replace') throw new ResourceError(`${obj.kind.toLowerCase()}/${obj.metadata.name ?? ''} not found: replace needs an existing object`);
          result = await create(d, wf, req, obj);
          break;
        }
        const { status: _status, ...wanted } = obj as KubeObject & { status?: unknown };
        // apply merges the manifest into what is there (labels, annotations and spec fields it
        // names); replace takes the manifest whole. Either keeps the object's identity and status.
        const next = (req.action === 'apply' ? strategicMergePatch(existing, wanted) : { ...wanted, status: (existing as { status?: unknown }).status }) as unknown as KubeObject;
        next.metadata = { ...next.metadata, uid: existing.metadata.uid, resourceVersion: existing.metadata.resourceVersion, creationTimestamp: existing.metadata.creationTimestamp, namespace: ns, name: existing.metadata.name };
        result = await update(d, next);
        break;
      }
      case 'patch': {
        const ref = targetOf(d, req, ns);
        const existing = await d.store.get(ref);
        if (!existing) throw new ResourceError(`${ref.kind.toLowerCase()}/${ref.name} not found`);
        const body = parseManifest(req.manifest);
        const patched = (req.mergeStrategy === 'json' ? jsonPatch(existing, body) : req.mergeStrategy === 'merge' ? mergePatch(existing, body) : strategicMergePatch(existing, body)) as unknown as KubeObject;
        patched.metadata = { ...patched.metadata, uid: existing.metadata.uid, resourceVersion: existing.metadata.resourceVersion, namespace: ns, name: existing.metadata.name };
        result = await update(d, patched);
        break;
      }
      case 'get': {
        const ref = targetOf(d, req, ns);
        result = await d.store.get(ref);
        if (!result) throw new ResourceError(`${ref.kind.toLowerCase()}/${ref.name} not found`);
        break;
      }
      case 'delete': {
        if (req.target && 'selector' in req.target) {
          // Every object of the kind the selector matches; none is no failure, as with kubectl.
          const info = kindOfFlag(d, req.target.kind, ns);
          const found = await d.store.list({ apiVersion: info.apiVersion, kind: info.kind }, { namespace: ns, labelSelector: parseSelector(req.target.selector) });
          for (const o of found.items) await d.store.delete({ apiVersion: info.apiVersion, kind: info.kind, namespace: ns, name: o.metadata.name! }).catch((err: unknown) => {
            if (!(err instanceof NotFoundError)) throw err;
          });
          break;
        }
        const ref = targetOf(d, req, ns);
        try {
          result = (await d.store.delete(ref))[0];
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
          if (!req.ignoreNotFound) throw new ResourceError(`${ref.kind.toLowerCase()}/${ref.name} not found`);
        }
        break;
      }
    }
    return result ? { object: result as unknown as Record<string, unknown> } : {};
  } catch (err) {
    // Whatever went wrong ends the step with it: asking again would only fail again.
    return { error: err instanceof ResourceError || err instanceof DroverError ? err.message : `${req.action} failed: ${(err as Error).message}` };
  }
}
