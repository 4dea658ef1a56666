/**
 * Kubeflow Notebooks (kubeflow.org/v1 `Notebook`, v1beta1 accepted and stored as v1): a pod template
 * run as one pod, reached through the server's proxy at /notebook/<ns>/<name>/ (src/server/
 * notebook-proxy.ts), stopped by `kubeflow-resource-stopped` and culled when idle. The controller
 * is the server's half (./server.ts).
 */
import { defineKind } from '../../api/kinds.js';
import type { KindFamily } from '../types.js';
import { notebookPrinter } from './cli/columns.js';
import { NOTEBOOK_API_VERSION, NOTEBOOK_LABELS, NOTEBOOK_V1BETA1 } from './types.js';

const logs = { selector: (name: string) => `${NOTEBOOK_LABELS.name}=${name}` };

export const notebooks: KindFamily = {
  name: 'notebooks',
  kinds: [
    { info: defineKind(NOTEBOOK_API_VERSION, 'Notebook', 'notebooks'), printer: notebookPrinter, logs },
    { info: defineKind(NOTEBOOK_V1BETA1, 'Notebook', 'notebooks'), printer: notebookPrinter, logs },
  ],
  server: async () => (await import('./server.js')).notebooksServer,
};
