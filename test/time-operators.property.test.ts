import fc from 'fast-check';
import { type Observable, timer, merge, map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { batchWindow, latencyStats, tokenBucket } from 'rxdaemon/operators';
import { testScheduler } from 'rxdaemon/testing';

/** Values arriving at the given virtual times (ms), in order, then completing at the last one. */
const arrivals = (times: readonly number[]): Observable<number> =>
  merge(...times.map((at, i) => timer(at).pipe(map(() => i))));

const sortedTimes = fc
  .array(fc.integer({ min: 0, max: 200 }), { maxLength: 40 })
  .map((t) => [...t].sort((a, b) => a - b));

describe('time operators: properties', () => {
  it('tokenBucket: nothing lost or reordered, never early, and at most capacity + rate·t in any window from 0', () => {
    fc.assert(
      fc.property(
        sortedTimes,
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 50, max: 1000 }),
        (times, capacity, refillPerSecond) => {
          const out: { value: number; at: number }[] = [];
          const scheduler = testScheduler();
          scheduler.run(() => {
            arrivals(times)
              .pipe(tokenBucket({ capacity, refillPerSecond }))
              .subscribe((value) => out.push({ value, at: scheduler.now() }));
          });
          expect(out.map((o) => o.value)).toEqual(times.map((_, i) => i));
          out.forEach((o, i) => expect(o.at).toBeGreaterThanOrEqual(times[i]!));
          out.forEach((o, i) =>
            expect(i + 1).toBeLessThanOrEqual(capacity + Math.floor((o.at * refillPerSecond) / 1000 + 1e-9)),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('batchWindow: every value once, in order, batches never larger than size nor older than ms', () => {
    fc.assert(
      fc.property(
        sortedTimes,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 30 }),
        (times, size, ms) => {
          const batches: { values: number[]; at: number }[] = [];
          const scheduler = testScheduler();
          scheduler.run(() => {
            arrivals(times)
              .pipe(batchWindow({ size, ms }))
              .subscribe((values) => batches.push({ values, at: scheduler.now() }));
          });
          expect(batches.flatMap((b) => b.values)).toEqual(times.map((_, i) => i));
          for (const batch of batches) {
            expect(batch.values.length).toBeGreaterThan(0);
            expect(batch.values.length).toBeLessThanOrEqual(size);
            expect(batch.at - times[batch.values[0]!]!).toBeLessThanOrEqual(ms);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('latencyStats: p50 ≤ p95 ≤ p99 ≤ max, all among the window’s samples', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 20 }),
        (samples, window) => {
          const snapshots: { p50: number; p95: number; p99: number; max: number; count: number }[] = [];
          testScheduler().run(({ cold }) => {
            const values = Object.fromEntries(samples.map((s, i) => [String.fromCharCode(0x100 + i), s]));
            cold(Object.keys(values).join('') + '|', values)
              .pipe(latencyStats({ window }))
              .subscribe((s) => snapshots.push(s));
          });
          snapshots.forEach((s, i) => {
            const recent = samples.slice(Math.max(0, i + 1 - window), i + 1);
            expect(s.count).toBe(i + 1);
            expect(s.p50).toBeLessThanOrEqual(s.p95);
            expect(s.p95).toBeLessThanOrEqual(s.p99);
            expect(s.p99).toBeLessThanOrEqual(s.max);
            expect(s.max).toBe(Math.max(...recent));
            for (const p of [s.p50, s.p95, s.p99]) expect(recent).toContain(p);
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
