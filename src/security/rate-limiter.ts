import { RateLimitError } from '../errors.js';
import { blake3, toHex } from '../receipts/blake3.js';
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

/**
 * Every `SWEEP_EVERY` calls, up to `SWEEP_LIMIT` idle keys are checked, oldest first: two a call on
 * average, spread so that no call pays for a walk over every key (nor every call for an iterator),
 * and memory still follows the active keys.
 */
const SWEEP_EVERY = 16;
const SWEEP_LIMIT = 2 * SWEEP_EVERY;

/**
 * Keys longer than this are tracked by their BLAKE3 digest: V8 hashes very long strings by their
 * length alone, so same-length long keys would all collide in the map (an attacker's choice of key
 * must not turn each lookup into a scan).
 */
const MAX_KEY_LENGTH = 256;

const keyOf = (key: string): string => (key.length > MAX_KEY_LENGTH ? `blake3:${toHex(blake3(key))}` : key);

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
  /** The key used last: already at the end of `buckets`, so not moved there again. */
  let newest: string | undefined;
  let calls = 0;
  /** The least recently used keys come first (a used key is re-inserted): forget those refilled. */
  const sweep = (now: number): void => {
    let checked = 0;
    for (const [key, bucket] of buckets) {
      if (checked++ === SWEEP_LIMIT || !bucket.isFull(now)) return;
      buckets.delete(key);
    }
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
    take(given) {
      const key = keyOf(String(given));
      const now = scheduler.now();
      if (++calls % SWEEP_EVERY === 0) sweep(now);
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = new Bucket(capacity, refillPerSecond, now);
        buckets.set(key, bucket);
        if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      } else if (key !== newest) {
        // Moved to the end: Map order is recency order.
        buckets.delete(key);
        buckets.set(key, bucket);
      }
      newest = key;
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
