/**
 * The ground floor: resource types, kind identities, typed errors, quantities, selectors, field
 * paths, pod resource arithmetic, and the manifest loader that validates with the checks each kind
 * registers. Imports nothing of the project but src/util.
 *
 *   const loader = new ManifestLoader({ kinds, validation: (info) => ... });
 *   const { manifests, warnings } = loader.load(text, 'job.yaml'); // throws ValidationError
 */
export * from './errors.js';
export * from './types.js';
export * from './kinds.js';
export * from './selectors.js';
export * from './quantity.js';
export * from './pods.js';
export { ManifestLoader, checkKind, withoutNulls, type KindValidation, type ValidationCatalog, type LoadedManifest, type LoadResult } from './manifests.js';
export * from './podsecurity.js';
export * from './services.js';
