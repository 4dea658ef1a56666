/**
 * Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): kubectl asks
 * for a Table and prints its columns, so `kubectl get` shows what `drover get` shows, with each
 * kind's columns from its family (`-o wide` columns are priority 1).
 */
import type { KubeObject } from '../api/types.js';
import { printerFor } from '../registry.js';

/** What each row carries of its object (the `includeObject` query parameter; kubectl's default is Metadata). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Whether an Accept header asks for a meta.k8s.io Table before (or instead of) plain JSON. */
export function wantsTable(accept: string | undefined): boolean {
  for (const part of (accept ?? '').split(',')) {
    const params = part.split(';').map((p) => p.trim());
    if (params.includes('as=Table') && params.includes('g=meta.k8s.io')) return true;
    // A client that lists plain JSON first prefers it.
    if (params[0] === 'application/json' && params.length === 1) return false;
  }
  return false;
}

export function parseIncludeObject(v: string | null): IncludeObject {
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function rowObject(obj: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: obj.metadata };
}

/** A Table of `objects` (all of one kind), in the order `drover get` lists them. */
export function toTable(kind: string, objects: readonly KubeObject[], opts: { now: number; include: IncludeObject; resourceVersion?: string }): Record<string, unknown> {
  const printer = printerFor(kind);
  const rows = printer.compare ? [...objects].sort(printer.compare) : objects;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.resourceVersion !== undefined ? { resourceVersion: opts.resourceVersion } : {},
    columnDefinitions: printer.columns.map((c, i) => ({
      name: c.header,
      type: 'string',
      format: i === 0 && c.header === 'NAME' ? 'name' : '',
      description: '',
      priority: c.wide ? 1 : 0,
    })),
    rows: rows.map((o) => {
      const object = rowObject(o, opts.include);
      return { cells: printer.columns.map((c) => c.cell(o, opts.now)), ...(object ? { object } : {}) };
    }),
  };
}
