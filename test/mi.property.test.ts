import fc from 'fast-check';
import { map, merge, type Observable, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type MIDecidedEvent, type MIEvent, multipleInstance, runMultipleInstance } from 'rxdaemon';
import { type PoolScenario, poolScenario, ruleOf, testScheduler } from 'rxdaemon/testing';
import { plannedTask } from './support.js';

interface MIScenario extends PoolScenario {
  readonly source: 'array' | 'observable';
  readonly remaining: 'cancel' | 'detach';
  readonly retries: boolean;
}

const miScenario: fc.Arbitrary<MIScenario> = fc
  .tuple(
    poolScenario(),
    fc.constantFrom('array', 'observable'),
    fc.constantFrom('cancel', 'detach'),
    fc.boolean(),
  )
  .map(([scenario, source, remaining, retries]) => ({ ...scenario, source, remaining, retries }));

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
    const spec = {
      taskId: 'prop',
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
    stream.subscribe((event) => events.push(event));
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
