import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { z } from 'zod';
import { parseConfig, schedulerSchema } from './internal/config.js';
import { longDelays } from './internal/long-delays.js';

export interface BatchWindowOptions {
  /** Largest batch. */
  readonly size: number;
  /** Longest a value waits in a batch before the batch is emitted. */
  readonly ms: number;
  readonly scheduler?: SchedulerLike;
}

const optionsSchema = z.strictObject({
  size: z.number().int().min(1),
  ms: z.number().finite().positive(),
  scheduler: schedulerSchema.optional(),
});

/**
 * Groups values into arrays of at most `size`, each emitted when full or `ms` after its first value
 * arrived, whichever comes first; never an empty array. The rest is flushed when the source completes.
 *
 * ```text
 * source:  ab-c------d-|       size 3, ms 4
 * result:  ---x------(y|)      x = [a, b, c] (full at 3), y = [d] flushed at completion
 * source:  a-b-----c--|        size 3, ms 4
 * result:  ----x------(y|)     x = [a, b] when a has waited 4 ms, y = [c] flushed at completion
 * ```
 *
 * @throws ConfigError for a size below 1 or a window that is not positive
 */
export function batchWindow<T>(options: BatchWindowOptions): OperatorFunction<T, T[]> {
  parseConfig('batchWindow options', optionsSchema, options);
  const { size, ms } = options;
  const scheduler = longDelays(options.scheduler);
  return (source: Observable<T>) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = [];
      let deadline: Subscription | undefined;
      const flush = (): void => {
        deadline?.unsubscribe();
        deadline = undefined;
        const full = batch;
        batch = [];
        subscriber.next(full);
      };
      const subscription = source.subscribe({
        next: (value) => {
          batch.push(value);
          if (batch.length === 1) deadline = scheduler.schedule(flush, ms);
          if (batch.length >= size) flush();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (batch.length > 0) flush();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        deadline?.unsubscribe();
      };
    });
}
