/**
 * Identity: who is calling. Today one admin credential per home (and narrow ones for pods);
 * users, roles and namespaces as teams come next.
 *
 *   const credentials = loadCredentials(home, tokenInKubeconfig);
 *   credentials.identity(bearerToken); // { name: 'admin', groups: ['system:masters', …] } or undefined
 */
export { ADMIN, ANONYMOUS_ADMIN, POD_SCOPED, MASTERS_GROUP, AUTHENTICATED_GROUP, type Identity } from './identity.js';
export { loadCredentials, AUTH_FILE, ADMIN_USER, type Credentials, type NewToken, type TokenCheck, type TokenInfo } from './credentials.js';
export { AuditLog, type AuditEntry, type AuditLogOptions } from './audit.js';
export { Authorizer } from './authorizer.js';
export { decide, forbiddenMessage, isResourceRequest, serviceAccountUser, type Decision, type PolicyRule, type RequestAttributes } from './rbac.js';
