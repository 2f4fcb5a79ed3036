import { type MonoTypeOperatorFunction, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { z } from 'zod';
import { Bucket } from './internal/bucket.js';
import { parseConfig, schedulerSchema } from './internal/config.js';
import { longDelays } from './internal/long-delays.js';
import { Queue } from './internal/queue.js';

export interface TokenBucketOptions {
  /** Burst size: tokens the bucket holds, and starts with. */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
  readonly scheduler?: SchedulerLike;
}

const optionsSchema = z.strictObject({
  capacity: z.number().int().min(1),
  refillPerSecond: z.number().finite().positive(),
  scheduler: schedulerSchema.optional(),
});

/**
 * Delays values to a token bucket's rate: each value takes a token; a value that finds none waits,
 * in order, until one has refilled. Nothing is dropped; completion waits for the queue to drain.
 *
 * ```text
 * source:  (abcd)|             capacity 2, refillPerSecond 200 (a token every 5 ms)
 * result:  (ab)-c----(d|)      a, b at once; c at 5 ms, d at 10 ms
 * ```
 *
 * @throws ConfigError for a capacity below 1 or a refill rate that is not positive
 */
export function tokenBucket<T>(options: TokenBucketOptions): MonoTypeOperatorFunction<T> {
  parseConfig('tokenBucket options', optionsSchema, options);
  const { capacity, refillPerSecond } = options;
  const scheduler = longDelays(options.scheduler);
  return (source) =>
    new Observable<T>((subscriber) => {
      const bucket = new Bucket(capacity, refillPerSecond, scheduler.now());
      const waiting = new Queue<T>();
      let sourceDone = false;
      let wakeUp: Subscription | undefined;
      const release = (): void => {
        wakeUp = undefined;
        while (waiting.length > 0 && bucket.take(scheduler.now())) subscriber.next(waiting.shift());
        if (waiting.length > 0) wakeUp = scheduler.schedule(release, bucket.msUntilToken(scheduler.now()));
        else if (sourceDone) subscriber.complete();
      };
      const subscription = source.subscribe({
        next: (value) => {
          waiting.push(value);
          if (!wakeUp) release();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          if (!wakeUp) release();
        },
      });
      return () => {
        subscription.unsubscribe();
        wakeUp?.unsubscribe();
        waiting.clear();
      };
    });
}
