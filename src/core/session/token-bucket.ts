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
