/** The server's half of the training family: validation, the operator's defaults and the controller. */
import type { FamilyServer } from '../types.js';
import type { PodRuntime } from '../../runtime/index.js';
import { TRAINING_ADMISSION } from './admission.js';
import { TrainingController } from './controller.js';
import { TrainJobController } from './trainjob-controller.js';
import { trainerStatusPush } from './progress.js';
import { TRAINING_VALIDATION } from './validate.js';
import { TRAINER_VALIDATION } from './validate-trainjob.js';
import { MPI_VALIDATION } from './validate-mpi.js';
import { MPIJobController } from './mpi-controller.js';

export { TrainingController } from './controller.js';

/** Names in TF_CONFIG and the MPI hostfile follow the namespace pods' DNS answers for (a cluster's one namespace). */
function dns(runtime: PodRuntime): { dnsNamespace?: (ns: string) => string } {
  return runtime.dnsNamespace ? { dnsNamespace: (ns) => runtime.dnsNamespace!(ns) } : {};
}

export const trainingServer: FamilyServer = {
  validation: { ...TRAINING_VALIDATION, ...TRAINER_VALIDATION, ...MPI_VALIDATION },
  admission: TRAINING_ADMISSION,
  subresources: { TrainJob: { trainerstatus: { verbs: ['get', 'create'], handle: trainerStatusPush } } },
  controllers: ({ store, kinds, clock, logger, apiUrl, podToken, admit, runtime }) => [
    new TrainingController({ store, kinds, clock, logger: logger.child({ component: 'training-controller' }), ...dns(runtime) }),
    new TrainJobController({ store, kinds, clock, logger: logger.child({ component: 'trainjob-controller' }), apiUrl, podToken, admit }),
    new MPIJobController({ store, kinds, clock, admit, logger: logger.child({ component: 'mpijob-controller' }), local: runtime.placement === 'node', ...dns(runtime) }),
  ],
};
