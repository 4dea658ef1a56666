/** What the API server does to a Notebook before storing it. */
import type { KindAdmission } from '../types.js';
import { type Notebook, NOTEBOOK_API_VERSION, NOTEBOOK_V1BETA1 } from './types.js';

export const NOTEBOOK_ADMISSION: KindAdmission = {
  sourceDir: true,
  // v1beta1 and v1 are one schema: every notebook is stored as v1, the version the controller reads.
  defaults(obj) {
    if (obj.apiVersion === NOTEBOOK_V1BETA1) obj.apiVersion = NOTEBOOK_API_VERSION;
  },
  podSpecs: (obj) => [{ path: 'spec.template.spec', spec: (obj as Notebook).spec?.template?.spec }],
};
