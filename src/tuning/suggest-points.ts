/** The loop shared by algorithms that propose points one at a time. */
import { Batch, type History } from './history.js';
import { Rng } from './rng.js';
import type { SuggestResult } from './types.js';

/**
 * Fills a batch of `count` distinct new points. The j-th suggestion draws from its own stream
 * (seed, tag, history size + j), so it depends only on the request. `propose` yields candidates
 * best first; when all of them repeat a seen point, a random unseen point replaces them.
 */
export function suggestPoints(
  history: History,
  count: number,
  seed: number,
  tag: number,
  propose: (rng: Rng, batch: Batch) => Iterable<Float64Array>,
): SuggestResult {
  const batch = new Batch(history.space, history.seen);
  for (let j = 0; j < count && !batch.exhausted; j++) {
    const rng = Rng.stream(seed, tag, history.next + j);
    let added = false;
    let tries = 0;
    for (const p of propose(rng, batch)) {
      if (batch.add(p)) {
        added = true;
        break;
      }
      if (++tries >= 64) break;
    }
    if (!added) {
      const p = batch.fresh(rng);
      if (!p || !batch.add(p)) break;
    }
  }
  return { assignments: batch.assignments, exhausted: batch.exhausted };
}

/** random_state when set, else the caller's seed, else a constant: suggestions are always reproducible. */
export function seedOf(settings: Record<string, string>, fallback: number | undefined): number {
  const rs = settings.random_state;
  if (rs !== undefined && rs.trim() !== '') return Number(rs.trim());
  return fallback ?? 0x5eed;
}
