import fc from 'fast-check';
import { lastValueFrom, map, merge, type Observable, of, timer, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  completeWhen,
  type Counters,
  type DecidedEvent,
  type PoolEvent,
  tally,
  workerPool,
} from 'rxdaemon/operators';
import { type PoolScenario, poolScenario, ruleOf, testScheduler } from 'rxdaemon/testing';
import { plannedTask } from './support.js';

interface Trace {
  /** Every event the stream emitted, with its frame. */
  readonly events: { readonly frame: number; readonly event: PoolEvent<number, number> | DecidedEvent }[];
  /** Per instance index: the frame its task was subscribed, and how and when it ended. */
  readonly tasks: Map<
    number,
    { start: number; end?: number; ended?: 'settled' | 'torn-down'; endings: number }
  >;
  readonly maxRunning: number;
  readonly completedAt: number | undefined;
}

/** Runs one scenario in its own TestScheduler, instrumenting every task's subscription. */
function simulate(scenario: PoolScenario): Trace {
  const scheduler = testScheduler();
  const events: Trace['events'] = [];
  const tasks: Trace['tasks'] = new Map();
  let running = 0;
  let maxRunning = 0;
  let completedAt: number | undefined;
  scheduler.run(() => {
    const inputs = merge(...scenario.instances.map((plan, i) => timer(plan.arriveAtMs).pipe(map(() => i))));
    const task = (i: number, { index }: { index: number }): Observable<number> => {
      const record: { start: number; end?: number; ended?: 'settled' | 'torn-down'; endings: number } = {
        start: scheduler.now(),
        endings: 0,
      };
      tasks.set(index, record);
      return plannedTask(scenario.instances[i]!, i, {
        onStart: () => (maxRunning = Math.max(maxRunning, ++running)),
        onEnd: (settled) => {
          running--;
          record.end = scheduler.now();
          record.ended = settled ? 'settled' : 'torn-down';
          record.endings++;
        },
      });
    };
    inputs
      .pipe(workerPool(task, { concurrency: scenario.concurrency }), completeWhen(ruleOf(scenario.rule)))
      .subscribe({
        next: (event) => events.push({ frame: scheduler.now(), event }),
        complete: () => (completedAt = scheduler.now()),
      });
  });
  return { events, tasks, maxRunning, completedAt };
}

const runs = { numRuns: 300 };

describe('workerPool + completeWhen properties', () => {
  it('never runs more than `concurrency` tasks at once', () => {
    fc.assert(
      fc.property(poolScenario(), (scenario) => {
        expect(simulate(scenario).maxRunning).toBeLessThanOrEqual(scenario.concurrency);
      }),
      runs,
    );
  });

  it('decides exactly at the frame of the deciding event, right after it', async () => {
    await fc.assert(
      fc.asyncProperty(poolScenario(), async (scenario) => {
        const { events, completedAt } = simulate(scenario);
        const decidedAt = events.findIndex((e) => e.event.type === 'decided');
        expect(decidedAt).toBe(events.length - 1);
        // Replay the counters the rule saw, with the public tally(), and find where it first decides.
        const poolEvents = events.slice(0, -1).map((e) => e.event as PoolEvent<number, number>);
        const counters: Counters[] = await lastValueFrom(of(...poolEvents).pipe(tally(), toArray()));
        const rule = ruleOf(scenario.rule);
        const deciding = counters.findIndex((c, i) => {
          const type = poolEvents[i]!.type;
          return type !== 'admitted' && type !== 'started' && rule(c) !== 'continue';
        });
        const decided = events.at(-1)!;
        if (deciding === -1) {
          // Only a rule that never decides may end without a deciding event: not one of the generated ones.
          expect.unreachable(`no deciding event for ${JSON.stringify(scenario.rule)}`);
        }
        expect(deciding).toBe(poolEvents.length - 1);
        expect(decided.frame).toBe(events[deciding]!.frame);
        expect(completedAt).toBe(decided.frame);
        expect(decided.event).toMatchObject(rule(counters[deciding]!) as object);
      }),
      runs,
    );
  });

  it('leaves no instance subscribed after the decision: each is torn down at that frame at the latest', () => {
    fc.assert(
      fc.property(poolScenario(), (scenario) => {
        const { events, tasks } = simulate(scenario);
        const decisionFrame = events.at(-1)!.frame;
        for (const record of tasks.values()) {
          expect(record.end).toBeDefined();
          expect(record.end!).toBeLessThanOrEqual(decisionFrame);
          if (record.ended === 'torn-down') expect(record.end).toBe(decisionFrame);
        }
      }),
      runs,
    );
  });

  it('ends every admitted instance in exactly one terminal state', () => {
    fc.assert(
      fc.property(poolScenario(), (scenario) => {
        const { events, tasks } = simulate(scenario);
        const decided = events.at(-1)!.event as DecidedEvent;
        const terminal = new Map<number, number>();
        for (const { event } of events) {
          if (event.type === 'succeeded' || event.type === 'failed' || event.type === 'cancelled') {
            terminal.set(event.index, (terminal.get(event.index) ?? 0) + 1);
          }
        }
        expect([...terminal.values()].every((n) => n === 1)).toBe(true);
        const { admitted, succeeded, failed, cancelled, running, pending } = decided.counters;
        expect(succeeded + failed + cancelled).toBe(admitted);
        expect(running + pending).toBe(0);
        // Instances without a terminal event are exactly the ones the decision cancelled.
        expect(admitted - terminal.size).toBe(cancelled);
        for (const record of tasks.values()) expect(record.endings).toBe(1);
      }),
      runs,
    );
  });
});
