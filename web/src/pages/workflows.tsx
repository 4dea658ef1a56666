/** Workflows: the list, and one workflow's graph drawn from its status, coloured by phase, live. */
import { useMemo, useState } from 'preact/hooks';
import { ARGO, CORE, collection, send, type Obj } from '../api.js';
import { age, duration } from '../format.js';
import { useWatch } from '../hooks.js';
import { layout, phases, runOrder, visible, NODE_H, NODE_W, type WfNode } from '../graph.js';
import { Badge, Conditions, Log, Section, Table, Yaml, link } from '../parts.js';
import { oneObject, remove } from './jobs.js';

const phaseOf = (wf: Obj) => wf.status?.phase ?? 'Pending';

export function WorkflowsPage({ ns }: { ns: string }) {
  const wfs = useWatch(collection(ARGO, 'workflows', ns));
  const [text, setText] = useState('');
  const rows = wfs.items
    .filter((w) => !text || w.metadata.name.includes(text))
    .sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)))
    .map((w) => {
      const nodes = Object.values((w.status?.nodes ?? {}) as Record<string, WfNode>).filter((n) => n.type === 'Pod');
      return [
        <a href={link('workflows', w.metadata.namespace!, w.metadata.name)}>{w.metadata.name}</a>,
        ns ? '' : w.metadata.namespace ?? '',
        <Badge status={phaseOf(w)} />,
        w.status?.progress ?? `${nodes.filter((n) => n.phase === 'Succeeded').length}/${nodes.length}`,
        duration(w.status?.startedAt, w.status?.finishedAt),
        age(w.metadata.creationTimestamp),
      ];
    });
  return (
    <div>
      <h1>Workflows</h1>
      <div class="toolbar"><input placeholder="Filter by name" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} /></div>
      <Table head={['Name', 'Namespace', 'Phase', 'Progress', 'Duration', 'Age']} rows={rows} empty={wfs.error ?? 'No workflows.'} />
    </div>
  );
}

function Graph({ wf, selected, onSelect }: { wf: Obj; selected: string | undefined; onSelect(id: string, hidden?: string[]): void }) {
  const nodes = (wf.status?.nodes ?? {}) as Record<string, WfNode>;
  // The layout changes only when nodes or edges do; a phase change only recolours.
  const shape = Object.values(nodes).map((n) => `${n.id}>${(n.children ?? []).join(',')}`).join(';');
  const laid = useMemo(() => {
    const ordered = runOrder(nodes, [...(wf.spec?.templates ?? []), ...Object.values(wf.status?.storedTemplates ?? {})]);
    return { l: layout(ordered), s: visible(ordered).summaries };
  }, [shape]);
  const now = phases(laid.l, nodes, laid.s);
  return (
    <div class="graph">
      <svg width={laid.l.width} height={laid.l.height} data-testid="workflow-graph">
        {laid.l.edges.map((e) => <polyline key={`${e.from}>${e.to}`} class="edge" points={e.points.map((p) => `${p.x},${p.y}`).join(' ')} />)}
        {[...now.values()].map((n) => (
          <g key={n.id} class={`node ${n.phase} ${n.type} ${selected === n.id ? 'selected' : ''}`} data-node={n.label} data-phase={n.phase} transform={`translate(${n.x - NODE_W / 2},${n.y - NODE_H / 2})`} onClick={() => onSelect(n.id, laid.s.get(n.id))}>
            <rect width={NODE_W} height={NODE_H} rx={n.type === 'Pod' ? 6 : 17} />
            <text x={NODE_W / 2} y={NODE_H / 2 + 4}>{n.label.length > 22 ? n.label.slice(0, 21) + '…' : n.label}</text>
            <title>{n.summary ? Object.entries(n.summary).map(([k, v]) => `${v} ${k}`).join(', ') : `${n.label}: ${n.phase}`}</title>
          </g>
        ))}
      </svg>
    </div>
  );
}

function Params({ list }: { list: { name: string; value?: string; path?: string }[] | undefined }) {
  if (!list?.length) return <span class="muted">none</span>;
  return <dl>{list.map((p) => <><dt>{p.name}</dt><dd>{p.value ?? p.path ?? ''}</dd></>)}</dl>;
}

