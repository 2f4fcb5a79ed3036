import { defer, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  type AttemptFailure,
  type BackoffPolicy,
  backoffDelay,
  ConfigError,
  retryBackoff,
  timeoutEach,
} from 'rxdaemon/operators';
import { marbleScheduler } from './helpers.js';

describe('retryBackoff', () => {
  it('resubscribes after 1 ms then 2 ms, and errors with the third failure', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, new Error('down'));
      const failures: AttemptFailure[] = [];
      const result = source.pipe(
        retryBackoff({
          maxAttempts: 3,
          initialDelayMs: 1,
          multiplier: 2,
          failures: { next: (f) => failures.push(f) },
        }),
      );
      expectObservable(result).toBe('---------#', undefined, new Error('down'));
      expectSubscriptions(source.subscriptions).toBe(['^-!', '---^-!', '-------^-!']);
      cold('-----------|').subscribe({
        complete: () =>
          expect(failures.map((f) => [f.attempt, f.retryInMs])).toEqual([
            [1, 1],
            [2, 2],
            [3, null],
          ]),
      });
    });
  });

  it('calls the work anew for every attempt and stops at the first success', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      let attempt = 0;
      const attempts: Record<number, Observable<string>> = { 1: cold('-#'), 2: cold('-#'), 3: cold('-x|') };
      const result = defer(() => attempts[++attempt]!).pipe(
        retryBackoff({ maxAttempts: 5, initialDelayMs: 3, multiplier: 1 }),
      );
      expectObservable(result).toBe('---------x|');
    });
  });

  it('does not retry what retryIf rejects', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, new Error('bad request'));
      const result = source.pipe(
        retryBackoff({ maxAttempts: 5, initialDelayMs: 1, retryIf: (e) => !/bad request/.test(String(e)) }),
      );
      expectObservable(result).toBe('-#', undefined, new Error('bad request'));
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('caps the delay at maxDelayMs and applies full jitter from the given random source', () => {
    marbleScheduler().run(({ cold, expectSubscriptions }) => {
      const source = cold('#');
      source
        .pipe(
          retryBackoff({
            maxAttempts: 4,
            initialDelayMs: 4,
            multiplier: 10,
            maxDelayMs: 6,
            jitter: 'full',
            random: () => 0.5,
          }),
        )
        .subscribe({ error: () => undefined });
      // delays: 4 * 0.5 = 2, min(6, 40) * 0.5 = 3, min(6, 400) * 0.5 = 3
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '--(^!)', '-----(^!)', '--------(^!)']);
    });
  });

  it('unsubscribing during the wait cancels the pending retry', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#');
      expectObservable(source.pipe(retryBackoff({ maxAttempts: 3, initialDelayMs: 5 })), '^--!').toBe('----');
      expectSubscriptions(source.subscriptions).toBe(['^!']);
    });
  });

  it('follows the formula min(max, initial * multiplier^(k-1)) with jitter bounds', () => {
    const policy = { initialDelayMs: 100, multiplier: 3, maxDelayMs: 1000 };
    expect([1, 2, 3, 4].map((k) => backoffDelay(k, policy))).toEqual([100, 300, 900, 1000]);
    expect(backoffDelay(2, { ...policy, jitter: 0.5 }, () => 0)).toBe(150);
    expect(backoffDelay(2, { ...policy, jitter: 0.5 }, () => 0.999999)).toBeCloseTo(450, 3);
  });

  it('backoffDelay names what is wrong instead of answering NaN (arguments swapped, retry 0)', () => {
    const swapped = () =>
      backoffDelay({ initialDelayMs: 1 } as unknown as number, 1 as unknown as BackoffPolicy);
    expect(swapped).toThrow(ConfigError);
    expect(swapped).toThrow(/retry: .*; policy: /);
    expect(() => backoffDelay(0, {})).toThrow(/retry: Too small/);
    expect(() => backoffDelay(1, { multiplier: 0.5 })).toThrow(/policy\.multiplier/);
    // A retryBackoff options object is a policy too (its other fields are not the delay's).
    expect(backoffDelay(2, { maxAttempts: 3, initialDelayMs: 10 } as BackoffPolicy)).toBe(20);
  });

  it('rejects bad options with a ConfigError naming every field', () => {
    try {
      retryBackoff({ maxAttempts: 0, initialDelayMs: -1, jitter: 2, multiplier: 0.5 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).fields).toEqual(
        expect.arrayContaining(['maxAttempts', 'initialDelayMs', 'jitter', 'multiplier']),
      );
    }
  });
});

describe('timeoutEach', () => {
  it('errors with a TimeoutError at the deadline and tears the source down', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a----b|');
      expectObservable(source.pipe(timeoutEach(4))).toBe(
        '-a--#',
        undefined,
        expect.objectContaining({ code: 'TIMEOUT', timeoutMs: 4 }),
      );
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('lets a source that completes in time through untouched', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-|').pipe(timeoutEach(4))).toBe('-a-|');
    });
  });

  it('gives every retry attempt its own deadline', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const hangs = cold('-------x|');
      const result = hangs.pipe(timeoutEach(3), retryBackoff({ maxAttempts: 2, initialDelayMs: 2 }));
      expectObservable(result).toBe('--------#', undefined, expect.objectContaining({ code: 'TIMEOUT' }));
      expectSubscriptions(hangs.subscriptions).toBe(['^--!', '-----^--!']);
    });
  });

  it('rejects a negative limit', () => {
    expect(() => timeoutEach(-1)).toThrow(ConfigError);
  });
});
