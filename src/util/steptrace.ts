/**
 * Where a pod's time goes, for `npm run bench:workflows`: named marks per pod (controller pass,
 * status written, pod created, bound, runtime sync, sandbox spawned, exit seen, status written…)
 * with `performance.now()` times. Off unless `DROVER_TRACE_STEPS=1` or `stepTrace.enable()`:
 * then a mark is one boolean test, so the marks stay in the server's hot paths.
 */
export type StepMarks = Map<string, number>;

class StepTrace {
  on = process.env['DROVER_TRACE_STEPS'] === '1';
  private readonly pods = new Map<string, StepMarks>();

  enable(): void {
    this.on = true;
  }

  /** Records `point` for pod `key` (namespace/name); the first time a point is seen wins. */
  mark(key: string, point: string, at = performance.now()): void {
    if (!this.on) return;
    let m = this.pods.get(key);
    if (!m) this.pods.set(key, (m = new Map()));
    if (!m.has(point)) m.set(point, at);
  }

  /** Adds one to the counter `name` of pod `key` (kept beside its marks). */
  count(key: string, name: string): void {
    if (!this.on) return;
    let m = this.pods.get(key);
    if (!m) this.pods.set(key, (m = new Map()));
    m.set(name, (m.get(name) ?? 0) + 1);
  }

  get(key: string): StepMarks | undefined {
    return this.pods.get(key);
  }

  clear(): void {
    this.pods.clear();
  }
}

export const stepTrace = new StepTrace();
