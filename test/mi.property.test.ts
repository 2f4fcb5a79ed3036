import fc from 'fast-check';
import { concat, from, map, merge, type Observable, Subject, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type MIDecidedEvent, type MIEvent, multipleInstance, runMultipleInstance } from 'rxdaemon';
import { type PoolScenario, poolScenario, ruleOf, testScheduler } from 'rxdaemon/testing';
import { plannedTask } from './support.js';

interface MIScenario extends PoolScenario {
  readonly source: 'array' | 'observable';
  readonly remaining: 'cancel' | 'detach';
  readonly retries: boolean;
  /** Indexes cancelled (WCP-19) from inside their own `started` event. */
  readonly cancelOnStart: readonly number[];
  /** Indexes cancelled at subscription, before they are admitted. */
  readonly cancelEarly: readonly number[];
}

const miScenario: fc.Arbitrary<MIScenario> = fc
  .tuple(
    poolScenario(),
    fc.constantFrom('array', 'observable'),
    fc.constantFrom('cancel', 'detach'),
    fc.boolean(),
    fc.uniqueArray(fc.nat(24), { maxLength: 4 }),
    fc.uniqueArray(fc.nat(24), { maxLength: 3 }),
  )
  .map(([scenario, source, remaining, retries, cancelOnStart, cancelEarly]) => ({
    ...scenario,
    source,
    remaining,
    retries,
    cancelOnStart,
    cancelEarly,
  }));

interface Trace {
  readonly events: MIEvent<number, number>[];
  readonly maxRunning: number;
  readonly subscribedAtEnd: number;
}

/** Runs one scenario in its own TestScheduler; instance i's task runs durationMs and then succeeds with i or fails. */
function simulate(scenario: MIScenario): Trace {
  const scheduler = testScheduler();
  const events: MIEvent<number, number>[] = [];
  let running = 0;
  let maxRunning = 0;
  scheduler.run(() => {
    const run = (i: number): Observable<number> =>
      plannedTask(scenario.instances[i]!, i, {
        onStart: () => (maxRunning = Math.max(maxRunning, ++running)),
        onEnd: () => running--,
      });
    const cancelNow = new Subject<number>();
    const spec = {
      taskId: 'prop',
      cancel: concat(from(scenario.cancelEarly), cancelNow),
      run,
      concurrency: scenario.concurrency,
      completion: ruleOf(scenario.rule),
      remaining: scenario.remaining,
      ...(scenario.retries ? { retry: { maxAttempts: 2, initialDelayMs: 1 } } : {}),
    };
    const indexes = scenario.instances.map((_, i) => i);
    const stream =
      scenario.source === 'array'
        ? runMultipleInstance(indexes, spec)
        : merge(...scenario.instances.map((plan, i) => timer(plan.arriveAtMs).pipe(map(() => i)))).pipe(
            multipleInstance(spec),
          );
    stream.subscribe((event) => {
      events.push(event);
      if (event.type === 'started' && scenario.cancelOnStart.includes(event.index))
        cancelNow.next(event.index);
    });
  });
  return { events, maxRunning, subscribedAtEnd: running };
}

const runs = { numRuns: 250 };

describe('multiple-instance properties', () => {
  it('never runs more than `concurrency` instances, and leaves none subscribed at the end', () => {
    fc.assert(
      fc.property(miScenario, (scenario) => {
        const { maxRunning, subscribedAtEnd } = simulate(scenario);
        expect(maxRunning).toBeLessThanOrEqual(scenario.concurrency);
        expect(subscribedAtEnd).toBe(0);
      }),
      runs,
    );
  });

  it('ends every admitted instance in exactly one terminal state (late ones in detach mode)', () => {
    fc.assert(
      fc.property(miScenario, (scenario) => {
        const { events } = simulate(scenario);
        const admitted = events.filter((e) => e.type === 'admitted').map((e) => e.index);
        const endings = new Map<number, number>();
        for (const e of events) {
          if (e.type === 'succeeded' || e.type === 'failed' || e.type === 'cancelled' || e.type === 'late') {
            endings.set(e.index, (endings.get(e.index) ?? 0) + 1);
          }
        }
        for (const index of admitted) expect(endings.get(index)).toBe(1);
        expect(endings.size).toBe(admitted.length);
        // An index cancelled before it was admitted is withdrawn on admission: it never starts.
        const started = new Set(events.filter((e) => e.type === 'started').map((e) => e.index));
        for (const index of scenario.cancelEarly)
          if (admitted.includes(index)) expect(started.has(index)).toBe(false);
      }),
      runs,
    );
  });

  it('derives counters that equal the records by status, and values in index order', () => {
    fc.assert(
      fc.property(miScenario, (scenario) => {
        const { events } = simulate(scenario);
        const decided = events.find((e): e is MIDecidedEvent<number> => e.type === 'decided');
        expect(decided).toBeDefined();
        const { counters, instances, values } = decided!.result;
        const count = (status: string) => instances.filter((r) => r.status === status).length;
        expect(instances.map((r) => r.index)).toEqual(instances.map((_, i) => i));
        expect(counters.admitted).toBe(instances.length);
        expect(counters.succeeded).toBe(count('succeeded'));
        expect(counters.failed).toBe(count('failed'));
        expect(counters.cancelled).toBe(count('cancelled'));
        expect(counters.running).toBe(count('detached'));
        expect(counters.pending).toBe(0);
        expect(values).toEqual(instances.filter((r) => r.status === 'succeeded').map((r) => r.index));
        if (scenario.remaining === 'cancel') expect(events.at(-1)).toBe(decided);
      }),
      runs,
    );
  });

  it('decides at the frame of the deciding event: nothing terminal follows the decision but late/refused', () => {
    fc.assert(
      fc.property(miScenario, (scenario) => {
        const { events } = simulate(scenario);
        const at = events.findIndex((e) => e.type === 'decided');
        const after = events.slice(at + 1).map((e) => e.type);
        expect(after.every((type) => type === 'late' || type === 'refused')).toBe(true);
        const before = events.slice(0, at).filter((e) => e.type !== 'cancelled');
        if (before.length > 0) expect(events[at]!.at).toBe(before.at(-1)!.at);
      }),
      runs,
    );
  });
});
