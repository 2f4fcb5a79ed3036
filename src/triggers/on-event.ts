import { asyncScheduler, filter, map, type Observable, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import {
  functionSchema,
  observableSchema,
  parseConfig,
  schedulerSchema,
} from '../../operators/internal/index.js';
import type { TriggerFire } from './trigger-fire.js';

const optionsSchema = z.strictObject({
  events: observableSchema,
  name: z.union([z.string().min(1), z.instanceof(RegExp)], {
    error: 'must be a non-empty string or a RegExp',
  }),
  accept: functionSchema,
  scheduler: schedulerSchema.optional(),
});

/** A named application event. */
export interface NamedEvent {
  readonly name: string;
  readonly payload?: unknown;
}

/**
 * Fires for each event whose name equals `name` (or matches it, for a RegExp) and passes `accept`;
 * the event is the fire's `cause`. A throwing `accept` errors the stream.
 *
 * @throws ConfigError for a bad name, filter or option
 *
 * ```text
 * events:  -p-x-p-             p = 'payment.received'
 * fires:   -a---b-             onEvent(events, 'payment.received')
 * ```
 */
export function onEvent<E extends NamedEvent>(
  events: Observable<E>,
  name: string | RegExp,
  accept: (event: E) => boolean = () => true,
  options: { readonly scheduler?: SchedulerLike } = {},
): Observable<TriggerFire> {
  parseConfig('onEvent', optionsSchema, { events, name, accept, ...options });
  const scheduler = options.scheduler ?? asyncScheduler;
  // A global or sticky RegExp keeps state between test() calls (and would skip every other match).
  const pattern =
    typeof name === 'string' ? undefined : new RegExp(name.source, name.flags.replace(/[gy]/g, ''));
  const matches = pattern === undefined ? (n: string) => n === name : (n: string) => pattern.test(n);
  return events.pipe(
    filter((event) => matches(event.name) && accept(event)),
    map((event): TriggerFire => ({ kind: 'event', at: scheduler.now(), cause: event })),
  );
}
