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
  private queued = 0;
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
    this.queued++;
    const turn = this.tail.then(() => this.wait(abandoned)).finally(() => this.queued--);
    this.tail = turn;
    return turn;
  }

  /** Callers waiting in `take`. */
  get waiting(): number {
    return this.queued;
  }

  /** Spends a token now if one is there, without waiting: a call that went ahead on its own still counts against what follows. */
  spend(): void {
    const t = this.now();
    this.tokens = Math.max(0, Math.min(this.burst, this.tokens + ((t - this.last) * this.qps) / 1000) - 1);
    this.last = t;
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

/**
 * Container starts' turns. At most `parallel` starts launch at once (a start holds its slot from
 * its turn until its processes are launched), served in order: that is what bounds a 2-core
 * machine's load under a flood, whatever the machine's speed. A bucket, when set, also bounds
 * their rate: a start alone (none other launching, none waiting) goes at once, its token spent if
 * there is one, so a sequential workflow paces itself; starts that come together wait for it.
 */
export class StartPacer {
  private launching = 0;
  private readonly slotWaiters: (() => void)[] = [];

  /** No bucket: no rate, only the bound on starts at once (`parallel`, at least 1; Infinity: none). */
  constructor(
    private readonly bucket: TokenBucket | undefined,
    private readonly parallel = Infinity,
  ) {
    if (!(parallel >= 1)) throw new RangeError(`StartPacer: parallel must be >= 1 (got ${parallel})`);
  }

  /** Resolves true when the start may go (then call `done` once it is launched), false when `abandoned` said so first. */
  async turn(abandoned: () => boolean): Promise<boolean> {
    if (this.launching < this.parallel && this.slotWaiters.length === 0) this.launching++;
    else await new Promise<void>((resolve) => this.slotWaiters.push(resolve)); // woken holding the slot `done` passed on
    if (abandoned()) {
      this.done();
      return false;
    }
    if (!this.bucket || (this.launching === 1 && this.bucket.waiting === 0)) {
      this.bucket?.spend();
      return true;
    }
    const ok = await this.bucket.take(abandoned);
    if (!ok) this.done();
    return ok;
  }

  /** The start holding a slot has launched (or given up): its slot goes to the next in line. */
  done(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.launching = Math.max(0, this.launching - 1);
  }

  /** Starts holding a slot, and those waiting for one. */
  get load(): { launching: number; waiting: number } {
    return { launching: this.launching, waiting: this.slotWaiters.length };
  }
}
