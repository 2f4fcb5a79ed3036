import fc from 'fast-check';
import { timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'rxdaemon/operators';
import { poolScenario, testScheduler, virtualClock } from 'rxdaemon/testing';

describe('rxdaemon/testing', () => {
  it('virtualClock starts at a real date and only moves when advanced', () => {
    const clock = virtualClock('2026-03-29T00:30:00Z');
    const fired: string[] = [];
    timer(3_600_000, 3_600_000, clock).subscribe(() => fired.push(new Date(clock.now()).toISOString()));
    expect(new Date(clock.now()).toISOString()).toBe('2026-03-29T00:30:00.000Z');
    clock.advanceBy(2.5 * 3_600_000);
    expect(fired).toEqual(['2026-03-29T01:30:00.000Z', '2026-03-29T02:30:00.000Z']);
    expect(new Date(clock.now()).toISOString()).toBe('2026-03-29T03:00:00.000Z');
    clock.advanceTo('2026-03-29T03:30:00Z');
    expect(fired).toHaveLength(3);
  });

  it('virtualClock rejects a date it cannot parse and a negative step', () => {
    expect(() => virtualClock('next tuesday')).toThrow(ConfigError);
    expect(() => virtualClock('2026-01-01T00:00:00Z').advanceBy(-1)).toThrow(/ms/);
    const clock = virtualClock('2026-01-01T00:00:00Z');
    expect(() => clock.advanceTo('soon')).toThrow(/advanceTo: time: not a date: "soon"/);
    expect(() => clock.advanceTo('2025-12-31T00:00:00Z')).toThrow(
      /2025-12-31T00:00:00.000Z is before now \(2026-01-01T00:00:00.000Z\)/,
    );
  });

  it('testScheduler deep-compares by default and accepts another assertion', () => {
    expect(() =>
      testScheduler().run(({ cold, expectObservable }) =>
        expectObservable(cold('a|', { a: { x: 1 } })).toBe('a|', { a: { x: 2 } }),
      ),
    ).toThrow();
    const seen: unknown[] = [];
    testScheduler((actual) => seen.push(actual)).run(({ cold, expectObservable }) =>
      expectObservable(cold('a|')).toBe('b|'),
    );
    expect(seen).toHaveLength(1);
  });

  it('poolScenario generates arrivals in order and valid limits', () => {
    fc.assert(
      fc.property(poolScenario({ maxInstances: 12, maxConcurrency: 3 }), (scenario) => {
        expect(scenario.instances.length).toBeLessThanOrEqual(12);
        expect(scenario.concurrency).toBeGreaterThanOrEqual(1);
        expect(scenario.concurrency).toBeLessThanOrEqual(3);
        const arrivals = scenario.instances.map((i) => i.arriveAtMs);
        expect(arrivals).toEqual([...arrivals].sort((a, b) => a - b));
      }),
    );
  });
});
