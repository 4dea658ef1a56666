/** `get resourcequota` as kubectl prints it: what each request and limit uses of its hard value. */
import { ageColumn, nameColumn, type KindPrinter } from '../../../print/columns.js';
import type { KubeObject } from '../../../api/types.js';

function usedOf(o: KubeObject, limits: boolean): string {
  const status = (o['status'] as { hard?: Record<string, string>; used?: Record<string, string> } | undefined) ?? {};
  const hard = status.hard ?? ((o['spec'] as { hard?: Record<string, string> } | undefined)?.hard ?? {});
  return Object.keys(hard)
    .filter((n) => n.startsWith('limits.') === limits)
    .sort()
    .map((n) => `${n}: ${status.used?.[n] ?? '0'}/${hard[n]}`)
    .join(', ');
}

export const quotaPrinter: KindPrinter = {
  columns: [nameColumn, ageColumn, { header: 'REQUEST', cell: (o) => usedOf(o, false) }, { header: 'LIMIT', cell: (o) => usedOf(o, true) }],
};
