/**
 * Places pending Pods on Nodes by their requests, highest priority first and oldest first
 * within a priority. A pod that fits nowhere stays Pending with a `PodScheduled=False`
 * condition whose message reads as kube-scheduler's, and does not block smaller pods behind it.
 */
import { ANNOTATIONS, type Node, type Pod, type PodCondition, type Stored } from '../api/types.js';
import { podRequests, isPodTerminal, type PodRequests } from '../api/pods.js';
import { cpuMillis, parseQuantity } from '../api/quantity.js';
import { Informer, type Store } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { isoSeconds } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { stepTrace } from '../util/steptrace.js';

export const SCHEDULER_NAME = 'default-scheduler';

export interface NodeFree {
  node: Node;
  cpuMillis: number;
  memoryBytes: number;
  extended: Record<string, number>;
  /** How many more pods the node takes (its allocatable `pods`); absent when it names no limit. */
  pods?: number;
}

type Taint = NonNullable<NonNullable<Node['spec']>['taints']>[number];
type Toleration = NonNullable<NonNullable<Pod['spec']>['tolerations']>[number];

/** Kubernetes' ToleratesTaint: an empty key with Exists tolerates everything; an empty effect, every effect. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if ((t.operator ?? 'Equal') === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/** The first NoSchedule/NoExecute taint of the node the pod does not tolerate (PreferNoSchedule only prefers). */
export function untoleratedTaint(pod: Pod, node: Node): Taint | undefined {
  const tolerations = pod.spec?.tolerations ?? [];
  return (node.spec?.taints ?? []).find((taint) => taint.effect !== 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint)));
}

