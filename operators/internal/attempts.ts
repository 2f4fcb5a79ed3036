import { defer, type Observable, type SchedulerLike } from 'rxjs';
import { abortable } from '../abortable.js';
import { type RetryBackoffOptions, retryBackoffUnchecked } from '../retry-backoff.js';
import { timeoutEachUnchecked } from '../timeout-each.js';
import { outputAsObservable, type TaskOutput } from './task-output.js';
import type { TaskRun } from './task-run.js';

export interface AttemptPolicy {
  /** Retries: attempts in all, backoff and `retryIf`, as `retryBackoff` takes them. */
  readonly retry?: Omit<RetryBackoffOptions, 'failures' | 'scheduler' | 'random'> | undefined;
  /** Limit on each attempt. */
  readonly timeoutMs?: number | undefined;
  readonly scheduler: SchedulerLike;
  readonly random?: (() => number) | undefined;
  /** Told before each attempt starts (1, 2, …). */
  onAttempt?(attempt: number): void;
  /** Told when attempt `attempt - 1` failed and attempt `attempt` will follow after `delayMs`. */
  onRetry?(attempt: number, error: unknown, delayMs: number): void;
}

/**
 * One unit of work made of attempts: `work(attempt, signal)` is called anew for every attempt, each
 * with its own AbortSignal (aborted when that attempt is torn down: timed out or cancelled), each
 * limited by `timeoutMs`, retried with backoff per `retry`. Validated options only: callers check
 * their config once, not per unit of work.
 */
export function withAttempts<R>(
  work: (attempt: number, signal: AbortSignal) => TaskOutput<R>,
  policy: AttemptPolicy,
): Observable<R> {
  const { retry, timeoutMs, scheduler, random } = policy;
  let attempt = 0;
  let attempts: Observable<R> = defer(() => {
    const current = ++attempt;
    policy.onAttempt?.(current);
    return abortable((signal) => outputAsObservable(work(current, signal)));
  });
  if (timeoutMs !== undefined) attempts = attempts.pipe(timeoutEachUnchecked(timeoutMs, scheduler));
  if (retry) {
    attempts = attempts.pipe(
      retryBackoffUnchecked({
        ...retry,
        scheduler,
        ...(random ? { random } : {}),
        failures: {
          next: ({ attempt: failed, error, retryInMs }) => {
            if (retryInMs !== null) policy.onRetry?.(failed + 1, error, retryInMs);
          },
        },
      }),
    );
  }
  return attempts;
}

/**
 * A pool run's work, made of attempts only when `policy` asks for them: with no retry and no timeout
 * the work is called once, directly — no Observable, and no AbortController unless the work reads the
 * run's signal — which is what most instances and operations are. `signal` is the attempt's when
 * there are attempts, undefined for the single direct call (the run's then: see `withSignal`).
 * The engines (MI, daemon) build their context from `attempt` and `signal` and call user code here.
 */
export function attemptsOf<I, R>(
  run: TaskRun<I, R>,
  policy: Omit<AttemptPolicy, 'onAttempt'> | undefined,
  work: (attempt: number, signal: AbortSignal | undefined) => TaskOutput<R>,
): TaskOutput<R> {
  if (policy === undefined || (policy.retry === undefined && policy.timeoutMs === undefined)) {
    return work(1, undefined);
  }
  return withAttempts(work, {
    ...policy,
    onAttempt: (attempt) => (run.attempts = attempt),
  });
}
