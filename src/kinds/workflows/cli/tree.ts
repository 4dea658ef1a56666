/**
 * `argo get` output for a Workflow, as a pure function of the object: a header of `Key: value`
 * lines, then the node tree with phase icons and box drawing, laid out as the Argo CLI lays it out
 * (cmd/argo/commands/common/get.go):
 *
 *   STEP              TEMPLATE  PODNAME                      DURATION  MESSAGE
 *    ✔ steps-x7k2p    main
 *    ├───✔ prepare    echo      steps-x7k2p-echo-1234567890  1s
 *    └─┬─✔ train(0:a) train     steps-x7k2p-train-2345678901 3s
 *      └─✔ train(1:b) train     steps-x7k2p-train-3456789012 2s
 *
 * Steps and DAG nodes are boundaries that hold the nodes run inside them; step groups and retry
 * nodes are drawn as the branching of their children rather than as rows of their own (a retry
 * node with one attempt is not drawn at all); Skipped nodes that were Omitted are left out. The
 * exit handler `<workflow>.onExit` is its own tree, printed after the main one.
 */
import { podName } from '../names.js';
import type { NodeStatus } from '../types.js';
import { Tabwriter } from '../../../print/tabwriter.js';
import { argoTimestamp, relativeDuration, relativeDurationShort } from './humanize.js';
import { execSpec, workflowProgress, workflowStatus, type WorkflowObject } from './status.js';

export interface RenderOptions {
  now: number;
  /** Minutes east of UTC for timestamps; the machine's zone when absent. */
  tzOffsetMinutes?: number;
  /** Adds ARTIFACTS, RESOURCESDURATION and NODENAME columns to the tree. */
  wide?: boolean;
  /** Colours the phase icons with ANSI escapes (for a terminal). */
  color?: boolean;
  /** Only the header, no tree (what `submit` prints right after creating a workflow). */
  headerOnly?: boolean;
  /**
   * Every loop item gets its row. Otherwise a loop of more than COLLAPSE_ABOVE items under one
   * parent shows its first COLLAPSE_SHOW and one row counting the rest by phase.
   */
  noCollapse?: boolean;
}

/** A loop wider than this is collapsed (unless noCollapse). */
export const COLLAPSE_ABOVE = 10;
/** How many of a collapsed loop's items keep their rows. */
export const COLLAPSE_SHOW = 5;

const ICONS: Record<string, string> = {
  Pending: '◷',
  Running: '●',
  Succeeded: '✔',
  Skipped: '○',
  Failed: '✖',
  Error: '⚠',
  Omitted: '⏹',
};
/** A Suspend node that is waiting shows this instead of its phase. */
const SUSPENDED_ICON = 'ǁ';

const FG = { red: 31, green: 32, yellow: 33, cyan: 36, default: 39 } as const;
const ICON_COLORS: Record<string, number> = {
  '◷': FG.yellow, '●': FG.cyan, '✔': FG.green, '○': FG.default, '✖': FG.red, '⚠': FG.red, '⏹': FG.default, [SUSPENDED_ICON]: FG.cyan,
};

export function ansi(text: string, code: number | undefined): string {
  return code === undefined ? text : `\x1b[${code}m${text}\x1b[0m`;
}

/** The icon for a node's phase, or ǁ for a Suspend node that is waiting. */
export function nodeIcon(node: Pick<NodeStatus, 'type' | 'phase'>): string {
  if (node.type === 'Suspend' && node.phase === 'Running') return SUSPENDED_ICON;
  return ICONS[node.phase ?? ''] ?? '';
}

// ---------------------------------------------------------------- header

const CONDITION_ICONS: Record<string, string> = { MetricsError: '✖', SpecWarning: '⚠' };

/** Go's `%-20s %v`: the key padded to 20 characters, a space, the value. */
function kv(key: string, value: string | number): string {
  return `${key.padEnd(20)} ${value}`.trimEnd() + '\n';
}

