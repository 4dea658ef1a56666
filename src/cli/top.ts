/**
 * `top` tables as pure functions: kubectl's columns from the metrics API, plus Drover's
 * allocated/capacity columns computed from the pods bound to each node.
 */
import type { Node, Pod } from '../api/types.js';
import { podResources } from '../api/pods.js';
import { safeQuantity } from '../api/quantity.js';

export interface Usage {
  cpu?: string;
  memory?: string;
}

export interface NodeMetrics {
  metadata: { name?: string };
  usage?: Usage;
}

export interface PodMetrics {
  metadata: { name?: string; namespace?: string };
  containers?: { name: string; usage?: Usage }[];
}

const MI = 2 ** 20;

/** kubectl top's CPU cell: millicores. */
export function cpuCell(cores: number): string {
  return `${Math.round(cores * 1000)}m`;
}

/** kubectl top's memory cell: whole mebibytes. */
export function memoryCell(bytes: number): string {
  return `${Math.trunc(bytes / MI)}Mi`;
}

/** Bytes for people: `512Mi`, `1.5Gi`, `31Gi`. */
export function humanBytes(bytes: number): string {
  if (bytes === 0) return '0';
  for (const [s, size] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= size) {
      const v = Math.round((bytes / size) * 10) / 10;
      return `${v}${s}`;
    }
  }
  return String(Math.round(bytes));
}

/** Cores for people: `250m`, `1.5`, `8`. */
export function humanCpu(cores: number): string {
  const m = Math.round(cores * 1000);
  if (m === 0) return '0';
  if (m < 1000) return `${m}m`;
  return String(Math.round(m / 100) / 10);
}

/** Sum of effective requests of the pods on `node` that still hold resources (not Succeeded/Failed). */
export function allocatedOn(nodeName: string, pods: readonly Pod[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const p of pods) {
    if (p.spec?.nodeName !== nodeName) continue;
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    for (const [k, v] of Object.entries(podResources(p).requests)) total[k] = (total[k] ?? 0) + v;
  }
  return total;
}

function pct(used: number, of: number): string {
  return of > 0 ? `${Math.trunc((used * 100) / of)}%` : '<unknown>';
}

export const GPU = 'nvidia.com/gpu';

export function nodeRows(nodes: readonly Node[], metrics: readonly NodeMetrics[], pods: readonly Pod[]): string[][] {
  const rows: string[][] = [['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%', 'CPU-ALLOCATED/CAPACITY', 'MEMORY-ALLOCATED/CAPACITY', 'GPU-ALLOCATED/CAPACITY']];
  const sorted = [...nodes].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const n of sorted) {
    const name = n.metadata?.name ?? '';
    const alloc = n.status?.allocatable ?? n.status?.capacity ?? {};
    const capCpu = safeQuantity(alloc['cpu']);
    const capMem = safeQuantity(alloc['memory']);
    const capGpu = safeQuantity(alloc[GPU] ?? n.status?.capacity?.[GPU] ?? 0);
    const m = metrics.find((x) => x.metadata.name === name);
    const used = allocatedOn(name, pods);
    const cpuUse = m?.usage?.cpu !== undefined ? safeQuantity(m.usage.cpu) : undefined;
    const memUse = m?.usage?.memory !== undefined ? safeQuantity(m.usage.memory) : undefined;
    rows.push([
      name,
      cpuUse === undefined ? '<unknown>' : cpuCell(cpuUse),
      cpuUse === undefined ? '<unknown>' : pct(cpuUse, capCpu),
      memUse === undefined ? '<unknown>' : memoryCell(memUse),
      memUse === undefined ? '<unknown>' : pct(memUse, capMem),
      `${humanCpu(used['cpu'] ?? 0)}/${humanCpu(capCpu)}`,
      `${humanBytes(used['memory'] ?? 0)}/${humanBytes(capMem)}`,
      `${Math.round(used[GPU] ?? 0)}/${Math.round(capGpu)}`,
    ]);
  }
  return rows;
}

export interface PodRowOptions {
  containers?: boolean;
  withNamespace?: boolean;
  sortBy?: 'cpu' | 'memory';
}

