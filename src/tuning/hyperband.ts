/**
 * Hyperband (Li et al. 2018): brackets s = s_max … 0 of successive halving. Bracket s starts
 * n = ⌈(s_max+1)/(s+1)·ηˢ⌉ random configurations with resource r = R·η⁻ˢ; rung i keeps the best
 * ⌊n·η⁻ⁱ⌋ of the previous rung and gives them r·ηⁱ. R is `r_l`, η is `eta` (default 3), and the
 * resource is written into the parameter named by `resource_name` (ints rounded down).
 *
 * Like Katib's service the halving is synchronous (a rung waits for its whole previous rung)
 * and brackets run one after another. Unlike it, nothing is stored: the schedule is replayed
 * from the request — rung-0 configurations come from seeded streams (bracket, member) and each
 * rung's members are found among the trials by their assignments. Failed trials are never
 * promoted. Katib asks parallelTrialCount ≥ η^s_max; here a rung is simply created over as many
 * requests as it takes.
 */
import { Batch, type History } from './history.js';
import { Rng, Stream } from './rng.js';
import type { NumericDim } from './space.js';
import type { SuggestResult } from './types.js';

export interface Rung {
  /** Configurations in the rung. */
  n: number;
  /** Resource each gets. */
  resource: number;
}

export interface Bracket {
  s: number;
  rungs: Rung[];
}

/** The textbook schedule for maximum resource R = r_l and ratio η. */
export function hyperbandSchedule(rl: number, eta: number): Bracket[] {
  const sMax = Math.max(0, Math.floor(Math.log(rl) / Math.log(eta) + 1e-9));
  const brackets: Bracket[] = [];
  for (let s = sMax; s >= 0; s--) {
    const n = Math.ceil(((sMax + 1) / (s + 1)) * eta ** s - 1e-9);
    const r = rl * eta ** -s;
    const rungs: Rung[] = [];
    for (let i = 0; i <= s; i++) rungs.push({ n: Math.floor(n * eta ** -i + 1e-9), resource: r * eta ** i });
    brackets.push({ s, rungs });
  }
  return brackets;
}

export interface HyperbandOptions {
  rl: number;
  eta: number;
  resourceName: string;
}

export function suggestHyperband(history: History, count: number, seed: number, opts: HyperbandOptions): SuggestResult {
  const space = history.space;
  const resourceIndex = space.indexOf(opts.resourceName)!;
  const resourceDim = space.dims[resourceIndex] as NumericDim;
  const formatResource = (r: number): string =>
    resourceDim.isInt ? String(Math.max(1, Math.floor(r + 1e-9))) : String(Number(r.toPrecision(12)));
  const withResource = (p: Float64Array, r: number): Record<string, string> => ({
    ...space.toAssignments(p),
    [opts.resourceName]: formatResource(r),
  });
  const batch = new Batch(space, history.seen);
  const schedule = hyperbandSchedule(opts.rl, opts.eta);

  for (const [b, bracket] of schedule.entries()) {
    // Rung 0: fresh random configurations, distinct within the rung.
    let configs: Float64Array[] = [];
    const configKeys = new Set<string>();
    for (let j = 0; j < bracket.rungs[0]!.n; j++) {
      const rng = Rng.stream(seed, Stream.hyperband, bracket.s, j);
      for (let tries = 0; tries < 16; tries++) {
        const p = space.sample(rng, true, resourceIndex);
        const key = space.key(withResource(p, 0))!;
        if (!configKeys.has(key) || tries === 15) {
          configKeys.add(key);
          configs.push(p);
          break;
        }
      }
    }
    for (const [i, rung] of bracket.rungs.entries()) {
      const last = b === schedule.length - 1 && i === bracket.rungs.length - 1;
      const members = configs.map((p) => {
        const a = withResource(p, rung.resource);
        return { p, a, key: space.key(a)! };
      });
      const unknown = members.filter((m) => !history.lossByKey.has(m.key) && !history.pendingKeys.has(m.key));
      if (unknown.length > 0) {
        for (const m of unknown) {
          if (batch.assignments.length >= count) break;
          batch.add(m.p, m.a);
        }
        const created = new Set(batch.assignments.map((a) => space.key(a)));
        return { assignments: batch.assignments, exhausted: last && unknown.every((m) => created.has(m.key)) };
      }
      if (members.some((m) => history.pendingKeys.has(m.key) && !history.lossByKey.has(m.key))) {
        return { assignments: [], exhausted: last };
      }
      const next = bracket.rungs[i + 1];
      if (!next) break;
      configs = members
        .map((m, order) => ({ m, order, loss: history.lossByKey.get(m.key) }))
        .filter((e): e is typeof e & { loss: number } => e.loss !== undefined)
        .sort((x, y) => x.loss - y.loss || x.order - y.order)
        .slice(0, next.n)
        .map((e) => e.m.p);
    }
  }
  return { assignments: [], exhausted: true };
}
