/**
 * ServiceAccount tokens, as a cluster gives pods bound tokens: a token names its namespace,
 * ServiceAccount and the pod it was made for, is signed with a secret of the server's (so it is
 * never stored, and survives restarts), and is good only while that pod exists. Its holder is
 * `system:serviceaccount:NS:NAME` in the groups `system:serviceaccounts`,
 * `system:serviceaccounts:NS` and `system:authenticated`, and may do what RBAC grants that name.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AUTHENTICATED_GROUP, type Identity } from './identity.js';
import { serviceAccountUser } from './rbac.js';

const PREFIX = 'drover-sa.';

/** The pod a token was made for: the API refuses the token once that pod is gone. */
export interface BoundPod {
  namespace: string;
  name: string;
  uid: string;
}

export interface ServiceAccountClaims extends BoundPod {
  serviceAccount: string;
}

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`serviceaccount:${payload}`).digest('base64url');
}

/** A token for `claims`, signed with `secret`. */
export function serviceAccountToken(secret: string, claims: ServiceAccountClaims): string {
  const payload = Buffer.from(JSON.stringify({ ns: claims.namespace, sa: claims.serviceAccount, pod: claims.name, uid: claims.uid })).toString('base64url');
  return `${PREFIX}${payload}.${sign(secret, payload)}`;
}

/** The claims of a token this server signed, or undefined for any other string. */
export function verifyServiceAccountToken(secret: string, token: string): ServiceAccountClaims | undefined {
  if (!token.startsWith(PREFIX)) return undefined;
  const [payload, mac] = token.slice(PREFIX.length).split('.');
  if (!payload || !mac) return undefined;
  const want = Buffer.from(sign(secret, payload));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  try {
    const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { ns?: unknown; sa?: unknown; pod?: unknown; uid?: unknown };
    if (typeof c.ns !== 'string' || typeof c.sa !== 'string' || typeof c.pod !== 'string' || typeof c.uid !== 'string') return undefined;
    return { namespace: c.ns, serviceAccount: c.sa, name: c.pod, uid: c.uid };
  } catch {
    return undefined;
  }
}

/** Who a ServiceAccount is to authorization. */
export function serviceAccountIdentity(namespace: string, name: string): Identity {
  return { name: serviceAccountUser(namespace, name), groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, AUTHENTICATED_GROUP] };
}
