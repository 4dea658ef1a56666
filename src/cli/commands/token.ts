import { UsageError, type ParsedArgs } from '../args.js';
import { clientFor, type Command } from '../command.js';
import { ApiError } from '../client.js';
import { CliError } from '../context.js';
import type { Ctx } from '../context.js';
import { toJson } from '../printers.js';
import { formatTable } from '../../print/tabwriter.js';
import { parseDuration } from '../../print/units.js';
import { CONTRIBUTOR_ROLES, contributorBinding, type ContributorRole } from '../../kinds/profiles/contributors.js';

/** Where the server keeps its tokens (src/server/tokens.ts). */
const TOKENS = '/apis/drover.dev/v1/tokens';

export const command: Command = {
  name: 'token',
  namespaced: false,
  usage: 'drover token create USER [--ttl 24h] [--group G ...] [-n NS [--role edit|view|admin]] | drover token list | drover token revoke ID|USER',
  summary: 'Create, list and revoke bearer tokens for other users',
  description: `Manage the bearer tokens the server accepts (only an admin, a member of system:masters, may).
"create" prints a new token for USER once, on stdout: hand it to the user, who sends it as
"Authorization: Bearer TOKEN" (or puts it in a kubeconfig). The server keeps only its hash.
"list" shows ids, users, groups and expiry, never the tokens. "revoke" removes one token by its
id, or every token of a user; a running server refuses it at once.
Users get the groups system:authenticated and those given with --group. A new user may do
nothing but sign in until a role is bound to them: with --namespace, create also makes them a
contributor of that namespace (--role edit by default), as Kubeflow's access manager names it
(RoleBinding user-<user>-clusterrole-<role> to ClusterRole kubeflow-<role>).`,
  examples: `  drover token create alice --ttl 24h --group ml-team
  drover token create bob -n team-a --role view
  drover token list
  drover token revoke alice`,
  flags: [
    { name: 'ttl', type: 'string', value: 'DURATION', description: 'With create: how long the token is good for (e.g. 30m, 24h, 7d; default: until revoked).' },
    { name: 'group', type: 'strings', value: 'GROUP', description: 'With create: a group the user belongs to. May be repeated.' },
    { name: 'role', type: 'string', value: 'ROLE', description: 'With create and --namespace: edit (default), view or admin of that namespace.' },
    { name: 'output', short: 'o', type: 'string', value: 'FORMAT', description: 'json: the server\'s answer as it is.' },
  ],
  run,
};

interface TokenInfo {
  id: string;
  user: string;
  groups: string[];
  created: string;
  expires?: string;
  token?: string;
}

/** `7d`, `24h`, `90m`… in milliseconds. */
export function parseTtl(text: string): number | undefined {
  const days = /^(\d+(?:\.\d+)?)d$/.exec(text.trim());
  const ms = days ? Number(days[1]) * 24 * 3600 * 1000 : parseDuration(text);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

async function run(ctx: Ctx, args: ParsedArgs): Promise<number> {
  const [verb, target, ...extra] = args.positionals;
  const json = args.string('output') === 'json';
  if (args.string('output') !== undefined && !json) throw new UsageError('--output must be json', 'token');
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`, 'token');
  if (verb !== 'create' && (args.string('ttl') !== undefined || args.strings('group').length)) throw new UsageError('--ttl and --group go with "token create"', 'token');
  const client = clientFor(ctx, args);
  try {
    if (verb === 'create') {
      if (!target) throw new UsageError('token create needs a USER', 'token');
      const ttl = args.string('ttl');
      const ttlMs = ttl === undefined ? undefined : parseTtl(ttl);
      if (ttl !== undefined && ttlMs === undefined) throw new UsageError(`invalid --ttl "${ttl}": use a duration like 30m, 24h or 7d`, 'token');
      const namespace = args.string('namespace');
      const role = (args.string('role') ?? 'edit') as ContributorRole;
      if (!CONTRIBUTOR_ROLES.includes(role)) throw new UsageError(`invalid --role "${role}": use ${CONTRIBUTOR_ROLES.join(', ')}`, 'token');
      if (args.string('role') !== undefined && !namespace) throw new UsageError('--role goes with --namespace: the namespace the user contributes to', 'token');
      const t = await client.json<TokenInfo>('POST', TOKENS, { body: { user: target, groups: args.strings('group'), ...(ttlMs !== undefined ? { ttlSeconds: ttlMs / 1000 } : {}) } });
      if (namespace) {
        const binding = contributorBinding(namespace, target, role);
        try {
          await client.json('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/rolebindings`, { body: binding });
        } catch (err) {
          // Bound already (the same binding from an earlier token) is fine.
          if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw new CliError(`the token was made, but binding ${target} as ${role} of ${namespace} failed: ${(err as Error).message}`);
        }
        ctx.stderr.write(`${target} is ${role === 'admin' ? 'an admin' : role === 'edit' ? 'an editor' : 'a viewer'} of namespace ${namespace} (rolebinding ${binding.metadata.name})\n`);
      }
      if (json) {
        ctx.stdout.write(toJson(t));
        return 0;
      }
      // The token alone on stdout (TOKEN=$(drover token create alice)); what it is on stderr.
      ctx.stdout.write(`${t.token}\n`);
      ctx.stderr.write(`token ${t.id} for ${t.user}${t.groups.length ? ` (groups ${t.groups.join(', ')})` : ''}${t.expires ? `, expires ${t.expires}` : ''}: it is shown only this once\n`);
      return 0;
    }
    if (verb === 'list') {
      if (target) throw new UsageError(`unexpected arguments: ${target}`, 'token');
      const list = await client.json<{ items: TokenInfo[] }>('GET', TOKENS);
      if (json) {
        ctx.stdout.write(toJson(list));
        return 0;
      }
      const now = ctx.now();
      const rows = list.items.map((t) => [t.id, t.user, t.groups.join(',') || '<none>', t.created, t.expires ? (Date.parse(t.expires) <= now ? `${t.expires} (expired)` : t.expires) : '<never>']);
      ctx.stdout.write(formatTable([['ID', 'USER', 'GROUPS', 'CREATED', 'EXPIRES'], ...rows]));
      return 0;
    }
    if (verb === 'revoke') {
      if (!target) throw new UsageError('token revoke needs a token ID or a USER', 'token');
      const gone = await client.json<{ items: TokenInfo[] }>('DELETE', `${TOKENS}/${encodeURIComponent(target)}`);
      if (json) ctx.stdout.write(toJson(gone));
      else for (const t of gone.items) ctx.stdout.write(`token ${t.id} of ${t.user} revoked\n`);
      return 0;
    }
    throw new UsageError(verb ? `unknown token command "${verb}": use create, list or revoke` : 'token needs a command: create, list or revoke', 'token');
  } finally {
    client.close();
  }
}
