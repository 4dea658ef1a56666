/**
 * A token bucket: at most `qps` calls per second on average, `burst` at once. The Kubernetes
 * runtime spends one token per write to the apiserver, as client-go's clients do, so a burst of
 * jobs does not flood the cluster.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError(`TokenBucket: qps must be > 0 and burst >= 1 (got ${qps}, ${burst})`);
    this.tokens = burst;
    this.last = now();
  }

  /** Resolves when a token is free; callers are served in order. */
  take(): Promise<void> {
    const turn = this.tail.then(() => this.wait());
    this.tail = turn;
    return turn;
  }

  private async wait(): Promise<void> {
    for (;;) {
      const t = this.now();
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.qps) / 1000);
      this.last = t;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil(((1 - this.tokens) * 1000) / this.qps)));
    }
  }
}
