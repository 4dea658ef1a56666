/** `get notebooks`: whether it runs (the web app's status words), ready replicas, image. */
import type { KubeObject } from '../../../api/types.js';
import { ageColumn, nameColumn, type KindPrinter } from '../../../print/columns.js';
import { type Notebook, isStopped } from '../types.js';

/** Stopped, Ready, or what keeps it from running (a waiting or ended container's reason). */
export function notebookState(o: KubeObject): string {
  const nb = o as Notebook;
  if (isStopped(nb)) return (nb.status?.readyReplicas ?? 0) > 0 ? 'Stopping' : 'Stopped';
  if ((nb.status?.readyReplicas ?? 0) > 0) return 'Ready';
  const state = nb.status?.containerState as { waiting?: { reason?: string }; terminated?: { reason?: string } } | undefined;
  return state?.waiting?.reason ?? state?.terminated?.reason ?? 'Waiting';
}

export const notebookPrinter: KindPrinter = {
  columns: [
    nameColumn,
    { header: 'STATUS', cell: notebookState },
    { header: 'READY', cell: (o) => String((o as Notebook).status?.readyReplicas ?? 0) },
    ageColumn,
    { header: 'IMAGE', wide: true, cell: (o) => (o as Notebook).spec?.template?.spec?.containers?.[0]?.image ?? '' },
  ],
};
