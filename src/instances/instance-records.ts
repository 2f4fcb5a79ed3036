import { defer, map, type MonoTypeOperatorFunction } from 'rxjs';
import { InstanceTable } from './instance-table.js';
import type { MIEvent } from './mi-event.js';

/**
 * A consumer of an MI task's events: folds them into an instance table and completes the `decided`
 * event's result with one record per admitted instance and the succeeded values, in index order.
 * The engine itself only emits events and keeps the counters its rule needs; `keep: 'summary'`
 * leaves this fold out.
 *
 * ```text
 * events:  a-s-S-(D|)          D.result.instances = [{ index 0, succeeded, … }], values = [v]
 * result:  a-s-S-(D|)
 * ```
 */
export function withInstanceRecords<I, R>(): MonoTypeOperatorFunction<MIEvent<I, R>> {
  return (events) =>
    defer(() => {
      const table = new InstanceTable<R>();
      return events.pipe(
        map((event) => {
          table.apply(event); // a `decided` event marks the instances still running as detached
          if (event.type !== 'decided') return event;
          const result = { ...event.result, instances: table.snapshot(), values: table.values() };
          return { ...event, result };
        }),
      );
    });
}
