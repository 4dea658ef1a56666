/** What the API server does to a Notebook before storing it. */
import { EDITOR_ACCOUNT } from '../profiles/service-accounts.js';
import type { KindAdmission } from '../types.js';
import { type Notebook, NOTEBOOK_API_VERSION, NOTEBOOK_V1BETA1 } from './types.js';

export const NOTEBOOK_ADMISSION: KindAdmission = {
  sourceDir: true,
  // v1beta1 and v1 are one schema: every notebook is stored as v1, the version the controller reads.
  defaults(obj) {
    if (obj.apiVersion === NOTEBOOK_V1BETA1) obj.apiVersion = NOTEBOOK_API_VERSION;
    // Kubeflow's web app writes every notebook to run as its namespace's `default-editor`: code in
    // the notebook may then use the API in that namespace (the controller makes the account).
    const spec = (obj as Notebook).spec?.template?.spec as { serviceAccountName?: string; serviceAccount?: string } | undefined;
    if (spec && !spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || EDITOR_ACCOUNT;
  },
  podSpecs: (obj) => [{ path: 'spec.template.spec', spec: (obj as Notebook).spec?.template?.spec }],
};
