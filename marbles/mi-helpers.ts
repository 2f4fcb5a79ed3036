import { map, type Observable, type OperatorFunction, type SchedulerLike, toArray } from 'rxjs';
import type { MIEvent } from 'rxdaemon';

/** A short label per MI event: `frame type index` (+ outcome details where they matter). */
export function miLabel(event: MIEvent<unknown, unknown>): string {
  switch (event.type) {
    case 'admitted':
    case 'started':
      return `${event.type} ${event.index}`;
    case 'succeeded':
      return `succeeded ${event.index}=${String(event.value)}`;
    case 'failed':
      return `failed ${event.index}`;
    case 'retrying':
      return `retrying ${event.index} attempt ${event.attempt} after ${event.delayMs}`;
    case 'cancelled':
      return `cancelled ${event.index}${event.wasRunning ? '' : ' (waiting)'}`;
    case 'late':
      return `late ${event.index} ${event.outcome}`;
    case 'refused':
      return `refused ${String(event.input)} (${event.reason})`;
    case 'inputClosed':
      return `inputClosed ${event.total}`;
    case 'decided':
      return `decided ${event.status} ${event.reason}`;
  }
}

/** Every MI event as `frame label`, emitted as one array when the stream completes. */
export function miLog(
  scheduler: SchedulerLike,
  keep: (event: MIEvent<unknown, unknown>) => boolean = () => true,
): OperatorFunction<MIEvent<unknown, unknown>, string[]> {
  return (events: Observable<MIEvent<unknown, unknown>>) =>
    events.pipe(
      map((event) => (keep(event) ? `${scheduler.now()} ${miLabel(event)}` : '')),
      toArray(),
      map((lines) => lines.filter((line) => line !== '')),
    );
}

/** Leaves out admitted/started noise. */
export const outcomes = (event: MIEvent<unknown, unknown>): boolean =>
  event.type !== 'admitted' && event.type !== 'started';