/** The `Name:`…`Parameters:` block of `argo get` (and of `argo submit`). */
export function renderHeader(wf: WorkflowObject, opts: RenderOptions): string {
  const status = wf.status;
  const spec = execSpec(wf);
  const ts = (t: string) => argoTimestamp(t, opts.now, opts.tzOffsetMinutes);
  let out = '';
  out += kv('Name:', wf.metadata?.name ?? '');
  out += kv('Namespace:', wf.metadata?.namespace ?? '');
  const sa = spec?.serviceAccountName || (wf.spec?.workflowTemplateRef ? 'unset' : 'unset (will run with the default ServiceAccount)');
  out += kv('ServiceAccount:', sa);
  out += kv('Status:', workflowStatus(wf));
  if (status?.message) out += kv('Message:', status.message);
  const conditions = status?.conditions ?? [];
  if (conditions.length) {
    out += kv('Conditions:', '');
    for (const c of conditions) out += kv(`${CONDITION_ICONS[c.type ?? ''] ?? ''} ${c.type ?? ''}`, c.message || c.status || '');
  }
  if (wf.metadata?.creationTimestamp) out += kv('Created:', ts(wf.metadata.creationTimestamp));
  if (status?.startedAt) out += kv('Started:', ts(status.startedAt));
  if (status?.finishedAt) out += kv('Finished:', ts(status.finishedAt));
  if (status?.startedAt) out += kv('Duration:', relativeDuration(status.startedAt, status.finishedAt, opts.now));
  out += kv('Progress:', workflowProgress(wf));
  const params = spec?.arguments?.parameters ?? [];
  if (params.length) {
    out += kv('Parameters:', '');
    for (const p of params) if (p.value !== undefined && p.value !== null) out += kv(`  ${p.name}:`, String(p.value));
  }
  const outParams = (status?.outputs?.parameters ?? []).filter((p) => p.value !== undefined && p.value !== null);
  if (outParams.length) {
    out += kv('Output Parameters:', '');
    for (const p of outParams) out += kv(`  ${p.name}:`, String(p.value));
  }
  return out;
}

// ---------------------------------------------------------------- tree

type Category = 'boundary' | 'parent' | 'exec';

/** Steps and DAG nodes contain others; step groups and retries only branch; the rest are leaves. */
function category(type: string | undefined): Category | undefined {
  switch (type) {
    case 'Steps':
    case 'DAG':
      return 'boundary';
    case 'StepGroup':
    case 'Retry':
      return 'parent';
    case 'Pod':
    case 'Container':
    case 'Skipped':
    case 'Suspend':
    case 'HTTP':
    case 'Plugin':
      return 'exec';
    default:
      // TaskGroup nodes (a DAG task's loop) are not drawn: their items sit in the DAG's boundary.
      return undefined;
  }
}

interface RenderNode {
  node: NodeStatus;
  category: Category;
  children: RenderNode[];
}

/** `train(3:c)` → 3: loop items of one start time are ordered by index, as Argo does. */
export function indexFromDisplayName(name: string): number {
  const open = name.indexOf('(');
  const colon = name.indexOf(':');
  if (open < 0 || colon < 0 || colon < open) return -1;
  const text = name.slice(open + 1, colon);
  return /^\d+$/.test(text) ? Number(text) : -1;
}

/** Parsed start times: a sort of 10,000 siblings would otherwise parse each one ~28 times. */
const starts = new WeakMap<NodeStatus, number>();
function startOf(n: NodeStatus): number {
  const known = starts.get(n);
  if (known !== undefined) return known;
  const t = n.startedAt ? Date.parse(n.startedAt) : NaN;
  // A node that has not started yet goes after the ones that have.
  const v = Number.isNaN(t) ? Infinity : t;
  starts.set(n, v);
  return v;
}

/**
 * Siblings by start time. Times have one-second resolution (as in Kubernetes), so quick steps
 * often tie: then a node that leads to another (through `children`, e.g. a DAG task and the tasks
 * that depend on it) goes first, by its depth in that graph; then loop items by index, else names.
 */
