import { describe, expect, it } from 'vitest';
import { abortable, CancelledError, ConfigError } from 'rxdaemon/operators';
import { marbleScheduler } from './helpers.js';

describe('abortable', () => {
  it('aborts the signal with a CancelledError when unsubscribed before the task settled', () => {
    let seen: AbortSignal | undefined;
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const inner = cold('----a|');
      const result = abortable((signal) => {
        seen = signal;
        return inner;
      });
      expectObservable(result, '^-!').toBe('---');
      expectSubscriptions(inner.subscriptions).toBe('^-!');
    });
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(CancelledError);
  });

  it('never aborts a task that settled, even when unsubscribed afterwards', () => {
    const signals: AbortSignal[] = [];
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const ok = cold('-a|');
      const bad = cold('-#');
      expectObservable(abortable((s) => (signals.push(s), ok))).toBe('-a|');
      expectObservable(abortable((s) => (signals.push(s), bad))).toBe('-#');
      expectSubscriptions(ok.subscriptions).toBe('^-!');
      expectSubscriptions(bad.subscriptions).toBe('^!');
    });
    expect(signals.map((s) => s.aborted)).toEqual([false, false]);
  });

  it('gives each subscription its own controller', () => {
    const signals: AbortSignal[] = [];
    marbleScheduler().run(({ cold, expectObservable }) => {
      const result = abortable((s) => (signals.push(s), cold('--a|')));
      expectObservable(result, '^!').toBe('--');
      expectObservable(result).toBe('--a|');
    });
    expect(signals.map((s) => s.aborted)).toEqual([true, false]);
  });

  it('rejects a task that is not a function', () => {
    expect(() => abortable(42 as never)).toThrow(ConfigError);
  });
});
