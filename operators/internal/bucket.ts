/** Tokens within this of a whole one count as whole: refills accumulate floating-point error. */
const EPSILON = 1e-9;

/**
 * A token bucket on an external clock: it holds at most `capacity` tokens, starts full and gains
 * `refillPerSecond` tokens per second. Pure arithmetic; the caller supplies `now`.
 */
export class Bucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1 - EPSILON) return false;
    this.tokens = Math.max(0, this.tokens - 1);
    return true;
  }

  /** Whole tokens left now. */
  remaining(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens + EPSILON);
  }

  /** Milliseconds until a token is available (0 if one is). */
  msUntilToken(now: number): number {
    this.refill(now);
    const missing = 1 - EPSILON - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.refillPerSecond);
  }

  /** Whether the bucket is full again, so a caller keeping many buckets may drop it. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity - EPSILON;
  }

  private refill(now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.refillPerSecond) / 1000);
      this.updatedAt = now;
    }
  }
}
