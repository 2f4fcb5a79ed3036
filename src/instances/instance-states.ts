import { Observable, type OperatorFunction } from 'rxjs';
import { guard } from '../../operators/internal/index.js';
import { InstanceTable } from './instance-table.js';
import { assertEvent, type MIEvent } from './mi-event.js';
import type { InstanceRecord, InstanceStatus } from './mi-result.js';

/** A live, read-only view of every instance's state, by index. */
export interface InstanceRegistry<R> {
  /** Instances admitted so far. */
  readonly size: number;
  /** The state of instance `index`, or undefined if it was never admitted. */
  get(index: number): InstanceRecord<R> | undefined;
  /** Indexes of the instances now in `status`. */
  indexesIn(status: InstanceStatus): number[];
  /** A copy of every record, in index order. */
  snapshot(): InstanceRecord<R>[];
}

/**
 * The MI instance registry: scans MI events into index → state and emits the registry after every
 * event, so any instance can be queried while the task runs. The registry is one live object (not a
 * copy per event): read it when it is emitted, or take a `snapshot()` to keep.
 *
 * ```text
 * events:    a-s-S|            admitted, started, succeeded (instance 0)
 * registry:  r-r-r|            get(0).status: pending, running, succeeded
 * ```
 */
export function instanceStates<I, R>(): OperatorFunction<MIEvent<I, R>, InstanceRegistry<R>> {
  return (events) =>
    new Observable<InstanceRegistry<R>>((subscriber) => {
      const table = new InstanceTable<R>();
      return events.subscribe({
        next: guard(subscriber, (event: MIEvent<I, R>) => {
          assertEvent(event, 'instanceStates');
          table.apply(event);
          subscriber.next(table);
        }),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
