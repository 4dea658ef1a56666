/**
 * Drover's token API, under /apis/drover.dev/v1/tokens. The server owns auth.json, so a token
 * created or revoked here is good or refused at once, with no restart.
 *
 *   GET    /apis/drover.dev/v1/tokens                 → TokenList (ids, users, groups, times; no secrets)
 *   POST   /apis/drover.dev/v1/tokens                 {user, groups?, ttlSeconds?}
 *                                                    → Token with `token`, the only time it is shown
 *   DELETE /apis/drover.dev/v1/tokens/{id or user}    → TokenList of the revoked tokens (404: none)
 *
 * Only members of system:masters may call it (the admin drover up made, or a token given that
 * group); a server without authentication has no tokens to manage.
 */
import { BadRequestError, ForbiddenError, NotFoundError } from '../api/errors.js';
import { ADMIN_USER, MASTERS_GROUP, type Credentials, type Identity, type TokenInfo } from '../identity/index.js';

export const TOKENS_PATH = '/apis/drover.dev/v1/tokens';

interface TokenRequest {
  user?: unknown;
  groups?: unknown;
  ttlSeconds?: unknown;
}

const asToken = (t: TokenInfo & { token?: string }) => ({ apiVersion: 'drover.dev/v1', kind: 'Token', ...t });
const asList = (items: TokenInfo[]) => ({ apiVersion: 'drover.dev/v1', kind: 'TokenList', items: items.map(asToken) });

/** A user or group name as Kubernetes would take it: no blanks, no control characters. */
function checkName(what: string, v: unknown): string {
  if (typeof v !== 'string' || !v.trim() || v !== v.trim() || /[\s\p{Cc}]/u.test(v) || v.length > 253) {
    throw new BadRequestError(`${what} must be a non-empty name without spaces, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Answers a request to the token API, or undefined when `path` is not one of its paths.
 * `body` reads the request's JSON.
 */
export async function tokenApi(
  credentials: Credentials | undefined,
  who: Identity,
  method: string,
  path: string,
  body: () => Promise<unknown>,
): Promise<{ code: number; body: unknown } | undefined> {
  if (path !== TOKENS_PATH && !path.startsWith(`${TOKENS_PATH}/`)) return undefined;
  if (!who.groups.includes(MASTERS_GROUP)) throw new ForbiddenError(`User "${who.name}" cannot manage tokens: only members of ${MASTERS_GROUP} may`);
  if (!credentials) throw new BadRequestError('authentication is off (auth: none): this server has no tokens');
  const rest = path.slice(TOKENS_PATH.length + 1);
  if (!rest) {
    if (method === 'GET') return { code: 200, body: asList(credentials.listTokens()) };
    if (method === 'POST') {
      const req = (await body()) as TokenRequest | null;
      if (typeof req !== 'object' || req === null) throw new BadRequestError('the request body must be a JSON object: {"user": NAME, "groups": [G...], "ttlSeconds": N}');
      const user = checkName('user', req.user);
      if (user === ADMIN_USER || user.startsWith('system:')) throw new BadRequestError(`user "${user}" is reserved: the admin's token is the one in drover up's kubeconfig, and system: names are Kubernetes'`);
      if (req.groups !== undefined && !Array.isArray(req.groups)) throw new BadRequestError('groups must be a list of names');
      const groups = ((req.groups as unknown[] | undefined) ?? []).map((g) => checkName('a group', g));
      let ttlMs: number | undefined;
      if (req.ttlSeconds !== undefined && req.ttlSeconds !== null) {
        if (typeof req.ttlSeconds !== 'number' || !Number.isFinite(req.ttlSeconds) || req.ttlSeconds <= 0) throw new BadRequestError('ttlSeconds must be a positive number');
        ttlMs = req.ttlSeconds * 1000;
      }
      // RBAC (to come): a `namespace` here will bind the user as editor of that namespace.
      return { code: 201, body: asToken(credentials.createToken({ user, groups, ...(ttlMs !== undefined ? { ttlMs } : {}) })) };
    }
    throw new BadRequestError(`method ${method} is not allowed on ${TOKENS_PATH}: use GET or POST`);
  }
  if (rest.includes('/')) throw new NotFoundError('path', path);
  const target = decodeURIComponent(rest);
  if (method !== 'DELETE') throw new BadRequestError(`method ${method} is not allowed on a token: use DELETE to revoke it`);
  if (target === ADMIN_USER) throw new BadRequestError(`the admin's token cannot be revoked: it is the one in drover up's kubeconfig`);
  const gone = credentials.revokeTokens(target);
  if (!gone.length) throw new NotFoundError('tokens.drover.dev', target);
  return { code: 200, body: asList(gone) };
}
