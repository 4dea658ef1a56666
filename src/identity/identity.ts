/**
 * Who a request comes from, as Kubernetes names it: a user name and the groups it belongs to.
 * Authorization decides from this alone.
 */
export interface Identity {
  readonly name: string;
  readonly groups: readonly string[];
}

/** Kubernetes' superuser group: members may do anything, whatever the roles say. */
export const MASTERS_GROUP = 'system:masters';
export const AUTHENTICATED_GROUP = 'system:authenticated';

/** The admin `drover up` makes for the user who started it. */
export const ADMIN: Identity = { name: 'admin', groups: [MASTERS_GROUP, AUTHENTICATED_GROUP] };

/** Everyone, when the server was started without authentication (`auth: none`). */
export const ANONYMOUS_ADMIN: Identity = { name: 'system:anonymous', groups: [MASTERS_GROUP, 'system:unauthenticated'] };

/** A pod's narrow credential (one path, e.g. its trial's metrics), checked by path, not by role. */
export const POD_SCOPED: Identity = { name: 'system:drover:pod', groups: [] };
