/**
 * Katib Experiments: Experiment and Trial controllers, metrics collection and the Katib types.
 *
 *   const experiments = new ExperimentController({ store, runtime, clock, logger, filesDir, admit, apiUrl });
 *   await experiments.start();
 */
export { ExperimentController, type ExperimentControllerOptions } from './controller.js';
export * from './types.js';
