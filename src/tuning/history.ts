/**
 * What every algorithm reads from a request: finished trials turned into points and losses,
 * the keys of every point already tried or running, and the batch being built so that no
 * suggestion repeats another.
 */
import { FOREIGN, type Space } from './space.js';
import type { Rng } from './rng.js';
import type { Assignments, ObjectiveType, SuggestRequest } from './types.js';

/** The objective turned into a loss to minimise; undefined for failed trials or non-finite values. */
export function lossOf(value: number | undefined, objectiveType: ObjectiveType): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  return objectiveType === 'maximize' ? -value : value;
}

export interface Told {
  point: Float64Array;
  loss: number;
  /** Position among the request's finished trials (creation order). */
  order: number;
}

/** Keys of points tried or running, counting those inside the space (for exhaustion). */
export class Seen {
  private readonly keys = new Set<string>();
  private inSpace = 0;

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    const before = this.keys.size;
    this.keys.add(key);
    if (this.keys.size > before && !key.startsWith(FOREIGN)) this.inSpace++;
  }

  /** Distinct points of the space already used. */
  get used(): number {
    return this.inSpace;
  }
}

export class History {
  /** Finished trials with a value, inside the space, in order. */
  readonly told: Told[] = [];
  /** Running trials inside the space. */
  readonly pendingPoints: Float64Array[] = [];
  readonly seen = new Seen();
  /** Loss by key of every finished trial (undefined when it failed); a success wins over a failure of the same point. */
  readonly lossByKey = new Map<string, number | undefined>();
  readonly pendingKeys = new Set<string>();
  /** completed + pending: the number of the next suggestion, which seeds its random stream. */
  readonly next: number;

  /** `pendingAware` false: the models ignore running trials (liars() is empty); they stay seen, never suggested again. */
  constructor(readonly space: Space, req: SuggestRequest, readonly pendingAware = true) {
    req.completed.forEach((o, order) => {
      const { key, point } = space.parse(o.assignments);
      const loss = lossOf(o.value, req.objectiveType);
      if (key !== undefined) {
        this.seen.add(key);
        if (loss !== undefined || !this.lossByKey.has(key)) this.lossByKey.set(key, loss ?? this.lossByKey.get(key));
      }
      if (loss !== undefined && point) this.told.push({ point, loss, order });
    });
    for (const a of req.pending) {
      const { key, point } = space.parse(a);
      if (key !== undefined) {
        this.seen.add(key);
        this.pendingKeys.add(key);
      }
      if (point) this.pendingPoints.push(point);
    }
    this.next = req.completed.length + req.pending.length;
  }

  /** Points the models count as running (TPE's constant liars, the GP's believers): the request's running trials and this batch's earlier picks. */
  liars(batch: Batch): Float64Array[] {
    return this.pendingAware ? [...this.pendingPoints, ...batch.points] : [];
  }
}


/** The suggestions of one request, kept distinct from each other and from everything seen. */
export class Batch {
  readonly assignments: Assignments[] = [];
  readonly points: Float64Array[] = [];

  constructor(private readonly space: Space, private readonly seen: Seen) {}

  /** Adds the point's assignments unless they repeat a seen point; says whether it was added. */
  add(point: Float64Array, assignments: Assignments = this.space.toAssignments(point)): boolean {
    const key = this.space.key(assignments);
    if (key === undefined || this.seen.has(key)) return false;
    this.seen.add(key);
    this.assignments.push(assignments);
    this.points.push(this.space.snap(point));
    return true;
  }

  /** Every point of a finite space is used. */
  get exhausted(): boolean {
    return this.space.size !== Infinity && this.seen.used >= this.space.size;
  }

  /**
   * A random point not yet seen, for when an algorithm's own proposals keep repeating.
   * Small finite spaces are enumerated so the last free points are still found.
   */
  fresh(rng: Rng): Float64Array | undefined {
    if (this.exhausted) return undefined;
    const size = this.space.size;
    const crowded = size !== Infinity && this.seen.used > size / 2;
    if (!crowded || size > 250_000) {
      for (let tries = 0; tries < 256; tries++) {
        const p = this.space.sample(rng, false);
        const key = this.space.key(this.space.toAssignments(p));
        if (key !== undefined && !this.seen.has(key)) return p;
      }
      if (size === Infinity || size > 250_000) return undefined;
    }
    const values = this.space.dims.map((d) => this.space.dimValues(d));
    const free: number[] = [];
    for (let i = 0; i < size; i++) {
      const key = this.space.key(this.space.gridPoint(i, values));
      if (key !== undefined && !this.seen.has(key)) free.push(i);
    }
    if (free.length === 0) return undefined;
    const a = this.space.gridPoint(free[rng.int(free.length)]!, values);
    return this.space.fromAssignments(a);
  }
}
