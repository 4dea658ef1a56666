/**
 * What the API server does to an object between validation and storage: what every kind gets
 * (identity and status are the server's, the namespace, Drover's source-dir annotation), then the
 * kind's own part from its family (src/kinds/<family>: defaults, what derives from the uid, what
 * may not change).
 */
import { randomUUID } from 'node:crypto';
import { ANNOTATIONS, DEFAULT_NAMESPACE, ForbiddenError, UnsupportedError, ValidationError, defaultPodSecurityPolicy, podSecurityIssues, type KindTable, type KubeObject, type PodSecurityPolicy } from '../api/index.js';
import type { KindAdmission, RuntimeNeed } from '../kinds/types.js';

export interface AdmissionContext {
  namespace: string;
  /** Directory of the manifest file; containers without workingDir start there. */
  sourceDir?: string;
}

/** Admission for the kinds of one table, each with its family's hooks. */
export class Admission {
  constructor(
    private readonly kinds: KindTable,
    private readonly hooks: (kind: string) => KindAdmission | undefined,
    /** What the pod runtime can give; an object needing anything else is refused. */
    private readonly runtime: { name: string; gives: ReadonlySet<RuntimeNeed> } = { name: 'local', gives: new Set(['hostPaths', 'podAccounts']) },
    /** Who pods run as and what they may ask for; every pod spec inside an object is held to it. */
    private readonly podPolicy: PodSecurityPolicy = defaultPodSecurityPolicy(),
  ) {}

  /** A copy of `input` as it will be stored: defaults filled in, server-owned fields dropped. */
  admit(input: KubeObject, ctx: AdmissionContext): KubeObject {
    const obj = structuredClone(input);
    const info = this.kinds.of(obj.apiVersion, obj.kind);
    const hooks = this.hooks(obj.kind);
    obj.metadata ??= {};
    // Identity and history are the server's; values copied from `get -o yaml` are dropped.
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'deletionTimestamp', 'managedFields'] as const) delete obj.metadata[k];
    // Status is the system's to write; a manifest's (say, from `get -o yaml`) is dropped, as Kubernetes does.
    delete obj.status;
    if (info?.namespaced) obj.metadata.namespace ??= ctx.namespace || DEFAULT_NAMESPACE;
    else delete obj.metadata.namespace;
    if (hooks?.sourceDir && ctx.sourceDir && !obj.metadata.annotations?.[ANNOTATIONS.sourceDir]) {
      obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [ANNOTATIONS.sourceDir]: ctx.sourceDir };
    }
    const need = hooks?.needs?.(obj);
    if (need && !this.runtime.gives.has(need.need)) {
      throw new UnsupportedError(`${obj.kind} "${obj.metadata.name ?? obj.metadata.generateName ?? ''}" cannot run on the ${this.runtime.name} runtime yet: ${need.why}; use the local runtime (drover up without --runtime kubernetes)`);
    }
    hooks?.defaults?.(obj);
    this.checkPodSecurity(obj, hooks);
    return obj;
  }

  /**
   * Refuses an object whose pods the policy forbids, as Kubernetes' PodSecurity admission does:
   * 403 Forbidden naming the field (422 Invalid for a spec that contradicts itself).
   */
  private checkPodSecurity(obj: KubeObject, hooks: KindAdmission | undefined): void {
    const specs = hooks?.podSpecs?.(obj) ?? [];
    if (!specs.length) return;
    const ns = obj.metadata.namespace || DEFAULT_NAMESPACE;
    const seen = new Set<string>();
    // A workflow's securityContext is every template's: say each problem once.
    const issues = specs.flatMap((s) => podSecurityIssues(s.spec, ns, this.podPolicy, s.path, s.containers)).filter((i) => !seen.has(i.message) && seen.add(i.message));
    if (!issues.length) return;
    const invalid = issues.filter((i) => i.reason === 'Invalid');
    if (invalid.length) throw new ValidationError(invalid.map((i) => ({ path: i.path, message: i.message })));
    const what = `${obj.kind.toLowerCase()}s "${obj.metadata.name ?? obj.metadata.generateName ?? ''}"`;
    throw new ForbiddenError(`${what} is forbidden: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }

  /** Gives a new object its uid before it is stored, and what Kubernetes derives from it. */
  prepareCreate(obj: KubeObject): KubeObject {
    obj.metadata.uid = randomUUID();
    this.hooks(obj.kind)?.derive?.(obj);
    return obj;
  }

  /** On apply over an existing object, keeps what prepareCreate derived, so an unchanged manifest stays unchanged. */
  inheritDerived(existing: KubeObject, next: KubeObject): KubeObject {
    this.hooks(next.kind)?.inherit?.(existing, next);
    return next;
  }

  /** The first field that `apply` may not change once the object exists, if it did. */
  /** The stored object as a read at `apiVersion` answers it (a kind served at two versions converts). */
  asVersion(obj: KubeObject, apiVersion: string): KubeObject {
    if (obj.apiVersion === apiVersion) return obj;
    return this.hooks(obj.kind)?.asVersion?.(obj, apiVersion) ?? obj;
  }

  immutableChange(prev: KubeObject, next: KubeObject): string | undefined {
    return this.hooks(next.kind)?.immutableChange?.(prev, next);
  }
}
