import { describe, expect, it } from 'vitest';
import { ConfigError, latencyStats } from 'rxdaemon/operators';
import { marbleScheduler } from './helpers.js';

describe('latencyStats', () => {
  it('emits nearest-rank percentiles over a sliding window of samples, and their rate', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('a-b-c|', { a: 30, b: 10, c: 20 });
      expectObservable(source.pipe(latencyStats({ window: 2 }))).toBe('a-b-c|', {
        a: { count: 1, p50: 30, p95: 30, p99: 30, max: 30, perSecond: 0 },
        b: { count: 2, p50: 10, p95: 30, p99: 30, max: 30, perSecond: 500 },
        c: { count: 3, p50: 10, p95: 20, p99: 20, max: 20, perSecond: 500 },
      });
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('stops when unsubscribed', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('a-b-c|', { a: 1, b: 2, c: 3 });
      expectObservable(source.pipe(latencyStats()), '^-!').toBe('a-', {
        a: { count: 1, p50: 1, p95: 1, p99: 1, max: 1, perSecond: 0 },
      });
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('rejects a window below 1', () => {
    expect(() => latencyStats({ window: 0 })).toThrow(ConfigError);
  });
});
