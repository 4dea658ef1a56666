export type { PodRuntime, RuntimeHost, LogOptions, PodUsage } from './types.js';
