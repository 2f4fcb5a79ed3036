import { asyncScheduler, filter, map, type Observable, type SchedulerLike } from 'rxjs';
import type { TriggerFire } from './trigger-fire.js';

/** A named application event. */
export interface NamedEvent {
  readonly name: string;
  readonly payload?: unknown;
}

/**
 * Fires for each event whose name equals `name` (or matches it, for a RegExp) and passes `accept`;
 * the event is the fire's `cause`.
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
  const scheduler = options.scheduler ?? asyncScheduler;
  const matches = typeof name === 'string' ? (n: string) => n === name : (n: string) => name.test(n);
  return events.pipe(
    filter((event) => matches(event.name) && accept(event)),
    map((event): TriggerFire => ({ kind: 'event', at: scheduler.now(), cause: event })),
  );
}
