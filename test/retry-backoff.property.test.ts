import fc from 'fast-check';
import { defer, Observable, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { backoffDelay, type BackoffPolicy, retryBackoff } from 'rxdaemon/operators';
import { testScheduler } from 'rxdaemon/testing';

const policy = fc.record({
  initialDelayMs: fc.integer({ min: 0, max: 50 }),
  multiplier: fc.double({ min: 1, max: 4, noNaN: true }),
  maxDelayMs: fc.integer({ min: 0, max: 400 }),
  jitter: fc.oneof(
    fc.constant<'none'>('none'),
    fc.constant<'full'>('full'),
    fc.double({ min: 0, max: 1, noNaN: true }),
  ),
});

describe('retryBackoff properties', () => {
  it('waits, between each failure and the next attempt, the formula delay within its jitter bounds', () => {
    fc.assert(
      fc.property(
        policy,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })),
        (options: BackoffPolicy, maxAttempts, attemptMs, randoms) => {
          const scheduler = testScheduler();
          const starts: number[] = [];
          const failures: number[] = [];
          const random = () => randoms.next().value as number;
          scheduler.run(() => {
            defer(
              () =>
                new Observable<never>((subscriber) => {
                  starts.push(scheduler.now());
                  return timer(attemptMs).subscribe(() => {
                    failures.push(scheduler.now());
                    subscriber.error(new Error('down'));
                  });
                }),
            )
              .pipe(retryBackoff({ ...options, maxAttempts, random }))
              .subscribe({ error: () => undefined });
          });
          expect(starts).toHaveLength(maxAttempts);
          for (let k = 1; k < maxAttempts; k++) {
            const waited = starts[k]! - failures[k - 1]!;
            const d = backoffDelay(k, { ...options, jitter: 'none' });
            const { jitter } = options;
            const [low, high] =
              jitter === 'none'
                ? [d, d]
                : jitter === 'full'
                  ? [0, d]
                  : [d * (1 - jitter!), d * (1 + jitter!)];
            expect(waited).toBeGreaterThanOrEqual(low - 1e-9);
            expect(waited).toBeLessThanOrEqual(high + 1e-9);
            expect(d).toBe(
              Math.min(options.maxDelayMs!, options.initialDelayMs! * options.multiplier! ** (k - 1)),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
