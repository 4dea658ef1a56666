/**
 * Scheduler: binds pending Pods to Nodes that have room.
 *
 *   const scheduler = new Scheduler({ store, clock, logger });
 *   await scheduler.start();
 */
export { Scheduler, SCHEDULER_NAME, unfitReasons, unschedulableMessage, setCondition } from './scheduler.js';
