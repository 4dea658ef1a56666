/**
 * Identity: who is calling. Today one admin credential per home (and narrow ones for pods);
 * users, roles and namespaces as teams come next.
 *
 *   const credentials = loadCredentials(home, tokenInKubeconfig);
 *   credentials.user(bearerToken); // 'admin' or undefined
 */
export { loadCredentials, AUTH_FILE, type Credentials } from './credentials.js';
