/** When an Event happened, as kubectl reads it from the fields old and new Events use. */
import type { KubeObject } from '../api/types.js';
import { age } from './units.js';

function eventTime(e: KubeObject, which: 'first' | 'last'): string | undefined {
  const ev = e as KubeObject & { firstTimestamp?: string; lastTimestamp?: string; eventTime?: string; series?: { lastObservedTime?: string } };
  if (which === 'last') return ev.series?.lastObservedTime || ev.lastTimestamp || ev.firstTimestamp || ev.eventTime || e.metadata.creationTimestamp;
  return ev.firstTimestamp || ev.eventTime || e.metadata.creationTimestamp;
}

/** Event LAST SEEN: `5s`, or `5s (x3 over 2m)` for a repeated event. */
export function eventLastSeen(e: KubeObject, now: number): string {
  const ev = e as KubeObject & { count?: number; series?: { count?: number } };
  const last = age(eventTime(e, 'last'), now);
  const count = ev.series?.count ?? ev.count ?? 1;
  if (!ev.series && count > 1) return `${last} (x${count} over ${age(eventTime(e, 'first'), now)})`;
  return last;
}

/** Oldest first, by when each was last seen. */
export function compareEvents(a: KubeObject, b: KubeObject): number {
  const ta = Date.parse(eventTime(a, 'last') ?? '') || 0;
  const tb = Date.parse(eventTime(b, 'last') ?? '') || 0;
  return ta - tb;
}
