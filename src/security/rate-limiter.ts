import { RateLimitError } from '../errors.js';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { Bucket } from '../../operators/internal/index.js';
import { parseConfig, schedulerSchema } from '../../operators/internal/index.js';

export interface RateLimiterOptions {
  /** Burst per key: the bucket's size, and what a new key starts with. */
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly scheduler?: SchedulerLike;
  /** Keys tracked at most; past it the least recently used are forgotten (default 100000). */
  readonly maxKeys?: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** Whole tokens left for this key after the call. */
  readonly remaining: number;
  /** 0 when allowed; otherwise how long until a token is available. */
  readonly retryAfterMs: number;
}

export interface RateLimiter {
  /** Takes one token for `key`. */
  take(key: string): RateDecision;
  /**
   * Takes one token for `key`, or throws a {@link RateLimitError} (with `retryAfterMs`) when there
   * is none: for callers that turn the limit into their error path (an HTTP 429, a rejected job).
   */
  consume(key: string): RateDecision;
  /** Keys tracked now. */
  readonly size: number;
}

const optionsSchema = z.strictObject({
  capacity: z.number().int().min(1),
  refillPerSecond: z.number().finite().positive(),
  scheduler: schedulerSchema.optional(),
  maxKeys: z.number().int().min(1).optional(),
});

/** Sweep idle keys every this many calls: cheap enough, and memory stays bounded by active keys. */
const SWEEP_EVERY = 1024;

/**
 * A token bucket per key on the scheduler's clock. A key whose bucket has refilled to capacity is
 * indistinguishable from a new one, so sweeps drop it: memory is bounded by the keys active within
 * capacity ÷ refill seconds, and by `maxKeys` (least recently used first) whatever happens.
 *
 * @throws ConfigError for a capacity below 1, a refill rate that is not positive, …
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  parseConfig('rate limiter options', optionsSchema, options);
  const { capacity, refillPerSecond, scheduler = asyncScheduler, maxKeys = 100_000 } = options;
  const buckets = new Map<string, Bucket>();
  let calls = 0;
  const sweep = (now: number): void => {
    for (const [key, bucket] of buckets) if (bucket.isFull(now)) buckets.delete(key);
  };
  const limiter: RateLimiter = {
    get size() {
      return buckets.size;
    },
    consume(key) {
      const decision = limiter.take(key);
      if (!decision.allowed) throw new RateLimitError(key, decision.retryAfterMs);
      return decision;
    },
    take(key) {
      const now = scheduler.now();
      if (++calls % SWEEP_EVERY === 0) sweep(now);
      let bucket = buckets.get(key);
      if (bucket)
        buckets.delete(key); // re-inserted below: Map order is recency order
      else bucket = new Bucket(capacity, refillPerSecond, now);
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      const allowed = bucket.take(now);
      return {
        allowed,
        remaining: bucket.remaining(now),
        retryAfterMs: allowed ? 0 : bucket.msUntilToken(now),
      };
    },
  };
  return limiter;
}
