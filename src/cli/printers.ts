/**
 * How each kind is shown by `get`: one registry of column sets, keyed by kind, mirroring kubectl's
 * printers (k8s.io/kubernetes/pkg/printers/internalversion). Kinds without an entry get NAME AGE,
 * so a kind added to src/api/kinds.ts prints without touching this file.
 */
import type { KubeObject, Pod, Job, Node, PersistentVolumeClaim } from '../api/types.js';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import type { KindInfo } from '../api/kinds.js';
import { formatTable, Tabwriter, TABLE_OPTIONS } from './tabwriter.js';
import { age, humanDuration } from './units.js';
import { qualifiedName, qualifiedNameOf } from './resources.js';
import { asWorkflow, compareWorkflows, parameterString, podCounts, workflowStatus } from '../kinds/workflows/cli/status.js';
import { renderWorkflow } from '../kinds/workflows/cli/tree.js';
import { cronSchedules, cronSuspended, cronTimezone, lastCronRun, nextCronRun } from '../kinds/workflows/cli/cron.js';
import { experimentPrinter, trialPrinter } from '../kinds/experiments/cli/columns.js';

export interface Column {
  header: string;
  /** Only with `-o wide`. */
  wide?: boolean;
  cell(obj: KubeObject, now: number): string;
}

export interface DetailOptions {
  now: number;
  wide: boolean;
  /** ANSI colours are welcome (stdout is a terminal). */
  color: boolean;
}

export interface KindPrinter {
  columns: Column[];
  /** Row order; defaults to namespace then name. */
  compare?(a: KubeObject, b: KubeObject): number;
  /**
   * What `get KIND NAME` prints for a named object instead of a table row, for kinds whose own
   * CLI shows more (a Workflow's `argo get` tree). Lists still print rows.
   */
  detail?(obj: KubeObject, opts: DetailOptions): string;
}

const printers = new Map<string, KindPrinter>();

/** Registers the columns for a kind (by its `kind`, e.g. `Job`). Later registrations replace earlier ones. */
export function registerPrinter(kind: string, printer: KindPrinter): void {
  printers.set(kind, printer);
}

const nameColumn: Column = { header: 'NAME', cell: (o) => o.metadata.name ?? '' };
const ageColumn: Column = { header: 'AGE', cell: (o, now) => age(o.metadata.creationTimestamp, now) };

export const DEFAULT_PRINTER: KindPrinter = { columns: [nameColumn, ageColumn] };

export function printerFor(kind: string): KindPrinter {
  return printers.get(kind) ?? DEFAULT_PRINTER;
}

// ---------------------------------------------------------------- status computations (pure)

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

function conditions(obj: { status?: unknown }): Condition[] {
  const s = obj.status as { conditions?: Condition[] } | undefined;
  return Array.isArray(s?.conditions) ? s.conditions : [];
}

function hasCondition(obj: { status?: unknown }, type: string): boolean {
  return conditions(obj).some((c) => c.type === type && c.status === 'True');
}

/** The Job STATUS column, in kubectl's precedence. */
export function jobStatus(job: Job): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

export function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const spec = job.spec;
  if (spec?.completions != null) return `${succeeded}/${spec.completions}`;
  if (spec?.parallelism != null && spec.parallelism > 1) return `${succeeded}/1 of ${spec.parallelism}`;
  return `${succeeded}/1`;
}

export function jobDuration(job: Job, now: number): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime;
  return humanDuration((end ? Date.parse(end) : now) - Date.parse(start));
}

export interface PodSummary {
  /** `1/1` */
  ready: string;
  /** kubectl's STATUS: a phase, or the most telling container reason (`CrashLoopBackOff`, `Completed`, `OOMKilled`...). */
  status: string;
  restarts: number;
  /** Newest finish time of a previous container run, for `2 (5s ago)`. */
  lastRestart?: string;
}

