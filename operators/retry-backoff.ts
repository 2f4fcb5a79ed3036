import { type MonoTypeOperatorFunction, retry, type SchedulerLike, timer } from 'rxjs';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { functionSchema, millisecondsSchema, parseConfig, schedulerSchema } from './internal/config.js';
import { longDelays } from './internal/long-delays.js';

/** How long to wait before each retry. */
export interface BackoffPolicy {
  /** Delay before the first retry (default 100). */
  readonly initialDelayMs?: number;
  /** Growth per retry, ≥ 1 (default 2). */
  readonly multiplier?: number;
  /** Cap on the delay before jitter (default 30000). */
  readonly maxDelayMs?: number;
  /** `'none'` (default), `'full'` (uniform 0..d) or a factor f in [0, 1] (uniform d(1-f)..d(1+f)). */
  readonly jitter?: 'none' | 'full' | number;
}

/** One failed attempt, reported before the retry (or the final error) happens. */
export interface AttemptFailure {
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly error: unknown;
  /** The delay before the next attempt, or `null` when no attempt follows. */
  readonly retryInMs: number | null;
}

export interface RetryBackoffOptions extends BackoffPolicy {
  /** Attempts in all, the first included (≥ 1). */
  readonly maxAttempts: number;
  /** Whether `error` (from attempt `attempt`) is worth another attempt (default: every error). */
  readonly retryIf?: (error: unknown, attempt: number) => boolean;
  /** Told of every failed attempt. */
  readonly failures?: { next(failure: AttemptFailure): void };
  readonly scheduler?: SchedulerLike;
  /** A source of uniform numbers in [0, 1) for jitter (default `Math.random`). */
  readonly random?: () => number;
}

export const backoffPolicySchema = z.strictObject({
  initialDelayMs: millisecondsSchema.optional(),
  multiplier: z.number().finite().min(1).optional(),
  maxDelayMs: millisecondsSchema.optional(),
  jitter: z.union([z.literal('none'), z.literal('full'), z.number().min(0).max(1)]).optional(),
});

const optionsSchema = backoffPolicySchema.extend({
  maxAttempts: z.number().int().min(1),
  retryIf: functionSchema.optional(),
  failures: z
    .custom<{ next: unknown }>((v) => typeof (v as { next?: unknown } | null)?.next === 'function', {
      message: 'must be an observer with next()',
    })
    .optional(),
  scheduler: schedulerSchema.optional(),
  random: functionSchema.optional(),
});

const backoffDelayArguments = z.object({
  retry: z.number().int().min(1),
  policy: backoffPolicySchema.loose(),
});

/**
 * The delay before retry `retry` (1 after the first failure):
 * `min(maxDelayMs, initialDelayMs * multiplier^(retry-1))`, then jitter.
 *
 * @throws ConfigError for a `retry` that is not an integer ≥ 1 or a bad policy (arguments swapped
 * would otherwise make a silent `NaN`, a timer that never fires)
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random?: () => number): number {
  parseConfig('backoffDelay arguments', backoffDelayArguments, { retry, policy });
  return delayBeforeRetry(retry, policy, random);
}

/** {@link backoffDelay} for a policy already validated (once per operator, not per retry). */
function delayBeforeRetry(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const { initialDelayMs = 100, multiplier = 2, maxDelayMs = 30_000, jitter = 'none' } = policy;
  const delay = Math.min(maxDelayMs, initialDelayMs * multiplier ** (retry - 1));
  if (jitter === 'none') return delay;
  const u = random();
  // A random() outside [0, 1] would make a retry never fire (NaN) or wait past maxDelayMs.
  if (typeof u !== 'number' || !(u >= 0 && u <= 1)) {
    throw new ConfigError(
      'retry jitter',
      ['random'],
      [`random: must return a number in [0, 1), got ${String(u)}`],
    );
  }
  if (jitter === 'full') return u * delay;
  return Math.min(maxDelayMs * (1 + jitter), delay * (1 - jitter + 2 * jitter * u));
}

/**
 * Resubscribes to the source after it errors, up to `maxAttempts` attempts in all, waiting
 * {@link backoffDelay} on the scheduler between them; errors with the last error when attempts run
 * out or `retryIf` says no. Each resubscription is a new attempt: wrap the work in `defer`.
 *
 * ```text
 * source:  --#                 maxAttempts 3, initialDelayMs 1, multiplier 2, jitter 'none'
 * subs:    ^-!                 attempt 1
 *          ---^-!              attempt 2, 1 ms after the first failure
 *          -------^-!          attempt 3, 2 ms after the second
 * result:  ---------#          the third failure is final
 * ```
 *
 * @throws ConfigError for a bad option (maxAttempts < 1, a negative delay, jitter out of [0, 1], …)
 */
export function retryBackoff<T>(options: RetryBackoffOptions): MonoTypeOperatorFunction<T> {
  parseConfig('retryBackoff options', optionsSchema, options);
  return retryBackoffUnchecked(options);
}

/** {@link retryBackoff} for options already validated, e.g. once per MI task rather than per instance. */
export function retryBackoffUnchecked<T>(options: RetryBackoffOptions): MonoTypeOperatorFunction<T> {
  const { maxAttempts, retryIf, failures, random = Math.random } = options;
  const scheduler = longDelays(options.scheduler);
  return retry<T>({
    delay: (error: unknown, attempt: number) => {
      const again = attempt < maxAttempts && (retryIf === undefined || retryIf(error, attempt));
      const retryInMs = again ? delayBeforeRetry(attempt, options, random) : null;
      failures?.next({ attempt, error, retryInMs });
      if (retryInMs === null) throw error;
      return timer(retryInMs, scheduler);
    },
  });
}
