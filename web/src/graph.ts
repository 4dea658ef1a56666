/**
 * A workflow's graph from its `status.nodes` (each node lists its `children`), laid out with dagre.
 * Pure: the page draws what this returns. A node with very many children (a loop of thousands of
 * items) shows the first few and one summary node for the rest, so the layout and the drawing stay
 * small whatever the workflow's width.
 */
import dagre from '@dagrejs/dagre';

export interface WfNode {
  id: string;
  name?: string;
  displayName?: string;
  type?: string;
  phase?: string;
  templateName?: string;
  children?: string[];
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  inputs?: { parameters?: { name: string; value?: string }[]; artifacts?: { name: string; path?: string }[] };
  outputs?: { parameters?: { name: string; value?: string }[]; artifacts?: { name: string; path?: string }[]; result?: string; exitCode?: string };
}

export interface Placed {
  id: string;
  label: string;
  phase: string;
  type: string;
  x: number;
  y: number;
  /** Set on a summary node: how many nodes it stands for, by phase. */
  summary?: Record<string, number>;
}

export interface Layout {
  nodes: Placed[];
  edges: { from: string; to: string; points: { x: number; y: number }[] }[];
  width: number;
  height: number;
}

export const NODE_W = 170;
export const NODE_H = 34;
/** Children shown before the rest are summarised. */
export const SHOWN_CHILDREN = 12;

/** The ids drawn, their edges and the summaries: what decides the layout (phases do not). */
export function visible(nodes: Record<string, WfNode>): { ids: string[]; edges: [string, string][]; summaries: Map<string, string[]> } {
  const summaries = new Map<string, string[]>();
  const hidden = new Set<string>();
  const isChild = new Set<string>();
  for (const n of Object.values(nodes)) {
    const kids = (n.children ?? []).filter((c) => nodes[c]);
    for (const c of kids) isChild.add(c);
    if (kids.length > SHOWN_CHILDREN + 1) {
      const rest = kids.slice(SHOWN_CHILDREN);
      summaries.set(`${n.id}::more`, rest);
      for (const r of rest) hidden.add(r);
    }
  }
  // Shown: what is reached from the roots without passing through a summarised child (so the step
  // after a loop stays, reached through the loop's first children).
  const shown = new Set<string>();
  const stack = Object.keys(nodes).filter((id) => !isChild.has(id));
  while (stack.length) {
    const id = stack.pop()!;
    if (shown.has(id) || hidden.has(id) || !nodes[id]) continue;
    shown.add(id);
    stack.push(...(nodes[id]!.children ?? []));
  }
  const ids = [...shown];
  const edges: [string, string][] = [];
  for (const id of [...shown]) {
    for (const c of nodes[id]!.children ?? []) if (shown.has(c)) edges.push([id, c]);
    const more = `${id}::more`;
    const rest = summaries.get(more);
    if (!rest) continue;
    ids.push(more);
    edges.push([id, more]);
    // The summary leads where its nodes led (the step after the loop).
    const after = new Set<string>();
    for (const r of rest) for (const c of nodes[r]?.children ?? []) if (shown.has(c)) after.add(c);
    for (const a of after) edges.push([more, a]);
  }
  return { ids, edges, summaries };
}

export function layout(nodes: Record<string, WfNode>): Layout {
  const { ids, edges, summaries } = visible(nodes);
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 18, ranksep: 36, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of ids) g.setNode(id, { width: NODE_W, height: NODE_H });
  for (const [a, b] of edges) g.setEdge(a, b);
  dagre.layout(g);
  const placed: Placed[] = ids.map((id) => {
    const p = g.node(id);
    const rest = summaries.get(id);
    if (rest) {
      const summary: Record<string, number> = {};
      for (const r of rest) summary[nodes[r]?.phase ?? 'Pending'] = (summary[nodes[r]?.phase ?? 'Pending'] ?? 0) + 1;
      return { id, label: `+${rest.length} more`, phase: summaryPhase(summary), type: 'Summary', x: p.x, y: p.y, summary };
    }
    const n = nodes[id]!;
    return { id, label: n.displayName ?? n.name ?? id, phase: n.phase ?? 'Pending', type: n.type ?? '', x: p.x, y: p.y };
  });
  const laidEdges = g.edges().map((e) => ({ from: e.v, to: e.w, points: g.edge(e).points ?? [] }));
  const graph = g.graph();
  return { nodes: placed, edges: laidEdges, width: graph.width ?? 0, height: graph.height ?? 0 };
}

