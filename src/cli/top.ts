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
