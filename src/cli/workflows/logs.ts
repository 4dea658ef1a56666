/**
 * `drover logs workflow/NAME`: the logs of every step pod of a workflow, each line prefixed with
 * `POD: ` as `argo logs` prints them. Without -f the pods are printed one after another in the
 * order their steps started; with -f the steps that already ended print first in that order,
 * then every pod is followed as it starts, lines interleaved as they come, until the workflow
 * completes.
 */
import { ApiError, readLines, type Client } from '../client.js';
import type { Ctx } from '../context.js';
import { resolveKind } from '../resources.js';
import type { KubeObject, Pod } from '../../api/types.js';
import { followWorkflow } from './follow.js';
import { ansi, displayOrder } from '../../kinds/workflows/cli/tree.js';
import { asWorkflow, isWorkflowDone, nodesOf, type WorkflowObject } from '../../kinds/workflows/cli/status.js';

const WORKFLOW_LABEL = 'workflows.argoproj.io/workflow';
const NODE_NAME_ANNOTATION = 'workflows.argoproj.io/node-name';

export interface WorkflowLogOptions {
  follow: boolean;
  timestamps: boolean;
  container?: string | undefined;
  tailLines?: number | undefined;
  color: boolean;
}

/** Argo's per-pod colour: the sum of the name's character codes picks one of six. */
export function podColor(pod: string): number {
  const colors = [32, 33, 34, 35, 36, 37];
  let sum = 0;
  for (const ch of pod) sum += ch.codePointAt(0)!;
  return colors[sum % colors.length]!;
}

/**
 * Pods in the order `get workflow` lists their nodes: steps in order, a DAG's tasks by start and
 * dependency, loop items by index, the exit handler last. A pod whose node is not in the tree goes
 * after them, by creation time.
 */
export function orderPods(wf: WorkflowObject, pods: Pod[]): Pod[] {
  const position = new Map(displayOrder(wf).map((id, i) => [id, i]));
  const idByName = new Map(nodesOf(wf).map((n) => [n.name, n.id]));
  const rank = (p: Pod) => position.get(idByName.get(p.metadata?.annotations?.[NODE_NAME_ANNOTATION] ?? '') ?? '') ?? Infinity;
  const created = (p: Pod) => {
    const t = Date.parse(p.metadata?.creationTimestamp ?? '');
    return Number.isNaN(t) ? Infinity : t;
  };
  return [...pods].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb) return ra < rb ? -1 : 1;
    return created(a) - created(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
  });
}

function containerOf(pod: Pod, wanted: string | undefined): string | undefined {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  if (wanted) return names.includes(wanted) || (pod.spec?.initContainers ?? []).some((c) => c.name === wanted) ? wanted : undefined;
  // Argo's step container is `main`; Drover names a step's only container after the template's.
  return names.includes('main') ? 'main' : names[0];
}

/** The container has run (or is running), so it has a log to read. */
function hasStarted(pod: Pod, container: string): boolean {
  const cs = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((s) => s.name === container);
  return !!(cs?.state?.running || cs?.state?.terminated || cs?.lastState?.terminated || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed');
}

async function streamPod(ctx: Ctx, client: Client, namespace: string, pod: Pod, container: string, o: WorkflowLogOptions, follow: boolean): Promise<void> {
  const name = pod.metadata?.name ?? '';
  const color = o.color ? podColor(name) : undefined;
  let res;
  try {
    res = await client.logs(namespace, name, { container, follow, timestamps: o.timestamps, ...(o.tailLines !== undefined ? { tailLines: o.tailLines } : {}) });
  } catch (err) {
    // A pod that never ran, or was removed by podGC, has no log: the others still print.
    if (err instanceof ApiError) return;
    throw err;
  }
  await readLines(res, (line) => ctx.stdout.write(`${ansi(`${name}: ${line}`, color)}\n`));
}

/** Prints the workflow's logs; rejects with NotFound when there is no such workflow. */
export async function workflowLogs(ctx: Ctx, client: Client, namespace: string, name: string, o: WorkflowLogOptions): Promise<number> {
  const wfKind = resolveKind('workflows');
  const podKind = resolveKind('pods');
  const wf = asWorkflow(await client.get(wfKind, namespace, name));
  const selector = `${WORKFLOW_LABEL}=${name}`;
  if (!o.follow || isWorkflowDone(wf)) {
    const pods = (await client.list<Pod & KubeObject>(podKind, namespace, { labelSelector: selector })).items;
    for (const pod of orderPods(wf, pods)) {
      const c = containerOf(pod, o.container);
      if (c && hasStarted(pod, c)) await streamPod(ctx, client, namespace, pod, c, o, false);
    }
    return 0;
  }
  const streams = new Map<string, Promise<void>>();
  const consider = (pod: Pod) => {
    const podName = pod.metadata?.name ?? '';
    if (streams.has(podName)) return;
    const c = containerOf(pod, o.container);
    if (!c || !hasStarted(pod, c)) return;
    const p = streamPod(ctx, client, namespace, pod, c, o, true);
    p.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
    streams.set(podName, p);
  };
  // Attached late: the steps that already ended print first, whole and in the tree's order, as
  // without -f; only the running and later ones are followed (their lines interleave as they come).
  const ended = (await client.list<Pod & KubeObject>(podKind, namespace, { labelSelector: selector })).items.filter((p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed');
  for (const pod of orderPods(wf, ended)) {
    const c = containerOf(pod, o.container);
    if (!c || !hasStarted(pod, c)) continue;
    streams.set(pod.metadata?.name ?? '', Promise.resolve());
    await streamPod(ctx, client, namespace, pod, c, o, false);
  }
  const w = client.watch<Pod & KubeObject>(podKind, namespace, { labelSelector: selector }, (e) => {
    if (e.type === 'ADDED' || e.type === 'MODIFIED') consider(e.object);
  });
  // A dropped pod watch is made up for by the list after the workflow completes.
  w.done.catch(() => {});
  try {
    await followWorkflow(client, namespace, name, () => {});
    for (const pod of (await client.list<Pod & KubeObject>(podKind, namespace, { labelSelector: selector })).items) consider(pod);
    // Streams may still be starting for pods seen late; wait until no new one appears.
    for (let seen = -1; seen !== streams.size; ) {
      seen = streams.size;
      await Promise.all(streams.values());
    }
    return 0;
  } finally {
    w.stop();
  }
}
