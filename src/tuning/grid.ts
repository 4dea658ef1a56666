/**
 * Grid search: every combination, each once. Ints step by 1 unless given a step (Katib's
 * default); doubles need a step. With random_state the visiting order is a seeded shuffle, as
 * Katib's optuna-backed grid does; without it, combinations come in order, last parameter
 * fastest. Failed trials count as tried.
 */
import { ValidationError, type FieldIssue } from '../api/errors.js';
import { Batch, type History } from './history.js';
import { Rng, Stream } from './rng.js';
import type { SuggestResult } from './types.js';

/** Shuffling keeps an index per combination; beyond this the order stays lexicographic. */
const MAX_SHUFFLED = 1 << 20;

export function suggestGrid(history: History, count: number, seed: number, shuffled: boolean): SuggestResult {
  const space = history.space;
  const issues: FieldIssue[] = [];
  space.dims.forEach((d, i) => {
    if (d.kind === 'numeric' && d.count === Infinity) {
      issues.push({ path: `spec.parameters[${i}].feasibleSpace.step`, message: `grid needs a step for every double parameter; "${d.name}" has none` });
    }
  });
  if (issues.length > 0) throw new ValidationError(issues);
  const values = space.dims.map((d) => space.dimValues(d));
  const n = space.size;
  let order: Int32Array | undefined;
  if (shuffled && n <= MAX_SHUFFLED) {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const rng = Rng.stream(seed, Stream.grid);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
  }
  const batch = new Batch(space, history.seen);
  for (let i = 0; i < n && batch.assignments.length < count && !batch.exhausted; i++) {
    const a = space.gridPoint(order ? order[i]! : i, values);
    const p = space.fromAssignments(a);
    if (p) batch.add(p, a);
  }
  return { assignments: batch.assignments, exhausted: batch.exhausted };
}
