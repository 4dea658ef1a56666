/** The server's half of the notebooks family: validation, admission and the controller. */
import type { FamilyServer } from '../types.js';
import { NOTEBOOK_ADMISSION } from './admission.js';
import { NotebookController } from './controller.js';
import { NOTEBOOK_VALIDATION } from './validate.js';

export { NotebookController } from './controller.js';

export const notebooksServer: FamilyServer = {
  validation: { Notebook: NOTEBOOK_VALIDATION },
  admission: { Notebook: NOTEBOOK_ADMISSION },
  controllers: ({ store, kinds, clock, logger, config, runtime }) => [
    new NotebookController({ store, kinds, clock, logger: logger.child({ component: 'notebook-controller' }), settings: config.notebooks, editorAccount: runtime.name !== 'kubernetes' }),
  ],
};
