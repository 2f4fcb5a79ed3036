import { map, type MonoTypeOperatorFunction, type SchedulerLike, takeUntil, timer } from 'rxjs';
import { z } from 'zod';
import { TimeoutError } from './errors.js';
import { millisecondsSchema, parseConfig, schedulerSchema } from './internal/config.js';
import { longDelays } from './internal/long-delays.js';

const optionsSchema = z.strictObject({ ms: millisecondsSchema, scheduler: schedulerSchema.optional() });

/**
 * Errors with a {@link TimeoutError} if the source has not completed `ms` after each subscription,
 * tearing it down; each subscription (each attempt, under `retryBackoff`) gets its own deadline.
 * Unlike rxjs `timeout`, the limit is on completion, not on the first value.
 *
 * ```text
 * source:  -a----b|            ms = 4
 * result:  -a--#               TimeoutError at frame 4
 * subs:    ^---!
 * ```
 *
 * @throws ConfigError when `ms` is negative or not finite
 */
export function timeoutEach<T>(
  ms: number,
  options: { readonly scheduler?: SchedulerLike } = {},
): MonoTypeOperatorFunction<T> {
  parseConfig('timeoutEach', optionsSchema, {
    ms,
    ...options,
  });
  return timeoutEachUnchecked(ms, longDelays(options.scheduler));
}

/** {@link timeoutEach} for a limit already validated. */
export function timeoutEachUnchecked<T>(ms: number, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  return takeUntil<T>(
    timer(ms, longDelays(scheduler)).pipe(
      map(() => {
        throw new TimeoutError(ms);
      }),
    ),
  );
}
