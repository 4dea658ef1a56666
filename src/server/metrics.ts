/** Prometheus text exposition of the server's own counters and the store's contents. */
import type { Store } from '../store/index.js';
import type { Pod, Stored } from '../api/types.js';
import type { KindTable } from '../api/kinds.js';
import { queueStats } from '../store/queue.js';

export class ServerMetrics {
  private readonly requests = new Map<string, number>();
  private requestSeconds = 0;

  observeRequest(method: string, code: number, seconds: number): void {
    const key = `method="${method}",code="${code}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    this.requestSeconds += seconds;
  }

  lines(): string[] {
    const out = ['# HELP drover_http_requests_total HTTP requests served, by method and status code.', '# TYPE drover_http_requests_total counter'];
    for (const [k, v] of this.requests) out.push(`drover_http_requests_total{${k}} ${v}`);
    out.push('# HELP drover_http_request_seconds_total Time spent serving HTTP requests.', '# TYPE drover_http_request_seconds_total counter', `drover_http_request_seconds_total ${this.requestSeconds}`);
    return out;
  }
}

export async function renderMetrics(store: Store, metrics: ServerMetrics, kinds: KindTable): Promise<string> {
  const lines = metrics.lines();
  lines.push('# HELP drover_objects Objects in the store, by kind.', '# TYPE drover_objects gauge');
  for (const k of kinds.all) {
    const n = (await store.list({ apiVersion: k.apiVersion, kind: k.kind })).items.length;
    lines.push(`drover_objects{kind="${k.kind}"} ${n}`);
  }
  const pods = (await store.list<Stored<Pod>>({ apiVersion: 'v1', kind: 'Pod' })).items;
  const phases = new Map<string, number>();
  for (const p of pods) phases.set(p.status?.phase ?? 'Pending', (phases.get(p.status?.phase ?? 'Pending') ?? 0) + 1);
  lines.push('# HELP drover_pods Pods by phase.', '# TYPE drover_pods gauge');
  for (const phase of ['Pending', 'Running', 'Succeeded', 'Failed']) lines.push(`drover_pods{phase="${phase}"} ${phases.get(phase) ?? 0}`);
  // As controller-runtime's reconcile counters: how often each controller ran and for how long
  // (wall time, awaits included: the share of the event loop a controller takes).
  lines.push('# HELP drover_reconcile_total Reconciles run, by controller.', '# TYPE drover_reconcile_total counter');
  const stats = [...queueStats()].sort(([a], [b]) => a.localeCompare(b));
  for (const [name, s] of stats) lines.push(`drover_reconcile_total{controller="${name}"} ${s.reconciles}`);
  lines.push('# HELP drover_reconcile_errors_total Reconciles that failed and were retried, by controller.', '# TYPE drover_reconcile_errors_total counter');
  for (const [name, s] of stats) lines.push(`drover_reconcile_errors_total{controller="${name}"} ${s.failures}`);
  lines.push('# HELP drover_reconcile_seconds_total Time spent in reconciles, by controller.', '# TYPE drover_reconcile_seconds_total counter');
  for (const [name, s] of stats) lines.push(`drover_reconcile_seconds_total{controller="${name}"} ${s.seconds.toFixed(3)}`);
  const mem = process.memoryUsage();
  lines.push('# HELP process_resident_memory_bytes Resident memory of the server.', '# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${mem.rss}`);
  return lines.join('\n') + '\n';
}
