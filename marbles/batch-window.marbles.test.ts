import { describe, expect, it } from 'vitest';
import { batchWindow, ConfigError } from 'rxdaemon/operators';
import { marbleScheduler } from './helpers.js';

describe('batchWindow', () => {
  it('emits a batch when it is full, and flushes the rest at completion', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('ab-c------d-|');
      expectObservable(source.pipe(batchWindow({ size: 3, ms: 4 }))).toBe('---x--------(y|)', {
        x: ['a', 'b', 'c'],
        y: ['d'],
      });
      expectSubscriptions(source.subscriptions).toBe('^-----------!');
    });
  });

  it('emits a batch `ms` after its first value, never an empty one', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('a-b-----c-------|').pipe(batchWindow({ size: 3, ms: 4 }))).toBe(
        '----x-------y---|',
        {
          x: ['a', 'b'],
          y: ['c'],
        },
      );
    });
  });

  it('unsubscribing cancels the pending deadline', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('a------|');
      expectObservable(source.pipe(batchWindow({ size: 3, ms: 4 })), '^-!').toBe('---');
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('rejects a bad size and window', () => {
    expect(() => batchWindow({ size: 0, ms: 0 })).toThrow(ConfigError);
  });
});