/** The phase a summary shows: failed if any failed, running while any runs, else succeeded. */
export function summaryPhase(counts: Record<string, number>): string {
  if (counts['Failed'] || counts['Error']) return 'Failed';
  if (counts['Running'] || counts['Pending']) return 'Running';
  return 'Succeeded';
}

/** The current phases of the drawn nodes (summaries recounted), for redrawing without a new layout. */
export function phases(l: Layout, nodes: Record<string, WfNode>, summaries: Map<string, string[]>): Map<string, Placed> {
  const out = new Map<string, Placed>();
  for (const p of l.nodes) {
    const rest = summaries.get(p.id);
    if (rest) {
      const summary: Record<string, number> = {};
      for (const r of rest) summary[nodes[r]?.phase ?? 'Pending'] = (summary[nodes[r]?.phase ?? 'Pending'] ?? 0) + 1;
      out.set(p.id, { ...p, summary, phase: summaryPhase(summary) });
    } else out.set(p.id, { ...p, phase: nodes[p.id]?.phase ?? p.phase });
  }
  return out;
}

interface Template {
  name: string;
  dag?: { tasks?: { name: string; dependencies?: string[]; depends?: string }[] };
  steps?: unknown[];
}

/** The task names a `depends` expression mentions (`a && (b.Succeeded || c.Failed)` → a, b, c). */
export function dependsNames(expr: string): string[] {
  const names = expr.replace(/\.(Succeeded|Failed|Errored|Skipped|Omitted|Daemoned|AnySucceeded|AllFailed)\b/g, ' ').match(/[A-Za-z0-9_][A-Za-z0-9_.-]*/g) ?? [];
  return [...new Set(names)];
}

/**
 * Drover keeps each node's children as the tree of scopes (a DAG node lists all its tasks, a
 * Steps node all its groups); the graph shows the order things run in instead, as Argo's UI draws
 * it: a DAG's tasks hang from the tasks they depend on (from the template's `dependencies` or
 * `depends`), and each step group hangs from the steps of the group before. Returns new nodes
 * with `children` rewritten so; the input is not changed.
 */
export function runOrder(nodes: Record<string, WfNode>, templates: Template[]): Record<string, WfNode> {
  const out: Record<string, WfNode> = {};
  for (const [id, n] of Object.entries(nodes)) out[id] = { ...n, children: [...(n.children ?? [])] };
  const byName = new Map(templates.map((t) => [t.name, t]));
  for (const n of Object.values(out)) {
    const kids = (n.children ?? []).filter((c) => out[c]);
    if (n.type === 'DAG') {
      const tasks = byName.get(n.templateName ?? '')?.dag?.tasks;
      if (!tasks) continue;
      const nodeOf = new Map(kids.map((c) => [out[c]!.displayName ?? '', c]));
      const roots: string[] = [];
      for (const c of kids) {
        const task = tasks.find((t) => t.name === out[c]!.displayName);
        const deps = task ? [...(task.dependencies ?? []), ...(task.depends ? dependsNames(task.depends) : [])].filter((d) => nodeOf.has(d)) : [];
        if (deps.length === 0) roots.push(c);
        for (const d of deps) {
          const from = out[nodeOf.get(d)!]!;
          if (!from.children!.includes(c)) from.children!.push(c);
        }
      }
      n.children = roots;
    } else if (n.type === 'Steps' && kids.length > 1 && kids.every((c) => out[c]!.type === 'StepGroup')) {
      n.children = [kids[0]!];
      for (let i = 0; i + 1 < kids.length; i++) {
        const steps = (out[kids[i]!]!.children ?? []).filter((c) => out[c]);
        for (const s of steps.length ? steps : [kids[i]!]) {
          const from = out[s]!;
          if (!from.children!.includes(kids[i + 1]!)) from.children!.push(kids[i + 1]!);
        }
      }
    }
  }
  return out;
}
