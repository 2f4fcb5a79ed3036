import { concat, defer, type Observable, of, type OperatorFunction, takeWhile } from 'rxjs';
import { type Counters, countEvent, emptyCounters, type MutableCounters } from './counters.js';
import { assertFunction } from './internal/config.js';
import type { PoolEvent } from './pool-event.js';
import type { Decision, Rule } from './rules.js';

/** The last event of a decided stream. `counters` count the instances torn down as `cancelled`. */
export interface DecidedEvent extends Decision {
  readonly type: 'decided';
  readonly counters: Counters;
}

const UNDECIDED_END: Decision = { status: 'completed', reason: 'all-settled' };

/**
 * Passes pool events through and, after the event that makes `rule` decide, emits `decided` and
 * completes. Completing unsubscribes the pool in that same frame, so every running and waiting
 * instance is torn down then — their signals aborted — not when they would have finished.
 * It is `scan` (counters) + `takeWhile(undecided, inclusive)`.
 *
 * ```text
 * w:       --a|                threshold(2), concurrency 3, inputs (wxy|)
 * x:       ----b|
 * y:       ------c|
 * events:  ...D-D              D succeeded
 * result:  ---a-(bZ|)          a and b succeed at 3 and 5 (completion); Z decided {completed, threshold}
 * y subs:  ^----!              torn down at the decision, frame 5, not 7
 * ```
 *
 * @param rule - a completion {@link Rule}, e.g. `threshold(3)`
 */
export function completeWhen<I, R>(
  rule: Rule,
): OperatorFunction<PoolEvent<I, R>, PoolEvent<I, R> | DecidedEvent> {
  assertFunction('completeWhen', 'rule', rule);
  return (source) =>
    defer(() => {
      const counters = emptyCounters();
      let decision: Decision | undefined;
      const events: Observable<PoolEvent<I, R>> = source.pipe(
        takeWhile((event) => {
          if (countEvent(counters, event)) {
            const verdict = rule(counters);
            if (verdict !== 'continue') decision = verdict;
          }
          return decision === undefined;
        }, true),
      );
      return concat(
        events,
        defer(() => of(decidedEvent(decision ?? UNDECIDED_END, counters))),
      );
    });
}

function decidedEvent(decision: Decision, counters: MutableCounters): DecidedEvent {
  const cancelled = counters.cancelled + counters.running + counters.pending;
  return {
    type: 'decided',
    status: decision.status,
    reason: decision.reason,
    counters: { ...counters, running: 0, pending: 0, cancelled },
  };
}
