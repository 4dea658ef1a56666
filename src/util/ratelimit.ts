/**
 * A token bucket: at most `qps` calls per second on average, `burst` at once. The Kubernetes
 * runtime spends one token per write to the apiserver, as client-go's clients do, so a burst of
 * jobs does not flood the cluster; the local runtime spends one per container start.
 */
import type { Clock } from './clock.js';

export class TokenBucket {
  private tokens: number;
  private last: number;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  /** `clock`: a Clock (its timers too), or just a time source with real timers; default performance.now. */
  constructor(
    private readonly qps: number,
    private readonly burst: number,
    clock: Clock | (() => number) = () => performance.now(),
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError(`TokenBucket: qps must be > 0 and burst >= 1 (got ${qps}, ${burst})`);
    if (typeof clock === 'function') {
      this.now = clock;
      this.sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    } else {
      this.now = () => clock.now();
      this.sleep = (ms) => new Promise((r) => void clock.setTimer(ms, r));
    }
    this.tokens = burst;
    this.last = this.now();
  }

  /**
   * Resolves when a token is free; callers are served in order. A caller whose `abandoned` says
   * true when its turn comes (a pod deleted while it waited) takes no token and gets false.
   */
  take(abandoned?: () => boolean): Promise<boolean> {
    const turn = this.tail.then(() => this.wait(abandoned));
    this.tail = turn;
    return turn;
  }

  private async wait(abandoned?: () => boolean): Promise<boolean> {
    for (;;) {
      if (abandoned?.()) return false;
      const t = this.now();
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.qps) / 1000);
      this.last = t;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return true;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) * 1000) / this.qps));
    }
  }
}
