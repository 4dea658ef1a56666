/**
 * The local pod runtime: Pods bound to this machine's node run as bubblewrap sandboxes in their own
 * cgroups, with real memory and CPU limits, GPU ids, volumes and logs.
 *
 *   import { LocalPodRuntime } from './runtime/local/index.js';
 *   const runtime = new LocalPodRuntime({ home: process.env.DROVER_HOME!, gpuIds: ['0', '1'] });
 *   await runtime.checkHost();   // HostRequirementError says what to install
 *   await runtime.start({ store, nodeName: 'local', clock: systemClock, logger });
 */
export { LocalPodRuntime, defaultCgroupParent } from './runtime.js';
export type { LocalRuntimeOptions, ImageEnvironment } from './context.js';
export { BWRAP_MISSING } from './host.js';
