import { map, type Observable, type OperatorFunction, type SchedulerLike, toArray } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import type { DecidedEvent, PoolEvent } from 'rxdaemon/operators';
import { testScheduler } from 'rxdaemon/testing';

/** rxdaemon's test scheduler with vitest's `toEqual`, so `expect.any(...)` works in marble values. */
export function marbleScheduler(): TestScheduler {
  return testScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A short label per pool event: A admitted, S started, D succeeded, F failed, X cancelled, C inputClosed. */
export function label(event: PoolEvent<unknown, unknown> | DecidedEvent): string {
  switch (event.type) {
    case 'admitted':
      return `A${event.index}`;
    case 'started':
      return `S${event.index}`;
    case 'succeeded':
      return `D${event.index}=${String(event.value)}`;
    case 'failed':
      return `F${event.index}`;
    case 'cancelled':
      return `X${event.index}${event.wasRunning ? 'r' : 'p'}`;
    case 'inputClosed':
      return `C${event.total}`;
    case 'decided':
      return `${event.status}:${event.reason}`;
  }
}

/** Collects every event as `frame label`, emitted as one array when the stream completes. */
export function eventLog(
  scheduler: SchedulerLike,
): OperatorFunction<PoolEvent<unknown, unknown> | DecidedEvent, string[]> {
  return (events: Observable<PoolEvent<unknown, unknown> | DecidedEvent>) =>
    events.pipe(
      map((event) => `${scheduler.now()} ${label(event)}`),
      toArray(),
    );
}
