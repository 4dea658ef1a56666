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

export const AUTH_FILE = 'auth.json';

interface AuthFile {
  version: 1;
  /** Signs the narrow credentials pods get. */
  podSecret: string;
  tokens: { user: string; sha256: string; created: string }[];
}

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

function writePrivate(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

export interface Credentials {
  /** The admin's token, to be written into the kubeconfig. */
  readonly adminToken: string;
  /** Who a bearer token belongs to, or undefined. */
  identity(token: string): Identity | undefined;
  /** A token good for `scope` only (`trials/ns/name/metrics`). */
  podToken(scope: string): string;
  /** Whether `token` was made by podToken for `scope`. */
  allowsPod(scope: string, token: string): boolean;
}

/**
 * Loads the credentials of `home`, making what is missing: the admin token in the kubeconfig is
 * kept while its hash is on file; otherwise a new one replaces it.
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
  let adminToken = kubeconfigToken;
  const admin = file.tokens.find((t) => t.user === 'admin');
  if (!adminToken || !admin || !sameText(admin.sha256, sha256(adminToken))) {
    adminToken = newToken();
    file.tokens = [...file.tokens.filter((t) => t.user !== 'admin'), { user: 'admin', sha256: sha256(adminToken), created: new Date().toISOString() }];
  }
  writePrivate(path, `${JSON.stringify(file, null, 2)}\n`);
  const secret = file.podSecret;
  const tokens = file.tokens;
  const podToken = (scope: string) => createHmac('sha256', secret).update(scope).digest('base64url');
  return {
    adminToken,
    identity(token) {
      const h = sha256(token);
      const user = tokens.find((t) => sameText(t.sha256, h))?.user;
      if (user === undefined) return undefined;
      return user === 'admin' ? ADMIN : { name: user, groups: [AUTHENTICATED_GROUP] };
    },
    podToken,
    allowsPod: (scope, token) => sameText(podToken(scope), token),
  };
}
