/**
 * `get`'s output: tables of any kind, laid out as kubectl lays them out, with each kind's columns
 * from its family (src/registry.ts `printerFor`); and `-o json|yaml|name`.
 */
import type { KubeObject } from '../api/types.js';
import type { KindInfo } from '../api/kinds.js';
import { printerFor } from '../registry.js';
import { formatLabels, nameColumn, type KindPrinter } from '../print/columns.js';
import { formatTable, Tabwriter, TABLE_OPTIONS } from '../print/tabwriter.js';
import { qualifiedName, qualifiedNameOf } from './resources.js';

export { printerFor } from '../registry.js';

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
  /** The columns to use instead of the kind's own. */
  printer?: KindPrinter;
}

function compareByName(a: KubeObject, b: KubeObject): number {
  const an = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const bn = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return an < bn ? -1 : an > bn ? 1 : 0;
}

export function sortObjects(kind: string, objects: readonly KubeObject[], printer: KindPrinter = printerFor(kind)): KubeObject[] {
  const cmp = printer.compare ?? compareByName;
  return [...objects].sort(cmp);
}

/** The header row for a kind under these options. */
export function tableHeader(kind: string, opts: TableOptions): string[] {
  const cols = (opts.printer ?? printerFor(kind)).columns.filter((c) => opts.wide || !c.wide);
  const h = cols.map((c) => c.header);
  if (opts.withNamespace) h.unshift('NAMESPACE');
  if (opts.showLabels) h.push('LABELS');
  return h;
}

/** One row of cells for an object. */
export function tableRow(obj: KubeObject, opts: TableOptions, info?: Pick<KindInfo, 'kind' | 'group'>): string[] {
  const cols = (opts.printer ?? printerFor(obj.kind)).columns.filter((c) => opts.wide || !c.wide);
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
  const rows = sortObjects(kind, objects, opts.printer).map((o) => tableRow(o, opts, info));
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