/** The READY, STATUS and RESTARTS columns, computed as kubectl's printPod does. */
export function podSummary(pod: Pod): PodSummary {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const total = spec?.containers?.length ?? 0;
  let ready = 0;
  let restarts = 0;
  let lastRestart: string | undefined;
  const noteRestart = (cs: ContainerStatus) => {
    const fin = cs.lastState?.terminated?.finishedAt;
    if (fin && (!lastRestart || Date.parse(fin) > Date.parse(lastRestart))) lastRestart = fin;
  };

  let reason: string = status.reason || status.phase || '';
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initSpecs = spec?.initContainers ?? [];
  const sidecar = (name: string) => initSpecs.find((c) => c.name === name)?.restartPolicy === 'Always';
  let initializing = false;
  let sidecarRestarts = 0;
  let sidecarLastRestart: string | undefined;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    restarts += cs.restartCount ?? 0;
    noteRestart(cs);
    if (sidecar(cs.name)) {
      sidecarRestarts += cs.restartCount ?? 0;
      const fin = cs.lastState?.terminated?.finishedAt;
      if (fin && (!sidecarLastRestart || Date.parse(fin) > Date.parse(sidecarLastRestart))) sidecarLastRestart = fin;
    }
    const term = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (sidecar(cs.name) && cs.started) continue;
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  const initializedTrue = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedTrue) {
    restarts = sidecarRestarts;
    lastRestart = sidecarLastRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += cs.restartCount ?? 0;
      noteRestart(cs);
      const st = cs.state;
      if (st?.waiting?.reason) reason = st.waiting.reason;
      else if (st?.terminated?.reason) reason = st.terminated.reason;
      else if (st?.terminated) reason = st.terminated.signal ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode}`;
      else if (cs.ready && st?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp) {
    if (status.reason === 'NodeLost') reason = 'Unknown';
    else if (status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';
  }
  const out: PodSummary = { ready: `${ready}/${total}`, status: reason, restarts };
  if (lastRestart) out.lastRestart = lastRestart;
  return out;
}

export function formatRestarts(s: PodSummary, now: number): string {
  if (s.restarts !== 0 && s.lastRestart) return `${s.restarts} (${age(s.lastRestart, now)} ago)`;
  return String(s.restarts);
}

/** `k=v,k2=v2` sorted by key, or `<none>`. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
}

/** A Job's `spec.selector` as kubectl writes a LabelSelector. */
export function formatLabelSelector(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): string {
  if (!sel) return '<none>';
  const parts: string[] = Object.entries(sel.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'exists') parts.push(e.key);
    else if (op === 'doesnotexist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op} (${[...(e.values ?? [])].sort().join(',')})`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

const ACCESS_MODES: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

function or(v: string | undefined | null, dflt: string): string {
  return v ? v : dflt;
}

function eventTime(e: KubeObject, which: 'first' | 'last'): string | undefined {
  const ev = e as KubeObject & { firstTimestamp?: string; lastTimestamp?: string; eventTime?: string; series?: { lastObservedTime?: string } };
  if (which === 'last') return ev.series?.lastObservedTime || ev.lastTimestamp || ev.firstTimestamp || ev.eventTime || e.metadata.creationTimestamp;
  return ev.firstTimestamp || ev.eventTime || e.metadata.creationTimestamp;
}

/** Event LAST SEEN: `5s`, or `5s (x3 over 2m)` for a repeated event. */
export function eventLastSeen(e: KubeObject, now: number): string {
  const ev = e as KubeObject & { count?: number; series?: { count?: number } };
  const last = age(eventTime(e, 'last'), now);
  const count = ev.series?.count ?? ev.count ?? 1;
  if (!ev.series && count > 1) return `${last} (x${count} over ${age(eventTime(e, 'first'), now)})`;
  return last;
}

export function compareEvents(a: KubeObject, b: KubeObject): number {
  const ta = Date.parse(eventTime(a, 'last') ?? '') || 0;
  const tb = Date.parse(eventTime(b, 'last') ?? '') || 0;
  return ta - tb;
}

