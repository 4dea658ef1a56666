/** The machine at a glance: each node's CPU, memory and GPUs allocated against what it has, and pending pods with the scheduler's reason. */
import type { ComponentChildren } from 'preact';
import { CORE, collection, type Obj } from '../api.js';
import { bytes, cpu, podRequests, quantity } from '../format.js';
import { useWatch } from '../hooks.js';
import { Badge, Section, Table, link } from '../parts.js';

const GPU = 'nvidia.com/gpu';

function Bar({ label, used, total, show }: { label: string; used: number; total: number; show: (n: number) => string }) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  return (
    <div class="meter" data-resource={label}>
      <span class="meter-label">{label}</span>
      <span class="meter-track"><span class={`meter-fill ${pct > 90 ? 'bad' : ''}`} ref={(el) => { if (el) el.style.width = `${pct}%`; }} /></span>
      <span class="meter-value">{show(used)} / {show(total)}</span>
    </div>
  );
}

const holds = (p: Obj) => p.spec?.nodeName && !['Succeeded', 'Failed'].includes(p.status?.phase);

/** One row per GPU: the pod the local runtime gave it to (annotation drover.dev/gpu-ids), or free. */
function gpuRows(count: number, pods: Obj[]): ComponentChildren[][] {
  const holder = new Map<string, Obj>();
  const unplaced: Obj[] = [];
  for (const p of pods) {
    const ids = p.metadata.annotations?.['drover.dev/gpu-ids']?.split(',').filter(Boolean) ?? [];
    if (ids.length === 0) unplaced.push(p);
    for (const id of ids) holder.set(id, p);
  }
  const ids = [...new Set([...Array.from({ length: count }, (_, i) => String(i)), ...holder.keys()])];
  const who = (p: Obj) => <a href={link('pods', p.metadata.namespace!, p.metadata.name)}>{p.metadata.namespace}/{p.metadata.name}</a>;
  const rows: ComponentChildren[][] = ids.map((id) => [`GPU ${id}`, holder.has(id) ? who(holder.get(id)!) : <span class="muted">free</span>]);
  // Pods that asked for GPUs and were not given ids yet (starting).
  for (const p of unplaced) rows.push([`${podRequests(p)[GPU]} × starting`, who(p)]);
  return rows;
}

function Node({ node, pods }: { node: Obj; pods: Obj[] }) {
  const have = node.status?.allocatable ?? node.status?.capacity ?? {};
  const on = pods.filter((p) => p.spec?.nodeName === node.metadata.name && holds(p));
  const sum = (r: string) => on.reduce((a, p) => a + (podRequests(p)[r] ?? 0), 0);
  const gpus = quantity(have[GPU]) ?? 0;
  const gpuPods = on.filter((p) => (podRequests(p)[GPU] ?? 0) > 0);
  const ready = (node.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready');
  return (
    <div class="card" data-node={node.metadata.name}>
      <h3>{node.metadata.name} <Badge status={ready?.status === 'True' ? 'Ready' : 'NotReady'} /></h3>
      <Bar label="CPU" used={sum('cpu')} total={quantity(have.cpu) ?? 0} show={cpu} />
      <Bar label="Memory" used={sum('memory')} total={quantity(have.memory) ?? 0} show={bytes} />
      {gpus > 0 && <Bar label="GPU" used={sum(GPU)} total={gpus} show={(n) => String(n)} />}
      <p class="muted">{on.length} {on.length === 1 ? 'pod' : 'pods'} here{Object.entries(node.metadata.labels ?? {}).length ? ' · labels ' + Object.entries(node.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') : ''}</p>
      {gpus > 0 && <Table head={['GPU', 'Held by']} rows={gpuRows(gpus, gpuPods)} />}
    </div>
  );
}

export function Overview({ ns }: { ns: string }) {
  const nodes = useWatch(`${CORE}/nodes`);
  const pods = useWatch(collection(CORE, 'pods', ns));
  const pending = pods.items.filter((p) => p.status?.phase === 'Pending');
  const counts: Record<string, number> = {};
  for (const p of pods.items) counts[p.status?.phase ?? 'Pending'] = (counts[p.status?.phase ?? 'Pending'] ?? 0) + 1;
  return (
    <div>
      <h1>Overview</h1>
      <Section title="Nodes">
        {nodes.error ? <p class="muted">Nodes: {nodes.error}</p> : <div class="cards">{nodes.items.map((n) => <Node node={n} pods={pods.items} />)}</div>}
        {ns && !nodes.error && <p class="muted">Allocations count the pods of {ns} only.</p>}
      </Section>
      <Section title="Pods">
        <p>{Object.entries(counts).map(([phase, n]) => <span class="count"><Badge status={phase} /> {n}</span>)}</p>
      </Section>
      <Section title="Pending pods">
        <Table
          head={['Pod', 'Why']}
          empty="No pod is waiting."
          rows={pending.map((p) => {
            const c = (p.status?.conditions ?? []).find((x: { type: string; status: string }) => x.type === 'PodScheduled' && x.status === 'False');
            const waiting = (p.status?.containerStatuses ?? []).map((s: { state?: { waiting?: { reason?: string; message?: string } } }) => s.state?.waiting?.message ?? s.state?.waiting?.reason).find(Boolean);
            return [<a href={link('pods', p.metadata.namespace!, p.metadata.name)}>{p.metadata.namespace}/{p.metadata.name}</a>, c?.message ?? c?.reason ?? waiting ?? 'starting'];
          })}
        />
      </Section>
    </div>
  );
}
