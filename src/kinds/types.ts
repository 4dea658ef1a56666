/**
 * What a family of kinds tells the rest of Drover about itself: one `KindFamily` per folder under
 * src/kinds, listed once in src/registry.ts.
 *
 * A family has two halves. What every process may need (the kinds' names, scope, `get` columns and
 * `describe`) is plain data, loaded by the CLI too. What only the server and `drover lint` need
 * (schemas, the support table, defaults, controllers) comes from `server()`, imported on demand,
 * so `drover get` never loads a schema package or a controller.
 */
import type { FieldIssue, KindInfo, KindTable, KindValidation, KubeObject, Pod } from '../api/index.js';
import type { DroverConfig } from '../config/index.js';
import type { KindPrinter } from '../print/columns.js';
import type { Describer } from '../print/describe.js';
import type { PodRuntime } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

/** One kind as the CLI and the API know it. */
export interface KindEntry {
  info: KindInfo;
  /** `get` columns; NAME AGE when absent. */
  printer?: KindPrinter;
  /** `describe`; the generic describer (every field) when absent. */
  describer?: Describer;
  /** What `wait` shows and knows of the kind. */
  wait?: KindWait;
  /** `logs KIND/NAME`: every pod of the object (each line prefixed), found by this label selector. */
  logs?: { selector(name: string): string };
}

/** What `wait --for` asks of an object: a condition's status, or a field's value (`jsonpath=`). */
export type WaitTarget =
  | { type: 'condition'; condition: string; value: string }
  | { type: 'jsonpath'; path: readonly (string | number)[]; value: string };

export interface KindWait {
  /** The state shown while waiting (`1 active, 0 succeeded`); the phase or true conditions when absent. */
  progress?(obj: KubeObject): string;
  /** Why `target` can never be met now (the object ended otherwise), said at once; undefined to keep waiting. */
  unreachable?(obj: KubeObject, target: WaitTarget): string | undefined;
}

export interface KindFamily {
  /** The folder's name: `jobs`, `workflows`. */
  readonly name: string;
  readonly kinds: readonly KindEntry[];
  /** The server's half, loaded only by the server and `drover lint`. */
  server(): Promise<FamilyServer>;
}

export interface FamilyServer {
  /** How each kind (by `kind`) is validated; a kind without an entry gets the metadata rules only. */
  validation?: Readonly<Record<string, KindValidation>>;
  /** What the API server does to each kind (by `kind`) between validation and storage. */
  admission?: Readonly<Record<string, KindAdmission>>;
  /** The controllers that make the family's kinds so, started with the server. */
  controllers?(deps: ControllerDeps): Controller[];
  /**
   * The container whose log answers a request for `container`, a name the pod does not have
   * (a sidecar upstream injects and Drover does not need), or undefined.
   */
  logContainer?(pod: Pod, container: string): string | undefined;
  /** Subresources the API serves for each kind (by `kind`, then the subresource's name). */
  subresources?: Readonly<Record<string, Readonly<Record<string, Subresource>>>>;
}

/** One call to an object's subresource (`PUT …/workflows/NAME/retry`). */
export interface SubresourceCall {
  method: string;
  namespace: string;
  name: string;
  store: Store;
  /** The request's JSON body (read only when asked for). */
  body(): Promise<unknown>;
  now(): number;
}

/** Answers a subresource call with the JSON to send back (200), or throws a DroverError. */
export type SubresourceHandler = (call: SubresourceCall) => Promise<unknown>;

export interface Subresource {
  /** What API discovery lists for it: `update` for PUT, `get`, `create` for POST. */
  verbs: readonly string[];
  handle: SubresourceHandler;
}

/** What an object may need of the pod runtime beyond running its pods. */
export type RuntimeNeed =
  /** Its pods mount directories of the server's own machine (a workflow step's staging files). */
  | 'hostPaths'
  /** Its pods run under a ServiceAccount and Role the controller makes (not mirrored to a cluster). */
  | 'podAccounts';

/** One pod spec inside an object, at `path`; `containers` when they do not sit at `path.containers`. */
export interface PodSpecAt {
  path: string;
  spec: unknown;
  containers?: { path: string; container: unknown }[];
}

/** A kind's part of admission; every hook but `needs` mutates the object it is given. */
export interface KindAdmission {
  /** What `obj` needs of the runtime, and why in words: refused by name on a runtime without it. */
  needs?(obj: KubeObject): { need: RuntimeNeed; why: string } | undefined;
  /** Containers without workingDir start in the manifest's directory (annotated on the object). */
  sourceDir?: boolean;
  /**
   * The pod specs inside the object (a Pod's spec, a Job's template, each Argo template as the pod
   * it becomes), each with its field path: admission holds them to the pod security policy, so a
   * privileged template is refused at the object the user wrote, not later at its pods.
   */
  podSpecs?(obj: KubeObject): PodSpecAt[];
  /** The defaults a cluster fills in (API server or the upstream webhook), so `get -o yaml` shows the same. */
  defaults?(obj: KubeObject): void;
  /** What Kubernetes derives from a new object's uid (a Job's selector, a claim's volume name). */
  derive?(obj: KubeObject): void;
  /** On apply over an existing object, keeps what `derive` made, so an unchanged manifest stays unchanged. */
  inherit?(existing: KubeObject, next: KubeObject): void;
  /**
   * The stored object as a read at `apiVersion` (another served version of the kind) answers it;
   * absent: every version reads the stored object as it is.
   */
  asVersion?(obj: KubeObject, apiVersion: string): KubeObject;
  /** The first field that may not change once created and did (`spec.template`), if any. */
  immutableChange?(prev: KubeObject, next: KubeObject): string | undefined;
}

/** What a controller is given; everything it touches comes through here. */
export interface ControllerDeps {
  store: Store;
  /** Every kind the server serves. */
  kinds: KindTable;
  runtime: PodRuntime;
  clock: Clock;
  logger: Logger;
  config: DroverConfig;
  /** Admission as for an object a user created: for objects a controller makes (a trial's Job). */
  admit(obj: KubeObject): KubeObject;
  /** The manifest checks of a user's request, for objects a user's template describes (a resource step's). */
  validate(obj: KubeObject): FieldIssue[];
  /** The API's URL, known once the server listens (pods that push metrics are told it). */
  apiUrl(): string;
  /** A credential good for requests to `path` only, for a pod to send (`?token=`). */
  podToken(path: string): string;
}

export interface Controller {
  start(): Promise<void>;
  stop(): void;
}
