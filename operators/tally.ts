import { type OperatorFunction, scan } from 'rxjs';
import { copyCounters, type Counters, countEvent, emptyCounters } from './counters.js';
import type { DecidedEvent } from './complete-when.js';
import type { PoolEvent } from './pool-event.js';

/**
 * Scans pool events into {@link Counters}, one fresh snapshot per event. Placed after
 * `completeWhen`, its last snapshot is the decision's final accounting.
 *
 * ```text
 * events:   A-S---D--C|        A admitted, S started, D succeeded, C inputClosed
 * counters: a-b---c--d|        a = {admitted 1, pending 1}, b = {running 1}, c = {succeeded 1}, d = {…, inputClosed}
 * ```
 */
export function tally(): OperatorFunction<PoolEvent<unknown, unknown> | DecidedEvent, Counters> {
  return scan<PoolEvent<unknown, unknown> | DecidedEvent, Counters>((counters, event) => {
    const next = copyCounters(counters);
    countEvent(next, event);
    return next;
  }, emptyCounters());
}
