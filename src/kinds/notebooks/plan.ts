/**
 * One reconcile of a Notebook, decided without I/O: the pod it should have (a StatefulSet's single
 * replica `<name>-0`, as Kubeflow's controller makes it), whether the pod there must go (stopped,
 * or made from an older template), and the status upstream writes (readyReplicas, the notebook
 * container's state, the pod's conditions).
 */
import type { KubeObject, Pod, Stored } from '../../api/types.js';
import { fnv32a } from '../../util/hash.js';
import { notebookEnvironment } from './env.js';
import { type Notebook, type NotebookCondition, type NotebookStatus, NOTEBOOK_ANNOTATIONS, NOTEBOOK_API_VERSION, NOTEBOOK_LABELS, NOTEBOOK_PORT, isStopped, notebookPodName, notebookPrefix } from './types.js';

/** Where upstream's controller starts the notebook container when it says nothing else. */
export const DEFAULT_WORKING_DIR = '/home/jovyan';
/** The emptyDir that stands for an image's home when no volume is mounted there. */
export const HOME_VOLUME = 'drover-home';

export interface PlanInput {
  nb: Notebook;
  /** The pod `<name>-0` if there is one (owned by this notebook). */
  pod: Stored<Pod> | undefined;
  jupyterEnv: string;
  now: number;
  /** The ServiceAccount a pod whose template names none runs as (`default-editor`); none: the namespace's `default`. */
  serviceAccount?: string;
}

export interface NotebookPlan {
  /** Delete the pod there (stopped, or its template changed); a new one comes once it has gone. */
  deletePod: boolean;
  /** Create this pod. */
  create?: Stored<Pod>;
  status: NotebookStatus;
}

interface MutableContainer {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  ports?: { containerPort: number; name?: string; protocol?: string }[];
  [k: string]: unknown;
}

/** A stable hash of what the pod is made from: the template and the notebook's labels. */
export function templateHash(nb: Notebook): string {
  return fnv32a(JSON.stringify([nb.spec.template, nb.metadata.labels ?? {}])).toString(16);
}

