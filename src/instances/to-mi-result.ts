import { Observable, type OperatorFunction } from 'rxjs';
import { guard } from '../../operators/internal/index.js';
import { MIFailedError } from '../errors.js';
import { assertEvent, type MIEvent } from './mi-event.js';
import type { MIResult } from './mi-result.js';

/**
 * Reduces an MI event stream to its result: emits the `MIResult` at `decided` when the task
 * completed, or errors with an {@link MIFailedError} carrying it (and the decision's `cause`) when
 * it failed or was cancelled. It completes when the event stream does, so in `remaining: 'detach'`
 * mode the detached instances run to their end while you stay subscribed.
 *
 * ```text
 * events:  -a-s-s-D|           D decided {completed}
 * result:  -------r|
 * events:  -a-f-D|             D decided {failed}
 * result:  -----#              MIFailedError
 * ```
 */
export function toMIResult<I, R>(): OperatorFunction<MIEvent<I, R>, MIResult<R>> {
  return (events) =>
    new Observable<MIResult<R>>((subscriber) =>
      events.subscribe({
        // Guarded: a value that is no MI event errors the stream instead of throwing uncaught.
        next: guard(subscriber, (event: MIEvent<I, R>) => {
          assertEvent(event, 'toMIResult');
          if (event.type !== 'decided') return;
          if (event.status === 'completed') subscriber.next(event.result);
          else
            subscriber.error(
              new MIFailedError(event.result, 'cause' in event ? { cause: event.cause } : undefined),
            );
        }),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
