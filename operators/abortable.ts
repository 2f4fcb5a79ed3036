import { defer, Observable, type ObservableInput } from 'rxjs';
import { CancelledError } from './errors.js';
import { assertFunction } from './internal/config.js';

/**
 * Runs `task` once per subscription with a fresh AbortSignal; unsubscribing before the task settled
 * aborts it with a {@link CancelledError}. A task that settled is never aborted.
 *
 * ```text
 * task:    ----a|
 * result:  ----a|
 * unsub:   --!                 signal aborted at frame 2 (reason CancelledError)
 * ```
 *
 * @param task - receives the signal; returns a promise, an observable or any ObservableInput
 */
export function abortable<R>(task: (signal: AbortSignal) => ObservableInput<R>): Observable<R> {
  assertFunction('abortable', 'task', task);
  return new Observable<R>((subscriber) => {
    const controller = new AbortController();
    let settled = false;
    const inner = defer(() => task(controller.signal)).subscribe({
      next: (value) => subscriber.next(value),
      error: (error: unknown) => {
        settled = true;
        subscriber.error(error);
      },
      complete: () => {
        settled = true;
        subscriber.complete();
      },
    });
    return () => {
      inner.unsubscribe();
      if (!settled) controller.abort(new CancelledError());
    };
  });
}
