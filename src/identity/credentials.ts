/**
 * Who may call the API. `drover up` makes an admin credential for the user who started it: a
 * random bearer token written in clear only into the kubeconfig in its home (0600), which the
 * CLI, kubectl and the client libraries read; the server keeps only its hash (auth.json, 0600).
 * Pods get narrower credentials: a token for one path (a trial's metrics) derived from a secret
 * of the server's, so it survives restarts and is never stored.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, AUTHENTICATED_GROUP, type Identity } from './identity.js';
import { serviceAccountIdentity, serviceAccountToken, verifyServiceAccountToken, type BoundPod, type ServiceAccountClaims } from './serviceaccounts.js';

export const AUTH_FILE = 'auth.json';

/** One bearer token on file: never the token itself, its SHA-256. */
export interface TokenRecord {
  /** Names the token in `drover token list` and `revoke`; not a secret. */
  id: string;
  user: string;
  /** Besides system:authenticated, which every user has. */
  groups: string[];
  sha256: string;
  created: string;
  /** RFC 3339; absent: the token does not expire. */
  expires?: string;
}

/** What `token list` shows of a token: everything but its hash. */
export type TokenInfo = Omit<TokenRecord, 'sha256'>;

interface AuthFile {
  version: 1;
  /** Signs the narrow credentials pods get. */
  podSecret: string;
  tokens: TokenRecord[];
}

/** What a bearer token says about its holder. */
/** `tokenId`: the id of a user token on file (not of a ServiceAccount token). */
export type TokenCheck = { identity: Identity; boundPod?: BoundPod; tokenId?: string } | { expired: string } | undefined;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function newId(): string {
  return randomBytes(6).toString('hex');
}

function writePrivate(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

/** The user `drover up` makes; its token lives in the home's kubeconfig and cannot be revoked. */
export const ADMIN_USER = 'admin';

export interface NewToken {
  user: string;
  groups?: readonly string[];
  /** Milliseconds the token is good for; undefined: until revoked. */
  ttlMs?: number;
}

export interface Credentials {
  /** The admin's token, to be written into the kubeconfig. */
  readonly adminToken: string;
  /** Who a bearer token belongs to, or undefined. */
  identity(token: string): Identity | undefined;
  /** Who a bearer token belongs to, that it expired (and when), or undefined when unknown. */
  check(token: string, now?: number): TokenCheck;
  /** A new token for a user, kept hashed; the token itself is returned once, here. */
  createToken(spec: NewToken, now?: number): TokenInfo & { token: string };
  /** The tokens on file, without their hashes. */
  listTokens(): TokenInfo[];
  /** Whether the token with this id is still on file and unexpired (a session made with it lives no longer). */
  tokenLive(id: string, now?: number): boolean;
  /** Removes the token with this id, or every token of this user; returns what was removed. */
  revokeTokens(idOrUser: string): TokenInfo[];
  /** A pod's ServiceAccount token, good while that pod exists (src/identity/serviceaccounts.ts). */
  serviceAccountToken(claims: ServiceAccountClaims): string;
  /** A token good for `scope` only (`trials/ns/name/metrics`). */
  podToken(scope: string): string;
  /** Whether `token` was made by podToken for `scope`. */
  allowsPod(scope: string, token: string): boolean;
}

function info(t: TokenRecord): TokenInfo {
  const { sha256: _hash, ...rest } = t;
  return rest;
}

/** A user's identity: the admin is in system:masters; everyone else in system:authenticated and their groups. */
function identityOf(t: TokenRecord): Identity {
  if (t.user === ADMIN_USER) return ADMIN;
  return { name: t.user, groups: [AUTHENTICATED_GROUP, ...t.groups.filter((g) => g !== AUTHENTICATED_GROUP)] };
}

/**
 * Loads the credentials of `home`, making what is missing: the admin token in the kubeconfig is
 * kept while its hash is on file; otherwise a new one replaces it. The server owns auth.json from
 * then on: tokens are created and revoked through it (the API), so it sees every change at once.
 */
export function loadCredentials(home: string, kubeconfigToken: string | undefined): Credentials {
  const path = join(home, AUTH_FILE);
  let file: AuthFile | undefined;
  if (existsSync(path)) {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as AuthFile;
      if (parsed.version === 1 && typeof parsed.podSecret === 'string' && Array.isArray(parsed.tokens)) file = parsed;
    } catch {
      // Unreadable: made anew below (every client then needs the new kubeconfig).
    }
  }
  file ??= { version: 1, podSecret: randomBytes(32).toString('base64url'), tokens: [] };
  // Files written before tokens had ids and groups.
  for (const t of file.tokens) {
    t.id ||= newId();
    t.groups ??= [];
  }
  let adminToken = kubeconfigToken;
  const admin = file.tokens.find((t) => t.user === ADMIN_USER);
  if (!adminToken || !admin || !sameText(admin.sha256, sha256(adminToken))) {
    adminToken = newToken();
    file.tokens = [...file.tokens.filter((t) => t.user !== ADMIN_USER), { id: newId(), user: ADMIN_USER, groups: [], sha256: sha256(adminToken), created: new Date().toISOString() }];
  }
  const state = file;
  const save = () => writePrivate(path, `${JSON.stringify(state, null, 2)}\n`);
  save();
  const secret = state.podSecret;
  const podToken = (scope: string) => createHmac('sha256', secret).update(scope).digest('base64url');
  const check = (token: string, now = Date.now()): TokenCheck => {
    const sa = verifyServiceAccountToken(secret, token);
    if (sa) return { identity: serviceAccountIdentity(sa.namespace, sa.serviceAccount), boundPod: { namespace: sa.namespace, name: sa.name, uid: sa.uid } };
    const h = sha256(token);
    const t = state.tokens.find((r) => sameText(r.sha256, h));
    if (!t) return undefined;
    if (t.expires && Date.parse(t.expires) <= now) return { expired: t.expires };
    return { identity: identityOf(t), tokenId: t.id };
  };
  return {
    adminToken,
    identity(token) {
      const c = check(token);
      return c && 'identity' in c ? c.identity : undefined;
    },
    check,
    createToken(spec, now = Date.now()) {
      const token = newToken();
      const record: TokenRecord = {
        id: newId(),
        user: spec.user,
        groups: [...new Set(spec.groups ?? [])],
        sha256: sha256(token),
        created: new Date(now).toISOString(),
        ...(spec.ttlMs !== undefined ? { expires: new Date(now + spec.ttlMs).toISOString() } : {}),
      };
      state.tokens.push(record);
      save();
      return { ...info(record), token };
    },
    listTokens: () => state.tokens.map(info),
    tokenLive: (id, now = Date.now()) => state.tokens.some((t) => t.id === id && !(t.expires && Date.parse(t.expires) <= now)),
    revokeTokens(idOrUser) {
      const gone = state.tokens.filter((t) => t.user !== ADMIN_USER && (t.id === idOrUser || t.user === idOrUser));
      if (gone.length) {
        state.tokens = state.tokens.filter((t) => !gone.includes(t));
        save();
      }
      return gone.map(info);
    },
    serviceAccountToken: (claims) => serviceAccountToken(secret, claims),
    podToken,
    allowsPod: (scope, token) => sameText(podToken(scope), token),
  };
}