export function podRows(metrics: readonly PodMetrics[], opts: PodRowOptions = {}): string[][] {
  type Row = { ns: string; pod: string; container?: string; cpu: number; mem: number };
  const items: Row[] = [];
  for (const m of metrics) {
    const ns = m.metadata.namespace ?? '';
    const pod = m.metadata.name ?? '';
    if (opts.containers) {
      for (const c of m.containers ?? []) items.push({ ns, pod, container: c.name, cpu: safeQuantity(c.usage?.cpu ?? 0), mem: safeQuantity(c.usage?.memory ?? 0) });
    } else {
      let cpu = 0;
      let mem = 0;
      for (const c of m.containers ?? []) {
        cpu += safeQuantity(c.usage?.cpu ?? 0);
        mem += safeQuantity(c.usage?.memory ?? 0);
      }
      items.push({ ns, pod, cpu, mem });
    }
  }
  items.sort((a, b) =>
    opts.sortBy === 'cpu' ? b.cpu - a.cpu : opts.sortBy === 'memory' ? b.mem - a.mem : `${a.ns}/${a.pod}/${a.container ?? ''}`.localeCompare(`${b.ns}/${b.pod}/${b.container ?? ''}`),
  );
  const header = opts.containers ? ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'] : ['NAME', 'CPU(cores)', 'MEMORY(bytes)'];
  if (opts.withNamespace) header.unshift('NAMESPACE');
  const rows = [header];
  for (const r of items) {
    const row = opts.containers ? [r.pod, r.container ?? '', cpuCell(r.cpu), memoryCell(r.mem)] : [r.pod, cpuCell(r.cpu), memoryCell(r.mem)];
    if (opts.withNamespace) row.unshift(r.ns);
    rows.push(row);
  }
  return rows;
}

/** A training job (or any object whose pods a label selector finds) and its pods. */
export interface JobPods {
  namespace: string;
  name: string;
  pods: readonly Pod[];
}

export interface JobRowOptions {
  /** One row per replica pod instead of one per job. */
  replicas?: boolean;
  withNamespace?: boolean;
}

const holding = (p: Pod): boolean => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/** A replica's name from the operators' labels: `master-0`, `worker-1`, `node-0-2`; else the pod's. */
export function replicaOf(pod: Pod): string {
  const l = pod.metadata?.labels ?? {};
  const type = l['training.kubeflow.org/replica-type'];
  const index = l['training.kubeflow.org/replica-index'];
  if (type) return index !== undefined ? `${type.toLowerCase()}-${index}` : type.toLowerCase();
  const rj = l['jobset.sigs.k8s.io/replicatedjob-name'];
  const ci = l['batch.kubernetes.io/job-completion-index'];
  if (rj) return ci !== undefined ? `${rj}-${ci}` : rj;
  return pod.metadata?.name ?? '';
}

/**
 * `top pytorchjob` (and every job kind): CPU and memory the job's pods use now (the metrics API's,
 * summed), how many of them run, and the GPUs they hold (requests of pods not finished: GPU use
 * itself is not measured).
 */
export function jobRows(jobs: readonly JobPods[], metrics: readonly PodMetrics[], opts: JobRowOptions = {}): string[][] {
  const usage = new Map<string, { cpu: number; mem: number }>();
  for (const m of metrics) {
    let cpu = 0;
    let mem = 0;
    for (const c of m.containers ?? []) {
      cpu += safeQuantity(c.usage?.cpu ?? 0);
      mem += safeQuantity(c.usage?.memory ?? 0);
    }
    usage.set(`${m.metadata.namespace ?? ''}/${m.metadata.name ?? ''}`, { cpu, mem });
  }
  const gpus = (p: Pod): number => (holding(p) ? (podResources(p).requests[GPU] ?? 0) : 0);
  const header = opts.replicas ? ['NAME', 'POD', 'REPLICA', 'STATUS', 'CPU(cores)', 'MEMORY(bytes)', 'GPUS'] : ['NAME', 'RUNNING', 'CPU(cores)', 'MEMORY(bytes)', 'GPUS'];
  if (opts.withNamespace) header.unshift('NAMESPACE');
  const rows = [header];
  const sorted = [...jobs].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const j of sorted) {
    const pods = [...j.pods].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    const use = (p: Pod) => usage.get(`${j.namespace}/${p.metadata?.name ?? ''}`);
    if (opts.replicas) {
      for (const p of pods) {
        const u = use(p);
        const row = [j.name, p.metadata?.name ?? '', replicaOf(p), p.status?.phase ?? 'Pending', u ? cpuCell(u.cpu) : '<unknown>', u ? memoryCell(u.mem) : '<unknown>', String(Math.round(gpus(p)))];
        if (opts.withNamespace) row.unshift(j.namespace);
        rows.push(row);
      }
      continue;
    }
    let cpu = 0;
    let mem = 0;
    let gpu = 0;
    for (const p of pods) {
      cpu += use(p)?.cpu ?? 0;
      mem += use(p)?.mem ?? 0;
      gpu += gpus(p);
    }
    const running = pods.filter((p) => p.status?.phase === 'Running').length;
    const row = [j.name, `${running}/${pods.length}`, cpuCell(cpu), memoryCell(mem), String(Math.round(gpu))];
    if (opts.withNamespace) row.unshift(j.namespace);
    rows.push(row);
  }
  return rows;
}
