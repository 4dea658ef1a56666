/**
 * Runs `sync(key)` at most once at a time per key: a request while it runs brings one more run
 * after it, however many came; a run that throws is requested again after 250 ms, doubling to
 * 30 s (the apiserver away, throttled, a namespace still being set up). Pods and Services are
 * mirrored into the cluster this way (runtime.ts, services.ts).
 */
export class KeyedSync {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** Consecutive failed runs by key, for the back-off. */
  private readonly failures = new Map<string, number>();
  constructor(
    private readonly sync: (key: string) => Promise<void>,
    private readonly failed: (key: string, err: unknown, retryInMs: number) => void,
    /** False once the owner stops (it may start again): no new run, no run again. */
    private readonly live: () => boolean,
  ) {}

  request(key: string): void {
    if (!this.live()) return;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    const run = (async () => {
      do {
        this.again.delete(key);
        try {
          await this.sync(key);
          this.failures.delete(key);
        } catch (err) {
          const n = (this.failures.get(key) ?? 0) + 1;
          this.failures.set(key, n);
          const delay = Math.min(30_000, 250 * 2 ** (n - 1));
          this.failed(key, err, delay);
          setTimeout(() => this.request(key), delay).unref();
        }
      } while (this.again.has(key) && this.live());
    })();
    this.running.set(key, run);
    void run.finally(() => this.running.delete(key));
  }

  /** Resolves once the runs under way have ended (the owner has stopped: no new ones start). */
  async drain(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running.values()]);
    this.failures.clear();
  }
}
