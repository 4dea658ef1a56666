/**
 * Resources: types, the kinds Drover serves, manifest loading and validation, typed errors.
 *
 *   const { manifests, warnings } = loadManifests(text, 'job.yaml'); // throws ValidationError
 */
export * from './errors.js';
export * from './types.js';
export * from './kinds.js';
export * from './selectors.js';
export * from './quantity.js';
export * from './pods.js';
export { loadManifests, validateObject, inspectObject, type LoadedManifest, type LoadResult } from './manifests.js';
