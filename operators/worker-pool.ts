import { Observable, type ObservableInput, type OperatorFunction, type Subscriber, Subscription } from 'rxjs';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { assertFunction, parseConfig } from './internal/config.js';
import { Queue } from './internal/queue.js';
import { type RunHost, type TaskContext, TaskRun } from './internal/task-run.js';
import type { PoolEvent } from './pool-event.js';

export type { TaskContext } from './internal/task-run.js';

/** A pool task: called once per input; its result is the last value it emits (or resolves to). */
export type PoolTask<I, R> = (input: I, context: TaskContext) => ObservableInput<R>;

export interface WorkerPoolOptions {
  /** How many tasks may run at once: a positive integer or `Infinity`, or a stream of them. */
  readonly concurrency: number | Observable<number>;
  /** Indexes to cancel one by one: a waiting input is withdrawn, a running task torn down. */
  readonly cancel?: Observable<number>;
}

const limitSchema = z.union([z.number().int().positive(), z.literal(Infinity)], {
  error: 'must be a positive integer or Infinity',
});

const optionsSchema = z.object({
  concurrency: z.union([limitSchema, z.instanceof(Observable)], {
    error: 'must be a positive integer, Infinity or an Observable of them',
  }),
  cancel: z.instanceof(Observable, { error: 'must be an Observable of indexes' }).optional(),
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
      const pool = new Pool(task, subscriber, typeof concurrency === 'number' ? concurrency : 0);
      const subscriptions = new Subscription(() => pool.teardown());
      if (typeof concurrency !== 'number') {
        subscriptions.add(
          concurrency.subscribe({
            next: (limit) => pool.setLimit(limit),
            error: (error: unknown) => subscriber.error(error),
          }),
        );
      }
      if (cancel) subscriptions.add(cancel.subscribe({ next: (index) => pool.cancel(index) }));
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

class Pool<I, R> implements RunHost<I, R> {
  private readonly waiting = new Queue<I>();
  /** Running tasks as an intrusive list (newest first): O(1) add and remove, one pass to tear down. */
  private running: TaskRun<I, R> | undefined;
  private runningCount = 0;
  private withdrawn: Set<number> | undefined;
  private admitted = 0;
  private dequeued = 0;
  private inputClosed = false;
  private draining = false;

  constructor(
    private readonly task: PoolTask<I, R>,
    private readonly subscriber: Subscriber<PoolEvent<I, R>>,
    private limit: number,
  ) {}

  admit(input: I): void {
    this.subscriber.next({ type: 'admitted', index: this.admitted++, input });
    this.waiting.push(input);
    this.drain();
  }

  closeInput(): void {
    this.inputClosed = true;
    this.subscriber.next({ type: 'inputClosed', total: this.admitted });
    this.drain();
  }

  setLimit(limit: number): void {
    const parsed = limitSchema.safeParse(limit);
    if (!parsed.success) {
      this.subscriber.error(
        new ConfigError(
          'workerPool concurrency',
          ['concurrency'],
          [`concurrency: ${String(limit)} ${parsed.error.issues[0]?.message}`],
        ),
      );
      return;
    }
    this.limit = limit;
    this.drain();
  }

  /** O(running) to find a running index: cancelling one instance is rare next to finishing one. */
  cancel(index: number): void {
    let run = this.running;
    while (run !== undefined && run.index !== index) run = run.next;
    if (run) {
      run.cancel();
      this.unlink(run);
      this.subscriber.next({ type: 'cancelled', index, input: run.input, wasRunning: true });
      this.drain();
    } else if (index >= this.dequeued && index < this.admitted && !this.withdrawn?.has(index)) {
      (this.withdrawn ??= new Set()).add(index);
      const input = this.waiting.peekAt(index - this.dequeued);
      this.subscriber.next({ type: 'cancelled', index, input, wasRunning: false });
      this.drain();
    }
  }

  succeeded(run: TaskRun<I, R>, value: R): void {
    this.unlink(run);
    this.subscriber.next({ type: 'succeeded', index: run.index, input: run.input, value });
    this.drain();
  }

  failed(run: TaskRun<I, R>, error: unknown): void {
    this.unlink(run);
    this.subscriber.next({ type: 'failed', index: run.index, input: run.input, error });
    this.drain();
  }

  teardown(): void {
    let run = this.running;
    this.running = undefined;
    this.runningCount = 0;
    while (run !== undefined) {
      run.cancel();
      run = run.next;
    }
    this.waiting.clear();
  }

  private link(run: TaskRun<I, R>): void {
    run.next = this.running;
    if (this.running) this.running.previous = run;
    this.running = run;
    this.runningCount++;
  }

  private unlink(run: TaskRun<I, R>): void {
    if (run.previous) run.previous.next = run.next;
    else this.running = run.next;
    if (run.next) run.next.previous = run.previous;
    run.previous = run.next = undefined;
    this.runningCount--;
  }

  /** Starts waiting inputs while slots are free; re-entrant calls fold into the running loop. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    const { waiting, subscriber } = this;
    while (this.runningCount < this.limit && waiting.length > 0 && !subscriber.closed) {
      const input = waiting.shift();
      const index = this.dequeued++;
      if (this.withdrawn?.delete(index)) continue;
      const run = new TaskRun(index, input, this);
      this.link(run);
      subscriber.next({ type: 'started', index, input });
      if (subscriber.closed) break; // the consumer decided on `started`: do not start a task it dropped
      run.start(this.task);
    }
    this.draining = false;
    if (this.inputClosed && this.runningCount === 0 && waiting.length === 0 && !subscriber.closed) {
      subscriber.complete();
    }
  }
}