/**
 * Downloads a node's output artifact: a one-time link from the server (a navigation cannot carry
 * the token), followed as a download, so the browser streams it to disk however large it is.
 */
async function downloadArtifact(wf: Obj, nodeId: string, name: string): Promise<void> {
  const path = ['namespaces', wf.metadata.namespace!, 'workflows', wf.metadata.name, 'artifacts', nodeId, name].map(encodeURIComponent).join('/');
  const { url } = await send<{ url: string }>('POST', `/apis/drover.dev/v1/${path}/ticket`);
  const a = document.createElement('a');
  a.href = url;
  a.download = '';
  a.rel = 'noreferrer';
  a.click();
}

function Artifacts({ wf, node }: { wf: Obj; node: WfNode }) {
  const list = (node.outputs?.artifacts ?? []) as { name: string; path?: string; archive?: { none?: unknown } }[];
  const [error, setError] = useState('');
  return (
    <>
      <dl data-testid="output-artifacts">
        {list.map((a) => (
          <>
            <dt>{a.name}</dt>
            <dd>
              {a.path ?? ''} <button data-artifact={a.name} onClick={() => downloadArtifact(wf, node.id, a.name).catch((err: Error) => setError(err.message))}>Download{a.archive?.none === undefined ? ' (.tgz)' : ''}</button>
            </dd>
          </>
        ))}
      </dl>
      {error && <p class="error">{error}</p>}
    </>
  );
}

/** Items a summary node page shows at a time. */
export const PAGE = 50;

/**
 * The nodes a summary stands for (a loop's items past the first twelve), paged, filterable by
 * phase (the two failures among 10,000 are one click away), each opening its own panel. Phases
 * are read live; the ids are those of the layout the summary was drawn from.
 */
function SummaryPanel({ hidden, nodes, onOpen }: { hidden: string[]; nodes: Record<string, WfNode>; onOpen(id: string): void }) {
  const [phase, setPhase] = useState('');
  const [page, setPage] = useState(0);
  const counts = new Map<string, number>();
  for (const id of hidden) counts.set(nodes[id]?.phase ?? 'Pending', (counts.get(nodes[id]?.phase ?? 'Pending') ?? 0) + 1);
  const list = phase ? hidden.filter((id) => (nodes[id]?.phase ?? 'Pending') === phase) : hidden;
  const pages = Math.max(1, Math.ceil(list.length / PAGE));
  const at = Math.min(page, pages - 1);
  const shown = list.slice(at * PAGE, (at + 1) * PAGE);
  const choose = (p: string) => {
    setPhase(p);
    setPage(0);
  };
  return (
    <div class="panel" data-testid="summary-panel">
      <h3>{hidden.length} more nodes</h3>
      <div class="toolbar">
        <button class={phase === '' ? 'active' : ''} onClick={() => choose('')}>all {hidden.length}</button>
        {[...counts].map(([p, n]) => <button class={phase === p ? 'active' : ''} data-phase-filter={p} onClick={() => choose(p)}>{n} {p}</button>)}
      </div>
      <table>
        <tbody>
          {shown.map((id) => {
            const n = nodes[id];
            return <tr data-item={n?.displayName ?? id}><td><button class="link" onClick={() => onOpen(id)}>{n?.displayName ?? id}</button></td><td><Badge status={n?.phase ?? 'Pending'} /></td><td>{duration(n?.startedAt, n?.finishedAt)}</td></tr>;
          })}
        </tbody>
      </table>
      <div class="toolbar">
        <button disabled={at === 0} onClick={() => setPage(at - 1)}>Previous</button>
        <span data-testid="summary-page">page {at + 1} of {pages}</span>
        <button disabled={at + 1 >= pages} onClick={() => setPage(at + 1)}>Next</button>
      </div>
    </div>
  );
}