/** The pod a notebook runs as. */
export function notebookPod(nb: Notebook, jupyterEnv: string, serviceAccount?: string): Stored<Pod> {
  const name = nb.metadata.name!;
  const namespace = nb.metadata.namespace!;
  const prefix = notebookPrefix(namespace, name);
  const spec = structuredClone(nb.spec.template.spec) as unknown as { containers: MutableContainer[]; restartPolicy?: string; hostname?: string; [k: string]: unknown };
  const c = spec.containers[0]!;
  if (!c.workingDir) {
    c.workingDir = DEFAULT_WORKING_DIR;
    // Kubeflow's images have a writable /home/jovyan; here, without a workspace volume there, the
    // home is an emptyDir (kept across container restarts, not across a stop).
    const mounts = ((c as { volumeMounts?: { mountPath: string }[] }).volumeMounts ??= []);
    if (!mounts.some((m) => m.mountPath.replace(/\/+$/, '') === DEFAULT_WORKING_DIR)) {
      mounts.push({ mountPath: DEFAULT_WORKING_DIR, name: HOME_VOLUME } as never);
      ((spec as { volumes?: unknown[] }).volumes ??= []).push({ name: HOME_VOLUME, emptyDir: {} });
    }
  }
  if (!c.ports || c.ports.length === 0) c.ports = [{ containerPort: NOTEBOOK_PORT, name: 'notebook-port', protocol: 'TCP' }];
  const env = (c.env ??= []);
  const set = (k: string, v: string, replace: boolean) => {
    const i = env.findIndex((e) => e.name === k);
    if (i < 0) env.push({ name: k, value: v });
    else if (replace) env[i] = { name: k, value: v };
  };
  set('NB_PREFIX', prefix, true);
  const environment = notebookEnvironment(c.image, { jupyterEnv, prefix, port: NOTEBOOK_PORT, home: c.workingDir });
  if (environment) {
    for (const [k, v] of Object.entries(environment.env)) set(k, v, false);
    if (!c.command?.length && !c.args?.length) c.command = environment.command;
  }
  // Kubeflow's web app writes `default-editor` into every notebook: the code in it may use the API
  // in its namespace. A template that names an account keeps it.
  const sa = spec as { serviceAccountName?: string; serviceAccount?: string };
  if (serviceAccount && !sa.serviceAccountName && !sa.serviceAccount) sa.serviceAccountName = serviceAccount;
  // A StatefulSet's pods always restart; its pod's hostname is the pod's name.
  spec.restartPolicy = 'Always';
  spec.hostname ??= notebookPodName(name);
  const tmeta = nb.spec.template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: notebookPodName(name),
      namespace,
      labels: { ...(tmeta.labels ?? {}), ...(nb.metadata.labels ?? {}), [NOTEBOOK_LABELS.statefulSet]: name, [NOTEBOOK_LABELS.name]: name },
      annotations: { ...(tmeta.annotations ?? {}), [NOTEBOOK_ANNOTATIONS.templateHash]: templateHash(nb) },
      ownerReferences: [{ apiVersion: NOTEBOOK_API_VERSION, kind: 'Notebook', name, uid: nb.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: spec as unknown as Pod['spec'],
  } as Stored<Pod>;
}

function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Upstream's status from the pod: a missing pod (stopped, not made yet) gives the empty status. */
export function notebookStatus(nb: Notebook, pod: Stored<Pod> | undefined, now: number): NotebookStatus {
  const status: NotebookStatus = { conditions: [], readyReplicas: 0, containerState: {} };
  if (!pod?.status) return status;
  const ready = pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  status.readyReplicas = ready && !pod.metadata.deletionTimestamp ? 1 : 0;
  // The container named as the notebook (Kubeflow's web app names it so), else the first.
  const statuses = pod.status.containerStatuses ?? [];
  const cs = statuses.find((s) => s.name === nb.metadata.name) ?? statuses.find((s) => s.name === pod.spec?.containers[0]?.name);
  if (cs?.state) status.containerState = structuredClone(cs.state) as Record<string, unknown>;
  // Pod conditions mirrored; a time the pod left empty is now, as upstream fills it.
  status.conditions = (pod.status.conditions ?? []).map((c): NotebookCondition => ({
    type: c.type,
    status: c.status,
    lastProbeTime: c.lastProbeTime ?? iso(now),
    lastTransitionTime: c.lastTransitionTime ?? iso(now),
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  }));
  return status;
}

/** Whether two statuses say the same, probe times aside (they would change every pass). */
export function sameStatus(a: NotebookStatus | undefined, b: NotebookStatus): boolean {
  if (!a) return false;
  const strip = (s: NotebookStatus) => JSON.stringify({ ...s, conditions: s.conditions.map(({ lastProbeTime: _p, ...c }) => c) });
  return strip(a) === strip(b);
}

export function planNotebook(input: PlanInput): NotebookPlan {
  const { nb, pod, now } = input;
  const stopped = isStopped(nb);
  const stale = pod !== undefined && pod.metadata.annotations?.[NOTEBOOK_ANNOTATIONS.templateHash] !== templateHash(nb);
  const deletePod = pod !== undefined && !pod.metadata.deletionTimestamp && (stopped || stale);
  const create = !stopped && pod === undefined ? notebookPod(nb, input.jupyterEnv, input.serviceAccount) : undefined;
  const shown = stopped || deletePod ? undefined : pod;
  return { deletePod, ...(create ? { create } : {}), status: notebookStatus(nb, shown, now) };
}

/** The owner reference check: the pod is this notebook's. */
export function ownedBy(pod: KubeObject, nb: KubeObject): boolean {
  return pod.metadata.ownerReferences?.some((r) => r.uid === nb.metadata.uid && r.controller) ?? false;
}
