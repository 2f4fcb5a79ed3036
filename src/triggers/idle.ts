import { map, type Observable, type SchedulerLike, startWith, switchMap, timer } from 'rxjs';
import { z } from 'zod';
import {
  longDelays,
  observableSchema,
  parseConfig,
  schedulerSchema,
} from '../../operators/internal/index.js';
import type { TriggerFire } from './trigger-fire.js';

const optionsSchema = z.strictObject({
  activity: observableSchema,
  ms: z.number().finite().positive(),
  scheduler: schedulerSchema.optional(),
});

/**
 * Fires once after `ms` of silence on `activity`: armed at subscription, re-armed by each activity,
 * and silent after firing until the next activity.
 *
 * ```text
 * activity: --a-------b-----   ms = 3
 * fires:    -----x--------y-   x 3 ms after a, y 3 ms after b (not at 3: a came first)
 * ```
 *
 * @throws ConfigError unless `ms` is a positive finite number
 */
export function idle(
  activity: Observable<unknown>,
  ms: number,
  options: { readonly scheduler?: SchedulerLike } = {},
): Observable<TriggerFire> {
  parseConfig('idle', optionsSchema, {
    activity,
    ms,
    ...options,
  });
  const scheduler = longDelays(options.scheduler);
  return activity.pipe(
    startWith(undefined),
    switchMap(() => {
      const scheduledFor = scheduler.now() + ms;
      return timer(ms, scheduler).pipe(
        map((): TriggerFire => ({ kind: 'idle', at: scheduler.now(), scheduledFor })),
      );
    }),
  );
}
