import { defer, map, type Observable, type SchedulerLike, timer } from 'rxjs';
import { z } from 'zod';
import { parseConfig, schedulerSchema } from '../../operators/internal/index.js';
import { longDelays } from '../../operators/internal/index.js';
import type { TriggerFire } from './trigger-fire.js';

const optionsSchema = z.strictObject({
  ms: z.number().finite().positive(),
  scheduler: schedulerSchema.optional(),
});

/**
 * Fires every `ms`, the first time `ms` after subscription (like rxjs `interval`).
 *
 * ```text
 * every(3)
 * fires:   ---a--b--c--        scheduledFor: 3, 6, 9 after subscription
 * ```
 *
 * @throws ConfigError unless `ms` is a positive finite number
 */
export function every(
  ms: number,
  options: { readonly scheduler?: SchedulerLike } = {},
): Observable<TriggerFire> {
  parseConfig('every', optionsSchema, {
    ms,
    ...options,
  });
  const scheduler = longDelays(options.scheduler);
  return defer(() => {
    const start = scheduler.now();
    return timer(ms, ms, scheduler).pipe(
      map((n): TriggerFire => ({
        kind: 'interval',
        at: scheduler.now(),
        scheduledFor: start + (n + 1) * ms,
      })),
    );
  });
}