// ---------------------------------------------------------------- built-in kinds

registerPrinter('Job', {
  columns: [
    nameColumn,
    { header: 'STATUS', cell: (o) => jobStatus(o as Job) },
    { header: 'COMPLETIONS', cell: (o) => jobCompletions(o as Job) },
    { header: 'DURATION', cell: (o, now) => jobDuration(o as Job, now) },
    ageColumn,
    { header: 'CONTAINERS', wide: true, cell: (o) => (o as Job).spec?.template?.spec?.containers?.map((c) => c.name).join(',') ?? '' },
    { header: 'IMAGES', wide: true, cell: (o) => (o as Job).spec?.template?.spec?.containers?.map((c) => c.image ?? '').join(',') ?? '' },
    { header: 'SELECTOR', wide: true, cell: (o) => formatLabelSelector((o as Job).spec?.selector) },
  ],
});

registerPrinter('Pod', {
  columns: [
    nameColumn,
    { header: 'READY', cell: (o) => podSummary(o as Pod).ready },
    { header: 'STATUS', cell: (o) => podSummary(o as Pod).status },
    { header: 'RESTARTS', cell: (o, now) => formatRestarts(podSummary(o as Pod), now) },
    ageColumn,
    { header: 'IP', wide: true, cell: (o) => or((o as Pod).status?.podIP, '<none>') },
    { header: 'NODE', wide: true, cell: (o) => or((o as Pod).spec?.nodeName, '<none>') },
  ],
});

registerPrinter('ConfigMap', {
  columns: [
    nameColumn,
    {
      header: 'DATA',
      cell: (o) => String(Object.keys((o['data'] as object | undefined) ?? {}).length + Object.keys((o['binaryData'] as object | undefined) ?? {}).length),
    },
    ageColumn,
  ],
});

registerPrinter('Secret', {
  columns: [
    nameColumn,
    { header: 'TYPE', cell: (o) => or(o['type'] as string | undefined, 'Opaque') },
    {
      header: 'DATA',
      cell: (o) => String(new Set([...Object.keys((o['data'] as object | undefined) ?? {}), ...Object.keys((o['stringData'] as object | undefined) ?? {})]).size),
    },
    ageColumn,
  ],
});

/**
 * kubectl shows a claim's capacity and access modes once it is bound to a volume. Drover binds a
 * claim to a directory without naming a volume, so a Bound phase counts too, and the requested
 * size and modes stand in for a capacity the server did not write.
 */
function pvcBound(pvc: PersistentVolumeClaim): boolean {
  return !!pvc.spec?.volumeName || pvc.status?.phase === 'Bound';
}

export function pvcCapacity(pvc: PersistentVolumeClaim): string {
  if (!pvcBound(pvc)) return '';
  return String(pvc.status?.capacity?.['storage'] ?? pvc.spec?.resources?.requests?.['storage'] ?? '');
}

export function pvcAccessModes(pvc: PersistentVolumeClaim): string {
  if (!pvcBound(pvc)) return '';
  const modes = pvc.status?.accessModes?.length ? pvc.status.accessModes : (pvc.spec?.accessModes ?? []);
  return modes.map((m) => ACCESS_MODES[m] ?? m).join(',');
}

registerPrinter('PersistentVolumeClaim', {
  columns: [
    nameColumn,
    { header: 'STATUS', cell: (o) => (o.metadata.deletionTimestamp ? 'Terminating' : ((o as PersistentVolumeClaim).status?.phase ?? '')) },
    { header: 'VOLUME', cell: (o) => (o as PersistentVolumeClaim).spec?.volumeName ?? '' },
    {
      header: 'CAPACITY',
      cell: (o) => pvcCapacity(o as PersistentVolumeClaim),
    },
    {
      header: 'ACCESS MODES',
      cell: (o) => pvcAccessModes(o as PersistentVolumeClaim),
    },
    {
      header: 'STORAGECLASS',
      cell: (o) =>
        (o as PersistentVolumeClaim).spec?.storageClassName ?? o.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '',
    },
    ageColumn,
    { header: 'VOLUMEMODE', wide: true, cell: (o) => (o as PersistentVolumeClaim).spec?.volumeMode ?? 'Filesystem' },
  ],
});

