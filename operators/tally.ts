import { type OperatorFunction, scan } from 'rxjs';
import { type Counters, countEvent, emptyCounters } from './counters.js';
import type { PoolEvent } from './pool-event.js';

/**
 * Scans pool events into {@link Counters}, one fresh snapshot per event.
 *
 * ```text
 * events:   A-S---D--C|        A admitted, S started, D succeeded, C inputClosed
 * counters: a-b---c--d|        a = {admitted 1, pending 1}, b = {running 1}, c = {succeeded 1}, d = {…, inputClosed}
 * ```
 */
export function tally(): OperatorFunction<PoolEvent<unknown, unknown>, Counters> {
  return scan<PoolEvent<unknown, unknown>, Counters>((counters, event) => {
    const next = { ...counters };
    countEvent(next, event);
    return next;
  }, emptyCounters());
}
