import { describe, expect, it } from 'vitest';
import { ConfigError, tokenBucket } from 'rxdaemon/operators';
import { marbleScheduler } from './helpers.js';

describe('tokenBucket', () => {
  it('lets a burst of `capacity` through, then one value per refilled token, in order', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('(abcd)|');
      // a token every 5 ms: a and b at once, c at 5, d at 10; completion waits for d
      expectObservable(source.pipe(tokenBucket({ capacity: 2, refillPerSecond: 200 }))).toBe(
        '(ab)-c----(d|)',
      );
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it('refills while idle, up to capacity', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      // one token per 5 ms, capacity 1: b waits until 5, c arrives after a long pause and goes at once
      const source = hot('ab----------c|');
      expectObservable(source.pipe(tokenBucket({ capacity: 1, refillPerSecond: 200 }))).toBe(
        'a----b------c|',
      );
    });
  });

  it('unsubscribing drops the waiting values and cancels the wake-up', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('(abc)---|');
      expectObservable(source.pipe(tokenBucket({ capacity: 1, refillPerSecond: 100 })), '^--!').toBe('a---');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('rejects a bad capacity and rate, naming both', () => {
    expect(() => tokenBucket({ capacity: 0, refillPerSecond: -1 })).toThrow(ConfigError);
    expect(() => tokenBucket({ capacity: 0, refillPerSecond: -1 })).toThrow(/capacity.*refillPerSecond/);
  });
});