registerPrinter('Namespace', {
  columns: [nameColumn, { header: 'STATUS', cell: (o) => String((o['status'] as { phase?: string } | undefined)?.phase ?? '') }, ageColumn],
});

/** Node roles from `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels. */
export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const r = k.slice('node-role.kubernetes.io/'.length);
      if (r) roles.add(r);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

export function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const parts = [ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

registerPrinter('Node', {
  columns: [
    nameColumn,
    { header: 'STATUS', cell: (o) => nodeStatus(o as Node) },
    { header: 'ROLES', cell: (o) => nodeRoles(o as Node) },
    ageColumn,
    { header: 'VERSION', cell: (o) => (o as Node).status?.nodeInfo?.kubeletVersion ?? '' },
    { header: 'INTERNAL-IP', wide: true, cell: (o) => or((o as Node).status?.addresses?.find((a) => a.type === 'InternalIP')?.address, '<none>') },
    { header: 'OS-IMAGE', wide: true, cell: (o) => or((o as Node).status?.nodeInfo?.osImage, '<unknown>') },
    { header: 'KERNEL-VERSION', wide: true, cell: (o) => or((o as Node).status?.nodeInfo?.kernelVersion, '<unknown>') },
  ],
});

registerPrinter('Event', {
  columns: [
    { header: 'LAST SEEN', cell: (o, now) => eventLastSeen(o, now) },
    { header: 'TYPE', cell: (o) => String(o['type'] ?? '') },
    { header: 'REASON', cell: (o) => String(o['reason'] ?? '') },
    {
      header: 'OBJECT',
      cell: (o) => {
        const inv = o['involvedObject'] as { kind?: string; name?: string } | undefined;
        return `${(inv?.kind ?? '').toLowerCase()}/${inv?.name ?? ''}`;
      },
    },
    { header: 'MESSAGE', cell: (o) => String(o['message'] ?? '').trim() },
  ],
  compare: compareEvents,
});

// ---------------------------------------------------------------- Argo kinds

/** DURATION of a workflow: from start to finish, or to now while it runs; empty before it starts. */
export function workflowDuration(obj: KubeObject, now: number): string {
  const s = asWorkflow(obj).status;
  if (!s?.startedAt) return '';
  return humanDuration((s.finishedAt ? Date.parse(s.finishedAt) : now) - Date.parse(s.startedAt));
}

registerPrinter('Workflow', {
  // argo list's columns; times in kubectl's format like every other table.
  columns: [
    nameColumn,
    { header: 'STATUS', cell: (o) => workflowStatus(asWorkflow(o)) },
    ageColumn,
    { header: 'DURATION', cell: (o, now) => workflowDuration(o, now) },
    { header: 'PRIORITY', cell: (o) => String(asWorkflow(o).spec?.priority ?? 0) },
    { header: 'MESSAGE', cell: (o) => asWorkflow(o).status?.message ?? '' },
    {
      header: 'P/R/C',
      wide: true,
      cell: (o) => {
        const c = podCounts(asWorkflow(o));
        return `${c.pending}/${c.running}/${c.completed}`;
      },
    },
    { header: 'PARAMETERS', wide: true, cell: (o) => parameterString(asWorkflow(o).spec?.arguments?.parameters) },
  ],
  compare: (a, b) => compareWorkflows(asWorkflow(a), asWorkflow(b)),
  detail: (o, opts) => renderWorkflow(asWorkflow(o), { now: opts.now, wide: opts.wide, color: opts.color }),
});

registerPrinter('CronWorkflow', {
  columns: [
    nameColumn,
    ageColumn,
    { header: 'LAST RUN', cell: (o, now) => { const t = lastCronRun(o); return t ? age(t, now) : 'N/A'; } },
    { header: 'NEXT RUN', cell: (o, now) => { const t = nextCronRun(o, now); return t === undefined ? 'N/A' : humanDuration(t - now); } },
    { header: 'SCHEDULES', cell: (o) => cronSchedules(o).join(',') },
    { header: 'TIMEZONE', cell: (o) => cronTimezone(o) },
    { header: 'SUSPENDED', cell: (o) => String(cronSuspended(o)) },
  ],
});

// ---------------------------------------------------------------- Katib kinds (columns in experiments/columns.ts)

registerPrinter('Experiment', experimentPrinter);
registerPrinter('Trial', trialPrinter);

// ---------------------------------------------------------------- tables

export interface TableOptions {
  wide?: boolean;
  /** Adds a NAMESPACE column first (`-A`). */
  withNamespace?: boolean;
  /** Prefixes names with `job.batch/` (several kinds in one `get`). */
  withKind?: boolean;
  showLabels?: boolean;
  noHeaders?: boolean;
  now: number;
}

function compareByName(a: KubeObject, b: KubeObject): number {
  const an = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const bn = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return an < bn ? -1 : an > bn ? 1 : 0;
}

export function sortObjects(kind: string, objects: readonly KubeObject[]): KubeObject[] {
  const cmp = printerFor(kind).compare ?? compareByName;
  return [...objects].sort(cmp);
}

/** The header row for a kind under these options. */
export function tableHeader(kind: string, opts: TableOptions): string[] {
  const cols = printerFor(kind).columns.filter((c) => opts.wide || !c.wide);
  const h = cols.map((c) => c.header);
  if (opts.withNamespace) h.unshift('NAMESPACE');
  if (opts.showLabels) h.push('LABELS');
  return h;
}

/** One row of cells for an object. */
export function tableRow(obj: KubeObject, opts: TableOptions, info?: Pick<KindInfo, 'kind' | 'group'>): string[] {
  const cols = printerFor(obj.kind).columns.filter((c) => opts.wide || !c.wide);
  const cells = cols.map((c) => {
    const v = c.cell(obj, opts.now);
    if (c === nameColumn && opts.withKind) return `${info ? qualifiedName(info) : qualifiedNameOf(obj.apiVersion, obj.kind)}/${v}`;
    return v;
  });
  if (opts.withNamespace) cells.unshift(obj.metadata.namespace ?? '');
  if (opts.showLabels) cells.push(formatLabels(obj.metadata.labels));
  return cells;
}

/** A whole table for objects of one kind, sorted as kubectl lists them. */
export function renderTable(kind: string, objects: readonly KubeObject[], opts: TableOptions, info?: Pick<KindInfo, 'kind' | 'group'>, writer?: Tabwriter): string {
  const rows = sortObjects(kind, objects).map((o) => tableRow(o, opts, info));
  if (!opts.noHeaders) rows.unshift(tableHeader(kind, opts));
  return formatTable(rows, writer ?? new Tabwriter(TABLE_OPTIONS));
}

// ---------------------------------------------------------------- -o json|yaml|name

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export function parseOutputFormat(o: string | undefined): OutputFormat | undefined {
  if (o === undefined || o === '') return 'table';
  return (['wide', 'json', 'yaml', 'name'] as const).find((f) => f === o);
}

/** kubectl wraps several objects (or a list request) in a `v1/List`. */
export function asList(objects: readonly KubeObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } };
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 4) + '\n';
}

/** YAML as kubectl prints it; the yaml package is loaded only when asked for (start-up time). */
export async function toYaml(value: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(value, { lineWidth: 0 });
}

export function objectName(obj: KubeObject, info?: Pick<KindInfo, 'kind' | 'group'>): string {
  return `${info ? qualifiedName(info) : qualifiedNameOf(obj.apiVersion, obj.kind)}/${obj.metadata.name ?? ''}`;
}
