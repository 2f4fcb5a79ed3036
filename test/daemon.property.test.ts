import fc from 'fast-check';
import { merge, Observable, timer, map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createDaemon, type DaemonEvent, type OverlapPolicy, type TriggerFire } from 'rxdaemon';
import { testScheduler } from 'rxdaemon/testing';

const operationPlan = fc.record({
  overlap: fc.constantFrom<OverlapPolicy>('skip', 'queue', 'allow'),
  durationMs: fc.integer({ min: 1, max: 15 }),
  fails: fc.boolean(),
  firesAt: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 8 }),
});

const scenario = fc.record({
  maxConcurrent: fc.integer({ min: 1, max: 4 }),
  operations: fc.array(operationPlan, { minLength: 1, maxLength: 5 }),
});

describe('daemon properties', () => {
  it('never runs more than maxConcurrent operations, and ends every enqueued run exactly once', () => {
    fc.assert(
      fc.property(scenario, ({ maxConcurrent, operations }) => {
        const scheduler = testScheduler();
        const events: DaemonEvent[] = [];
        let running = 0;
        let most = 0;
        scheduler.run(() => {
          const daemon = createDaemon({ maxConcurrent });
          operations.forEach((plan, i) => {
            const fires = merge(
              ...plan.firesAt.map((at) => timer(at).pipe(map((): TriggerFire => ({ kind: 'event', at })))),
            );
            daemon.schedule({
              id: `op${i}`,
              overlap: plan.overlap,
              trigger: fires,
              run: () =>
                new Observable<string>((subscriber) => {
                  most = Math.max(most, ++running);
                  const work = timer(plan.durationMs).subscribe(() =>
                    plan.fails
                      ? subscriber.error(new Error('failed'))
                      : (subscriber.next('ok'), subscriber.complete()),
                  );
                  return () => {
                    work.unsubscribe();
                    running--;
                  };
                }),
            });
          });
          daemon.events.subscribe((e) => events.push(e));
          daemon.start();
          scheduler.schedule(() => void daemon.stop({ drainMs: 1000 }), 45);
        });
        expect(most).toBeLessThanOrEqual(maxConcurrent);
        expect(running).toBe(0);
        const enqueued = events
          .filter((e) => e.type === 'operation:enqueued')
          .map((e) => ('runId' in e ? e.runId : ''));
        const ended = events
          .filter((e) =>
            ['operation:succeeded', 'operation:failed', 'operation:skipped', 'operation:cancelled'].includes(
              e.type,
            ),
          )
          .map((e) => ('runId' in e ? e.runId : ''));
        expect([...ended].sort()).toEqual([...enqueued].sort());
        expect(new Set(ended).size).toBe(ended.length);
        expect(events.at(-1)?.type).toBe('daemon:stopped');
      }),
      { numRuns: 200 },
    );
  });
});
