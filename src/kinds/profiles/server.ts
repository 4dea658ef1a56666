/** The server's half of Profiles: what Drover accepts of one, and the controller that makes it so. */
import type { KindValidation } from '../../api/index.js';
import type { Finding } from '../../api/fieldpath.js';
import { checkDnsLabel, error, type Ctx } from '../../api/semantics.js';
import { objectShape, ok, onlyValues, struct, warn } from '../../api/support.js';
import type { FamilyServer } from '../types.js';
import { ProfileController } from './controller.js';

function checkProfile(obj: Record<string, unknown>): Finding[] {
  const ctx: Ctx = { findings: [] };
  const name = (obj['metadata'] as { name?: unknown } | undefined)?.name;
  // The profile's name is its namespace's.
  if (typeof name === 'string') checkDnsLabel(ctx, ['metadata', 'name'], name);
  const owner = (obj['spec'] as { owner?: { name?: unknown } } | undefined)?.owner;
  if (!owner || typeof owner.name !== 'string' || owner.name === '') error(ctx, ['spec', 'owner', 'name'], 'required: the user who owns the profile', 'key');
  return ctx.findings;
}

const VALIDATION: Readonly<Record<string, KindValidation>> = {
  Profile: {
    support: objectShape({
      owner: struct({ kind: onlyValues(['User']), name: ok, apiGroup: ok }),
      resourceQuotaSpec: struct({ hard: ok }),
      plugins: warn('profile plugins configure cloud identities (workload identity, IAM roles) that Drover does not use'),
    }),
    semantics: checkProfile,
  },
};

export const profilesServer: FamilyServer = {
  validation: VALIDATION,
  controllers: (deps) => [new ProfileController({ store: deps.store, clock: deps.clock, logger: deps.logger.child({ component: 'profiles' }) })],
};
