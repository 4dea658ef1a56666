/**
 * `limit` and `continue` on lists, as the API server pages them: at most `limit` objects in
 * namespace/name order, and a token for the rest. Drover keeps no snapshots, so a later page
 * shows the objects as they are when it is read (the API server shows them as they were).
 */
import { BadRequestError } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';

export interface Page {
  items: KubeObject[];
  /** Where the next page starts, when there is one. */
  continue?: string;
  remainingItemCount?: number;
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

function decode(token: string): string {
  try {
    const after = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown }).after;
    if (typeof after === 'string') return after;
  } catch {
    // falls through to the error below
  }
  throw new BadRequestError(`continue token ${JSON.stringify(token.slice(0, 40))} is not one this server made`);
}

/** One page of `items`; `limit` and `continueToken` as the query gave them. */
export function page(items: readonly KubeObject[], limit: string | null, continueToken: string | null): Page {
  const n = limit === null || limit === '' ? 0 : Number(limit);
  if (!Number.isInteger(n) || n < 0) throw new BadRequestError(`limit must be a whole number, got ${JSON.stringify(limit)}`);
  if (n === 0 && !continueToken) return { items: [...items] };
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const after = continueToken ? decode(continueToken) : undefined;
  const rest = after === undefined ? sorted : sorted.filter((o) => keyOf(o) > after);
  if (n === 0 || rest.length <= n) return { items: rest };
  const shown = rest.slice(0, n);
  return { items: shown, continue: Buffer.from(JSON.stringify({ after: keyOf(shown[n - 1]!) })).toString('base64url'), remainingItemCount: rest.length - n };
}
