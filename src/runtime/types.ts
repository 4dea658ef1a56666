import type { Duplex, Readable, Writable } from 'node:stream';
import type { Pod } from '../api/types.js';
import type { Store } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

/**
 * What a pod runtime is given. It watches the store for Pods it should run and writes their
 * status back (phase, conditions, containerStatuses) and records Events. It is the only part of
 * Drover that starts processes or talks to a cluster.
 */
export interface RuntimeHost {
  store: Store;
  /** Name of the Node resource whose pods this runtime runs (`spec.nodeName`). */
  nodeName: string;
  clock: Clock;
  logger: Logger;
  /** How a pod reaches the API with its ServiceAccount, once the server listens (absent without authentication). */
  apiAccess?: ApiAccess;
}

/** What a pod is given to call the API as its ServiceAccount, as a cluster's kubelet gives it. */
export interface ApiAccess {
  /** `KUBERNETES_SERVICE_HOST`/`PORT` and the CA (`ca.crt`) pods trust; undefined until the server listens. */
  endpoint(): { host: string; port: number; caPem: string } | undefined;
  /** The token of the pod's ServiceAccount, bound to the pod. */
  token(pod: { namespace: string; name: string; uid: string; serviceAccount: string }): string;
}

export interface LogOptions {
  container?: string;
  follow?: boolean;
  /** Logs of the previous attempt of a restarted container. */
  previous?: boolean;
  timestamps?: boolean;
  tailLines?: number;
  /** Only lines newer than this many seconds (the API's sinceSeconds). */
  sinceSeconds?: number;
  /** Only lines at or after this time (RFC 3339; the API's sinceTime). */
  sinceTime?: string;
  /** At most this many bytes of output (the API's limitBytes). */
  limitBytes?: number;
  /** Aborts a follow. */
  signal?: AbortSignal;
}

/** Live resource use of one pod, for `top pod`. */
export interface PodUsage {
  cpuMillicores: number;
  memoryBytes: number;
}

/** What `kubectl exec` asks to run in a running container. */
export interface ExecOptions {
  container: string;
  command: string[];
  /** Give the command a terminal (`kubectl exec -t`). */
  tty: boolean;
}

/** A command running inside a container's sandbox. */
export interface ExecProcess {
  stdin: Writable;
  stdout: Readable;
  /** Absent with a terminal: the terminal carries both. */
  stderr?: Readable;
  /** The exit code (128 + signal number when killed by a signal). */
  exited: Promise<number>;
  /** Ends the command (the client went away). */
  kill(): void;
}

/**
 * One interface for every place pods run: the local machine (bubblewrap + cgroups) or a
 * Kubernetes cluster. Controllers never see it; the server wires it to the store.
 *
 * Pod status written by a runtime follows the kubelet: phase Pending → Running → Succeeded |
 * Failed; containerStatuses[].state.{waiting,running,terminated} with exitCode and reason
 * (`Completed`, `Error`, `OOMKilled`, `ContainerCannotRun`), lastState and restartCount for
 * restartPolicy OnFailure/Always; status.startTime; conditions Initialized, ContainersReady, Ready.
 */
export interface PodRuntime {
  readonly name: string;
  /**
   * `node`: Drover's scheduler binds pods to this runtime's node (local machine).
   * `cluster`: the cluster places pods itself; Drover's scheduler only admits.
   */
  readonly placement: 'node' | 'cluster';
  /** Checks the host (bubblewrap, cgroups); throws HostRequirementError saying what to install. */
  checkHost(): Promise<void>;
  /** Begins running the pods bound to `host.nodeName`, re-adopting what still runs from before a restart. */
  start(host: RuntimeHost): Promise<void>;
  /** Stops syncing. Running containers are left alone: a later start re-adopts them. */
  stop(): Promise<void>;
  /** Streams a container's log; ends when the container ends (follow) or at the end of the file. */
  logs(pod: Pod, opts: LogOptions): AsyncIterable<string>;
  usage(pod: Pod): Promise<PodUsage | undefined>;
  /** Runs a command inside a running container (`kubectl exec`); throws a DroverError saying why not. */
  exec(pod: Pod, opts: ExecOptions): Promise<ExecProcess>;
  /**
   * Where pods reach this machine's server (their side of the bridge), once started; absent or
   * 127.0.0.1: pods share the host's network (or run elsewhere).
   */
  podAddress?(): string | undefined;
  /**
   * Claims a Service's ClusterIP where addresses are shared beyond this server (every server on a
   * machine shares its bridge): false when another holds it. Absent: the store alone decides.
   */
  claimClusterIP?(ip: string, serviceUid: string): Promise<boolean>;
  /**
   * The namespace in the DNS names pods see for objects of Drover namespace `namespace`
   * (`<svc>.<ns>.svc`); absent: the same namespace. The Kubernetes runtime runs every Drover
   * namespace in one cluster namespace.
   */
  dnsNamespace?(namespace: string): string;
  /** A connection to the pod's `port` as port-forward makes it (the pod's loopback included); rejects saying why not. */
  dialPod?(pod: Pod, port: number): Promise<Duplex>;
}
