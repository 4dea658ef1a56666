/** Random search: independent draws, Katib's normal/logNormal priors honoured. */
import type { History } from './history.js';
import { Stream } from './rng.js';
import { suggestPoints } from './suggest-points.js';
import type { SuggestResult } from './types.js';

export function suggestRandom(history: History, count: number, seed: number): SuggestResult {
  return suggestPoints(history, count, seed, Stream.random, function* (rng) {
    for (let i = 0; i < 8; i++) yield history.space.sample(rng);
  });
}