function NodePanel({ wf, node, pods }: { wf: Obj; node: WfNode; pods: Obj[] }) {
  const pod = pods.find((p) => p.metadata.annotations?.['workflows.argoproj.io/node-name'] === node.name);
  return (
    <div class="panel" data-testid="node-panel">
      <h3>{node.displayName ?? node.name} <Badge status={node.phase ?? 'Pending'} /></h3>
      <p class="muted">{node.type} · template {node.templateName ?? '—'} · {duration(node.startedAt, node.finishedAt)} {node.message ? `· ${node.message}` : ''}</p>
      <h4>Inputs</h4>
      <Params list={node.inputs?.parameters} />
      {node.inputs?.artifacts?.length ? <><h4>Input artifacts</h4><Params list={node.inputs.artifacts} /></> : null}
      <h4>Outputs</h4>
      <Params list={[...(node.outputs?.parameters ?? []), ...(node.outputs?.result !== undefined ? [{ name: 'result', value: node.outputs.result }] : []), ...(node.outputs?.exitCode !== undefined ? [{ name: 'exitCode', value: node.outputs.exitCode }] : [])]} />
      {node.outputs?.artifacts?.length ? <><h4>Output artifacts</h4><Artifacts key={node.id} wf={wf} node={node} /></> : null}
      {pod && <><h4>Log of <a href={link('pods', pod.metadata.namespace!, pod.metadata.name)}>{pod.metadata.name}</a></h4><Log namespace={wf.metadata.namespace!} pod={pod.metadata.name} container="main" /></>}
    </div>
  );
}

export function WorkflowDetail({ namespace, name }: { namespace: string; name: string }) {
  const live = useWatch(oneObject(ARGO, 'workflows', namespace, name));
  const pods = useWatch(`${collection(CORE, 'pods', namespace)}?labelSelector=${encodeURIComponent(`workflows.argoproj.io/workflow=${name}`)}`);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  // The summary node chosen last and the ids it hides: its list stays open beside an item's panel.
  const [summary, setSummary] = useState<{ id: string; hidden: string[] } | undefined>(undefined);
  const [message, setMessage] = useState('');
  const wf = live.items[0];
  if (!wf) return <p class="muted">{live.error ?? (live.loaded ? `Workflow ${namespace}/${name} is gone.` : 'Loading…')}</p>;
  const nodes = (wf.status?.nodes ?? {}) as Record<string, WfNode>;
  const path = `${collection(ARGO, 'workflows', namespace)}/${encodeURIComponent(name)}`;
  const act = (action: string) => send('PUT', `${path}/${action}`, {}).then(() => setMessage(`${action}: done`), (err: Error) => setMessage(`${action}: ${err.message}`));
  const done = ['Succeeded', 'Failed', 'Error'].includes(phaseOf(wf));
  const node = selected ? nodes[selected] : undefined;
  return (
    <div>
      <h1>Workflow {namespace}/{name} <Badge status={phaseOf(wf)} /></h1>
      <div class="toolbar">
        {!done && <><button onClick={() => act(wf.spec?.suspend ? 'resume' : 'suspend')}>{wf.spec?.suspend ? 'Resume' : 'Suspend'}</button><button onClick={() => act('stop')}>Stop</button><button onClick={() => act('terminate')}>Terminate</button></>}
        {done && <><button onClick={() => act('retry')}>Retry</button><button onClick={() => act('resubmit')}>Resubmit</button></>}
        <button class="danger" onClick={() => remove(path, `workflow ${name}`).then(() => (location.hash = '#/workflows'))}>Delete</button>
        <span class="muted">{message}</span>
      </div>
      <p>{wf.status?.message ?? ''} {duration(wf.status?.startedAt, wf.status?.finishedAt)} · progress {wf.status?.progress ?? '—'}</p>
      <div class="split">
        <Graph wf={wf} selected={selected} onSelect={(id, rest) => { setSelected(id); setSummary(rest ? { id, hidden: rest } : undefined); }} />
        {(summary || node) && (
          <div class="panels">
            {summary && <SummaryPanel key={summary.id} hidden={summary.hidden} nodes={nodes} onOpen={setSelected} />}
            {node && <NodePanel wf={wf} node={node} pods={pods.items} />}
          </div>
        )}
      </div>
      <Section title="Conditions"><Conditions obj={wf} /></Section>
      <Yaml obj={wf} />
    </div>
  );
}