/** Why a pod does not fit one node, in kube-scheduler's words. */
export function unfitReasons(pod: Pod, req: PodRequests, free: NodeFree): string[] {
  // kube-scheduler's TaintToleration filter runs before affinity and resources: a tainted node
  // (DiskPressure) gives this reason alone.
  const taint = untoleratedTaint(pod, free.node);
  if (taint) return [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`];
  const selector = pod.spec?.nodeSelector ?? {};
  const labels = free.node.metadata?.labels ?? {};
  if (Object.entries(selector).some(([k, v]) => labels[k] !== v)) return ["node(s) didn't match Pod's node affinity/selector"];
  const reasons: string[] = [];
  // Every pod counts against the node's `pods`, whatever it requests (a flood of tiny pods too).
  if (free.pods !== undefined && free.pods < 1) reasons.push('Too many pods');
  if (req.cpuMillis > free.cpuMillis) reasons.push('Insufficient cpu');
  if (req.memoryBytes > free.memoryBytes) reasons.push('Insufficient memory');
  for (const [name, n] of Object.entries(req.extended)) if (n > (free.extended[name] ?? 0)) reasons.push(`Insufficient ${name}`);
  return reasons;
}

/** `0/1 nodes are available: 1 Insufficient cpu.` from each node's reasons. */
export function unschedulableMessage(nodeCount: number, reasonsPerNode: string[][]): string {
  if (nodeCount === 0) return 'no nodes available to schedule pods';
  const counts = new Map<string, number>();
  for (const reasons of reasonsPerNode) for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([r, n]) => `${n} ${r}`);
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}.`;
}

function freeOf(node: Node): NodeFree {
  const alloc = node.status?.allocatable ?? node.status?.capacity ?? {};
  const extended: Record<string, number> = {};
  for (const [k, v] of Object.entries(alloc)) if (!['cpu', 'memory', 'pods', 'ephemeral-storage'].includes(k)) extended[k] = parseQuantity(v);
  return {
    node,
    cpuMillis: alloc.cpu ? cpuMillis(alloc.cpu) : 0,
    memoryBytes: alloc.memory ? parseQuantity(alloc.memory) : 0,
    extended,
    ...(alloc['pods'] !== undefined ? { pods: parseQuantity(alloc['pods']) } : {}),
  };
}

function subtract(free: NodeFree, req: PodRequests): void {
  free.cpuMillis -= req.cpuMillis;
  free.memoryBytes -= req.memoryBytes;
  if (free.pods !== undefined) free.pods -= 1;
  for (const [k, n] of Object.entries(req.extended)) free.extended[k] = (free.extended[k] ?? 0) - n;
}

/** The first node the pod fits, or each node's reasons why not. */
function choose(pod: Pod, req: PodRequests, frees: Iterable<NodeFree>): { node: NodeFree } | { reasons: string[][] } {
  const reasons: string[][] = [];
  for (const f of frees) {
    const r = unfitReasons(pod, req, f);
    if (r.length === 0) return { node: f };
    reasons.push(r);
  }
  return { reasons };
}

/** A pod's gang (ANNOTATIONS.podGroup in its namespace) and how many of it must be placed at once. */
export function gangOf(pod: Pod): { key: string; name: string; min: number } | undefined {
  const name = pod.metadata?.annotations?.[ANNOTATIONS.podGroup];
  if (!name) return undefined;
  const min = Number(pod.metadata?.annotations?.[ANNOTATIONS.podGroupMinMember] ?? '1');
  return { key: `${pod.metadata?.namespace ?? ''}/${name}`, name, min: Number.isInteger(min) && min > 0 ? min : 1 };
}

/**
 * Places a gang's pending members all together or none (pure): once `bound` members have been
 * placed (running or ended) and reach `min`, the rest go one by one as room allows; otherwise every pending member is tried on a copy
 * of the free room, and if any does not fit, none is placed and all wait with the reason. So two
 * half-placed jobs can never hold the room each other needs.
 */
export function placeGang<P extends Pod>(members: P[], bound: number, min: number, frees: readonly NodeFree[], nodeCount: number): { placed: [P, NodeFree][] } | { wait: string } {
  const group = members[0]?.metadata?.annotations?.[ANNOTATIONS.podGroup] ?? '';
  const trial = frees.map((f) => ({ ...f, extended: { ...f.extended } }));
  const placed: [P, NodeFree][] = [];
  const together = bound < min;
  if (together && members.length + bound < min) {
    return { wait: `pod group "${group}" has ${members.length + bound} of its ${min} pods; waiting for the rest to be created` };
  }
  for (const m of members) {
    const req = podRequests(m);
    const chosen = choose(m, req, trial);
    if ('node' in chosen) {
      subtract(chosen.node, req);
      placed.push([m, frees[trial.indexOf(chosen.node)]!]);
    } else if (together) {
      return {
        wait: `${unschedulableMessage(nodeCount, chosen.reasons)} pod group "${group}": its ${min} pods are placed together or not at all, and ${placed.length + bound} of ${min} fit now`,
      };
    }
  }
  return { placed };
}

export class Scheduler {
  private readonly pods: Informer<Stored<Pod>>;
  private readonly nodes: Informer<Stored<Node>>;
  private scheduled = false;
  private running = false;
  private stopped = false;
  /** Arrival order of pending pods, so FIFO holds within one second of creation. */
  private readonly arrival = new Map<string, number>();
  private arrivals = 0;

  constructor(private readonly deps: { store: Store; clock: Clock; logger: Logger }) {
    this.pods = new Informer(deps.store, { apiVersion: 'v1', kind: 'Pod' });
    this.nodes = new Informer(deps.store, { apiVersion: 'v1', kind: 'Node' });
  }

  async start(): Promise<void> {
    this.pods.onChange((e) => {
      const uid = e.object.metadata.uid!;
      if (e.type === 'DELETED') this.arrival.delete(uid);
      else if (!this.arrival.has(uid)) this.arrival.set(uid, this.arrivals++);
      // A pod arriving unbound, or one finishing (freeing room), calls for a pass.
      if (e.type === 'DELETED' || !e.object.spec?.nodeName || isPodTerminal(e.object)) this.kick();
    });
    this.nodes.onChange(() => this.kick());
    await this.nodes.start();
    await this.pods.start();
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    this.pods.stop();
    this.nodes.stop();
  }

  private kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.running) {
        this.kick();
        return;
      }
      this.running = true;
      this.pass()
        .catch((err) => this.deps.logger.error('scheduling pass failed', { error: String(err) }))
        .finally(() => {
          this.running = false;
        });
    });
  }

  /** One pass over every pending pod against the nodes' free capacity. */
  private async pass(): Promise<void> {
    const nodes = this.nodes.list().filter((n) => !n.spec?.unschedulable);
    const free = new Map(nodes.map((n) => [n.metadata.name!, freeOf(n)]));
    const pending: typeof podsList = [];
    const podsList = this.pods.list();
    for (const pod of podsList) {
      if (isPodTerminal(pod)) continue;
      const nodeName = pod.spec?.nodeName;
      if (nodeName) {
        const f = free.get(nodeName);
        if (f) subtract(f, podRequests(pod));
      } else if (!pod.spec?.schedulerName || pod.spec.schedulerName === SCHEDULER_NAME) pending.push(pod);
    }
    pending.sort((a, b) => {
      const pa = a.spec?.priority ?? 0;
      const pb = b.spec?.priority ?? 0;
      if (pa !== pb) return pb - pa;
      return (this.arrival.get(a.metadata.uid!) ?? 0) - (this.arrival.get(b.metadata.uid!) ?? 0);
    });
    const gangsDone = new Set<string>();
    for (const pod of pending) {
      const gang = gangOf(pod);
      if (gang) {
        // A gang goes at its first member's turn, all of it at once.
        if (gangsDone.has(gang.key)) continue;
        gangsDone.add(gang.key);
        const members = pending.filter((p) => gangOf(p)?.key === gang.key);
        // Members placed before count, ended ones too: a replica made again after its peers finished goes alone.
        const bound = podsList.filter((p) => p.spec?.nodeName && gangOf(p)?.key === gang.key).length;
        const decision = placeGang(members, bound, gang.min, [...free.values()], nodes.length);
        if ('wait' in decision) {
          for (const m of members) await this.markUnschedulable(m, decision.wait);
          continue;
        }
        for (const [m, f] of decision.placed) {
          subtract(free.get(f.node.metadata!.name!)!, podRequests(m));
          await this.bind(m, f.node.metadata!.name!);
        }
        continue;
      }
      const chosen = choose(pod, podRequests(pod), free.values());
      if ('node' in chosen) {
        subtract(chosen.node, podRequests(pod));
        await this.bind(pod, chosen.node.node.metadata!.name!);
      } else {
        await this.markUnschedulable(pod, unschedulableMessage(nodes.length, chosen.reasons));
      }
    }
  }

  private async bind(pod: Stored<Pod>, nodeName: string): Promise<void> {
    const ref = { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name! };
    const now = isoSeconds(this.deps.clock.now());
    let bound: Stored<Pod> | undefined;
    try {
      bound = await this.deps.store.patch<Stored<Pod>>(ref, (p) => {
        if (p.spec?.nodeName || p.metadata.uid !== pod.metadata.uid) return false;
        p.spec = { ...p.spec!, nodeName };
        p.status = { ...(p.status ?? {}), phase: p.status?.phase ?? 'Pending', conditions: setCondition(p.status?.conditions, { type: 'PodScheduled', status: 'True', lastTransitionTime: now }) };
      });
    } catch {
      return; // Deleted meanwhile: nothing to bind.
    }
    if (bound.spec?.nodeName === nodeName) {
      stepTrace.mark(`${pod.metadata.namespace}/${pod.metadata.name}`, 'sched.bound');
      await this.deps.store.recordEvent({
        involved: bound, type: 'Normal', reason: 'Scheduled', source: SCHEDULER_NAME,
        message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
      });
    }
  }

  private async markUnschedulable(pod: Stored<Pod>, message: string): Promise<void> {
    const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (cond?.status === 'False' && cond.message === message) return;
    const ref = { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name! };
    const now = isoSeconds(this.deps.clock.now());
    try {
      const updated = await this.deps.store.patch<Stored<Pod>>(ref, (p) => {
        if (p.spec?.nodeName) return false;
        p.status = {
          ...(p.status ?? {}),
          phase: 'Pending',
          conditions: setCondition(p.status?.conditions, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: now }),
        };
      });
      await this.deps.store.recordEvent({ involved: updated, type: 'Warning', reason: 'FailedScheduling', message, source: SCHEDULER_NAME });
    } catch {
      // Deleted meanwhile.
    }
  }
}

/** Sets a condition by type, keeping lastTransitionTime when the status did not change. */
export function setCondition(conditions: PodCondition[] | undefined, next: PodCondition): PodCondition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  if (i < 0) return [...list, next];
  const cur = list[i]!;
  list[i] = { ...next, lastTransitionTime: cur.status === next.status ? cur.lastTransitionTime : next.lastTransitionTime };
  return list;
}
