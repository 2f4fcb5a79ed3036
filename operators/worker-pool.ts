import { Observable, type OperatorFunction, type Subscriber, Subscription } from 'rxjs';
import { z } from 'zod';
import {
  assertFunction,
  limitSchema,
  observableSchema,
  parseConfig,
  parseIndex,
  parseLimit,
} from './internal/config.js';
import { guard } from './internal/guard.js';
import { withSignal } from './internal/live-signal.js';
import { Pool, type PoolSink } from './internal/pool.js';
import type { TaskOutput } from './internal/task-output.js';
import type { TaskContext, TaskRun } from './internal/task-run.js';
import type { PoolEvent } from './pool-event.js';

export type { TaskContext } from './internal/task-run.js';

/**
 * A pool task: called once per input. It returns a plain value (its result), a Promise (what it
 * resolves to) or an Observable (the last value it emits); strings and arrays are plain values.
 */
export type PoolTask<I, R> = (input: I, context: TaskContext) => TaskOutput<R>;

export interface WorkerPoolOptions {
  /** How many tasks may run at once: a positive integer or `Infinity`, or a stream of them. */
  readonly concurrency: number | Observable<number>;
  /** Indexes to cancel one by one: a waiting input is withdrawn, a running task torn down. */
  readonly cancel?: Observable<number>;
}

const optionsSchema = z.strictObject({
  concurrency: z.union([limitSchema, observableSchema], {
    error: 'must be a positive integer, Infinity or an Observable of them',
  }),
  cancel: observableSchema.optional(),
});

/**
 * Runs `task` per input, at most `concurrency` at once; failures become events, not errors.
 * It has `mergeMap`'s semantics with O(1) queueing and O(1) removal of finished tasks.
 *
 * ```text
 * inputs:  (xyz|)              concurrency = 2
 * x:       --a|
 * y:       ----b|
 * z:         --c|             starts at frame 3, when x frees its slot
 * done:    ---a-b(c|)          the `succeeded` events (admitted/started/inputClosed not drawn)
 * ```
 *
 * A task that throws, rejects, errors or completes without a value (`EmptyResultError`) becomes a
 * `failed` event; the pool errors only if its source does, or if a `concurrency` stream emits an
 * invalid limit (`ConfigError`). Unsubscribing tears down every running task, aborting the signals
 * of those that had not settled with a `CancelledError`.
 *
 * @param task - called with the input and a {@link TaskContext} (`index`, `signal`)
 * @param options - `concurrency` (required), `cancel`
 * @throws ConfigError when the options are invalid, before anything is subscribed
 */
export function workerPool<I, R>(
  task: PoolTask<I, R>,
  options: WorkerPoolOptions,
): OperatorFunction<I, PoolEvent<I, R>> {
  assertFunction('workerPool', 'task', task);
  parseConfig('workerPool options', optionsSchema, options);
  const { concurrency, cancel } = options;
  return (source) =>
    new Observable<PoolEvent<I, R>>((subscriber) => {
      const pool = new Pool<I, R>(
        // The task gets a context of its own fields (spreading it keeps `signal`), not the run.
        (input, run) => task(input, withSignal({ index: run.index }, run, undefined)),
        new PoolEventSink(subscriber),
        typeof concurrency === 'number' ? concurrency : 0,
      );
      const subscriptions = new Subscription(() => pool.teardown());
      if (typeof concurrency !== 'number') {
        subscriptions.add(
          concurrency.subscribe({
            next: guard(subscriber, (limit) => pool.setLimit(parseLimit('workerPool concurrency', limit))),
            error: (error: unknown) => subscriber.error(error),
          }),
        );
      }
      if (cancel) {
        subscriptions.add(
          cancel.subscribe({
            next: guard(subscriber, (index) => pool.cancel(parseIndex('workerPool cancel', index))),
            error: (error: unknown) => subscriber.error(error),
          }),
        );
      }
      subscriptions.add(
        source.subscribe({
          next: (input) => pool.admit(input),
          error: (error: unknown) => subscriber.error(error),
          complete: () => pool.closeInput(),
        }),
      );
      return subscriptions;
    });
}

/** Turns pool callbacks into {@link PoolEvent}s on the subscriber. */
class PoolEventSink<I, R> implements PoolSink<I, R> {
  constructor(private readonly subscriber: Subscriber<PoolEvent<I, R>>) {}

  get closed(): boolean {
    return this.subscriber.closed;
  }

  admitted(index: number, input: I): void {
    this.subscriber.next({ type: 'admitted', index, input });
  }

  started(run: TaskRun<I, R>): void {
    this.subscriber.next({ type: 'started', index: run.index, input: run.input });
  }

  succeeded(run: TaskRun<I, R>, value: R): void {
    this.subscriber.next({ type: 'succeeded', index: run.index, input: run.input, value });
  }

  failed(run: TaskRun<I, R>, error: unknown): void {
    this.subscriber.next({ type: 'failed', index: run.index, input: run.input, error });
  }

  cancelled(index: number, input: I, wasRunning: boolean): void {
    this.subscriber.next({ type: 'cancelled', index, input, wasRunning });
  }

  inputClosed(total: number): void {
    this.subscriber.next({ type: 'inputClosed', total });
  }

  drained(): void {
    this.subscriber.complete();
  }
}
