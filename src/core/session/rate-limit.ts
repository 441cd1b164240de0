/**
 * How fast one client may send: a token bucket, and the point past which a client that keeps
 * sending into refusals is cut off.
 */

/** What to do with one client message. */
export type Admission = 'accept' | 'refuse' | 'cut-off';

/** A token bucket: `ratePerSecond` tokens flow in continuously, up to `burst` saved. */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  private readonly ratePerMs: number;
  private readonly burst: number;

  /** A rate of 0 means no limit. */
  constructor(ratePerSecond: number, burst: number) {
    this.ratePerMs = ratePerSecond / 1000;
    this.burst = Math.max(1, burst);
    this.tokens = this.burst;
  }

  /** Take one token; false when the bucket is empty. */
  take(): boolean {
    if (this.ratePerMs === 0) return true;
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.ratePerMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * One client's rate limit (`--rate-limit`, `--rate-limit-burst`). One object per connection: the
 * refusal count lives in the bucket rather than beside it, and the limit is passed in, not kept.
 */
export class RateLimit extends TokenBucket {
  private refusedInARow = 0;

  /**
   * Admit one message: accept it, refuse it, or cut the client off once more than `maxRefusals`
   * messages in a row were refused.
   */
  admit(maxRefusals: number): Admission {
    if (this.take()) {
      this.refusedInARow = 0;
      return 'accept';
    }
    // Past a burst of refusals the client is not listening to them.
    return ++this.refusedInARow > maxRefusals ? 'cut-off' : 'refuse';
  }
}
