/**
 * Artifact repositories: where workflow steps' output artifacts are kept for later steps.
 *
 *   import { openArtifactRepository, artifactKey } from './artifacts/index.js';
 *   const repo = openArtifactRepository(config.artifactRepository, { home: config.home });
 *   const key = artifactKey({ namespace: 'default', workflow: 'wf', node: 'wf-step-123', artifact: 'model', archive: 'tgz' });
 *   const location = await repo.put(key, '/staging/model.tgz');   // recorded in the node's outputs
 *   await repo.get(key, '/inputs/model.tgz');                    // ArtifactNotFoundError when missing
 *   await repo.deletePrefix('default/wf');                       // workflow deleted
 */
import { join, resolve } from 'node:path';
import { LocalArtifactRepository } from './local.js';
import { S3ArtifactRepository } from './s3.js';
import type { ArtifactRepository, ArtifactRepositoryConfig } from './types.js';

export type {
  ArtifactRepository, ArtifactRepositoryConfig, LocalRepositoryConfig, S3RepositoryConfig,
  ArtifactLocation, S3ArtifactLocation, LocalArtifactLocation,
} from './types.js';
export { parseArtifactRepositoryConfig } from './config.js';
export { artifactKey, validateKey } from './keys.js';
export {
  ArtifactNotFoundError, ArtifactKeyInvalidError, ArtifactRepositoryUnreachableError, ArtifactRepositoryError, ArtifactSourceError,
} from './errors.js';

/** The repository a config describes; a relative local `path` is taken from `home`. */
export function openArtifactRepository(config: ArtifactRepositoryConfig, opts: { home: string }): ArtifactRepository {
  switch (config.kind) {
    case 'local':
      return new LocalArtifactRepository(resolve(opts.home, config.path ?? join(opts.home, 'artifacts')));
    case 's3':
      return new S3ArtifactRepository(config);
  }
}