export function compareSiblings(a: NodeStatus, b: NodeStatus, depth?: ReadonlyMap<string, number>): number {
  const ta = startOf(a);
  const tb = startOf(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const da = depth?.get(a.id) ?? 0;
  const db = depth?.get(b.id) ?? 0;
  if (da !== db) return da - db;
  const an = a.displayName ?? a.name;
  const bn = b.displayName ?? b.name;
  const ai = indexFromDisplayName(an);
  const bi = indexFromDisplayName(bn);
  if (ai >= 0 && bi >= 0 && ai !== bi) return ai - bi;
  if (an !== bn) return an < bn ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The longest path to each node from a node nothing leads to, following `children`. */
export function nodeDepths(nodes: Record<string, NodeStatus>): Map<string, number> {
  const parents = new Map<string, string[]>();
  for (const [id, n] of Object.entries(nodes)) {
    for (const c of n.children ?? []) {
      // Pushed, not copied: a fan-in task has as many parents as the loop before it is wide.
      const list = parents.get(c);
      if (list) list.push(n.id || id);
      else parents.set(c, [n.id || id]);
    }
  }
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle would be a bug upstream; do not loop on it
    visiting.add(id);
    let d = 0;
    for (const p of parents.get(id) ?? []) d = Math.max(d, visit(p) + 1);
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const id of Object.keys(nodes)) visit(id);
  return depth;
}

/** Turns the flat node map into trees; returns the roots by node id (Argo's convertToRenderTrees). */
function buildTrees(nodes: Record<string, NodeStatus>): Map<string, RenderNode> {
  const depth = nodeDepths(nodes);
  const byId = new Map<string, RenderNode>();
  for (const [id, n] of Object.entries(nodes)) {
    const c = category(n.type);
    if (c) byId.set(id, { node: { ...n, id: n.id || id }, category: c, children: [] });
  }
  const parentOf = new Map<string, RenderNode>();
  for (const r of byId.values()) if (r.category === 'parent') for (const child of r.node.children ?? []) parentOf.set(child, r);
  const roots = new Map<string, RenderNode>();
  for (const [id, r] of byId) {
    const parent = parentOf.get(id);
    if (parent) parent.children.push(r);
    else if (!r.node.boundaryID) roots.set(id, r);
    else {
      const boundary = byId.get(r.node.boundaryID);
      if (boundary?.category === 'boundary') boundary.children.push(r);
    }
  }
  for (const r of byId.values()) {
    // An omitted node draws nothing; left among its siblings it would leave a ├─ hanging at the end.
    r.children = r.children.filter((c) => !(c.node.type === 'Skipped' && c.node.phase === 'Omitted' && c.children.length === 0));
    sortSiblings(r.children, depth);
  }
  return roots;
}

/**
 * compareSiblings' order, with each node's keys worked out once rather than at every comparison
 * (a 10,000-item loop under one parent makes ~140,000 comparisons).
 */
function sortSiblings(children: RenderNode[], depth: ReadonlyMap<string, number>): void {
  if (children.length < 2) return;
  const keyed = children.map((r) => {
    const name = r.node.displayName ?? r.node.name;
    return { r, start: startOf(r.node), depth: depth.get(r.node.id) ?? 0, index: indexFromDisplayName(name), name, id: r.node.id };
  });
  keyed.sort((a, b) => {
    if (a.start !== b.start) return a.start < b.start ? -1 : 1;
    if (a.depth !== b.depth) return a.depth - b.depth;
    if (a.index >= 0 && b.index >= 0 && a.index !== b.index) return a.index - b.index;
    if (a.name !== b.name) return a.name < b.name ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
  keyed.forEach((k, i) => (children[i] = k.r));
}

/** Whether a node gets no row of its own, and whether its children then branch from its position. */
function filterNode(n: NodeStatus): { filtered: boolean; childIndent: boolean } {
  if (n.type === 'Retry' && (n.children?.length ?? 0) === 1) return { filtered: true, childIndent: false };
  if (n.type === 'StepGroup') return { filtered: true, childIndent: true };
  if (n.type === 'Skipped' && n.phase === 'Omitted') return { filtered: true, childIndent: false };
  return { filtered: false, childIndent: false };
}

interface Row {
  prefix: string;
  icon: string;
  cells: string[];
}

function nodeRow(wfName: string, n: NodeStatus, prefix: string, opts: RenderOptions): Row {
  const icon = nodeIcon(n);
  const ref = n.templateRef;
  const template = ref ? `${ref.name ?? ''}/${ref.template ?? ''}` : (n.templateName ?? '');
  const isPod = n.type === 'Pod';
  const pod = isPod ? podName(wfName, n.templateName ?? '', n.name) : '';
  const duration = isPod ? relativeDurationShort(n.startedAt, n.finishedAt, opts.now) : '';
  const message = n.message ?? '';
  const first = `${prefix}${icon} ${n.displayName ?? n.name}`;
  const cells = opts.wide
    ? [first, template, pod, duration, artifactNames(n), message, isPod ? resourcesDuration(n) : '', isPod ? (n.hostNodeName ?? '') : '']
    : [first, template, pod, duration, message];
  return { prefix, icon, cells };
}

function artifactNames(n: NodeStatus): string {
  return (n.outputs?.artifacts ?? []).map((a) => a.name).join(',');
}

/** Argo's ResourcesDuration: `3s*(1 cpu),1s*(100Mi memory)`. */
const DENOMINATORS: Record<string, string> = { cpu: '1', memory: '100Mi', storage: '10Gi', 'ephemeral-storage': '10Gi' };
function resourcesDuration(n: NodeStatus): string {
  const rd = (n.resourcesDuration ?? {}) as Record<string, number>;
  return Object.keys(rd)
    .sort()
    .map((k) => `${rd[k]}s*(${DENOMINATORS[k] ?? '1'} ${k})`)
    .join(',');
}

/** The rows standing for the hidden items of a collapsed loop. */
interface Collapsed {
  collapsed: true;
  /** The loop's name (`fan` of `fan(12:a)`). */
  loop: string;
  template: string;
  phases: Map<string, number>;
  hidden: number;
}

/** `fan(12:a)` → `fan`; a node that is not a loop item → undefined. */
function loopOf(r: RenderNode): string | undefined {
  const name = r.node.displayName ?? r.node.name;
  if (indexFromDisplayName(name) < 0) return undefined;
  return name.slice(0, name.indexOf('('));
}

/**
 * The children as drawn: each loop (items of one name) with more than COLLAPSE_ABOVE items keeps
 * its first COLLAPSE_SHOW in place, followed by one row that counts the rest by phase.
 */
export function collapseLoops<T extends RenderNode>(children: T[]): (T | Collapsed)[] {
  const counts = new Map<string, number>();
  for (const c of children) {
    const loop = loopOf(c);
    if (loop !== undefined) counts.set(loop, (counts.get(loop) ?? 0) + 1);
  }
  if (![...counts.values()].some((n) => n > COLLAPSE_ABOVE)) return children;
  const out: (T | Collapsed)[] = [];
  const seen = new Map<string, number>();
  const summaries = new Map<string, Collapsed>();
  for (const c of children) {
    const loop = loopOf(c);
    if (loop === undefined || (counts.get(loop) ?? 0) <= COLLAPSE_ABOVE) {
      out.push(c);
      continue;
    }
    const n = (seen.get(loop) ?? 0) + 1;
    seen.set(loop, n);
    if (n <= COLLAPSE_SHOW) {
      out.push(c);
      if (n === COLLAPSE_SHOW) {
        const summary: Collapsed = { collapsed: true, loop, template: c.node.templateName ?? '', phases: new Map(), hidden: 0 };
        summaries.set(loop, summary);
        out.push(summary);
      }
      continue;
    }
    const summary = summaries.get(loop)!;
    summary.hidden++;
    const phase = c.node.phase ?? 'Pending';
    summary.phases.set(phase, (summary.phases.get(phase) ?? 0) + 1);
  }
  return out;
}

const PHASE_ORDER = ['Running', 'Pending', 'Failed', 'Error', 'Succeeded', 'Skipped', 'Omitted'];

function collapsedRow(c: Collapsed, prefix: string, opts: RenderOptions): Row {
  const phases = [...c.phases.entries()]
    .sort(([a], [b]) => (PHASE_ORDER.indexOf(a) + 1 || 99) - (PHASE_ORDER.indexOf(b) + 1 || 99))
    .map(([phase, n]) => `${n} ${ICONS[phase] ?? ''} ${phase}`.replace('  ', ' '))
    .join(', ');
  const cells = [`${prefix}⋯ ${c.hidden} more ${c.loop}(…)`, c.template, '', '', `${phases} (-o wide lists them)`];
  if (opts.wide) cells.splice(4, 0, '');
  while (opts.wide && cells.length < 8) cells.push('');
  return { prefix, icon: '', cells };
}

function renderNodes(wfName: string, r: RenderNode, nodePrefix: string, childPrefix: string, rows: Row[], opts: RenderOptions): void {
  const { filtered, childIndent } = filterNode(r.node);
  if (!filtered) rows.push(nodeRow(wfName, r.node, nodePrefix, opts));
  const shown = opts.noCollapse ? r.children : collapseLoops(r.children);
  const max = shown.length - 1;
  shown.forEach((child, i) => {
    let part = '';
    let sub = '';
    if (filtered && childIndent) {
      if (max === 0) [part, sub] = ['──', '  '];
      else if (i === 0) [part, sub] = ['┬─', '│ '];
      else if (i === max) [part, sub] = ['└─', '  '];
      else [part, sub] = ['├─', '│ '];
    } else if (!filtered) {
      [part, sub] = i === max ? ['└─', '  '] : ['├─', '│ '];
    }
    const childNodePrefix = !filtered || i !== 0 ? childPrefix + part : nodePrefix + part;
    if ('collapsed' in child) rows.push(collapsedRow(child, childNodePrefix, opts));
    else renderNodes(wfName, child, childNodePrefix, childPrefix + sub, rows, opts);
  });
}

/** The STEP table, or '' when the workflow has no root node yet. */
export function renderTree(wf: WorkflowObject, opts: RenderOptions): string {
  const name = wf.metadata?.name ?? '';
  const nodes = wf.status?.nodes ?? {};
  const roots = buildTrees(nodes);
  const main = roots.get(name);
  if (!main) return '';
  const rows: Row[] = [];
  renderNodes(name, main, ' ', ' ', rows, opts);
  const exitEntry = Object.entries(nodes).find(([, n]) => n.name === `${name}.onExit`);
  const exitRoot = exitEntry ? roots.get(exitEntry[0]) : undefined;
  const width = opts.wide ? 8 : 5;
  let separatorAt = -1;
  if (exitRoot) {
    separatorAt = rows.length;
    rows.push({ prefix: '', icon: '', cells: new Array<string>(width).fill('') });
    renderNodes(name, exitRoot, ' ', ' ', rows, opts);
  }
  const header = opts.wide
    ? ['STEP', 'TEMPLATE', 'PODNAME', 'DURATION', 'ARTIFACTS', 'MESSAGE', 'RESOURCESDURATION', 'NODENAME']
    : ['STEP', 'TEMPLATE', 'PODNAME', 'DURATION', 'MESSAGE'];
  const text = [header, ...rows.map((r) => r.cells)].map((cells) => cells.join('\t')).join('\n') + '\n';
  const lines = new Tabwriter({ minWidth: 0, padding: 2 }).format(text).split('\n').map((l) => l.trimEnd());
  if (opts.color) {
    rows.forEach((r, i) => {
      if (i === separatorAt || !r.icon) return;
      const chars = [...lines[i + 1]!];
      const at = [...r.prefix].length;
      chars[at] = ansi(chars[at]!, ICON_COLORS[r.icon]);
      lines[i + 1] = chars.join('');
    });
  }
  return '\n' + lines.join('\n');
}

/** The main tree's and then the exit handler's node ids, in the order the tree lists them. */
export function displayOrder(wf: WorkflowObject): string[] {
  const name = wf.metadata?.name ?? '';
  const nodes = wf.status?.nodes ?? {};
  const roots = buildTrees(nodes);
  const out: string[] = [];
  const walk = (r: RenderNode) => {
    out.push(r.node.id);
    for (const c of r.children) walk(c);
  };
  const main = roots.get(name);
  if (main) walk(main);
  const exitEntry = Object.entries(nodes).find(([, n]) => n.name === `${name}.onExit`);
  const exitRoot = exitEntry ? roots.get(exitEntry[0]) : undefined;
  if (exitRoot) walk(exitRoot);
  return out;
}

/** `argo get`: header, then (when the workflow has started) the tree. */
export function renderWorkflow(wf: WorkflowObject, opts: RenderOptions): string {
  return renderHeader(wf, opts) + (opts.headerOnly ? '' : renderTree(wf, opts));
}
