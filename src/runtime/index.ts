export type { ApiAccess, PodRuntime, RuntimeHost, LogOptions, PodUsage } from './types.js';
